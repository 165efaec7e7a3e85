"""Conditionally parameterised convolution: a per-example kernel mixed from a bank of expert kernels.

Paper: "CondConv: Conditionally Parameterized Convolutions for Efficient Inference", Yang et al., 2019
(arXiv:1904.04971).
"""
import math
from typing import Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.helpers import to_2tuple
from zoo.layers.padding import get_padding_value, pad_same, pad_same_traceable, use_traceable_pad

__all__ = ['CondConv2d']


class CondConv2d(nn.Module):
    """Conv2d whose kernel is `routing_weights @ experts`, computed separately for every example.

    Experts are stored flattened, `weight` of shape (num_experts, out * in / groups * kh * kw), the layout of the
    TF reference and of timm's checkpoints. All examples run as one grouped conv (batch folded into groups), which
    is much faster than a Python loop over the batch.
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel_size: Union[int, Tuple[int, int]] = 3,
            stride: Union[int, Tuple[int, int]] = 1,
            padding: Union[str, int] = '',
            dilation: Union[int, Tuple[int, int]] = 1,
            groups: int = 1,
            bias: bool = False,
            num_experts: int = 4,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = to_2tuple(kernel_size)
        self.stride = to_2tuple(stride)
        self.dilation = to_2tuple(dilation)
        self.groups = groups
        self.num_experts = num_experts
        pad, self.dynamic_padding = get_padding_value(padding, kernel_size, stride=stride, dilation=dilation)
        self.traceable_pad = use_traceable_pad()  # see Conv2dSame
        self.padding = to_2tuple(pad)
        self.weight_shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = nn.Parameter(torch.empty(num_experts, math.prod(self.weight_shape)))
        self.bias = nn.Parameter(torch.empty(num_experts, out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # each expert gets the init a plain conv of the same shape would get
        for expert in self.weight.data.view(self.num_experts, *self.weight_shape):
            nn.init.kaiming_uniform_(expert, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(math.prod(self.weight_shape[1:]))
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor, routing_weights: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        weight = (routing_weights @ self.weight).view(b * self.out_channels, *self.weight_shape[1:])
        bias = (routing_weights @ self.bias).view(-1) if self.bias is not None else None
        x = x.reshape(1, b * c, h, w)
        if self.dynamic_padding:
            pad = pad_same_traceable if self.traceable_pad else pad_same
            x = pad(x, self.kernel_size, self.stride, self.dilation)
        out = F.conv2d(x, weight, bias, self.stride, 0 if self.dynamic_padding else self.padding, self.dilation,
                       self.groups * b)
        return out.view(b, self.out_channels, out.shape[-2], out.shape[-1])
