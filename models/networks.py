"""Network definitions: image FactorVAE, sound FactorVAE, TC discriminators, mapper.

Shapes follow the published system (Laczkó et al., CMMR 2025) with the sizes shrunk
so that training fits two CPU cores; `SIZE_CHANGES` is written into the bundle
manifest so the difference is on record.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

SIZE_CHANGES = {
    "image_encoder": "4x4 average pool first (128->32 px; the glow keeps sub-pixel position), CoordConv "
                     "coordinate channels, 2 residual blocks instead of 16, widths 16/32, no GroupNorm in the "
                     "narrow linear tail (it folded the latent)",
    "image_decoder": "spatial-broadcast decoder (z tiled over 32x32 + coordinate channels -> per-pixel MLP of "
                     "1x1 convs) reconstructing the pooled image, bilinear x4 to 128 at export; published: "
                     "four 16-channel transposed convs to 128x128, whose latents stayed folded in our budget",
    "sound_encoder": "MLP 64-256-128-64 instead of the 1-D conv stack (ours collapsed its posterior: KL -> 0.003, "
                     "reconstruction stuck at the data mean, within 1,300 steps; the MLP learns at once)",
    "sound_decoder": "MLP 2-64-128-256-64 instead of transposed convs",
    "why": "published sizes cost 12.9 s (image) and 6.3 s (sound) per batch on 2 CPU cores; "
           "the layout metrics are met with the smaller networks",
}
# Models v2: the painter decoder replaces the broadcast one when a bundle ships it
PAINTER_CHANGE = ("painter decoder (Models v2): an MLP head puts a point in the image, a per-pixel MLP paints each of the "
                  "full 128x128 pixels from its offset to it; refitted on the kept, frozen image encoder with the "
                  "point pulled onto each training image's brightest pixel; published: four 16-channel transposed "
                  "convs to 128x128")
REVERSE_CHANGE = ("reverse mapper (not published): the published mapper's MLP shape, sound latent -> image latent, as a "
                  "residual on the inverse of the forward mapper's alignment")


def kaiming_init(module: nn.Module) -> None:
    """Kaiming-normal (fan-in, leaky ReLU 0.2) on every conv/linear weight, zero bias, as published."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, a=0.2, mode="fan_in", nonlinearity="leaky_relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def zero_layer(layer: nn.Module) -> None:
    """Zero a linear or conv layer's weight and bias (so it starts by adding nothing)."""
    assert isinstance(layer, (nn.Linear, nn.Conv2d)), type(layer)
    nn.init.zeros_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def groups_for(channels: int) -> int:
    """One GroupNorm group per 16 features, at least one (the published rule)."""
    return max(1, channels // 16)


def act() -> nn.Module:
    return nn.LeakyReLU(0.2)


def linear_block(n_in: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, n_out), nn.GroupNorm(groups_for(n_out), n_out), act())


def halving_mlp(n_in: int, n_out: int) -> nn.Sequential:
    """Linear layers halving the width from n_in down to n_out (both powers of two), LeakyReLU, no GroupNorm.

    The published tail normalises these narrow layers with one GroupNorm
    group each; standardising an 8- or 4-wide vector puts it on a sphere, and
    in our short runs that folded and squashed the 2-D latent (and collapsed
    the conv sound encoder). Without it the same layers learn a flat layout.
    """
    layers: list[nn.Module] = []
    n = n_in
    while n > n_out:
        layers += [nn.Linear(n, n // 2), act()]
        n //= 2
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    """LeakyReLU, 3-conv, GroupNorm, LeakyReLU, 1-conv, GroupNorm, plus the input (published block)."""

    def __init__(self, channels: int, bottleneck: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            act(), nn.Conv2d(channels, bottleneck, 3, padding=1), nn.GroupNorm(groups_for(bottleneck), bottleneck),
            act(), nn.Conv2d(bottleneck, channels, 1), nn.GroupNorm(groups_for(channels), channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def conv_down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.GroupNorm(groups_for(c_out), c_out), act())


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

    def decode(self, z: torch.Tensor, **kw) -> torch.Tensor:
        return self.decoder(z, **kw)

    def forward(self, x: torch.Tensor, **decode_kw) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return VAEOutput(self.decode(z, **decode_kw), mu, logvar, z)


class Heads(nn.Module):
    """Two linear heads on a 4-wide feature: mu and logvar."""

    def __init__(self, n_in: int, latent: int) -> None:
        super().__init__()
        self.mu = nn.Linear(n_in, latent)
        self.logvar = nn.Linear(n_in, latent)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mu(h), self.logvar(h)


def coordinate_grid(size: int) -> torch.Tensor:
    """[1, 2, size, size] pixel-centre coordinates in [-1, 1] (x across columns, y down rows)."""
    c = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    return torch.stack([c[None, :].expand(size, size), c[:, None].expand(size, size)])[None]


class AddCoords(nn.Module):
    """CoordConv: append x and y coordinate channels, so convolutions can read position directly."""

    grid: torch.Tensor  # buffer

    def __init__(self, size: int) -> None:
        super().__init__()
        self.register_buffer("grid", coordinate_grid(size), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.grid.expand(x.shape[0], -1, -1, -1)], dim=1)


class ImageEncoder(nn.Module):
    def __init__(self, latent: int = 2, width: int = 32, res_blocks: int = 2, pool: int = 4, size: int = 128) -> None:
        super().__init__()
        half = width // 2
        n = size // pool // 4
        downs = []
        while n > 2:
            downs.append(conv_down(width, width))
            n //= 2
        self.features = nn.Sequential(
            nn.AvgPool2d(pool),                                      # 128 -> 128 / pool
            AddCoords(size // pool),
            nn.Conv2d(3, half, 3, stride=2, padding=1), act(),
            nn.Conv2d(half, width, 3, stride=2, padding=1), act(),
            *[ResBlock(width, width) for _ in range(res_blocks)], act(),
            *downs,                                                  # stride-2 convs down to 2 x 2
            nn.Flatten(),
        )
        self.mlp = halving_mlp(width * 4, 4)
        self.heads = Heads(4, latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.mlp(self.features(x)))


class ImageDecoder(nn.Module):
    """Spatial-broadcast decoder: z is tiled over a (128 / pool)^2 grid, coordinate channels are
    appended, and a per-pixel MLP (1 x 1 convs) paints the image.

    A square with a glow is a function of (pixel - position), which a per-pixel
    MLP of [z, x, y] expresses directly; transposed-conv decoders have to
    learn it by upsampling, which our short CPU budget did not afford (their
    latents stayed folded and squashed). `full_size` (used at export)
    upsamples bilinearly back to 128 x 128.
    """

    grid: torch.Tensor  # buffer

    def __init__(self, latent: int = 2, width: int = 32, pool: int = 4, size: int = 128) -> None:
        super().__init__()
        self.side = size // pool
        self.register_buffer("grid", coordinate_grid(self.side), persistent=False)
        self.net = nn.Sequential(
            nn.Conv2d(latent + 2, 2 * width, 1), act(),
            nn.Conv2d(2 * width, 2 * width, 1), act(),
            nn.Conv2d(2 * width, width, 1), act(),
            nn.Conv2d(width, 1, 1),
        )
        self.pool = pool

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        tiled = z[:, :, None, None].expand(-1, -1, self.side, self.side)
        return self.net(torch.cat([tiled, self.grid.expand(z.shape[0], -1, -1, -1)], dim=1))

    def full_size(self, z: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.forward(z), scale_factor=self.pool, mode="bilinear", align_corners=False)


class PainterDecoder(nn.Module):
    """z -> where the square is -> a per-pixel MLP paints every pixel of the full 128 x 128 image from its
    offset to that point.

    The broadcast decoder reconstructs the 4x4-pooled image, in which the 2x2
    square is one blurred pixel: upsampled, it draws a haze whose brightest
    block misses the square (median 10 px). Here an MLP head turns z into a
    point (in pixels), and a small 1 x 1-conv MLP maps each pixel's offset
    from it (dx, dy, |dx|, |dy|, log distance) to a brightness at full
    resolution, so the square is drawn sharp wherever the head puts it; the
    glow and the square's shape are learned, not given.
    """

    pixels: torch.Tensor  # buffer

    def __init__(self, latent: int = 2, width: int = 16, size: int = 128, hidden: int = 128) -> None:
        super().__init__()
        self.size = size
        self.head = nn.Sequential(nn.Linear(latent, hidden), act(), nn.Linear(hidden, hidden), act(),
                                  nn.Linear(hidden, hidden), act(), nn.Linear(hidden, 2))
        self.register_buffer("pixels", torch.arange(size, dtype=torch.float32), persistent=False)
        self.paint = nn.Sequential(nn.Conv2d(5, width, 1), act(), nn.Conv2d(width, width, 1), act(),
                                   nn.Conv2d(width, width, 1), act(), nn.Conv2d(width, 1, 1))
        self.init_start()

    def init_start(self) -> None:
        """Start flat and centred: the painter's last layer at zero (a grey image, no blow-up of the first
        steps' reconstruction loss) and every z at the image centre; the painter then learns a profile around
        the centre, and the glow's long tail pulls each image's point towards its square."""
        zero_layer(self.head[-1]); zero_layer(self.paint[-1])

    def centre(self, z: torch.Tensor) -> torch.Tensor:
        """[N, 2] (x, y) in pixels: the point the painter draws around, kept within a margin of one image."""
        return self.size / 2 * (1 + 2 * torch.tanh(self.head(z) / 2))

    def forward(self, z: torch.Tensor, pixels: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """The full image [N, 1, size, size], or with `pixels` (cols, rows: [N, K] each) only those: [N, 1, K, 1]
        (training paints a sample of pixels: the full image costs 16x more)."""
        c = self.centre(z)
        if pixels is None:
            n, s = len(z), self.size
            cols, rows = self.pixels[None, None, :].expand(n, s, s), self.pixels[None, :, None].expand(n, s, s)
        else:
            cols, rows = pixels[0][:, :, None].float(), pixels[1][:, :, None].float()
        dx = (cols - c[:, 0, None, None]) / 16
        dy = (rows - c[:, 1, None, None]) / 16
        logd = torch.log(dx * dx + dy * dy + 1e-3) / 4
        return self.paint(torch.stack([dx, dy, dx.abs(), dy.abs(), logd], dim=1))

    def full_size(self, z: torch.Tensor) -> torch.Tensor:
        return self.forward(z)


class ImageVAE(VAE):
    encoder: ImageEncoder
    decoder: ImageDecoder | PainterDecoder

    def __init__(self, latent: int = 2, width: int = 32, res_blocks: int = 2, pool: int = 4, size: int = 128,
                 init_logvar: float = -6.0, decoder: str = "broadcast", paint_width: int = 16) -> None:
        super().__init__()
        self.latent_dim = latent
        self.pool = pool
        self.encoder = ImageEncoder(latent, width, res_blocks, pool, size)
        if decoder == "broadcast":
            self.decoder = ImageDecoder(latent, width, pool, size)
        elif decoder == "painter":
            self.decoder = PainterDecoder(latent, paint_width, size)
        else:
            raise ValueError(f"image decoder must be 'broadcast' or 'painter', not {decoder!r}")
        self.full_res = decoder == "painter"  # the painter reconstructs the full image, not the pooled one
        kaiming_init(self)
        if isinstance(self.decoder, PainterDecoder):  # self.full_res
            self.decoder.init_start()
        # Start with little posterior noise: at initialisation the means barely depend on the image
        # (std ~0.02), and with unit noise the decoder learns to ignore z (posterior collapse).
        nn.init.constant_(self.encoder.heads.logvar.bias, init_logvar)


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
    encoder: SoundEncoder
    decoder: SoundDecoder

    def __init__(self, latent: int = 2, width: int = 256, n_mels: int = 64, init_logvar: float = 0.0) -> None:
        super().__init__()
        self.latent_dim = latent
        self.encoder = SoundEncoder(latent, width, n_mels)
        self.decoder = SoundDecoder(latent, width, n_mels)
        kaiming_init(self)
        nn.init.constant_(self.encoder.heads.logvar.bias, init_logvar)


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
    """z_image -> z_sound: a fixed moment alignment, then the published MLP shape as a residual.

    `align` maps each image-latent axis to the sound latent's mean and spread
    (statistics of each domain's own posterior means, no pairing), so the
    locality loss keeps a projection near a point *inside* the sound data
    rather than wherever the image VAE happened to centre its latent. The MLP
    (2 -> 8 -> ... -> 256 -> ... -> 8 -> 2, GroupNorm + LeakyReLU) adds a
    correction; its last layer starts at zero, so training starts from the
    aligned identity.
    """

    WIDTHS = (8, 16, 32, 64, 128, 256, 128, 64, 32, 16, 8)
    in_mean: torch.Tensor  # buffers: the alignment
    in_std: torch.Tensor
    out_mean: torch.Tensor
    out_std: torch.Tensor

    def __init__(self, latent_in: int = 2, latent_out: int = 2, identity_start: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        n = latent_in
        for w in self.WIDTHS:
            layers.append(linear_block(n, w))
            n = w
        layers.append(nn.Linear(n, latent_out))
        self.net = nn.Sequential(*layers)
        kaiming_init(self)
        if identity_start:
            zero_layer(self.net[-1])
        self.register_buffer("in_mean", torch.zeros(latent_in))
        self.register_buffer("in_std", torch.ones(latent_in))
        self.register_buffer("out_mean", torch.zeros(latent_out))
        self.register_buffer("out_std", torch.ones(latent_out))

    def set_alignment(self, z_image: torch.Tensor, z_sound: torch.Tensor, spread: float = 1.0) -> None:
        """Fix the alignment from samples of both latent spaces (posterior means).

        `spread` < 1 lands the image latent on the central part of the sound
        latent, away from its sparse edges (where little training data lives).
        """
        self.in_mean.copy_(z_image.mean(0)); self.in_std.copy_(z_image.std(0))
        self.out_mean.copy_(z_sound.mean(0)); self.out_std.copy_(z_sound.std(0) * spread)

    def align(self, z: torch.Tensor) -> torch.Tensor:
        return (z - self.in_mean) / self.in_std * self.out_std + self.out_mean

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        aligned = self.align(z)
        return aligned + self.net(aligned)


class ReverseMapper(Mapper):
    """z_sound -> z_image: the mapper's shape mirrored, starting from the inverse of its alignment.

    The aligned start point is the exact inverse of the forward mapper's
    moment alignment, so before training a mapped point goes back to the
    image latent it came from (up to the forward residual, which is nearly
    zero); training then corrects for what the forward direction's sine
    actually re-encodes to.
    """

    def set_inverse_alignment(self, forward: Mapper) -> None:
        """Copy the forward mapper's alignment, swapped: sound statistics in, image statistics out."""
        self.in_mean.copy_(forward.out_mean); self.in_std.copy_(forward.out_std)
        self.out_mean.copy_(forward.in_mean); self.out_std.copy_(forward.in_std)


class Inversion(nn.Module):
    """Decoded mel vector -> (MIDI pitch, dB): a small MLP regressor.

    Replaces the published 128x128 nearest-neighbour snap with a continuous
    map, so a slow drag glides instead of stepping. Outputs are de-normalised
    inside the network, so ONNX returns pitch and dB directly.
    """

    center: torch.Tensor  # buffers: the de-normalisation
    half_span: torch.Tensor

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


# ---------------------------------------------------------------- other worlds (models/world_train.py)

class ConvImageDecoder(nn.Module):
    """z -> 128 x (size/8)^2 -> three stride-2 transposed convs -> sigmoid picture [N, 1, size, size].

    For worlds of drawn things (digits, the user's pictures): strokes are
    local shapes that transposed convs draw well, where the broadcast
    decoder's per-pixel MLP suits one bright point (the square world).
    """

    def __init__(self, latent: int = 3, width: int = 32, size: int = 32) -> None:
        super().__init__()
        self.side = size // 8
        self.fc = nn.Sequential(nn.Linear(latent, 4 * width * self.side * self.side), act())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1), act(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), act(),
            nn.ConvTranspose2d(width, width, 4, 2, 1), act(),
            nn.Conv2d(width, 1, 3, padding=1), nn.Sigmoid(),
        )
        self.width = width

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(z).unflatten(1, (4 * self.width, self.side, self.side)))

    def full_size(self, z: torch.Tensor) -> torch.Tensor:
        return self.forward(z)


class WorldImageVAE(VAE):
    """The image FactorVAE of a drawn world: the square world's CoordConv encoder (no pooling), a conv decoder."""

    encoder: ImageEncoder
    decoder: ConvImageDecoder

    def __init__(self, latent: int = 3, width: int = 32, res_blocks: int = 2, size: int = 32,
                 init_logvar: float = -2.0) -> None:
        super().__init__()
        self.latent_dim = latent
        self.full_res = False
        self.encoder = ImageEncoder(latent, width, res_blocks, pool=1, size=size)
        self.decoder = ConvImageDecoder(latent, width, size)
        kaiming_init(self)
        nn.init.constant_(self.encoder.heads.logvar.bias, init_logvar)


class SynthInversion(nn.Module):
    """Decoded mel vector -> the synth's N parameters in natural units (MIDI, ratio, index, ...).

    The MLP predicts each parameter on its own scale in [0, 1] (sigmoid; log
    parameters in log space), and the de-normalisation happens inside the
    network, so ONNX returns natural units, as the sine world's `Inversion` does.
    """

    is_log: torch.Tensor  # buffers: the de-normalisation
    lo: torch.Tensor
    span: torch.Tensor

    def __init__(self, n_mels: int = 64, hidden: int = 128, lo: tuple = (38.0,), hi: tuple = (86.0,),
                 log: tuple = (False,)) -> None:
        super().__init__()
        n = len(lo)
        self.net = nn.Sequential(
            nn.Linear(n_mels, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, n),
        )
        is_log = torch.tensor([bool(v) for v in log])
        lo_t, hi_t = torch.tensor(lo, dtype=torch.float32), torch.tensor(hi, dtype=torch.float32)
        self.register_buffer("is_log", is_log)
        self.register_buffer("lo", torch.where(is_log, lo_t.log(), lo_t))
        self.register_buffer("span", torch.where(is_log, hi_t.log(), hi_t) - self.lo)

    def unit(self, mel: torch.Tensor) -> torch.Tensor:
        """[N, P] parameters in [0, 1] on their own scales."""
        return torch.sigmoid(self.net(mel))

    def natural(self, unit: torch.Tensor) -> torch.Tensor:
        v = self.lo + self.span * unit
        return torch.where(self.is_log, v.exp(), v)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.natural(self.unit(mel))
