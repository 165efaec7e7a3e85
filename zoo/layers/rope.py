"""Rotary position embedding (RoPE) over 2-D patch grids.

RoPE encodes a position by rotating pairs of query / key channels by an angle proportional to the position, so the
dot product of a rotated query and key depends only on their relative offset ("RoFormer: Enhanced Transformer with
Rotary Position Embedding", Su et al., 2021, arXiv:2104.09864). Vision transformers apply it per axis:

- Axial RoPE: half of each head's rotated pairs follow the row coordinate, half the column coordinate, with
  frequencies `temperature ** (-i / n)`. EVA-02 ("EVA-02: A Visual Representation for Neon Genesis", Fang et al., 2023,
  arXiv:2303.11331) uses integer patch coordinates, rescaled to the pre-training grid (`ref_feat_shape`) when
  fine-tuned at another resolution. DINOv3 (Simeoni et al., 2025, arXiv:2508.10104) uses patch-centre coordinates
  normalised to [-1, 1] and measured in turns, plus train-time shift / jitter / rescale of the coordinates.
- Mixed RoPE ("Rotary Position Embedding for Vision Transformer", Heo et al., 2024, arXiv:2403.13298): every block and
  head learns its own 2-D frequency vectors, initialised as axial frequencies rotated by a random angle, so a pair
  can follow any direction of the grid.

An embedding is one tensor `[sin, cos]` concatenated on the last dim (2 x the rotated width), consumed by
`apply_rope`. Pairs are either interleaved (channels 2i, 2i+1) or split in halves (channel i with i + d/2,
"rotate half"); checkpoints fix which one.
"""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

__all__ = ['RotaryEmbedding', 'MixedRotaryEmbedding', 'apply_rope', 'create_rope_embed', 'gather_rope', 'rope_coords']

SizeT = Sequence[int]


def rope_coords(
        feat_shape: SizeT,
        grid_type: str = 'index',
        grid_offset: float = 0.,
        ref_feat_shape: Optional[SizeT] = None,
        grid_indexing: str = 'ij',
        device: Optional[torch.device] = None,
) -> torch.Tensor:
    """Coordinates of the cells of an (H, W) grid in row-major order, as an (H * W, 2) float32 tensor.

    Args:
        feat_shape: grid (H, W).
        grid_type: 'index' (0, 1, ... plus `grid_offset`) or 'centered' (cell centres plus `grid_offset`, divided by
            the axis length and mapped to [-1, 1]).
        grid_offset: constant added to every index before any scaling.
        ref_feat_shape: 'index' only: rescale each axis so the grid spans `ref_feat_shape` cells (the grid a model
            was pre-trained on), keeping angles in the trained range at other resolutions.
        grid_indexing: 'ij' gives (row, column) coordinate channels, 'xy' gives (column, row).
        device: where to build the grid.
    """
    if grid_type not in ('index', 'centered'):
        raise ValueError(f"grid_type must be 'index' or 'centered', got {grid_type!r}.")
    if grid_indexing not in ('ij', 'xy'):
        raise ValueError(f"grid_indexing must be 'ij' or 'xy', got {grid_indexing!r}.")
    axes = []
    for i, size in enumerate(feat_shape):
        if grid_type == 'centered':
            t = (torch.arange(size, device=device, dtype=torch.float32) + (0.5 + grid_offset)) / size
        else:
            t = torch.arange(size, device=device, dtype=torch.float32) + grid_offset
            if ref_feat_shape is not None:
                t = t / size * ref_feat_shape[i]
        axes.append(t)
    rows, cols = torch.meshgrid(axes[0], axes[1], indexing='ij')
    pair = (rows, cols) if grid_indexing == 'ij' else (cols, rows)
    coords = torch.stack(pair, dim=-1).reshape(-1, 2)
    if grid_type == 'centered':
        coords = 2.0 * coords - 1.0
    return coords


def augment_coords(
        coords: torch.Tensor,
        shift: Optional[float] = None,
        jitter: Optional[float] = None,
        rescale: Optional[float] = None,
) -> torch.Tensor:
    """One random spatial transform of all coordinates (N, 2): shift per axis in [-shift, shift], scale per axis
    log-uniform in [1/jitter, jitter], then one shared scale log-uniform in [1/rescale, rescale] (DINOv3 training)."""
    if shift is not None:
        coords = coords + torch.empty(2, device=coords.device).uniform_(-shift, shift)
    if jitter is not None:
        coords = coords * torch.empty(2, device=coords.device).uniform_(-math.log(jitter), math.log(jitter)).exp()
    if rescale is not None:
        coords = coords * torch.empty(1, device=coords.device).uniform_(-math.log(rescale), math.log(rescale)).exp()
    return coords


def _pair_layout(angles: torch.Tensor, rotate_half: bool) -> torch.Tensor:
    # one angle per rotated pair -> one per channel: [a0, a1, .., a0, a1, ..] (halves) or [a0, a0, a1, a1, ..]
    return torch.cat([angles, angles], dim=-1) if rotate_half else angles.repeat_interleave(2, dim=-1)


def _sin_cos(angles: torch.Tensor, rotate_half: bool) -> torch.Tensor:
    return torch.cat([_pair_layout(angles.sin(), rotate_half), _pair_layout(angles.cos(), rotate_half)], dim=-1)


def apply_rope(x: torch.Tensor, emb: torch.Tensor, rotate_half: bool = False) -> torch.Tensor:
    """Rotate the channel pairs of `x` (..., N, D) by the angles of `emb` (..., N, 2D, `[sin, cos]`)."""
    sin, cos = emb.chunk(2, dim=-1)
    if rotate_half:
        first, second = x.chunk(2, dim=-1)
        partner = torch.cat([-second, first], dim=-1)
    else:
        pairs = x.unflatten(-1, (-1, 2))
        partner = torch.stack([-pairs[..., 1], pairs[..., 0]], dim=-1).flatten(-2)
    return (x * cos + partner * sin).to(x.dtype)


def gather_rope(emb: torch.Tensor, keep_indices: torch.Tensor) -> torch.Tensor:
    """The embedding rows of the tokens kept by patch dropout: emb (..., N, 2D), keep_indices (B, K) ->
    (B, ..., K, 2D) with one row set per sample."""
    emb = emb.unsqueeze(0).expand(keep_indices.shape[0], *emb.shape)
    index = keep_indices.view(keep_indices.shape[0], *([1] * (emb.ndim - 3)), keep_indices.shape[1], 1)
    return emb.gather(-2, index.expand(*emb.shape[:-2], keep_indices.shape[1], emb.shape[-1]))


def _check_augs(shift: Optional[float], jitter: Optional[float],
                rescale: Optional[float]) -> Tuple[Optional[float], Optional[float], Optional[float]]:
    # a shift is in grid units (>= 0); jitter and rescale are bounds of multiplicative factors (>= 1)
    out = []
    for name, value, minimum in (('shift_coords', shift, 0.), ('jitter_coords', jitter, 1.),
                                 ('rescale_coords', rescale, 1.)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value) or value < minimum):
            raise ValueError(f'{name} must be a finite number >= {minimum}, got {value!r}.')
        out.append(None if value is None else float(value))
    return out[0], out[1], out[2]


class RotaryEmbedding(nn.Module):
    """Axial rotary embedding for one attention head width (the same angles for every head and block).

    Args:
        dim: rotated width per head (divisible by 4: two axes x pairs).
        temperature: frequency base; pair i of an axis turns `temperature ** (-i / (dim / 4))` radians per unit.
        feat_shape: grid to precompute the embedding for (None: build it for each call's grid).
        grid_type: 'index' (EVA-02 / PE / RoPE-ViT) or 'centered' (DINOv3, angles measured in turns).
        grid_offset: added to the cell indices.
        ref_feat_shape: 'index' grids are rescaled to span this grid.
        grid_indexing: 'ij' or 'xy' coordinate channel order.
        rotate_half: pair channel i with i + dim/2 instead of interleaved neighbours.
        shift_coords: train-time random shift of the coordinates (grid units).
        jitter_coords: train-time random per-axis scale factor bound (>= 1).
        rescale_coords: train-time random shared scale factor bound (>= 1).
    """

    def __init__(
            self,
            dim: int,
            temperature: float = 10000.,
            feat_shape: Optional[SizeT] = None,
            grid_type: str = 'index',
            grid_offset: float = 0.,
            ref_feat_shape: Optional[SizeT] = None,
            grid_indexing: str = 'ij',
            rotate_half: bool = False,
            shift_coords: Optional[float] = None,
            jitter_coords: Optional[float] = None,
            rescale_coords: Optional[float] = None,
    ):
        super().__init__()
        if dim % 4:
            raise ValueError(f'Axial 2-D RoPE needs a head width divisible by 4, got {dim}.')
        if grid_type == 'centered' and ref_feat_shape is not None:
            raise ValueError("ref_feat_shape rescales 'index' grids only; centered grids are already normalised.")
        self.dim = dim
        self.temperature = float(temperature)
        self.grid_type = grid_type
        self.grid_offset = grid_offset
        self.ref_feat_shape = tuple(ref_feat_shape) if ref_feat_shape is not None else None
        self.grid_indexing = grid_indexing
        self.rotate_half = rotate_half
        self.shift_coords, self.jitter_coords, self.rescale_coords = _check_augs(
            shift_coords, jitter_coords, rescale_coords)
        self.feat_shape: Optional[Tuple[int, int]] = None
        self.register_buffer('pos_embed', None, persistent=False)
        self.set_feat_shape(feat_shape)

    @property
    def augments(self) -> bool:
        return any(v is not None for v in (self.shift_coords, self.jitter_coords, self.rescale_coords))

    def _frequencies(self, device: Optional[torch.device]) -> torch.Tensor:
        num_bands = self.dim // 4
        freqs = self.temperature ** -(torch.arange(num_bands, device=device, dtype=torch.float32) / num_bands)
        # centred coordinates span [-1, 1]; DINOv3 measures them in turns
        return freqs * (2 * math.pi) if self.grid_type == 'centered' else freqs

    def _build(self, feat_shape: SizeT, augment: bool, device: Optional[torch.device] = None) -> torch.Tensor:
        coords = rope_coords(feat_shape, self.grid_type, self.grid_offset, self.ref_feat_shape, self.grid_indexing,
                             device=device)
        if augment:
            coords = augment_coords(coords, self.shift_coords, self.jitter_coords, self.rescale_coords)
        angles = (coords[:, :, None] * self._frequencies(coords.device)).flatten(1)  # N, 2 axes x dim/4 pairs
        return _sin_cos(angles, self.rotate_half)

    def set_feat_shape(self, feat_shape: Optional[SizeT]) -> None:
        """Precompute the embedding for a new grid (None: compute per call)."""
        device = self.pos_embed.device if self.pos_embed is not None else None
        self.feat_shape = tuple(feat_shape) if feat_shape is not None else None
        self.pos_embed = self._build(self.feat_shape, False, device) if self.feat_shape is not None else None

    def get_embed(self, shape: Optional[SizeT] = None, device: Optional[torch.device] = None) -> torch.Tensor:
        """`[sin, cos]` embedding (H * W, 2 * dim) for `shape`, or for the precomputed grid when None; `device` is
        where a per-call embedding is built when there is no precomputed one to follow."""
        augment = self.training and self.augments
        if shape is None:
            if self.feat_shape is None:
                raise ValueError('This RotaryEmbedding has no precomputed grid; pass the grid shape.')
            if not augment:
                return self.pos_embed
            shape = self.feat_shape
        elif not augment and self.pos_embed is not None and tuple(shape) == self.feat_shape:
            return self.pos_embed
        return self._build(shape, augment, self.pos_embed.device if self.pos_embed is not None else device)


class MixedRotaryEmbedding(nn.Module):
    """Learnable per-block, per-head 2-D rotary frequencies (RoPE-Mixed).

    Args:
        dim: model width (split into `num_heads` heads whose width must be divisible by 4).
        depth: number of blocks (one frequency set each).
        num_heads: attention heads.
        temperature: base of the initial frequency magnitudes.
        feat_shape: grid whose coordinates are precomputed (None: per call).
        grid_indexing: 'ij' or 'xy' coordinate channel order.
        shift_coords, jitter_coords, rescale_coords: train-time coordinate augmentation, as for `RotaryEmbedding`.
    """

    def __init__(
            self,
            dim: int,
            depth: int,
            num_heads: int,
            temperature: float = 10.,
            feat_shape: Optional[SizeT] = None,
            grid_indexing: str = 'xy',
            shift_coords: Optional[float] = None,
            jitter_coords: Optional[float] = None,
            rescale_coords: Optional[float] = None,
    ):
        super().__init__()
        head_dim = dim // num_heads
        if head_dim % 4:
            raise ValueError(f'Mixed RoPE needs a head width divisible by 4, got {head_dim}.')
        self.dim = dim
        self.depth = depth
        self.num_heads = num_heads
        self.temperature = temperature
        self.grid_indexing = grid_indexing
        self.shift_coords, self.jitter_coords, self.rescale_coords = _check_augs(
            shift_coords, jitter_coords, rescale_coords)
        # (axis, block, head, pair): the frequency vector of each rotated pair
        self.freqs = nn.Parameter(torch.empty(2, depth, num_heads, head_dim // 2))
        self.feat_shape: Optional[Tuple[int, int]] = None
        self.register_buffer('coords', None, persistent=False)
        self.set_feat_shape(feat_shape)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # magnitudes of axial RoPE, each (block, head) turned by its own random angle; the two halves of the pairs
        # point a quarter turn apart so the pairs of one head span both grid directions
        head_dim = self.freqs.shape[-1] * 2
        with torch.no_grad():
            mag = self.temperature ** -(torch.arange(0, head_dim, 4, dtype=torch.float32) / head_dim)
            theta = torch.rand(self.depth, self.num_heads, 1) * (2 * math.pi)
            theta = torch.cat([theta.expand(-1, -1, mag.numel()), (theta + math.pi / 2).expand(-1, -1, mag.numel())],
                              dim=-1)
            mag = torch.cat([mag, mag])
            self.freqs.copy_(torch.stack([mag * theta.cos(), mag * theta.sin()]))

    def set_feat_shape(self, feat_shape: Optional[SizeT]) -> None:
        device = self.freqs.device if self.freqs.device.type != 'meta' else None
        self.feat_shape = tuple(feat_shape) if feat_shape is not None else None
        self.coords = rope_coords(self.feat_shape, grid_indexing=self.grid_indexing, device=device) \
            if self.feat_shape is not None else None

    def no_weight_decay(self) -> List[str]:
        return ['freqs']

    def get_embed(self, shape: Optional[SizeT] = None, device: Optional[torch.device] = None) -> torch.Tensor:
        """`[sin, cos]` embedding (depth, num_heads, H * W, 2 * head_dim); a per-call grid is built on `device`
        (default: the frequencies' device)."""
        if shape is None:
            if self.coords is None:
                raise ValueError('This MixedRotaryEmbedding has no precomputed grid; pass the grid shape.')
            coords = self.coords
        else:
            coords = rope_coords(shape, grid_indexing=self.grid_indexing, device=device or self.freqs.device)
        if self.training:
            coords = augment_coords(coords, self.shift_coords, self.jitter_coords, self.rescale_coords)
        freqs = self.freqs.float()
        angles = coords[:, 0, None] * freqs[0, :, :, None, :] + coords[:, 1, None] * freqs[1, :, :, None, :]
        return _sin_cos(angles, rotate_half=False).to(self.freqs.dtype)


def create_rope_embed(
        rope_type: str,
        dim: int,
        num_heads: int,
        depth: int = 1,
        temperature: float = 10000.,
        feat_shape: Optional[SizeT] = None,
        grid_offset: float = 0.,
        ref_feat_shape: Optional[SizeT] = None,
        grid_indexing: str = 'ij',
        rotate_half: bool = False,
        shift_coords: Optional[float] = None,
        jitter_coords: Optional[float] = None,
        rescale_coords: Optional[float] = None,
) -> Union[RotaryEmbedding, MixedRotaryEmbedding]:
    """The rotary embedding of a model of width `dim` with `num_heads` heads.

    Args:
        rope_type: 'cat' (axial, index grid; EVA-02 / PE / RoPE-ViT), 'dinov3' (axial, centred grid) or 'mixed'
            (learned per block and head).
        Other arguments as for `RotaryEmbedding` / `MixedRotaryEmbedding`; options a type does not use must keep their
        defaults.
    """
    aug = dict(shift_coords=shift_coords, jitter_coords=jitter_coords, rescale_coords=rescale_coords)
    if rope_type == 'mixed':
        if rotate_half or ref_feat_shape is not None or grid_offset:
            raise ValueError("rope_type='mixed' uses interleaved pairs on an integer grid: rotate_half, "
                             'ref_feat_shape and grid_offset are not supported.')
        return MixedRotaryEmbedding(dim, depth, num_heads, temperature=temperature, feat_shape=feat_shape,
                                    grid_indexing=grid_indexing, **aug)
    if rope_type not in ('cat', 'dinov3'):
        raise ValueError(f"Unknown rope_type {rope_type!r}; choose 'cat', 'dinov3' or 'mixed'.")
    if dim % num_heads:
        raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
    grid_type = 'centered' if rope_type == 'dinov3' else 'index'
    return RotaryEmbedding(dim // num_heads, temperature=temperature, feat_shape=feat_shape, grid_type=grid_type,
                           grid_offset=grid_offset, ref_feat_shape=ref_feat_shape, grid_indexing=grid_indexing,
                           rotate_half=rotate_half, **aug)
