"""ResNet-V2: pre-activation ResNets, including Big Transfer (BiT) and the ViT-hybrid stems.

Papers:
- Pre-activation ResNet: "Identity Mappings in Deep Residual Networks", He et al., 2016 (arXiv:1603.05027): every
  block is norm -> act -> conv (x3) on the residual branch, and a projection shortcut reads the pre-activated input.
- BiT: "Big Transfer (BiT): General Visual Representation Learning", Kolesnikov et al., 2019 (arXiv:1912.11370):
  GroupNorm + weight-standardised convs, widths x1 / x2 / x3 / x4.
- Weight standardisation: Qiao et al., 2019 (arXiv:1903.10520).
- ResNet-D stem and average-pool shortcut: "Bag of Tricks", He et al., 2018 (arXiv:1812.01187).
- EvoNorm-S0: Liu et al., 2020 (arXiv:2004.02967); Filter Response Norm: Singh & Krishnan, 2019 (arXiv:1911.09737).
- ViT hybrids: "An Image is Worth 16x16 Words", Dosovitskiy et al., 2020 (arXiv:2010.11929), section 3.1, use a
  *non*-pre-activation (v1.5) variant of this network with TF 'SAME' padding as the patch-embedding backbone.

Deviations from the papers, all matching the published timm weights: the stride sits on the 3x3 conv of a bottleneck
(as in ResNet v1.5); BiT's stem pads by one before a valid max-pool ('fixed'); the `resnetv2_18/34/50/101/152`
(+ d / t) models use BatchNorm with plain convs and a final norm + activation before the head; the head is a 1x1
conv (`head.fc`), the layout of the BiT checkpoints.
"""
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

import torch
import torch.nn as nn

from zoo.layers import ClassifierHead, DropPath, LayerType, create_conv2d, get_act_layer, make_divisible
from zoo.layers.conv_bn_act import get_norm_act_layer
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.evo_norm import EvoNorm2dS0
from zoo.layers.filter_response_norm import FilterResponseNormTlu2d
from zoo.layers.norm_act import BatchNormAct2d, GroupNormAct
from zoo.layers.pool2d_same import MaxPool2dSame
from zoo.layers.std_conv import StdConv2d
from zoo.layers.weight_init import NORM_TYPES, he_normal_, init_by_type_, normal_std_, reset_affine_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.resnet import SamePadAvgPool2x2

__all__ = ['ResNetV2', 'PreActBasic', 'PreActBottleneck', 'Bottleneck', 'create_resnetv2_stem']

# norm layers that carry their own non-linearity and take `apply_act` themselves
_SELF_ACTIVATED = (EvoNorm2dS0, FilterResponseNormTlu2d)
_STEM_TYPES = ('', 'fixed', 'same', 'deep', 'deep_fixed', 'deep_same', 'tiered')


def _norm_act_layer(norm_layer: Any, act_layer: Optional[LayerType]) -> Callable[..., nn.Module]:
    """A norm(+act) constructor taking (channels, apply_act=...)."""
    base = norm_layer.func if isinstance(norm_layer, partial) else norm_layer
    if isinstance(base, type) and issubclass(base, _SELF_ACTIVATED):
        return norm_layer
    return get_norm_act_layer(norm_layer, act_layer)


def _is_deep(stem_type: str) -> bool:
    return 'deep' in stem_type or 'tiered' in stem_type


class DownsampleConv(nn.Module):
    """Projection shortcut: strided 1x1 conv (+ norm without activation for non-pre-activation blocks)."""

    def __init__(self, in_chs: int, out_chs: int, stride: int, dilation: int, preact: bool,
                 conv_layer: Callable[..., nn.Module], norm_layer: Callable[..., nn.Module]):
        super().__init__()
        self.conv = conv_layer(in_chs, out_chs, 1, stride=stride)
        self.norm = nn.Identity() if preact else norm_layer(out_chs, apply_act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x))


class DownsampleAvg(nn.Module):
    """ResNet-D shortcut: 2x2 average pool (ceil mode, padding not counted), then a stride-1 1x1 conv.

    Inside dilated stages the pool keeps the resolution ('SAME'-padded stride-1 average), as the weights expect.
    """

    def __init__(self, in_chs: int, out_chs: int, stride: int, dilation: int, preact: bool,
                 conv_layer: Callable[..., nn.Module], norm_layer: Callable[..., nn.Module]):
        super().__init__()
        if dilation > 1:
            self.pool = SamePadAvgPool2x2()
        elif stride > 1:
            self.pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
        else:
            self.pool = nn.Identity()
        self.conv = conv_layer(in_chs, out_chs, 1, stride=1)
        self.norm = nn.Identity() if preact else norm_layer(out_chs, apply_act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(self.pool(x)))


class PreActBasic(nn.Module):
    """Pre-activation basic block: norm-act -> 3x3 conv -> norm-act -> 3x3 conv, plus the shortcut.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        bottle_ratio: width of the first conv / out_chs.
        stride: stride of the first conv.
        dilation: dilation of the second conv.
        first_dilation: dilation of the first conv.
        groups: conv groups.
        conv_layer: conv constructor (kernel size as third argument).
        norm_layer: norm(+act) constructor taking `apply_act`.
        proj_layer: shortcut projection class, used when the shape changes; None keeps the identity.
        drop_path_rate: stochastic depth of the residual branch.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            bottle_ratio: float = 1.0,
            stride: int = 1,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            groups: int = 1,
            conv_layer: Callable[..., nn.Module] = StdConv2d,
            norm_layer: Callable[..., nn.Module] = GroupNormAct,
            proj_layer: Optional[Type[nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        first_dilation = first_dilation or dilation
        mid_chs = make_divisible(out_chs * bottle_ratio)
        changes_shape = stride != 1 or first_dilation != dilation or in_chs != out_chs
        self.downsample = proj_layer(in_chs, out_chs, stride, dilation, True, conv_layer, norm_layer) \
            if proj_layer is not None and changes_shape else None
        self.norm1 = norm_layer(in_chs)
        self.conv1 = conv_layer(in_chs, mid_chs, 3, stride=stride, dilation=first_dilation, groups=groups)
        self.norm2 = norm_layer(mid_chs)
        self.conv2 = conv_layer(mid_chs, out_chs, 3, dilation=dilation, groups=groups)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.conv2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_preact = self.norm1(x)
        # the projection reads the pre-activated input, the identity shortcut the raw one (He et al. 2016, fig. 4)
        shortcut = self.downsample(x_preact) if self.downsample is not None else x
        x = self.conv2(self.norm2(self.conv1(x_preact)))
        return self.drop_path(x) + shortcut


class PreActBottleneck(nn.Module):
    """Pre-activation bottleneck: (norm-act -> conv) x 3 with 1x1, 3x3 (strided), 1x1 kernels, plus the shortcut.

    The first block of every stage projects its shortcut. Arguments as for `PreActBasic` (`bottle_ratio` sets the
    inner width, 1/4 of `out_chs` by default).
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            bottle_ratio: float = 0.25,
            stride: int = 1,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            groups: int = 1,
            conv_layer: Callable[..., nn.Module] = StdConv2d,
            norm_layer: Callable[..., nn.Module] = GroupNormAct,
            proj_layer: Optional[Type[nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        first_dilation = first_dilation or dilation
        mid_chs = make_divisible(out_chs * bottle_ratio)
        self.downsample = proj_layer(in_chs, out_chs, stride, dilation, True, conv_layer, norm_layer) \
            if proj_layer is not None else None
        self.norm1 = norm_layer(in_chs)
        self.conv1 = conv_layer(in_chs, mid_chs, 1)
        self.norm2 = norm_layer(mid_chs)
        self.conv2 = conv_layer(mid_chs, mid_chs, 3, stride=stride, dilation=first_dilation, groups=groups)
        self.norm3 = norm_layer(mid_chs)
        self.conv3 = conv_layer(mid_chs, out_chs, 1)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.conv3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_preact = self.norm1(x)
        shortcut = self.downsample(x_preact) if self.downsample is not None else x
        x = self.conv1(x_preact)
        x = self.conv2(self.norm2(x))
        x = self.conv3(self.norm3(x))
        return self.drop_path(x) + shortcut


class Bottleneck(nn.Module):
    """Post-activation (v1.5) bottleneck: conv -> norm-act (x2), conv -> norm, add the shortcut, then activate.

    The block of the ViT-hybrid backbones. Arguments as for `PreActBottleneck`, plus `act_layer` for the activation
    after the residual sum.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            bottle_ratio: float = 0.25,
            stride: int = 1,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            groups: int = 1,
            conv_layer: Callable[..., nn.Module] = StdConv2d,
            norm_layer: Callable[..., nn.Module] = GroupNormAct,
            proj_layer: Optional[Type[nn.Module]] = None,
            drop_path_rate: float = 0.,
            act_layer: Type[nn.Module] = nn.ReLU,
    ):
        super().__init__()
        first_dilation = first_dilation or dilation
        mid_chs = make_divisible(out_chs * bottle_ratio)
        self.downsample = proj_layer(in_chs, out_chs, stride, dilation, False, conv_layer, norm_layer) \
            if proj_layer is not None else None
        self.conv1 = conv_layer(in_chs, mid_chs, 1)
        self.norm1 = norm_layer(mid_chs)
        self.conv2 = conv_layer(mid_chs, mid_chs, 3, stride=stride, dilation=first_dilation, groups=groups)
        self.norm2 = norm_layer(mid_chs)
        self.conv3 = conv_layer(mid_chs, out_chs, 1)
        self.norm3 = norm_layer(out_chs, apply_act=False)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.act3 = act_layer(inplace=True)

    def zero_init_last(self) -> None:
        if getattr(self.norm3, 'weight', None) is not None:
            nn.init.zeros_(self.norm3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.downsample(x) if self.downsample is not None else x
        x = self.norm1(self.conv1(x))
        x = self.norm2(self.conv2(x))
        x = self.norm3(self.conv3(x))
        return self.act3(self.drop_path(x) + shortcut)


class ResNetStage(nn.Module):
    """`depth` blocks; the first one strides (or dilates) and projects its shortcut."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int,
            dilation: int,
            depth: int,
            block_fn: Type[nn.Module],
            block_dpr: Sequence[float],
            avg_down: bool = False,
            **block_kwargs: Any,
    ):
        super().__init__()
        # entering a dilated stage, the first block keeps the previous dilation on its strided conv
        first_dilation = 1 if dilation in (1, 2) else 2
        proj_layer = DownsampleAvg if avg_down else DownsampleConv
        self.blocks = CheckpointSequential(*[
            block_fn(
                in_chs if i == 0 else out_chs,
                out_chs,
                stride=stride if i == 0 else 1,
                dilation=dilation,
                first_dilation=first_dilation if i == 0 else dilation,
                proj_layer=proj_layer if i == 0 else None,
                drop_path_rate=block_dpr[i],
                **block_kwargs,
            )
            for i in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


def create_resnetv2_stem(
        in_chs: int,
        out_chs: int = 64,
        stem_type: str = '',
        preact: bool = True,
        conv_layer: Callable[..., nn.Module] = StdConv2d,
        norm_layer: Callable[..., nn.Module] = GroupNormAct,
) -> nn.Sequential:
    """The stem: a 7x7 stride-2 conv (or a deep 3 x 3x3 stack) and a stride-2 max-pool.

    Args:
        in_chs: input channels.
        out_chs: stem output channels.
        stem_type: '' (7x7 conv, padded max-pool), 'fixed' (BiT: zero-pad by one, then a valid max-pool), 'same'
            (TF 'SAME' max-pool), 'deep' / 'deep_fixed' / 'deep_same' (three 3x3 convs of out_chs/2, out_chs/2,
            out_chs) or 'tiered' (three 3x3 convs of 3/8, 1/2, 1 x out_chs).
        preact: pre-activation networks normalise inside the first block, so the stem has no norm after its last
            conv; post-activation ones do.
        conv_layer: conv constructor (kernel size as third argument).
        norm_layer: norm(+act) constructor.
    """
    if stem_type not in _STEM_TYPES:
        raise ValueError(f'Unknown stem_type {stem_type!r}; choose one of {_STEM_TYPES}.')
    stem = nn.Sequential()
    if _is_deep(stem_type):
        mid = (3 * out_chs // 8, out_chs // 2) if 'tiered' in stem_type else (out_chs // 2, out_chs // 2)
        stem.add_module('conv1', conv_layer(in_chs, mid[0], 3, stride=2))
        stem.add_module('norm1', norm_layer(mid[0]))
        stem.add_module('conv2', conv_layer(mid[0], mid[1], 3, stride=1))
        stem.add_module('norm2', norm_layer(mid[1]))
        stem.add_module('conv3', conv_layer(mid[1], out_chs, 3, stride=1))
        if not preact:
            stem.add_module('norm3', norm_layer(out_chs))
    else:
        stem.add_module('conv', conv_layer(in_chs, out_chs, 7, stride=2))
        if not preact:
            stem.add_module('norm', norm_layer(out_chs))
    if 'fixed' in stem_type:
        stem.add_module('pad', nn.ConstantPad2d(1, 0.))
        stem.add_module('pool', nn.MaxPool2d(kernel_size=3, stride=2, padding=0))
    elif 'same' in stem_type:
        stem.add_module('pool', MaxPool2dSame(kernel_size=3, stride=2))
    else:
        stem.add_module('pool', nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    return stem


def make_stages(
        layers: Sequence[int],
        channels: Sequence[int],
        in_chs: int,
        block_fn: Type[nn.Module],
        output_stride: int = 32,
        drop_path_rate: float = 0.,
        **stage_kwargs: Any,
) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    """The residual stages after the stride-4 stem, and their feature_info (stride 4, 8, 16, 32 unless dilated)."""
    stages = nn.Sequential()
    feature_info = []
    reduction, dilation = 4, 1
    for i, (depth, out_chs, dpr) in enumerate(zip(layers, channels, stagewise_drop_path_rates(drop_path_rate, layers))):
        stride = 1 if i == 0 else 2
        if reduction >= output_stride:
            dilation *= stride
            stride = 1
        stages.add_module(str(i), ResNetStage(in_chs, out_chs, stride, dilation, depth, block_fn, dpr, **stage_kwargs))
        in_chs = out_chs
        reduction *= stride
        feature_info.append(dict(num_chs=out_chs, reduction=reduction, module=f'stages.{i}'))
    return stages, feature_info


class ResNetV2(ZooModel):
    """Pre-activation ResNet (or the post-activation ViT-hybrid variant) with a 1x1-conv classifier head.

    Args:
        layers: blocks per stage.
        channels: output channels per stage (before `width_factor`).
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' for unpooled maps.
        output_stride: 32, 16 or 8; later stages dilate instead of striding.
        width_factor: multiplies every width (BiT x1 ... x4).
        stem_chs: stem width (before `width_factor`).
        stem_type: see `create_resnetv2_stem`.
        avg_down: average-pool + 1x1 conv projection shortcuts (ResNet-D).
        preact: pre-activation blocks (False: post-activation bottlenecks, as the ViT hybrids use).
        basic: basic (two 3x3) blocks instead of bottlenecks (pre-activation only).
        bottle_ratio: inner width of a block / its output width.
        act_layer: activation.
        norm_layer: norm (name, class, or a norm+act class such as GroupNormAct, BatchNormAct2d, EvoNorm2dS0).
        conv_layer: conv constructor (StdConv2d for BiT, create_conv2d for plain convs).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth of the last block (rising linearly over blocks).
        zero_init_last: start every residual branch at zero.
    """
    classifier_name = 'head.fc'
    groups = dict(stem=r'^stem', coarse=r'^stages\.(\d+)',
                  blocks=[(r'^stages\.(\d+)\.blocks\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            layers: Sequence[int],
            channels: Sequence[int] = (256, 512, 1024, 2048),
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: str = 'avg',
            output_stride: int = 32,
            width_factor: int = 1,
            stem_chs: int = 64,
            stem_type: str = '',
            avg_down: bool = False,
            preact: bool = True,
            basic: bool = False,
            bottle_ratio: float = 0.25,
            act_layer: LayerType = nn.ReLU,
            norm_layer: Any = GroupNormAct,
            conv_layer: Callable[..., nn.Module] = StdConv2d,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            zero_init_last: bool = False,
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        if basic and not preact:
            raise ValueError('basic blocks exist only in the pre-activation form (preact=True).')
        act_layer = get_act_layer(act_layer)
        norm_layer = _norm_act_layer(norm_layer, act_layer)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate

        stem_chs = make_divisible(stem_chs * width_factor)
        self.stem = create_resnetv2_stem(in_chans, stem_chs, stem_type, preact, conv_layer, norm_layer)
        # level 0 is the stride-2 stem output before the pool: the last conv (pre-activation) or its norm
        names = [name for name, _ in self.stem.named_children()]
        split = names.index('pool') - (1 if 'pad' in names else 0)
        stem_feat = names[split - 1]
        self.feature_info = [dict(num_chs=stem_chs, reduction=2, module=f'stem.{stem_feat}')]

        if preact:
            block_fn = PreActBasic if basic else PreActBottleneck
            block_kwargs = {}
        else:
            block_fn, block_kwargs = Bottleneck, dict(act_layer=act_layer)
        self.stages, stage_info = make_stages(
            layers, [make_divisible(c * width_factor) for c in channels], stem_chs, block_fn,
            output_stride=output_stride, drop_path_rate=drop_path_rate, avg_down=avg_down, bottle_ratio=bottle_ratio,
            conv_layer=conv_layer, norm_layer=norm_layer, **block_kwargs)
        self.feature_info += stage_info
        self.num_features = self.head_hidden_size = self.feature_info[-1]['num_chs']
        # pre-activation blocks leave their output un-normalised, so the network ends with norm + act
        self.norm = norm_layer(self.num_features) if preact else nn.Identity()
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate,
                                   use_conv=True)
        self.trunk = Trunk(
            levels=(tuple(f'stem.{n}' for n in names[:split]),
                    tuple(f'stem.{n}' for n in names[split:]) + ('stages.0',),
                    *((f'stages.{i}',) for i in range(1, len(self.stages)))),
            final=('norm',))
        # BiT: the classifier (a 1x1 conv or a linear) from N(0, 0.01), He-normal convs, unit norms
        init_by_type_(self, [(nn.Conv2d, he_normal_), ((nn.Linear,), normal_std_(0.01)), (NORM_TYPES, reset_affine_)],
                      head=normal_std_(0.01), head_prefix='head.fc', zero_init_last=zero_init_last)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = self.stages(x)
        return self.norm(x)


def _create_resnetv2(variant: str, pretrained: bool = False, **kwargs) -> ResNetV2:
    return build_model_with_cfg(ResNetV2, variant, pretrained,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3, 4), flatten_sequential=True),
                                **kwargs)


def _rv2(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> ResNetV2:
    return _create_resnetv2(variant, pretrained, **dict(model_args, **kwargs))


def _rcfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.875,
               interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), first_conv='stem.conv',
               classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>; the first tag of an
# architecture is its default.
default_cfgs = generate_default_cfgs({
    'resnetv2_50x1_bit.goog_distilled_in1k': _rcfg(interpolation='bicubic'),
    'resnetv2_50x1_bit.goog_in21k_ft_in1k': _rcfg(input_size=(3, 448, 448), crop_pct=1.0, pool_size=(14, 14)),
    'resnetv2_50x1_bit.goog_in21k': _rcfg(num_classes=21843),
    'resnetv2_152x2_bit.goog_teacher_in21k_ft_in1k': _rcfg(interpolation='bicubic'),
    'resnetv2_152x2_bit.goog_teacher_in21k_ft_in1k_384': _rcfg(input_size=(3, 384, 384), interpolation='bicubic', crop_pct=1.0, pool_size=(12, 12)),
    'resnetv2_152x2_bit.goog_in21k_ft_in1k': _rcfg(input_size=(3, 448, 448), crop_pct=1.0, pool_size=(14, 14)),
    'resnetv2_152x2_bit.goog_in21k': _rcfg(num_classes=21843),
    'resnetv2_50x3_bit.goog_in21k_ft_in1k': _rcfg(input_size=(3, 448, 448), crop_pct=1.0, pool_size=(14, 14)),
    'resnetv2_50x3_bit.goog_in21k': _rcfg(num_classes=21843),
    'resnetv2_101x1_bit.goog_in21k_ft_in1k': _rcfg(input_size=(3, 448, 448), crop_pct=1.0, pool_size=(14, 14)),
    'resnetv2_101x1_bit.goog_in21k': _rcfg(num_classes=21843),
    'resnetv2_101x3_bit.goog_in21k_ft_in1k': _rcfg(input_size=(3, 448, 448), crop_pct=1.0, pool_size=(14, 14)),
    'resnetv2_101x3_bit.goog_in21k': _rcfg(num_classes=21843),
    'resnetv2_152x4_bit.goog_in21k_ft_in1k': _rcfg(input_size=(3, 480, 480), crop_pct=1.0, pool_size=(15, 15)),
    'resnetv2_152x4_bit.goog_in21k': _rcfg(num_classes=21843),
    'resnetv2_18.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), interpolation='bicubic', crop_pct=0.9, test_crop_pct=1.0),
    'resnetv2_18d.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), interpolation='bicubic', crop_pct=0.9, test_crop_pct=1.0, first_conv='stem.conv1'),
    'resnetv2_34.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), interpolation='bicubic', crop_pct=0.9, test_crop_pct=1.0),
    'resnetv2_34d.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), interpolation='bicubic', crop_pct=0.9, test_crop_pct=1.0, first_conv='stem.conv1'),
    'resnetv2_34d.ra4_e3600_r384_in1k': _rcfg(input_size=(3, 384, 384), test_input_size=(3, 448, 448), interpolation='bicubic', crop_pct=1.0, pool_size=(12, 12), first_conv='stem.conv1'),
    'resnetv2_50.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), interpolation='bicubic', crop_pct=0.95, test_crop_pct=1.0),
    'resnetv2_50d.untrained': _rcfg(hf_hub_id=None, interpolation='bicubic', first_conv='stem.conv1'),
    'resnetv2_50t.untrained': _rcfg(hf_hub_id=None, interpolation='bicubic', first_conv='stem.conv1'),
    'resnetv2_101.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), interpolation='bicubic', crop_pct=0.95, test_crop_pct=1.0),
    'resnetv2_101d.untrained': _rcfg(hf_hub_id=None, interpolation='bicubic', first_conv='stem.conv1'),
    'resnetv2_152.untrained': _rcfg(hf_hub_id=None, interpolation='bicubic'),
    'resnetv2_152d.untrained': _rcfg(hf_hub_id=None, interpolation='bicubic', first_conv='stem.conv1'),
    'resnetv2_50d_gn.ah_in1k': _rcfg(test_input_size=(3, 288, 288), interpolation='bicubic', crop_pct=0.95, test_crop_pct=1.0, first_conv='stem.conv1'),
    'resnetv2_50d_evos.ah_in1k': _rcfg(test_input_size=(3, 288, 288), interpolation='bicubic', crop_pct=0.95, test_crop_pct=1.0, first_conv='stem.conv1'),
    'resnetv2_50d_frn.untrained': _rcfg(hf_hub_id=None, interpolation='bicubic', first_conv='stem.conv1'),
})

# BiT: GroupNorm(32) + weight-standardised convs (eps 1e-8 as in the released weights), 'fixed' stem
_BIT = dict(stem_type='fixed', conv_layer=partial(StdConv2d, eps=1e-8))
# timm-trained ResNet-V2: BatchNorm, plain convs
_BN = dict(conv_layer=create_conv2d, norm_layer=BatchNormAct2d)
_BASIC = dict(channels=(64, 128, 256, 512), basic=True, bottle_ratio=1.0)
_D = dict(stem_type='deep', avg_down=True)
_PLAIN_D = dict(conv_layer=create_conv2d, **_D)


@register_model
def resnetv2_50x1_bit(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_50x1_bit', pretrained, dict(layers=(3, 4, 6, 3), width_factor=1, **_BIT), kwargs)


@register_model
def resnetv2_50x3_bit(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_50x3_bit', pretrained, dict(layers=(3, 4, 6, 3), width_factor=3, **_BIT), kwargs)


@register_model
def resnetv2_101x1_bit(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_101x1_bit', pretrained, dict(layers=(3, 4, 23, 3), width_factor=1, **_BIT), kwargs)


@register_model
def resnetv2_101x3_bit(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_101x3_bit', pretrained, dict(layers=(3, 4, 23, 3), width_factor=3, **_BIT), kwargs)


@register_model
def resnetv2_152x2_bit(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_152x2_bit', pretrained, dict(layers=(3, 8, 36, 3), width_factor=2, **_BIT), kwargs)


@register_model
def resnetv2_152x4_bit(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_152x4_bit', pretrained, dict(layers=(3, 8, 36, 3), width_factor=4, **_BIT), kwargs)


@register_model
def resnetv2_18(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_18', pretrained, dict(layers=(2, 2, 2, 2), **_BASIC, **_BN), kwargs)


@register_model
def resnetv2_18d(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_18d', pretrained, dict(layers=(2, 2, 2, 2), **_BASIC, **_BN, **_D), kwargs)


@register_model
def resnetv2_34(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_34', pretrained, dict(layers=(3, 4, 6, 3), **_BASIC, **_BN), kwargs)


@register_model
def resnetv2_34d(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_34d', pretrained, dict(layers=(3, 4, 6, 3), **_BASIC, **_BN, **_D), kwargs)


@register_model
def resnetv2_50(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_50', pretrained, dict(layers=(3, 4, 6, 3), **_BN), kwargs)


@register_model
def resnetv2_50d(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_50d', pretrained, dict(layers=(3, 4, 6, 3), **_BN, **_D), kwargs)


@register_model
def resnetv2_50t(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_50t', pretrained, dict(layers=(3, 4, 6, 3), **_BN, stem_type='tiered', avg_down=True), kwargs)


@register_model
def resnetv2_101(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_101', pretrained, dict(layers=(3, 4, 23, 3), **_BN), kwargs)


@register_model
def resnetv2_101d(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_101d', pretrained, dict(layers=(3, 4, 23, 3), **_BN, **_D), kwargs)


@register_model
def resnetv2_152(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_152', pretrained, dict(layers=(3, 8, 36, 3), **_BN), kwargs)


@register_model
def resnetv2_152d(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_152d', pretrained, dict(layers=(3, 8, 36, 3), **_BN, **_D), kwargs)


@register_model
def resnetv2_50d_gn(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_50d_gn', pretrained, dict(layers=(3, 4, 6, 3), norm_layer=GroupNormAct, **_PLAIN_D), kwargs)


@register_model
def resnetv2_50d_evos(pretrained: bool = False, **kwargs) -> ResNetV2:
    return _rv2('resnetv2_50d_evos', pretrained, dict(layers=(3, 4, 6, 3), norm_layer=EvoNorm2dS0, **_PLAIN_D), kwargs)


@register_model
def resnetv2_50d_frn(pretrained: bool = False, **kwargs) -> ResNetV2:
    model_args = dict(layers=(3, 4, 6, 3), norm_layer=FilterResponseNormTlu2d, **_PLAIN_D)
    return _rv2('resnetv2_50d_frn', pretrained, model_args, kwargs)
