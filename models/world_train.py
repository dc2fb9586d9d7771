"""The stages of a world other than square -> sine: image VAE, sound VAE, inversion, mapper, reverse mapper.

Same rules as the square world's stages (`models/train.py`): seeded, a
progress bar with live losses and a time estimate, a checkpoint after every
epoch (every tenth of the steps for the inversion), `resume=True` continues
from it. The mapper follows the method: locality (pairwise distances, each
matrix normalised by its mean), a cycle through synthesis (map -> decode ->
invert -> render -> encode, the synth rendered in torch) and an MMD term
that keeps mapped points where the synth's real sounds live.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable, TypeVar, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from isudt.daemon.mel import mel_vectors
from isudt.daemon.synths import render as render_numpy

from . import checkpoint, distributed
from .data import TorchMel
from .factor_vae import Weights, step
from .image_data import ImageDomain, load_domain
from .networks import VAE, Discriminator, Mapper, ReverseMapper, SoundVAE, SynthInversion, WorldImageVAE
from .synth_torch import render as render_torch
from .train import bar, log_epoch, mean_stats, pick_device, restore, rng_state, set_lr
from .world import SoundDomain, WorldConfig, sound_domain

WORLD_STAGES = ("image", "sound", "inversion", "mapper", "ear", "reverse")


# ---------------------------------------------------------------- data, cached per process

_CACHE: dict = {}


def image_domain(cfg: WorldConfig) -> ImageDomain:
    key = ("image", cfg.data, cfg.image_size, cfg.held_out, cfg.seed)
    if key not in _CACHE:
        _CACHE[key] = load_domain(cfg.data, cfg.image_size, cfg.held_out, cfg.seed)
    return _CACHE[key]


def sounds_of(cfg: WorldConfig, n: int, seed: int) -> SoundDomain:
    key = ("sound", cfg.synth, cfg.level_db, tuple(sorted(cfg.mel.items())), n, seed)
    if key not in _CACHE:
        _CACHE[key] = sound_domain(cfg.synth_def, cfg.mel_spec, n, seed)
    return _CACHE[key]


def train_images(cfg: WorldConfig) -> torch.Tensor:
    return torch.from_numpy(image_domain(cfg).split("train")[0]).unsqueeze(1)


# ---------------------------------------------------------------- networks from checkpoints

M = TypeVar("M", bound=torch.nn.Module)


def frozen(cls: type[M], ck: dict) -> M:
    """The network a stage's checkpoint holds, in eval mode and frozen."""
    net = cls(**ck["net"])
    net.load_state_dict(ck["model"])
    return net.eval().requires_grad_(False)


def image_vae_of(ck: dict) -> WorldImageVAE:
    return frozen(WorldImageVAE, ck)


def sound_vae_of(ck: dict) -> SoundVAE:
    return frozen(SoundVAE, ck)


def inversion_of(ck: dict) -> SynthInversion:
    return frozen(SynthInversion, ck)


def mapper_of(ck: dict) -> Mapper:
    return frozen(Mapper, ck)


def stage_ck(runs: Path, stage: str) -> dict:
    path = runs / stage / "checkpoint.pt"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: train the {stage} stage first (isudt train {stage} --world ...)")
    return checkpoint.load(path)


@torch.no_grad()
def posteriors(encode: Callable, x: torch.Tensor, batch: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    outs = [encode(x[i:i + batch]) for i in range(0, len(x), batch)]
    return torch.cat([o[0] for o in outs]), torch.cat([o[1] for o in outs])


def resumable(ck_path: Path, parts: dict, stage: str, resume: bool, quiet: bool,
              keys: tuple[str, ...] = ("epoch", "history")) -> dict[str, Any]:
    """A stage's progress: fresh, or restored with `parts` (name -> module/optimiser) from its last checkpoint."""
    if resume and ck_path.exists():
        return restore(ck_path, parts, keys, stage, quiet)
    return {keys[0]: 0, "history": []}


# ---------------------------------------------------------------- the two FactorVAEs

def train_world_vae(domain: str, cfg: WorldConfig, run_dir: Path, device: str = "auto", resume: bool = False,
                    quiet: bool = False) -> dict:
    """The image or the sound FactorVAE of a world; data-parallel when launched by torchrun (models/distributed.py)."""
    ranks, dev = distributed.setup(pick_device(device))
    quiet = quiet or not ranks.main
    st = cfg.image if domain == "image" else cfg.sound
    torch.manual_seed(cfg.seed)
    if domain == "image":
        x_all = train_images(cfg)
        net: dict[str, Any] = {"latent": st.latent, "width": st.width, "res_blocks": cfg.image.res_blocks,
                               "size": cfg.image_size, "init_logvar": st.init_logvar}
        vae: WorldImageVAE | SoundVAE = WorldImageVAE(**net).to(dev)
        steps = math.ceil(len(x_all) / st.batch_size)
        rec_loss: Callable = F.mse_loss
    else:
        sounds = torch.from_numpy(sounds_of(cfg, cfg.sound.n_sounds, cfg.seed).mel)
        net = {"latent": st.latent, "width": st.width, "n_mels": cfg.mel_spec.n_mels, "init_logvar": st.init_logvar}
        vae = SoundVAE(**net).to(dev)
        steps = cfg.sound.steps_per_epoch
        rec_loss = F.l1_loss
    disc = Discriminator(st.latent, st.disc_hidden, st.disc_layers).to(dev)
    opt = torch.optim.AdamW(vae.parameters(), lr=st.lr)
    disc_opt = torch.optim.AdamW(disc.parameters(), lr=st.disc_lr)
    ck_path = run_dir / "checkpoint.pt"
    state = resumable(ck_path, {"model": vae, "disc": disc, "opt": opt, "disc_opt": disc_opt}, domain, resume, quiet)
    model: torch.nn.Module = vae
    critic: torch.nn.Module = disc
    if ranks.world > 1:
        model, critic = distributed.ParallelVAE(vae), DistributedDataParallel(disc)
    for epoch in range(state["epoch"], st.epochs):
        vae.train()
        rows = []
        if domain == "image":
            order, order2 = torch.randperm(len(x_all)), torch.randperm(len(x_all))
        with bar(steps, f"{cfg.name} {domain} {epoch + 1}/{st.epochs}", quiet) as pbar:
            for i in range(steps):
                set_lr(opt, st.lr, epoch * steps + i, st.warmup_epochs * steps)
                if domain == "image":
                    sl = slice(i * st.batch_size, (i + 1) * st.batch_size)
                    x, x2 = x_all[order[sl]].to(dev), x_all[order2[sl]].to(dev)
                else:
                    x = sounds[torch.randint(len(sounds), (st.batch_size,))].to(dev)
                    x2 = sounds[torch.randint(len(sounds), (st.batch_size,))].to(dev)
                x, x2 = ranks.shard(x), ranks.shard(x2)
                # a DDP wrapper forwards (and answers encode) like the module it wraps
                rows.append(step(cast(VAE, model), cast(Discriminator, critic), opt, disc_opt, x, x, x2, rec_loss,
                                 Weights(st.w_rec, st.w_kld, st.w_tc), st.grad_clip))
                pbar.set_postfix(rec=f"{rows[-1]['rec']:.3g}", kld=f"{rows[-1]['kld']:.3g}", tc=f"{rows[-1]['tc']:.3g}")
                pbar.update()
        state["history"].append(mean_stats(rows))
        state["epoch"] = epoch + 1
        log_epoch(f"{cfg.name} {domain}", epoch + 1, st.epochs, state["history"][-1], quiet)
        if ranks.main:
            checkpoint.save(ck_path, {"stage": domain, "world": cfg.as_dict(), "net": net, "model": vae.state_dict(),
                                      "disc": disc.state_dict(), "opt": opt.state_dict(),
                                      "disc_opt": disc_opt.state_dict(), "rng": rng_state(), **state})
    if ranks.world > 1:
        agreement = distributed.ranks_agree(vae, ranks)
        if ranks.main:
            checkpoint.save(ck_path, checkpoint.load(ck_path) | {"ddp": agreement})
        distributed.teardown()
    return checkpoint.load(ck_path)


# ---------------------------------------------------------------- inversion: decoded mel -> synth parameters

def train_world_inversion(cfg: WorldConfig, runs: Path, device: str = "auto", resume: bool = False,
                          quiet: bool = False) -> dict:
    """Regress the synth's parameters (on their own scales) from mel vectors, mostly the VAE's reconstructions."""
    st, dev = cfg.inversion, pick_device(device)
    torch.manual_seed(cfg.seed)
    sound_vae = sound_vae_of(stage_ck(runs, "sound")).to(dev)
    data = sounds_of(cfg, cfg.sound.n_sounds, cfg.seed + 1)
    mel, unit = torch.from_numpy(data.mel), torch.from_numpy(data.unit)
    synth = cfg.synth_def
    net = {"n_mels": cfg.mel_spec.n_mels, "hidden": st.hidden, "lo": tuple(p.min for p in synth.params),
           "hi": tuple(p.max for p in synth.params), "log": tuple(p.scale == "log" for p in synth.params)}
    model = SynthInversion(**net).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=st.lr)
    ck_path = runs / "inversion" / "checkpoint.pt"
    state = resumable(ck_path, {"model": model, "opt": opt}, "inversion", resume, quiet, ("step", "history"))
    save_every = max(1, min(500, st.steps // 10))
    n_recon = int(st.batch_size * st.recon_fraction)
    rows = []
    with bar(st.steps, f"{cfg.name} inversion", quiet) as pbar:
        pbar.update(state["step"])
        for i in range(state["step"], st.steps):
            set_lr(opt, st.lr, i, 0, st.steps)        # cosine decay to 0, no warm-up
            idx = torch.randint(len(mel), (st.batch_size,))
            x, target = mel[idx].to(dev), unit[idx].to(dev)
            with torch.no_grad():
                x[:n_recon] = sound_vae.decode(sound_vae.encode(x[:n_recon])[0])
            loss = F.smooth_l1_loss(model.unit(x), target, beta=0.01)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            rows.append({"loss": loss.item()})
            pbar.set_postfix(loss=f"{loss.item():.3g}")
            pbar.update()
            if (i + 1) % save_every == 0 or i + 1 == st.steps:
                state["step"] = i + 1
                state["history"].append(mean_stats(rows))
                log_epoch(f"{cfg.name} inversion", i + 1, st.steps, state["history"][-1], quiet)
                rows = []
                checkpoint.save(ck_path, {"stage": "inversion", "world": cfg.as_dict(), "net": net,
                                          "model": model.state_dict(), "opt": opt.state_dict(), "rng": rng_state(),
                                          **state})
    return checkpoint.load(ck_path)


# ---------------------------------------------------------------- mapper

def normalised_distances(z: torch.Tensor) -> torch.Tensor:
    d = torch.cdist(z, z)
    return d / d.mean().clamp_min(1e-8)


def locality_loss(z_in: torch.Tensor, z_out: torch.Tensor) -> torch.Tensor:
    """Pairwise distances before and after the map, each matrix normalised by its mean (the method's locality)."""
    return (normalised_distances(z_in) - normalised_distances(z_out)).abs().mean()


def mmd(a: torch.Tensor, b: torch.Tensor, scales: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0)) -> torch.Tensor:
    """Maximum mean discrepancy with a sum of RBF kernels (bandwidths relative to b's mean squared distance)."""
    ref = torch.cdist(b, b).pow(2).mean().detach().clamp_min(1e-8)
    xx, yy, xy = torch.cdist(a, a).pow(2), torch.cdist(b, b).pow(2), torch.cdist(a, b).pow(2)
    total = a.new_zeros(())
    for s in scales:
        h = s * ref
        total = total + torch.exp(-xx / h).mean() + torch.exp(-yy / h).mean() - 2 * torch.exp(-xy / h).mean()
    return total


class SynthCycle:
    """z_sound -> decoded mel -> inversion -> synth (torch) -> mel -> sound encoder mean: what the voice re-encodes to."""

    def __init__(self, cfg: WorldConfig, sound_vae: SoundVAE, inversion: SynthInversion) -> None:
        self.synth, self.spec = cfg.synth_def, cfg.mel_spec
        self.sound_vae, self.inversion = sound_vae, inversion
        self.mel = TorchMel(self.spec)

    def params(self, z_sound: torch.Tensor) -> torch.Tensor:
        return self.inversion(self.sound_vae.decode(z_sound))

    def __call__(self, z_sound: torch.Tensor, offset: torch.Tensor | None = None) -> torch.Tensor:
        wave = render_torch(self.synth, self.params(z_sound), self.spec.n_samples, self.spec.sample_rate, offset)
        return self.sound_vae.encode(self.mel(wave))[0]


def cycle_weight(w: float, ramp: tuple[int, int], epoch: int) -> float:
    start, end = ramp
    return w * min(1.0, max(0.0, (epoch - start) / max(1, end - start)))


def train_world_mapper(cfg: WorldConfig, runs: Path, device: str = "auto", resume: bool = False,
                       quiet: bool = False) -> dict:
    st, dev = cfg.mapper, pick_device(device)
    torch.manual_seed(cfg.seed)
    image_vae = image_vae_of(stage_ck(runs, "image"))
    sound_vae = sound_vae_of(stage_ck(runs, "sound")).to(dev)
    cycle = SynthCycle(cfg, sound_vae, inversion_of(stage_ck(runs, "inversion")).to(dev))
    mu, logvar = posteriors(image_vae.encode, train_images(cfg))
    mu, std = mu.to(dev), torch.exp(0.5 * logvar).to(dev)
    z_real = posteriors(sound_vae.encode, torch.from_numpy(sounds_of(cfg, cfg.sound.n_sounds, cfg.seed).mel))[0].to(dev)
    net: dict[str, Any] = {"latent_in": mu.shape[1], "latent_out": sound_vae.latent_dim}
    mapper = Mapper(**net).to(dev)
    mapper.set_alignment(mu, z_real, st.align_spread)
    opt = torch.optim.AdamW(mapper.parameters(), lr=st.lr)
    ck_path = runs / "mapper" / "checkpoint.pt"
    state = resumable(ck_path, {"model": mapper, "opt": opt}, "mapper", resume, quiet)
    n = len(mu)
    steps = math.ceil(n / st.batch_size)
    spec = cfg.mel_spec
    for epoch in range(state["epoch"], st.epochs):
        w_cyc = cycle_weight(st.w_cycle, st.cycle_ramp, epoch)
        order = torch.randperm(n)
        rows = []
        with bar(steps, f"{cfg.name} mapper {epoch + 1}/{st.epochs}", quiet) as pbar:
            for i in range(steps):
                set_lr(opt, st.lr, epoch * steps + i, st.warmup_epochs * steps)
                idx = order[i * st.batch_size:(i + 1) * st.batch_size].to(dev)
                z1 = mu[idx] + torch.randn_like(mu[idx]) * std[idx]
                z2 = mapper(z1)
                locality = locality_loss(z1, z2)
                spread = mmd(z2, z_real[torch.randint(len(z_real), (len(z2),), device=dev)])
                loss = st.w_locality * locality + st.w_mmd * spread
                cyc = torch.zeros(())
                if w_cyc > 0:
                    offset = torch.randint(0, spec.sample_rate - spec.n_samples, (len(z2),), device=dev)
                    cyc = F.l1_loss(cycle(z2, offset), z2)
                    loss = loss + w_cyc * cyc
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(mapper.parameters(), st.grad_clip)
                opt.step()
                rows.append({"loss": loss.item(), "locality": locality.item(), "mmd": spread.item(),
                             "cycle": cyc.item()})
                pbar.set_postfix(loc=f"{locality.item():.3g}", mmd=f"{spread.item():.3g}", cyc=f"{cyc.item():.3g}")
                pbar.update()
        state["history"].append(mean_stats(rows) | {"w_cycle": w_cyc})
        state["epoch"] = epoch + 1
        log_epoch(f"{cfg.name} mapper", epoch + 1, st.epochs, state["history"][-1], quiet)
        checkpoint.save(ck_path, {"stage": "mapper", "world": cfg.as_dict(), "net": net, "model": mapper.state_dict(),
                                  "opt": opt.state_dict(), "rng": rng_state(), **state})
    return checkpoint.load(ck_path)


# ---------------------------------------------------------------- the voices the forward direction plays, as heard

def hearing_vae(runs: Path) -> SoundVAE:
    """The sound VAE whose encoder hears the played voices: the ear's refinement when trained, else the sound VAE's."""
    return sound_vae_of(stage_ck(runs, "ear" if (runs / "ear" / "checkpoint.pt").exists() else "sound"))


def played_mels(cfg: WorldConfig, runs: Path, z_image: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mel vectors as the daemon hears them, the sound latents they were decoded from) of the voices the forward
    direction plays for `z_image`: the numpy synth and the numpy mel front end, at the given start offsets."""
    sound_vae = sound_vae_of(stage_ck(runs, "sound"))
    inversion = inversion_of(stage_ck(runs, "inversion"))
    mapper = mapper_of(stage_ck(runs, "mapper"))
    with torch.no_grad():
        z_sound = mapper(torch.from_numpy(z_image).float())
        params = inversion(sound_vae.decode(z_sound)).double().numpy()
    spec, out = cfg.mel_spec, []
    for k in range(0, len(params), 512):
        waves = render_numpy(cfg.synth_def, params[k:k + 512], spec.n_samples, spec.sample_rate, offsets[k:k + 512])
        out.append(mel_vectors(waves, spec))
    return np.concatenate(out).astype(np.float32), z_sound.numpy()


def heard_latents(cfg: WorldConfig, runs: Path, z_image: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The hearing encoder's means of the voices the forward direction plays for `z_image`."""
    mel = torch.from_numpy(played_mels(cfg, runs, z_image, offsets)[0])
    return posteriors(hearing_vae(runs).encode, mel)[0].numpy()


def played_set(cfg: WorldConfig, runs: Path, phases: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every training image's latent, `phases` times: the first at offset 0, the others at seeded random offsets."""
    mu = posteriors(image_vae_of(stage_ck(runs, "image")).encode, train_images(cfg))[0].numpy()
    rng = np.random.default_rng(seed)
    spec = cfg.mel_spec
    offsets = np.concatenate([np.zeros(len(mu), np.int64)] + [rng.integers(0, spec.sample_rate - spec.n_samples, len(mu))
                                                              for _ in range(phases - 1)])
    return np.repeat(mu, phases, axis=0), offsets.reshape(phases, len(mu)).T.reshape(-1)


# ---------------------------------------------------------------- the ear: the sound encoder refined on played voices

def train_world_ear(cfg: WorldConfig, runs: Path, device: str = "auto", resume: bool = False,
                    quiet: bool = False) -> dict:
    """Refine the sound encoder (decoder kept bit for bit) so a played voice encodes back to the sound latent it was
    decoded from; random synth sounds keep the trained encoder's means (`w_keep`)."""
    st, dev = cfg.ear, pick_device(device)
    torch.manual_seed(cfg.seed)
    z_img, offsets = played_set(cfg, runs, st.phases, cfg.seed + 11)
    if not quiet:
        print(f"[{cfg.name} ear] playing {len(z_img)} voices", flush=True)
    mel, z_target = (torch.from_numpy(a).to(dev) for a in played_mels(cfg, runs, z_img, offsets))
    sound_ck = stage_ck(runs, "sound")
    vae = SoundVAE(**sound_ck["net"])
    vae.load_state_dict(sound_ck["model"])
    vae.decoder.requires_grad_(False)
    vae = vae.to(dev)
    keep_mel = torch.from_numpy(sounds_of(cfg, st.keep_sounds, cfg.seed + 13).mel).to(dev)
    with torch.no_grad():
        keep_mu = vae.encode(keep_mel)[0]
    opt = torch.optim.AdamW(vae.encoder.parameters(), lr=st.lr)
    ck_path = runs / "ear" / "checkpoint.pt"
    state = resumable(ck_path, {"model": vae, "opt": opt}, "ear", resume, quiet)
    n = len(mel)
    steps = math.ceil(n / st.batch_size)
    for epoch in range(state["epoch"], st.epochs):
        vae.train()
        order = torch.randperm(n)
        rows = []
        with bar(steps, f"{cfg.name} ear {epoch + 1}/{st.epochs}", quiet) as pbar:
            for i in range(steps):
                set_lr(opt, st.lr, epoch * steps + i, st.warmup_epochs * steps, st.epochs * steps)
                idx = order[i * st.batch_size:(i + 1) * st.batch_size].to(dev)
                heard = F.l1_loss(vae.encode(mel[idx])[0], z_target[idx])
                k = torch.randint(len(keep_mel), (st.batch_size,), device=dev)
                keep = F.l1_loss(vae.encode(keep_mel[k])[0], keep_mu[k])
                loss = heard + st.w_keep * keep
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(vae.encoder.parameters(), st.grad_clip)
                opt.step()
                rows.append({"loss": loss.item(), "heard": heard.item(), "keep": keep.item()})
                pbar.set_postfix(heard=f"{heard.item():.3g}", keep=f"{keep.item():.3g}")
                pbar.update()
        state["history"].append(mean_stats(rows))
        state["epoch"] = epoch + 1
        log_epoch(f"{cfg.name} ear", epoch + 1, st.epochs, state["history"][-1], quiet)
        checkpoint.save(ck_path, {"stage": "ear", "world": cfg.as_dict(), "net": sound_ck["net"],
                                  "model": vae.state_dict(), "opt": opt.state_dict(), "rng": rng_state(), **state})
    return checkpoint.load(ck_path)


# ---------------------------------------------------------------- reverse mapper: what the daemon hears -> image latent

def train_world_reverse(cfg: WorldConfig, runs: Path, device: str = "auto", resume: bool = False,
                        quiet: bool = False) -> dict:
    """Sound latent -> image latent, on the means of what the daemon hears when it plays each training image."""
    st, dev = cfg.reverse, pick_device(device)
    torch.manual_seed(cfg.seed)
    z_img, offsets = played_set(cfg, runs, st.phases, cfg.seed + 7)
    if not quiet:
        print(f"[{cfg.name} reverse] hearing {len(z_img)} played voices", flush=True)
    z_heard = torch.from_numpy(heard_latents(cfg, runs, z_img, offsets)).to(dev)
    z_target = torch.from_numpy(z_img).float().to(dev)
    forward = mapper_of(stage_ck(runs, "mapper"))
    net: dict[str, Any] = {"latent_in": forward.out_mean.numel(), "latent_out": forward.in_mean.numel()}
    model = ReverseMapper(**net).to(dev)
    model.set_inverse_alignment(forward)
    opt = torch.optim.AdamW(model.parameters(), lr=st.lr)
    ck_path = runs / "reverse" / "checkpoint.pt"
    state = resumable(ck_path, {"model": model, "opt": opt}, "reverse", resume, quiet)
    n = len(z_heard)
    steps = math.ceil(n / st.batch_size)
    for epoch in range(state["epoch"], st.epochs):
        order = torch.randperm(n)
        rows = []
        with bar(steps, f"{cfg.name} reverse {epoch + 1}/{st.epochs}", quiet) as pbar:
            for i in range(steps):
                set_lr(opt, st.lr, epoch * steps + i, st.warmup_epochs * steps, st.epochs * steps)
                idx = order[i * st.batch_size:(i + 1) * st.batch_size].to(dev)
                out = model(z_heard[idx])
                loop = F.l1_loss(out, z_target[idx])
                locality = locality_loss(z_heard[idx], out)
                loss = loop + st.w_locality * locality
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), st.grad_clip)
                opt.step()
                rows.append({"loss": loss.item(), "loop": loop.item(), "locality": locality.item()})
                pbar.set_postfix(loop=f"{loop.item():.3g}")
                pbar.update()
        state["history"].append(mean_stats(rows))
        state["epoch"] = epoch + 1
        log_epoch(f"{cfg.name} reverse", epoch + 1, st.epochs, state["history"][-1], quiet)
        checkpoint.save(ck_path, {"stage": "reverse", "world": cfg.as_dict(), "net": net, "model": model.state_dict(),
                                  "opt": opt.state_dict(), "rng": rng_state(), **state})
    return checkpoint.load(ck_path)


def train_world(stage: str, cfg: WorldConfig, runs: Path, device: str = "auto", resume: bool = False,
                quiet: bool = False) -> dict:
    """One stage of a world; its checkpoint goes to runs/<stage>/checkpoint.pt, with the wall time it took
    (`wall_seconds`, summed over resumed runs: the README's stage times come from it)."""
    trainers = {"inversion": train_world_inversion, "mapper": train_world_mapper, "ear": train_world_ear,
                "reverse": train_world_reverse}
    if stage not in (*trainers, "image", "sound"):
        raise ValueError(f"a world has no stage {stage!r}: choose {', '.join(WORLD_STAGES)}")
    (runs / stage).mkdir(parents=True, exist_ok=True)
    ck_path = runs / stage / "checkpoint.pt"
    before = checkpoint.load(ck_path).get("wall_seconds", 0.0) if resume and ck_path.exists() else 0.0
    start = time.monotonic()
    if stage in ("image", "sound"):
        ck = train_world_vae(stage, cfg, runs / stage, device, resume, quiet)
    else:
        ck = trainers[stage](cfg, runs, device, resume, quiet)
    ck["wall_seconds"] = round(before + time.monotonic() - start, 1)
    if distributed.main_process():
        checkpoint.save(ck_path, ck)
    return ck
