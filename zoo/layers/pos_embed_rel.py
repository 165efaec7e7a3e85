"""Relative position bias helpers: the pairwise index of a window and resizing a learned bias table.

A window of h x w tokens has (2h - 1)(2w - 1) possible relative offsets; models such as Swin learn one bias per offset
and head ("Swin Transformer", Liu et al., 2021, arXiv:2103.14030, section 3.2). Loading such a table into a model
with a different window needs it resampled. The resampling follows BEiT's fine-tuning recipe ("BEiT: BERT
Pre-Training of Image Transformers", Bao et al., 2021, arXiv:2106.08254): the source offsets are placed on a
geometric progression that stretches the table to the new extent, so small offsets, which matter most, are kept
nearly as they were, and the values are then linearly interpolated at the integer target offsets.
"""
import logging
from typing import List, Optional, Sequence, Tuple

import torch

__all__ = ['relative_position_index', 'resize_rel_pos_bias_table']

_logger = logging.getLogger(__name__)


def relative_position_index(win_h: int, win_w: int, device: Optional[torch.device] = None) -> torch.Tensor:
    """(h*w, h*w) index into a flat (2h-1)(2w-1) bias table for every (query, key) pair of one window."""
    coords = torch.stack(torch.meshgrid(
        torch.arange(win_h, device=device), torch.arange(win_w, device=device), indexing='ij')).flatten(1)
    rel = coords[:, :, None] - coords[:, None, :]  # 2, N, N offsets in [-(size - 1), size - 1]
    rel_y = rel[0] + (win_h - 1)
    rel_x = rel[1] + (win_w - 1)
    return rel_y * (2 * win_w - 1) + rel_x


def _geometric_offsets(src: int, dst: int) -> List[float]:
    """Positions of the src-table offsets: a progression whose extent just exceeds the dst half-width."""
    half_src, half_dst = src // 2, dst // 2
    # bisection for the common ratio q in [1.01, 1.5]; the last midpoint evaluated is the ratio used
    left, right = 1.01, 1.5
    q = left
    while right - left > 1e-6:
        q = (left + right) / 2.0
        extent = (1.0 - q ** half_src) / (1.0 - q)
        if extent > half_dst:
            right = q
        else:
            left = q
    pos, cur = [], 1.0
    for i in range(half_src):
        pos.append(cur)
        cur += q ** (i + 1)
    return [-p for p in reversed(pos)] + [0.0] + pos


def _linear_weights(src_pos: torch.Tensor, dst_pos: torch.Tensor) -> torch.Tensor:
    """(len(dst), len(src)) matrix of 1-D linear interpolation; points outside the source range take the edge value."""
    n = src_pos.shape[0]
    right = torch.bucketize(dst_pos, src_pos).clamp(max=n - 1)
    left = (right - 1).clamp(min=0)
    to_left = (dst_pos - src_pos[left]).clamp(min=0)
    to_right = (src_pos[right] - dst_pos).clamp(min=0)
    both_zero = (to_left == 0) & (to_right == 0)
    to_left = torch.where(both_zero, torch.ones_like(to_left), to_left)
    to_right = torch.where(both_zero, torch.ones_like(to_right), to_right)
    total = to_left + to_right
    weights = torch.zeros(dst_pos.shape[0], n, dtype=src_pos.dtype)
    rows = torch.arange(dst_pos.shape[0])
    weights.index_put_((rows, left), to_right / total, accumulate=True)
    weights.index_put_((rows, right), to_left / total, accumulate=True)
    return weights


def _source_size(num_pos: int, dst_size: Tuple[int, int], old_window_size: Optional[Sequence[int]]) -> Tuple[int, int]:
    if old_window_size is not None:
        return 2 * old_window_size[0] - 1, 2 * old_window_size[1] - 1
    side = int(round(num_pos ** 0.5))
    if side * side == num_pos:
        return side, side
    if num_pos == dst_size[0] * dst_size[1]:
        return dst_size
    raise ValueError(f'Cannot infer the source window of a {num_pos}-entry relative position table '
                     f'(not square); pass old_window_size.')


def resize_rel_pos_bias_table(
        table: torch.Tensor,
        new_window_size: Sequence[int],
        new_bias_shape: Sequence[int],
        old_window_size: Optional[Sequence[int]] = None,
) -> torch.Tensor:
    """Resample a flat (num_offsets [+ extra], num_heads) bias table to the offsets of `new_window_size`.

    Args:
        table: the learned table; rows past the window offsets (class-token entries) are carried over unchanged.
        new_window_size: (h, w) of the destination window.
        new_bias_shape: shape of the destination table (its first dim fixes the number of extra rows).
        old_window_size: (h, w) of the source window; inferred (square) when omitted.
    """
    if table.ndim != 2:
        raise ValueError(f'Expected a flat (offsets, heads) table, got shape {tuple(table.shape)}.')
    dst_size = (2 * new_window_size[0] - 1, 2 * new_window_size[1] - 1)
    num_extra = new_bias_shape[0] - dst_size[0] * dst_size[1]
    num_pos = table.shape[0] - num_extra
    src_size = _source_size(num_pos, dst_size, old_window_size)
    if src_size == dst_size:
        return table
    if table.is_meta:
        return table.new_empty(tuple(new_bias_shape))
    _logger.info('Resizing relative position bias table from %s to %s offsets', src_size, dst_size)
    num_heads = table.shape[1]
    values = table[:num_pos].float().cpu().t().reshape(num_heads, *src_size)
    weights = []
    for src, dst in zip(src_size, dst_size):
        src_pos = torch.tensor(_geometric_offsets(src, dst), dtype=torch.float32)
        half = dst // 2
        dst_pos = torch.arange(-half, half + 0.1, 1.0, dtype=torch.float32)
        weights.append(_linear_weights(src_pos, dst_pos))
    out = torch.einsum('ys,hst,xt->hyx', weights[0], values, weights[1])
    out = out.reshape(num_heads, -1).t().to(device=table.device, dtype=table.dtype)
    if num_extra:
        out = torch.cat([out, table[num_pos:]], dim=0)
    return out.contiguous()
