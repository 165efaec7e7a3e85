"""Relative position bias helpers: the pairwise index of a window and resizing a learned bias table.

A window of h x w tokens has (2h - 1)(2w - 1) possible relative offsets; models such as Swin learn one bias per offset
and head ("Swin Transformer", Liu et al., 2021, arXiv:2103.14030, section 3.2). Loading such a table into a model
with a different window needs it resampled. The resampling follows BEiT's fine-tuning recipe ("BEiT: BERT
Pre-Training of Image Transformers", Bao et al., 2021, arXiv:2106.08254): the source offsets are placed on a
geometric progression that stretches the table to the new extent, so small offsets, which matter most, are kept
nearly as they were, and the values are then linearly interpolated at the integer target offsets.

The modules that own such tables (and their MLP alternative) are in `zoo.layers.rel_pos_bias`.
"""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

__all__ = ['relative_position_index', 'resize_rel_pos_bias_table', 'resize_rel_pos_tables']

_logger = logging.getLogger(__name__)


def relative_position_index(win_h: int, win_w: int, device: Optional[torch.device] = None) -> torch.Tensor:
    """(h*w, h*w) index into a flat (2h-1)(2w-1) bias table for every (query, key) pair of one window.

    Row-major over (dy, dx) with dy = y_query - y_key shifted to start at 0; separable, so it is the sum of a row
    term and a column term broadcast over the (query_y, query_x, key_y, key_x) grid.
    """
    # built on the CPU whatever the default device (cheap, and a meta-device model gets its buffer without running
    # meta kernels), then moved
    cpu = torch.device('cpu')
    ys, xs = torch.arange(win_h, device=cpu), torch.arange(win_w, device=cpu)
    dy = (ys[:, None] - ys[None, :] + (win_h - 1)) * (2 * win_w - 1)  # (query_y, key_y)
    dx = xs[:, None] - xs[None, :] + (win_w - 1)  # (query_x, key_x)
    index = dy[:, None, :, None] + dx[None, :, None, :]
    return index.reshape(win_h * win_w, win_h * win_w).to(device or cpu)


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
    dst_size = (2 * new_window_size[0] - 1, 2 * new_window_size[1] - 1)
    if table.ndim == 3:
        # (heads, rows, cols) offset grid (TensorFlow MaxViT layout): no extra rows, source size read off the shape
        if tuple(new_bias_shape[1:]) != dst_size:
            raise ValueError(f'A table of shape {tuple(new_bias_shape)} does not fit window {tuple(new_window_size)}.')
        src_size, num_extra = tuple(table.shape[1:]), 0
    elif table.ndim == 2:
        num_extra = new_bias_shape[0] - dst_size[0] * dst_size[1]
        src_size = _source_size(table.shape[0] - num_extra, dst_size, old_window_size)
    else:
        raise ValueError(f'Expected an (offsets, heads) or (heads, rows, cols) table, got shape {tuple(table.shape)}.')
    if src_size == dst_size:
        return table
    if table.is_meta:
        return table.new_empty(tuple(new_bias_shape))
    _logger.info('Resizing relative position bias table from %s to %s offsets', src_size, dst_size)
    if table.ndim == 3:
        out = _resample_offsets(table.float().cpu(), src_size, dst_size)
        return out.to(device=table.device, dtype=table.dtype).contiguous()
    num_pos = table.shape[0] - num_extra
    num_heads = table.shape[1]
    values = table[:num_pos].float().cpu().t().reshape(num_heads, *src_size)
    out = _resample_offsets(values, src_size, dst_size)
    out = out.reshape(num_heads, -1).t().to(device=table.device, dtype=table.dtype)
    if num_extra:
        out = torch.cat([out, table[num_pos:]], dim=0)
    return out.contiguous()


def _resample_offsets(values: torch.Tensor, src_size: Sequence[int], dst_size: Sequence[int]) -> torch.Tensor:
    """(heads, *src_size) -> (heads, *dst_size): separable interpolation on the geometric source offsets."""
    weights = []
    for src, dst in zip(src_size, dst_size):
        src_pos = torch.tensor(_geometric_offsets(src, dst), dtype=torch.float32)
        half = dst // 2
        dst_pos = torch.arange(-half, half + 0.1, 1.0, dtype=torch.float32)
        weights.append(_linear_weights(src_pos, dst_pos))
    return torch.einsum('ys,hst,xt->hyx', weights[0], values, weights[1])


def resize_rel_pos_tables(
        state_dict: Dict[str, torch.Tensor],
        model: nn.Module,
        suffix: str = 'relative_position_bias_table',
) -> Dict[str, torch.Tensor]:
    """Resample every learned bias table of a checkpoint to the window of the module that will own it.

    The owner is the module the key names (it has `window_size` and the table); a table whose size matches is still
    resampled for a non-square window, where a same-sized table may come from another window shape. Keys whose
    owner the model lacks are left for the loader to report.
    """
    out = dict(state_dict)
    for key, value in state_dict.items():
        if not key.endswith(suffix):
            continue
        try:
            owner = model.get_submodule(key[:-len(suffix)].rstrip('.'))
        except AttributeError:
            continue
        target = getattr(owner, suffix)
        window = owner.window_size
        if value.shape != target.shape or window[0] != window[1]:
            out[key] = resize_rel_pos_bias_table(value, window, target.shape)
    return out
