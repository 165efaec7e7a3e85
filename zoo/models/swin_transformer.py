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
information crosses window borders, with a mask keeping wrapped-around tokens apart (`zoo.layers.window`).

Layout deviations from the paper's code, all matching timm's published weights: patch merging sits at the *start*
of stages 1..3 (the official code puts it at the end of stages 0..2; `checkpoint_filter_fn` converts), and the
classifier lives in `head.fc`. When a stage's grid is no larger than the window, the window shrinks to the grid and
the shift is dropped (as in the official code), so reduced input sizes keep working.

`SwinBase` holds what the Swin V2 variants (`swin_transformer_v2`, `swin_transformer_v2_cr`) share with this model:
the stage builder and `set_input_size`.
"""
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.layers import (
    ClassifierHead, DropPath, LayerType, get_act_layer, get_norm_layer, to_2tuple, to_ntuple, trunc_normal_,
)
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.patch_merging import PatchMerging
from zoo.layers.pos_embed_rel import resize_rel_pos_tables
from zoo.layers.rel_pos_bias import RelPosBias
from zoo.layers.window import (
    ShiftedWindowGeometry, WindowSpec, resolve_stage_window_sizes, stage_window_sizes_for_grid, windowed_sdpa,
)
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['SwinTransformer', 'SwinTransformerBlock', 'SwinTransformerStage', 'WindowAttention', 'PatchMerging',
           'SwinBase']

SizeT = Union[int, Tuple[int, int]]


class WindowAttention(RelPosBias):
    """Multi-head self-attention within a window, with a learned bias per relative offset and head.

    The bias table lives on the attention module itself in the published weights (`attn.relative_position_bias_table`),
    so this extends `RelPosBias` (table, index, resampling on `set_window_size`) with the projections.

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
        super().__init__(to_2tuple(window_size), num_heads)
        head_dim = head_dim or dim // num_heads
        attn_dim = head_dim * num_heads
        self.scale = head_dim ** -0.5
        self.qkv = nn.Linear(dim, attn_dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(attn_dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.init_weights()

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x: (B * num_windows, N, C); mask: (num_windows, N, N) additive, or None."""
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        x = windowed_sdpa(q, k, v, self.get_bias(), mask, scale=self.scale,
                          dropout_p=self.attn_drop.p if self.training else 0.)
        x = x.transpose(1, 2).reshape(b, n, -1)
        return self.proj_drop(self.proj(x))


class SwinTransformerBlock(ShiftedWindowGeometry):
    """(Shifted-)window attention and an MLP, each pre-normed with a residual connection, on NHWC tokens.

    Args:
        dim: token width.
        input_resolution, window_size, shift_size, always_partition, dynamic_mask: the window geometry, see
            `ShiftedWindowGeometry`.
        num_heads: attention heads.
        head_dim: width per head.
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
        self._init_geometry(input_resolution, window_size, shift_size, always_partition, dynamic_mask)
        self.norm1 = norm_layer(dim)
        self.attn = WindowAttention(dim, num_heads, head_dim=head_dim, window_size=self.window_size,
                                    qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self._register_mask()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self._window_attention(self.norm1(x)))
        return x + self.drop_path2(self.mlp(self.norm2(x)))


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
        norm_layer: token norm (blocks and patch merging).
        block_layer: the block class (Swin V2 passes its own).
        merge_norm_last: patch merging normalises after its projection (Swin V2).
        block_overrides: per-block keyword arguments laid over `block_kwargs` (e.g. an extra norm in some blocks).
        **block_kwargs: passed to every block.
    """
    grad_checkpointing = checkpoint_flag('blocks')

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
            block_layer: Type[nn.Module] = SwinTransformerBlock,
            merge_norm_last: bool = False,
            block_overrides: Optional[Sequence[Dict[str, Any]]] = None,
            **block_kwargs: Any,
    ):
        super().__init__()
        self.dim = dim
        self.downsamples = downsample
        self.input_resolution = tuple(input_resolution)
        self.output_resolution = self._output_resolution(self.input_resolution)
        window_size = to_2tuple(window_size)
        shift_size = tuple(w // 2 for w in window_size)
        if downsample:
            self.downsample = PatchMerging(dim, out_dim, norm_layer=norm_layer, norm_last=merge_norm_last)
        else:
            if dim != out_dim:
                raise ValueError(f'A stage without downsampling keeps its width ({dim} != {out_dim}).')
            self.downsample = nn.Identity()
        rates = list(drop_path) if isinstance(drop_path, (list, tuple)) else [drop_path] * depth
        overrides = block_overrides or [{}] * depth
        self.blocks = CheckpointSequential(*[
            block_layer(
                out_dim, self.output_resolution, window_size=window_size,
                shift_size=0 if i % 2 == 0 else shift_size, drop_path=rates[i], norm_layer=norm_layer,
                **dict(block_kwargs, **overrides[i]))
            for i in range(depth)
        ])

    def _output_resolution(self, resolution: Tuple[int, ...]) -> Tuple[int, ...]:
        return tuple((r + 1) // 2 for r in resolution) if self.downsamples else resolution

    def set_input_size(self, feat_size: Tuple[int, int], window_size: SizeT,
                       always_partition: Optional[bool] = None) -> None:
        """Adapt the blocks to a new incoming grid and window."""
        self.input_resolution = tuple(feat_size)
        self.output_resolution = self._output_resolution(self.input_resolution)
        for block in self.blocks:
            block.set_input_size(self.output_resolution, window_size, always_partition)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


def stage_input_resolutions(grid: Sequence[int], num_stages: int) -> List[Tuple[int, ...]]:
    """The grid each stage receives: the patch grid for stages 0 and 1, then halved (rounding up) per stage."""
    sizes, scale = [], 1
    for i in range(num_stages):
        sizes.append(tuple((g + scale - 1) // scale for g in grid))
        if i > 0:
            scale *= 2
    return sizes


def build_swin_stages(
        grid: Sequence[int],
        dims: Sequence[int],
        depths: Sequence[int],
        window_sizes: Sequence[Tuple[int, int]],
        drop_path_rate: float,
        patch_size: int,
        stage_layer: Callable[..., nn.Module] = SwinTransformerStage,
        prefix: str = 'layers',
        per_stage: Optional[Dict[str, Sequence[Any]]] = None,
        **kwargs: Any,
) -> Tuple[List[nn.Module], List[Dict[str, Any]]]:
    """Stages and feature_info (modules `<prefix>.i`) of a Swin trunk; stage 0 keeps the patch grid, each later one
    halves it. `per_stage` holds arguments with one value per stage, `kwargs` go to every stage as given.
    """
    num_stages = len(depths)
    rates = stagewise_drop_path_rates(drop_path_rate, depths)
    per_stage = per_stage or {}
    stages, feature_info = [], []
    resolutions = stage_input_resolutions(grid, num_stages)
    for i in range(num_stages):
        stages.append(stage_layer(
            dims[max(i - 1, 0)], dims[i],
            input_resolution=resolutions[i],
            depth=depths[i],
            downsample=i > 0,
            drop_path=rates[i],
            window_size=window_sizes[i],
            **{k: v[i] for k, v in per_stage.items()},
            **kwargs,
        ))
        feature_info.append(dict(num_chs=dims[i], reduction=patch_size * 2 ** i, module=f'{prefix}.{i}'))
    return stages, feature_info


class SwinBase(ZooModel):
    """What every Swin variant shares once built: a patch grid divided into windows per stage, and resizing.

    A subclass sets `patch_embed` and its stages (at `trunk.levels`, each with `set_input_size(feat_size,
    window_size, always_partition)`) and calls `_init_window_reference` with the windows it was built for.
    """
    # parameters matching one of these substrings are excluded from weight decay
    no_weight_decay_keys: Tuple[str, ...] = ()

    def _init_window_reference(self, window_sizes: Sequence[Tuple[int, int]]) -> None:
        # set_input_size scales these with the patch grid, keeping each stage's window-to-grid ratio
        self._ref_window_sizes = tuple(window_sizes)
        self._ref_grid_size = tuple(self.patch_embed.grid_size)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {n for n, _ in self.named_parameters() if any(k in n for k in self.no_weight_decay_keys)}

    def set_input_size(
            self,
            img_size: Optional[SizeT] = None,
            window_size: Optional[WindowSpec] = None,
            window_ratio: Optional[Union[int, Sequence[int]]] = None,
            always_partition: Optional[bool] = None,
    ) -> None:
        """Adapt to a new input size and/or window size, resampling the position tables and rebuilding the masks.

        Args:
            img_size: new input size (the current one when None).
            window_size: new windows: an int or (h, w) for every stage, or one per stage.
            window_ratio: windows as the patch grid divided by this (an int, or one per stage).
            always_partition: keep whole windows and shifts even where a stage's grid is smaller.

        Without `window_size` / `window_ratio` each stage's window scales with the grid, so calling this at the
        current size changes nothing.
        """
        stages = self._module(self.trunk.levels)
        # resolve everything before changing anything: an invalid spec must not leave the model half-updated
        grid = tuple(self.patch_embed.grid_size)
        if img_size is not None:
            grid = tuple(s // p for s, p in zip(to_2tuple(img_size), self.patch_embed.patch_size))
        windows = stage_window_sizes_for_grid(
            grid, self._ref_window_sizes[:len(stages)], self._ref_grid_size, window_size, window_ratio)
        if img_size is not None:
            self.patch_embed.set_input_size(to_2tuple(img_size))
        if window_size is not None or window_ratio is not None:
            # explicit windows become the reference for later resizes
            self._ref_window_sizes, self._ref_grid_size = windows, grid
        for stage, feat_size, window in zip(stages, stage_input_resolutions(grid, len(stages)), windows):
            stage.set_input_size(feat_size, window, always_partition)
        self._record_input_size(self.patch_embed.img_size)

    def _replace_head(self, in_features: int) -> None:
        # keep the head's input layout (the base's empty head assumes NCHW maps)
        self.head = ClassifierHead(in_features, 0, pool_type='', input_fmt=self.head.input_fmt)


class SwinTransformer(SwinBase):
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
    trunk = Trunk(stem=('patch_embed',), levels='layers', final=('norm',), level_fmt='NHWC')
    # patch merging joins the first block of its stage; the final norm joins the last layer
    groups = dict(
        stem=r'^patch_embed',
        coarse=r'^layers\.(\d+)',
        blocks=[(r'^layers\.(\d+).downsample', (0,)), (r'^layers\.(\d+)\.\w+\.(\d+)', None), (r'^norm', (99999,))],
    )
    no_weight_decay_keys = ('relative_position_bias_table',)

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
            window_size: WindowSpec = 7,
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
        strict_img_size = strict_img_size and not dynamic_img_size
        num_stages = len(depths)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        self.output_fmt = 'NHWC'
        self.dynamic_img_size = not strict_img_size
        dims = [int(embed_dim * 2 ** i) for i in range(num_stages)]
        self.embed_dim = embed_dim
        self.num_features = self.head_hidden_size = dims[-1]

        self.patch_embed = PatchEmbed(
            img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=dims[0], norm_layer=norm_layer,
            output_fmt='NHWC', strict_img_size=strict_img_size)
        windows = resolve_stage_window_sizes(window_size, num_stages)
        self._init_window_reference(windows)
        stages, self.feature_info = build_swin_stages(
            self.patch_embed.grid_size, dims, depths, windows, drop_path_rate, patch_size,
            norm_layer=norm_layer,
            per_stage=dict(num_heads=to_ntuple(num_stages)(num_heads), head_dim=to_ntuple(num_stages)(head_dim),
                           mlp_ratio=to_ntuple(num_stages)(mlp_ratio)),
            always_partition=always_partition,
            dynamic_mask=not strict_img_size,
            qkv_bias=qkv_bias,
            proj_drop=proj_drop_rate,
            attn_drop=attn_drop_rate,
            act_layer=get_act_layer(act_layer),
        )
        self.layers = nn.Sequential(*stages)
        self.norm = norm_layer(self.num_features)
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate,
                                   input_fmt=self.output_fmt)
        self.apply(_init_weights)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H/32, W/32, C) normalised token grid (NHWC)."""
        return self.norm(self.layers(self.patch_embed(x)))


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
        out[key] = value
    return resize_rel_pos_tables(out, model)


def _create_swin_transformer(variant: str, pretrained: bool = False, **kwargs) -> SwinTransformer:
    return build_model_with_cfg(
        SwinTransformer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(flatten_sequential=True), **kwargs)


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
