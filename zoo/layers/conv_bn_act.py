"""Convolution followed by a fused norm + activation, the unit most CNN families are assembled from.

The state_dict layout is `conv.weight` then `bn.*` (the norm keeps the name `bn` whatever its type), which is the
layout timm's checkpoints of RegNet, CSPNet, VoVNet and others use.
"""
import functools
from typing import Optional, Type, Union

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType
from zoo.layers.anti_alias import create_aa
from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.evo_norm import EvoNorm2dS0, EvoNorm2dS0a
from zoo.layers.norm import LayerNorm2d
from zoo.layers.norm_act import BatchNormAct2d, GroupNormAct
from zoo.layers.norm_act_channel import LayerNormAct2d

__all__ = ['ConvNormAct', 'SeparableConvNormAct', 'get_norm_act_layer']

_NORM_ACT_BY_NAME = dict(batchnorm=BatchNormAct2d, batchnorm2d=BatchNormAct2d, groupnorm=GroupNormAct,
                         layernorm2d=LayerNormAct2d, evonorms0=EvoNorm2dS0, evonorms0a=EvoNorm2dS0a)
_NORM_ACT_BY_NORM = {nn.BatchNorm2d: BatchNormAct2d, nn.GroupNorm: GroupNormAct, LayerNorm2d: LayerNormAct2d}
# norms whose nonlinearity is part of the layer itself: there is no separate activation to bind
_OWN_ACT_NORMS = (EvoNorm2dS0, EvoNorm2dS0a)


def _base_type(layer: object) -> object:
    return layer.func if isinstance(layer, functools.partial) else layer


def _is_norm_act(layer: object) -> bool:
    base = _base_type(layer)
    return isinstance(base, type) and issubclass(base, (BatchNormAct2d, GroupNormAct, LayerNormAct2d) + _OWN_ACT_NORMS)


def get_norm_act_layer(
        norm_layer: Union[str, Type[nn.Module], functools.partial],
        act_layer: Optional[LayerType] = None,
) -> Type[nn.Module]:
    """Resolve a norm (name, plain norm class, or norm+act class) to a norm+act constructor taking `apply_act`.

    A plain norm (`nn.BatchNorm2d`, 'batchnorm') is mapped to its fused counterpart with `act_layer` bound; a
    constructor that is already fused (a BatchNormAct2d / GroupNormAct class or partial) is taken as given, and
    `act_layer` is bound only when the partial does not fix one itself. Norms with a built-in nonlinearity
    (EvoNorm) are returned as they are: their activation is not a separate layer.
    """
    if isinstance(norm_layer, str):
        key = norm_layer.lower().replace('_', '')
        if key not in _NORM_ACT_BY_NAME:
            raise ValueError(f'Unknown norm layer {norm_layer!r}; choose one of {sorted(_NORM_ACT_BY_NAME)}.')
        fused = _NORM_ACT_BY_NAME[key]
    elif _is_norm_act(norm_layer):
        fused = norm_layer
    elif norm_layer in _NORM_ACT_BY_NORM:
        fused = _NORM_ACT_BY_NORM[norm_layer]
    else:
        raise ValueError(f'Cannot fuse an activation into {norm_layer!r}; pass BatchNormAct2d-like layers.')
    if isinstance(fused, functools.partial) and 'act_layer' in fused.keywords:
        return fused
    if issubclass(_base_type(fused), _OWN_ACT_NORMS):
        return fused
    return functools.partial(fused, act_layer=act_layer)


class ConvNormAct(nn.Module):
    """Conv2d (no bias by default) -> norm -> activation, with an optional dropout-style layer after the norm.

    With `aa_layer` a strided conv runs at stride 1 and the anti-aliasing layer (`aa`, after the activation) does the
    downsampling ("Making Convolutional Networks Shift-Invariant Again", Zhang, 2019, arXiv:1904.11486).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: conv kernel size.
        stride: conv stride.
        padding: '' for symmetric padding from kernel/stride/dilation, 'same' for TF-style, or a number.
        dilation: conv dilation.
        groups: conv groups.
        bias: add a conv bias.
        apply_act: apply the activation after the norm.
        norm_layer: norm given by name, plain class, or fused norm+act class.
        act_layer: activation given by name or class.
        drop_layer: constructor of a layer applied between norm and activation (e.g. DropBlock).
        aa_layer: anti-aliased downsampling for stride > 1 ('avg', 'blur' or a class, see `create_aa`).
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel_size: int = 1,
            stride: int = 1,
            padding: Union[str, int] = '',
            dilation: int = 1,
            groups: int = 1,
            bias: bool = False,
            apply_act: bool = True,
            norm_layer: Union[str, Type[nn.Module], functools.partial] = nn.BatchNorm2d,
            act_layer: Optional[LayerType] = nn.ReLU,
            drop_layer: Optional[Type[nn.Module]] = None,
            aa_layer: Optional[LayerType] = None,
    ):
        super().__init__()
        use_aa = aa_layer is not None and stride > 1
        self.conv = create_conv2d(in_channels, out_channels, kernel_size, stride=1 if use_aa else stride,
                                  padding=padding, dilation=dilation, groups=groups, bias=bias)
        norm_act = get_norm_act_layer(norm_layer, act_layer)
        norm_kwargs = dict(drop_layer=drop_layer) if drop_layer is not None else {}
        self.bn = norm_act(out_channels, apply_act=apply_act, **norm_kwargs)
        self.aa = create_aa(aa_layer, out_channels, stride) if use_aa else None

    @property
    def in_channels(self) -> int:
        return self.conv.in_channels

    @property
    def out_channels(self) -> int:
        return self.conv.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return x if self.aa is None else self.aa(x)


class SeparableConvNormAct(nn.Module):
    """Depthwise kxk conv -> pointwise 1x1 conv -> norm + activation (keys `conv_dw`, `conv_pw`, `bn`).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: depthwise kernel size.
        stride: depthwise stride.
        dilation: depthwise dilation.
        padding: padding spec of both convs.
        bias: add a bias to the pointwise conv.
        channel_multiplier: depthwise output channels per input channel.
        norm_layer: norm given by name, plain class, or fused norm+act class.
        act_layer: activation given by name or class.
        apply_act: apply the activation after the norm.
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel_size: int = 3,
            stride: int = 1,
            dilation: int = 1,
            padding: Union[str, int] = '',
            bias: bool = False,
            channel_multiplier: float = 1.0,
            norm_layer: Union[str, Type[nn.Module], functools.partial] = nn.BatchNorm2d,
            act_layer: Optional[LayerType] = nn.ReLU,
            apply_act: bool = True,
    ):
        super().__init__()
        dw_channels = int(in_channels * channel_multiplier)
        self.conv_dw = create_conv2d(in_channels, dw_channels, kernel_size, stride=stride, dilation=dilation,
                                     padding=padding, depthwise=True)
        self.conv_pw = create_conv2d(dw_channels, out_channels, 1, padding=padding, bias=bias)
        self.bn = get_norm_act_layer(norm_layer, act_layer)(out_channels, apply_act=apply_act)

    @property
    def in_channels(self) -> int:
        return self.conv_dw.in_channels

    @property
    def out_channels(self) -> int:
        return self.conv_pw.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv_pw(self.conv_dw(x)))
