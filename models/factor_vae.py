"""One FactorVAE training step: VAE loss + TC penalty, then the discriminator update."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .networks import VAE, Discriminator


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)), summed over latent dimensions, mean over the batch."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()


def permute_dims(z: torch.Tensor) -> torch.Tensor:
    """Shuffle each latent dimension independently across the batch: samples of prod_j q(z_j)."""
    return torch.stack([z[torch.randperm(len(z), device=z.device), j] for j in range(z.shape[1])], dim=1)


@dataclass
class Weights:
    rec: float
    kld: float
    tc: float


def step(vae: VAE, disc: Discriminator, opt: torch.optim.Optimizer, disc_opt: torch.optim.Optimizer,
         x: torch.Tensor, target: torch.Tensor, x2: torch.Tensor,
         rec_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], w: Weights, grad_clip: float,
         decode_kw: dict | None = None, aux: Callable | None = None) -> dict[str, float]:
    """Update the VAE on x, then the discriminator on (q(z) from x, permuted q(z) from x2).

    `decode_kw` goes to the decoder (the painter's sampled pixels; `target` then holds their values);
    `aux(out)`, when given, is a weighted extra loss term (the painter's peak term), logged as `aux`.
    """
    out = vae(x, **(decode_kw or {}))
    rec = rec_loss(out.recon, target)
    kld = kl_divergence(out.mu, out.logvar)
    permuted_label = torch.ones(len(x), dtype=torch.long, device=x.device)
    tc = F.cross_entropy(disc(out.z), permuted_label)  # pushes D to call q(z) "permuted"
    loss = w.rec * rec + w.kld * kld + w.tc * tc
    extra = aux(out) if aux is not None else None
    if extra is not None:
        loss = loss + extra
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(vae.parameters(), grad_clip)
    opt.step()

    with torch.no_grad():
        mu2, logvar2 = vae.encode(x2)
        z2 = permute_dims(mu2 + torch.randn_like(mu2) * torch.exp(0.5 * logvar2))
    logits = disc(torch.cat([out.z.detach(), z2]))
    labels = torch.cat([torch.zeros_like(permuted_label), permuted_label])
    d_loss = F.cross_entropy(logits, labels)
    disc_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    torch.nn.utils.clip_grad_norm_(disc.parameters(), grad_clip)
    disc_opt.step()
    row = {"loss": loss.item(), "rec": rec.item(), "kld": kld.item(), "tc": tc.item(), "disc": d_loss.item()}
    return row | ({"aux": extra.item()} if extra is not None else {})
