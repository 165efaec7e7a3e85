"""Blocks shared by the EfficientNet / MobileNet families (MBConv and relatives).

Every block takes `norm_layer` as a norm+activation factory called as `norm_layer(chs, act_layer=..., apply_act=...)`
(e.g. `BatchNormAct2d` with the family's eps / momentum bound), so the activation lives inside the norm module and
parameter names stay those of the published checkpoints (`bn1.weight`, `bn1.running_mean`, ...).
"""
from typing import Callable, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath, LayerType, create_act_layer, create_conv2d_pad, make_divisible
from zoo.layers.cond_conv2d import CondConv2d
from zoo.layers.mixed_conv2d import MixedConv2d

__all__ = [
    'KernelSize', 'SqueezeExcite', 'ConvBnAct', 'DepthwiseSeparableConv', 'InvertedResidual', 'CondConvResidual',
    'EdgeResidual', 'create_block_conv', 'groups_for',
]

# an int kernel, or a list of kernels for a MixConv (MixNet)
KernelSize = Union[int, List[int]]
NormActFactory = Callable[..., nn.Module]


def groups_for(group_size: Optional[int], channels: int) -> int:
    """Conv groups for a per-group channel count: 0 / None is a dense conv, 1 is depthwise."""
    if not group_size:
        return 1
    if channels % group_size:
        raise ValueError(f'{channels} channels cannot be split into groups of {group_size}.')
    return channels // group_size


def create_block_conv(
        in_chs: int,
        out_chs: int,
        kernel_size: KernelSize,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        padding: Union[str, int] = '',
        bias: bool = False,
) -> nn.Module:
    """A plain conv (with '' / 'same' padding), or a MixedConv2d when `kernel_size` lists several kernels."""
    if isinstance(kernel_size, (list, tuple)):
        if groups not in (1, in_chs):
            raise ValueError('MixedConv2d supports only dense (groups=1) or depthwise convs.')
        return MixedConv2d(in_chs, out_chs, list(kernel_size), stride=stride, padding=padding, dilation=dilation,
                           depthwise=groups == in_chs and groups > 1, bias=bias)
    return create_conv2d_pad(in_chs, out_chs, kernel_size, stride=stride, dilation=dilation, groups=groups,
                             padding=padding, bias=bias)


def _drop_path(rate: float) -> nn.Module:
    return DropPath(rate) if rate > 0. else nn.Identity()


class SqueezeExcite(nn.Module):
    """Squeeze-and-Excitation with the options the mobile families need.

    Args:
        in_chs: channels gated by the block.
        rd_ratio: reduced channels relative to `in_chs` (the builder rescales it when the ratio is defined
            relative to the block input rather than the expanded width).
        rd_channels: explicit reduced width, overriding `rd_ratio`.
        act_layer: activation between the two 1x1 convs (defaults to the block's).
        gate_layer: gating nonlinearity ('sigmoid', or 'hard_sigmoid' for MobileNetV3).
        force_act_layer: activation used regardless of the block's (MobileNetV3 always uses ReLU here).
        rd_round_fn: rounding of the reduced width; plain `round` for EfficientNet, `make_divisible` for MNV3.
    """

    def __init__(
            self,
            in_chs: int,
            rd_ratio: float = 0.25,
            rd_channels: Optional[int] = None,
            act_layer: LayerType = nn.ReLU,
            gate_layer: LayerType = 'sigmoid',
            force_act_layer: Optional[LayerType] = None,
            rd_round_fn: Optional[Callable[[float], int]] = None,
    ):
        super().__init__()
        if rd_channels is None:
            rd_channels = (rd_round_fn or round)(in_chs * rd_ratio)
        self.conv_reduce = nn.Conv2d(in_chs, rd_channels, 1, bias=True)
        self.act1 = create_act_layer(force_act_layer or act_layer, inplace=True)
        self.conv_expand = nn.Conv2d(rd_channels, in_chs, 1, bias=True)
        self.gate = create_act_layer(gate_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.conv_expand(self.act1(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return x * self.gate(s)


class ConvBnAct(nn.Module):
    """Conv -> norm+act, with an optional residual (`cn` in architecture strings)."""

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 0,
            pad_type: str = '',
            skip: bool = False,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        self.has_skip = skip and stride == 1 and in_chs == out_chs
        self.conv = create_block_conv(in_chs, out_chs, kernel_size, stride, dilation, groups_for(group_size, in_chs),
                                      pad_type)
        self.bn1 = norm_layer(out_chs, act_layer=act_layer, inplace=True)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn1(self.conv(x))
        return self.drop_path(out) + x if self.has_skip else out


class DepthwiseSeparableConv(nn.Module):
    """Depthwise conv -> (SE) -> pointwise conv: MobileNetV1's block, and MBConv with expansion 1 (`ds` / `dsa`).

    `pw_act` (the `dsa` form) puts an activation after the pointwise conv and never adds a residual.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dw_kernel_size: KernelSize = 3,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 1,
            pad_type: str = '',
            noskip: bool = False,
            pw_kernel_size: KernelSize = 1,
            pw_act: bool = False,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        self.has_skip = stride == 1 and in_chs == out_chs and not noskip
        self.conv_dw = create_block_conv(in_chs, in_chs, dw_kernel_size, stride, dilation,
                                         groups_for(group_size, in_chs), pad_type)
        self.bn1 = norm_layer(in_chs, act_layer=act_layer, inplace=True)
        self.se = se_layer(in_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.conv_pw = create_block_conv(in_chs, out_chs, pw_kernel_size, padding=pad_type)
        self.bn2 = norm_layer(out_chs, act_layer=act_layer, apply_act=pw_act, inplace=True)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.se(self.bn1(self.conv_dw(x)))
        out = self.bn2(self.conv_pw(out))
        return self.drop_path(out) + x if self.has_skip else out


class InvertedResidual(nn.Module):
    """MBConv: 1x1 expand -> depthwise -> (SE) -> 1x1 linear projection, residual when shapes allow (`ir`).

    Introduced by MobileNetV2 (arXiv:1801.04381); with SE it is the block of MnasNet, EfficientNet and MobileNetV3.
    Kernel lists turn the depthwise conv into a MixConv and the 1x1 convs into grouped ones (MixNet).
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dw_kernel_size: KernelSize = 3,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 1,
            pad_type: str = '',
            noskip: bool = False,
            exp_ratio: float = 1.0,
            exp_kernel_size: KernelSize = 1,
            pw_kernel_size: KernelSize = 1,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        mid_chs = make_divisible(in_chs * exp_ratio)
        self.has_skip = in_chs == out_chs and stride == 1 and not noskip
        self.conv_pw = create_block_conv(in_chs, mid_chs, exp_kernel_size, padding=pad_type)
        self.bn1 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.conv_dw = create_block_conv(mid_chs, mid_chs, dw_kernel_size, stride, dilation,
                                         groups_for(group_size, mid_chs), pad_type)
        self.bn2 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.se = se_layer(mid_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.conv_pwl = create_block_conv(mid_chs, out_chs, pw_kernel_size, padding=pad_type)
        self.bn3 = norm_layer(out_chs, act_layer=act_layer, apply_act=False)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn1(self.conv_pw(x))
        out = self.se(self.bn2(self.conv_dw(out)))
        out = self.bn3(self.conv_pwl(out))
        return self.drop_path(out) + x if self.has_skip else out


class CondConvResidual(nn.Module):
    """MBConv whose three convs are CondConvs sharing one routing: sigmoid(linear(global average of the input)).

    Paper: "CondConv: Conditionally Parameterized Convolutions for Efficient Inference", Yang et al., 2019
    (arXiv:1904.04971). Used by the EfficientNet-CondConv variants (`ir_..._cc4` in architecture strings).
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dw_kernel_size: int = 3,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 1,
            pad_type: str = '',
            noskip: bool = False,
            exp_ratio: float = 1.0,
            exp_kernel_size: int = 1,
            pw_kernel_size: int = 1,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            num_experts: int = 4,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        mid_chs = make_divisible(in_chs * exp_ratio)
        self.has_skip = in_chs == out_chs and stride == 1 and not noskip
        self.conv_pw = CondConv2d(in_chs, mid_chs, exp_kernel_size, padding=pad_type, num_experts=num_experts)
        self.bn1 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.conv_dw = CondConv2d(mid_chs, mid_chs, dw_kernel_size, stride, pad_type, dilation,
                                  groups=groups_for(group_size, mid_chs), num_experts=num_experts)
        self.bn2 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.se = se_layer(mid_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.conv_pwl = CondConv2d(mid_chs, out_chs, pw_kernel_size, padding=pad_type, num_experts=num_experts)
        self.bn3 = norm_layer(out_chs, act_layer=act_layer, apply_act=False)
        self.routing_fn = nn.Linear(in_chs, num_experts)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        routing = torch.sigmoid(self.routing_fn(F.adaptive_avg_pool2d(x, 1).flatten(1)))
        out = self.bn1(self.conv_pw(x, routing))
        out = self.se(self.bn2(self.conv_dw(out, routing)))
        out = self.bn3(self.conv_pwl(out, routing))
        return self.drop_path(out) + x if self.has_skip else out


class EdgeResidual(nn.Module):
    """Fused MBConv: one full kxk expansion conv -> (SE) -> 1x1 linear projection (`er`).

    From EfficientNet-EdgeTPU (Google AI blog, 2019); called FusedMBConv in EfficientNetV2 (arXiv:2104.00298).
    `force_in_chs` sizes the expansion from a width other than the input's, a quirk of the TF EdgeTPU definition.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            exp_kernel_size: KernelSize = 3,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 0,
            pad_type: str = '',
            force_in_chs: int = 0,
            noskip: bool = False,
            exp_ratio: float = 1.0,
            pw_kernel_size: KernelSize = 1,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        mid_chs = make_divisible((force_in_chs or in_chs) * exp_ratio)
        self.has_skip = in_chs == out_chs and stride == 1 and not noskip
        # groups are counted on the expanded width, as in the TF EdgeTPU-v2 definition
        self.conv_exp = create_block_conv(in_chs, mid_chs, exp_kernel_size, stride, dilation,
                                          groups_for(group_size, mid_chs), pad_type)
        self.bn1 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.se = se_layer(mid_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.conv_pwl = create_block_conv(mid_chs, out_chs, pw_kernel_size, padding=pad_type)
        self.bn2 = norm_layer(out_chs, act_layer=act_layer, apply_act=False)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.se(self.bn1(self.conv_exp(x)))
        out = self.bn2(self.conv_pwl(out))
        return self.drop_path(out) + x if self.has_skip else out
