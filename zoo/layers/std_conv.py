"""Weight-standardised convolutions: every output filter is normalised to zero mean and unit variance.

"Micro-Batch Training with Batch-Channel Normalization and Weight Standardization", Qiao et al., 2019
(arXiv:1903.10520). Big Transfer (BiT, Kolesnikov et al., 2019, arXiv:1912.11370) pairs it with GroupNorm so
pre-activation ResNets train without batch statistics (`StdConv2d`). The standardisation uses the biased variance
over (in_channels, kh, kw) with `eps` inside the square root; BiT checkpoints use eps=1e-8.

Scaled weight standardisation, the normalisation-free networks' replacement for BatchNorm (`ScaledStdConv2d`):
"Characterizing signal propagation to close the performance gap in unnormalized ResNets", Brock et al., 2021
(arXiv:2101.08692), section 4. Each output filter is standardised over its fan-in, then scaled by
`gamma / sqrt(fan_in)` and a learnable per-filter gain, so that a unit-variance input keeps unit variance through
conv + activation (`gamma` is the activation's correction constant).
"""
from typing import Final, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.padding import get_padding_value, pad_same, pad_same_traceable, use_traceable_pad

__all__ = ['StdConv2d', 'StdConv2dSame', 'ScaledStdConv2d', 'ScaledStdConv2dSame', 'standardize_weight']

SizeT = Union[int, Tuple[int, int]]


def standardize_weight(weight: torch.Tensor, eps: float, scale: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(w - mean) / sqrt(var + eps) per output filter of a conv kernel (O, I, kh, kw), times `scale` (O values) if
    given."""
    # viewed as a (1, O, I*kh*kw) batch, each filter is one "channel" of a training-mode batch norm, whose fused
    # kernel computes exactly this standardisation in one pass (several times faster than an explicit var_mean /
    # subtract / rsqrt chain on CPU); its affine weight applies the per-filter scale in the same pass
    if eps <= 0:  # batch_norm refuses a zero eps in training mode; the explicit chain is exact there
        var, mean = torch.var_mean(weight, dim=tuple(range(1, weight.ndim)), keepdim=True, unbiased=False)
        out = (weight - mean) * var.rsqrt()
        return out if scale is None else out * scale.reshape(-1, *([1] * (weight.ndim - 1)))
    flat = weight.reshape(1, weight.shape[0], -1)
    gain = None if scale is None else scale.reshape(-1)
    return F.batch_norm(flat, None, None, weight=gain, training=True, momentum=0., eps=eps).reshape_as(weight)


class _StandardizedConv2d(nn.Conv2d):
    """What the weight-standardised convs share: one padding-spec resolution, TF 'SAME' padding computed per input
    when the spec needs it, and a convolution with the kernel returned by `conv_weight()`.

    Subclasses differ only in `conv_weight()`; `padding` is a number, or a spec string ('' symmetric, 'same',
    'valid'), with None meaning ''. Built while `exportable` / `scriptable` is set, dynamic padding uses
    `pad_same_traceable` (see `Conv2dSame`).
    """
    traceable_pad: Final[bool]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: SizeT, stride: SizeT,
                 padding: Union[int, str, None], dilation: SizeT, groups: int, bias: bool, eps: float):
        static_padding, dynamic = get_padding_value('' if padding is None else padding, kernel_size, stride=stride,
                                                    dilation=dilation)
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=static_padding,
                         dilation=dilation, groups=groups, bias=bias)
        self.dynamic_pad = dynamic
        self.traceable_pad = use_traceable_pad()
        self.eps = eps

    def conv_weight(self) -> torch.Tensor:
        """The kernel the convolution uses: per-filter standardised."""
        return standardize_weight(self.weight, self.eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dynamic_pad:
            pad = pad_same_traceable if self.traceable_pad else pad_same
            x = pad(x, self.kernel_size, self.stride, self.dilation)
        return F.conv2d(x, self.conv_weight(), self.bias, self.stride, self.padding, self.dilation, self.groups)


class StdConv2d(_StandardizedConv2d):
    """Conv2d whose kernel is weight-standardised on every forward.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: kernel size.
        stride: stride.
        padding: a number, or None / '' (symmetric, from kernel, stride and dilation), 'same' or 'valid'.
        dilation: dilation.
        groups: groups.
        bias: add a bias.
        eps: added to the filter variance.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: SizeT, stride: SizeT = 1,
                 padding: Union[int, str, None] = None, dilation: SizeT = 1, groups: int = 1, bias: bool = False,
                 eps: float = 1e-6):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, eps)


class StdConv2dSame(StdConv2d):
    """`StdConv2d` with TensorFlow 'SAME' padding by default: static when stride 1 allows it, per input otherwise.

    The ViT-hybrid ResNet stems were trained in JAX with 'SAME' padding, so their strided convs pad asymmetrically.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: SizeT, stride: SizeT = 1,
                 padding: Union[int, str] = 'same', **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, **kwargs)


class ScaledStdConv2d(_StandardizedConv2d):
    """Conv2d whose weight is standardised per output filter, then scaled by `gain * gamma / sqrt(fan_in)`.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: kernel size.
        stride: stride.
        padding: a number, or '' (symmetric, from kernel / stride / dilation), 'same' (TF-style, dynamic where the
            input size matters) or 'valid'.
        dilation: dilation.
        groups: groups.
        bias: add a bias.
        gamma: the following activation's variance-correction constant, folded into the weight scale.
        eps: added to each filter's variance before the square root.
        gain_init: initial value of the learnable per-filter gain (0 starts a residual branch at zero).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: SizeT, stride: SizeT = 1,
                 padding: Union[int, str] = '', dilation: SizeT = 1, groups: int = 1, bias: bool = True,
                 gamma: float = 1.0, eps: float = 1e-6, gain_init: float = 1.0):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, eps)
        # the fan-in of one filter, (in_channels / groups) * kh * kw, is the element count of weight[0]
        self.scale = gamma * self.weight[0].numel() ** -0.5
        self.gain_init = gain_init
        self.gain = nn.Parameter(torch.full((out_channels, 1, 1, 1), float(gain_init)))

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if hasattr(self, 'gain'):  # nn.Conv2d.__init__ calls this before the gain exists
            nn.init.constant_(self.gain, self.gain_init)

    def conv_weight(self) -> torch.Tensor:
        """The kernel the convolution uses: per-filter standardised, times gain * gamma / sqrt(fan_in)."""
        return standardize_weight(self.weight, self.eps, self.gain * self.scale)


class ScaledStdConv2dSame(ScaledStdConv2d):
    """ScaledStdConv2d with TensorFlow 'SAME' padding by default (the layout of DeepMind's JAX NFNet weights)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: SizeT, stride: SizeT = 1,
                 padding: Union[int, str] = 'same', **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, **kwargs)
