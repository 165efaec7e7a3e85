"""Swin Transformer V2 "cr": timm's independent Swin V2 models, with a log-spaced MLP position bias and stage norms.

Paper: "Swin Transformer V2: Scaling Up Capacity and Resolution", Liu et al., CVPR 2022 (arXiv:2111.09883).

The same ideas as `zoo.models.swin_transformer_v2` (residual post-norm, scaled cosine attention, a continuous
position bias), in the layout of timm's own weights, which predate the official code:
- the position MLP takes sign(d) * ln(1 + |d|) of the raw offsets (no window normalisation, no sigmoid), has 384
  hidden units with dropout, and its output is added to the cosine scores directly;
- the post-norm scales start at `init_values` (0: each block starts as the identity);
- an extra norm on the main branch ends the last stage (every stage for the `_ns` models), and every 6th block of
  the huge / giant models (the paper's stabilisation for very large models, section 3.1);
- there is no final norm; stages take and return NCHW maps (the classifier pools NCHW);
- by default each window is the patch grid / 8 (so it scales with the input size), the same for every stage.
"""
import math
from functools import partial
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers import ClassifierHead, DropPath, LayerType, get_norm_layer, to_2tuple
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.window import ShiftedWindowGeometry, WindowSpec, resolve_stage_window_sizes, stage_window_sizes_for_grid
from zoo.models._base import Trunk
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.swin_transformer import SwinBase, SwinTransformerStage, build_swin_stages
from zoo.models.swin_transformer_v2 import LogCoordsWindowAttention, scaled_cosine_attention

__all__ = ['SwinTransformerV2Cr', 'SwinTransformerV2CrBlock', 'SwinTransformerV2CrStage', 'MlpBiasWindowAttention']

SizeT = Union[int, Tuple[int, int]]


class MlpBiasWindowAttention(LogCoordsWindowAttention):
    """Window attention with scaled cosine similarity and an MLP of log-spaced offsets as position bias.

    Args:
        dim: token width.
        num_heads: attention heads.
        window_size: (h, w) of the window.
        attn_drop: attention dropout.
        proj_drop: dropout after the output projection.
        meta_hidden_dim: hidden width of the position MLP.
    """

    coords_mode = 'cr'

    def __init__(
            self,
            dim: int,
            num_heads: int,
            window_size: Tuple[int, int],
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            meta_hidden_dim: int = 384,
    ):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'The width ({dim}) must divide into num_heads ({num_heads}).')
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        # dropout on the hidden offset features keeps the bias from overfitting the few offsets
        self.meta_mlp = Mlp(2, hidden_features=meta_hidden_dim, out_features=num_heads, act_layer=nn.ReLU,
                            drop=(0.125, 0.))
        self.logit_scale = nn.Parameter(torch.empty(num_heads))
        nn.init.constant_(self.logit_scale, math.log(10))
        self._register_coords()

    def position_bias(self) -> torch.Tensor:
        """(1, heads, N, N) bias for the current window."""
        return self._mlp_bias(self.meta_mlp)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x: (B * num_windows, N, C); mask: (num_windows, N, N) additive, or None."""
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        x = scaled_cosine_attention(q, k, v, self.logit_scale, self.position_bias(), mask,
                                    dropout_p=self.attn_drop.p if self.training else 0.)
        x = x.transpose(1, 2).reshape(b, n, -1)
        return self.proj_drop(self.proj(x))


class SwinTransformerV2CrBlock(ShiftedWindowGeometry):
    """(Shifted-)window cosine attention and an MLP with residual post-norm (and an optional main-branch norm).

    Args:
        dim: token width.
        input_resolution, window_size, shift_size, always_partition, dynamic_mask: the window geometry, see
            `ShiftedWindowGeometry`.
        num_heads: attention heads.
        mlp_ratio: MLP expansion.
        init_values: initial scale of the two post-norms (None: the norm's own init).
        proj_drop: dropout after projections.
        attn_drop: attention dropout.
        drop_path: stochastic depth rate.
        extra_norm: normalise the main branch after the block.
        norm_layer: token norm.
    """

    def __init__(
            self,
            dim: int,
            input_resolution: Tuple[int, int],
            num_heads: int,
            window_size: SizeT = 7,
            shift_size: SizeT = 0,
            always_partition: bool = False,
            dynamic_mask: bool = False,
            mlp_ratio: float = 4.,
            init_values: Optional[float] = 0.,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            extra_norm: bool = False,
            norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
    ):
        super().__init__()
        self.dim = dim
        self._init_geometry(input_resolution, window_size, shift_size, always_partition, dynamic_mask)
        self.attn = MlpBiasWindowAttention(dim, num_heads, self.window_size, attn_drop=attn_drop, proj_drop=proj_drop)
        self.norm1 = norm_layer(dim)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.mlp = Mlp(dim, int(dim * mlp_ratio), out_features=dim, drop=proj_drop)
        self.norm2 = norm_layer(dim)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm3 = norm_layer(dim) if extra_norm else nn.Identity()
        if init_values is not None:
            # small post-norm scales start every residual branch near zero
            nn.init.constant_(self.norm1.weight, init_values)
            nn.init.constant_(self.norm2.weight, init_values)
        self._register_mask()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.norm1(self._window_attention(x)))
        x = x + self.drop_path2(self.norm2(self.mlp(x)))
        return self.norm3(x)


class SwinTransformerV2CrStage(SwinTransformerStage):
    """A Swin stage on NCHW maps, whose blocks get a main-branch norm every `extra_norm_period` blocks and/or at the
    end (`extra_norm_stage`).

    Args:
        dim: input width.
        out_dim: output width (2 * dim after patch merging).
        input_resolution: (H, W) of the incoming grid.
        depth: number of blocks.
        extra_norm_period: add the extra norm to every n-th block (0: none).
        extra_norm_stage: add it to the last block.
        **kwargs: `SwinTransformerStage` / block arguments.
    """

    def __init__(
            self,
            dim: int,
            out_dim: int,
            input_resolution: Tuple[int, int],
            depth: int,
            extra_norm_period: int = 0,
            extra_norm_stage: bool = False,
            **kwargs: Any,
    ):
        extra = [bool(extra_norm_period and (i + 1) % extra_norm_period == 0) or (extra_norm_stage and i == depth - 1)
                 for i in range(depth)]
        super().__init__(dim, out_dim, input_resolution, depth, block_layer=SwinTransformerV2CrBlock,
                         block_overrides=[dict(extra_norm=e) for e in extra], **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class _NormedPatchEmbed(PatchEmbed):
    """Patch embedding normalised over channels, returned as an NCHW map."""

    def __init__(self, **kwargs: Any):
        super().__init__(output_fmt='NHWC', **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).permute(0, 3, 1, 2)


class SwinTransformerV2Cr(SwinBase):
    """Swin Transformer V2 (timm "cr" layout) trunk + head.

    Args:
        img_size: input size the attention masks are built for.
        patch_size: patch embedding stride.
        window_size: window per stage (int, (h, w), or per stage); None derives it from `window_ratio`.
        window_ratio: window = patch grid // ratio (an int, or one per stage).
        always_partition: keep the window and shift even where the grid is smaller than the window.
        strict_img_size: require inputs of exactly `img_size`.
        dynamic_img_size: accept any input size divisible by the patch size (masks built per forward).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        embed_dim: width of the first stage (doubles per stage).
        depths: blocks per stage.
        num_heads: heads per stage.
        mlp_ratio: MLP expansion.
        init_values: initial post-norm scale (None: the norm's default).
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: attention dropout.
        drop_path_rate: stochastic depth rate of the last block.
        norm_layer: token norm (name or class).
        extra_norm_period: main-branch norm every n blocks of a stage (0: none).
        extra_norm_stage: main-branch norm at the end of every stage (the last one always has it).
        global_pool: 'avg', 'max', 'avgmax', or '' for unpooled maps.
        weight_init: 'reset' (PyTorch's layer defaults; 'skip' is the same), or '' for the Swin scheme (Xavier
            linear layers, q / k / v initialised as separate projections, zero classifier).
    """
    trunk = Trunk(stem=('patch_embed',), levels='stages')
    groups = dict(
        stem=r'^patch_embed',
        coarse=r'^stages\.(\d+)',
        blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+)\.\w+\.(\d+)', None)],
    )

    def __init__(
            self,
            img_size: SizeT = 224,
            patch_size: int = 4,
            window_size: Optional[WindowSpec] = None,
            window_ratio: Union[int, Sequence[int]] = 8,
            always_partition: bool = False,
            strict_img_size: bool = True,
            dynamic_img_size: bool = False,
            in_chans: int = 3,
            num_classes: int = 1000,
            embed_dim: int = 96,
            depths: Sequence[int] = (2, 2, 6, 2),
            num_heads: Sequence[int] = (3, 6, 12, 24),
            mlp_ratio: float = 4.,
            init_values: Optional[float] = 0.,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: LayerType = nn.LayerNorm,
            extra_norm_period: int = 0,
            extra_norm_stage: bool = False,
            global_pool: str = 'avg',
            weight_init: str = 'reset',
    ):
        super().__init__()
        if weight_init not in ('reset', 'skip', ''):
            raise ValueError(f"weight_init must be 'reset', 'skip' or '' (Swin scheme), got {weight_init!r}.")
        norm_layer = get_norm_layer(norm_layer)
        strict_img_size = strict_img_size and not dynamic_img_size
        num_stages = len(depths)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.patch_size = patch_size
        self.img_size = to_2tuple(img_size)
        self.dynamic_img_size = not strict_img_size
        dims = [int(embed_dim * 2 ** i) for i in range(num_stages)]
        self.num_features = self.head_hidden_size = dims[-1]

        self.patch_embed = _NormedPatchEmbed(
            img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim, norm_layer=norm_layer,
            strict_img_size=strict_img_size)
        grid = self.patch_embed.grid_size
        if window_size is None:
            windows = stage_window_sizes_for_grid(grid, [(1, 1)] * num_stages, grid, window_ratio=window_ratio)
        else:
            windows = resolve_stage_window_sizes(window_size, num_stages)
        self._init_window_reference(windows)
        stages, self.feature_info = build_swin_stages(
            grid, dims, depths, windows, drop_path_rate, patch_size,
            stage_layer=SwinTransformerV2CrStage,
            prefix='stages',
            norm_layer=norm_layer,
            # the last stage always ends with a norm: the model has no separate final norm
            per_stage=dict(num_heads=tuple(num_heads),
                           extra_norm_stage=[extra_norm_stage or i == num_stages - 1 for i in range(num_stages)]),
            always_partition=always_partition,
            dynamic_mask=not strict_img_size,
            mlp_ratio=mlp_ratio,
            init_values=init_values,
            proj_drop=proj_drop_rate,
            attn_drop=attn_drop_rate,
            extra_norm_period=extra_norm_period,
        )
        self.stages = nn.Sequential(*stages)
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        if weight_init == '':
            named_apply(_init_swin, self)

    @property
    def window_size(self) -> Tuple[int, int]:
        """The first stage's window."""
        return tuple(self._ref_window_sizes[0])

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H/32, W/32) feature map, normalised by the last stage."""
        return self.stages(self.patch_embed(x))


def _init_swin(module: nn.Module, name: str = '') -> None:
    if not isinstance(module, nn.Linear):
        return
    if 'qkv' in name:
        # Xavier bound of one of the three (q, k, v) projections rather than of the fused matrix
        bound = math.sqrt(6. / float(module.weight.shape[0] // 3 + module.weight.shape[1]))
        nn.init.uniform_(module.weight, -bound, bound)
    elif 'head' in name:
        nn.init.zeros_(module.weight)
    else:
        nn.init.xavier_uniform_(module.weight)
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Fit early checkpoints of these models: a temperature `tau` (now its inverse log, `logit_scale`) and the
    classifier at `head` (now `head.fc`)."""
    state_dict = state_dict.get('model', state_dict)
    state_dict = state_dict.get('state_dict', state_dict)
    if 'head.fc.weight' in state_dict:
        return state_dict
    out = {}
    for key, value in state_dict.items():
        if 'tau' in key:
            key, value = key.replace('tau', 'logit_scale'), torch.log(1 / value)
        out[key.replace('head.', 'head.fc.')] = value
    return out


def _create_swin_transformer_v2_cr(variant: str, pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    return build_model_with_cfg(
        SwinTransformerV2Cr, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(first_conv='patch_embed.proj', classifier='head.fc', input_size=(3, 224, 224), pool_size=(7, 7),
               crop_pct=0.9, interpolation='bicubic', fixed_input_size=True, license='apache-2.0',
               paper_ids='arXiv:2111.09883')
    cfg.update(kwargs)
    return cfg


_R384 = dict(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0)

# Tags of timm's weights (timm/<arch>.<tag> on the Hub); `untrained` tags have none. First tag = default.
default_cfgs = generate_default_cfgs({
    'swinv2_cr_tiny_384.untrained': _cfg(**_R384),
    'swinv2_cr_tiny_224.untrained': _cfg(),
    'swinv2_cr_tiny_ns_224.sw_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_cr_small_384.untrained': _cfg(**_R384),
    'swinv2_cr_small_224.sw_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_cr_small_ns_224.sw_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_cr_small_ns_256.untrained': _cfg(input_size=(3, 256, 256), pool_size=(8, 8), crop_pct=1.0),
    'swinv2_cr_base_384.untrained': _cfg(**_R384),
    'swinv2_cr_base_224.untrained': _cfg(),
    'swinv2_cr_base_ns_224.untrained': _cfg(),
    'swinv2_cr_large_384.untrained': _cfg(**_R384),
    'swinv2_cr_large_224.untrained': _cfg(),
    'swinv2_cr_huge_384.untrained': _cfg(**_R384),
    'swinv2_cr_huge_224.untrained': _cfg(),
    'swinv2_cr_giant_384.untrained': _cfg(**_R384),
    'swinv2_cr_giant_224.untrained': _cfg(),
})


def _cr(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> SwinTransformerV2Cr:
    return _create_swin_transformer_v2_cr(variant, pretrained, **dict(model_args, **kwargs))


# width / depth / heads per size; huge and giant add a main-branch norm every 6 blocks (paper section 3.1)
_T = dict(embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24))
_S = dict(embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24))
_B = dict(embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32))
_L = dict(embed_dim=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48))
_G = dict(embed_dim=512, depths=(2, 2, 42, 2), num_heads=(16, 32, 64, 128), extra_norm_period=6)
_NS = dict(extra_norm_stage=True)
_huge = partial(dict, embed_dim=352, depths=(2, 2, 18, 2), extra_norm_period=6)


@register_model
def swinv2_cr_tiny_384(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-T V2 (cr), 384x384."""
    return _cr('swinv2_cr_tiny_384', pretrained, _T, kwargs)


@register_model
def swinv2_cr_tiny_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-T V2 (cr), 224x224."""
    return _cr('swinv2_cr_tiny_224', pretrained, _T, kwargs)


@register_model
def swinv2_cr_tiny_ns_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-T V2 (cr), 224x224, a norm at the end of every stage."""
    return _cr('swinv2_cr_tiny_ns_224', pretrained, dict(_T, **_NS), kwargs)


@register_model
def swinv2_cr_small_384(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-S V2 (cr), 384x384."""
    return _cr('swinv2_cr_small_384', pretrained, _S, kwargs)


@register_model
def swinv2_cr_small_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-S V2 (cr), 224x224."""
    return _cr('swinv2_cr_small_224', pretrained, _S, kwargs)


@register_model
def swinv2_cr_small_ns_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-S V2 (cr), 224x224, a norm at the end of every stage."""
    return _cr('swinv2_cr_small_ns_224', pretrained, dict(_S, **_NS), kwargs)


@register_model
def swinv2_cr_small_ns_256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-S V2 (cr), 256x256, a norm at the end of every stage."""
    return _cr('swinv2_cr_small_ns_256', pretrained, dict(_S, **_NS), kwargs)


@register_model
def swinv2_cr_base_384(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-B V2 (cr), 384x384."""
    return _cr('swinv2_cr_base_384', pretrained, _B, kwargs)


@register_model
def swinv2_cr_base_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-B V2 (cr), 224x224."""
    return _cr('swinv2_cr_base_224', pretrained, _B, kwargs)


@register_model
def swinv2_cr_base_ns_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-B V2 (cr), 224x224, a norm at the end of every stage."""
    return _cr('swinv2_cr_base_ns_224', pretrained, dict(_B, **_NS), kwargs)


@register_model
def swinv2_cr_large_384(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-L V2 (cr), 384x384."""
    return _cr('swinv2_cr_large_384', pretrained, _L, kwargs)


@register_model
def swinv2_cr_large_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-L V2 (cr), 224x224."""
    return _cr('swinv2_cr_large_224', pretrained, _L, kwargs)


@register_model
def swinv2_cr_huge_384(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-H V2 (cr), 384x384 (head counts are not given in the paper; timm's choice for this size)."""
    return _cr('swinv2_cr_huge_384', pretrained, _huge(num_heads=(11, 22, 44, 88)), kwargs)


@register_model
def swinv2_cr_huge_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-H V2 (cr), 224x224 (head counts are not given in the paper; timm's choice for this size)."""
    return _cr('swinv2_cr_huge_224', pretrained, _huge(num_heads=(8, 16, 32, 64)), kwargs)


@register_model
def swinv2_cr_giant_384(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-G V2 (cr), 384x384."""
    return _cr('swinv2_cr_giant_384', pretrained, _G, kwargs)


@register_model
def swinv2_cr_giant_224(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2Cr:
    """Swin-G V2 (cr), 224x224."""
    return _cr('swinv2_cr_giant_224', pretrained, _G, kwargs)
