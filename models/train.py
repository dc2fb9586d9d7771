"""Training loops for the stages: image VAE, sound VAE, mapper, inversion (the reverse mapper: reverse.py).

Every stage is seeded, shows a progress bar with the live losses, writes
`<run_dir>/checkpoint.pt` after every epoch (plain state_dicts + config + RNG
state) and, with `resume=True`, continues exactly where the last checkpoint
stopped: the next step is the one an uninterrupted run would have taken.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Callable, Literal, overload

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import checkpoint
from .config import InversionConfig, MapperConfig, VAEConfig, as_dict
from .data import image_set, sound_set
from .factor_vae import Weights, step
from .networks import Discriminator, ImageVAE, Inversion, Mapper, PainterDecoder, SoundVAE


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but torch sees no usable CUDA device (use --device cpu)")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"--device must be cpu, cuda or auto, not {name!r}")
    return torch.device(name)


def set_lr(opt: torch.optim.Optimizer, base: float, step_no: int, warmup_steps: int, total_steps: int = 0) -> None:
    """Linear warm-up over the first warmup_steps, then the base rate (or, with total_steps, a cosine decay to 0)."""
    scale = min(1.0, (step_no + 1) / max(1, warmup_steps))
    if total_steps and step_no >= warmup_steps:
        scale = 0.5 * (1 + math.cos(math.pi * (step_no - warmup_steps) / max(1, total_steps - warmup_steps)))
    for group in opt.param_groups:
        group["lr"] = base * scale


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def restore(ck_path: Path, parts: dict[str, Any], keys: tuple[str, ...], stage: str, quiet: bool,
            optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """Load `parts` (checkpoint key -> module or optimiser) and the RNG state; return the saved `keys`, and
    those of `optional` the checkpoint holds (a step that runs after the epochs, like the point polish)."""
    ck = checkpoint.load(ck_path)
    missing = [k for k in keys if k not in ck]
    if missing:
        raise ValueError(f"{ck_path} is not a {stage} checkpoint to resume from: it lacks {', '.join(missing)}")
    for name, obj in parts.items():
        obj.load_state_dict(ck[name])
    restore_rng(ck["rng"])
    if not quiet:
        print(f"[{stage}] resuming from {ck_path}", flush=True)
    return {k: ck[k] for k in keys + optional if k in ck}


def bar(total: int, desc: str, quiet: bool) -> tqdm:
    return tqdm(total=total, desc=desc, file=sys.stderr, mininterval=1.0, disable=quiet, leave=False, dynamic_ncols=True)


def log_epoch(stage: str, epoch: int, epochs: int, stats: dict[str, float], quiet: bool) -> None:
    if not quiet:
        body = " ".join(f"{k}={v:.4g}" for k, v in stats.items())
        print(f"[{stage}] epoch {epoch}/{epochs} {body}", flush=True)


def mean_stats(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}


# ---------------------------------------------------------------- FactorVAEs

def vae_net_kwargs(domain: str, cfg: VAEConfig) -> dict[str, Any]:
    kw: dict[str, Any] = {"latent": cfg.latent, "width": cfg.width, "init_logvar": cfg.init_logvar}
    if domain == "image":
        kw |= {"res_blocks": cfg.res_blocks, "pool": cfg.pool}
        if cfg.decoder != "broadcast":  # older checkpoints (and the broadcast default) keep their net kwargs
            kw |= {"decoder": cfg.decoder, "paint_width": cfg.paint_width}
    return kw


def sample_pixels(x: torch.Tensor, k: int, window: int = 12) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Pixels for the painter to reconstruct: a window x window block around each image's brightest pixel (the
    square, found in the image itself) and k - window^2 uniform ones; returns ((cols, rows), values [N, 1, k, 1])."""
    n, size = len(x), x.shape[-1]
    peak = x.flatten(1).argmax(1)
    r0, c0 = peak // size - window // 2 + 1, peak % size - window // 2 + 1
    off = torch.arange(window, device=x.device)
    wr = (r0[:, None, None] + off[None, :, None]).expand(n, window, window).reshape(n, -1)
    wc = (c0[:, None, None] + off[None, None, :]).expand(n, window, window).reshape(n, -1)
    m = k - window * window
    rows = torch.cat([wr, torch.randint(size, (n, m), device=x.device)], 1).clamp(0, size - 1)
    cols = torch.cat([wc, torch.randint(size, (n, m), device=x.device)], 1).clamp(0, size - 1)
    values = x[:, 0].flatten(1).gather(1, rows * size + cols)
    return (cols, rows), values[:, None, :, None]


def take_encoder(vae: ImageVAE | SoundVAE, run: Path, freeze: bool) -> None:
    """Start from the encoder of `run`; frozen, only the decoder learns, so the latent (and every stage
    trained on it) stays exactly as it was while the decoder is replaced."""
    state = checkpoint.load(run / "checkpoint.pt")["model"]
    vae.encoder.load_state_dict({k[len("encoder."):]: v for k, v in state.items() if k.startswith("encoder.")})
    if freeze:
        vae.encoder.requires_grad_(False)


def peak_of(x: torch.Tensor) -> torch.Tensor:
    """[N, 2] (x, y) of each image's brightest pixel, +1: the 2 x 2 square's centre (found in the image itself)."""
    size = x.shape[-1]
    peak = x.flatten(1).argmax(1)
    return torch.stack([peak % size, peak // size], 1).float() + 1


def peak_term(vae: ImageVAE, x: torch.Tensor, weight: float) -> Callable:
    """The painter's point should sit on the image's own brightest pixel (+1: the square's centre).

    Reconstruction alone let the point settle mirrored through the image
    centre (a local optimum, 85 px off, the square never drawn); this pulls it
    onto the square, found in the input image itself (no position labels).
    """
    where = peak_of(x)
    painter = vae.decoder
    assert isinstance(painter, PainterDecoder)
    return lambda out: weight * (painter.centre(out.z) - where).abs().mean() / x.shape[-1]


HEAD_BATCH = 1024   # the point head is a 2-D regression: big batches cost little and steady it


def polish_head(vae: ImageVAE, data, cfg: VAEConfig, dev: torch.device, quiet: bool) -> dict[str, float]:
    """Refit the painter's point head on the posterior *means* of every image (encoder frozen).

    During the epochs the head learns from posterior samples, so at a mean
    it lands on the average of its neighbours' squares (median 0.7 px off,
    p95 2.4 px: 12% of decoded images put their brightest 2 x 2 block more
    than 2 px from the square). The daemon decodes means; this regression on
    exactly those inputs moves only the point (the painter draws around it).
    """
    painter = vae.decoder
    assert isinstance(painter, PainterDecoder)
    head = painter.head.requires_grad_(True)
    mu = image_posteriors(vae, data)[0].to(dev)
    where = torch.cat([peak_of(data.batch(torch.arange(k, min(k + 1024, len(mu))))) for k in range(0, len(mu), 1024)]).to(dev)
    opt = torch.optim.Adam(head.parameters(), lr=cfg.lr)
    with bar(cfg.head_steps, "painter point", quiet) as pbar:
        for i in range(cfg.head_steps):
            set_lr(opt, cfg.lr, i, 0, cfg.head_steps)
            idx = torch.randint(len(mu), (HEAD_BATCH,), device=dev)
            loss = (painter.centre(mu[idx]) - where[idx]).abs().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            pbar.update()
    with torch.no_grad():
        err = torch.linalg.norm(painter.centre(mu) - where, dim=1)
    return {"head_point_med_px": err.median().item(), "head_point_p95_px": torch.quantile(err, 0.95).item()}


def phase_term(vae: SoundVAE, other_phase: torch.Tensor, weight: float) -> Callable:
    """The same tone at another phase must encode to the same mean.

    The way back reads the square's y from the level the sound encoder hears,
    at ~0.25 dB a pixel; the phase of a sine moves its mel vector's level by
    ~2 dB and, without this term, the encoder's mean by ~1-2 dB worth.
    """
    return lambda out: weight * (out.mu - vae.encode(other_phase)[0]).pow(2).sum(1).mean()


@overload
def build_vae(domain: Literal["image"], net: dict[str, Any]) -> ImageVAE: ...
@overload
def build_vae(domain: Literal["sound"], net: dict[str, Any]) -> SoundVAE: ...
@overload
def build_vae(domain: str, net: dict[str, Any]) -> ImageVAE | SoundVAE: ...
def build_vae(domain: str, net: dict[str, Any]) -> ImageVAE | SoundVAE:
    return ImageVAE(**net) if domain == "image" else SoundVAE(**net)


def train_vae(domain: str, cfg: VAEConfig, run_dir: Path, device: str = "auto",
              resume: bool = False, quiet: bool = False) -> dict:
    """Train the image or sound FactorVAE; returns the final checkpoint dict."""
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    net = vae_net_kwargs(domain, cfg)
    vae = build_vae(domain, net).to(dev)
    disc = Discriminator(cfg.latent, cfg.disc_hidden, cfg.disc_layers).to(dev)
    if cfg.encoder_from:
        take_encoder(vae, Path(cfg.encoder_from), cfg.freeze_encoder)
    opt = torch.optim.AdamW([p for p in vae.parameters() if p.requires_grad], lr=cfg.lr)
    disc_opt = torch.optim.AdamW(disc.parameters(), lr=cfg.disc_lr)
    state: dict[str, Any] = {"epoch": 0, "w_kld": cfg.w_kld, "history": []}

    if domain == "image":
        data = image_set(subset=cfg.subset, seed=cfg.seed)
        n = len(data.images)
        steps = cfg.steps_per_epoch or math.ceil(n / cfg.batch_size)
        rec_loss: Callable = F.mse_loss
    else:
        sounds = sound_set(cfg.n_pitches, seed=cfg.seed, phase_views=cfg.phase_views, level_dist=cfg.level_dist)
        steps = cfg.steps_per_epoch or 400
        rec_loss = F.l1_loss

    ck_path = run_dir / "checkpoint.pt"
    if resume and ck_path.exists():
        state = restore(ck_path, {"model": vae, "disc": disc, "opt": opt, "disc_opt": disc_opt},
                        ("epoch", "w_kld", "history"), domain, quiet, optional=("head",))

    def save_state() -> None:
        checkpoint.save(ck_path, {
            "stage": domain, "net": net, "config": as_dict(cfg), "model": vae.state_dict(), "disc": disc.state_dict(),
            "opt": opt.state_dict(), "disc_opt": disc_opt.state_dict(), "rng": rng_state(), **state,
        })

    for epoch in range(state["epoch"], cfg.epochs):
        vae.train()
        rows = []
        if domain == "image":
            order, order2 = torch.randperm(n), torch.randperm(n)
        with bar(steps, f"{domain} {epoch + 1}/{cfg.epochs}", quiet) as pbar:
            for i in range(steps):
                set_lr(opt, cfg.lr, epoch * steps + i, cfg.warmup_epochs * steps,
                       cfg.epochs * steps if cfg.cosine_decay else 0)
                decode_kw, aux = None, None
                if domain == "image":
                    sl = slice(i * cfg.batch_size, (i + 1) * cfg.batch_size)
                    x = data.batch(order[sl]).to(dev)
                    x2 = data.batch(order2[sl]).to(dev)
                    target = F.avg_pool2d(x, cfg.pool)
                    if isinstance(vae, ImageVAE) and vae.full_res:
                        pixels, target = sample_pixels(x, cfg.paint_pixels)
                        decode_kw = {"pixels": pixels}
                        aux = peak_term(vae, x, cfg.w_peak)
                else:
                    if cfg.w_phase > 0:
                        assert isinstance(vae, SoundVAE)
                        x, xb, target = (t.to(dev) for t in sounds.sample_two_phases(cfg.batch_size)[:3])
                        aux = phase_term(vae, xb, cfg.w_phase)
                    else:
                        x, target = (t.to(dev) for t in sounds.sample_with_target(cfg.batch_size)[:2])
                    x2 = sounds.sample(cfg.batch_size)[0].to(dev)
                w = Weights(cfg.w_rec, state["w_kld"], cfg.w_tc)
                rows.append(step(vae, disc, opt, disc_opt, x, target, x2, rec_loss, w, cfg.grad_clip, decode_kw, aux))
                pbar.set_postfix(rec=f"{rows[-1]['rec']:.3g}", kld=f"{rows[-1]['kld']:.3g}", tc=f"{rows[-1]['tc']:.3g}")
                pbar.update()
        if rows[-1]["rec"] < cfg.kld_threshold:
            state["w_kld"] *= cfg.kld_growth
        stats = mean_stats(rows) | {"w_kld": state["w_kld"]}
        state["history"].append(stats)
        state["epoch"] = epoch + 1
        log_epoch(domain, epoch + 1, cfg.epochs, stats, quiet)
        save_state()
    if isinstance(vae, ImageVAE) and vae.full_res and cfg.head_steps and "head" not in state:
        state["head"] = polish_head(vae, data, cfg, dev, quiet)
        log_epoch("image", state["epoch"], cfg.epochs, state["head"], quiet)
        save_state()
    return checkpoint.load(ck_path)


@overload
def load_vae(run: str | Path, domain: Literal["image"]) -> ImageVAE: ...
@overload
def load_vae(run: str | Path, domain: Literal["sound"]) -> SoundVAE: ...
@overload
def load_vae(run: str | Path, domain: str) -> ImageVAE | SoundVAE: ...
def load_vae(run: str | Path, domain: str) -> ImageVAE | SoundVAE:
    """A trained VAE from its run directory, in eval mode and frozen."""
    return vae_of(checkpoint.load(Path(run) / "checkpoint.pt"), domain)


@overload
def vae_of(ck: dict[str, Any], domain: Literal["image"]) -> ImageVAE: ...
@overload
def vae_of(ck: dict[str, Any], domain: Literal["sound"]) -> SoundVAE: ...
@overload
def vae_of(ck: dict[str, Any], domain: str) -> ImageVAE | SoundVAE: ...
def vae_of(ck: dict[str, Any], domain: str) -> ImageVAE | SoundVAE:
    """The VAE a loaded checkpoint holds, in eval mode and frozen."""
    vae = build_vae(domain, ck["net"])
    vae.load_state_dict(ck["model"])
    vae.eval().requires_grad_(False)
    return vae


# ---------------------------------------------------------------- mapper

@torch.no_grad()
def image_posteriors(vae: ImageVAE, images, batch: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, logvar) of every training image, computed once before the mapper trains."""
    mus, logvars = [], []
    for i in range(0, len(images.images), batch):
        mu, logvar = vae.encode(images.batch(torch.arange(i, min(i + batch, len(images.images)))))
        mus.append(mu); logvars.append(logvar)
    return torch.cat(mus), torch.cat(logvars)


@torch.no_grad()
def sound_level_dist(run: str | Path) -> str:
    """The level distribution the sound VAE in `run` was trained on (the later stages sample the same)."""
    ck = checkpoint.load(Path(run) / "checkpoint.pt")
    return ck.get("sound_config", ck["config"]).get("level_dist", "linear")   # an ear run keeps its VAE's config


def sound_posterior_means(vae: SoundVAE, set_seed: int, sample_seed: int, n: int = 8192,
                          device: torch.device | str = "cpu", level_dist: str = "linear") -> torch.Tensor:
    """Posterior means of n random sines from the sound VAE's own training distribution.

    The mapper aligns to their statistics; the export takes the daemon's clamping box from them.
    """
    sounds = sound_set(4096, seed=set_seed, level_dist=level_dist)
    return vae.encode(sounds.sample(n, torch.Generator().manual_seed(sample_seed))[0].to(device))[0]


def cycle_weight(cfg: MapperConfig, epoch: int) -> float:
    start, end = cfg.cycle_ramp
    return cfg.w_cycle * min(1.0, max(0.0, (epoch - start) / max(1, end - start)))


def train_mapper(cfg: MapperConfig, run_dir: Path, device: str = "auto", resume: bool = False, quiet: bool = False) -> dict:
    """Train the mapper on precomputed image posteriors, both VAEs frozen."""
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    image_vae = load_vae(cfg.image_run, "image")
    sound_vae = load_vae(cfg.sound_run, "sound").to(dev)
    data = image_set(subset=cfg.subset, seed=cfg.seed)
    mu, logvar = image_posteriors(image_vae, data)
    mu, std = mu.to(dev), torch.exp(0.5 * logvar).to(dev)
    del data, image_vae
    mapper = Mapper(mu.shape[1], sound_vae.latent_dim, cfg.identity_start).to(dev)
    z_sound = sound_posterior_means(sound_vae, cfg.seed + 2, cfg.seed, device=dev, level_dist=sound_level_dist(cfg.sound_run))
    mapper.set_alignment(mu, z_sound, cfg.align_spread)
    opt = torch.optim.AdamW(mapper.parameters(), lr=cfg.lr)
    state: dict[str, Any] = {"epoch": 0, "history": []}
    ck_path = run_dir / "checkpoint.pt"
    if resume and ck_path.exists():
        state = restore(ck_path, {"model": mapper, "opt": opt}, ("epoch", "history"), "mapper", quiet)

    n = len(mu)
    steps = math.ceil(n / cfg.batch_size)
    for epoch in range(state["epoch"], cfg.epochs):
        w_cyc = cycle_weight(cfg, epoch)
        order = torch.randperm(n)
        rows = []
        with bar(steps, f"mapper {epoch + 1}/{cfg.epochs}", quiet) as pbar:
            for i in range(steps):
                set_lr(opt, cfg.lr, epoch * steps + i, cfg.warmup_epochs * steps)
                idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size].to(dev)
                z1 = mu[idx] + torch.randn_like(mu[idx]) * std[idx]
                z2 = mapper(z1)
                mu3, logvar3 = sound_vae.encode(sound_vae.decode(z2))
                z3 = mu3 + torch.randn_like(mu3) * torch.exp(0.5 * logvar3)
                locality = F.l1_loss(z2, mapper.align(z1), reduction="none").mean(0).sum()
                cycle = F.l1_loss(z3, z2)
                loss = cfg.w_locality * locality + w_cyc * cycle
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(mapper.parameters(), cfg.grad_clip)
                opt.step()
                rows.append({"loss": loss.item(), "locality": locality.item(), "cycle": cycle.item()})
                pbar.set_postfix(loc=f"{rows[-1]['locality']:.3g}", cyc=f"{rows[-1]['cycle']:.3g}")
                pbar.update()
        stats = mean_stats(rows) | {"w_cycle": w_cyc}
        state["history"].append(stats)
        state["epoch"] = epoch + 1
        log_epoch("mapper", epoch + 1, cfg.epochs, stats, quiet)
        checkpoint.save(ck_path, {"stage": "mapper", "net": {"latent_in": mu.shape[1], "latent_out": sound_vae.latent_dim},
                                  "config": as_dict(cfg), "model": mapper.state_dict(), "opt": opt.state_dict(),
                                  "rng": rng_state(), **state})
    return checkpoint.load(ck_path)


# ---------------------------------------------------------------- inversion

def train_inversion(cfg: InversionConfig, run_dir: Path, device: str = "auto", resume: bool = False,
                    quiet: bool = False) -> dict:
    """Regress (pitch, dB) from mel vectors: mostly the sound VAE's reconstructions, some clean.

    Checkpoints (and history rows) every tenth of the run, at most every 500 steps.
    """
    save_every = max(1, min(500, cfg.steps // 10))
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    sound_vae = load_vae(cfg.sound_run, "sound").to(dev)
    sounds = sound_set(cfg.n_pitches, seed=cfg.seed + 1, level_dist=sound_level_dist(cfg.sound_run))
    spec = sounds.spec
    net: dict[str, Any] = {"n_mels": sounds.unit_mel.shape[1], "hidden": cfg.hidden,
           "pitch_range": [spec.pitch_min, spec.pitch_max],
           "db_range": [20 * math.log10(spec.amp_min), 20 * math.log10(spec.amp_max)]}
    model = Inversion(**net).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    state: dict[str, Any] = {"step": 0, "history": []}
    ck_path = run_dir / "checkpoint.pt"
    if resume and ck_path.exists():
        state = restore(ck_path, {"model": model, "opt": opt}, ("step", "history"), "inversion", quiet)

    def save() -> None:
        checkpoint.save(ck_path, {"stage": "inversion", "net": net, "config": as_dict(cfg), "model": model.state_dict(),
                                  "opt": opt.state_dict(), "rng": rng_state(), **state})

    rows = []
    n_recon = int(cfg.batch_size * cfg.recon_fraction)
    with bar(cfg.steps, "inversion", quiet) as pbar:
        pbar.update(state["step"])
        for i in range(state["step"], cfg.steps):
            set_lr(opt, cfg.lr, i, 0, cfg.steps)       # cosine decay to 0, no warm-up
            mel, pitch, amp = sounds.sample(cfg.batch_size)
            mel = mel.to(dev)
            with torch.no_grad():
                mel[:n_recon] = sound_vae.decode(sound_vae.encode(mel[:n_recon])[0])
            target = torch.stack([pitch, 20 * torch.log10(amp)], 1).to(dev)
            target = (target - model.center) / model.half_span
            loss = F.smooth_l1_loss(model.normalised(mel), target, beta=0.01)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            rows.append({"loss": loss.item()})
            pbar.set_postfix(loss=f"{loss.item():.3g}")
            pbar.update()
            if (i + 1) % save_every == 0 or i + 1 == cfg.steps:
                state["step"] = i + 1
                state["history"].append(mean_stats(rows))
                log_epoch("inversion", i + 1, cfg.steps, state["history"][-1], quiet)
                rows = []
                save()
    return checkpoint.load(ck_path)
