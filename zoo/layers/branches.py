"""Parallel conv branches joined by channel concatenation: the unit of the Inception family (Szegedy et al.)."""
from functools import partial
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.norm_act import BatchNormAct2d

__all__ = ['ConcatBranches', 'conv_chain', 'tf_conv_bn']


class ConcatBranches(nn.Module):
    """Runs the child modules named in `branch_names` on the same input and concatenates their outputs (dim 1).

    Subclasses register their branches as attributes (the checkpoint names) and set `branch_names` in order.
    """
    branch_names: Tuple[str, ...] = ()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([getattr(self, name)(x) for name in self.branch_names], dim=1)


def tf_conv_bn(in_chs: int, out_chs: int, kernel_size: Union[int, Tuple[int, int]], stride: int = 1,
               padding: Union[int, Tuple[int, int]] = 0, eps: float = 1e-3) -> ConvNormAct:
    """Bias-free conv (unpadded unless asked) + BatchNorm with TF's epsilon 1e-3 + ReLU: the TF-slim conv unit.

    Rectangular kernels (1x7, 7x1, ...) take a matching (pad_h, pad_w) `padding`.
    """
    return ConvNormAct(in_chs, out_chs, kernel_size, stride=stride, padding=padding,
                       norm_layer=partial(BatchNormAct2d, eps=eps))


def conv_chain(specs: Sequence[Tuple]) -> nn.Sequential:
    """A Sequential of `tf_conv_bn` units, one per (in_chs, out_chs, kernel_size[, stride[, padding]])."""
    return nn.Sequential(*[tf_conv_bn(*spec) for spec in specs])
