"""Conv2d with TensorFlow 'SAME' padding, and a factory that picks static or dynamic padding."""
from typing import Final, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.padding import get_padding_value, pad_same, pad_same_traceable, use_traceable_pad


class Conv2dSame(nn.Conv2d):
    """Conv2d that pads its input at run time like TF 'SAME' (asymmetric when the total is odd).

    Built while `exportable` or `scriptable` is set, it pads with `pad_same_traceable`, which exports for a dynamic
    height / width and compiles under TorchScript.
    """
    traceable_pad: Final[bool]  # a constant to TorchScript, so only the chosen padding function is compiled

    def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel_size: Union[int, Tuple[int, int]],
            stride: Union[int, Tuple[int, int]] = 1,
            padding: Union[int, str] = 0,
            dilation: Union[int, Tuple[int, int]] = 1,
            groups: int = 1,
            bias: bool = True,
    ):
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias)
        self.traceable_pad = use_traceable_pad()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.traceable_pad:
            x = pad_same_traceable(x, self.kernel_size, self.stride, self.dilation)
        else:
            x = pad_same(x, self.kernel_size, self.stride, self.dilation)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def create_conv2d_pad(in_chs: int, out_chs: int, kernel_size: int, padding: Union[int, str] = '', bias: bool = False,
                      **kwargs) -> nn.Conv2d:
    """A conv for a padding spec ('', 'same', 'valid' or a number): `nn.Conv2d` whenever the padding is fixed, and
    `Conv2dSame` only for a 'same' that depends on the input size (strided or even-reach kernels)."""
    fixed, per_input = get_padding_value(padding, kernel_size, stride=kwargs.get('stride', 1),
                                         dilation=kwargs.get('dilation', 1))
    if per_input:
        return Conv2dSame(in_chs, out_chs, kernel_size, bias=bias, **kwargs)
    return nn.Conv2d(in_chs, out_chs, kernel_size, padding=fixed, bias=bias, **kwargs)
