"""Network definitions: image FactorVAE, sound FactorVAE, TC discriminators, mapper.

Shapes follow the published system (reference-system.md) with the sizes shrunk
so that training fits two CPU cores; `SIZE_CHANGES` is written into the bundle
manifest so the difference is on record.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

SIZE_CHANGES = {
    "image_encoder": "4x4 average pool first (128->32 px; the glow keeps sub-pixel position), "
                     "2 residual blocks instead of 16, widths 16/32",
    "image_decoder": "reconstructs the 32x32 pooled image with widths 32/16, bilinear x4 to 128 at export; "
                     "published: four 16-channel transposed convs to 128x128",
    "sound_encoder": "MLP 64-256-128-64 instead of the 1-D conv stack (ours collapsed its posterior: KL -> 0.003, "
                     "reconstruction stuck at the data mean, within 1,300 steps; the MLP learns at once)",
    "sound_decoder": "MLP 2-64-128-256-64 instead of transposed convs",
    "why": "published sizes cost 12.9 s (image) and 6.3 s (sound) per batch on 2 CPU cores; "
           "the layout metrics are met with the smaller networks",
}


def kaiming_init(module: nn.Module) -> None:
    """Kaiming-normal (fan-in, leaky ReLU 0.2) on every conv/linear weight, zero bias, as published."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, a=0.2, mode="fan_in", nonlinearity="leaky_relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def groups_for(channels: int) -> int:
    """One GroupNorm group per 16 features, at least one (the published rule)."""
    return max(1, channels // 16)


def act() -> nn.Module:
    return nn.LeakyReLU(0.2)


def linear_block(n_in: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, n_out), nn.GroupNorm(groups_for(n_out), n_out), act())


def halving_mlp(n_in: int, n_out: int) -> nn.Sequential:
    """Linear layers halving the width from n_in down to n_out (both powers of two)."""
    layers, n = [], n_in
    while n > n_out:
        layers.append(linear_block(n, n // 2))
        n //= 2
    return nn.Sequential(*layers)


def doubling_mlp(n_in: int, n_out: int) -> nn.Sequential:
    layers, n = [], n_in
    while n < n_out:
        layers.append(linear_block(n, n * 2))
        n *= 2
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    """LeakyReLU, 3-conv, GroupNorm, LeakyReLU, 1-conv, GroupNorm, plus the input (published block)."""

    def __init__(self, channels: int, bottleneck: int, dims: int) -> None:
        super().__init__()
        conv = nn.Conv2d if dims == 2 else nn.Conv1d
        self.body = nn.Sequential(
            act(), conv(channels, bottleneck, 3, padding=1), nn.GroupNorm(groups_for(bottleneck), bottleneck),
            act(), conv(bottleneck, channels, 1), nn.GroupNorm(groups_for(channels), channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def conv_down(conv: type, c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(conv(c_in, c_out, 3, stride=2, padding=1), nn.GroupNorm(groups_for(c_out), c_out), act())


@dataclass
class VAEOutput:
    recon: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor


class VAE(nn.Module):
    """Encoder -> (mu, logvar) -> reparameterised z -> decoder. Subclasses build the parts."""

    encoder: nn.Module
    decoder: nn.Module
    latent_dim: int

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return VAEOutput(self.decode(z), mu, logvar, z)


class Heads(nn.Module):
    """Two linear heads on a 4-wide feature: mu and logvar."""

    def __init__(self, n_in: int, latent: int) -> None:
        super().__init__()
        self.mu = nn.Linear(n_in, latent)
        self.logvar = nn.Linear(n_in, latent)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mu(h), self.logvar(h)


class ImageEncoder(nn.Module):
    def __init__(self, latent: int = 2, width: int = 32, res_blocks: int = 2, pool: int = 4, size: int = 128) -> None:
        super().__init__()
        half = width // 2
        n = size // pool // 4
        downs = []
        while n > 2:
            downs.append(conv_down(nn.Conv2d, width, width))
            n //= 2
        self.features = nn.Sequential(
            nn.AvgPool2d(pool),                                      # 128 -> 128 / pool
            nn.Conv2d(1, half, 3, stride=2, padding=1), act(),
            nn.Conv2d(half, width, 3, stride=2, padding=1), act(),
            *[ResBlock(width, width, 2) for _ in range(res_blocks)], act(),
            *downs,                                                  # stride-2 convs down to 2 x 2
            nn.Flatten(),
        )
        self.mlp = halving_mlp(width * 4, 4)
        self.heads = Heads(4, latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.mlp(self.features(x)))


class ImageDecoder(nn.Module):
    """z -> 64 -> 1x8x8 -> convs -> transposed convs up to the pooled size (128 / pool).

    Training compares with the average-pooled image; `full_size` (used at
    export) upsamples bilinearly back to 128 x 128.
    """

    def __init__(self, latent: int = 2, width: int = 32, pool: int = 4, size: int = 128) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(latent, 8), act(), doubling_mlp(8, 64))
        ups: list[nn.Module] = []
        n, c = 8, width
        while n < size // pool:
            ups += [nn.ConvTranspose2d(c, max(8, c // 2), 4, stride=2, padding=1), act()]
            n, c = n * 2, max(8, c // 2)
        self.convs = nn.Sequential(
            nn.Conv2d(1, width // 2, 3, padding=1), act(),
            nn.Conv2d(width // 2, width, 3, padding=1), act(),
            *ups,
            ResBlock(c, c, 2),
            nn.Conv2d(c, 1, 3, padding=1),
        )
        self.pool = pool

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.convs(self.mlp(z).view(-1, 1, 8, 8))

    def full_size(self, z: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.forward(z), scale_factor=self.pool, mode="bilinear", align_corners=False)


class ImageVAE(VAE):
    def __init__(self, latent: int = 2, width: int = 32, res_blocks: int = 2, pool: int = 4, size: int = 128) -> None:
        super().__init__()
        self.latent_dim = latent
        self.pool = pool
        self.encoder = ImageEncoder(latent, width, res_blocks, pool, size)
        self.decoder = ImageDecoder(latent, width, pool, size)
        kaiming_init(self)


class SoundEncoder(nn.Module):
    """mel (M) -> MLP -> (mu, logvar).

    An MLP rather than the published 1-D conv stack: our shrunk conv encoder
    collapsed its posterior (KL -> 0.003 within 1,300 steps, reconstruction
    stuck at the data's mean) while an MLP of similar size learns at once.
    """

    def __init__(self, latent: int = 2, width: int = 256, n_mels: int = 64) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(n_mels, width), act(), nn.Linear(width, width // 2), act(),
                                 nn.Linear(width // 2, width // 4), act())
        self.heads = Heads(width // 4, latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.mlp(x))


class SoundDecoder(nn.Module):
    """z -> MLP -> mel (M), no output activation (the scaled dB values are not clipped)."""

    def __init__(self, latent: int = 2, width: int = 256, n_mels: int = 64) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(latent, width // 4), act(), nn.Linear(width // 4, width // 2), act(),
                                 nn.Linear(width // 2, width), act(), nn.Linear(width, n_mels))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.mlp(z)


class SoundVAE(VAE):
    def __init__(self, latent: int = 2, width: int = 256, res_blocks: int = 0, n_mels: int = 64) -> None:
        super().__init__()
        self.latent_dim = latent
        self.encoder = SoundEncoder(latent, width, n_mels)
        self.decoder = SoundDecoder(latent, width, n_mels)
        kaiming_init(self)


class Discriminator(nn.Module):
    """TC discriminator: z -> 2 logits (class 0: q(z), class 1: dimension-permuted)."""

    def __init__(self, latent: int = 2, hidden: int = 16, layers: int = 2) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        n = latent
        for _ in range(layers):
            mods += [nn.Linear(n, hidden), act()]
            n = hidden
        mods.append(nn.Linear(n, 2))
        self.net = nn.Sequential(*mods)
        kaiming_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Mapper(nn.Module):
    """MLP 2 -> 8 -> ... -> 256 -> ... -> 8 -> 2 with GroupNorm + LeakyReLU (the published shape)."""

    WIDTHS = (8, 16, 32, 64, 128, 256, 128, 64, 32, 16, 8)

    def __init__(self, latent_in: int = 2, latent_out: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        n = latent_in
        for w in self.WIDTHS:
            layers.append(linear_block(n, w))
            n = w
        layers.append(nn.Linear(n, latent_out))
        self.net = nn.Sequential(*layers)
        kaiming_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Inversion(nn.Module):
    """Decoded mel vector -> (MIDI pitch, dB): a small MLP regressor.

    Replaces the published 128x128 nearest-neighbour snap with a continuous
    map, so a slow drag glides instead of stepping. Outputs are de-normalised
    inside the network, so ONNX returns pitch and dB directly.
    """

    def __init__(self, n_mels: int = 64, hidden: int = 128, pitch_range=(38.0, 86.0), db_range=(-40.0, 0.0)) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_mels, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 2),
        )
        lo = torch.tensor([pitch_range[0], db_range[0]])
        hi = torch.tensor([pitch_range[1], db_range[1]])
        self.register_buffer("center", (lo + hi) / 2)
        self.register_buffer("half_span", (hi - lo) / 2)

    def normalised(self, mel: torch.Tensor) -> torch.Tensor:
        return self.net(mel)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.center + self.half_span * self.normalised(mel)
