"""Patch merging: halve an NHWC token grid by concatenating each 2x2 neighbourhood and projecting it linearly.

The downsampling step between the stages of Swin ("Swin Transformer", Liu et al., 2021, arXiv:2103.14030,
section 3.1); Swin V2 moves the norm after the projection, in line with its residual post-norm (Liu et al., 2022,
arXiv:2111.09883, section 3.1).
"""
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['PatchMerging']


class PatchMerging(nn.Module):
    """2x2 neighbours concatenated (4C), normalised, linearly reduced to `out_dim` (default 2C); odd grids are padded.

    Args:
        dim: input width C.
        out_dim: output width (2C when None).
        norm_layer: norm of the concatenated (4C) tokens, or of the projected ones with `norm_last`.
        norm_last: normalise after the projection (Swin V2) instead of before it.
    """

    def __init__(
            self,
            dim: int,
            out_dim: Optional[int] = None,
            norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
            norm_last: bool = False,
    ):
        super().__init__()
        self.dim = dim
        self.out_dim = out_dim or 2 * dim
        self.norm_last = norm_last
        # registered in the order they run, so parameter listings follow the data flow
        if not norm_last:
            self.norm = norm_layer(4 * dim)
        self.reduction = nn.Linear(4 * dim, self.out_dim, bias=False)
        if norm_last:
            self.norm = norm_layer(self.out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        h, w = x.shape[1:3]
        # channel order (top-left, bottom-left, top-right, bottom-right) is the one the published weights expect
        x = x.reshape(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 4, 2, 5).flatten(3)
        if self.norm_last:
            return self.norm(self.reduction(x))
        return self.reduction(self.norm(x))
