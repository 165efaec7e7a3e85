"""Weight-standardised convolutions: every output filter is normalised to zero mean and unit variance.

"Micro-Batch Training with Batch-Channel Normalization and Weight Standardization", Qiao et al., 2019
(arXiv:1903.10520). Big Transfer (BiT, Kolesnikov et al., 2019, arXiv:1912.11370) pairs it with GroupNorm so
pre-activation ResNets train without batch statistics. The standardisation uses the biased variance over
(in_channels, kh, kw) with `eps` inside the square root; BiT checkpoints use eps=1e-8.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.padding import get_padding, get_padding_value, pad_same

__all__ = ['StdConv2d', 'StdConv2dSame', 'standardize_weight']

SizeT = Union[int, Tuple[int, int]]


def standardize_weight(weight: torch.Tensor, eps: float) -> torch.Tensor:
    """(w - mean) / sqrt(var + eps) per output filter of a conv kernel (O, I, kh, kw)."""
    # viewed as a (1, O, I*kh*kw) batch, each filter is one "channel" of a training-mode batch norm without affine
    # parameters, whose fused kernel computes exactly this standardisation in one pass (several times faster than
    # an explicit var_mean / subtract / rsqrt chain on CPU)
    flat = weight.reshape(1, weight.shape[0], -1)
    return F.batch_norm(flat, None, None, training=True, momentum=0., eps=eps).reshape_as(weight)


class StdConv2d(nn.Conv2d):
    """Conv2d whose kernel is weight-standardised on every forward.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: kernel size.
        stride: stride.
        padding: explicit padding; None pads symmetrically for the kernel, stride and dilation.
        dilation: dilation.
        groups: groups.
        bias: add a bias.
        eps: added to the filter variance.
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel_size: int,
            stride: int = 1,
            padding: Optional[int] = None,
            dilation: int = 1,
            groups: int = 1,
            bias: bool = False,
            eps: float = 1e-6,
    ):
        if padding is None:
            padding = get_padding(kernel_size, stride, dilation)
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         groups=groups, bias=bias)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = standardize_weight(self.weight, self.eps)
        return F.conv2d(x, weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class StdConv2dSame(StdConv2d):
    """`StdConv2d` with TensorFlow 'SAME' padding: static when stride 1 allows it, computed per input otherwise.

    The ViT-hybrid ResNet stems were trained in JAX with 'SAME' padding, so their strided convs pad asymmetrically.
    Arguments as for `StdConv2d`, with `padding` a spec ('same', 'valid', '' or a number).
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel_size: int,
            stride: int = 1,
            padding: Union[str, int] = 'same',
            dilation: int = 1,
            groups: int = 1,
            bias: bool = False,
            eps: float = 1e-6,
    ):
        padding, same_pad = get_padding_value(padding, kernel_size, stride=stride, dilation=dilation)
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         groups=groups, bias=bias, eps=eps)
        self.same_pad = same_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.same_pad:
            x = pad_same(x, self.kernel_size, self.stride, self.dilation)
        return super().forward(x)
