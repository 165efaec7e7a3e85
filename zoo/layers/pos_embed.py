"""Resampling of learned absolute position embeddings to a new token grid.

Fine-tuning at a higher resolution keeps the patch size, so the grid grows; the learned embedding is treated as
an image and interpolated (Dosovitskiy et al., 2020, section 3.2 "Fine-tuning and higher resolution").
"""
import logging
import math
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F

__all__ = ['resample_abs_pos_embed', 'resample_abs_pos_embed_nhwc']

_logger = logging.getLogger(__name__)


def _interp_grid(grid: torch.Tensor, new_size: Sequence[int], interpolation: str, antialias: bool,
                 align_corners: Optional[bool] = None) -> torch.Tensor:
    # grid: (1, H, W, C); interpolation runs in float32 because bicubic/antialias kernels lack half support on CPU
    dtype = grid.dtype
    x = grid.float().permute(0, 3, 1, 2)
    x = F.interpolate(x, size=tuple(new_size), mode=interpolation, antialias=antialias, align_corners=align_corners)
    return x.permute(0, 2, 3, 1).to(dtype)


def resample_abs_pos_embed(
        posemb: torch.Tensor,
        new_size: Sequence[int],
        old_size: Optional[Sequence[int]] = None,
        num_prefix_tokens: int = 1,
        interpolation: str = 'bicubic',
        antialias: bool = True,
        verbose: bool = False,
        align_corners: Optional[bool] = None,
) -> torch.Tensor:
    """Interpolate a (1, prefix + H*W, C) embedding to a (1, prefix + new_h*new_w, C) one.

    Args:
        posemb: embedding with `num_prefix_tokens` leading (class / register) entries that are kept as they are.
        new_size: target grid (h, w).
        old_size: source grid; assumed square when None.
        num_prefix_tokens: leading entries without a grid position.
        interpolation: F.interpolate mode.
        antialias: antialias when downsampling (the published ViT fine-tunes used bicubic with antialias).
        verbose: log the resize.
        align_corners: F.interpolate's corner alignment (for the linear / cubic modes; None is its default).
    """
    num_grid = posemb.shape[1] - num_prefix_tokens
    if old_size is None:
        side = int(math.sqrt(num_grid))
        old_size = (side, side)
    if tuple(old_size) == tuple(new_size):
        return posemb
    prefix, grid = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    grid = _interp_grid(grid.reshape(1, old_size[0], old_size[1], -1), new_size, interpolation, antialias,
                        align_corners)
    if verbose:
        _logger.info('Resampled position embedding from %s to %s.', tuple(old_size), tuple(new_size))
    return torch.cat([prefix, grid.reshape(1, -1, posemb.shape[-1])], dim=1)


def resample_abs_pos_embed_nhwc(
        posemb: torch.Tensor,
        new_size: List[int],
        interpolation: str = 'bicubic',
        antialias: bool = True,
        verbose: bool = False,
) -> torch.Tensor:
    """Interpolate a (1, H, W, C) (or (H, W, C)) embedding to the grid `new_size`."""
    if tuple(posemb.shape[-3:-1]) == tuple(new_size):
        return posemb
    grid = _interp_grid(posemb.reshape(1, *posemb.shape[-3:]), new_size, interpolation, antialias)
    if verbose:
        _logger.info('Resampled position embedding from %s to %s.', tuple(posemb.shape[-3:-1]), tuple(new_size))
    return grid
