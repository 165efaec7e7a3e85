"""Local attention on 2-D token grids: window / grid partitions, cyclic shifts and their masks, window sizing.

Two ways of splitting an (H, W) grid into groups of tokens that attend to each other:

- *window* (block) partition: non-overlapping contiguous wh x ww tiles ("Swin Transformer", Liu et al., 2021,
  arXiv:2103.14030, section 3.2);
- *grid* partition: a fixed gh x gw grid laid over the whole map, each group taking one token per grid cell, so its
  members are H/gh, W/gw apart (the sparse, global half of "MaxViT: Multi-Axis Vision Transformer", Tu et al., 2022,
  arXiv:2204.01697, section 3.2).

Shifted windows roll the grid by half a window between consecutive blocks; a mask keeps tokens that the roll wrapped
around from attending across the seam. `ShiftedWindowGeometry` holds that bookkeeping (window fitted to the grid,
shift, mask, resizing) once for every Swin-style block.
"""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.helpers import to_2tuple, to_ntuple

__all__ = [
    'window_partition', 'window_reverse', 'grid_partition', 'grid_reverse', 'window_partition_nchw',
    'window_reverse_nchw', 'grid_partition_nchw', 'grid_reverse_nchw', 'shifted_window_mask', 'fit_window_to_grid',
    'resolve_stage_window_sizes', 'stage_window_sizes_for_grid', 'ShiftedWindowGeometry', 'windowed_sdpa',
    'SHIFT_MASK_VALUE',
]

SizeT = Union[int, Tuple[int, int]]
WindowSpec = Union[SizeT, Sequence[SizeT]]

# additive mask between tokens of different shifted regions; published Swin weights were trained with -100 rather
# than -inf (which also keeps fully masked rows finite)
SHIFT_MASK_VALUE = -100.0


def _check_divisible(h: int, w: int, size: Sequence[int], what: str) -> None:
    if h % size[0] or w % size[1]:
        raise ValueError(f'A {h}x{w} map does not split into whole {what}s of {size[0]}x{size[1]}; use an input size '
                         f'whose feature maps are multiples of the {what} size (or another {what} size).')


# The four layouts below differ only in which axes the tile index and the in-tile offset come from:
# (B, H/wh, wh, W/ww, ww, C) for windows, (B, gh, H/gh, gw, W/gw, C) for grids.

def window_partition(x: torch.Tensor, window_size: Sequence[int]) -> torch.Tensor:
    """(B, H, W, C) -> (B * num_windows, wh, ww, C), windows in row-major order per image."""
    b, h, w, c = x.shape
    wh, ww = window_size
    _check_divisible(h, w, window_size, 'window')
    x = x.view(b, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, wh, ww, c)


def window_reverse(windows: torch.Tensor, window_size: Sequence[int], hw: Sequence[int]) -> torch.Tensor:
    """Inverse of `window_partition` for an (H, W) = `hw` map."""
    wh, ww = window_size
    h, w = hw
    c = windows.shape[-1]
    x = windows.view(-1, h // wh, w // ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, w, c)


def grid_partition(x: torch.Tensor, grid_size: Sequence[int]) -> torch.Tensor:
    """(B, H, W, C) -> (B * H/gh * W/gw, gh, gw, C): each group holds the tokens H/gh, W/gw apart."""
    b, h, w, c = x.shape
    gh, gw = grid_size
    _check_divisible(h, w, grid_size, 'grid')
    x = x.view(b, gh, h // gh, gw, w // gw, c).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(-1, gh, gw, c)


def grid_reverse(windows: torch.Tensor, grid_size: Sequence[int], hw: Sequence[int]) -> torch.Tensor:
    """Inverse of `grid_partition` for an (H, W) = `hw` map."""
    gh, gw = grid_size
    h, w = hw
    c = windows.shape[-1]
    x = windows.view(-1, h // gh, w // gw, gh, gw, c).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(-1, h, w, c)


# NCHW maps go through the channels-last layouts (permutes are views; the partition copies once)

def window_partition_nchw(x: torch.Tensor, window_size: Sequence[int]) -> torch.Tensor:
    """(B, C, H, W) -> (B * num_windows, C, wh, ww)."""
    return window_partition(x.permute(0, 2, 3, 1), window_size).permute(0, 3, 1, 2)


def window_reverse_nchw(windows: torch.Tensor, window_size: Sequence[int], hw: Sequence[int]) -> torch.Tensor:
    return window_reverse(windows.permute(0, 2, 3, 1), window_size, hw).permute(0, 3, 1, 2)


def grid_partition_nchw(x: torch.Tensor, grid_size: Sequence[int]) -> torch.Tensor:
    """(B, C, H, W) -> (B * H/gh * W/gw, C, gh, gw)."""
    return grid_partition(x.permute(0, 2, 3, 1), grid_size).permute(0, 3, 1, 2)


def grid_reverse_nchw(windows: torch.Tensor, grid_size: Sequence[int], hw: Sequence[int]) -> torch.Tensor:
    return grid_reverse(windows.permute(0, 2, 3, 1), grid_size, hw).permute(0, 3, 1, 2)


def _shift_bands(size: int, window: int, shift: int, device: Optional[torch.device]) -> torch.Tensor:
    idx = torch.arange(size, device=device)
    if shift == 0:  # nothing wrapped around along this axis: one region
        return torch.zeros_like(idx)
    return (idx >= size - window).long() + (idx >= size - shift).long()


def shifted_window_mask(
        height: int,
        width: int,
        window_size: Sequence[int],
        shift_size: Sequence[int],
        device: Optional[torch.device] = None,
        dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """(num_windows, N, N) additive mask for a grid (already padded to whole windows) rolled by `shift_size`.

    After the cyclic shift the last row / column of windows holds tokens from up to four regions that were not
    adjacent in the image; a token may only attend within its own region.
    """
    # label each token by its region: the bands [0, H - wh), [H - wh, H - sh), [H - sh, H) and the same across W
    row_band = _shift_bands(height, window_size[0], shift_size[0], device)
    col_band = _shift_bands(width, window_size[1], shift_size[1], device)
    region = (row_band[:, None] * 3 + col_band[None, :]).view(1, height, width, 1)
    labels = window_partition(region, window_size).reshape(-1, window_size[0] * window_size[1])
    differ = labels.unsqueeze(1) != labels.unsqueeze(2)
    return torch.zeros(differ.shape, device=device, dtype=dtype).masked_fill_(differ, SHIFT_MASK_VALUE)


def fit_window_to_grid(
        grid: Sequence[int],
        window_size: Sequence[int],
        shift_size: Sequence[int],
        always_partition: bool = False,
) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """The (window, shift) a block uses on a `grid`: a window no larger than the grid, and no shift where it is not.

    A grid that fits in one window along an axis needs no shift there: every token already sees every other one
    (the official Swin code does the same). `always_partition` keeps the requested window and shift regardless.
    """
    window_size, shift_size = tuple(window_size), tuple(shift_size)
    if always_partition:
        return window_size, shift_size
    window = tuple(min(g, w) for g, w in zip(grid, window_size))
    shift = tuple(0 if g <= w else s for g, w, s in zip(grid, window, shift_size))
    return window, shift


def resolve_stage_window_sizes(window_size: WindowSpec, num_stages: int) -> Tuple[Tuple[int, int], ...]:
    """One (h, w) window per stage from an int, an (h, w) pair (always one window), or a per-stage sequence."""
    if not isinstance(window_size, (list, tuple)) or (
            len(window_size) == 2 and not isinstance(window_size[0], (list, tuple))):
        window_size = [window_size] * num_stages
    if len(window_size) != num_stages:
        raise ValueError(f'Expected one window size per stage ({num_stages}), got {window_size}.')
    sizes = tuple(tuple(to_2tuple(w)) for w in window_size)
    if any(s <= 0 for size in sizes for s in size):
        raise ValueError(f'Window sizes must be positive, got {sizes}.')
    return sizes


def stage_window_sizes_for_grid(
        grid: Sequence[int],
        ref_window_sizes: Sequence[Tuple[int, int]],
        ref_grid: Sequence[int],
        window_size: Optional[WindowSpec] = None,
        window_ratio: Optional[Union[int, Sequence[int]]] = None,
) -> Tuple[Tuple[int, int], ...]:
    """Per-stage windows for a new patch grid.

    Args:
        grid: the new patch grid (before any stage downsampling).
        ref_window_sizes: the current per-stage windows.
        ref_grid: the patch grid `ref_window_sizes` were chosen for.
        window_size: explicit windows (int, (h, w), or per stage); wins over `window_ratio`.
        window_ratio: windows as the patch grid divided by this (one int, or one per stage; a sequence of two is two
            stages, never (h, w)).

    Without `window_size` / `window_ratio` every window scales with the grid, keeping each stage's window-to-grid
    ratio (so a model resized to its current size is unchanged).
    """
    num_stages = len(ref_window_sizes)
    if window_size is not None:
        return resolve_stage_window_sizes(window_size, num_stages)
    if window_ratio is not None:
        ratios = to_ntuple(num_stages)(window_ratio)
        if len(ratios) != num_stages or any(r <= 0 for r in ratios):
            raise ValueError(f'Expected {num_stages} positive window ratios, got {window_ratio}.')
        return tuple(tuple(max(1, g // r) for g in grid) for r in ratios)
    return tuple(tuple(max(1, w * g // rg) for w, g, rg in zip(ws, grid, ref_grid)) for ws in ref_window_sizes)


class ShiftedWindowGeometry(nn.Module):
    """Base of Swin-style blocks: the window / shift fitted to the token grid, the shift mask, and resizing.

    Subclasses create `self.attn` (called as `attn(windows, mask)` on (B * num_windows, N, C) tokens) and write their
    own `forward` around `_window_attention(x)`, which runs attention inside the (shifted) windows of an NHWC map.

    Geometry arguments of every such block (passed on to `_init_geometry`):
        input_resolution: (H, W) of the token grid the block sees.
        window_size: target window; shrinks to the grid when the grid is smaller.
        shift_size: cyclic shift (0 for regular windows, window // 2 for shifted ones).
        always_partition: keep the target window and shift even when the grid is smaller.
        dynamic_mask: build the shift mask per forward from the actual input size (any input size).
    """

    def _init_geometry(
            self,
            input_resolution: Sequence[int],
            window_size: SizeT,
            shift_size: SizeT,
            always_partition: bool,
            dynamic_mask: bool,
    ) -> None:
        self.input_resolution = tuple(input_resolution)
        # the requested shift, kept so a resize can re-derive it for the new window
        self.target_shift_size = to_2tuple(shift_size)
        self.always_partition = always_partition
        self.dynamic_mask = dynamic_mask
        self.window_size, self.shift_size = fit_window_to_grid(
            self.input_resolution, to_2tuple(window_size), self.target_shift_size, always_partition)
        self.window_area = self.window_size[0] * self.window_size[1]

    def _padded_grid(self) -> Tuple[int, int]:
        return tuple(math.ceil(r / w) * w for r, w in zip(self.input_resolution, self.window_size))

    def _register_mask(self) -> None:
        """(Re)build the static shift mask; derived from the geometry alone, so never part of the state_dict."""
        mask = None
        if not self.dynamic_mask and any(self.shift_size):
            ref = next(self.parameters())
            # built on the CPU (also for a meta-device model), then moved next to the weights
            mask = shifted_window_mask(*self._padded_grid(), self.window_size, self.shift_size, torch.device('cpu'),
                                       ref.dtype).to(ref.device)
        self.register_buffer('attn_mask', mask, persistent=False)

    def set_input_size(
            self,
            feat_size: Sequence[int],
            window_size: SizeT,
            always_partition: Optional[bool] = None,
    ) -> None:
        """Adapt to a new token grid / window: refit window and shift, resize the attention's position tables."""
        self.input_resolution = tuple(feat_size)
        if always_partition is not None:
            self.always_partition = always_partition
        window_size = to_2tuple(window_size)
        # a shifted block shifts by half of whatever window it now has
        shift = tuple(w // 2 for w in window_size) if any(self.target_shift_size) else (0, 0)
        self.window_size, self.shift_size = fit_window_to_grid(
            self.input_resolution, window_size, shift, self.always_partition)
        self.window_area = self.window_size[0] * self.window_size[1]
        self.attn.set_window_size(self.window_size)
        self._register_mask()

    def _window_attention(self, x: torch.Tensor) -> torch.Tensor:
        """Attention within the (shifted) windows of an NHWC map; the map is zero-padded to whole windows."""
        _, h, w, c = x.shape
        shifted = any(self.shift_size)
        if shifted:
            x = torch.roll(x, shifts=(-self.shift_size[0], -self.shift_size[1]), dims=(1, 2))
        pad_h = -h % self.window_size[0]
        pad_w = -w % self.window_size[1]
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        hp, wp = h + pad_h, w + pad_w
        mask = self.attn_mask
        if self.dynamic_mask and shifted:
            mask = shifted_window_mask(hp, wp, self.window_size, self.shift_size, device=x.device, dtype=x.dtype)
        windows = window_partition(x, self.window_size).reshape(-1, self.window_area, c)
        windows = self.attn(windows, mask=mask).view(-1, self.window_size[0], self.window_size[1], c)
        x = window_reverse(windows, self.window_size, (hp, wp))[:, :h, :w, :]
        if shifted:
            x = torch.roll(x, shifts=self.shift_size, dims=(1, 2))
        return x


def _windowed_bias(bias: torch.Tensor, mask: Optional[torch.Tensor], num_tokens: int) -> Tuple[torch.Tensor, int]:
    """Combine a (1 | heads, N, N) position bias with a (num_windows, N, N) shift mask.

    Returns the bias to add to (images, num_windows, heads, N, N) scores and num_windows (1 without a mask): grouping
    the batch by image lets one mask broadcast over every image of the batch.
    """
    if mask is None:
        return bias, 1
    num_win = mask.shape[0]
    return bias + mask.view(num_win, 1, num_tokens, num_tokens), num_win


def windowed_sdpa(
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        bias: torch.Tensor,
        mask: Optional[torch.Tensor],
        scale: Optional[float] = None,
        dropout_p: float = 0.,
) -> torch.Tensor:
    """Fused attention over (B * num_windows, heads, N, d) windows with an additive position bias and shift mask."""
    b, heads, n, _ = q.shape
    attn_bias, num_win = _windowed_bias(bias, mask, n)
    if num_win > 1:
        q, k, v = (t.reshape(-1, num_win, heads, n, t.shape[-1]) for t in (q, k, v))
    x = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_bias.to(q.dtype), dropout_p=dropout_p, scale=scale)
    return x.reshape(b, heads, n, -1)
