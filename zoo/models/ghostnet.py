"""GhostNet V1, V2 and V3: bottlenecks built from "ghost" modules.

- "GhostNet: More Features from Cheap Operations", Han et al., 2020 (arXiv:1911.11907): a ghost module makes half of
  its output channels with a 1x1 conv and the other half as cheap depthwise 3x3 "ghosts" of the first half.
- "GhostNetV2: Enhance Cheap Operation with Long-Range Attention", Tang et al., 2022 (arXiv:2211.12905): from the
  third bottleneck on, the first ghost module is gated by DFC attention (a strided 1x1 conv and horizontal/vertical
  1x5 / 5x1 depthwise convs on a 2x-downsampled input, sigmoid, nearest upsampling).
- "GhostNetV3: Exploring the Training Strategies for Compact Models", Liu et al., 2024 (arXiv:2404.11202): the convs
  of the ghost modules and the strided depthwise conv are trained as several re-parameterisable conv+BN branches
  (plus a 1x1 scale branch and a BN identity where shapes allow); `reparameterize()` folds them into single convs
  (`zoo.models.reparameterize_model` folds a whole model).

The feature levels are timm's: the stem conv output (before its BN), then the output of every strided stage.
"""
import math
from functools import partial
from typing import Any, Callable, ClassVar, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.activations import LayerType, create_act_layer
from zoo.layers.helpers import make_divisible
from zoo.layers.norm_act import BatchNormAct2d
from zoo.layers.pool import SelectAdaptivePool2d
from zoo.layers.rep_branches import fold_conv_bn_branches
from zoo.models._base import Trunk, ZooModel, check_pooled_head, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._efficientnet_blocks import ConvBnAct, SqueezeExcite
from zoo.models._efficientnet_builder import init_weights_goog
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import reparameterize_model
from zoo.models.mobilenetv3 import PooledHeadMixin

__all__ = ['GhostNet', 'GhostModule', 'GhostModuleV2', 'GhostModuleV3', 'GhostBottleneck', 'GhostBottleneckV3',
           'make_blocks']

_SE_LAYER = partial(SqueezeExcite, gate_layer='hard_sigmoid', rd_round_fn=partial(make_divisible, divisor=4))
_NUM_REP_BRANCHES = 3
_ConvBnAct = partial(ConvBnAct, norm_layer=BatchNormAct2d)

# per stage, its bottlenecks as (dw kernel, expansion width, output width, SE ratio, stride)
_GHOSTNET_STAGES = (
    ((3, 16, 16, 0, 1),),
    ((3, 48, 24, 0, 2),),
    ((3, 72, 24, 0, 1),),
    ((5, 72, 40, 0.25, 2),),
    ((5, 120, 40, 0.25, 1),),
    ((3, 240, 80, 0, 2),),
    ((3, 200, 80, 0, 1), (3, 184, 80, 0, 1), (3, 184, 80, 0, 1), (3, 480, 112, 0.25, 1), (3, 672, 112, 0.25, 1)),
    ((5, 672, 160, 0.25, 2),),
    ((5, 960, 160, 0, 1), (5, 960, 160, 0.25, 1), (5, 960, 160, 0, 1), (5, 960, 160, 0.25, 1)),
)


def _conv_bn(in_chs: int, out_chs: int, kernel_size: Any, stride: int = 1, groups: int = 1) -> List[nn.Module]:
    padding = tuple(k // 2 for k in kernel_size) if isinstance(kernel_size, tuple) else kernel_size // 2
    return [nn.Conv2d(in_chs, out_chs, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_chs)]


def _dfc_attention(in_chs: int, out_chs: int, kernel_size: int, stride: int) -> nn.Sequential:
    """DFC attention's gate branch: conv + BN, then decoupled 1x5 and 5x1 depthwise convs + BN (GhostNetV2 eq. 6)."""
    return nn.Sequential(
        *_conv_bn(in_chs, out_chs, kernel_size, stride),
        *_conv_bn(out_chs, out_chs, (1, 5), groups=out_chs),
        *_conv_bn(out_chs, out_chs, (5, 1), groups=out_chs))


def _apply_dfc(gate_conv: nn.Module, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    # the gate is computed at half resolution for cost and upsampled to the module output
    gate = torch.sigmoid(gate_conv(F.avg_pool2d(x, kernel_size=2, stride=2)))
    return out * F.interpolate(gate, size=out.shape[-2:], mode='nearest')


def _strided_shortcut(in_chs: int, out_chs: int, kernel_size: int, stride: int) -> nn.Module:
    """Identity when shapes match; else depthwise kxk (strided) + BN, then 1x1 + BN to the output width."""
    if in_chs == out_chs and stride == 1:
        return nn.Sequential()
    return nn.Sequential(*_conv_bn(in_chs, in_chs, kernel_size, stride, groups=in_chs), *_conv_bn(in_chs, out_chs, 1))


class GhostModule(nn.Module):
    """Primary 1x1 conv to ceil(out / ratio) channels, depthwise "cheap" conv for the rest, concatenated.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: kernel of the primary conv.
        ratio: output channels per primary channel.
        dw_size: kernel of the cheap depthwise conv.
        stride: stride of the primary conv.
        act_layer: activation after both convs (None for the linear projection module).
    """

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, ratio: int = 2, dw_size: int = 3,
                 stride: int = 1, act_layer: Optional[LayerType] = nn.ReLU):
        super().__init__()
        self.out_chs = out_chs
        init_chs = math.ceil(out_chs / ratio)
        new_chs = init_chs * (ratio - 1)
        self.primary_conv = nn.Sequential(*_conv_bn(in_chs, init_chs, kernel_size, stride),
                                          create_act_layer(act_layer, inplace=True) or nn.Identity())
        self.cheap_operation = nn.Sequential(*_conv_bn(init_chs, new_chs, dw_size, groups=init_chs),
                                             create_act_layer(act_layer, inplace=True) or nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        primary = self.primary_conv(x)
        return torch.cat([primary, self.cheap_operation(primary)], dim=1)[:, :self.out_chs]


class GhostModuleV2(GhostModule):
    """Ghost module gated by DFC attention computed from its input (`short_conv`)."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, ratio: int = 2, dw_size: int = 3,
                 stride: int = 1, act_layer: Optional[LayerType] = nn.ReLU):
        super().__init__(in_chs, out_chs, kernel_size, ratio, dw_size, stride, act_layer)
        self.short_conv = _dfc_attention(in_chs, out_chs, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _apply_dfc(self.short_conv, x, super().forward(x))


class GhostModuleV3(nn.Module):
    """Ghost module whose primary conv (3 conv+BN branches) and cheap conv (3 depthwise conv+BN branches, a 1x1
    depthwise scale branch and a BN identity) fold into `primary_conv` / `cheap_operation` by `reparameterize()`.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: kernel of the primary conv.
        ratio: output channels per primary channel.
        dw_size: kernel of the cheap depthwise conv.
        stride: stride of the primary conv.
        act_layer: activation after both convs (None for the linear projection module).
        use_dfc: gate the output with DFC attention (mode 'shortcut' in the reference code).
    """

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, ratio: int = 2, dw_size: int = 3,
                 stride: int = 1, act_layer: Optional[LayerType] = nn.ReLU, use_dfc: bool = False):
        super().__init__()
        self.out_chs = out_chs
        init_chs = math.ceil(out_chs / ratio)
        new_chs = init_chs * (ratio - 1)
        self.primary_conv: Optional[nn.Module] = None
        self.cheap_operation: Optional[nn.Module] = None
        self.primary_rpr_conv = nn.ModuleList([
            _ConvBnAct(in_chs, init_chs, kernel_size, stride, act_layer=None) for _ in range(_NUM_REP_BRANCHES)])
        self.primary_activation = create_act_layer(act_layer, inplace=True) or nn.Identity()
        self.cheap_rpr_skip = nn.BatchNorm2d(init_chs)
        self.cheap_rpr_conv = nn.ModuleList([
            _ConvBnAct(init_chs, new_chs, dw_size, group_size=1, act_layer=None) for _ in range(_NUM_REP_BRANCHES)])
        self.cheap_rpr_scale = _ConvBnAct(init_chs, new_chs, 1, group_size=1, act_layer=None)
        self.cheap_activation = create_act_layer(act_layer, inplace=True) or nn.Identity()
        self.short_conv = _dfc_attention(in_chs, out_chs, kernel_size, stride) if use_dfc else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.primary_conv is not None:
            primary = self.primary_conv(x)
            cheap = self.cheap_operation(primary)
        else:
            primary = self.primary_activation(sum(branch(x) for branch in self.primary_rpr_conv))
            cheap = self.cheap_rpr_scale(primary) + self.cheap_rpr_skip(primary)
            for branch in self.cheap_rpr_conv:
                cheap = cheap + branch(primary)
            cheap = self.cheap_activation(cheap)
        out = torch.cat([primary, cheap], dim=1)[:, :self.out_chs]
        return out if self.short_conv is None else _apply_dfc(self.short_conv, x, out)

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the branches into `primary_conv` / `cheap_operation` (conv with bias -> activation)."""
        if self.primary_conv is not None:
            return
        primary = fold_conv_bn_branches([(b.conv, b.bn1) for b in self.primary_rpr_conv])
        cheap = fold_conv_bn_branches([(b.conv, b.bn1) for b in [*self.cheap_rpr_conv, self.cheap_rpr_scale]],
                                      identity=self.cheap_rpr_skip)
        self.primary_conv = nn.Sequential(primary, self.primary_activation)
        self.cheap_operation = nn.Sequential(cheap, self.cheap_activation)
        for name in ('primary_rpr_conv', 'cheap_rpr_skip', 'cheap_rpr_conv', 'cheap_rpr_scale'):
            delattr(self, name)


class GhostBottleneck(nn.Module):
    """Ghost module (expansion) -> strided depthwise conv + BN -> SE -> linear ghost module, plus a shortcut.

    Args:
        in_chs: input channels.
        mid_chs: expansion width.
        out_chs: output channels.
        dw_kernel_size: kernel of the strided depthwise conv and of the shortcut's depthwise conv.
        stride: 1 or 2.
        act_layer: activation of the expansion module.
        se_ratio: SE width relative to `mid_chs` (0 disables it).
        use_dfc: gate the expansion module with DFC attention (GhostNetV2).
    """

    def __init__(self, in_chs: int, mid_chs: int, out_chs: int, dw_kernel_size: int = 3, stride: int = 1,
                 act_layer: LayerType = nn.ReLU, se_ratio: float = 0., use_dfc: bool = False):
        super().__init__()
        self.stride = stride
        self.ghost1 = self._ghost(in_chs, mid_chs, act_layer, use_dfc)
        self.conv_dw = self.bn_dw = None
        if stride > 1:
            self.conv_dw, self.bn_dw = _conv_bn(mid_chs, mid_chs, dw_kernel_size, stride, groups=mid_chs)
        self.se = _SE_LAYER(mid_chs, rd_ratio=se_ratio) if se_ratio else None
        self.ghost2 = self._ghost(mid_chs, out_chs, None, False)
        self.shortcut = _strided_shortcut(in_chs, out_chs, dw_kernel_size, stride)

    def _ghost(self, in_chs: int, out_chs: int, act_layer: Optional[LayerType], use_dfc: bool) -> nn.Module:
        """The expansion (with activation) and projection (linear) ghost modules."""
        return (GhostModuleV2 if use_dfc else GhostModule)(in_chs, out_chs, act_layer=act_layer)

    def _downsample(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.conv_dw is None else self.bn_dw(self.conv_dw(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self._downsample(self.ghost1(x))
        if self.se is not None:
            out = self.se(out)
        return self.ghost2(out) + self.shortcut(x)


class GhostBottleneckV3(GhostBottleneck):
    """GhostNetV3 bottleneck: V3 ghost modules, and the strided depthwise conv as 3 conv+BN branches plus a 1x1
    scale branch, folded into a biased `conv_dw` by `reparameterize()`."""

    def __init__(self, in_chs: int, mid_chs: int, out_chs: int, dw_kernel_size: int = 3, stride: int = 1,
                 act_layer: LayerType = nn.ReLU, se_ratio: float = 0., use_dfc: bool = False):
        nn.Module.__init__(self)
        self.stride = stride
        self.ghost1 = GhostModuleV3(in_chs, mid_chs, act_layer=act_layer, use_dfc=use_dfc)
        self.conv_dw = self.bn_dw = None
        self.dw_rpr_conv = self.dw_rpr_scale = None
        if stride > 1:
            self.dw_rpr_conv = nn.ModuleList([
                _ConvBnAct(mid_chs, mid_chs, dw_kernel_size, stride, group_size=1, act_layer=None)
                for _ in range(_NUM_REP_BRANCHES)])
            self.dw_rpr_scale = _ConvBnAct(mid_chs, mid_chs, 1, stride, group_size=1, act_layer=None)
        self.se = _SE_LAYER(mid_chs, rd_ratio=se_ratio) if se_ratio else None
        self.ghost2 = GhostModuleV3(mid_chs, out_chs, act_layer=None)
        self.shortcut = _strided_shortcut(in_chs, out_chs, dw_kernel_size, stride)

    def _downsample(self, x: torch.Tensor) -> torch.Tensor:
        if self.dw_rpr_conv is None:
            return x if self.conv_dw is None else self.conv_dw(x)
        out = self.dw_rpr_scale(x)
        for branch in self.dw_rpr_conv:
            out = out + branch(x)
        return out

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the strided depthwise branches into one conv with a bias (`conv_dw`)."""
        if self.dw_rpr_conv is None:
            return
        self.conv_dw = fold_conv_bn_branches([(b.conv, b.bn1) for b in [*self.dw_rpr_conv, self.dw_rpr_scale]])
        self.dw_rpr_conv = self.dw_rpr_scale = None


def make_blocks(
        stage_cfgs: Sequence[Sequence[Tuple[int, int, int, float, int]]],
        in_chs: int,
        width: float,
        block_fn: Callable[[int, int, int, int, int, float, int], nn.Module],
        final_mult: float = 1.0,
) -> Tuple[List[nn.Module], List[Dict[str, Any]]]:
    """The bottleneck stages, the final 1x1 conv stage (`final_mult` x the last expansion width), and the feature
    levels after the stem (one per strided stage).

    `block_fn(in_chs, mid_chs, out_chs, kernel, stride, se_ratio, block_idx)` builds a bottleneck.
    """
    stages, feature_info = [], []
    net_stride, block_idx = 2, 0
    for stage_idx, cfg in enumerate(stage_cfgs):
        blocks = []
        for kernel, exp_size, chs, se_ratio, stride in cfg:
            out_chs = make_divisible(chs * width, 4)
            blocks.append(block_fn(in_chs, make_divisible(exp_size * width, 4), out_chs, kernel, stride, se_ratio,
                                   block_idx))
            in_chs = out_chs
            block_idx += 1
        if cfg[-1][-1] > 1:
            net_stride *= 2
            feature_info.append(dict(num_chs=in_chs, reduction=net_stride, module=f'blocks.{stage_idx}'))
        stages.append(nn.Sequential(*blocks))
    final_chs = make_divisible(stage_cfgs[-1][-1][1] * width * final_mult, 4)
    stages.append(nn.Sequential(_ConvBnAct(in_chs, final_chs, 1)))
    return stages, feature_info


class GhostNet(PooledHeadMixin, ZooModel):
    """GhostNet: 3x3 stem, ghost bottleneck stages, 1x1 conv + BN + ReLU, pool -> 1x1 conv (1280) + ReLU ->
    classifier.

    Args:
        cfgs: per stage, bottlenecks as (dw kernel, expansion width, output width, SE ratio, stride).
        num_classes: classifier outputs; 0 removes the classifier.
        width: width multiplier (widths rounded to multiples of 4).
        in_chans: input image channels.
        global_pool: 'avg' or 'max' (the head conv needs a pooling that keeps the width), or '' with
            num_classes=0.
        drop_rate: dropout before the classifier.
        version: 'v1', 'v2' (DFC attention) or 'v3' (re-parameterisable branches + DFC attention).
    """
    classifier_name = 'classifier'
    final_mult: ClassVar[float] = 1.0  # width of the final 1x1 conv relative to the last expansion width
    groups = dict(stem=r'^conv_stem|bn1', blocks=[(r'^blocks\.(\d+)\.(\d+)', None), (r'conv_head', (99999,))],
                  coarse=[(r'^blocks\.(\d+)', None), (r'conv_head', (99999,))])

    def __init__(
            self,
            cfgs: Sequence[Sequence[Tuple[int, int, int, float, int]]] = _GHOSTNET_STAGES,
            num_classes: int = 1000,
            width: float = 1.0,
            in_chans: int = 3,
            global_pool: str = 'avg',
            drop_rate: float = 0.2,
            version: str = 'v1',
    ):
        super().__init__()
        if version not in ('v1', 'v2', 'v3'):
            raise ValueError(f"version must be 'v1', 'v2' or 'v3', got {version!r}.")
        check_pooled_head(global_pool, num_classes)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        stem_chs = make_divisible(16 * width, 4)
        self.conv_stem = nn.Conv2d(in_chans, stem_chs, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_chs)
        self.act1 = nn.ReLU(inplace=True)
        stages, stage_info = make_blocks(cfgs, stem_chs, width, self._block_fn(version), self.final_mult)
        self.blocks = nn.Sequential(*stages)
        self.feature_info = [dict(num_chs=stem_chs, reduction=2, module='conv_stem')] + stage_info
        # level 0 is the stem conv output itself; the levels after it end at the strided stages
        ends = [0] + [int(info['module'].split('.')[-1]) + 2 for info in stage_info]
        positions = ['conv_stem', ('bn1', 'act1')] + [f'blocks.{i}' for i in range(len(stages))]
        self.trunk = Trunk(levels=split_levels(positions, ends), final_is_norm=False,
                           final=tuple(f'blocks.{i}' for i in range(ends[-1] - 1, len(stages))))

        self.num_features = stages[-1][0].conv.out_channels
        self.head_hidden_size = 1280
        self.global_pool = SelectAdaptivePool2d(pool_type=global_pool)
        if self.global_pool.feat_mult() != 1:
            raise ValueError(f'GhostNet\'s head conv takes the pooled {self.num_features} channels; '
                             f'global_pool={global_pool!r} changes that width. Use avg or max.')
        self.conv_head = nn.Conv2d(self.num_features, self.head_hidden_size, 1, bias=True)
        self.norm_head = nn.Identity()
        self.act2 = nn.ReLU(inplace=True)
        self.flatten = nn.Flatten(1) if global_pool else nn.Identity()
        self.classifier = nn.Linear(self.head_hidden_size, num_classes) if num_classes > 0 else nn.Identity()
        init_weights_goog(self)

    def _block_fn(self, version: str) -> Callable[..., nn.Module]:
        """The bottleneck of `version`; V2 / V3 use DFC attention from the third bottleneck on."""
        block_cls = GhostBottleneckV3 if version == 'v3' else GhostBottleneck

        def block(in_chs: int, mid_chs: int, out_chs: int, kernel: int, stride: int, se_ratio: float,
                  idx: int) -> nn.Module:
            return block_cls(in_chs, mid_chs, out_chs, kernel, stride, se_ratio=se_ratio,
                             use_dfc=version != 'v1' and idx > 1)
        return block

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.act1(self.bn1(self.conv_stem(x))))

    def convert_to_deploy(self) -> None:
        """Fold the V3 re-parameterisable branches in place (no-op for V1 / V2)."""
        reparameterize_model(self, inplace=True)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Official GhostNet V2 / V3 checkpoints: nested under `state_dict`, `bn.` for the branch norms (zoo: `bn1.`),
    and FLOP counters (`total_ops`, `total_params`) that are not weights."""
    state_dict = state_dict.get('state_dict', state_dict)
    out = {}
    for k, v in state_dict.items():
        if 'total' in k:
            continue
        if 'bn.' in k and ('.ghost' in k or '.dw_rpr_' in k):
            k = k.replace('bn.', 'bn1.')
        out[k] = v
    return out


def _create_ghostnet(variant: str, pretrained: bool = False, **kwargs: Any) -> GhostNet:
    return build_model_with_cfg(GhostNet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', pool_size=(7, 7), crop_pct=0.875, interpolation='bicubic', first_conv='conv_stem',
               classifier='classifier', license='apache-2.0',
               origin_url='https://github.com/huawei-noah/Efficient-AI-Backbones')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'ghostnet_050.untrained': _cfg(hf_hub_id=None),
    'ghostnet_100.in1k': _cfg(),
    'ghostnet_130.untrained': _cfg(hf_hub_id=None),
    'ghostnetv2_100.in1k': _cfg(),
    'ghostnetv2_130.in1k': _cfg(),
    'ghostnetv2_160.in1k': _cfg(),
    'ghostnetv3_050.untrained': _cfg(hf_hub_id=None),
    'ghostnetv3_100.in1k': _cfg(),
    'ghostnetv3_130.untrained': _cfg(hf_hub_id=None),
    'ghostnetv3_160.untrained': _cfg(hf_hub_id=None),
})


def _ghostnet(variant: str, pretrained: bool, width: float, version: str, kwargs: Dict[str, Any]) -> GhostNet:
    return _create_ghostnet(variant, pretrained, **dict(dict(width=width, version=version), **kwargs))


@register_model
def ghostnet_050(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnet_050', pretrained, 0.5, 'v1', kwargs)


@register_model
def ghostnet_100(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnet_100', pretrained, 1.0, 'v1', kwargs)


@register_model
def ghostnet_130(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnet_130', pretrained, 1.3, 'v1', kwargs)


@register_model
def ghostnetv2_100(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnetv2_100', pretrained, 1.0, 'v2', kwargs)


@register_model
def ghostnetv2_130(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnetv2_130', pretrained, 1.3, 'v2', kwargs)


@register_model
def ghostnetv2_160(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnetv2_160', pretrained, 1.6, 'v2', kwargs)


@register_model
def ghostnetv3_050(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnetv3_050', pretrained, 0.5, 'v3', kwargs)


@register_model
def ghostnetv3_100(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnetv3_100', pretrained, 1.0, 'v3', kwargs)


@register_model
def ghostnetv3_130(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnetv3_130', pretrained, 1.3, 'v3', kwargs)


@register_model
def ghostnetv3_160(pretrained: bool = False, **kwargs) -> GhostNet:
    return _ghostnet('ghostnetv3_160', pretrained, 1.6, 'v3', kwargs)
