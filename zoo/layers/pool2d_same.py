"""Max pooling with TensorFlow 'SAME' padding (the extra pixel of an odd total goes right / bottom).

Networks trained in TF / JAX (e.g. the ViT-hybrid ResNet stems) pool with 'SAME' padding, which for a strided pool
depends on the input size; PyTorch's symmetric `padding` cannot express it.
"""
from typing import Final, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.helpers import to_2tuple
from zoo.layers.padding import pad_same, pad_same_traceable, use_traceable_pad

__all__ = ['MaxPool2dSame']


class MaxPool2dSame(nn.MaxPool2d):
    """MaxPool2d whose input is padded with -inf at run time like TF 'SAME' (padding never wins the max)."""
    traceable_pad: Final[bool]

    def __init__(self, kernel_size: Union[int, Tuple[int, int]], stride: Union[int, Tuple[int, int], None] = None,
                 dilation: Union[int, Tuple[int, int]] = 1, ceil_mode: bool = False):
        super().__init__(kernel_size, stride=stride, dilation=dilation, ceil_mode=ceil_mode)
        # nn.MaxPool2d keeps ints as given (and stride = kernel when None); pad_same reads a pair per spatial dim
        self.kernel_size, self.stride, self.dilation = map(to_2tuple, (self.kernel_size, self.stride, self.dilation))
        self.traceable_pad = use_traceable_pad()  # see Conv2dSame

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = pad_same_traceable if self.traceable_pad else pad_same
        x = pad(x, self.kernel_size, self.stride, self.dilation, value=float('-inf'))
        # the functional form (not super().forward) keeps the layer scriptable; the padding is already applied
        return F.max_pool2d(x, self.kernel_size, self.stride, 0, self.dilation, self.ceil_mode)
