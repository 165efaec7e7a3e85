"""Split-Attention convolution ("Splat") of ResNeSt.

From "ResNeSt: Split-Attention Networks", Zhang et al., 2020 (arXiv:2004.08955), section 3: a grouped conv produces
`radix` splits per cardinal group; a small two-layer gate computed from their pooled sum weighs the splits with a
softmax across the radix (a sigmoid when radix is 1) and the weighted splits are summed.
"""
from typing import Optional, Tuple, Type

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.activations import LayerType, get_act_layer
from zoo.layers.helpers import make_divisible

__all__ = ['SplitAttn', 'RadixSoftmax']


def splat_widths(in_chs: int, out_chs: int, radix: int, rd_ratio: float, rd_channels: Optional[int],
                 rd_divisor: int) -> Tuple[int, int]:
    """Channel widths of a split-attention conv.

    The split conv emits `out_chs` channels per radix split. The paper's gate bottleneck is
    `max(in_chs * radix / reduction, 32)` wide (section 3.2, reduction 4 in all released models), here rounded to a
    multiple of `rd_divisor`; an explicit `rd_channels` is given per split and scaled by the radix instead.

    Returns:
        (channels per split, gate bottleneck width)
    """
    if rd_channels is not None:
        return out_chs, rd_channels * radix
    return out_chs, make_divisible(in_chs * radix * rd_ratio, divisor=rd_divisor, min_value=32)


def _maybe(norm_layer: Optional[Type[nn.Module]], chs: int) -> nn.Module:
    return nn.Identity() if norm_layer is None else norm_layer(chs)


class RadixSoftmax(nn.Module):
    """Softmax over the radix splits within each cardinal group (sigmoid for radix 1).

    Args:
        radix: splits per group.
        cardinality: number of groups.
    """

    def __init__(self, radix: int, cardinality: int):
        super().__init__()
        self.radix = radix
        self.cardinality = cardinality

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.radix == 1:
            return torch.sigmoid(x)
        batch = x.size(0)
        # channels are laid out (cardinality, radix, width); the softmax runs across radix
        x = x.view(batch, self.cardinality, self.radix, -1).transpose(1, 2)
        return F.softmax(x, dim=1).reshape(batch, -1)


class SplitAttn(nn.Module):
    """Split-attention conv with keys `conv`, `bn0`, `fc1`, `bn1`, `fc2`.

    Args:
        in_channels: input channels.
        out_channels: output channels (default in_channels).
        kernel_size: kernel of the split conv.
        stride: stride of the split conv.
        padding: padding of the split conv (default kernel_size // 2).
        dilation: dilation of the split conv.
        groups: cardinality.
        bias: bias of the split conv.
        radix: splits per cardinal group.
        rd_ratio: width of the attention bottleneck relative to in_channels * radix.
        rd_channels: explicit attention width per radix (overrides rd_ratio).
        rd_divisor: the attention width is rounded to a multiple of this (at least 32).
        act_layer: activation.
        norm_layer: normalisation after the split conv and the first attention fc (None for none).
        drop_layer: constructor of a DropBlock-like layer after the split conv's norm.
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: Optional[int] = None,
            kernel_size: int = 3,
            stride: int = 1,
            padding: Optional[int] = None,
            dilation: int = 1,
            groups: int = 1,
            bias: bool = False,
            radix: int = 2,
            rd_ratio: float = 0.25,
            rd_channels: Optional[int] = None,
            rd_divisor: int = 8,
            act_layer: LayerType = nn.ReLU,
            norm_layer: Optional[Type[nn.Module]] = None,
            drop_layer: Optional[Type[nn.Module]] = None,
    ):
        super().__init__()
        act = get_act_layer(act_layer)
        width, gate_width = splat_widths(in_channels, out_channels or in_channels, radix, rd_ratio, rd_channels,
                                         rd_divisor)
        total = width * radix
        self.radix = radix
        # every radix split is its own set of `groups` filter groups, hence groups * radix in one conv
        self.conv = nn.Conv2d(in_channels, total, kernel_size, stride=stride, dilation=dilation,
                              padding=kernel_size // 2 if padding is None else padding, groups=groups * radix, bias=bias)
        self.bn0 = _maybe(norm_layer, total)
        self.drop = drop_layer() if drop_layer else nn.Identity()
        self.act0 = act(inplace=True)
        # the gate: pooled split-sum -> bottleneck (fc1/bn1/act1) -> per-split logits (fc2) -> radix softmax
        self.fc1 = nn.Conv2d(width, gate_width, kernel_size=1, groups=groups)
        self.bn1 = _maybe(norm_layer, gate_width)
        self.act1 = act(inplace=True)
        self.fc2 = nn.Conv2d(gate_width, total, kernel_size=1, groups=groups)
        self.rsoftmax = RadixSoftmax(radix, groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act0(self.drop(self.bn0(self.conv(x))))
        batch, rc, height, width = x.shape
        if self.radix > 1:
            x = x.reshape(batch, self.radix, rc // self.radix, height, width)
            gap = x.sum(dim=1)
        else:
            gap = x
        gap = self.act1(self.bn1(self.fc1(gap.mean((2, 3), keepdim=True))))
        attn = self.rsoftmax(self.fc2(gap)).view(batch, -1, 1, 1)
        if self.radix > 1:
            out = (x * attn.reshape(batch, self.radix, rc // self.radix, 1, 1)).sum(dim=1)
        else:
            out = x * attn
        return out.contiguous()
