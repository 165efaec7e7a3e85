"""Space-to-depth: fold each `block_size` x `block_size` patch of pixels into the channels.

The TResNet stem (Ridnik et al., 2020, arXiv:2003.13630, section 3.1) uses it in place of a strided conv + max-pool:
it reduces resolution 4x without discarding anything and costs no FLOPs.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['SpaceToDepth']


class SpaceToDepth(nn.Module):
    """(N, C, H, W) -> (N, C * b * b, H / b, W / b); output channel `(i * b + j) * C + c` holds pixel (i, j) of each
    b x b patch of input channel c (the order TResNet weights expect: patch position major, channel minor).

    Args:
        block_size: side of the folded patches; H and W must be multiples of it.
    """

    def __init__(self, block_size: int = 4):
        super().__init__()
        self.block_size = block_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.block_size
        if x.shape[-2] % b or x.shape[-1] % b:
            raise ValueError(f'SpaceToDepth needs height and width divisible by {b}, got {tuple(x.shape[-2:])}; '
                             f'resize or pad the input to a multiple of {b}.')
        # pixel_unshuffle orders the folded channels channel-major; regroup them patch-position-major
        x = F.pixel_unshuffle(x, b)
        return x.unflatten(1, (-1, b * b)).transpose(1, 2).flatten(1, 2)
