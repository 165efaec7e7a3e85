"""Mixed depthwise convolution: channel groups convolved with different kernel sizes, then concatenated.

Paper: "MixConv: Mixed Depthwise Convolutional Kernels", Tan & Le, 2019 (arXiv:1907.09595).
"""
from typing import List, Sequence, Union

import torch
import torch.nn as nn

from zoo.layers.conv2d_same import create_conv2d_pad

__all__ = ['MixedConv2d', 'split_channels']


def split_channels(channels: int, num_splits: int) -> List[int]:
    """Near-equal channel split; the remainder goes to the first split (as in the MixNet reference code)."""
    splits = [channels // num_splits] * num_splits
    splits[0] += channels - sum(splits)
    return splits


class MixedConv2d(nn.ModuleDict):
    """One conv per kernel size over its own slice of channels; children are named '0', '1', ...

    With `depthwise=True` each child is depthwise over its slice; otherwise a list of 1x1 kernels makes this a
    grouped pointwise conv (MixNet's `a1.1` / `p1.1` expansion and projection).
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel_size: Union[int, Sequence[int]] = 3,
            stride: int = 1,
            padding: Union[str, int] = '',
            dilation: int = 1,
            depthwise: bool = False,
            bias: bool = False,
    ):
        super().__init__()
        kernel_sizes = list(kernel_size) if isinstance(kernel_size, (list, tuple)) else [kernel_size]
        in_splits = split_channels(in_channels, len(kernel_sizes))
        out_splits = split_channels(out_channels, len(kernel_sizes))
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.splits = in_splits
        for idx, (k, in_ch, out_ch) in enumerate(zip(kernel_sizes, in_splits, out_splits)):
            self.add_module(str(idx), create_conv2d_pad(
                in_ch, out_ch, k, stride=stride, padding=padding, dilation=dilation,
                groups=in_ch if depthwise else 1, bias=bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(x, self.splits, dim=1)
        return torch.cat([conv(part) for conv, part in zip(self.values(), parts)], dim=1)
