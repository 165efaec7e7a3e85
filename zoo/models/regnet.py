"""RegNet-X, RegNet-Y, RegNet-V (pre-activation) and the RegNet-Z definitions with published weights.

Papers:
- RegNet: "Designing Network Design Spaces", Radosavovic et al., 2020 (arXiv:2003.13678). A network is described
  by a handful of numbers: the per-block widths grow linearly (w_j = w0 + wa * j) and are then quantized to powers
  of wm, blocks of equal width form a stage, and every 3x3 conv has groups of `group_size` channels.
- RegNet-Z: "Fast and Accurate Model Scaling", Dollar et al., 2021 (arXiv:2103.06877): inverted bottlenecks
  (bottle_ratio 4), no shortcut projection, linear block outputs, SiLU.
- Weights from "Self-supervised Pretraining of Visual Features in the Wild" (SEER, arXiv:2103.01988) and
  "Revisiting Weakly Supervised Pre-Training of Visual Perception Models" (SWAG, arXiv:2201.08371).

Deviations from the papers, all matching the published timm weights: RegNet-Y puts SE after the 3x3 conv with a
reduction relative to the block *input* width (as pycls does); the "_tv" variants round bottleneck widths the way
torchvision does (`group_min_ratio`); "regnetv" is a pre-activation RegNet-Y; "regnety_040_sgn" swaps BatchNorm for
GroupNorm (16 channels per group) with SiLU. Module names (`stem`, `s1..s4`, `b1..bN`, `conv1..3`, `downsample`,
`head.fc`) follow timm so its checkpoints load unchanged.
"""
import math
import re
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import (
    ClassifierHead,
    DropPath,
    GroupNormAct,
    LayerType,
    SEModule,
    create_conv2d,
    get_act_layer,
    make_divisible,
)
from zoo.layers.conv_bn_act import ConvNormAct, get_norm_act_layer
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.weight_init import he_group_fan_out_, init_by_type_, normal_std_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['RegNet', 'RegNetCfg']


class GroupNormAct16(GroupNormAct):
    """GroupNorm + activation with a fixed 16 channels per group (the group count follows the width)."""

    def __init__(self, num_channels: int, **kwargs):
        super().__init__(num_channels, num_groups=num_channels // 16, **kwargs)


@dataclass(frozen=True)
class RegNetCfg:
    """The RegNet design-space parameters of one model (paper section 3.3) plus timm's extensions.

    Attributes:
        depth: total number of blocks (d).
        w0: initial width.
        wa: width slope.
        wm: width multiplier between quantized stages.
        group_size: channels per group of the 3x3 conv.
        bottle_ratio: bottleneck width / block width (4 gives RegNet-Z's inverted bottleneck).
        se_ratio: SE reduction relative to the block input width; 0 disables SE (RegNet-X).
        group_min_ratio: torchvision's rounding of bottleneck widths to the group size (0 for pycls rounding).
        stem_width: output channels of the stride-2 stem conv.
        downsample: shortcut projection, 'conv1x1', 'avg' (pool then 1x1), or None for no shortcut where the shape
            changes (RegNet-Z).
        linear_out: no activation after the residual sum (RegNet-Z).
        preact: pre-activation blocks (RegNet-V).
        num_features: width of a final 1x1 ConvNormAct before the head; 0 for none.
        act_layer: activation.
        norm_layer: normalisation, plain or fused with the activation.
    """
    depth: int = 21
    w0: int = 80
    wa: float = 42.63
    wm: float = 2.66
    group_size: int = 24
    bottle_ratio: float = 1.
    se_ratio: float = 0.
    group_min_ratio: float = 0.
    stem_width: int = 32
    downsample: Optional[str] = 'conv1x1'
    linear_out: bool = False
    preact: bool = False
    num_features: int = 0
    act_layer: LayerType = 'relu'
    norm_layer: LayerType = 'batchnorm'


def _x(**kwargs) -> RegNetCfg:
    return RegNetCfg(**kwargs)


def _y(**kwargs) -> RegNetCfg:
    return RegNetCfg(se_ratio=0.25, **kwargs)


def _z(**kwargs) -> RegNetCfg:
    return RegNetCfg(bottle_ratio=4.0, se_ratio=0.25, downsample=None, linear_out=True, act_layer='silu', **kwargs)


# The design-space parameters of every variant; the three trailing digits of a name are its GFLOPs x 10.
MODEL_CFGS: Dict[str, RegNetCfg] = dict(
    regnetx_002=_x(w0=24, wa=36.44, wm=2.49, group_size=8, depth=13),
    regnetx_004=_x(w0=24, wa=24.48, wm=2.54, group_size=16, depth=22),
    regnetx_004_tv=_x(w0=24, wa=24.48, wm=2.54, group_size=16, depth=22, group_min_ratio=0.9),
    regnetx_006=_x(w0=48, wa=36.97, wm=2.24, group_size=24, depth=16),
    regnetx_008=_x(w0=56, wa=35.73, wm=2.28, group_size=16, depth=16),
    regnetx_016=_x(w0=80, wa=34.01, wm=2.25, group_size=24, depth=18),
    regnetx_032=_x(w0=88, wa=26.31, wm=2.25, group_size=48, depth=25),
    regnetx_040=_x(w0=96, wa=38.65, wm=2.43, group_size=40, depth=23),
    regnetx_064=_x(w0=184, wa=60.83, wm=2.07, group_size=56, depth=17),
    regnetx_080=_x(w0=80, wa=49.56, wm=2.88, group_size=120, depth=23),
    regnetx_120=_x(w0=168, wa=73.36, wm=2.37, group_size=112, depth=19),
    regnetx_160=_x(w0=216, wa=55.59, wm=2.1, group_size=128, depth=22),
    regnetx_320=_x(w0=320, wa=69.86, wm=2.0, group_size=168, depth=23),
    regnety_002=_y(w0=24, wa=36.44, wm=2.49, group_size=8, depth=13),
    regnety_004=_y(w0=48, wa=27.89, wm=2.09, group_size=8, depth=16),
    regnety_006=_y(w0=48, wa=32.54, wm=2.32, group_size=16, depth=15),
    regnety_008=_y(w0=56, wa=38.84, wm=2.4, group_size=16, depth=14),
    regnety_008_tv=_y(w0=56, wa=38.84, wm=2.4, group_size=16, depth=14, group_min_ratio=0.9),
    regnety_016=_y(w0=48, wa=20.71, wm=2.65, group_size=24, depth=27),
    regnety_032=_y(w0=80, wa=42.63, wm=2.66, group_size=24, depth=21),
    regnety_040=_y(w0=96, wa=31.41, wm=2.24, group_size=64, depth=22),
    regnety_064=_y(w0=112, wa=33.22, wm=2.27, group_size=72, depth=25),
    regnety_080=_y(w0=192, wa=76.82, wm=2.19, group_size=56, depth=17),
    regnety_080_tv=_y(w0=192, wa=76.82, wm=2.19, group_size=56, depth=17, group_min_ratio=0.9),
    regnety_120=_y(w0=168, wa=73.36, wm=2.37, group_size=112, depth=19),
    regnety_160=_y(w0=200, wa=106.23, wm=2.48, group_size=112, depth=18),
    regnety_320=_y(w0=232, wa=115.89, wm=2.53, group_size=232, depth=20),
    regnety_640=_y(w0=352, wa=147.48, wm=2.4, group_size=328, depth=20),
    regnety_1280=_y(w0=456, wa=160.83, wm=2.52, group_size=264, depth=27),
    regnety_2560=_y(w0=640, wa=230.83, wm=2.53, group_size=373, depth=27),
    regnety_040_sgn=_y(w0=96, wa=31.41, wm=2.24, group_size=64, depth=22, act_layer='silu', norm_layer=GroupNormAct16),
    regnetv_040=_y(w0=96, wa=31.41, wm=2.24, group_size=64, depth=22, preact=True, act_layer='silu'),
    regnetv_064=_y(w0=112, wa=33.22, wm=2.27, group_size=72, depth=25, preact=True, act_layer='silu',
                   downsample='avg'),
    regnetz_005=_z(w0=16, wa=10.7, wm=2.51, group_size=4, depth=21, num_features=1024),
    regnetz_040=_z(w0=48, wa=14.5, wm=2.226, group_size=8, depth=28, num_features=0),
    regnetz_040_h=_z(w0=48, wa=14.5, wm=2.226, group_size=8, depth=28, num_features=1536),
)


@dataclass(frozen=True)
class StageSpec:
    """One stage as built: output width, depth, stride, dilation, bottleneck ratio and group size."""
    out_chs: int
    depth: int
    stride: int
    dilation: int
    bottle_ratio: float
    group_size: int


def block_widths(cfg: RegNetCfg, quant: int = 8) -> List[int]:
    """Per-block widths of the paper's linear-then-quantized parameterisation (eqs. 2-4).

    Computed in float32 like the reference implementations: the rounding of a few large models depends on it.
    """
    if not (cfg.wa >= 0 and cfg.w0 > 0 and cfg.wm > 1 and cfg.w0 % quant == 0):
        raise ValueError(f'Invalid RegNet parameters w0={cfg.w0}, wa={cfg.wa}, wm={cfg.wm}.')
    # explicit cpu: the model may be built under a meta-device context, but these are plain numbers
    widths_cont = torch.arange(cfg.depth, dtype=torch.float32, device='cpu') * cfg.wa + cfg.w0
    exps = torch.round(torch.log(widths_cont / cfg.w0) / math.log(cfg.wm))
    widths = torch.round(cfg.w0 * torch.pow(cfg.wm, exps) / quant) * quant
    return widths.int().tolist()


def stage_specs(cfg: RegNetCfg, output_stride: int = 32) -> List[StageSpec]:
    """Group equal block widths into stages, make widths compatible with the group size, and place dilation."""
    widths = block_widths(cfg)
    stage_widths = sorted(set(widths))
    stage_depths = [widths.count(w) for w in stage_widths]
    specs = []
    net_stride, dilation = 2, 1
    for width, depth in zip(stage_widths, stage_depths):
        if net_stride >= output_stride:
            dilation *= 2
            stride = 1
        else:
            stride = 2
            net_stride *= 2
        bottleneck = int(width * cfg.bottle_ratio)
        group_size = min(cfg.group_size, bottleneck)
        if cfg.group_min_ratio:
            # torchvision's rounding (never below group_min_ratio of the unrounded width)
            bottleneck = make_divisible(bottleneck, group_size, cfg.group_min_ratio)
        else:
            bottleneck = int(round(bottleneck / group_size) * group_size)
        specs.append(StageSpec(int(bottleneck / cfg.bottle_ratio), depth, stride, dilation, cfg.bottle_ratio,
                               group_size))
    return specs


class _SamePadAvgPool2x2(nn.Module):
    """2x2 stride-1 average with the extra row / column padded at the end (zeros counted).

    This is what a stride-2 average-pool shortcut becomes inside a dilated stage; the padding keeps the map size.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(F.pad(x, (0, 1, 0, 1)), 2, 1)


def create_shortcut(
        downsample: Optional[str],
        in_chs: int,
        out_chs: int,
        stride: int,
        dilation: Tuple[int, int],
        norm_layer: LayerType,
        preact: bool = False,
) -> Optional[nn.Module]:
    """Shortcut of a block: identity when shapes match, else a projection (or None, meaning no residual)."""
    if in_chs == out_chs and stride == 1 and dilation[0] == dilation[1]:
        return nn.Identity()
    if not downsample:
        return None
    if downsample not in ('conv1x1', 'avg'):
        raise ValueError(f"Unknown RegNet downsample {downsample!r}; use 'conv1x1', 'avg' or None.")

    def proj(conv_stride: int) -> nn.Module:
        if preact:
            return create_conv2d(in_chs, out_chs, 1, stride=conv_stride)
        return ConvNormAct(in_chs, out_chs, 1, stride=conv_stride, norm_layer=norm_layer, apply_act=False)

    if downsample == 'conv1x1':
        return proj(stride)
    if dilation[0] > 1:
        pool = _SamePadAvgPool2x2() if stride == 1 else nn.AvgPool2d(2, 1, ceil_mode=True, count_include_pad=False)
    elif stride > 1:
        pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
    else:
        pool = nn.Identity()
    return nn.Sequential(pool, proj(1))


class Bottleneck(nn.Module):
    """RegNet block: 1x1 -> grouped 3x3 (strided) -> SE -> 1x1, plus shortcut.

    Unlike ResNet's bottleneck, SE sits after the 3x3 conv and its width is a fraction of the block input.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: stride of the 3x3 conv and the shortcut.
        dilation: (first, rest) dilation; the 3x3 conv uses the first.
        bottle_ratio: bottleneck width / out_chs.
        group_size: channels per group of the 3x3 conv.
        se_ratio: SE width relative to in_chs; 0 disables SE.
        downsample: shortcut projection type.
        linear_out: skip the activation after the residual sum.
        act_layer: activation.
        norm_layer: normalisation.
        drop_block: constructor of a DropBlock-like layer after the 3x3 conv's norm.
        drop_path_rate: stochastic depth rate.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            bottle_ratio: float = 1.,
            group_size: int = 1,
            se_ratio: float = 0.25,
            downsample: Optional[str] = 'conv1x1',
            linear_out: bool = False,
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
            drop_block: Optional[Type[nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        act_layer = get_act_layer(act_layer)
        mid_chs = int(round(out_chs * bottle_ratio))
        groups = mid_chs // group_size
        layer_kw = dict(act_layer=act_layer, norm_layer=norm_layer)
        self.conv1 = ConvNormAct(in_chs, mid_chs, 1, **layer_kw)
        self.conv2 = ConvNormAct(mid_chs, mid_chs, 3, stride=stride, dilation=dilation[0], groups=groups,
                                 drop_layer=drop_block, **layer_kw)
        self.se = (SEModule(mid_chs, rd_channels=int(round(in_chs * se_ratio)), act_layer=act_layer)
                   if se_ratio else nn.Identity())
        self.conv3 = ConvNormAct(mid_chs, out_chs, 1, apply_act=False, **layer_kw)
        self.act3 = nn.Identity() if linear_out else act_layer()
        # keeps the name `downsample` for checkpoint compatibility; None means "no residual at all"
        self.downsample = create_shortcut(downsample, in_chs, out_chs, stride, dilation, norm_layer)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.conv3.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv3(self.se(self.conv2(self.conv1(x))))
        if self.downsample is not None:
            x = self.drop_path(x) + self.downsample(shortcut)
        return self.act3(x)


class PreBottleneck(nn.Module):
    """Pre-activation RegNet block (norm + act before each conv; the shortcut taps the first normed input).

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: stride of the 3x3 conv and the shortcut.
        dilation: (first, rest) dilation; the 3x3 conv uses the first.
        bottle_ratio: bottleneck width / out_chs.
        group_size: channels per group of the 3x3 conv.
        se_ratio: SE width relative to in_chs; 0 disables SE.
        downsample: shortcut projection type.
        linear_out: unused (pre-activation blocks always end linear); accepted for a uniform signature.
        act_layer: activation.
        norm_layer: normalisation.
        drop_block: unused; accepted for a uniform signature.
        drop_path_rate: stochastic depth rate.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            bottle_ratio: float = 1.,
            group_size: int = 1,
            se_ratio: float = 0.25,
            downsample: Optional[str] = 'conv1x1',
            linear_out: bool = False,
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
            drop_block: Optional[Type[nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        act_layer = get_act_layer(act_layer)
        norm_act = get_norm_act_layer(norm_layer, act_layer)
        mid_chs = int(round(out_chs * bottle_ratio))
        groups = mid_chs // group_size
        self.norm1 = norm_act(in_chs)
        self.conv1 = create_conv2d(in_chs, mid_chs, 1)
        self.norm2 = norm_act(mid_chs)
        self.conv2 = create_conv2d(mid_chs, mid_chs, 3, stride=stride, dilation=dilation[0], groups=groups)
        self.se = (SEModule(mid_chs, rd_channels=int(round(in_chs * se_ratio)), act_layer=act_layer)
                   if se_ratio else nn.Identity())
        self.norm3 = norm_act(mid_chs)
        self.conv3 = create_conv2d(mid_chs, out_chs, 1)
        self.downsample = create_shortcut(downsample, in_chs, out_chs, stride, dilation, norm_layer, preact=True)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def zero_init_last(self) -> None:
        pass  # the last op is a conv without a norm to zero

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x)
        shortcut = x
        x = self.conv2(self.norm2(self.conv1(x)))
        x = self.conv3(self.norm3(self.se(x)))
        if self.downsample is not None:
            x = self.drop_path(x) + self.downsample(shortcut)
        return x


class RegStage(CheckpointSequential):
    """A stage of equal-width blocks named `b1..bN`; only the first strides (or enters the dilated regime)."""

    def __init__(
            self,
            in_chs: int,
            spec: StageSpec,
            block_fn: Type[nn.Module],
            drop_path_rates: Sequence[float],
            **block_kwargs,
    ):
        super().__init__()
        # the first block of a dilated stage keeps the previous stage's dilation so its receptive field is unbroken
        first_dilation = 1 if spec.dilation in (1, 2) else 2
        for i in range(spec.depth):
            self.add_module(f'b{i + 1}', block_fn(
                in_chs if i == 0 else spec.out_chs,
                spec.out_chs,
                stride=spec.stride if i == 0 else 1,
                dilation=(first_dilation, spec.dilation),
                bottle_ratio=spec.bottle_ratio,
                group_size=spec.group_size,
                drop_path_rate=drop_path_rates[i],
                **block_kwargs,
            ))
            first_dilation = spec.dilation


def make_stages(
        cfg: RegNetCfg,
        in_chs: int,
        output_stride: int = 32,
        drop_path_rate: float = 0.,
) -> Tuple[List[Tuple[str, nn.Module]], List[Dict[str, Any]]]:
    """Build `s1..s4` and their feature_info (the stem, at stride 2, is level 0 and not included)."""
    specs = stage_specs(cfg, output_stride)
    if len(specs) != 4:
        raise ValueError(f'RegNet parameters give {len(specs)} stages; the model expects 4.')
    dprs = stagewise_drop_path_rates(drop_path_rate, [s.depth for s in specs])
    block_fn = PreBottleneck if cfg.preact else Bottleneck
    block_kwargs = dict(se_ratio=cfg.se_ratio, downsample=cfg.downsample, linear_out=cfg.linear_out,
                        act_layer=cfg.act_layer, norm_layer=cfg.norm_layer)
    stages, feature_info = [], []
    net_stride = 2
    for i, (spec, dpr) in enumerate(zip(specs, dprs)):
        name = f's{i + 1}'
        stages.append((name, RegStage(in_chs, spec, block_fn, dpr, **block_kwargs)))
        in_chs = spec.out_chs
        net_stride *= spec.stride
        feature_info.append(dict(num_chs=in_chs, reduction=net_stride, module=name))
    return stages, feature_info


class RegNet(ZooModel):
    """RegNet-X / Y / V / Z: a stride-2 3x3 stem, four RegStages, an optional final 1x1 conv and a linear head.

    Args:
        cfg: design-space parameters (see `RegNetCfg`).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        output_stride: 32, 16 or 8; later stages dilate instead of striding past it.
        global_pool: pooling type of the head ('' keeps the feature map, with num_classes=0).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block (rising linearly from 0).
        zero_init_last: start residual branches at zero.
        **kwargs: fields of `cfg` to override (e.g. act_layer='silu').
    """

    groups = dict(stem=r'^stem', blocks=r'^s(\d+)\.b(\d+)', coarse=r'^s(\d+)')

    def __init__(
            self,
            cfg: RegNetCfg,
            in_chans: int = 3,
            num_classes: int = 1000,
            output_stride: int = 32,
            global_pool: str = 'avg',
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            zero_init_last: bool = True,
            **kwargs,
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        unknown = set(kwargs) - set(RegNetCfg.__dataclass_fields__)
        if unknown:
            raise TypeError(f'RegNet got unexpected keyword argument(s) {sorted(unknown)}.')
        cfg = replace(cfg, **kwargs)
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        layer_kw = dict(act_layer=cfg.act_layer, norm_layer=cfg.norm_layer)

        if cfg.preact:
            self.stem = create_conv2d(in_chans, cfg.stem_width, 3, stride=2)
        else:
            self.stem = ConvNormAct(in_chans, cfg.stem_width, 3, stride=2, **layer_kw)
        self.feature_info = [dict(num_chs=cfg.stem_width, reduction=2, module='stem')]

        stages, stage_info = make_stages(cfg, cfg.stem_width, output_stride, drop_path_rate)
        for name, stage in stages:
            self.add_module(name, stage)
        self.feature_info += stage_info
        # level 0 is the stem; the final 1x1 conv (or activation) is not a level and goes with the head
        self.trunk = Trunk(levels=(('stem',),) + tuple((name,) for name, _ in stages), final=('final_conv',),
                           final_is_norm=False)
        prev_chs = stage_info[-1]['num_chs']

        if cfg.num_features:
            self.final_conv = ConvNormAct(prev_chs, cfg.num_features, 1, **layer_kw)
            self.num_features = cfg.num_features
        else:
            # pre-activation and linear-output nets end un-activated; the head needs the activation
            final_act = cfg.linear_out or cfg.preact
            self.final_conv = get_act_layer(cfg.act_layer)() if final_act else nn.Identity()
            self.num_features = prev_chs
        self.head_hidden_size = self.num_features
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        # pycls: He-normal convs over the group fan-out, N(0, 0.01) classifier
        init_by_type_(self, [(nn.Conv2d, he_group_fan_out_), (nn.Linear, normal_std_(0.01))],
                      zero_init_last=zero_init_last)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = self.s4(self.s3(self.s2(self.s1(x))))
        return self.final_conv(x)


# pycls / torchvision / classy-vision block internals -> this module's names (order matters: longer first)
_BLOCK_RENAMES = (
    ('f.a.0', 'conv1.conv'), ('f.a.1', 'conv1.bn'), ('f.b.0', 'conv2.conv'), ('f.b.1', 'conv2.bn'),
    ('f.final_bn', 'conv3.bn'), ('f.se.excitation.0', 'se.fc1'), ('f.se.excitation.2', 'se.fc2'), ('f.se', 'se'),
    ('f.c.0', 'conv3.conv'), ('f.c.1', 'conv3.bn'), ('f.c', 'conv3.conv'),
    ('proj.0', 'downsample.conv'), ('proj.1', 'downsample.bn'), ('proj', 'downsample.conv'),
)


def _rename_block_key(key: str) -> str:
    for old, new in _BLOCK_RENAMES:
        key = key.replace(old, new)
    return key


def checkpoint_filter_fn(state_dict: Dict[str, Any], model: nn.Module) -> Dict[str, Any]:
    """Accept torchvision and classy-vision (SEER) RegNet checkpoints besides timm's own layout."""
    state_dict = state_dict.get('model', state_dict)
    if 'classy_state_dict' in state_dict:
        state_dict = state_dict['classy_state_dict']['base_model']['model']
        out = {}
        for key, value in state_dict['trunk'].items():
            key = key.replace('_feature_blocks.conv1.stem.0', 'stem.conv')
            key = key.replace('_feature_blocks.conv1.stem.1', 'stem.bn')
            key = re.sub(r'^_feature_blocks.res\d.block(\d)-(\d+)',
                         lambda m: f's{int(m.group(1))}.b{int(m.group(2)) + 1}', key)
            key = re.sub(r's(\d)\.b(\d+)\.bn', r's\1.b\2.downsample.bn', key)
            out[_rename_block_key(key)] = value
        for key, value in state_dict['heads'].items():
            if 'projection_head' in key or 'prototypes' in key:
                continue  # self-supervised heads have no counterpart here
            out[key.replace('0.clf.0', 'head.fc')] = value
        return out
    if 'stem.0.weight' in state_dict:
        out = {}
        for key, value in state_dict.items():
            key = key.replace('stem.0', 'stem.conv').replace('stem.1', 'stem.bn')
            key = re.sub(r'trunk_output.block(\d)\.block(\d+)\-(\d+)',
                         lambda m: f's{int(m.group(1))}.b{int(m.group(3)) + 1}', key)
            key = _rename_block_key(key)
            out[key.replace('fc.', 'head.fc.')] = value
        return out
    return state_dict


def _create_regnet(variant: str, pretrained: bool = False, **kwargs) -> RegNet:
    return build_model_with_cfg(RegNet, variant, pretrained, model_cfg=MODEL_CFGS[variant],
                                pretrained_filter_fn=checkpoint_filter_fn, **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=(7, 7), test_input_size=(3, 288, 288),
               crop_pct=0.95, test_crop_pct=1.0, interpolation='bicubic', first_conv='stem.conv',
               classifier='head.fc', license='apache-2.0', paper_ids='arXiv:2003.13678')
    cfg.update(kwargs)
    return cfg


# preprocessing of the weights ported from pycls (Facebook) and torchvision's second recipe
_PYCLS = dict(test_input_size=None, crop_pct=0.875, test_crop_pct=None, license='mit',
              origin_url='https://github.com/facebookresearch/pycls')
_TV2 = dict(test_input_size=None, crop_pct=0.965, test_crop_pct=None, license='bsd-3-clause',
            origin_url='https://github.com/pytorch/vision')
# SWAG (weakly supervised IG-3.6B) and SEER (self-supervised IG-1B) weights, fine-tuned at 384 or linear-classified
_SWAG_FT = dict(input_size=(3, 384, 384), test_input_size=None, crop_pct=1.0, test_crop_pct=None, pool_size=(12, 12),
                license='cc-by-nc-4.0', paper_ids='arXiv:2201.08371')
_SWAG_LC = dict(test_input_size=None, crop_pct=0.965, test_crop_pct=None, license='cc-by-nc-4.0',
                paper_ids='arXiv:2201.08371')
_SEER_FT = dict(_SWAG_FT, license='seer-license', paper_ids='arXiv:2103.01988')
_SEER = dict(_SWAG_LC, license='seer-license', num_classes=0, paper_ids='arXiv:2103.01988')
_Z256 = dict(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=1.0, pool_size=(8, 8),
             paper_ids='arXiv:2103.06877')

# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag> (first tag = default).
default_cfgs = generate_default_cfgs({
    'regnetv_040.ra3_in1k': _cfg(first_conv='stem'),
    'regnetv_064.ra3_in1k': _cfg(first_conv='stem'),
    'regnetx_002.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_004.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_004_tv.tv2_in1k': _cfg(**_TV2),
    'regnetx_006.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_008.tv2_in1k': _cfg(**_TV2),
    'regnetx_008.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_016.tv2_in1k': _cfg(**_TV2),
    'regnetx_016.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_032.tv2_in1k': _cfg(**_TV2),
    'regnetx_032.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_040.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_064.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_080.tv2_in1k': _cfg(**_TV2),
    'regnetx_080.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_120.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_160.tv2_in1k': _cfg(**_TV2),
    'regnetx_160.pycls_in1k': _cfg(**_PYCLS),
    'regnetx_320.tv2_in1k': _cfg(**_TV2),
    'regnetx_320.pycls_in1k': _cfg(**_PYCLS),
    'regnety_002.pycls_in1k': _cfg(**_PYCLS),
    'regnety_004.tv2_in1k': _cfg(**_TV2),
    'regnety_004.pycls_in1k': _cfg(**_PYCLS),
    'regnety_006.pycls_in1k': _cfg(**_PYCLS),
    'regnety_008.pycls_in1k': _cfg(**_PYCLS),
    'regnety_008_tv.tv2_in1k': _cfg(**_TV2),
    'regnety_016.tv2_in1k': _cfg(**_TV2),
    'regnety_016.pycls_in1k': _cfg(**_PYCLS),
    'regnety_032.ra_in1k': _cfg(),
    'regnety_032.tv2_in1k': _cfg(**_TV2),
    'regnety_032.pycls_in1k': _cfg(**_PYCLS),
    'regnety_040.ra3_in1k': _cfg(),
    'regnety_040.pycls_in1k': _cfg(**_PYCLS),
    'regnety_040_sgn.untrained': _cfg(hf_hub_id=None),
    'regnety_064.ra3_in1k': _cfg(),
    'regnety_064.pycls_in1k': _cfg(**_PYCLS),
    'regnety_080.ra3_in1k': _cfg(),
    'regnety_080.pycls_in1k': _cfg(**_PYCLS),
    'regnety_080_tv.tv2_in1k': _cfg(**_TV2),
    'regnety_120.sw_in12k_ft_in1k': _cfg(),
    'regnety_120.sw_in12k': _cfg(num_classes=11821),
    'regnety_120.pycls_in1k': _cfg(**_PYCLS),
    'regnety_160.sw_in12k_ft_in1k': _cfg(),
    'regnety_160.lion_in12k_ft_in1k': _cfg(),
    'regnety_160.sw_in12k': _cfg(num_classes=11821),
    'regnety_160.deit_in1k': _cfg(),
    'regnety_160.tv2_in1k': _cfg(**_TV2),
    'regnety_160.swag_ft_in1k': _cfg(**_SWAG_FT),
    'regnety_160.swag_lc_in1k': _cfg(**_SWAG_LC),
    'regnety_160.pycls_in1k': _cfg(**_PYCLS),
    'regnety_320.tv2_in1k': _cfg(**_TV2),
    'regnety_320.swag_ft_in1k': _cfg(**_SWAG_FT),
    'regnety_320.swag_lc_in1k': _cfg(**_SWAG_LC),
    'regnety_320.seer_ft_in1k': _cfg(**_SEER_FT),
    'regnety_320.seer': _cfg(**_SEER),
    'regnety_320.pycls_in1k': _cfg(**_PYCLS),
    'regnety_640.seer_ft_in1k': _cfg(**_SEER_FT),
    'regnety_640.seer': _cfg(**_SEER),
    'regnety_1280.swag_ft_in1k': _cfg(**_SWAG_FT),
    'regnety_1280.swag_lc_in1k': _cfg(**_SWAG_LC),
    'regnety_1280.seer_ft_in1k': _cfg(**_SEER_FT),
    'regnety_1280.seer': _cfg(**_SEER),
    'regnety_2560.seer_ft_in1k': _cfg(**_SEER_FT),
    'regnetz_005.untrained': _cfg(hf_hub_id=None),
    'regnetz_040.ra3_in1k': _cfg(**_Z256),
    'regnetz_040_h.ra3_in1k': _cfg(**_Z256),
})


@register_model
def regnetx_002(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_002', pretrained, **kwargs)


@register_model
def regnetx_004(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_004', pretrained, **kwargs)


@register_model
def regnetx_004_tv(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_004_tv', pretrained, **kwargs)


@register_model
def regnetx_006(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_006', pretrained, **kwargs)


@register_model
def regnetx_008(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_008', pretrained, **kwargs)


@register_model
def regnetx_016(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_016', pretrained, **kwargs)


@register_model
def regnetx_032(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_032', pretrained, **kwargs)


@register_model
def regnetx_040(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_040', pretrained, **kwargs)


@register_model
def regnetx_064(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_064', pretrained, **kwargs)


@register_model
def regnetx_080(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_080', pretrained, **kwargs)


@register_model
def regnetx_120(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_120', pretrained, **kwargs)


@register_model
def regnetx_160(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_160', pretrained, **kwargs)


@register_model
def regnetx_320(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetx_320', pretrained, **kwargs)


@register_model
def regnety_002(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_002', pretrained, **kwargs)


@register_model
def regnety_004(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_004', pretrained, **kwargs)


@register_model
def regnety_006(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_006', pretrained, **kwargs)


@register_model
def regnety_008(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_008', pretrained, **kwargs)


@register_model
def regnety_008_tv(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_008_tv', pretrained, **kwargs)


@register_model
def regnety_016(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_016', pretrained, **kwargs)


@register_model
def regnety_032(pretrained: bool = False, **kwargs) -> RegNet:
    """RegNetY-3.2GF; feature channels 32 (stem), 72, 216, 576, 1512."""
    return _create_regnet('regnety_032', pretrained, **kwargs)


@register_model
def regnety_040(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_040', pretrained, **kwargs)


@register_model
def regnety_064(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_064', pretrained, **kwargs)


@register_model
def regnety_080(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_080', pretrained, **kwargs)


@register_model
def regnety_080_tv(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_080_tv', pretrained, **kwargs)


@register_model
def regnety_120(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_120', pretrained, **kwargs)


@register_model
def regnety_160(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_160', pretrained, **kwargs)


@register_model
def regnety_320(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_320', pretrained, **kwargs)


@register_model
def regnety_640(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_640', pretrained, **kwargs)


@register_model
def regnety_1280(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_1280', pretrained, **kwargs)


@register_model
def regnety_2560(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_2560', pretrained, **kwargs)


@register_model
def regnety_040_sgn(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnety_040_sgn', pretrained, **kwargs)


@register_model
def regnetv_040(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetv_040', pretrained, **kwargs)


@register_model
def regnetv_064(pretrained: bool = False, **kwargs) -> RegNet:
    return _create_regnet('regnetv_064', pretrained, **kwargs)


@register_model
def regnetz_005(pretrained: bool = False, **kwargs) -> RegNet:
    # some blocks have no residual, so a zero-initialised last norm would silence them
    return _create_regnet('regnetz_005', pretrained, **dict(dict(zero_init_last=False), **kwargs))


@register_model
def regnetz_040(pretrained: bool = False, **kwargs) -> RegNet:
    # some blocks have no residual, so a zero-initialised last norm would silence them
    return _create_regnet('regnetz_040', pretrained, **dict(dict(zero_init_last=False), **kwargs))


@register_model
def regnetz_040_h(pretrained: bool = False, **kwargs) -> RegNet:
    # some blocks have no residual, so a zero-initialised last norm would silence them
    return _create_regnet('regnetz_040_h', pretrained, **dict(dict(zero_init_last=False), **kwargs))

