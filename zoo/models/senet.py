"""SENet, SE-ResNet and SE-ResNeXt in the original (Caffe / Cadene `pretrainedmodels`) layout.

Paper: "Squeeze-and-Excitation Networks", Hu et al., 2017 (arXiv:1709.01507); the ResNet and ResNeXt bodies are from
He et al., 2015 (arXiv:1512.03385) and Xie et al., 2016 (arXiv:1611.05431).

These `legacy_*` models keep the layout the original SENet weights were released in (`layer0`, `se_module`,
`last_linear`) so those weights load unchanged. New work should prefer `seresnet*` / `seresnext*` in the resnet
family, which share all of ResNet's options (dilation, stochastic depth, ...). Deviations kept for the weights:
- SE-ResNet bottlenecks stride in the first 1x1 conv (the Caffe original), not in the 3x3 as ResNet v1.5 does;
  SE-ResNeXt and SENet-154 bottlenecks stride in the 3x3.
- The stem max-pool uses `ceil_mode=True` instead of padding 1.
- SE reduction channels are `channels // 16` with no rounding.
- SENet-154 has a three-conv 3x3 stem, 128 stem channels, 3x3 projection shortcuts and a 2x-wide bottleneck.
"""
import math
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.layers import SEModule, create_classifier
from zoo.layers.weight_init import he_normal_, init_by_type_, reset_affine_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import run_sequence
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model, register_model_deprecations

__all__ = ['SENet', 'SEResNetBlock', 'SEResNetBottleneck', 'SEResNeXtBottleneck', 'SEBottleneck']


def _se(channels: int, reduction: int) -> nn.Module:
    return SEModule(channels, rd_channels=channels // reduction)


class SEResNetBlock(nn.Module):
    """Basic block (two 3x3 convs, stride in the first) with SE on the residual branch."""
    expansion = 1

    def __init__(
            self,
            inplanes: int,
            planes: int,
            groups: int,
            reduction: int,
            stride: int = 1,
            downsample: Optional[nn.Module] = None,
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.se_module = _se(planes, reduction)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        # unlike ResNet's basic block, the original activates the second conv before SE and the residual sum
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.se_module(out) + shortcut)


class _LegacyBottleneck(nn.Module):
    """1x1 -> 3x3 (grouped) -> 1x1 with SE before the residual sum; subclasses fix the widths and the strided conv.

    Args:
        inplanes: input channels.
        width1: output channels of the first 1x1 conv.
        width2: output channels of the 3x3 conv.
        outplanes: output channels of the block.
        groups: groups of the 3x3 conv.
        reduction: SE reduction ratio.
        stride: block stride.
        stride_in_1x1: put the stride in the first 1x1 conv (Caffe ResNet) rather than in the 3x3.
        downsample: projection shortcut.
    """
    expansion = 4

    def __init__(
            self,
            inplanes: int,
            width1: int,
            width2: int,
            outplanes: int,
            groups: int,
            reduction: int,
            stride: int,
            stride_in_1x1: bool,
            downsample: Optional[nn.Module],
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, width1, 1, stride=stride if stride_in_1x1 else 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width1)
        self.conv2 = nn.Conv2d(width1, width2, 3, stride=1 if stride_in_1x1 else stride, padding=1, groups=groups,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(width2)
        self.conv3 = nn.Conv2d(width2, outplanes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(outplanes)
        self.relu = nn.ReLU(inplace=True)
        self.se_module = _se(outplanes, reduction)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(self.se_module(out) + shortcut)


class SEResNetBottleneck(_LegacyBottleneck):
    """SE-ResNet bottleneck, strided in the first 1x1 conv as in the Caffe original."""

    def __init__(self, inplanes: int, planes: int, groups: int, reduction: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None):
        super().__init__(inplanes, planes, planes, planes * self.expansion, groups, reduction, stride,
                         stride_in_1x1=True, downsample=downsample)


class SEResNeXtBottleneck(_LegacyBottleneck):
    """SE-ResNeXt bottleneck (type C): grouped 3x3 of `floor(planes * base_width / 64) * groups` channels."""

    def __init__(self, inplanes: int, planes: int, groups: int, reduction: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None, base_width: int = 4):
        width = math.floor(planes * (base_width / 64)) * groups
        super().__init__(inplanes, width, width, planes * self.expansion, groups, reduction, stride,
                         stride_in_1x1=False, downsample=downsample)


class SEBottleneck(_LegacyBottleneck):
    """SENet-154 bottleneck: 1x1 to 2x planes, grouped 3x3 to 4x planes, 1x1 keeping 4x planes."""

    def __init__(self, inplanes: int, planes: int, groups: int, reduction: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None):
        super().__init__(inplanes, planes * 2, planes * 4, planes * self.expansion, groups, reduction, stride,
                         stride_in_1x1=False, downsample=downsample)


LegacyBlock = Union[Type[SEResNetBlock], Type[_LegacyBottleneck]]


def _make_stem(in_chans: int, inplanes: int, input_3x3: bool) -> nn.Sequential:
    if input_3x3:
        widths = ((in_chans, 64, 2), (64, 64, 1), (64, inplanes, 1))
    else:
        widths = ((in_chans, inplanes, 2),)
    stem = nn.Sequential()
    for i, (cin, cout, stride) in enumerate(widths, start=1):
        kernel_size = 3 if input_3x3 else 7
        stem.add_module(f'conv{i}', nn.Conv2d(cin, cout, kernel_size, stride, kernel_size // 2, bias=False))
        stem.add_module(f'bn{i}', nn.BatchNorm2d(cout))
        stem.add_module(f'relu{i}', nn.ReLU(inplace=True))
    return stem


def make_stages(
        block: LegacyBlock,
        layers: Sequence[int],
        inplanes: int,
        groups: int,
        reduction: int,
        downsample_kernel_size: int = 1,
        downsample_padding: int = 0,
) -> Tuple[List[Tuple[str, nn.Module]], List[Dict[str, Any]]]:
    """Build `layer1..4` and their feature_info (strides 4..32)."""
    stages, feature_info = [], []
    for stage_idx, (planes, num_blocks) in enumerate(zip((64, 128, 256, 512), layers)):
        stride = 1 if stage_idx == 0 else 2
        outplanes = planes * block.expansion
        downsample = None
        if stride != 1 or inplanes != outplanes:
            # layer1's shortcut is always 1x1 (it does not downsample), later ones use the model's kernel
            k, p = (1, 0) if stage_idx == 0 else (downsample_kernel_size, downsample_padding)
            downsample = nn.Sequential(
                nn.Conv2d(inplanes, outplanes, k, stride=stride, padding=p, bias=False),
                nn.BatchNorm2d(outplanes),
            )
        blocks = [block(inplanes, planes, groups, reduction, stride, downsample)]
        blocks += [block(outplanes, planes, groups, reduction) for _ in range(1, num_blocks)]
        inplanes = outplanes
        name = f'layer{stage_idx + 1}'
        stages.append((name, nn.Sequential(*blocks)))
        feature_info.append(dict(num_chs=outplanes, reduction=4 * 2 ** stage_idx, module=name))
    return stages, feature_info


class SENet(ZooModel):
    """SE-ResNet / SE-ResNeXt / SENet-154 in the original layout.

    Args:
        block: SEResNetBlock, SEResNetBottleneck, SEResNeXtBottleneck or SEBottleneck.
        layers: blocks per stage.
        groups: groups of the 3x3 convs (1 for SE-ResNet, 32 for SE-ResNeXt, 64 for SENet-154).
        reduction: SE reduction ratio.
        drop_rate: dropout before the classifier.
        in_chans: input image channels.
        inplanes: stem output channels.
        input_3x3: three 3x3 convs in the stem instead of one 7x7.
        downsample_kernel_size: kernel of the projection shortcuts of layer2-4.
        downsample_padding: padding of those shortcuts.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' for unpooled maps (with num_classes=0).
    """
    # level 0 is the stem (before its pool), levels 1-4 the residual stages
    trunk = Trunk(levels=(('layer0',), ('pool0', 'layer1'), ('layer2',), ('layer3',), ('layer4',)))
    classifier_name = 'last_linear'
    groups = dict(stem=r'^layer0', blocks=r'^layer(\d+)\.(\d+)', coarse=r'^layer(\d+)')

    def __init__(
            self,
            block: LegacyBlock,
            layers: Sequence[int],
            groups: int,
            reduction: int,
            drop_rate: float = 0.2,
            in_chans: int = 3,
            inplanes: int = 64,
            input_3x3: bool = False,
            downsample_kernel_size: int = 1,
            downsample_padding: int = 0,
            num_classes: int = 1000,
            global_pool: str = 'avg',
    ):
        super().__init__()
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        self.layer0 = _make_stem(in_chans, inplanes, input_3x3)
        # ceil_mode instead of padding: the Caffe weights were trained with it
        self.pool0 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        stages, stage_info = make_stages(
            block, layers, inplanes, groups, reduction, downsample_kernel_size, downsample_padding)
        for name, stage in stages:
            self.add_module(name, stage)
        self.feature_info = [dict(num_chs=inplanes, reduction=2, module='layer0')] + stage_info
        self.num_features = self.head_hidden_size = stage_info[-1]['num_chs']
        self.global_pool, self.last_linear = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.init_weights()

    def init_weights(self) -> None:
        init_by_type_(self, [(nn.Conv2d, partial(he_normal_, zero_bias=False)), (nn.BatchNorm2d, reset_affine_)])

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool0(self.layer0(x))
        return run_sequence([self.layer1, self.layer2, self.layer3, self.layer4], x, self.grad_checkpointing)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self._pooled(x)
        return pooled if pre_logits else self.last_linear(pooled)


def _create_senet(variant: str, pretrained: bool = False, **kwargs) -> SENet:
    return build_model_with_cfg(SENet, variant, pretrained, **kwargs)


_RELEASES = 'https://github.com/rwightman/pytorch-image-models/releases/download/'


def _cfg(url: str, **kwargs) -> Dict[str, Any]:
    cfg = dict(url=_RELEASES + url, first_conv='layer0.conv1', classifier='last_linear', pool_size=(7, 7),
               interpolation='bilinear', crop_pct=0.875, license='apache-2.0', paper_ids='arXiv:1709.01507')
    cfg.update(kwargs)
    return cfg


# The original SENet weights (Cadene's port of the Caffe release) and Ross Wightman's retrained small variants, as
# GitHub release assets (timm does not mirror these on the Hub).
default_cfgs = generate_default_cfgs({
    'legacy_senet154.in1k': _cfg('v0.1-weights/legacy_senet154-e9eb9fe6.pth'),
    'legacy_seresnet18.in1k': _cfg('v0.1-weights/seresnet18-4bb0ce65.pth', interpolation='bicubic'),
    'legacy_seresnet34.in1k': _cfg('v0.1-weights/seresnet34-a4004e63.pth'),
    'legacy_seresnet50.in1k': _cfg('v0.1-cadene/se_resnet50-ce0d4300.pth'),
    'legacy_seresnet101.in1k': _cfg('v0.1-cadene/se_resnet101-7e38fcc6.pth'),
    'legacy_seresnet152.in1k': _cfg('v0.1-cadene/se_resnet152-d17c99b7.pth'),
    'legacy_seresnext26_32x4d.in1k': _cfg('v0.1-weights/seresnext26_32x4d-65ebdb501.pth', interpolation='bicubic'),
    'legacy_seresnext50_32x4d.in1k': _cfg('v0.1-weights/legacy_se_resnext50_32x4d-f3651bad.pth'),
    'legacy_seresnext101_32x4d.in1k': _cfg('v0.1-weights/legacy_se_resnext101_32x4d-37725eac.pth'),
})


def _senet(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> SENet:
    return _create_senet(variant, pretrained, **dict(model_args, **kwargs))


_SE = dict(groups=1, reduction=16)
_SEX = dict(groups=32, reduction=16)


@register_model
def legacy_seresnet18(pretrained: bool = False, **kwargs) -> SENet:
    return _senet('legacy_seresnet18', pretrained, dict(block=SEResNetBlock, layers=(2, 2, 2, 2), **_SE), kwargs)


@register_model
def legacy_seresnet34(pretrained: bool = False, **kwargs) -> SENet:
    return _senet('legacy_seresnet34', pretrained, dict(block=SEResNetBlock, layers=(3, 4, 6, 3), **_SE), kwargs)


@register_model
def legacy_seresnet50(pretrained: bool = False, **kwargs) -> SENet:
    return _senet('legacy_seresnet50', pretrained, dict(block=SEResNetBottleneck, layers=(3, 4, 6, 3), **_SE), kwargs)


@register_model
def legacy_seresnet101(pretrained: bool = False, **kwargs) -> SENet:
    return _senet('legacy_seresnet101', pretrained,
                  dict(block=SEResNetBottleneck, layers=(3, 4, 23, 3), **_SE), kwargs)


@register_model
def legacy_seresnet152(pretrained: bool = False, **kwargs) -> SENet:
    return _senet('legacy_seresnet152', pretrained,
                  dict(block=SEResNetBottleneck, layers=(3, 8, 36, 3), **_SE), kwargs)


@register_model
def legacy_senet154(pretrained: bool = False, **kwargs) -> SENet:
    """SENet-154: 64-group 2x-wide bottlenecks, deep stem, 3x3 shortcuts (the ILSVRC 2017 winning entry)."""
    return _senet('legacy_senet154', pretrained, dict(
        block=SEBottleneck, layers=(3, 8, 36, 3), groups=64, reduction=16, downsample_kernel_size=3,
        downsample_padding=1, inplanes=128, input_3x3=True), kwargs)


@register_model
def legacy_seresnext26_32x4d(pretrained: bool = False, **kwargs) -> SENet:
    return _senet('legacy_seresnext26_32x4d', pretrained,
                  dict(block=SEResNeXtBottleneck, layers=(2, 2, 2, 2), **_SEX), kwargs)


@register_model
def legacy_seresnext50_32x4d(pretrained: bool = False, **kwargs) -> SENet:
    return _senet('legacy_seresnext50_32x4d', pretrained,
                  dict(block=SEResNeXtBottleneck, layers=(3, 4, 6, 3), **_SEX), kwargs)


@register_model
def legacy_seresnext101_32x4d(pretrained: bool = False, **kwargs) -> SENet:
    return _senet('legacy_seresnext101_32x4d', pretrained,
                  dict(block=SEResNeXtBottleneck, layers=(3, 4, 23, 3), **_SEX), kwargs)


register_model_deprecations(__name__, {
    'seresnext26_32x4d': 'legacy_seresnext26_32x4d',
})
