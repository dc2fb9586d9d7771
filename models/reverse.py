"""`isudt train reverse`: the reverse mapper, sound latent -> image latent.

The daemon's way back hears a sine, runs the numpy mel front end and the
sound encoder, and must land on the image latent of the square that made
that sine. So the training data is exactly that: for every square position,
the forward chain's (pitch, dB) (image encoder mean -> mapper -> sound
decoder -> inversion), the sine at those parameters through `daemon/mel.py`
at several phases, and the sound encoder's mean of each; plus random sines
from the sound VAE's own distribution, which have no image to return to and
only see the published pair of losses (locality, cycle). All of it is
computed once per run from seeded generators, so a resumed run sees the same
data and takes the same next step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from isudt.daemon.mel import DEFAULT_MEL

from . import checkpoint
from .config import ReverseConfig, as_dict
from .data import image_set, numpy_sine_mels, random_phases
from .networks import ImageVAE, Inversion, Mapper, ReverseMapper, SoundVAE
from .train import (bar, image_posteriors, load_vae, log_epoch, mean_stats, pick_device, restore, rng_state,
                    set_lr, sound_level_dist)


@dataclass
class ReverseData:
    """Everything the reverse mapper trains on, as tensors."""

    z_image: torch.Tensor  # [P, Li] image posterior mean of each position
    xy: torch.Tensor       # [P, 2] the square's (x, y)
    params: torch.Tensor   # [P, 2] forward (MIDI pitch, dB) of each position
    played: torch.Tensor   # [K * P, Ls] sound-encoder means of the played sines; row r is position r % P
    random: torch.Tensor   # [R, Ls] sound-encoder means of random sines

    @property
    def positions(self) -> int:
        return len(self.z_image)


M = TypeVar("M", bound=torch.nn.Module)


def load_module(run: str | Path, cls: type[M]) -> M:
    """A trained mapper/inversion from its run directory, frozen, in eval mode."""
    ck = checkpoint.load(Path(run) / "checkpoint.pt")
    m = cls(**ck["net"])
    m.load_state_dict(ck["model"])
    return m.eval().requires_grad_(False)


@torch.no_grad()
def forward_params(z_image: torch.Tensor, mapper: Mapper, sound_vae: SoundVAE, inversion: Inversion) -> torch.Tensor:
    """(MIDI pitch, dB) the forward direction plays for each image latent: mapper, sound decoder, inversion."""
    return inversion(sound_vae.decode(mapper(z_image)))


@torch.no_grad()
def sound_means(sound_vae: SoundVAE, mel: np.ndarray, batch: int = 4096) -> torch.Tensor:
    x = torch.from_numpy(mel)
    return torch.cat([sound_vae.encode(x[k:k + batch])[0] for k in range(0, len(x), batch)])


def played_phases(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and signs for k sines per position: the first at offset 0 / sign +1 (`daemon.mel.sine`'s
    defaults, what the evaluation plays), the others seeded random phases."""
    offset, sign = random_phases(n * k, rng)
    offset[:n], sign[:n] = 0, 1.0
    return offset, sign


def build_data(cfg: ReverseConfig, image_vae: ImageVAE, sound_vae: SoundVAE, mapper: Mapper, inversion: Inversion,
               quiet: bool = False) -> ReverseData:
    """Played and random sines through the numpy front end and the sound encoder (seeded, deterministic)."""
    images = image_set(subset=cfg.subset, seed=cfg.seed)
    z_image = image_posteriors(image_vae, images)[0]
    params = forward_params(z_image, mapper, sound_vae, inversion)
    p, k = len(z_image), cfg.played_phases
    rng = np.random.default_rng(cfg.seed + 7)
    offset, sign = played_phases(p, k, rng)
    pitch, db = np.tile(params[:, 0].double().numpy(), k), np.tile(params[:, 1].double().numpy(), k)
    played = numpy_sine_mels(pitch, db, offset, sign, desc=None if quiet else "reverse: played sines")
    rand = random_sine_mels(cfg.random_sines, rng, cfg.sound_run, None if quiet else "reverse: random sines")
    return ReverseData(z_image, images.xy.float(), params, sound_means(sound_vae, played), sound_means(sound_vae, rand))


def random_sine_mels(n: int, rng: np.random.Generator, sound_run: str, desc: str | None) -> np.ndarray:
    """Mel vectors of n seeded random sines (pitch, level, offset, sign) as the sound VAE's data draws them."""
    s = DEFAULT_MEL
    pitch, db = rng.uniform(s.pitch_min, s.pitch_max, n), random_db(n, rng, sound_run)
    offset, sign = random_phases(n, rng)
    return numpy_sine_mels(pitch, db, offset, sign, desc=desc)


def random_db(n: int, rng: np.random.Generator, sound_run: str) -> np.ndarray:
    """Levels of the unpaired sines, distributed as in the sound VAE's training data."""
    s = DEFAULT_MEL
    if sound_level_dist(sound_run) == "db":
        return rng.uniform(20 * np.log10(s.amp_min), 20 * np.log10(s.amp_max), n)
    return 20 * np.log10(rng.uniform(s.amp_min, s.amp_max, n))


def cycle_weight(cfg: ReverseConfig, epoch: int) -> float:
    start, end = cfg.cycle_ramp
    return cfg.w_cycle * min(1.0, max(0.0, (epoch - start) / max(1, end - start)))


@torch.no_grad()
def nearest_position(z: torch.Tensor, table_z: torch.Tensor, table_xy: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """The (x, y) of the table latent nearest to each z: how a position is read from an image latent."""
    out = [table_xy[torch.cdist(z[k:k + chunk], table_z).argmin(1)] for k in range(0, len(z), chunk)]
    return torch.cat(out) if out else table_xy[:0]


@torch.no_grad()
def round_trip_px(rev: ReverseMapper, data: ReverseData, rows: torch.Tensor) -> torch.Tensor:
    """px distance between the true square and the position read from rev(played sine), for `rows` of `played`."""
    pos = nearest_position(rev(data.played[rows]), data.z_image, data.xy)
    return torch.linalg.norm(pos - data.xy[rows % data.positions], dim=1)


def monitor(rev: ReverseMapper, data: ReverseData, n_other: int = 4000) -> dict[str, float]:
    """Round trip at offset 0 (the evaluation's sines) and at the other phases, median and p95 px."""
    rev.eval()
    p = data.positions
    e0 = round_trip_px(rev, data, torch.arange(p))
    stats = {"rt_med_px": e0.median().item(), "rt_p95_px": torch.quantile(e0, 0.95).item()}
    if len(data.played) > p:
        g = torch.Generator().manual_seed(0)
        rows = p + torch.randint(len(data.played) - p, (n_other,), generator=g)
        e1 = round_trip_px(rev, data, rows)
        stats |= {"rt_phase_med_px": e1.median().item(), "rt_phase_p95_px": torch.quantile(e1, 0.95).item()}
    rev.train()
    return stats


def losses(rev: ReverseMapper, image_vae: ImageVAE, zs: torch.Tensor, target: torch.Tensor, n_played: int,
           cyc_idx: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loop, locality, cycle) for one batch; the first n_played rows of zs are played sines with `target`."""
    z2 = rev(zs)
    loop = F.l1_loss(z2[:n_played], target, reduction="none").mean(0).sum()
    locality = F.l1_loss(z2, rev.align(zs), reduction="none").mean(0).sum()
    cycle = z2.new_zeros(())
    if cyc_idx is not None:
        z = z2[cyc_idx]
        mu3, logvar3 = image_vae.encode(image_vae.decoder.full_size(z))
        cycle = F.l1_loss(mu3 + torch.randn_like(mu3) * torch.exp(0.5 * logvar3), z)
    return loop, locality, cycle


def train_reverse(cfg: ReverseConfig, run_dir: Path, device: str = "auto", resume: bool = False,
                  quiet: bool = False) -> dict:
    """Train the reverse mapper with all four earlier stages frozen; checkpoint every epoch."""
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    image_vae = load_vae(cfg.image_run, "image")
    sound_vae = load_vae(cfg.ear_run or cfg.sound_run, "sound")   # the encoder the daemon will hear with
    mapper = load_module(cfg.mapper_run, Mapper)
    inversion = load_module(cfg.inversion_run, Inversion)
    data = build_data(cfg, image_vae, sound_vae, mapper, inversion, quiet)
    image_vae.to(dev)
    rev = ReverseMapper(sound_vae.latent_dim, image_vae.latent_dim, identity_start=True)
    rev.set_inverse_alignment(mapper)
    rev.to(dev)
    opt = torch.optim.AdamW(rev.parameters(), lr=cfg.lr)
    state: dict[str, Any] = {"epoch": 0, "history": []}
    ck_path = run_dir / "checkpoint.pt"
    if resume and ck_path.exists():
        state = restore(ck_path, {"model": rev, "opt": opt}, ("epoch", "history"), "reverse", quiet)

    n_random = int(cfg.batch_size * cfg.random_fraction)
    n_played = cfg.batch_size - n_random
    steps = math.ceil(len(data.played) / n_played)
    played, random, z_image = data.played.to(dev), data.random.to(dev), data.z_image.to(dev)
    for epoch in range(state["epoch"], cfg.epochs):
        w_cyc = cycle_weight(cfg, epoch)
        order = torch.randperm(len(played))
        rows = []
        with bar(steps, f"reverse {epoch + 1}/{cfg.epochs}", quiet) as pbar:
            for i in range(steps):
                set_lr(opt, cfg.lr, epoch * steps + i, cfg.warmup_epochs * steps)
                idx = order[i * n_played:(i + 1) * n_played]
                ridx = torch.randint(len(random), (n_random,))
                zs = torch.cat([played[idx.to(dev)], random[ridx.to(dev)]])
                cyc_idx = torch.randperm(len(zs))[:cfg.cycle_batch].to(dev) if w_cyc > 0 else None
                loop, locality, cycle = losses(rev, image_vae, zs, z_image[(idx % data.positions).to(dev)], len(idx), cyc_idx)
                loss = cfg.w_loop * loop + cfg.w_locality * locality + w_cyc * cycle
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(rev.parameters(), cfg.grad_clip)
                opt.step()
                rows.append({"loss": loss.item(), "loop": loop.item(), "locality": locality.item(), "cycle": cycle.item()})
                pbar.set_postfix(loop=f"{rows[-1]['loop']:.3g}", loc=f"{rows[-1]['locality']:.3g}")
                pbar.update()
        stats = mean_stats(rows) | {"w_cycle": w_cyc} | monitor(rev, data)
        state["history"].append(stats)
        state["epoch"] = epoch + 1
        log_epoch("reverse", epoch + 1, cfg.epochs, stats, quiet)
        checkpoint.save(ck_path, {"stage": "reverse", "net": {"latent_in": sound_vae.latent_dim,
                                                              "latent_out": image_vae.latent_dim},
                                  "config": as_dict(cfg), "model": rev.state_dict(), "opt": opt.state_dict(),
                                  "rng": rng_state(), **state})
    return checkpoint.load(ck_path)
