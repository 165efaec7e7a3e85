"""Hiera: a hierarchical vision transformer without the bells and whistles.

Papers: "Hiera: A Hierarchical Vision Transformer without the Bells-and-Whistles", Ryali et al., ICML 2023
(arXiv:2306.00989); "Window Attention is Bugged: How not to Interpolate Position Embeddings", Bolya et al., ICLR 2024
(arXiv:2311.05613) for the `abswin` position embeddings.

Hiera is a plain ViT made hierarchical by pooling alone. A stride-4 conv embeds patches; the tokens are then
*unrolled*: for each of the (stages - 1) 2x2 strides, the position within the 2x2 neighbourhood moves to the front of
the token order, finest stride first, so that

- a 2x2 max-pool of the map is a max over the four leading quarters of the token sequence (stage transitions pool
  the queries and the residual this way), and
- a "mask unit" (an 8x8 patch window, 2 ** (stages - 1) patches wide) is a fixed set of strided token positions:
  mask-unit attention in the first stages is attention within those windows, with the window count as the last
  token axis; later stages attend globally.

Intermediate features are *rerolled* back into spatial order. Stage transitions project to twice the width (a linear
layer, or in the abswin models a concatenation of max- and average-pooled residuals) and pool the queries. A random
keep-mask over mask units (MAE-style; `forward(x, mask)`) drops whole units after the embedding.

Position embeddings are learned per token, or (abswin) a global table resized bicubically to the token grid plus one
window table tiled over the mask units.
"""
import math
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath, trunc_normal_
from zoo.layers.cl_norm_mlp_head import ClNormMlpClassifierHead
from zoo.layers.config import use_fused_attn
from zoo.layers.attention import attend
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.helpers import to_2tuple
from zoo.layers.layer_scale import LayerScale
from zoo.layers.mlp import Mlp
from zoo.layers.norm import get_norm_layer
from zoo.models._base import Trunk, ZooModel, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['Hiera', 'MaskUnitAttention', 'HieraBlock', 'unroll_tokens', 'reroll_tokens', 'init_hiera_weights_',
           'take_block_indices', 'prune_blocks_']

IndicesT = Optional[Union[int, Sequence[int]]]


def unroll_tokens(x: torch.Tensor, size: Sequence[int], strides: Sequence[Tuple[int, int]]) -> torch.Tensor:
    """(B, H * W, C) row-major tokens -> the unrolled order (i1y, i1x, i2y, i2x, ..., H', W').

    `i_k` is the position within the k-th stride (the finest first): row h = ((h' * s_m + i_m) ... ) * s_1 + i_1.
    """
    b, _, c = x.shape
    m = len(strides)
    sy, sx = [s[0] for s in strides], [s[1] for s in strides]
    rest_h, rest_w = size[0] // math.prod(sy), size[1] // math.prod(sx)
    # the most significant digit first: (H', i_m, ..., i_1) per axis
    x = x.view(b, rest_h, *sy[::-1], rest_w, *sx[::-1], c)
    order = [0]
    for k in range(1, m + 1):
        order += [m + 2 - k, 2 * m + 3 - k]
    order += [1, m + 2, 2 * m + 3]
    return x.permute(order).reshape(b, -1, c)


def reroll_tokens(x: torch.Tensor, size: Sequence[int], strides: Sequence[Tuple[int, int]],
                  masked: bool = False) -> torch.Tensor:
    """Inverse of `unroll_tokens` for the strides still unrolled at a block: (B, N, C) -> (B, H, W, C), or with a
    mask (units dropped, so no full grid) (B, units, unit_h, unit_w, C)."""
    b, n, c = x.shape
    m = len(strides)
    sy, sx = [s[0] for s in strides], [s[1] for s in strides]
    unit_h, unit_w = math.prod(sy), math.prod(sx)
    units = n // (unit_h * unit_w)
    grid = [units] if masked else [size[0] // unit_h, size[1] // unit_w]
    x = x.view(b, *[s for pair in zip(sy, sx) for s in pair], *grid, c)
    # after the view, i_k sits at dims 1 + 2 * (k - 1) (y) and 2 + 2 * (k - 1) (x); the coarsest digit leads
    ys = [1 + 2 * (k - 1) for k in range(m, 0, -1)]
    xs = [2 + 2 * (k - 1) for k in range(m, 0, -1)]
    if masked:
        x = x.permute(0, 2 * m + 1, *ys, *xs, 2 * m + 2)
        return x.reshape(b, units, unit_h, unit_w, c)
    x = x.permute(0, 2 * m + 1, *ys, 2 * m + 2, *xs, 2 * m + 3)
    return x.reshape(b, size[0], size[1], c)


class MaskUnitAttention(nn.Module):
    """Attention within mask units (windows of unrolled tokens) or over all tokens, with optional query max-pooling.

    Args:
        dim: input width.
        dim_out: output width.
        heads: attention heads.
        q_stride: flattened query pooling stride (4 for 2x2), 1 for none.
        window_size: flattened mask-unit size after the pooling.
        use_mask_unit_attn: attend within mask units; otherwise globally.
    """

    def __init__(self, dim: int, dim_out: int, heads: int, q_stride: int = 1, window_size: int = 0,
                 use_mask_unit_attn: bool = False):
        super().__init__()
        self.dim, self.dim_out, self.heads = dim, dim_out, heads
        self.q_stride, self.window_size, self.use_mask_unit_attn = q_stride, window_size, use_mask_unit_attn
        self.head_dim = dim_out // heads
        self.fused_attn = use_fused_attn()
        self.qkv = nn.Linear(dim, 3 * dim_out)
        self.proj = nn.Linear(dim_out, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        heads, hd = self.heads, self.head_dim
        if self.use_mask_unit_attn:
            # windows are the trailing token axis of the unrolled order: (B, heads, windows, tokens, d)
            windows = n // (self.q_stride * self.window_size)
            q, k, v = self.qkv(x).reshape(b, -1, windows, 3, heads, hd).permute(3, 0, 4, 2, 1, 5).unbind(0)
            if self.q_stride > 1:
                q = q.reshape(b, heads, windows, self.q_stride, -1, hd).amax(3)
            x = attend(q, k, v, fused=self.fused_attn)
            x = x.permute(0, 3, 2, 1, 4)  # (B, tokens, windows, heads, d)
        else:
            q, k, v = self.qkv(x).reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
            if self.q_stride > 1:
                q = q.reshape(b, heads, self.q_stride, -1, hd).amax(2)
            x = attend(q, k, v, fused=self.fused_attn).transpose(1, 2)
        return self.proj(x.reshape(b, -1, self.dim_out))


class HieraBlock(nn.Module):
    """Pre-norm attention (with the stage transition's projection + pooling of the residual) and MLP residuals.

    Args:
        dim: input width.
        dim_out: output width (a stage's first block widens).
        heads: attention heads.
        mlp_ratio: MLP expansion.
        drop_path: stochastic depth rate.
        init_values: LayerScale init; None for none.
        norm_layer: norm factory.
        q_stride: flattened query / residual pooling stride.
        window_size: flattened mask-unit size after pooling.
        use_expand_proj: widen the residual with a linear layer; otherwise concatenate its max- and mean-pools.
        use_mask_unit_attn: mask-unit (windowed) instead of global attention.
    """

    def __init__(self, dim: int, dim_out: int, heads: int, mlp_ratio: float = 4., drop_path: float = 0.,
                 init_values: Optional[float] = None, norm_layer: type = nn.LayerNorm, q_stride: int = 1,
                 window_size: int = 0, use_expand_proj: bool = True, use_mask_unit_attn: bool = False):
        super().__init__()
        self.dim, self.dim_out = dim, dim_out
        self.do_expand = dim != dim_out
        if self.do_expand and not use_expand_proj and dim_out != 2 * dim:
            raise ValueError(f'Without an expansion projection the width must double ({dim} -> {dim_out}).')
        self.norm1 = norm_layer(dim)
        self.proj = nn.Linear(dim, dim_out) if self.do_expand and use_expand_proj else None
        self.attn = MaskUnitAttention(dim, dim_out, heads, q_stride, window_size, use_mask_unit_attn)
        self.ls1 = LayerScale(dim_out, init_values) if init_values is not None else nn.Identity()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = norm_layer(dim_out)
        self.mlp = Mlp(dim_out, int(dim_out * mlp_ratio))
        self.ls2 = LayerScale(dim_out, init_values) if init_values is not None else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], self.attn.q_stride, -1, x.shape[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_norm = self.norm1(x)
        if self.do_expand:
            if self.proj is not None:
                x = self._pool(self.proj(x_norm)).amax(1)
            else:
                x = torch.cat([self._pool(x).amax(1), self._pool(x).mean(1)], dim=-1)
        x = x + self.drop_path1(self.ls1(self.attn(x_norm)))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class PatchEmbed(nn.Module):
    """Strided conv patch embedding to (B, N, C) tokens; a mask (B, 1, h, w) zeroes the pixels of dropped units."""

    def __init__(self, dim_in: int, dim_out: int, kernel: Tuple[int, int], stride: Tuple[int, int],
                 padding: Tuple[int, int]):
        super().__init__()
        self.proj = nn.Conv2d(dim_in, dim_out, kernel, stride, padding)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if mask is not None:
            if mask.shape[2:] != x.shape[2:]:
                mask = F.interpolate(mask.float(), size=x.shape[2:])
            x = x * mask.to(torch.bool)
        return self.proj(x).flatten(2).transpose(1, 2)


def init_hiera_weights_(model: nn.Module, tables: Sequence[Optional[nn.Parameter]], weight_init: str, fix_init: bool,
                        head_init_scale: float) -> None:
    """Initialise a Hiera-style model: position tables and linear layers (truncated normal, or Xavier uniform for
    'jax'), each block's output projections scaled by 1 / sqrt(2 * block index) (`fix_init`), a small classifier."""
    if weight_init not in ('', 'jax', 'skip'):
        raise ValueError(f"weight_init must be '', 'jax' or 'skip', got {weight_init!r}.")
    for p in tables:
        if p is not None:
            trunc_normal_(p, std=.02)
    if weight_init == 'skip':
        return
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear):
            if weight_init == 'jax':
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6) if 'mlp' in name else nn.init.zeros_(m.bias)
            else:
                trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
    with torch.no_grad():
        if fix_init:
            for depth, block in enumerate(model.blocks, 1):
                block.attn.proj.weight.div_(math.sqrt(2. * depth))
                block.mlp.fc2.weight.div_(math.sqrt(2. * depth))
        if isinstance(model.head.fc, nn.Linear):
            model.head.fc.weight.mul_(head_init_scale)
            model.head.fc.bias.mul_(head_init_scale)


def take_block_indices(stage_ends: Sequence[int], num_blocks: int, indices: IndicesT,
                       coarse: bool) -> Tuple[List[int], int]:
    """(block indices to take, last block needed) for stage-level (`coarse`) or block-level `indices`."""
    if not coarse:
        return feature_take_indices(num_blocks, indices)
    take, max_index = feature_take_indices(len(stage_ends), indices)
    return [stage_ends[i] for i in take], stage_ends[max_index]


def prune_blocks_(model: nn.Module, indices: IndicesT, prune_head: bool, coarse: bool) -> List[int]:
    """Hiera-style pruning: drop the blocks after the last requested level; a truncated trunk or `prune_head` also
    empties the head (norm and classifier), which then takes the last kept width. Returns the taken indices."""
    if coarse:
        take, max_stage = feature_take_indices(len(model.stage_ends), indices)
        num_chs, max_index = model.feature_info[max_stage]['num_chs'], model.stage_ends[max_stage]
    else:
        take, max_index = feature_take_indices(len(model.blocks), indices)
        num_chs = model.blocks[max_index].dim_out
    truncated = max_index < len(model.blocks) - 1
    model.blocks = model.blocks[:max_index + 1]
    if truncated:
        model.num_features = model.head_hidden_size = num_chs
    if prune_head or truncated:
        model.num_classes = 0
        model.head.reset(0, reset_other=True, in_features=model.num_features)
        model.head_hidden_size = model.head.num_features
    return take


class Hiera(ZooModel):
    """Hiera.

    Args:
        img_size: input size (the position embeddings and mask units are laid out for it).
        in_chans: input image channels.
        embed_dim: width of the first stage.
        num_heads: heads of the first stage.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: head pooling ('avg', 'max', 'avgmax', '').
        stages: blocks per stage.
        q_pool: number of stage transitions that pool.
        q_stride: pooling stride per transition.
        mask_unit_size: mask-unit size in patches.
        mask_unit_attn: per stage, mask-unit (True) or global attention (lagging one block into the next stage).
        use_expand_proj: widen with a linear layer at stage transitions (else concatenated max / mean pools).
        dim_mul: width multiplier per stage.
        head_mul: head-count multiplier per stage.
        patch_kernel: patch embedding kernel.
        patch_stride: patch embedding stride.
        patch_padding: patch embedding padding.
        mlp_ratio: MLP expansion.
        drop_path_rate: stochastic depth of the last block.
        init_values: LayerScale init; None disables it.
        fix_init: scale each block's output projections by 1 / sqrt(2 * depth index) at init.
        weight_init: '' (truncated normal), 'jax' (Xavier uniform) or 'skip'.
        norm_layer: norm (name or class).
        drop_rate: dropout before the classifier.
        patch_drop_rate: in training, drop this fraction of mask units (a random keep-mask).
        head_init_scale: scale of the initial classifier weights.
        abs_win_pos_embed: a global position table resized to the token grid plus a tiled mask-unit table.
        global_pos_size: size of the global table (abswin).
    """
    classifier_name = 'head.fc'
    groups = dict(stem=r'^pos_embed|pos_embed_spatial|pos_embed_temporal|pos_embed_abs|pos_embed_win|patch_embed',
                  blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            img_size: Union[int, Tuple[int, int]] = 224,
            in_chans: int = 3,
            embed_dim: int = 96,
            num_heads: int = 1,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            stages: Sequence[int] = (2, 3, 16, 3),
            q_pool: int = 3,
            q_stride: Tuple[int, int] = (2, 2),
            mask_unit_size: Tuple[int, int] = (8, 8),
            mask_unit_attn: Sequence[bool] = (True, True, False, False),
            use_expand_proj: bool = True,
            dim_mul: float = 2.,
            head_mul: float = 2.,
            patch_kernel: Tuple[int, int] = (7, 7),
            patch_stride: Tuple[int, int] = (4, 4),
            patch_padding: Tuple[int, int] = (3, 3),
            mlp_ratio: float = 4.,
            drop_path_rate: float = 0.,
            init_values: Optional[float] = None,
            fix_init: bool = True,
            weight_init: str = '',
            norm_layer: Union[str, type] = 'layernorm',
            drop_rate: float = 0.,
            patch_drop_rate: float = 0.,
            head_init_scale: float = 0.001,
            abs_win_pos_embed: bool = False,
            global_pos_size: Tuple[int, int] = (14, 14),
    ):
        super().__init__()
        if q_pool >= len(stages):
            raise ValueError(f'q_pool ({q_pool}) must be smaller than the number of stages ({len(stages)}).')
        norm_layer = get_norm_layer(norm_layer)
        img_size = to_2tuple(img_size)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.grad_checkpointing = False
        self.patch_drop_rate = patch_drop_rate
        self.tokens_spatial_shape = [i // s for i, s in zip(img_size, patch_stride)]
        self.mask_unit_size = tuple(mask_unit_size)
        self.mu_size = math.prod(mask_unit_size)
        self.mask_spatial_shape = [t // m for t, m in zip(self.tokens_spatial_shape, mask_unit_size)]
        self.stage_ends = [sum(stages[:i + 1]) - 1 for i in range(len(stages))]
        self.q_pool = q_pool
        # one 2D stride per stage transition, consumed (finest first) by the pooling transitions
        self.unroll_schedule = [tuple(q_stride)] * (len(stages) - 1)

        self.patch_embed = PatchEmbed(in_chans, embed_dim, patch_kernel, patch_stride, patch_padding)
        self.pos_embed_win: Optional[nn.Parameter] = None
        if abs_win_pos_embed:
            self.pos_embed = nn.Parameter(torch.zeros(1, embed_dim, *global_pos_size))
            self.pos_embed_win = nn.Parameter(torch.zeros(1, embed_dim, *mask_unit_size))
        else:
            self.pos_embed = nn.Parameter(torch.zeros(1, math.prod(self.tokens_spatial_shape), embed_dim))

        flat_q_stride = math.prod(q_stride)
        flat_mu_size = self.mu_size
        q_pool_blocks = [end + 1 for end in self.stage_ends[:q_pool]]
        rates = stagewise_drop_path_rates(drop_path_rate, [sum(stages)])[0]
        self.blocks = nn.ModuleList()
        self.feature_info = []
        stage = 0
        for i in range(sum(stages)):
            dim_out = embed_dim
            # the first block of a stage still attends the previous stage's way, after pooling
            use_mask_unit_attn = mask_unit_attn[stage]
            if i - 1 in self.stage_ends:
                dim_out = int(embed_dim * dim_mul)
                num_heads = int(num_heads * head_mul)
                stage += 1
                if i in q_pool_blocks:
                    flat_mu_size //= flat_q_stride
            self.blocks.append(HieraBlock(
                embed_dim, dim_out, num_heads, mlp_ratio, rates[i], init_values, norm_layer,
                q_stride=flat_q_stride if i in q_pool_blocks else 1, window_size=flat_mu_size,
                use_expand_proj=use_expand_proj, use_mask_unit_attn=use_mask_unit_attn))
            embed_dim = dim_out
            if i in self.stage_ends:
                self.feature_info.append(dict(num_chs=dim_out, reduction=2 ** (stage + 2), module=f'blocks.{i}'))
        self.num_features = self.head_hidden_size = embed_dim
        self.head = ClNormMlpClassifierHead(embed_dim, num_classes, pool_type=global_pool, drop_rate=drop_rate,
                                            norm_layer=norm_layer, input_fmt='NLC')
        self.trunk = Trunk(stem=('patch_embed',), level_fmt='NLC', final=(),
                           levels=split_levels([f'blocks.{i}' for i in range(len(self.blocks))], self.stage_ends))
        init_hiera_weights_(self, (self.pos_embed, self.pos_embed_win), weight_init, fix_init, head_init_scale)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {'pos_embed'}

    def get_random_mask(self, x: torch.Tensor, mask_ratio: float) -> torch.Tensor:
        """A (B, mask units) bool keep-mask with `1 - mask_ratio` of the units of each image kept at random."""
        b, units = x.shape[0], math.prod(self.mask_spatial_shape)
        keep = int(units * (1 - mask_ratio))
        ranks = torch.rand(b, units, device=x.device).argsort(1).argsort(1)
        return ranks < keep

    def _pos_embed(self, x: torch.Tensor) -> torch.Tensor:
        if self.pos_embed_win is None:
            return x + self.pos_embed
        win = self.pos_embed_win.tile(self.mask_spatial_shape)
        glob = F.interpolate(self.pos_embed, size=win.shape[-2:], mode='bicubic', antialias=True)
        return x + (glob + win).flatten(2).transpose(1, 2)

    def _embed(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        """Patch embed, position embed and unroll; with a keep-mask, only the kept units' tokens remain."""
        patch_mask = mask.view(x.shape[0], 1, *self.mask_spatial_shape) if mask is not None else None
        x = self._pos_embed(self.patch_embed(x, patch_mask))
        x = unroll_tokens(x, self.tokens_spatial_shape, self.unroll_schedule)
        if mask is not None:
            # unrolled tokens are (position within unit, unit): keep the same units at every position
            b, _, c = x.shape
            x = x.view(b, self.mu_size, -1, c).masked_select(mask.view(b, 1, -1, 1)).view(b, -1, c)
        return x

    def _run_block(self, i: int, x: torch.Tensor) -> torch.Tensor:
        return maybe_checkpoint(self.blocks[i], x, enabled=self.grad_checkpointing)

    def reroll(self, x: torch.Tensor, block_idx: int, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Block `block_idx`'s tokens in spatial order (B, H, W, C), or per kept unit with a mask."""
        pooled = sum(1 for end in self.stage_ends[:self.q_pool] if end < block_idx)
        done = self.unroll_schedule[:pooled]
        size = [t // math.prod(s[d] for s in done) for d, t in enumerate(self.tokens_spatial_shape)]
        return reroll_tokens(x, size, self.unroll_schedule[pooled:], masked=mask is not None)

    def forward_features(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Final tokens (B, N, C). `mask` (B, mask units) is a bool keep-mask with the same count kept per image."""
        if self.training and self.patch_drop_rate > 0:
            if mask is not None:
                raise ValueError('Pass no mask while training with patch_drop_rate: it draws its own.')
            mask = self.get_random_mask(x, self.patch_drop_rate)
        x = self._embed(x, mask)
        for i in range(len(self.blocks)):
            x = self._run_block(i, x)
        return x

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Logits; with a `mask`, the (masked) final tokens instead, as for MAE-style use."""
        x = self.forward_features(x, mask=mask)
        return self.forward_head(x) if mask is None else x

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            mask: Optional[torch.Tensor] = None,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = True,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
            coarse: bool = True,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """Rerolled outputs of the stages (or with `coarse=False`, of the blocks) in `indices`.

        Args:
            x: input images.
            mask: optional keep-mask over mask units; intermediates are then (B, units, unit_h, unit_w, C).
            indices: None for all, n for the last n, or a sequence of stage (block) indices.
            norm: not supported (Hiera's only norm is in the head, after pooling).
            stop_early: stop after the last requested level.
            output_fmt: 'NCHW' or 'NHWC'.
            intermediates_only: return only the intermediates.
            coarse: index stages (True) or blocks (False).
        """
        if norm:
            raise ValueError('Hiera has no feature norm (its norm follows pooling in the head); use norm=False.')
        if output_fmt not in ('NCHW', 'NHWC'):
            raise ValueError(f"Hiera intermediates are 'NCHW' or 'NHWC', not {output_fmt!r}.")
        take, max_index = take_block_indices(self.stage_ends, len(self.blocks), indices, coarse)
        x = self._embed(x, mask)
        last = max_index if stop_early else len(self.blocks) - 1
        intermediates = []
        for i in range(last + 1):
            x = self._run_block(i, x)
            if i in take:
                feat = self.reroll(x, i, mask)
                intermediates.append(feat.permute(0, 3, 1, 2) if output_fmt == 'NCHW' and mask is None else feat)
        if intermediates_only:
            return intermediates
        return x, intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: IndicesT = 1, prune_norm: bool = False, prune_head: bool = True,
                                  coarse: bool = True) -> List[int]:
        """Drop the blocks after the last requested level; the head goes with a truncated trunk or on request."""
        return prune_blocks_(self, indices, prune_head, coarse)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: Hiera) -> Dict[str, torch.Tensor]:
    """The official (facebookresearch/hiera) layout: the classifier is `head.projection`, the final norm `norm` or
    `encoder_norm` (zoo's head norm), the abswin global table `pos_embed_abs`."""
    state_dict = state_dict.get('model_state', state_dict)
    out = {}
    for key, value in state_dict.items():
        key = key.replace('head.projection.', 'head.fc.')
        for old in ('encoder_norm.', 'norm.'):
            if key.startswith(old):
                key = 'head.norm.' + key[len(old):]
                break
        out['pos_embed' if key == 'pos_embed_abs' else key] = value
    return out


def _create_hiera(variant: str, pretrained: bool = False, **kwargs: Any) -> Hiera:
    return build_model_with_cfg(Hiera, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=4, feature_cls='getter'), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=None, crop_pct=.9,
               interpolation='bicubic', fixed_input_size=True, mean=(0.485, 0.456, 0.406),
               std=(0.229, 0.224, 0.225), first_conv='patch_embed.proj', classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_MAE = dict(license='cc-by-nc-4.0')
_ABSWIN = dict(input_size=(3, 256, 256), crop_pct=.95)

default_cfgs = generate_default_cfgs({
    **{f'hiera_{size}_224.{tag}': _cfg(**_MAE, **(dict(num_classes=0) if tag == 'mae' else {}))
       for size in ('tiny', 'small', 'base', 'base_plus', 'large', 'huge') for tag in ('mae_in1k_ft_in1k', 'mae')},
    'hiera_small_abswin_256.sbb2_e200_in12k_ft_in1k': _cfg(**_ABSWIN),
    'hiera_small_abswin_256.sbb2_pd_e200_in12k_ft_in1k': _cfg(**_ABSWIN),
    'hiera_small_abswin_256.sbb2_e200_in12k': _cfg(num_classes=11821, **_ABSWIN),
    'hiera_small_abswin_256.sbb2_pd_e200_in12k': _cfg(num_classes=11821, **_ABSWIN),
    'hiera_base_abswin_256.untrained': _cfg(hf_hub_id=None, **_ABSWIN),
})

_ARCHS: Dict[str, Dict[str, Any]] = dict(
    hiera_tiny_224=dict(embed_dim=96, num_heads=1, stages=(1, 2, 7, 2)),
    hiera_small_224=dict(embed_dim=96, num_heads=1, stages=(1, 2, 11, 2)),
    hiera_base_224=dict(embed_dim=96, num_heads=1, stages=(2, 3, 16, 3)),
    hiera_base_plus_224=dict(embed_dim=112, num_heads=2, stages=(2, 3, 16, 3)),
    hiera_large_224=dict(embed_dim=144, num_heads=2, stages=(2, 6, 36, 4)),
    hiera_huge_224=dict(embed_dim=256, num_heads=4, stages=(2, 6, 36, 4)),
    hiera_small_abswin_256=dict(embed_dim=96, num_heads=1, stages=(1, 2, 11, 2), abs_win_pos_embed=True,
                                global_pos_size=(16, 16), init_values=1e-5, weight_init='jax', use_expand_proj=False),
    hiera_base_abswin_256=dict(embed_dim=96, num_heads=1, stages=(2, 3, 16, 3), abs_win_pos_embed=True,
                               init_values=1e-5, weight_init='jax'),
)


def _hiera(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> Hiera:
    return _create_hiera(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def hiera_tiny_224(pretrained: bool = False, **kwargs) -> Hiera:
    return _hiera('hiera_tiny_224', pretrained, kwargs)


@register_model
def hiera_small_224(pretrained: bool = False, **kwargs) -> Hiera:
    return _hiera('hiera_small_224', pretrained, kwargs)


@register_model
def hiera_base_224(pretrained: bool = False, **kwargs) -> Hiera:
    return _hiera('hiera_base_224', pretrained, kwargs)


@register_model
def hiera_base_plus_224(pretrained: bool = False, **kwargs) -> Hiera:
    return _hiera('hiera_base_plus_224', pretrained, kwargs)


@register_model
def hiera_large_224(pretrained: bool = False, **kwargs) -> Hiera:
    return _hiera('hiera_large_224', pretrained, kwargs)


@register_model
def hiera_huge_224(pretrained: bool = False, **kwargs) -> Hiera:
    return _hiera('hiera_huge_224', pretrained, kwargs)


@register_model
def hiera_small_abswin_256(pretrained: bool = False, **kwargs) -> Hiera:
    return _hiera('hiera_small_abswin_256', pretrained, kwargs)


@register_model
def hiera_base_abswin_256(pretrained: bool = False, **kwargs) -> Hiera:
    return _hiera('hiera_base_abswin_256', pretrained, kwargs)
