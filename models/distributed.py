"""Data-parallel training under `torchrun` (DistributedDataParallel): gloo on CPU, nccl on CUDA.

Only the two FactorVAE stages scale with the data (a large image folder),
so only they run data-parallel: every rank draws the same seeded batch
order and trains on its own slice of each batch; DDP averages the
gradients, so every rank holds the same weights after every step, and rank
0 alone writes checkpoints. At the end the ranks compare a digest of their
weights (`ranks_agree` in the checkpoint), which the tests check.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class Ranks:
    rank: int
    world: int

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's slice of a batch every rank drew alike."""
        return batch[self.rank::self.world]


SINGLE = Ranks(0, 1)


def launched() -> bool:
    """True under torchrun (or any launcher that sets WORLD_SIZE > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def main_process() -> bool:
    """Rank 0 of a torchrun launch, or a plain process: the one that writes files."""
    return int(os.environ.get("RANK", "0")) == 0


def setup(device: torch.device) -> tuple[Ranks, torch.device]:
    """Join the process group when launched by torchrun; the device becomes this rank's GPU on CUDA."""
    if not launched():
        return SINGLE, device
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return Ranks(dist.get_rank(), dist.get_world_size()), device


class ParallelVAE(DistributedDataParallel):
    """A DDP-wrapped VAE that still answers `encode`/`decode` (used outside the synchronised forward)."""

    def encode(self, x: torch.Tensor):
        return self.module.encode(x)

    def decode(self, z: torch.Tensor, **kw):
        return self.module.decode(z, **kw)


def weights_digest(module: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for v in module.state_dict().values():
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def ranks_agree(module: torch.nn.Module, ranks: Ranks) -> dict:
    """Gather every rank's weight digest; {"world_size", "ranks_agree", "digest"} for the checkpoint."""
    digest = weights_digest(module)
    if ranks.world == 1:
        return {"world_size": 1, "ranks_agree": True, "digest": digest}
    digests: list = [None] * ranks.world
    dist.all_gather_object(digests, digest)
    return {"world_size": ranks.world, "ranks_agree": len(set(digests)) == 1, "digest": digest}


def teardown() -> None:
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
