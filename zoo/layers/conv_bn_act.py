"""Convolution followed by a fused norm + activation, the unit most CNN families are assembled from.

The state_dict layout is `conv.weight` then `bn.*` (the norm keeps the name `bn` whatever its type), which is the
layout timm's checkpoints of RegNet, CSPNet, VoVNet and others use.
"""
import functools
from typing import Optional, Type, Union

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType
from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.norm import LayerNorm2d
from zoo.layers.norm_act import BatchNormAct2d, GroupNormAct, LayerNormAct2d

__all__ = ['ConvNormAct', 'SeparableConvNormAct', 'get_norm_act_layer']

_NORM_ACT_BY_NAME = dict(batchnorm=BatchNormAct2d, batchnorm2d=BatchNormAct2d, groupnorm=GroupNormAct,
                         layernorm2d=LayerNormAct2d)
_NORM_ACT_BY_NORM = {nn.BatchNorm2d: BatchNormAct2d, nn.GroupNorm: GroupNormAct, LayerNorm2d: LayerNormAct2d}


def _is_norm_act(layer: object) -> bool:
    base = layer.func if isinstance(layer, functools.partial) else layer
    return isinstance(base, type) and issubclass(base, (BatchNormAct2d, GroupNormAct, LayerNormAct2d))


def get_norm_act_layer(
        norm_layer: Union[str, Type[nn.Module], functools.partial],
        act_layer: Optional[LayerType] = None,
) -> Type[nn.Module]:
    """Resolve a norm (name, plain norm class, or norm+act class) to a norm+act constructor taking `apply_act`.

    A plain norm (`nn.BatchNorm2d`, 'batchnorm') is mapped to its fused counterpart with `act_layer` bound; a
    constructor that is already fused (a BatchNormAct2d / GroupNormAct class or partial) is taken as given, and
    `act_layer` is bound only when the partial does not fix one itself.
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
    return functools.partial(fused, act_layer=act_layer)


class ConvNormAct(nn.Module):
    """Conv2d (no bias by default) -> norm -> activation, with an optional dropout-style layer after the norm.

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
    ):
        super().__init__()
        self.conv = create_conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                                  dilation=dilation, groups=groups, bias=bias)
        norm_act = get_norm_act_layer(norm_layer, act_layer)
        norm_kwargs = dict(drop_layer=drop_layer) if drop_layer is not None else {}
        self.bn = norm_act(out_channels, apply_act=apply_act, **norm_kwargs)

    @property
    def in_channels(self) -> int:
        return self.conv.in_channels

    @property
    def out_channels(self) -> int:
        return self.conv.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


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
