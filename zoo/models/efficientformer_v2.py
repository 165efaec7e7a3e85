"""EfficientFormerV2: a MobileNet-sized, all-4D vision transformer.

Paper: "Rethinking Vision Transformers for MobileNet Size and Speed", Li et al., ICCV 2023 (arXiv:2212.08059).

Everything runs on (B, C, H, W) maps. Blocks are a (layer-scaled) attention branch and a layer-scaled MLP branch
whose hidden layer has a depthwise 3x3 conv (section 4.1: the "unified FFN" replaces V1's pooling mixer). Attention
(stages 3 and 4, last `num_vit` blocks) uses 1x1-conv queries / keys / values with BatchNorm, a depthwise "local
value" added to the output, talking-head 1x1 convs across heads before and after the softmax, and a learned bias per
head and absolute offset; in stage 3 it runs on a stride-2 copy of the map and upsamples back (section 4.2,
"stride attention"). From stage 4 on, downsampling adds an attention branch whose queries pool locally and globally
("dual-path attention downsampling", section 4.2) to the strided conv. Attention grids follow `img_size`, so a model
built for another size has other bias tables.

Deviation from timm: `forward` never returns a tuple (timm returns both heads' logits in training mode when
`distilled_training` is set); `forward_head_distilled` returns both.
"""
import math
from collections import OrderedDict
from functools import partial
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerType, get_act_layer, get_norm_layer, to_2tuple, to_ntuple, trunc_normal_
from zoo.layers.attention_bias import abs_offset_bias_index, gather_offset_bias, resize_attention_bias
from zoo.layers.conv_bn_act import ConvNormAct, get_norm_act_layer
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.layer_scale import LayerScale2d
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._distilled import DistilledLinearHeads
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['EfficientFormerV2', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]


def _conv_norm(in_chs: int, out_chs: int, kernel_size: int = 1, stride: int = 1, groups: int = 1,
               norm_layer: LayerType = nn.BatchNorm2d, act_layer: Optional[LayerType] = None) -> ConvNormAct:
    """Conv (with bias, symmetric padding) -> norm [-> act_layer when given] (keys `conv`, `bn`)."""
    return ConvNormAct(in_chs, out_chs, kernel_size, stride=stride, groups=groups, bias=True,
                       apply_act=act_layer is not None, norm_layer=norm_layer, act_layer=act_layer)


class _BiasedAttention(nn.Module):
    """Shared by both attention layers: a (heads, H * W) bias table over the key grid, indexed per (query, key)."""
    attention_bias_idxs: torch.Tensor

    def _init_bias(self, num_heads: int, key_size: Tuple[int, int], query_stride: int) -> None:
        self.key_size = key_size
        self.query_stride = query_stride
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, key_size[0] * key_size[1]))
        self.register_buffer('attention_bias_idxs', abs_offset_bias_index(key_size, query_stride), persistent=False)

    def init_non_persistent_buffers(self) -> None:
        self.attention_bias_idxs = abs_offset_bias_index(self.key_size, self.query_stride,
                                                         device=self.attention_biases.device)

    def _logits(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return (q @ k) * self.scale + gather_offset_bias(self, self.attention_biases, self.attention_bias_idxs)


class Attention2d(_BiasedAttention):
    """Attention on maps with talking heads, a local value branch and optional stride (section 4.2).

    Args:
        dim: channels.
        key_dim: query / key channels per head.
        num_heads: heads.
        attn_ratio: value channels per head / key_dim.
        resolution: input map size the biases are built for.
        act_layer: activation before the output projection.
        stride: attend on a depthwise-strided copy of the map and upsample the result back.
    """

    def __init__(self, dim: int = 384, key_dim: int = 32, num_heads: int = 8, attn_ratio: int = 4,
                 resolution: SizeT = 7, act_layer: LayerType = nn.GELU, stride: Optional[int] = None):
        super().__init__()
        self.num_heads = num_heads
        self.scale = key_dim ** -0.5
        resolution = to_2tuple(resolution)
        if stride is not None:
            resolution = tuple(math.ceil(r / stride) for r in resolution)
            self.stride_conv = _conv_norm(dim, dim, 3, stride=stride, groups=dim)
            self.upsample = nn.Upsample(scale_factor=stride, mode='bilinear')
        else:
            self.stride_conv = None
            self.upsample = None
        self.resolution = resolution
        self.dh = int(attn_ratio * key_dim) * num_heads
        kh = key_dim * num_heads
        self.q = _conv_norm(dim, kh)
        self.k = _conv_norm(dim, kh)
        self.v = _conv_norm(dim, self.dh)
        self.v_local = _conv_norm(self.dh, self.dh, 3, groups=self.dh)
        self.talking_head1 = nn.Conv2d(num_heads, num_heads, 1)
        self.talking_head2 = nn.Conv2d(num_heads, num_heads, 1)
        self.act = act_layer()
        self.proj = _conv_norm(self.dh, dim)
        self._init_bias(num_heads, resolution, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        if self.stride_conv is not None:
            x = self.stride_conv(x)
        # channels are grouped by head: (B, heads, C / heads, N)
        q = self.q(x).flatten(2).unflatten(1, (self.num_heads, -1))
        k = self.k(x).flatten(2).unflatten(1, (self.num_heads, -1))
        v = self.v(x)
        v_local = self.v_local(v)
        v = v.flatten(2).unflatten(1, (self.num_heads, -1))
        # the talking heads mix the heads' logits / probabilities with 1x1 convs over the head axis
        attn = self.talking_head2(self.talking_head1(self._logits(q.transpose(-2, -1), k)).softmax(dim=-1))
        x = (v @ attn.transpose(-2, -1)).reshape(b, self.dh, *self.resolution) + v_local
        if self.upsample is not None:
            x = self.upsample(x)
        return self.proj(self.act(x))


class LocalGlobalQuery(nn.Module):
    """Stride-2 queries: a depthwise 3x3 strided conv plus every second pixel, then a 1x1 conv + norm."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.pool = nn.AvgPool2d(1, 2, 0)
        self.local = nn.Conv2d(in_dim, in_dim, 3, stride=2, padding=1, groups=in_dim)
        self.proj = _conv_norm(in_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.local(x) + self.pool(x))


class Attention2dDownsample(_BiasedAttention):
    """Attention with stride-2 queries over full-resolution keys (the attention path of downsampling)."""

    def __init__(self, dim: int = 384, key_dim: int = 16, num_heads: int = 8, attn_ratio: int = 4,
                 resolution: SizeT = 7, out_dim: Optional[int] = None, act_layer: LayerType = nn.GELU):
        super().__init__()
        self.num_heads = num_heads
        self.scale = key_dim ** -0.5
        self.resolution = to_2tuple(resolution)
        self.resolution2 = tuple(math.ceil(r / 2) for r in self.resolution)
        self.dh = int(attn_ratio * key_dim) * num_heads
        kh = key_dim * num_heads
        self.q = LocalGlobalQuery(dim, kh)
        self.k = _conv_norm(dim, kh)
        self.v = _conv_norm(dim, self.dh)
        self.v_local = _conv_norm(self.dh, self.dh, 3, stride=2, groups=self.dh)
        self.act = act_layer()
        self.proj = _conv_norm(self.dh, out_dim or dim)
        self._init_bias(num_heads, self.resolution, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        q = self.q(x).flatten(2).unflatten(1, (self.num_heads, -1)).transpose(-2, -1)
        k = self.k(x).flatten(2).unflatten(1, (self.num_heads, -1))
        v = self.v(x)
        v_local = self.v_local(v)
        v = v.flatten(2).unflatten(1, (self.num_heads, -1))
        attn = self._logits(q, k).softmax(dim=-1)
        x = (v @ attn.transpose(-2, -1)).reshape(b, self.dh, *self.resolution2) + v_local
        return self.proj(self.act(x))


class Downsample(nn.Module):
    """Strided 3x3 conv + norm, plus (stage 4) the dual-path attention branch."""

    def __init__(self, in_chs: int, out_chs: int, resolution: SizeT = 7, use_attn: bool = False,
                 act_layer: LayerType = nn.GELU, norm_layer: LayerType = nn.BatchNorm2d):
        super().__init__()
        self.conv = _conv_norm(in_chs, out_chs, 3, stride=2, norm_layer=norm_layer)
        self.attn = Attention2dDownsample(in_chs, out_dim=out_chs, resolution=resolution,
                                          act_layer=act_layer) if use_attn else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return out if self.attn is None else self.attn(x) + out


class ConvMlpWithNorm(nn.Module):
    """1x1 conv-norm-act -> depthwise 3x3 conv-norm-act -> 1x1 conv-norm (the unified FFN)."""

    def __init__(self, in_features: int, hidden_features: Optional[int] = None, out_features: Optional[int] = None,
                 act_layer: LayerType = nn.GELU, norm_layer: LayerType = nn.BatchNorm2d, drop: float = 0.,
                 mid_conv: bool = False):
        super().__init__()
        hidden = hidden_features or in_features
        activated = partial(_conv_norm, norm_layer=norm_layer, act_layer=act_layer)
        self.fc1 = activated(in_features, hidden)
        # the depthwise conv mixes space inside the FFN (the paper's unified FFN); plain FFNs skip it
        self.mid = activated(hidden, hidden, 3, groups=hidden) if mid_conv else nn.Identity()
        self.drop1 = nn.Dropout(drop)
        # the projection back is linear: no activation before the residual sum
        self.fc2 = _conv_norm(hidden, out_features or in_features, norm_layer=norm_layer)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.mid(self.fc1(x)))
        return self.drop2(self.fc2(x))


class EfficientFormerV2Block(nn.Module):
    """Optional attention branch, then the FFN branch; each layer-scaled and residual."""

    def __init__(self, dim: int, mlp_ratio: float = 4., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = nn.BatchNorm2d, proj_drop: float = 0., drop_path: float = 0.,
                 layer_scale_init_value: Optional[float] = 1e-5, resolution: SizeT = 7, stride: Optional[int] = None,
                 use_attn: bool = True):
        super().__init__()

        def layer_scale() -> nn.Module:
            return LayerScale2d(dim, layer_scale_init_value) if layer_scale_init_value is not None else nn.Identity()

        if use_attn:
            self.token_mixer = Attention2d(dim, resolution=resolution, act_layer=act_layer, stride=stride)
            self.ls1 = layer_scale()
            self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        else:
            self.token_mixer = self.ls1 = self.drop_path1 = None
        self.mlp = ConvMlpWithNorm(dim, int(dim * mlp_ratio), act_layer=act_layer, norm_layer=norm_layer,
                                   drop=proj_drop, mid_conv=True)
        self.ls2 = layer_scale()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.token_mixer is not None:
            x = x + self.drop_path1(self.ls1(self.token_mixer(x)))
        return x + self.drop_path2(self.ls2(self.mlp(x)))


class Stem4(nn.Sequential):
    """Two stride-2 3x3 conv-norm-act layers (`conv1` to half the width, `conv2` to the full width)."""

    def __init__(self, in_chs: int, out_chs: int, act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = nn.BatchNorm2d):
        widths = (in_chs, out_chs // 2, out_chs)
        super().__init__(OrderedDict(
            (f'conv{i}', _conv_norm(widths[i - 1], widths[i], 3, stride=2, norm_layer=norm_layer, act_layer=act_layer))
            for i in (1, 2)))


class EfficientFormerV2Stage(nn.Module):
    """Optional downsampling, then blocks whose last `num_vit` have attention (when the stage uses attention)."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, dim: int, dim_out: int, depth: int, resolution: SizeT = 7, downsample: bool = True,
                 block_stride: Optional[int] = None, downsample_use_attn: bool = False, block_use_attn: bool = False,
                 num_vit: int = 1, mlp_ratio: Union[float, Sequence[float]] = 4., proj_drop: float = 0.,
                 drop_path: Sequence[float] = (), layer_scale_init_value: Optional[float] = 1e-5,
                 act_layer: LayerType = nn.GELU, norm_layer: LayerType = nn.BatchNorm2d):
        super().__init__()
        mlp_ratio = to_ntuple(depth)(mlp_ratio)
        drop_path = list(drop_path) or [0.] * depth
        resolution = to_2tuple(resolution)
        if downsample:
            self.downsample = Downsample(dim, dim_out, resolution, downsample_use_attn, act_layer, norm_layer)
            dim = dim_out
            resolution = tuple(math.ceil(r / 2) for r in resolution)
        elif dim != dim_out:
            raise ValueError(f'A stage without downsampling keeps its width: {dim} != {dim_out}.')
        else:
            self.downsample = nn.Identity()
        self.blocks = CheckpointSequential(*[
            EfficientFormerV2Block(dim, mlp_ratio[i], act_layer, norm_layer, proj_drop, drop_path[i],
                                   layer_scale_init_value, resolution, block_stride,
                                   use_attn=block_use_attn and i >= depth - num_vit) for i in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class EfficientFormerV2(DistilledLinearHeads, ZooModel):
    """EfficientFormerV2 (S0 / S1 / S2 / L): conv stem, four stages, BatchNorm, pooled (distilled) linear heads.

    Args:
        depths: blocks per stage.
        in_chans: input image channels.
        img_size: input size the attention grids are built for.
        global_pool: 'avg' or '' (with num_classes=0).
        embed_dims: stage widths.
        downsamples: downsample before each stage (default: all but the first).
        mlp_ratios: FFN expansion, per stage (a value or one per block).
        norm_layer: norm name ('batchnorm2d').
        norm_eps: its epsilon.
        act_layer: activation.
        num_classes: classifier outputs; 0 removes the classifiers.
        drop_rate: dropout before the classifiers.
        proj_drop_rate: FFN dropout.
        drop_path_rate: stochastic depth rate (per-stage linear schedule).
        layer_scale_init_value: layer-scale init; None disables layer scale.
        num_vit: attention blocks at the end of stages 3 and 4.
        distillation: add the distillation head `head_dist`.
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm',))
    groups = dict(stem=r'^stem', blocks=[(r'^stages\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            depths: Sequence[int],
            in_chans: int = 3,
            img_size: SizeT = 224,
            global_pool: str = 'avg',
            embed_dims: Optional[Sequence[int]] = None,
            downsamples: Optional[Sequence[bool]] = None,
            mlp_ratios: Union[float, Sequence[Any]] = 4,
            norm_layer: str = 'batchnorm2d',
            norm_eps: float = 1e-5,
            act_layer: LayerType = 'gelu',
            num_classes: int = 1000,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            layer_scale_init_value: Optional[float] = 1e-5,
            num_vit: int = 0,
            distillation: bool = True,
    ):
        super().__init__()
        if embed_dims is None:
            raise ValueError('EfficientFormerV2 needs embed_dims (one width per stage).')
        self.num_classes = num_classes
        img_size = to_2tuple(img_size)
        act_layer = get_act_layer(act_layer)
        # the fused norm class without an activation bound, so each conv-norm-act chooses its own
        fused = get_norm_act_layer(norm_layer)
        norm_act = partial(fused.func if isinstance(fused, partial) else fused, eps=norm_eps)
        self.stem = Stem4(in_chans, embed_dims[0], act_layer=act_layer, norm_layer=norm_act)
        num_stages = len(depths)
        downsamples = downsamples or (False,) + (True,) * (num_stages - 1)
        mlp_ratios = to_ntuple(num_stages)(mlp_ratios)
        dpr = stagewise_drop_path_rates(drop_path_rate, depths)
        stages, self.feature_info = [], []
        prev_dim, stride = embed_dims[0], 4
        for i in range(num_stages):
            stages.append(EfficientFormerV2Stage(
                prev_dim, embed_dims[i], depths[i], resolution=tuple(math.ceil(s / stride) for s in img_size),
                downsample=downsamples[i], block_stride=2 if i == 2 else None, downsample_use_attn=i >= 3,
                block_use_attn=i >= 2, num_vit=num_vit, mlp_ratio=mlp_ratios[i], proj_drop=proj_drop_rate,
                drop_path=dpr[i], layer_scale_init_value=layer_scale_init_value, act_layer=act_layer,
                norm_layer=norm_act))
            stride *= 2 if downsamples[i] else 1
            prev_dim = embed_dims[i]
            self.feature_info.append(dict(num_chs=prev_dim, reduction=stride, module=f'stages.{i}'))
        self.stages = nn.Sequential(*stages)
        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.norm = get_norm_layer(norm_layer)(embed_dims[-1], eps=norm_eps)
        self._init_heads(self.num_features, num_classes, global_pool, drop_rate, distillation)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    @torch.jit.ignore
    def no_weight_decay(self) -> set:
        return {k for k, _ in self.named_parameters() if 'attention_biases' in k}

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        # each stage checkpoints its own blocks when grad checkpointing is on
        return self.norm(self.stages(self.stem(x)))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: EfficientFormerV2) -> Dict[str, torch.Tensor]:
    """Resample attention-bias tables made for another input size to the model's grids (bicubic, as LeViT / TinyViT
    fine-tuning does); timm loads only same-size checkpoints."""
    own = model.state_dict()
    out = {}
    for key, value in state_dict.items():
        if key.endswith('attention_biases') and key in own and value.shape != own[key].shape:
            value = resize_attention_bias(value, model.get_submodule(key.rsplit('.', 1)[0]).key_size)
        out[key] = value
    return out


def _create_efficientformerv2(variant: str, pretrained: bool = False, **kwargs: Any) -> EfficientFormerV2:
    out_indices = kwargs.pop('out_indices', (0, 1, 2, 3))
    return build_model_with_cfg(EfficientFormerV2, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(flatten_sequential=True, out_indices=out_indices), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=None,
               fixed_input_size=True, crop_pct=.95, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN,
               std=IMAGENET_DEFAULT_STD, classifier=('head', 'head_dist'), first_conv='stem.conv1.conv',
               license='apache-2.0')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'efficientformerv2_s0.snap_dist_in1k': _cfg(),
    'efficientformerv2_s1.snap_dist_in1k': _cfg(),
    'efficientformerv2_s2.snap_dist_in1k': _cfg(),
    'efficientformerv2_l.snap_dist_in1k': _cfg(),
})

# widths, depths, attention blocks, stochastic depth and per-block FFN expansion of each model (paper table 3)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    efficientformerv2_s0=dict(
        embed_dims=(32, 48, 96, 176), depths=(2, 2, 6, 4), num_vit=2, drop_path_rate=0.0,
        mlp_ratios=(4, 4, (4, 3, 3, 3, 4, 4), (4, 3, 3, 4))),
    efficientformerv2_s1=dict(
        embed_dims=(32, 48, 120, 224), depths=(3, 3, 9, 6), num_vit=2, drop_path_rate=0.0,
        mlp_ratios=(4, 4, (4, 4, 3, 3, 3, 3, 4, 4, 4), (4, 4, 3, 3, 4, 4))),
    efficientformerv2_s2=dict(
        embed_dims=(32, 64, 144, 288), depths=(4, 4, 12, 8), num_vit=4, drop_path_rate=0.02,
        mlp_ratios=(4, 4, (4, 4, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4), (4, 4, 3, 3, 3, 3, 4, 4))),
    efficientformerv2_l=dict(
        embed_dims=(40, 80, 192, 384), depths=(5, 5, 15, 10), num_vit=6, drop_path_rate=0.1,
        mlp_ratios=(4, 4, (4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4), (4, 4, 4, 3, 3, 3, 3, 4, 4, 4))),
)


def _efficientformerv2(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> EfficientFormerV2:
    return _create_efficientformerv2(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def efficientformerv2_s0(pretrained: bool = False, **kwargs) -> EfficientFormerV2:
    return _efficientformerv2('efficientformerv2_s0', pretrained, kwargs)


@register_model
def efficientformerv2_s1(pretrained: bool = False, **kwargs) -> EfficientFormerV2:
    return _efficientformerv2('efficientformerv2_s1', pretrained, kwargs)


@register_model
def efficientformerv2_s2(pretrained: bool = False, **kwargs) -> EfficientFormerV2:
    return _efficientformerv2('efficientformerv2_s2', pretrained, kwargs)


@register_model
def efficientformerv2_l(pretrained: bool = False, **kwargs) -> EfficientFormerV2:
    return _efficientformerv2('efficientformerv2_l', pretrained, kwargs)
