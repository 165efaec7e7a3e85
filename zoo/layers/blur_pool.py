"""Anti-aliased downsampling: blur with a fixed binomial filter, then subsample.

Paper: "Making Convolutional Networks Shift-Invariant Again", Zhang, 2019 (arXiv:1904.11486).
"""
from math import comb
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.padding import get_padding

__all__ = ['BlurPool2d']


def _binomial_filter_2d(filt_size: int) -> torch.Tensor:
    # row n of Pascal's triangle, normalised to sum 1, is the discrete approximation of a Gaussian the paper uses
    coeffs = torch.tensor([comb(filt_size - 1, k) for k in range(filt_size)], dtype=torch.float32)
    coeffs = coeffs / coeffs.sum()
    return coeffs[:, None] * coeffs[None, :]


class BlurPool2d(nn.Module):
    """Depthwise binomial blur followed by a strided subsample.

    The filter is a non-persistent buffer: it is fully determined by `filt_size`, so checkpoints do not carry it.

    Args:
        channels: input channels; None builds the filter per call for whatever channel count arrives.
        filt_size: side of the binomial filter (>= 2).
        stride: subsampling factor.
        pad_mode: `F.pad` mode used to keep the output size `ceil(in / stride)`; 'reflect' as in the paper.
    """

    def __init__(self, channels: Optional[int] = None, filt_size: int = 3, stride: int = 2, pad_mode: str = 'reflect'):
        super().__init__()
        if filt_size < 2:
            raise ValueError(f'BlurPool2d needs filt_size >= 2, got {filt_size}.')
        self.channels = channels
        self.filt_size = filt_size
        self.stride = stride
        self.pad_mode = pad_mode
        self.padding = [get_padding(filt_size, stride, dilation=1)] * 4
        filt = _binomial_filter_2d(filt_size)[None, None]
        if channels is not None:
            filt = filt.repeat(channels, 1, 1, 1)
        self.register_buffer('filt', filt, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1]
        weight = self.filt if self.channels is not None else self.filt.expand(channels, 1, -1, -1)
        x = F.pad(x, self.padding, mode=self.pad_mode)
        return F.conv2d(x, weight.to(x.dtype), stride=self.stride, groups=channels)

