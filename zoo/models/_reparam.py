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

__all__ = ['reparameterize_model', 'fuse_conv_bn', 'identity_kernel', 'pad_kernel', 'sum_kernels', 'BatchNormLinear']

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


class BatchNormLinear(nn.Module):
    """Classifier of the BN-trained mobile families (LeViT, EfficientViT-M, RepViT): BatchNorm1d -> dropout -> linear.

    At inference the norm is a per-feature affine map x * s + t in front of the linear layer, so `fuse()` returns the
    single linear layer W diag(s), W t + b. The released checkpoints name the linear layer differently per family
    (`linear`, or `l` in RepViT), hence `linear_key`; the norm is always `bn`.

    Args:
        in_features: pooled features.
        out_features: classes.
        bias: linear bias.
        drop: dropout between norm and linear.
        linear_key: attribute (state-dict key) of the linear layer.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, drop: float = 0.,
                 linear_key: str = 'linear'):
        super().__init__()
        self.linear_key = linear_key
        self.bn = nn.BatchNorm1d(in_features)
        self.drop = nn.Dropout(drop)
        setattr(self, linear_key, nn.Linear(in_features, out_features, bias=bias))
        nn.init.trunc_normal_(self.projection.weight, std=.02)
        if bias:
            nn.init.zeros_(self.projection.bias)

    @property
    def projection(self) -> nn.Linear:
        return getattr(self, self.linear_key)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.drop(self.bn(x)))

    @torch.no_grad()
    def fuse(self) -> nn.Linear:
        weight = self.projection.weight
        # the norm as (scale, shift): fuse_conv_bn on an all-ones column gives exactly them
        scale, shift = fuse_conv_bn(torch.ones_like(self.bn.running_var)[:, None], self.bn)
        fused = nn.Linear(weight.shape[1], weight.shape[0], device=weight.device, dtype=weight.dtype)
        fused.weight.copy_(weight * scale[:, 0].to(weight.dtype))
        bias = weight.float() @ shift
        if self.projection.bias is not None:
            bias = bias + self.projection.bias.float()
        fused.bias.copy_(bias.to(weight.dtype))
        return fused


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
