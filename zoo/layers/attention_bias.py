"""Learned attention biases indexed by the absolute offset between query and key positions (LeViT style).

"LeViT: a Vision Transformer in ConvNet's Clothing for Faster Inference", Graham et al., 2021 (arXiv:2104.01136),
section 4.2: each head learns one bias per (|dy|, |dx|) offset on the key grid, i.e. a (heads, H * W) table; the
attention logits get table[:, |dy| * W + |dx|]. The table is a small image per head, so loading it into a model built
for another resolution resamples that image (bicubic, as the TinyViT / LeViT fine-tuning code does).
"""
import logging
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

__all__ = ['abs_offset_bias_index', 'resize_attention_bias']

_logger = logging.getLogger(__name__)


def abs_offset_bias_index(
        key_size: Tuple[int, int],
        stride: int = 1,
        device: Optional[torch.device] = None,
) -> torch.Tensor:
    """(Nq, Nk) index into a (heads, H * W) bias table for queries on every `stride`-th key position.

    Args:
        key_size: (H, W) of the key grid.
        stride: queries sit at rows / columns 0, stride, 2 * stride, ... of the key grid (1: the same grid).
        device: device of the index.
    """
    h, w = key_size
    ky, kx = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing='ij')
    qy, qx = torch.meshgrid(torch.arange(0, h, stride, device=device), torch.arange(0, w, stride, device=device),
                            indexing='ij')
    dy = (qy.reshape(-1, 1) - ky.reshape(1, -1)).abs()
    dx = (qx.reshape(-1, 1) - kx.reshape(1, -1)).abs()
    return dy * w + dx


def resize_attention_bias(
        bias: torch.Tensor,
        new_size: Sequence[int],
        old_size: Optional[Sequence[int]] = None,
        interpolation: str = 'bicubic',
        antialias: bool = True,
) -> torch.Tensor:
    """Resample a (heads, H * W) offset-bias table to (heads, new_h * new_w).

    Args:
        bias: the table; its grid is taken to be square when `old_size` is None.
        new_size: target grid (h, w).
        old_size: source grid.
        interpolation: F.interpolate mode.
        antialias: antialias when shrinking.
    """
    heads, n = bias.shape
    if old_size is None:
        side = math.isqrt(n)
        if side * side != n:
            raise ValueError(f'An attention-bias table of {n} offsets is not a square grid; pass old_size.')
        old_size = (side, side)
    if tuple(old_size) == tuple(new_size):
        return bias
    grid = bias.float().reshape(1, heads, old_size[0], old_size[1])
    grid = F.interpolate(grid, size=tuple(new_size), mode=interpolation, antialias=antialias)
    _logger.info('Resampled attention-bias table from %s to %s.', tuple(old_size), tuple(new_size))
    return grid.reshape(heads, -1).to(bias.dtype)
