"""Swin Transformer: a hierarchical vision transformer with attention inside shifted local windows.

Papers:
- Swin: "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", Liu et al., ICCV 2021
  (arXiv:2103.14030).
- Swin-S3 (per-stage window sizes found by search): "Searching the Search Space of Vision Transformer",
  Chen et al., NeurIPS 2021 (arXiv:2111.14725).
- Relative position bias resizing on load: BEiT, Bao et al., 2021 (arXiv:2106.08254), see
  `zoo.layers.pos_embed_rel`.

Tokens stay in an NHWC grid throughout. Each stage (but the first) starts with patch merging (2x2 neighbours
concatenated, normalised, linearly reduced to twice the width), followed by pairs of blocks whose attention is
restricted to non-overlapping windows; every second block cyclically shifts the grid by half a window so
information crosses window borders, with a mask keeping wrapped-around tokens apart.

Layout deviations from the paper's code, all matching timm's published weights: patch merging sits at the *start*
of stages 1..3 (the official code puts it at the end of stages 0..2; `checkpoint_filter_fn` converts), and the
classifier lives in `head.fc`. When a stage's grid is no larger than the window, the window shrinks to the grid and
the shift is dropped (as in the official code), so reduced input sizes keep working.
"""
import math
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import (
    ClassifierHead, DropPath, LayerType, get_act_layer, get_norm_layer, to_2tuple, to_ntuple, trunc_normal_,
)
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed_rel import relative_position_index, resize_rel_pos_bias_table
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import checkpoint_seq
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['SwinTransformer', 'SwinTransformerBlock', 'SwinTransformerStage', 'WindowAttention', 'PatchMerging']

SizeT = Union[int, Tuple[int, int]]

# additive mask value between tokens of different shifted regions; the published weights were trained with -100
# rather than -inf (it also keeps fully masked rows finite)
_MASK_VALUE = -100.0


def window_partition(x: torch.Tensor, window_size: Tuple[int, int]) -> torch.Tensor:
    """(B, H, W, C) -> (B * num_windows, wh, ww, C); H and W must be multiples of the window."""
    b, h, w, c = x.shape
    wh, ww = window_size
    x = x.view(b, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, wh, ww, c)


def window_reverse(windows: torch.Tensor, window_size: Tuple[int, int], h: int, w: int) -> torch.Tensor:
    """Inverse of `window_partition`: (B * num_windows, wh, ww, C) -> (B, H, W, C)."""
    wh, ww = window_size
    c = windows.shape[-1]
    x = windows.view(-1, h // wh, w // ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, w, c)


def shifted_window_mask(
        height: int,
        width: int,
        window_size: Tuple[int, int],
        shift_size: Tuple[int, int],
        device: Optional[torch.device] = None,
        dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """(num_windows, N, N) additive mask for a grid (already padded to whole windows) rolled by `shift_size`.

    After the cyclic shift the bottom / right windows hold tokens from up to four regions that were not adjacent
    in the image; tokens may only attend within their own region.
    """
    region = torch.zeros((1, height, width, 1), device=device, dtype=dtype)
    label = 0
    for hs in ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None)):
        for ws in ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None)):
            region[:, hs[0]:hs[1], ws[0]:ws[1], :] = label
            label += 1
    labels = window_partition(region, window_size).reshape(-1, window_size[0] * window_size[1])
    differ = labels.unsqueeze(1) != labels.unsqueeze(2)
    return torch.zeros_like(differ, dtype=dtype).masked_fill(differ, _MASK_VALUE)


class WindowAttention(nn.Module):
    """Multi-head self-attention within a window, with a learned bias per relative offset and head.

    Args:
        dim: token width.
        num_heads: attention heads.
        head_dim: width per head (dim // num_heads when None).
        window_size: (h, w) of the window.
        qkv_bias: bias on the qkv projection.
        attn_drop: dropout on attention weights.
        proj_drop: dropout after the output projection.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            head_dim: Optional[int] = None,
            window_size: SizeT = 7,
            qkv_bias: bool = True,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
    ):
        super().__init__()
        self.window_size = to_2tuple(window_size)
        self.window_area = self.window_size[0] * self.window_size[1]
        self.num_heads = num_heads
        head_dim = head_dim or dim // num_heads
        attn_dim = head_dim * num_heads
        self.scale = head_dim ** -0.5
        num_offsets = (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(torch.empty(num_offsets, num_heads))
        # derived from the window size alone, so computed here (never loaded) and left out of the state_dict
        self.register_buffer('relative_position_index', relative_position_index(*self.window_size), persistent=False)
        self.qkv = nn.Linear(dim, attn_dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(attn_dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        trunc_normal_(self.relative_position_bias_table, std=.02)

    def rel_pos_bias(self) -> torch.Tensor:
        """(1, heads, N, N) bias for the current window."""
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        return bias.view(self.window_area, self.window_area, -1).permute(2, 0, 1).unsqueeze(0)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x: (B * num_windows, N, C); mask: (num_windows, N, N) additive, or None."""
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        attn_bias = self.rel_pos_bias()
        if mask is not None:
            # group the batch as (images, windows) so one (windows, heads, N, N) bias broadcasts over the images
            num_win = mask.shape[0]
            attn_bias = attn_bias + mask.view(num_win, 1, n, n)
            q, k, v = (t.reshape(-1, num_win, *t.shape[1:]) for t in (q, k, v))
        x = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_bias.to(q.dtype), dropout_p=self.attn_drop.p if self.training else 0.,
            scale=self.scale)
        x = x.reshape(b, self.num_heads, n, -1)
        x = x.transpose(1, 2).reshape(b, n, -1)
        return self.proj_drop(self.proj(x))


class SwinTransformerBlock(nn.Module):
    """(Shifted-)window attention and an MLP, each pre-normed with a residual connection, on NHWC tokens.

    Args:
        dim: token width.
        input_resolution: (H, W) of the token grid this block sees.
        num_heads: attention heads.
        head_dim: width per head.
        window_size: target window; shrinks to the grid when the grid is smaller.
        shift_size: cyclic shift (0 for regular windows, window // 2 for shifted ones).
        always_partition: keep the target window and shift even when the grid is smaller.
        dynamic_mask: build the shift mask per forward from the actual input size (any input size).
        mlp_ratio: MLP expansion.
        qkv_bias: bias on the qkv projection.
        proj_drop: dropout after projections.
        attn_drop: attention dropout.
        drop_path: stochastic depth rate.
        act_layer: MLP activation.
        norm_layer: token norm.
    """

    def __init__(
            self,
            dim: int,
            input_resolution: Tuple[int, int],
            num_heads: int = 4,
            head_dim: Optional[int] = None,
            window_size: SizeT = 7,
            shift_size: SizeT = 0,
            always_partition: bool = False,
            dynamic_mask: bool = False,
            mlp_ratio: float = 4.,
            qkv_bias: bool = True,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Callable[..., nn.Module] = nn.GELU,
            norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
    ):
        super().__init__()
        self.dim = dim
        self.input_resolution = tuple(input_resolution)
        self.dynamic_mask = dynamic_mask
        self.window_size, self.shift_size = self._window_and_shift(
            to_2tuple(window_size), to_2tuple(shift_size), always_partition)
        self.window_area = self.window_size[0] * self.window_size[1]
        self.norm1 = norm_layer(dim)
        self.attn = WindowAttention(dim, num_heads, head_dim=head_dim, window_size=self.window_size,
                                    qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        mask = None
        if not dynamic_mask and any(self.shift_size):
            h, w = (math.ceil(r / s) * s for r, s in zip(self.input_resolution, self.window_size))
            mask = shifted_window_mask(h, w, self.window_size, self.shift_size)
        # depends only on the geometry: computed here, never loaded (so it also exists when init is skipped)
        self.register_buffer('attn_mask', mask, persistent=False)

    def _window_and_shift(self, window: Tuple[int, int], shift: Tuple[int, int],
                          always_partition: bool) -> Tuple[Tuple[int, int], Tuple[int, int]]:
        if always_partition:
            return window, shift
        # a grid that fits in one window needs no shift: every token already sees every other one
        window = tuple(min(r, w) for r, w in zip(self.input_resolution, window))
        shift = tuple(0 if r <= w else s for r, w, s in zip(self.input_resolution, window, shift))
        return window, shift

    def _attn(self, x: torch.Tensor) -> torch.Tensor:
        _, h, w, c = x.shape
        has_shift = any(self.shift_size)
        if has_shift:
            x = torch.roll(x, shifts=(-self.shift_size[0], -self.shift_size[1]), dims=(1, 2))
        # pad bottom / right to whole windows
        pad_h = -h % self.window_size[0]
        pad_w = -w % self.window_size[1]
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        hp, wp = h + pad_h, w + pad_w
        if self.dynamic_mask and has_shift:
            mask = shifted_window_mask(hp, wp, self.window_size, self.shift_size, device=x.device, dtype=x.dtype)
        else:
            mask = self.attn_mask
        windows = window_partition(x, self.window_size).reshape(-1, self.window_area, c)
        windows = self.attn(windows, mask=mask).view(-1, self.window_size[0], self.window_size[1], c)
        x = window_reverse(windows, self.window_size, hp, wp)[:, :h, :w, :]
        if has_shift:
            x = torch.roll(x, shifts=self.shift_size, dims=(1, 2))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self._attn(self.norm1(x)))
        return x + self.drop_path2(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """Halve the grid: concatenate each 2x2 neighbourhood (4C), normalise, project to `out_dim` (default 2C)."""

    def __init__(self, dim: int, out_dim: Optional[int] = None, norm_layer: Callable[..., nn.Module] = nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.out_dim = out_dim or 2 * dim
        self.norm = norm_layer(4 * dim)
        self.reduction = nn.Linear(4 * dim, self.out_dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        h, w = x.shape[1:3]
        # channel order (top-left, bottom-left, top-right, bottom-right) is the one the published weights expect
        x = x.reshape(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 4, 2, 5).flatten(3)
        return self.reduction(self.norm(x))


class SwinTransformerStage(nn.Module):
    """Optional patch merging, then `depth` blocks alternating regular and shifted windows.

    Args:
        dim: input width.
        out_dim: output width.
        input_resolution: (H, W) of the incoming grid.
        depth: number of blocks.
        downsample: start with patch merging (halves the grid).
        drop_path: per-block stochastic depth rates (or one rate).
        window_size: target window of the blocks.
        **block_kwargs: passed to every SwinTransformerBlock.
    """

    def __init__(
            self,
            dim: int,
            out_dim: int,
            input_resolution: Tuple[int, int],
            depth: int,
            downsample: bool = True,
            drop_path: Union[float, Sequence[float]] = 0.,
            window_size: SizeT = 7,
            norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
            **block_kwargs: Any,
    ):
        super().__init__()
        self.dim = dim
        self.input_resolution = tuple(input_resolution)
        self.output_resolution = tuple((r + 1) // 2 for r in input_resolution) if downsample else self.input_resolution
        self.grad_checkpointing = False
        window_size = to_2tuple(window_size)
        shift_size = tuple(w // 2 for w in window_size)
        if downsample:
            self.downsample = PatchMerging(dim, out_dim, norm_layer=norm_layer)
        else:
            if dim != out_dim:
                raise ValueError(f'A stage without downsampling keeps its width ({dim} != {out_dim}).')
            self.downsample = nn.Identity()
        rates = list(drop_path) if isinstance(drop_path, (list, tuple)) else [drop_path] * depth
        self.blocks = nn.Sequential(*[
            SwinTransformerBlock(
                out_dim, self.output_resolution, window_size=window_size,
                shift_size=0 if i % 2 == 0 else shift_size, drop_path=rates[i], norm_layer=norm_layer,
                **block_kwargs)
            for i in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        if self.grad_checkpointing and not torch.jit.is_scripting():
            return checkpoint_seq(self.blocks, x)
        return self.blocks(x)


def _stage_window_sizes(window_size: Union[SizeT, Sequence[SizeT]], num_stages: int) -> List[Tuple[int, int]]:
    """One (h, w) window per stage from an int, an (h, w) pair, or a per-stage sequence."""
    if not isinstance(window_size, (list, tuple)):
        return [to_2tuple(window_size)] * num_stages
    if len(window_size) == 2 and not isinstance(window_size[0], (list, tuple)):
        return [tuple(window_size)] * num_stages  # a pair of ints is always one (h, w) window
    if len(window_size) != num_stages:
        raise ValueError(f'Expected one window size per stage ({num_stages}), got {window_size}.')
    return [to_2tuple(w) for w in window_size]


class SwinTransformer(nn.Module):
    """Swin Transformer trunk + head.

    Args:
        img_size: input size the attention masks are built for.
        patch_size: patch embedding stride.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', or '' for the unpooled NHWC token grid.
        embed_dim: width of the first stage (doubles per stage).
        depths: blocks per stage.
        num_heads: heads per stage.
        head_dim: width per head (dim // heads when None).
        window_size: window per stage (int, (h, w), or a per-stage sequence).
        always_partition: keep the window and shift even where the grid is smaller than the window.
        strict_img_size: require inputs of exactly `img_size`.
        dynamic_img_size: accept any input size divisible by the patch size (masks built per forward).
        mlp_ratio: MLP expansion.
        qkv_bias: bias on the qkv projections.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: attention dropout.
        drop_path_rate: stochastic depth rate of the last block.
        act_layer: MLP activation.
        norm_layer: token norm (name or class).
    """

    def __init__(
            self,
            img_size: SizeT = 224,
            patch_size: int = 4,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dim: int = 96,
            depths: Sequence[int] = (2, 2, 6, 2),
            num_heads: Sequence[int] = (3, 6, 12, 24),
            head_dim: Optional[int] = None,
            window_size: Union[SizeT, Sequence[SizeT]] = 7,
            always_partition: bool = False,
            strict_img_size: bool = True,
            dynamic_img_size: bool = False,
            mlp_ratio: float = 4.,
            qkv_bias: bool = True,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.1,
            act_layer: LayerType = nn.GELU,
            norm_layer: LayerType = nn.LayerNorm,
    ):
        super().__init__()
        norm_layer = get_norm_layer(norm_layer)
        act_layer = get_act_layer(act_layer)
        if dynamic_img_size:
            strict_img_size = False
        num_stages = len(depths)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.global_pool = global_pool
        self.drop_rate = drop_rate
        self.output_fmt = 'NHWC'
        self.dynamic_img_size = not strict_img_size
        dims = [int(embed_dim * 2 ** i) for i in range(num_stages)]
        self.embed_dim = embed_dim
        self.num_features = self.head_hidden_size = dims[-1]

        self.patch_embed = PatchEmbed(
            img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=dims[0], norm_layer=norm_layer,
            output_fmt='NHWC', strict_img_size=strict_img_size)
        grid = self.patch_embed.grid_size

        windows = _stage_window_sizes(window_size, num_stages)
        heads = to_ntuple(num_stages)(num_heads)
        head_dims = to_ntuple(num_stages)(head_dim)
        mlp_ratios = to_ntuple(num_stages)(mlp_ratio)
        # stochastic depth grows linearly over all blocks (Huang et al., 2016)
        total = sum(depths)
        rates = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]

        stages, self.feature_info = [], []
        in_dim, scale, first_block = dims[0], 1, 0
        for i in range(num_stages):
            stages.append(SwinTransformerStage(
                in_dim, dims[i],
                input_resolution=((grid[0] + scale - 1) // scale, (grid[1] + scale - 1) // scale),
                depth=depths[i],
                downsample=i > 0,
                drop_path=rates[first_block:first_block + depths[i]],
                window_size=windows[i],
                norm_layer=norm_layer,
                num_heads=heads[i],
                head_dim=head_dims[i],
                always_partition=always_partition,
                dynamic_mask=not strict_img_size,
                mlp_ratio=mlp_ratios[i],
                qkv_bias=qkv_bias,
                proj_drop=proj_drop_rate,
                attn_drop=attn_drop_rate,
                act_layer=act_layer,
            ))
            first_block += depths[i]
            in_dim = dims[i]
            if i > 0:
                scale *= 2
            self.feature_info.append(dict(num_chs=dims[i], reduction=patch_size * scale, module=f'layers.{i}'))
        self.layers = nn.Sequential(*stages)
        self.norm = norm_layer(self.num_features)
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate,
                                   input_fmt=self.output_fmt)
        self.apply(_init_weights)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {n for n, _ in self.named_parameters() if 'relative_position_bias_table' in n}

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> Dict[str, Any]:
        # patch merging joins the first block of its stage; the final norm joins the last layer
        return dict(
            stem=r'^patch_embed',
            blocks=r'^layers\.(\d+)' if coarse else [
                (r'^layers\.(\d+).downsample', (0,)),
                (r'^layers\.(\d+)\.\w+\.(\d+)', None),
                (r'^norm', (99999,)),
            ],
        )

    @torch.jit.ignore
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        for stage in self.layers:
            stage.grad_checkpointing = enable

    @torch.jit.ignore
    def get_classifier(self) -> nn.Module:
        return self.head.fc

    def reset_classifier(self, num_classes: int, global_pool: Optional[str] = None) -> None:
        self.num_classes = num_classes
        if global_pool is not None:
            self.global_pool = global_pool
        # rebuilt rather than reset: after pruning, the head input is narrower than the original
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=self.global_pool,
                                   drop_rate=self.drop_rate, input_fmt=self.output_fmt)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H/32, W/32, C) normalised token grid (NHWC)."""
        return self.norm(self.layers(self.patch_embed(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        return self.head(x, pre_logits=pre_logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: Optional[Union[int, Sequence[int]]] = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """Stage outputs (indices 0..3) as NCHW maps, plus the final NHWC features unless only intermediates.

        `norm` applies the final norm to the last stage's map (the only one it is sized for).
        """
        if output_fmt != 'NCHW':
            raise ValueError(f"Swin intermediates are returned as NCHW maps; output_fmt={output_fmt!r} is not "
                             f"supported.")
        take_indices, max_index = feature_take_indices(len(self.layers), indices)
        last_idx = len(self.layers) - 1
        stages = self.layers[:max_index + 1] if stop_early or intermediates_only else self.layers
        intermediates = []
        x = self.patch_embed(x)
        for i, stage in enumerate(stages):
            x = stage(x)
            if i in take_indices:
                feat = self.norm(x) if norm and i == last_idx else x
                intermediates.append(feat.permute(0, 3, 1, 2).contiguous())
        if intermediates_only:
            return intermediates
        if len(stages) - 1 == last_idx:
            x = self.norm(x)
        return x, intermediates

    def prune_intermediate_layers(
            self,
            indices: Union[int, Sequence[int]] = 1,
            prune_norm: bool = False,
            prune_head: bool = True,
    ) -> List[int]:
        """Drop the stages after the last of `indices`, the final norm and/or the head; returns the kept indices."""
        take_indices, max_index = feature_take_indices(len(self.layers), indices)
        prune_end = max_index < len(self.layers) - 1
        if prune_norm or prune_end:
            self.norm = nn.Identity()  # sized for the last stage only
        self.layers = self.layers[:max_index + 1]
        if prune_end:
            self.num_features = self.head_hidden_size = self.feature_info[max_index]['num_chs']
        if prune_head or prune_end:
            self.reset_classifier(0, '')
        return take_indices


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Fit a Swin checkpoint to `model`: official layout, derived buffers, and other window sizes.

    - Official microsoft/Swin-Transformer checkpoints (a `model` entry) put patch merging at the end of stages
      0..2 and the classifier at `head`; they are moved to the start of stages 1..3 and `head.fc`.
    - `relative_position_index` / `attn_mask` buffers some checkpoints carry are dropped (they are recomputed).
    - Relative position bias tables of another window size (e.g. a window-7 checkpoint into a window-12 model)
      are resampled to the model's window (see `zoo.layers.pos_embed_rel`).
    """
    state_dict = state_dict.get('model', state_dict)
    state_dict = state_dict.get('state_dict', state_dict)
    official = 'layers.0.downsample.reduction.weight' in state_dict
    out = {}
    for key, value in state_dict.items():
        if 'relative_position_index' in key or 'attn_mask' in key:
            continue
        if official:
            key = re.sub(r'^layers\.(\d+)\.downsample', lambda m: f'layers.{int(m.group(1)) + 1}.downsample', key)
            key = re.sub(r'^head\.', 'head.fc.', key)
        if key.endswith('relative_position_bias_table'):
            attn = model.get_submodule(key.rsplit('.', 1)[0])
            target = attn.relative_position_bias_table
            # a non-square window's table can have the right size and still be laid out for another window
            if value.shape != target.shape or attn.window_size[0] != attn.window_size[1]:
                value = resize_rel_pos_bias_table(value, attn.window_size, target.shape)
        out[key] = value
    return out


def _create_swin_transformer(variant: str, pretrained: bool = False, **kwargs) -> SwinTransformer:
    num_stages = len(kwargs.get('depths', (1, 1, 3, 1)))
    return build_model_with_cfg(
        SwinTransformer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(out_indices=tuple(range(num_stages))), **kwargs)


def _scfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='patch_embed.proj', classifier='head.fc', input_size=(3, 224, 224),
               pool_size=(7, 7), crop_pct=0.9, interpolation='bicubic', fixed_input_size=True, license='mit',
               paper_ids='arXiv:2103.14030')
    cfg.update(kwargs)
    return cfg


_R384 = dict(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0)

# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>; the first tag of an
# architecture is its default.
default_cfgs = generate_default_cfgs({
    'swin_small_patch4_window7_224.ms_in22k_ft_in1k': _scfg(),
    'swin_base_patch4_window7_224.ms_in22k_ft_in1k': _scfg(),
    'swin_base_patch4_window12_384.ms_in22k_ft_in1k': _scfg(**_R384),
    'swin_large_patch4_window7_224.ms_in22k_ft_in1k': _scfg(),
    'swin_large_patch4_window12_384.ms_in22k_ft_in1k': _scfg(**_R384),
    'swin_tiny_patch4_window7_224.ms_in1k': _scfg(),
    'swin_small_patch4_window7_224.ms_in1k': _scfg(),
    'swin_base_patch4_window7_224.ms_in1k': _scfg(),
    'swin_base_patch4_window12_384.ms_in1k': _scfg(**_R384),
    'swin_tiny_patch4_window7_224.ms_in22k_ft_in1k': _scfg(),
    'swin_tiny_patch4_window7_224.ms_in22k': _scfg(num_classes=21841),
    'swin_small_patch4_window7_224.ms_in22k': _scfg(num_classes=21841),
    'swin_base_patch4_window7_224.ms_in22k': _scfg(num_classes=21841),
    'swin_base_patch4_window12_384.ms_in22k': _scfg(num_classes=21841, **_R384),
    'swin_large_patch4_window7_224.ms_in22k': _scfg(num_classes=21841),
    'swin_large_patch4_window12_384.ms_in22k': _scfg(num_classes=21841, **_R384),
    'swin_s3_tiny_224.ms_in1k': _scfg(paper_ids='arXiv:2111.14725'),
    'swin_s3_small_224.ms_in1k': _scfg(paper_ids='arXiv:2111.14725'),
    'swin_s3_base_224.ms_in1k': _scfg(paper_ids='arXiv:2111.14725'),
})


def _swin(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> SwinTransformer:
    return _create_swin_transformer(variant, pretrained, **dict(model_args, **kwargs))


# width / depth / heads of each size (Liu et al., 2021, section 3.3)
_T = dict(patch_size=4, embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24))
_S = dict(patch_size=4, embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24))
_B = dict(patch_size=4, embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32))
_L = dict(patch_size=4, embed_dim=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48))


@register_model
def swin_tiny_patch4_window7_224(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-T, 224x224, window 7."""
    return _swin('swin_tiny_patch4_window7_224', pretrained, dict(_T, window_size=7), kwargs)


@register_model
def swin_small_patch4_window7_224(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-S, 224x224, window 7."""
    return _swin('swin_small_patch4_window7_224', pretrained, dict(_S, window_size=7), kwargs)


@register_model
def swin_base_patch4_window7_224(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-B, 224x224, window 7."""
    return _swin('swin_base_patch4_window7_224', pretrained, dict(_B, window_size=7), kwargs)


@register_model
def swin_base_patch4_window12_384(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-B, 384x384, window 12."""
    return _swin('swin_base_patch4_window12_384', pretrained, dict(_B, window_size=12), kwargs)


@register_model
def swin_large_patch4_window7_224(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-L, 224x224, window 7."""
    return _swin('swin_large_patch4_window7_224', pretrained, dict(_L, window_size=7), kwargs)


@register_model
def swin_large_patch4_window12_384(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-L, 384x384, window 12."""
    return _swin('swin_large_patch4_window12_384', pretrained, dict(_L, window_size=12), kwargs)


@register_model
def swin_s3_tiny_224(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-S3-T: searched per-stage windows."""
    return _swin('swin_s3_tiny_224', pretrained, dict(_T, window_size=(7, 7, 14, 7)), kwargs)


@register_model
def swin_s3_small_224(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-S3-S: searched per-stage windows."""
    return _swin('swin_s3_small_224', pretrained, dict(_S, window_size=(14, 14, 14, 7)), kwargs)


@register_model
def swin_s3_base_224(pretrained: bool = False, **kwargs) -> SwinTransformer:
    """Swin-S3-B: searched per-stage windows, deeper third stage."""
    return _swin('swin_s3_base_224', pretrained, dict(_T, depths=(2, 2, 30, 2), window_size=(7, 7, 14, 7)), kwargs)
