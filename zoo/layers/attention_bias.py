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
import torch.fx
from torch import nn

__all__ = ['abs_offset_bias_index', 'gather_offset_bias', 'resize_attention_bias']

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


def _graph_capture() -> bool:
    # a cached tensor would be baked into a traced / compiled / exported graph as a constant
    return torch.jit.is_tracing() or torch.compiler.is_compiling() or _fx_tracing()


def _fx_tracing() -> bool:
    fx_trace = torch.fx._symbolic_trace
    # newer torch splits symbolic tracing from export (whose check warns); older torch has the one check
    check = getattr(fx_trace, 'is_fx_symbolic_tracing', None) or fx_trace.is_fx_tracing
    return check()


def gather_offset_bias(owner: nn.Module, table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """`table[:, index]`, the (heads, Nq, Nk) bias, gathered once and reused between inference calls.

    The gather reads heads * Nq * Nk scattered entries on every call, a measurable share of a small model's step
    (TinyViT-11M: about 4% on CPU). While nothing can need its gradient (`owner` in eval mode and autograd off) and no
    graph is being captured, the result is kept on `owner` and returned as long as the table and the index are the
    very tensors it was gathered from, unmodified. The check is on storage and version counter, so an in-place update
    (`load_state_dict`, an optimizer step), a replaced parameter (`set_input_size`) or a dtype / device move all
    gather afresh; nothing has to remember to clear the cache. The cache holds a detached view of the source tensors,
    which keeps their storage alive, so a new tensor can never reuse the address of the one that was gathered.

    Args:
        owner: the module the cache is kept on (one cached bias per module).
        table: (heads, H * W) bias table.
        index: (Nq, Nk) offset index into the table's second dimension.
    """
    if owner.training or torch.is_grad_enabled() or _graph_capture():
        return table[:, index]
    cached = owner.__dict__.get('_offset_bias_cache')
    if cached is not None:
        src_table, table_version, src_index, index_version, bias = cached
        if (src_table.data_ptr() == table.data_ptr() and table._version == table_version
                and src_index.data_ptr() == index.data_ptr() and index._version == index_version
                and src_table.dtype == table.dtype and src_table.shape == table.shape
                and src_index.shape == index.shape):
            return bias
    bias = table[:, index]
    owner.__dict__['_offset_bias_cache'] = (table.detach(), table._version, index.detach(), index._version, bias)
    return bias
