"""Bilinear Attentional Transforms (BAT): non-local interaction through small row and column mixing matrices.

Paper: "Non-Local Neural Networks With Grouped Bilinear Attentional Transforms", Chi et al., CVPR 2020. Instead of a
full HW x HW attention map, each channel group predicts a (k x k) row matrix P and column matrix Q from max-pooled
row / column profiles; the feature map, seen as k x k blocks of (H/k) x (W/k) pixels, is mixed as P X Q. Entry (i, j)
of P moves block-row j into block-row i with the same offset inside the block (P acts as P kron I), so the transform
costs O(k HW) per channel rather than O((HW)^2).
"""
from functools import partial
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.activations import LayerType
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.helpers import make_divisible

__all__ = ['BilinearAttnTransform', 'BatNonLocalAttn']


class BilinearAttnTransform(nn.Module):
    """The grouped bilinear transform P X Q followed by a 1x1 conv.

    Args:
        in_channels: channels of the map (a multiple of `groups`).
        block_size: k, the side of the mixing matrices; H and W must be multiples of it.
        groups: channel groups, each with its own P and Q.
        act_layer: activation of the convs.
        norm_layer: norm of the convs.
    """

    def __init__(
            self,
            in_channels: int,
            block_size: int,
            groups: int,
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
    ):
        super().__init__()
        if in_channels % groups:
            raise ValueError(f'BilinearAttnTransform: {in_channels} channels do not split into {groups} groups.')
        self.block_size = block_size
        self.groups = groups
        self.conv1 = ConvNormAct(in_channels, groups, 1, act_layer=act_layer, norm_layer=norm_layer)
        # one (k x k) matrix per group, predicted from a k-long row (column) profile of that group's map
        self.conv_p = nn.Conv2d(groups, block_size * block_size * groups, kernel_size=(block_size, 1))
        self.conv_q = nn.Conv2d(groups, block_size * block_size * groups, kernel_size=(1, block_size))
        self.conv2 = ConvNormAct(in_channels, in_channels, 1, act_layer=act_layer, norm_layer=norm_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        k, g = self.block_size, self.groups
        if h % k or w % k:
            raise ValueError(f'BilinearAttnTransform needs maps whose sides are multiples of block_size={k}, got '
                             f'{h}x{w}; use an input size that keeps every stage divisible (e.g. 256 for k=8).')
        y = self.conv1(x)
        p = self.conv_p(F.adaptive_max_pool2d(y, (k, 1))).reshape(b, g, k, k).sigmoid()
        q = self.conv_q(F.adaptive_max_pool2d(y, (1, k))).reshape(b, g, k, k).sigmoid()
        p = p / p.sum(dim=3, keepdim=True)  # rows of P and columns of Q are convex combinations
        q = q / q.sum(dim=2, keepdim=True)
        # rows as (block-row j, offset a), columns as (block-column u, offset d); a group's channels share its P and Q
        x = x.reshape(b, g, c // g, k, h // k, k, w // k)
        x = torch.einsum('bgij,bgcjaud,bgux->bgciaxd', p, x, q)
        return self.conv2(x.reshape(b, c, h, w))


class BatNonLocalAttn(nn.Module):
    """BAT block: 1x1 reduce -> bilinear transform -> 1x1 expand -> dropout, added to the input.

    Args:
        in_channels: input (and output) channels.
        block_size: side of the mixing matrices (feature maps must be multiples of it).
        groups: channel groups of the transform.
        rd_ratio: reduced width relative to `in_channels`.
        rd_channels: explicit reduced width.
        rd_divisor: rounding of the reduced width.
        drop_rate: channel dropout on the transformed branch.
        act_layer: activation of the convs.
        norm_layer: norm of the convs.
    """

    def __init__(
            self,
            in_channels: int,
            block_size: int = 7,
            groups: int = 2,
            rd_ratio: float = 0.25,
            rd_channels: Optional[int] = None,
            rd_divisor: int = 8,
            drop_rate: float = 0.2,
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
    ):
        super().__init__()
        if rd_channels is None:
            rd_channels = make_divisible(in_channels * rd_ratio, divisor=rd_divisor)
        # the two 1x1 projections around the transform differ only in direction
        project = partial(ConvNormAct, kernel_size=1, act_layer=act_layer, norm_layer=norm_layer)
        self.conv1 = project(in_channels, rd_channels)
        self.ba = BilinearAttnTransform(rd_channels, block_size, groups, act_layer=act_layer, norm_layer=norm_layer)
        self.conv2 = project(rd_channels, in_channels)
        self.dropout = nn.Dropout2d(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.dropout(self.conv2(self.ba(self.conv1(x))))
