"""`isudt train ear`: the sound encoder refined to hear the sines the forward direction plays.

Why this stage exists: the way back reads a square's position from the sound
encoder's mean of the sine that square made, and the forward map spends only
~0.17 dB of level per pixel of y. The sound VAE's encoder was trained as a
VAE, so its mean only needs to be as precise as its posterior is wide: over
the played sines it identifies the square to ~6 px (nearest neighbour on
held-out positions), while the sines themselves, as (pitch, dB), identify it
to 1 px. No reverse mapper can recover what the encoder threw away.

What it does: the decoder is kept bit for bit (so the mapper, the inversion
and every forward sound the daemon plays are unchanged) and the encoder,
starting from the trained one, learns to put each played sine where the
forward direction took it from: the mapper's output for that square's image
latent, i.e. the latent the decoder turned into that very sine. Terms:

- `played`: sines at phase 0 / sign +1 (what the evaluation plays and what the
  daemon's zero-crossing-aligned window sees) -> that latent;
- `phase`: the same sines at seeded random offsets and signs -> that latent
  (a live microphone is never exactly aligned);
- `keep`: random sines from the sound VAE's own distribution stay at the
  trained encoder's mean (the latent keeps its layout where nothing is played);
- `recon`: the frozen decoder reconstructs those random sines from the new
  mean (it stays the decoder's encoder);
- `decoded`: the decoder's own spectrum of each played latent encodes back to
  that latent (the cycle the mapper was trained through: without it the
  encoder learns the real sines and drifts on the decoded ones, cycle
  agreement 0.044 -> 0.22).

The output is a full sound VAE checkpoint (trained decoder, refined encoder)
that `isudt train reverse` and `isudt export` take in place of the sound VAE's.
All data is computed once from seeded generators, so a resumed run takes the
same next step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoint
from .config import EarConfig, as_dict
from .data import image_set, numpy_sine_mels, random_phases
from .networks import Inversion, Mapper, SoundVAE
from .reverse import forward_params, load_module, nearest_position, random_sine_mels
from .train import bar, image_posteriors, load_vae, log_epoch, mean_stats, pick_device, restore, rng_state, set_lr, vae_of


@dataclass
class EarData:
    """The sines the ear learns from, as mel vectors, with their targets."""

    xy: torch.Tensor        # [P, 2] the square's (x, y)
    z_played: torch.Tensor  # [P, Ls] the sound latent the forward direction decoded into each square's sine
    mel0: torch.Tensor      # [P, M] each square's sine at phase 0 / sign +1
    mel_phase: torch.Tensor # [P, M] the same sine at a seeded random offset and sign
    mel_random: torch.Tensor  # [R, M] random sines from the sound VAE's distribution
    z_keep: torch.Tensor    # [R, Ls] the trained encoder's mean of each random sine


def build_data(cfg: EarConfig, sound_vae: SoundVAE, quiet: bool = False) -> EarData:
    """Played sines (phase 0 and a random phase) and random sines through the numpy front end (seeded)."""
    image_vae = load_vae(cfg.image_run, "image")
    mapper = load_module(cfg.mapper_run, Mapper)
    images = image_set(subset=cfg.subset, seed=cfg.seed)
    z_image = image_posteriors(image_vae, images)[0]
    with torch.no_grad():
        z_played = mapper(z_image)
    params = forward_params(z_image, mapper, sound_vae, load_module(cfg.inversion_run, Inversion))
    pitch, db = params[:, 0].double().numpy(), params[:, 1].double().numpy()
    rng = np.random.default_rng(cfg.seed + 11)
    mel0 = numpy_sine_mels(pitch, db, desc=None if quiet else "ear: played sines")
    offset, sign = random_phases(len(pitch), rng)
    mel_phase = numpy_sine_mels(pitch, db, offset, sign, desc=None if quiet else "ear: played sines, other phases")
    mel_random = torch.from_numpy(random_sine_mels(cfg.random_sines, rng, cfg.sound_run,
                                                   None if quiet else "ear: random sines"))
    with torch.no_grad():
        z_keep = sound_vae.encode(mel_random)[0]
    return EarData(images.xy.float(), z_played, torch.from_numpy(mel0), torch.from_numpy(mel_phase), mel_random, z_keep)


@torch.no_grad()
def hearing_px(encoder: torch.nn.Module, data: EarData, mel: torch.Tensor) -> torch.Tensor:
    """px between each square and the square whose played latent is nearest to encoder(its sine).

    The best any reverse mapper could do with this encoder: an exact inverse of the mapper.
    """
    return torch.linalg.norm(nearest_position(encoder(mel)[0], data.z_played, data.xy) - data.xy, dim=1)


def monitor(encoder: torch.nn.Module, data: EarData) -> dict[str, float]:
    encoder.eval()
    e0, e1 = hearing_px(encoder, data, data.mel0), hearing_px(encoder, data, data.mel_phase)
    encoder.train()
    return {"heard_med_px": e0.median().item(), "heard_p95_px": torch.quantile(e0, 0.95).item(),
            "heard_phase_med_px": e1.median().item(), "heard_phase_p95_px": torch.quantile(e1, 0.95).item()}


def losses(encoder: torch.nn.Module, decoder: torch.nn.Module, data: EarData, idx: torch.Tensor,
           ridx: torch.Tensor) -> dict[str, torch.Tensor]:
    target = data.z_played[idx]
    z_random = encoder(data.mel_random[ridx])[0]
    return {"played": F.mse_loss(encoder(data.mel0[idx])[0], target),
            "phase": F.mse_loss(encoder(data.mel_phase[idx])[0], target),
            "keep": F.mse_loss(z_random, data.z_keep[ridx]),
            "recon": F.mse_loss(decoder(z_random), data.mel_random[ridx]),
            "decoded": F.mse_loss(encoder(decoder(target))[0], target)}


def train_ear(cfg: EarConfig, run_dir: Path, device: str = "auto", resume: bool = False, quiet: bool = False) -> dict:
    """Refine the sound encoder (decoder frozen); checkpoint every `checkpoint_every` epochs and at the end."""
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    sound_ck = checkpoint.load(Path(cfg.sound_run) / "checkpoint.pt")
    vae = vae_of(sound_ck, "sound")
    data = build_data(cfg, vae, quiet)
    data = EarData(**{k: v.to(dev) for k, v in vars(data).items()})
    vae.to(dev)                                  # frozen by vae_of; only its encoder learns
    encoder, decoder = vae.encoder.train().requires_grad_(True), vae.decoder
    opt = torch.optim.Adam(encoder.parameters(), lr=cfg.lr)
    state: dict[str, Any] = {"epoch": 0, "history": []}
    ck_path = run_dir / "checkpoint.pt"
    if resume and ck_path.exists():
        state = restore(ck_path, {"model": vae, "opt": opt}, ("epoch", "history"), "ear", quiet)
    weights = {"played": 1.0, "phase": cfg.w_phase, "keep": cfg.w_keep, "recon": cfg.w_recon, "decoded": cfg.w_decoded}
    p, n_random = len(data.xy), cfg.random_sines
    steps = math.ceil(p / cfg.batch_size)
    total, warmup = cfg.epochs * steps, cfg.warmup_epochs * steps
    for epoch in range(state["epoch"], cfg.epochs):
        order = torch.randperm(p)
        rows = []
        with bar(steps, f"ear {epoch + 1}/{cfg.epochs}", quiet) as pbar:
            for i in range(steps):
                set_lr(opt, cfg.lr, epoch * steps + i, warmup, total)
                idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size].to(dev)
                ridx = torch.randint(n_random, (max(1, len(idx) // 2),)).to(dev)
                terms = losses(encoder, decoder, data, idx, ridx)
                loss = cast(torch.Tensor, sum(weights[k] * v for k, v in terms.items()))  # sum() types its 0 start
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(encoder.parameters(), cfg.grad_clip)
                opt.step()
                rows.append({"loss": loss.item()} | {k: v.item() for k, v in terms.items()})
                pbar.set_postfix(played=f"{rows[-1]['played']:.3g}")
                pbar.update()
        stats = mean_stats(rows)
        due = epoch + 1 == cfg.epochs or (epoch + 1) % cfg.checkpoint_every == 0
        if due:
            stats |= monitor(encoder, data)
        state["history"].append(stats)
        state["epoch"] = epoch + 1
        if due:
            log_epoch("ear", epoch + 1, cfg.epochs, stats, quiet)
            # a sound VAE checkpoint (`net`, `model`: trained decoder + refined encoder) plus the ear's own state
            checkpoint.save(ck_path, {"stage": "ear", "net": sound_ck["net"], "config": as_dict(cfg),
                                      "sound_config": sound_ck["config"], "model": vae.state_dict(),
                                      "opt": opt.state_dict(), "rng": rng_state(), **state})
    return checkpoint.load(ck_path)
