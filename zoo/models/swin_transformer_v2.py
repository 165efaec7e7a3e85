"""Swin Transformer V2: Swin scaled up with residual post-norm, cosine attention and a continuous position bias.

Paper: "Swin Transformer V2: Scaling Up Capacity and Resolution", Liu et al., CVPR 2022 (arXiv:2111.09883).

Against Swin (see `zoo.models.swin_transformer`, whose stages and resizing this reuses):
- residual post-norm: each branch is normalised *before* it is added back (section 3.1), and patch merging
  normalises after its projection;
- scaled cosine attention: cos(q, k) times a learned per-head temperature, clamped to at most 100 (eq. 2);
- log-spaced continuous position bias: a two-layer MLP maps log-spaced (dy, dx) offsets to one bias per head,
  squashed to 16 * sigmoid (section 3.3, eq. 4). Offsets are normalised by the *pretraining* window
  (`pretrained_window_sizes`) so the "12to16" / "12to24" fine-tuned models see the scale they were trained with. A
  window change therefore needs no table resampling: the MLP is evaluated at the new offsets.

Layout as in timm's published weights: patch merging at the start of stages 1..3, classifier in `head.fc`;
`checkpoint_filter_fn` converts the official microsoft/Swin-Transformer layout.
"""
import math
import re
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import ClassifierHead, DropPath, LayerType, get_act_layer, get_norm_layer, to_2tuple, to_ntuple
from zoo.layers.attention_rope import packed_qkv
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed_rel import relative_position_index
from zoo.layers.rel_pos_bias import gather_rel_pos_bias, relative_log_coords
from zoo.layers.window import ShiftedWindowGeometry, WindowSpec, resolve_stage_window_sizes, windowed_sdpa
from zoo.models._base import Trunk
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.swin_transformer import SwinBase, SwinTransformer, _init_weights, build_swin_stages

__all__ = ['SwinTransformerV2', 'SwinTransformerV2Block', 'CosineWindowAttention', 'scaled_cosine_attention']

SizeT = Union[int, Tuple[int, int]]

# the learned temperature is clamped at 100 so training cannot make the attention arbitrarily sharp (paper eq. 2)
_MAX_LOGIT_SCALE = math.log(1. / 0.01)


def scaled_cosine_attention(
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        logit_scale: torch.Tensor,
        bias: torch.Tensor,
        mask: Optional[torch.Tensor],
        dropout_p: float = 0.,
) -> torch.Tensor:
    """softmax(cos(q, k) * exp(min(logit_scale, log 100)) + bias [+ shift mask]) v over (B * windows, heads, N, d)."""
    # the temperature is folded into the unit-length queries, so the fused kernel must not scale again
    temperature = torch.clamp(logit_scale, max=_MAX_LOGIT_SCALE).exp().view(-1, 1, 1)
    q = F.normalize(q, dim=-1) * temperature
    k = F.normalize(k, dim=-1)
    return windowed_sdpa(q, k, v, bias, mask, scale=1., dropout_p=dropout_p)


class LogCoordsWindowAttention(nn.Module):
    """Base of window attentions whose position bias is an MLP of log-spaced offsets (Swin V2 and V2 cr).

    Holds the MLP inputs of the current window (derived from the window alone: computed also when init is skipped,
    never part of the state_dict) and rebuilds them on `set_window_size`; nothing learned depends on the window.
    Subclasses set `window_size`, `num_heads`, `proj` and `coords_mode` ('swin' or 'cr', see `relative_log_coords`)
    before calling `_register_coords()`.
    """

    coords_mode: str = 'swin'
    pretrained_window_size: Tuple[int, int] = (0, 0)

    def _register_coords(self) -> None:
        weight = self.proj.weight
        coords = relative_log_coords(self.window_size, self.pretrained_window_size, self.coords_mode,
                                     device=weight.device)
        self.register_buffer('relative_coords_table', coords.to(weight.dtype), persistent=False)
        self.register_buffer('relative_position_index', relative_position_index(*self.window_size, weight.device),
                             persistent=False)

    def set_window_size(self, window_size: Sequence[int]) -> None:
        """Evaluate the position MLP at another window's offsets."""
        window_size = to_2tuple(window_size)
        if window_size != self.window_size:
            self.window_size = window_size
            self._register_coords()

    def _mlp_bias(self, mlp: nn.Module) -> torch.Tensor:
        """(1, heads, N, N): the MLP's output at every (query, key) offset of the current window."""
        table = mlp(self.relative_coords_table).reshape(-1, self.num_heads)
        return gather_rel_pos_bias(table, self.relative_position_index)


class CosineWindowAttention(LogCoordsWindowAttention):
    """Window attention with scaled cosine similarity and a log-spaced continuous position bias.

    Args:
        dim: token width.
        window_size: (h, w) of the window.
        num_heads: attention heads.
        qkv_bias: learned q and v biases (k gets none: it would cancel in the softmax).
        attn_drop: attention dropout.
        proj_drop: dropout after the output projection.
        pretrained_window_size: window the position MLP was trained on; offsets are normalised by it (0: this window).
    """

    def __init__(
            self,
            dim: int,
            window_size: Tuple[int, int],
            num_heads: int,
            qkv_bias: bool = True,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            pretrained_window_size: SizeT = 0,
    ):
        super().__init__()
        self.dim = dim
        self.window_size = tuple(window_size)
        self.pretrained_window_size = to_2tuple(pretrained_window_size)
        self.num_heads = num_heads
        self.logit_scale = nn.Parameter(torch.empty(num_heads, 1, 1))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512), nn.ReLU(inplace=True), nn.Linear(512, num_heads, bias=False))
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        if qkv_bias:
            self.q_bias = nn.Parameter(torch.zeros(dim))
            self.v_bias = nn.Parameter(torch.zeros(dim))
        else:
            self.q_bias = self.v_bias = None
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        nn.init.constant_(self.logit_scale, math.log(10))
        self._register_coords()

    def position_bias(self) -> torch.Tensor:
        """(1, heads, N, N) bias for the current window, squashed into (0, 16) as in the paper."""
        return 16 * torch.sigmoid(self._mlp_bias(self.cpb_mlp))

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x: (B * num_windows, N, C); mask: (num_windows, N, N) additive, or None."""
        b, n, _ = x.shape
        qkv = packed_qkv(x, self.qkv.weight, self.q_bias, self.v_bias)
        q, k, v = qkv.reshape(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        x = scaled_cosine_attention(q, k, v, self.logit_scale, self.position_bias(), mask,
                                    dropout_p=self.attn_drop.p if self.training else 0.)
        x = x.transpose(1, 2).reshape(b, n, -1)
        return self.proj_drop(self.proj(x))


class SwinTransformerV2Block(ShiftedWindowGeometry):
    """(Shifted-)window cosine attention and an MLP with residual post-norm, on NHWC tokens.

    Args:
        dim: token width.
        input_resolution, window_size, shift_size, always_partition, dynamic_mask: the window geometry, see
            `ShiftedWindowGeometry`.
        num_heads: attention heads.
        mlp_ratio: MLP expansion.
        qkv_bias: learned q / v biases.
        proj_drop: dropout after projections.
        attn_drop: attention dropout.
        drop_path: stochastic depth rate.
        act_layer: MLP activation.
        norm_layer: token norm.
        pretrained_window_size: pretraining window of the position MLP.
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
            qkv_bias: bool = True,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Callable[..., nn.Module] = nn.GELU,
            norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
            pretrained_window_size: SizeT = 0,
    ):
        super().__init__()
        self.dim = dim
        self._init_geometry(input_resolution, window_size, shift_size, always_partition, dynamic_mask)
        self.attn = CosineWindowAttention(dim, self.window_size, num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop,
                                          proj_drop=proj_drop, pretrained_window_size=pretrained_window_size)
        self.norm1 = norm_layer(dim)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.norm2 = norm_layer(dim)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self._register_mask()

    def zero_residual_norms(self) -> None:
        """Start each residual branch at zero (the post-norms' scale and shift), so every block begins as identity."""
        for norm in (self.norm1, self.norm2):
            nn.init.zeros_(norm.weight)
            nn.init.zeros_(norm.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.norm1(self._window_attention(x)))
        return x + self.drop_path2(self.norm2(self.mlp(x)))


class SwinTransformerV2(SwinBase):
    """Swin Transformer V2 trunk + head.

    Args:
        img_size: input size the attention masks are built for.
        patch_size: patch embedding stride.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', or '' for the unpooled NHWC token grid.
        embed_dim: width of the first stage (doubling per stage), or one width per stage.
        depths: blocks per stage.
        num_heads: heads per stage.
        window_size: window per stage (int, (h, w), or a per-stage sequence).
        always_partition: keep the window and shift even where the grid is smaller than the window.
        strict_img_size: require inputs of exactly `img_size`.
        dynamic_img_size: accept any input size divisible by the patch size (masks built per forward).
        mlp_ratio: MLP expansion.
        qkv_bias: learned q / v biases.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: attention dropout.
        drop_path_rate: stochastic depth rate of the last block.
        act_layer: MLP activation.
        norm_layer: token norm (name or class).
        pretrained_window_sizes: per-stage pretraining windows of the position MLPs (0: the stage's own window).
    """
    trunk = Trunk(stem=('patch_embed',), levels='layers', final=('norm',), level_fmt='NHWC')
    groups = dict(SwinTransformer.groups, stem=r'^absolute_pos_embed|patch_embed')
    no_weight_decay_keys = ('cpb_mlp', 'logit_scale')

    def __init__(
            self,
            img_size: SizeT = 224,
            patch_size: int = 4,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dim: Union[int, Sequence[int]] = 96,
            depths: Sequence[int] = (2, 2, 6, 2),
            num_heads: Sequence[int] = (3, 6, 12, 24),
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
            act_layer: LayerType = 'gelu',
            norm_layer: LayerType = nn.LayerNorm,
            pretrained_window_sizes: Sequence[SizeT] = (0, 0, 0, 0),
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
        if isinstance(embed_dim, (list, tuple)):
            dims = list(embed_dim)
        else:
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
            block_layer=SwinTransformerV2Block,
            merge_norm_last=True,
            norm_layer=norm_layer,
            per_stage=dict(num_heads=to_ntuple(num_stages)(num_heads), mlp_ratio=to_ntuple(num_stages)(mlp_ratio),
                           pretrained_window_size=to_ntuple(num_stages)(pretrained_window_sizes)),
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
        for stage in self.layers:
            for block in stage.blocks:
                block.zero_residual_norms()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H/32, W/32, C) normalised token grid (NHWC)."""
        return self.norm(self.layers(self.patch_embed(x)))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Fit a Swin V2 checkpoint to `model`.

    - Buffers some checkpoints carry (`relative_position_index`, `relative_coords_table`, `attn_mask`) are dropped:
      they follow from the model's own windows.
    - Official microsoft/Swin-Transformer checkpoints put patch merging at the end of stages 0..2 (so stage 0 has
      one) and the classifier at `head`; they move to the start of stages 1..3 and `head.fc`.
    """
    state_dict = state_dict.get('model', state_dict)
    state_dict = state_dict.get('state_dict', state_dict)
    official = 'layers.0.downsample.reduction.weight' in state_dict
    out = {}
    for key, value in state_dict.items():
        if any(n in key for n in ('relative_position_index', 'relative_coords_table', 'attn_mask')):
            continue
        if official:
            key = re.sub(r'^layers\.(\d+)\.downsample', lambda m: f'layers.{int(m.group(1)) + 1}.downsample', key)
            key = re.sub(r'^head\.', 'head.fc.', key)
        out[key] = value
    return out


def _create_swin_transformer_v2(variant: str, pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    return build_model_with_cfg(
        SwinTransformerV2, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(first_conv='patch_embed.proj', classifier='head.fc', input_size=(3, 256, 256), pool_size=(8, 8),
               crop_pct=0.9, interpolation='bicubic', fixed_input_size=True, license='mit',
               paper_ids='arXiv:2111.09883')
    cfg.update(kwargs)
    return cfg


_R384 = dict(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0)
_R192_22K = dict(input_size=(3, 192, 192), pool_size=(6, 6), num_classes=21841)

# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>; the first tag of an
# architecture is its default.
default_cfgs = generate_default_cfgs({
    'swinv2_base_window12to16_192to256.ms_in22k_ft_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_base_window12to24_192to384.ms_in22k_ft_in1k': _cfg(hf_hub_id='timm/', **_R384),
    'swinv2_large_window12to16_192to256.ms_in22k_ft_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_large_window12to24_192to384.ms_in22k_ft_in1k': _cfg(hf_hub_id='timm/', **_R384),
    'swinv2_tiny_window8_256.ms_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_tiny_window16_256.ms_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_small_window8_256.ms_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_small_window16_256.ms_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_base_window8_256.ms_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_base_window16_256.ms_in1k': _cfg(hf_hub_id='timm/'),
    'swinv2_base_window12_192.ms_in22k': _cfg(hf_hub_id='timm/', **_R192_22K),
    'swinv2_large_window12_192.ms_in22k': _cfg(hf_hub_id='timm/', **_R192_22K),
})


def _swinv2(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> SwinTransformerV2:
    return _create_swin_transformer_v2(variant, pretrained, **dict(model_args, **kwargs))


# width / depth / heads of each size (Liu et al., 2022, section 4.1); "12to16": fine-tuned from window-12 weights
_T = dict(embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24))
_S = dict(embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24))
_B = dict(embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32))
_L = dict(embed_dim=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48))
_FROM_12 = dict(pretrained_window_sizes=(12, 12, 12, 6))


@register_model
def swinv2_tiny_window16_256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-T V2, 256x256, window 16."""
    return _swinv2('swinv2_tiny_window16_256', pretrained, dict(_T, window_size=16), kwargs)


@register_model
def swinv2_tiny_window8_256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-T V2, 256x256, window 8."""
    return _swinv2('swinv2_tiny_window8_256', pretrained, dict(_T, window_size=8), kwargs)


@register_model
def swinv2_small_window16_256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-S V2, 256x256, window 16."""
    return _swinv2('swinv2_small_window16_256', pretrained, dict(_S, window_size=16), kwargs)


@register_model
def swinv2_small_window8_256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-S V2, 256x256, window 8."""
    return _swinv2('swinv2_small_window8_256', pretrained, dict(_S, window_size=8), kwargs)


@register_model
def swinv2_base_window16_256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-B V2, 256x256, window 16."""
    return _swinv2('swinv2_base_window16_256', pretrained, dict(_B, window_size=16), kwargs)


@register_model
def swinv2_base_window8_256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-B V2, 256x256, window 8."""
    return _swinv2('swinv2_base_window8_256', pretrained, dict(_B, window_size=8), kwargs)


@register_model
def swinv2_base_window12_192(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-B V2, 192x192, window 12 (ImageNet-22k pretraining)."""
    return _swinv2('swinv2_base_window12_192', pretrained, dict(_B, window_size=12), kwargs)


@register_model
def swinv2_base_window12to16_192to256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-B V2 pretrained at 192x192 / window 12, fine-tuned at 256x256 / window 16."""
    return _swinv2('swinv2_base_window12to16_192to256', pretrained, dict(_B, window_size=16, **_FROM_12), kwargs)


@register_model
def swinv2_base_window12to24_192to384(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-B V2 pretrained at 192x192 / window 12, fine-tuned at 384x384 / window 24."""
    return _swinv2('swinv2_base_window12to24_192to384', pretrained, dict(_B, window_size=24, **_FROM_12), kwargs)


@register_model
def swinv2_large_window12_192(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-L V2, 192x192, window 12 (ImageNet-22k pretraining)."""
    return _swinv2('swinv2_large_window12_192', pretrained, dict(_L, window_size=12), kwargs)


@register_model
def swinv2_large_window12to16_192to256(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-L V2 pretrained at 192x192 / window 12, fine-tuned at 256x256 / window 16."""
    return _swinv2('swinv2_large_window12to16_192to256', pretrained, dict(_L, window_size=16, **_FROM_12), kwargs)


@register_model
def swinv2_large_window12to24_192to384(pretrained: bool = False, **kwargs: Any) -> SwinTransformerV2:
    """Swin-L V2 pretrained at 192x192 / window 12, fine-tuned at 384x384 / window 24."""
    return _swinv2('swinv2_large_window12to24_192to384', pretrained, dict(_L, window_size=24, **_FROM_12), kwargs)
