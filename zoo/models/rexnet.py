"""ReXNet: MobileNetV2-style inverted bottlenecks with linearly growing channels.

"Rethinking Channel Dimensions for Efficient Model Design", Han et al., 2021 (arXiv:2007.00992). The paper's point
is the representational bottleneck: the output widths of the 16 bottlenecks grow linearly (by `final_chs / 16` per
block, from `initial_chs`) instead of in stage-wise steps, the expansion layers use SiLU, and a ReLU6 follows the
depthwise conv (after the SE gate). A residual adds the input to the *first* `in_chs` output channels only, since a
block is never narrower than its input.

`rexnetr_*` round every width to a multiple of 8 (16 for the 3.0 variant) so the convs map well to hardware; the
weights of both kinds are timm's (`clovaai/rexnet` originals and timm's ImageNet-12k trainings).
"""
import math
from typing import Any, Dict, List, Tuple

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType, create_act_layer
from zoo.layers.classifier import ClassifierHead
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.drop import DropPath
from zoo.layers.helpers import make_divisible
from zoo.layers.squeeze_excite import SEModule
from zoo.models._base import Trunk, ZooModel, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._efficientnet_builder import init_weights_goog
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['RexNet', 'LinearBottleneck']

# (blocks, stride of the first block) per stage of the width-1.0 / depth-1.0 network
_STAGES = ((1, 1), (2, 2), (2, 2), (3, 2), (3, 1), (5, 2))


class LinearBottleneck(nn.Module):
    """1x1 expansion (skipped at ratio 1) -> 3x3 depthwise -> SE -> ReLU6 -> linear 1x1 projection.

    Args:
        in_chs: input channels.
        out_chs: output channels (>= `in_chs` for the partial residual to apply).
        stride: depthwise stride.
        dilation: (dilation of this block's depthwise conv, dilation after it); unequal values mark the block that
            trades its stride for dilation, which takes no residual.
        exp_ratio: expansion ratio of the 1x1 conv.
        se_ratio: SE bottleneck width relative to the expanded width (0 disables SE).
        ch_div: channel rounding divisor.
        act_layer: activation of the expansion conv.
        dw_act_layer: activation after the depthwise conv and SE.
        drop_path: stochastic depth rate of the residual branch.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int,
            dilation: Tuple[int, int] = (1, 1),
            exp_ratio: float = 1.0,
            se_ratio: float = 0.,
            ch_div: int = 1,
            act_layer: LayerType = 'swish',
            dw_act_layer: LayerType = 'relu6',
            drop_path: float = 0.,
    ):
        super().__init__()
        self.in_channels, self.out_channels = in_chs, out_chs
        self.use_shortcut = stride == 1 and dilation[0] == dilation[1] and in_chs <= out_chs
        mid_chs = in_chs
        self.conv_exp = None
        if exp_ratio != 1.:
            mid_chs = make_divisible(round(in_chs * exp_ratio), divisor=ch_div)
            self.conv_exp = ConvNormAct(in_chs, mid_chs, act_layer=act_layer)
        self.conv_dw = ConvNormAct(mid_chs, mid_chs, 3, stride=stride, dilation=dilation[0], groups=mid_chs,
                                   apply_act=False)
        self.se = None
        if se_ratio > 0:
            self.se = SEModule(mid_chs, rd_channels=make_divisible(int(mid_chs * se_ratio), ch_div),
                               norm_layer=nn.BatchNorm2d)
        self.act_dw = create_act_layer(dw_act_layer)
        self.conv_pwl = ConvNormAct(mid_chs, out_chs, 1, apply_act=False)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.conv_exp is None else self.conv_exp(x)
        out = self.conv_dw(out)
        if self.se is not None:
            out = self.se(out)
        out = self.conv_pwl(self.act_dw(out))
        if not self.use_shortcut:
            return out
        if self.drop_path is not None:
            out = self.drop_path(out)
        n = self.in_channels
        return torch.cat([out[:, :n] + x, out[:, n:]], dim=1)


def block_specs(
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        initial_chs: int = 16,
        final_chs: int = 180,
        se_ratio: float = 0.,
        ch_div: int = 1,
) -> List[Tuple[int, float, int, float]]:
    """(out_chs, exp_ratio, stride, se_ratio) of every bottleneck: widths ramp linearly by `final_chs / num_blocks`.

    Below width 1.0 the ramp starts from `initial_chs / width_mult`, so the first width stays `initial_chs` (the
    reference implementation's convention, which the published weights follow).
    """
    depths = [math.ceil(n * depth_mult) for n, _ in _STAGES]
    num_blocks = sum(depths)
    width = initial_chs / width_mult if width_mult < 1.0 else initial_chs
    specs = []
    for stage_idx, ((_, stride), depth) in enumerate(zip(_STAGES, depths)):
        for i in range(depth):
            out_chs = make_divisible(round(width * width_mult), divisor=ch_div)
            # the first stage is a plain depthwise-separable conv; SE from the third stage on
            specs.append((out_chs, 1. if stage_idx == 0 else 6., stride if i == 0 else 1,
                          se_ratio if stage_idx >= 2 else 0.))
            width += final_chs / num_blocks
    return specs


def make_features(
        specs: List[Tuple[int, float, int, float]],
        in_chs: int,
        width_mult: float,
        ch_div: int,
        output_stride: int,
        act_layer: LayerType,
        dw_act_layer: LayerType,
        drop_path_rate: float,
) -> Tuple[List[nn.Module], List[Dict[str, Any]]]:
    """The bottlenecks followed by the 1x1 penultimate conv (width 1280 x `width_mult`), and the feature levels:
    a level ends before every strided block and at the last bottleneck."""
    blocks: List[nn.Module] = []
    feature_info: List[Dict[str, Any]] = []
    net_stride, dilation = 2, 1
    for idx, (out_chs, exp_ratio, stride, se_ratio) in enumerate(specs):
        next_dilation = dilation
        if stride > 1:
            if idx > 0:
                feature_info.append(dict(num_chs=in_chs, reduction=net_stride, module=f'features.{idx - 1}'))
            if net_stride >= output_stride:
                next_dilation, stride = dilation * stride, 1
        blocks.append(LinearBottleneck(
            in_chs, out_chs, stride=stride, dilation=(dilation, next_dilation), exp_ratio=exp_ratio,
            se_ratio=se_ratio, ch_div=ch_div, act_layer=act_layer, dw_act_layer=dw_act_layer,
            drop_path=drop_path_rate * idx / (len(specs) - 1)))
        net_stride *= stride
        dilation = next_dilation
        in_chs = out_chs
    feature_info.append(dict(num_chs=in_chs, reduction=net_stride, module=f'features.{len(blocks) - 1}'))
    blocks.append(ConvNormAct(in_chs, make_divisible(1280 * width_mult, divisor=ch_div), act_layer=act_layer))
    return blocks, feature_info


class RexNet(ZooModel):
    """ReXNet: stride-2 stem, 16 linear bottlenecks (scaled by `depth_mult`), 1x1 penultimate conv, classifier.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0) for unpooled maps.
        output_stride: 32, 16 or 8; later blocks dilate instead of striding past it.
        initial_chs: width of the first bottleneck before width scaling.
        final_chs: total width added over the bottlenecks.
        width_mult: width multiplier.
        depth_mult: depth multiplier (blocks per stage rounded up).
        se_ratio: SE width relative to the expanded width, in the blocks from stage 3 on.
        ch_div: channel rounding divisor (1 for the paper's widths, 8/16 for the rounded `rexnetr` variants).
        act_layer: activation of the stem, expansion and penultimate convs.
        dw_act_layer: activation after the depthwise convs.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block (linear from 0).
    """
    classifier_name = 'head.fc'
    groups = dict(stem=r'^stem', blocks=r'^features\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            output_stride: int = 32,
            initial_chs: int = 16,
            final_chs: int = 180,
            width_mult: float = 1.0,
            depth_mult: float = 1.0,
            se_ratio: float = 1 / 12.,
            ch_div: int = 1,
            act_layer: LayerType = 'swish',
            dw_act_layer: LayerType = 'relu6',
            drop_rate: float = 0.2,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        stem_chs = make_divisible(round((32 / width_mult if width_mult < 1.0 else 32) * width_mult), divisor=ch_div)
        self.stem = ConvNormAct(in_chans, stem_chs, 3, stride=2, act_layer=act_layer)
        specs = block_specs(width_mult, depth_mult, initial_chs, final_chs, se_ratio, ch_div)
        features, self.feature_info = make_features(specs, stem_chs, width_mult, ch_div, output_stride, act_layer,
                                                    dw_act_layer, drop_path_rate)
        self.features = nn.Sequential(*features)
        ends = [int(info['module'].split('.')[-1]) + 1 for info in self.feature_info]
        # the penultimate conv runs after the last level and belongs with the head when the trunk is pruned
        self.trunk = Trunk(levels=split_levels(['stem'] + [f'features.{i}' for i in range(len(specs))], ends),
                           final=(f'features.{len(specs)}',), final_is_norm=False)
        self.num_features = self.head_hidden_size = features[-1].out_channels
        self.head = ClassifierHead(self.num_features, num_classes, global_pool, drop_rate)
        init_weights_goog(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(self.stem(x))


def _create_rexnet(variant: str, pretrained: bool = False, **kwargs: Any) -> RexNet:
    return build_model_with_cfg(RexNet, variant, pretrained, feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', pool_size=(7, 7), crop_pct=0.875, interpolation='bicubic', first_conv='stem.conv',
               classifier='head.fc', license='mit', paper_ids='arXiv:2007.00992',
               paper_name='Rethinking Channel Dimensions for Efficient Model Design')
    cfg.update(kwargs)
    return cfg


_IN12K = dict(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, license='apache-2.0')

default_cfgs = generate_default_cfgs({
    'rexnet_100.nav_in1k': _cfg(),
    'rexnet_130.nav_in1k': _cfg(),
    'rexnet_150.nav_in1k': _cfg(),
    'rexnet_200.nav_in1k': _cfg(),
    'rexnet_300.nav_in1k': _cfg(),
    'rexnetr_100.untrained': _cfg(hf_hub_id=None),
    'rexnetr_130.untrained': _cfg(hf_hub_id=None),
    'rexnetr_150.untrained': _cfg(hf_hub_id=None),
    'rexnetr_200.sw_in12k_ft_in1k': _cfg(**_IN12K),
    'rexnetr_200.sw_in12k': _cfg(num_classes=11821, **_IN12K),
    'rexnetr_300.sw_in12k_ft_in1k': _cfg(**_IN12K),
    'rexnetr_300.sw_in12k': _cfg(num_classes=11821, **_IN12K),
})


def _rexnet(variant: str, pretrained: bool, width_mult: float, ch_div: int, kwargs: Dict[str, Any]) -> RexNet:
    return _create_rexnet(variant, pretrained, **dict(dict(width_mult=width_mult, ch_div=ch_div), **kwargs))


@register_model
def rexnet_100(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnet_100', pretrained, 1.0, 1, kwargs)


@register_model
def rexnet_130(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnet_130', pretrained, 1.3, 1, kwargs)


@register_model
def rexnet_150(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnet_150', pretrained, 1.5, 1, kwargs)


@register_model
def rexnet_200(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnet_200', pretrained, 2.0, 1, kwargs)


@register_model
def rexnet_300(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnet_300', pretrained, 3.0, 1, kwargs)


@register_model
def rexnetr_100(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnetr_100', pretrained, 1.0, 8, kwargs)


@register_model
def rexnetr_130(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnetr_130', pretrained, 1.3, 8, kwargs)


@register_model
def rexnetr_150(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnetr_150', pretrained, 1.5, 8, kwargs)


@register_model
def rexnetr_200(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnetr_200', pretrained, 2.0, 8, kwargs)


@register_model
def rexnetr_300(pretrained: bool = False, **kwargs) -> RexNet:
    return _rexnet('rexnetr_300', pretrained, 3.0, 16, kwargs)
