"""Selective Kernel ResNets (SKNet): ResNet blocks whose 3x3 conv is a Selective Kernel conv.

Paper: "Selective Kernel Networks", Li et al., 2019 (arXiv:1903.06586); `skresnext50_32x4d` is the paper's SKNet-50.
The other variants follow timm's weights rather than the paper: they split the input channels between the SK paths
(see zoo.layers.selective_kernel) to keep the parameter count close to the plain ResNet's, and the 5x5 path is a
dilated 3x3 everywhere. The network around the blocks is zoo's ResNet (`skresnet50d` with ResNet-D's deep stem and
average-pool shortcuts, He et al., 2018, arXiv:1812.01187); blocks keep timm's `conv1/conv2(/conv3)` ConvNormAct
layout (`convN.conv`, `convN.bn`).
"""
import math
from typing import Any, Callable, Dict, Optional, Type

import torch
import torch.nn as nn

from zoo.layers import LayerType, create_attn
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.selective_kernel import SelectiveKernel
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.resnet import ResNet

__all__ = ['SelectiveKernelBasic', 'SelectiveKernelBottleneck']


class _SkBlockBase(nn.Module):
    """Shared residual tail: optional attention and stochastic depth, then shortcut sum and activation."""

    def _init_tail(self, outplanes: int, attn_layer: Optional[LayerType], act_layer: Type[nn.Module],
                   downsample: Optional[nn.Module], drop_path: Optional[nn.Module]) -> None:
        self.se = create_attn(attn_layer, outplanes)
        self.act = act_layer(inplace=True)
        self.downsample = downsample
        self.drop_path = drop_path

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self._residual(x)
        if self.se is not None:
            out = self.se(out)
        if self.drop_path is not None:
            out = self.drop_path(out)
        shortcut = self.downsample(x) if self.downsample is not None else x
        return self.act(out + shortcut)


class SelectiveKernelBasic(_SkBlockBase):
    """Basic block with the first 3x3 replaced by a Selective Kernel conv.

    Args:
        inplanes: input channels.
        planes: output channels.
        stride: stride of the SK conv.
        downsample: projection shortcut.
        cardinality: must be 1.
        base_width: must be 64.
        sk_kwargs: extra SelectiveKernel arguments (rd_ratio, rd_divisor, split_input, ...).
        reduce_first: width divisor of the first conv.
        dilation: dilation of the second conv.
        first_dilation: dilation of the SK conv.
        act_layer: activation class.
        norm_layer: norm class.
        attn_layer: optional channel attention.
        drop_block: factory of a DropBlock layer after the SK conv's norms.
        drop_path: stochastic depth on the residual branch.
    """
    expansion = 1

    def __init__(
            self,
            inplanes: int,
            planes: int,
            stride: int = 1,
            downsample: Optional[nn.Module] = None,
            cardinality: int = 1,
            base_width: int = 64,
            sk_kwargs: Optional[Dict[str, Any]] = None,
            reduce_first: int = 1,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.ReLU,
            norm_layer: Type[nn.Module] = nn.BatchNorm2d,
            attn_layer: Optional[LayerType] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path: Optional[nn.Module] = None,
    ):
        super().__init__()
        if cardinality != 1 or base_width != 64:
            raise ValueError('SelectiveKernelBasic supports only cardinality=1 and base_width=64.')
        first_planes = planes // reduce_first
        outplanes = planes * self.expansion
        self.conv1 = SelectiveKernel(
            inplanes, first_planes, stride=stride, dilation=first_dilation or dilation, act_layer=act_layer,
            norm_layer=norm_layer, drop_layer=drop_block, **(sk_kwargs or {}))
        self.conv2 = ConvNormAct(first_planes, outplanes, kernel_size=3, dilation=dilation, apply_act=False,
                                 act_layer=act_layer, norm_layer=norm_layer)
        self._init_tail(outplanes, attn_layer, act_layer, downsample, drop_path)

    def zero_init_last(self) -> None:
        if getattr(self.conv2.bn, 'weight', None) is not None:
            nn.init.zeros_(self.conv2.bn.weight)

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class SelectiveKernelBottleneck(_SkBlockBase):
    """Bottleneck with the 3x3 replaced by a (grouped) Selective Kernel conv.

    Args:
        inplanes: input channels.
        planes: bottleneck planes (output is `planes * 4`).
        stride: stride of the SK conv.
        downsample: projection shortcut.
        cardinality: groups of the SK conv paths (ResNeXt).
        base_width: per-group width factor.
        sk_kwargs: extra SelectiveKernel arguments.
        reduce_first: width divisor of the first conv.
        dilation: dilation after the first block of a dilated stage.
        first_dilation: dilation of this block's SK conv.
        act_layer: activation class.
        norm_layer: norm class.
        attn_layer: optional channel attention.
        drop_block: factory of a DropBlock layer after the SK conv's norms.
        drop_path: stochastic depth on the residual branch.
    """
    expansion = 4

    def __init__(
            self,
            inplanes: int,
            planes: int,
            stride: int = 1,
            downsample: Optional[nn.Module] = None,
            cardinality: int = 1,
            base_width: int = 64,
            sk_kwargs: Optional[Dict[str, Any]] = None,
            reduce_first: int = 1,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.ReLU,
            norm_layer: Type[nn.Module] = nn.BatchNorm2d,
            attn_layer: Optional[LayerType] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path: Optional[nn.Module] = None,
    ):
        super().__init__()
        width = int(math.floor(planes * (base_width / 64)) * cardinality)
        first_planes = width // reduce_first
        outplanes = planes * self.expansion
        self.conv1 = ConvNormAct(inplanes, first_planes, kernel_size=1, act_layer=act_layer, norm_layer=norm_layer)
        self.conv2 = SelectiveKernel(
            first_planes, width, stride=stride, dilation=first_dilation or dilation, groups=cardinality,
            act_layer=act_layer, norm_layer=norm_layer, drop_layer=drop_block, **(sk_kwargs or {}))
        self.conv3 = ConvNormAct(width, outplanes, kernel_size=1, apply_act=False, act_layer=act_layer,
                                 norm_layer=norm_layer)
        self._init_tail(outplanes, attn_layer, act_layer, downsample, drop_path)

    def zero_init_last(self) -> None:
        if getattr(self.conv3.bn, 'weight', None) is not None:
            nn.init.zeros_(self.conv3.bn.weight)

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(self.conv2(self.conv1(x)))


def _create_skresnet(variant: str, pretrained: bool = False, **kwargs) -> ResNet:
    return build_model_with_cfg(ResNet, variant, pretrained, **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='conv1', classifier='fc', pool_size=(7, 7), interpolation='bicubic',
               crop_pct=0.875, license='apache-2.0', paper_ids='arXiv:1903.06586')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'skresnet18.ra_in1k': _cfg(),
    'skresnet34.ra_in1k': _cfg(),
    'skresnet50.untrained': _cfg(hf_hub_id=None),
    'skresnet50d.untrained': _cfg(hf_hub_id=None, first_conv='conv1.0'),
    'skresnext50_32x4d.ra_in1k': _cfg(),
})


def _skresnet(variant: str, pretrained: bool, model_args: Dict[str, Any], sk_kwargs: Dict[str, Any],
              kwargs: Dict[str, Any]) -> ResNet:
    # timm trained these without zero-initialised last norms
    args = dict(model_args, block_args=dict(sk_kwargs=sk_kwargs), zero_init_last=False)
    return _create_skresnet(variant, pretrained, **dict(args, **kwargs))


# SK attention widths of the published weights
_SK_BASIC = dict(rd_ratio=1 / 8, rd_divisor=16, split_input=True)
_SK_SPLIT = dict(split_input=True)


@register_model
def skresnet18(pretrained: bool = False, **kwargs) -> ResNet:
    """SK-ResNet-18 (input split across the SK paths)."""
    return _skresnet('skresnet18', pretrained, dict(block=SelectiveKernelBasic, layers=(2, 2, 2, 2)), _SK_BASIC,
                     kwargs)


@register_model
def skresnet34(pretrained: bool = False, **kwargs) -> ResNet:
    """SK-ResNet-34 (input split across the SK paths)."""
    return _skresnet('skresnet34', pretrained, dict(block=SelectiveKernelBasic, layers=(3, 4, 6, 3)), _SK_BASIC,
                     kwargs)


@register_model
def skresnet50(pretrained: bool = False, **kwargs) -> ResNet:
    """SK-ResNet-50 (input split across the SK paths)."""
    return _skresnet('skresnet50', pretrained, dict(block=SelectiveKernelBottleneck, layers=(3, 4, 6, 3)),
                     _SK_SPLIT, kwargs)


@register_model
def skresnet50d(pretrained: bool = False, **kwargs) -> ResNet:
    """SK-ResNet-50-D: deep stem and average-pool shortcuts."""
    return _skresnet('skresnet50d', pretrained, dict(
        block=SelectiveKernelBottleneck, layers=(3, 4, 6, 3), stem_type='deep', stem_width=32, avg_down=True),
        _SK_SPLIT, kwargs)


@register_model
def skresnext50_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    """SKNet-50 of the paper: ResNeXt-50 32x4d with SK convs over the full input."""
    return _skresnet('skresnext50_32x4d', pretrained, dict(
        block=SelectiveKernelBottleneck, layers=(3, 4, 6, 3), cardinality=32, base_width=4),
        dict(rd_ratio=1 / 16, rd_divisor=32, split_input=False), kwargs)
