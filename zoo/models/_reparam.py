"""Structural re-parameterisation: fold a multi-branch training-time block into the single conv it equals at inference.

"RepVGG: Making VGG-style ConvNets Great Again", Ding et al., 2021 (arXiv:2101.03697), section 3.3: in eval mode a
BatchNorm is an affine map per channel, so conv -> BN is one conv with a bias; a 1x1 conv is a kxk conv whose only
non-zero tap is the centre; an identity (BN-only) branch is a kxk conv with a one-hot centre tap per channel; and
parallel convs over the same input with the same stride add up into one. MobileOne ("An Improved One millisecond
Mobile Backbone", Vasu et al., 2023, arXiv:2206.04040) folds its k over-parameterised branches the same way.

A module takes part by defining `reparameterize()` (fold itself in place) or `fuse()` (return the module that
replaces it). `reparameterize_model` finds them anywhere in a model, so families added later (FastViT, RepViT, ...)
only implement the method. The helpers below do the tensor algebra for such blocks.
"""
import copy
import logging
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['reparameterize_model', 'fuse_conv_bn', 'identity_kernel', 'pad_kernel', 'sum_kernels']

_logger = logging.getLogger(__name__)

KernelBias = Tuple[torch.Tensor, torch.Tensor]


def fuse_conv_bn(kernel: torch.Tensor, bn: nn.BatchNorm2d, conv_bias: Optional[torch.Tensor] = None) -> KernelBias:
    """(kernel, bias) of conv -> BN in eval mode: BN's per-channel scale goes into the kernel, its shift into the bias.

    Args:
        kernel: the conv kernel (out, in / groups, kh, kw); for a BN-only branch, `identity_kernel(...)`.
        bn: the BatchNorm after the conv (its running statistics are used).
        conv_bias: the conv's own bias, if any.
    """
    if bn.running_var is None or bn.running_mean is None:
        raise ValueError('Cannot fold a BatchNorm without running statistics (track_running_stats=False).')
    scale = torch.rsqrt(bn.running_var.float() + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight.float()
    shift = -bn.running_mean.float() if conv_bias is None else conv_bias.float() - bn.running_mean.float()
    bias = shift * scale if bn.bias is None else shift * scale + bn.bias.float()
    return kernel.float() * scale.reshape(-1, *([1] * (kernel.ndim - 1))), bias


def identity_kernel(channels: int, groups: int, kernel_size: Sequence[int], like: torch.Tensor) -> torch.Tensor:
    """The (channels, channels / groups, kh, kw) kernel of a grouped conv that maps its input to itself."""
    kh, kw = kernel_size
    per_group = channels // groups
    kernel = torch.zeros(channels, per_group, kh, kw, dtype=torch.float32, device=like.device)
    # output channel c sees input channels of its own group; its own is c mod (channels per group) within the group
    kernel[torch.arange(channels), torch.arange(channels) % per_group, kh // 2, kw // 2] = 1.
    return kernel


def pad_kernel(kernel: torch.Tensor, kernel_size: Sequence[int]) -> torch.Tensor:
    """Zero-pad a smaller odd kernel (e.g. 1x1) around its centre to `kernel_size`."""
    dh, dw = kernel_size[0] - kernel.shape[-2], kernel_size[1] - kernel.shape[-1]
    if dh % 2 or dw % 2 or dh < 0 or dw < 0:
        raise ValueError(f'Cannot centre a {tuple(kernel.shape[-2:])} kernel in {tuple(kernel_size)}.')
    return F.pad(kernel, [dw // 2, dw // 2, dh // 2, dh // 2])


def sum_kernels(branches: Sequence[KernelBias], kernel_size: Sequence[int]) -> KernelBias:
    """Add parallel branches (each a (kernel, bias) over the same input) into one kernel of `kernel_size`."""
    kernel = sum(pad_kernel(k, kernel_size) for k, _ in branches)
    bias = sum(b for _, b in branches)
    return kernel, bias


def _fold(module: nn.Module) -> int:
    count = 0
    for name, child in list(module.named_children()):
        if callable(getattr(child, 'fuse', None)):
            setattr(module, name, child.fuse())
            count += 1
            continue
        if callable(getattr(child, 'reparameterize', None)):
            child.reparameterize()
            count += 1
        count += _fold(child)
    return count


@torch.no_grad()
def reparameterize_model(model: nn.Module, inplace: bool = False) -> nn.Module:
    """Fold every re-parameterisable block of `model` into its inference form and return the model.

    Outputs in eval mode are unchanged up to float rounding; the folded model is smaller and faster, but it can no
    longer be trained as the multi-branch original (and its state_dict has the folded keys, e.g. `reparam_conv`).

    Args:
        model: any module; blocks define `reparameterize()` (in place) or `fuse()` (returns the replacement).
        inplace: modify `model` itself instead of a deep copy.
    """
    if model.training:
        _logger.warning('reparameterize_model: the model is in training mode; folding uses the BatchNorm running '
                        'statistics, so outputs match the eval-mode model, not batch-statistics training outputs.')
    if not inplace:
        model = copy.deepcopy(model)
    if callable(getattr(model, 'fuse', None)):
        return model.fuse()
    if callable(getattr(model, 'reparameterize', None)):
        model.reparameterize()
    count = _fold(model)
    _logger.info('reparameterize_model folded %d blocks', count)
    return model
