"""EfficientViT (MIT): multi-scale ReLU linear attention for high-resolution dense prediction.

Paper: "EfficientViT: Multi-Scale Linear Attention for High-Resolution Dense Prediction", Cai et al., ICCV 2023
(arXiv:2205.14756); the L series is from the same authors' later release (EfficientViT-L, "Lightweight Multi-Scale
Attention", same code base).

The attention of section 3.1 replaces softmax(QK^T)V by ReLU kernels, so attention costs O(N) and can be computed as
ReLU(Q) (ReLU(K)^T [V, 1]) followed by a division by the last column (the normaliser). Before attention, the q/k/v
tokens are aggregated over a 5x5 neighbourhood (a depthwise conv + grouped 1x1) and both scales are attended to
separately (the heads of the second scale are extra heads), then projected back. Each transformer block is that
context module followed by an MBConv local module (FFN + depthwise conv), both residual.

B models: a conv stem with depthwise-separable residual blocks, two MBConv stages and two attention stages.
L models: a stem of plain 3x3 residual blocks, two fused-MBConv stages, one MBConv stage and one attention stage, with
GELU (tanh approximation) and BN eps 1e-7.
The classifier is a 1x1 conv -> pool -> linear -> LayerNorm -> act -> dropout -> linear (keys `head.classifier.N`).
"""
from typing import Any, Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import LayerType, get_act_layer
from zoo.layers.pool import SelectAdaptivePool2d, adaptive_pool_feat_mult
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['EfficientVit', 'EfficientVitLarge', 'LiteMLA']


class ConvLayer(nn.Module):
    """Conv -> optional BN -> optional activation (keys `conv`, `norm`, `act`).

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: square kernel, padded to keep the size at stride 1.
        stride: conv stride.
        groups: conv groups.
        bias: conv bias (the layers without a norm have one).
        norm_eps: eps of the BatchNorm; None for no norm.
        act_layer: activation class; None for none.
    """

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, stride: int = 1, groups: int = 1,
                 bias: bool = False, norm_eps: Optional[float] = 1e-5, act_layer: Optional[type] = None):
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups, bias=bias)
        self.norm = nn.BatchNorm2d(out_chs, eps=norm_eps) if norm_eps is not None else nn.Identity()
        self.act = act_layer() if act_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class ResidualBlock(nn.Module):
    """`main(x)`, plus `x` when the block keeps the shape (downsampling blocks have no shortcut)."""

    def __init__(self, main: nn.Module, residual: bool = True):
        super().__init__()
        self.main = main
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.main(x) if self.residual else self.main(x)


class DSConv(nn.Module):
    """Depthwise kxk (norm, act) -> pointwise 1x1 (norm): the B-model stem block."""

    def __init__(self, in_chs: int, out_chs: int, act_layer: type, norm_eps: float, stride: int = 1):
        super().__init__()
        self.depth_conv = ConvLayer(in_chs, in_chs, 3, stride, groups=in_chs, norm_eps=norm_eps, act_layer=act_layer)
        self.point_conv = ConvLayer(in_chs, out_chs, 1, norm_eps=norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point_conv(self.depth_conv(x))


class ConvBlock(nn.Module):
    """Two 3x3 conv-norm layers with an activation between them: the L-model stem block."""

    def __init__(self, in_chs: int, out_chs: int, act_layer: type, norm_eps: float, stride: int = 1):
        super().__init__()
        self.conv1 = ConvLayer(in_chs, in_chs, 3, stride, norm_eps=norm_eps, act_layer=act_layer)
        self.conv2 = ConvLayer(in_chs, out_chs, 3, norm_eps=norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class MBConv(nn.Module):
    """1x1 expand -> depthwise 3x3 -> 1x1 project (inverted residual body, section 3.2).

    With `fewer_norm` (the attention stages) only the projection has a norm; the other two convs take a bias.
    """

    def __init__(self, in_chs: int, out_chs: int, expand_ratio: float, act_layer: type, norm_eps: float,
                 stride: int = 1, fewer_norm: bool = False):
        super().__init__()
        mid = round(in_chs * expand_ratio)
        inner_eps = None if fewer_norm else norm_eps
        self.inverted_conv = ConvLayer(in_chs, mid, 1, bias=fewer_norm, norm_eps=inner_eps, act_layer=act_layer)
        self.depth_conv = ConvLayer(mid, mid, 3, stride, groups=mid, bias=fewer_norm, norm_eps=inner_eps,
                                    act_layer=act_layer)
        self.point_conv = ConvLayer(mid, out_chs, 1, norm_eps=norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point_conv(self.depth_conv(self.inverted_conv(x)))


class FusedMBConv(nn.Module):
    """3x3 expand (a full conv in place of 1x1 + depthwise) -> 1x1 project."""

    def __init__(self, in_chs: int, out_chs: int, expand_ratio: float, act_layer: type, norm_eps: float,
                 stride: int = 1):
        super().__init__()
        mid = round(in_chs * expand_ratio)
        self.spatial_conv = ConvLayer(in_chs, mid, 3, stride, norm_eps=norm_eps, act_layer=act_layer)
        self.point_conv = ConvLayer(mid, out_chs, 1, norm_eps=norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point_conv(self.spatial_conv(x))


class LiteMLA(nn.Module):
    """Lightweight multi-scale linear attention (section 3.1).

    The 1x1 qkv projection gives, per head, `head_dim` channels each of q, k and v. Every scale in `scales` adds a
    copy of those tokens aggregated by a depthwise `scale x scale` conv and a 1x1 conv grouped per (q/k/v, head);
    all copies attend as separate heads. Attention is ReLU-kernel linear attention, computed in float32 because the
    normaliser (sum of ReLU(q) . ReLU(k)) overflows half precision.

    Args:
        dim: input and output channels.
        head_dim: channels per head (heads = dim // head_dim).
        norm_eps: eps of the BN after the output projection.
        scales: aggregation kernel sizes.
        eps: added to the normaliser.
    """

    def __init__(self, dim: int, head_dim: int = 8, norm_eps: float = 1e-5, scales: Sequence[int] = (5,),
                 eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.dim = head_dim
        heads = dim // head_dim
        total = heads * head_dim
        self.qkv = ConvLayer(dim, 3 * total, 1, norm_eps=None)
        self.aggreg = nn.ModuleList([nn.Sequential(
            nn.Conv2d(3 * total, 3 * total, s, padding=s // 2, groups=3 * total, bias=False),
            nn.Conv2d(3 * total, 3 * total, 1, groups=3 * heads, bias=False),
        ) for s in scales])
        self.kernel_func = nn.ReLU()
        self.proj = ConvLayer(total * (1 + len(scales)), dim, 1, norm_eps=norm_eps)

    def _attend(self, qkv: torch.Tensor) -> torch.Tensor:
        q, k, v = qkv.float().split(self.dim, dim=2)
        q, k = self.kernel_func(q), self.kernel_func(k)
        # a row of ones under v makes the same product give the normaliser sum_j relu(k_j) . relu(q_i)
        v = F.pad(v, (0, 0, 0, 1), value=1.)
        kv = v @ k.transpose(-1, -2)  # (B, G, dim + 1, dim)
        out = kv @ q  # (B, G, dim + 1, N)
        return (out[:, :, :-1] / (out[:, :, -1:] + self.eps)).to(qkv.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        qkv = self.qkv(x)
        qkv = torch.cat([qkv] + [agg(qkv) for agg in self.aggreg], dim=1)
        qkv = qkv.reshape(b, -1, 3 * self.dim, h * w)  # (B, heads of every scale, [q|k|v] channels, N)
        if not torch.jit.is_scripting() and qkv.device.type != 'meta':
            with torch.autocast(device_type=qkv.device.type, enabled=False):  # autocast would undo the float32
                out = self._attend(qkv)
        else:
            out = self._attend(qkv)
        return self.proj(out.reshape(b, -1, h, w))


class EfficientVitBlock(nn.Module):
    """Residual multi-scale linear attention (`context_module`) -> residual MBConv (`local_module`)."""

    def __init__(self, dim: int, head_dim: int, expand_ratio: float, act_layer: type, norm_eps: float):
        super().__init__()
        self.context_module = ResidualBlock(LiteMLA(dim, head_dim, norm_eps=norm_eps))
        self.local_module = ResidualBlock(MBConv(dim, dim, expand_ratio, act_layer, norm_eps, fewer_norm=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.local_module(self.context_module(x))


class EfficientVitStage(nn.Module):
    """A stride-2 block without shortcut, then residual local blocks or attention blocks (key `blocks`)."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, blocks: Sequence[nn.Module]):
        super().__init__()
        self.blocks = CheckpointSequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class Stem(nn.Sequential):
    """Stride-2 3x3 conv, then residual blocks at that resolution (keys `in_conv`, `res0`, `res1`, ...).

    A Sequential so that `features_only` flattens it into top-level modules as timm's does (`stem_in_conv`, ...)."""

    def __init__(self, in_chs: int, out_chs: int, depth: int, act_layer: type, norm_eps: float, large: bool):
        super().__init__()
        self.in_conv = ConvLayer(in_chs, out_chs, 3, 2, norm_eps=norm_eps, act_layer=act_layer)
        block = ConvBlock if large else DSConv
        for i in range(depth):
            self.add_module(f'res{i}', ResidualBlock(block(out_chs, out_chs, act_layer, norm_eps)))


class EfficientVitHead(nn.Module):
    """1x1 conv-BN-act -> global pool -> linear (no bias) -> LayerNorm -> act -> dropout -> linear.

    `reset(..., reset_other=True)` drops the conv and the hidden linear / norm / act, leaving pool -> classifier on the
    trunk features (what pruning the trunk needs, since the conv is sized for the last stage).
    """

    def __init__(self, in_features: int, widths: Sequence[int], num_classes: int, act_layer: type,
                 drop_rate: float = 0., pool_type: str = 'avg', norm_eps: float = 1e-5):
        super().__init__()
        _check_pool(pool_type)
        self.in_features = in_features
        self.in_conv = ConvLayer(in_features, widths[0], 1, act_layer=act_layer)
        self.global_pool = SelectAdaptivePool2d(pool_type=pool_type, flatten=True)
        self.classifier = nn.Sequential(
            nn.Linear(widths[0], widths[1], bias=False),
            nn.LayerNorm(widths[1], eps=norm_eps),
            act_layer(),
            nn.Dropout(drop_rate),
            nn.Linear(widths[1], num_classes) if num_classes > 0 else nn.Identity(),
        )
        self.num_features = widths[1]

    def reset(self, num_classes: int, pool_type: Optional[str] = None, reset_other: bool = False,
              in_features: Optional[int] = None) -> None:
        if pool_type is not None:
            _check_pool(pool_type)
            self.global_pool = SelectAdaptivePool2d(pool_type=pool_type, flatten=True)
        if reset_other:
            self.in_conv = nn.Identity()
            for i in range(3):
                self.classifier[i] = nn.Identity()
            self.num_features = self.in_features
        if in_features is not None and in_features != self.in_features:
            if not isinstance(self.in_conv, nn.Identity):
                raise ValueError('The head input width can change only with reset_other=True (no head conv).')
            self.in_features = self.num_features = in_features
        self.classifier[4] = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.classifier[4].train(self.classifier.training)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.global_pool(self.in_conv(x))
        for i, layer in enumerate(self.classifier):
            if pre_logits and i == 4:
                break
            x = layer(x)
        return x


def _check_pool(pool_type: str) -> None:
    if not pool_type or adaptive_pool_feat_mult(pool_type) != 1:
        raise ValueError(f"EfficientViT's head pools to one vector of the head width per image: global_pool must be "
                         f"a pooling such as 'avg', 'max' or 'avgmax' (not '' or a concatenating one), "
                         f"got {pool_type!r}.")


class EfficientVit(ZooModel):
    """EfficientViT-B: stem, two MBConv stages, two multi-scale linear-attention stages, MLP head.

    Args:
        in_chans: input image channels.
        widths: stem width, then one width per stage.
        depths: stem residual blocks, then blocks per stage (MBConv stages: including the stride-2 block; attention
            stages: after it).
        head_dim: channels per attention head.
        expand_ratio: MBConv expansion.
        act_layer: activation.
        global_pool: head pooling ('avg', 'max', 'avgmax', ...; never '', the head needs vectors).
        head_widths: (head conv width, hidden linear width).
        drop_rate: dropout before the classifier.
        num_classes: classifier outputs; 0 removes the classifier.
        norm_eps: eps of the trunk's BatchNorms.
        head_norm_eps: eps of the head's LayerNorm.
    """
    trunk = Trunk(stem=('stem',), levels='stages')
    classifier_name = 'head.classifier.4'
    groups = dict(
        stem=r'^stem',
        blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+)\.\w+\.(\d+)', None)],
        coarse=r'^stages\.(\d+)')
    large = False

    def __init__(
            self,
            in_chans: int = 3,
            widths: Sequence[int] = (),
            depths: Sequence[int] = (),
            head_dim: int = 32,
            expand_ratio: float = 4,
            act_layer: LayerType = nn.Hardswish,
            global_pool: str = 'avg',
            head_widths: Sequence[int] = (),
            drop_rate: float = 0.,
            num_classes: int = 1000,
            norm_eps: float = 1e-5,
            head_norm_eps: float = 1e-5,
    ):
        super().__init__()
        if len(widths) != 5 or len(depths) != 5 or len(head_widths) != 2:
            raise ValueError(f'EfficientViT needs 5 widths and depths (stem + 4 stages) and 2 head widths; got '
                             f'widths={widths}, depths={depths}, head_widths={head_widths}.')
        act_layer = get_act_layer(act_layer)
        self.num_classes = check_num_classes(num_classes)
        self.drop_rate = drop_rate
        self.stem = Stem(in_chans, widths[0], depths[0], act_layer, norm_eps, self.large)
        stages, self.feature_info = [], []
        in_chs = widths[0]
        for i, (w, d) in enumerate(zip(widths[1:], depths[1:])):
            stages.append(EfficientVitStage(self._stage_blocks(i, in_chs, w, d, head_dim, expand_ratio, act_layer,
                                                               norm_eps)))
            self.feature_info.append(dict(num_chs=w, reduction=2 ** (i + 2), module=f'stages.{i}'))
            in_chs = w
        self.stages = nn.Sequential(*stages)
        self.num_features = in_chs
        self.head = EfficientVitHead(in_chs, head_widths, num_classes, act_layer, drop_rate, global_pool,
                                     head_norm_eps)
        self.head_hidden_size = self.head.num_features

    @staticmethod
    def _stage_blocks(index: int, in_chs: int, out_chs: int, depth: int, head_dim: int, expand_ratio: float,
                      act_layer: type, norm_eps: float) -> list:
        attn = index >= 2
        blocks = [ResidualBlock(MBConv(in_chs, out_chs, expand_ratio, act_layer, norm_eps, stride=2,
                                       fewer_norm=attn), residual=False)]
        if attn:
            blocks += [EfficientVitBlock(out_chs, head_dim, expand_ratio, act_layer, norm_eps) for _ in range(depth)]
        else:
            blocks += [ResidualBlock(MBConv(out_chs, out_chs, expand_ratio, act_layer, norm_eps))
                       for _ in range(depth - 1)]
        return blocks

    def reset_classifier(self, num_classes: int, global_pool: Optional[str] = None, reset_other: bool = False) -> None:
        """A new classifier; `reset_other` also removes the head conv and hidden layer (pool -> classifier)."""
        self.num_classes = check_num_classes(num_classes)
        self.head.reset(num_classes, global_pool, reset_other=reset_other)
        self.head_hidden_size = self.head.num_features

    def _replace_head(self, in_features: int) -> None:
        self.head.reset(0, reset_other=True, in_features=in_features)
        self.head_hidden_size = in_features

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


class EfficientVitLarge(EfficientVit):
    """EfficientViT-L: plain-conv stem, two fused-MBConv stages, one MBConv stage and one attention stage.

    Same arguments as `EfficientVit` (no `expand_ratio`: the L stages use fixed ratios: 16 / 24 in the stride-2
    blocks, 4 in the local blocks, 6 in the attention blocks), GELU-tanh and BN eps 1e-7 by default.
    """
    large = True

    def __init__(self, act_layer: LayerType = 'gelu_tanh', norm_eps: float = 1e-7, **kwargs: Any):
        kwargs.setdefault('head_norm_eps', norm_eps)
        super().__init__(act_layer=act_layer, norm_eps=norm_eps, **kwargs)

    @staticmethod
    def _stage_blocks(index: int, in_chs: int, out_chs: int, depth: int, head_dim: int, expand_ratio: float,
                      act_layer: type, norm_eps: float) -> list:
        attn, plain = index == 3, index >= 2  # stage 2 uses MBConv with fewer norms instead of fused blocks
        if plain:
            down = MBConv(in_chs, out_chs, 24 if attn else 16, act_layer, norm_eps, stride=2, fewer_norm=True)
        else:
            down = FusedMBConv(in_chs, out_chs, 16, act_layer, norm_eps, stride=2)
        blocks = [ResidualBlock(down, residual=False)]
        if attn:
            return blocks + [EfficientVitBlock(out_chs, head_dim, 6, act_layer, norm_eps) for _ in range(depth)]
        for _ in range(depth):
            local = (MBConv(out_chs, out_chs, 4, act_layer, norm_eps, fewer_norm=True) if plain
                     else FusedMBConv(out_chs, out_chs, 4, act_layer, norm_eps))
            blocks.append(ResidualBlock(local))
        return blocks


def _create_efficientvit(variant: str, pretrained: bool = False, **kwargs: Any) -> EfficientVit:
    cls = EfficientVitLarge if variant.startswith('efficientvit_l') else EfficientVit
    out_indices = kwargs.pop('out_indices', (0, 1, 2, 3))
    return build_model_with_cfg(cls, variant, pretrained,
                                feature_cfg=dict(flatten_sequential=True, out_indices=out_indices), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7),
               fixed_input_size=False, crop_pct=0.95, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN,
               std=IMAGENET_DEFAULT_STD, first_conv='stem.in_conv.conv', classifier='head.classifier.4',
               license='apache-2.0')
    return {**cfg, **kwargs}


def _res(size: int, crop_pct: float = 1.0) -> Dict[str, Any]:
    return _cfg(input_size=(3, size, size), pool_size=(size // 32, size // 32), crop_pct=crop_pct)


default_cfgs = generate_default_cfgs({
    'efficientvit_b0.r224_in1k': _cfg(),
    'efficientvit_b1.r224_in1k': _cfg(),
    'efficientvit_b1.r256_in1k': _res(256),
    'efficientvit_b1.r288_in1k': _res(288),
    'efficientvit_b2.r224_in1k': _cfg(),
    'efficientvit_b2.r256_in1k': _res(256),
    'efficientvit_b2.r288_in1k': _res(288),
    'efficientvit_b3.r224_in1k': _cfg(),
    'efficientvit_b3.r256_in1k': _res(256),
    'efficientvit_b3.r288_in1k': _res(288),
    'efficientvit_l1.r224_in1k': _res(224),
    'efficientvit_l2.r224_in1k': _res(224),
    'efficientvit_l2.r256_in1k': _res(256),
    'efficientvit_l2.r288_in1k': _res(288),
    'efficientvit_l2.r384_in1k': _res(384),
    'efficientvit_l3.r224_in1k': _res(224),
    'efficientvit_l3.r256_in1k': _res(256),
    'efficientvit_l3.r320_in1k': _res(320),
    'efficientvit_l3.r384_in1k': _res(384),
})

# (widths: stem + 4 stages, depths, head_dim, head_widths) of each model
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    efficientvit_b0=dict(widths=(8, 16, 32, 64, 128), depths=(1, 2, 2, 2, 2), head_dim=16, head_widths=(1024, 1280)),
    efficientvit_b1=dict(widths=(16, 32, 64, 128, 256), depths=(1, 2, 3, 3, 4), head_dim=16,
                         head_widths=(1536, 1600)),
    efficientvit_b2=dict(widths=(24, 48, 96, 192, 384), depths=(1, 3, 4, 4, 6), head_dim=32,
                         head_widths=(2304, 2560)),
    efficientvit_b3=dict(widths=(32, 64, 128, 256, 512), depths=(1, 4, 6, 6, 9), head_dim=32,
                         head_widths=(2304, 2560)),
    efficientvit_l1=dict(widths=(32, 64, 128, 256, 512), depths=(1, 1, 1, 6, 6), head_dim=32,
                         head_widths=(3072, 3200)),
    efficientvit_l2=dict(widths=(32, 64, 128, 256, 512), depths=(1, 2, 2, 8, 8), head_dim=32,
                         head_widths=(3072, 3200)),
    efficientvit_l3=dict(widths=(64, 128, 256, 512, 1024), depths=(1, 2, 2, 8, 8), head_dim=32,
                         head_widths=(6144, 6400)),
)


def _efficientvit(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> EfficientVit:
    return _create_efficientvit(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def efficientvit_b0(pretrained: bool = False, **kwargs) -> EfficientVit:
    return _efficientvit('efficientvit_b0', pretrained, kwargs)


@register_model
def efficientvit_b1(pretrained: bool = False, **kwargs) -> EfficientVit:
    return _efficientvit('efficientvit_b1', pretrained, kwargs)


@register_model
def efficientvit_b2(pretrained: bool = False, **kwargs) -> EfficientVit:
    return _efficientvit('efficientvit_b2', pretrained, kwargs)


@register_model
def efficientvit_b3(pretrained: bool = False, **kwargs) -> EfficientVit:
    return _efficientvit('efficientvit_b3', pretrained, kwargs)


@register_model
def efficientvit_l1(pretrained: bool = False, **kwargs) -> EfficientVit:
    return _efficientvit('efficientvit_l1', pretrained, kwargs)


@register_model
def efficientvit_l2(pretrained: bool = False, **kwargs) -> EfficientVit:
    return _efficientvit('efficientvit_l2', pretrained, kwargs)


@register_model
def efficientvit_l3(pretrained: bool = False, **kwargs) -> EfficientVit:
    return _efficientvit('efficientvit_l3', pretrained, kwargs)
