"""Fold parallel conv + BatchNorm branches (and a BN-only identity) into one biased conv, for re-parameterisable
blocks whose branches are separate modules rather than one `_RepBlock` (GhostNetV3, RepGhost, PP-HGNetV2).

The algebra is `zoo.models._reparam`'s (RepVGG, Ding et al., 2021, arXiv:2101.03697): each conv -> BN in eval mode is
a conv with a bias, a smaller centred kernel is zero-padded to the largest, and a BN-only branch is the identity
kernel scaled per channel.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from zoo.models._reparam import fuse_conv_bn, identity_kernel, sum_kernels

__all__ = ['fold_conv_bn_branches']


@torch.no_grad()
def fold_conv_bn_branches(
        branches: Sequence[Tuple[nn.Conv2d, nn.BatchNorm2d]],
        identity: Optional[nn.BatchNorm2d] = None,
) -> nn.Conv2d:
    """One biased conv equal (in eval mode) to the sum of `conv -> bn` branches plus `identity(x)`.

    Args:
        branches: (conv, bn) pairs over the same input with the same stride and groups; the first one with the
            largest kernel gives the folded conv's geometry (padding, stride, dilation).
        identity: a BN applied to the input itself (needs in == out channels and stride 1).
    """
    ref = max((conv for conv, _ in branches), key=lambda c: c.kernel_size[0])
    folded = [fuse_conv_bn(conv.weight, bn, conv.bias) for conv, bn in branches]
    if identity is not None:
        folded.append(fuse_conv_bn(identity_kernel(ref.in_channels, ref.groups, ref.kernel_size, ref.weight), identity))
    kernel, bias = sum_kernels(folded, ref.kernel_size)
    conv = nn.Conv2d(ref.in_channels, ref.out_channels, ref.kernel_size, stride=ref.stride, padding=ref.padding,
                     dilation=ref.dilation, groups=ref.groups, bias=True, device=ref.weight.device,
                     dtype=ref.weight.dtype)
    conv.weight.copy_(kernel)
    conv.bias.copy_(bias)
    return conv
