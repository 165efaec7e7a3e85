"""EvoNorm-S0: a normalisation-activation layer found by search that needs no batch statistics.

Liu et al., "Evolving Normalization-Activation Layers", 2020 (arXiv:2004.02967). S0 computes
`x * sigmoid(v * x) / group_std(x) * weight + bias`: a swish-like gate divided by the per-sample standard deviation
over groups of channels (as GroupNorm, but without subtracting the mean in the numerator). Without the activation
only the affine part remains.

Variant 'a' (used by timm's RegNetZ-EvoNorm weights) divides by the group standard deviation even without the
gate (a "linear" norm closing a residual branch), uses eps 1e-3 and can carry a regulariser such as DropBlock.
"""
from typing import Callable, Optional

import torch
import torch.nn as nn

from zoo.layers.weight_init import reset_affine_

__all__ = ['EvoNorm2dS0', 'EvoNorm2dS0a', 'group_std']


def group_std(x: torch.Tensor, groups: int, eps: float = 1e-5) -> torch.Tensor:
    """Per-sample standard deviation over (channels of a group, H, W), broadcast back to x's shape."""
    b, c, h, w = x.shape
    var = x.float().reshape(b, groups, -1).var(dim=2, unbiased=False, keepdim=True)
    std = var.add(eps).sqrt().to(x.dtype)
    return std.expand(b, groups, c // groups * h * w).reshape(b, c, h, w)


class EvoNorm2dS0(nn.Module):
    """EvoNorm-S0 for NCHW maps (parameters `weight`, `bias` and the gate's `v`).

    Args:
        num_features: channels.
        groups: number of channel groups for the standard deviation (ignored when `group_size` is set).
        group_size: channels per group.
        apply_act: apply the S0 gate (the nonlinearity); without it the layer is a plain per-channel affine map.
        eps: added to the group variance.
    """

    def __init__(self, num_features: int, groups: int = 32, group_size: Optional[int] = None, apply_act: bool = True,
                 eps: float = 1e-5):
        super().__init__()
        if group_size:
            if num_features % group_size:
                raise ValueError(f'{num_features} channels cannot be split into groups of {group_size}.')
            groups = num_features // group_size
        elif num_features % groups:
            raise ValueError(f'{num_features} channels cannot be split into {groups} groups.')
        self.groups = groups
        self.eps = eps
        self.apply_act = apply_act
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.v = nn.Parameter(torch.ones(num_features)) if apply_act else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f'EvoNorm2dS0 expects NCHW input, got shape {tuple(x.shape)}.')
        if self.v is not None:
            x = x * torch.sigmoid(x * self.v.view(1, -1, 1, 1).to(x.dtype)) / group_std(x, self.groups, self.eps)
        return x * self.weight.view(1, -1, 1, 1).to(x.dtype) + self.bias.view(1, -1, 1, 1).to(x.dtype)


class EvoNorm2dS0a(nn.Module):
    """EvoNorm-S0 variant 'a' for NCHW maps; a drop-in for a BatchNorm + activation pair.

    Args:
        num_features: channels.
        groups: number of channel groups for the standard deviation (ignored when `group_size` is set).
        group_size: channels per group.
        apply_act: include the x * sigmoid(v * x) gate (and its learned `v`).
        eps: added to the group variance.
        drop_layer: constructor of a regulariser applied to the output (e.g. DropBlock), as BatchNormAct2d does.
    """

    def __init__(
            self,
            num_features: int,
            groups: int = 32,
            group_size: Optional[int] = None,
            apply_act: bool = True,
            eps: float = 1e-3,
            drop_layer: Optional[Callable[[], nn.Module]] = None,
    ):
        super().__init__()
        if group_size:
            if num_features % group_size:
                raise ValueError(f'{num_features} channels cannot be split into groups of {group_size}.')
            groups = num_features // group_size
        elif num_features % groups:
            raise ValueError(f'{num_features} channels cannot be split into {groups} groups.')
        self.groups = groups
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.v = nn.Parameter(torch.ones(num_features)) if apply_act else None
        self.drop = drop_layer() if drop_layer is not None else nn.Identity()

    def reset_parameters(self) -> None:
        reset_affine_(self, ones=('weight', 'v'))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the std is taken from the input, before the gate (as in the paper's S0)
        std = group_std(x, self.groups, self.eps)
        if self.v is not None:
            x = x * torch.sigmoid(x * self.v.view(1, -1, 1, 1).to(x.dtype))
        x = x / std
        return self.drop(x * self.weight.view(1, -1, 1, 1).to(x.dtype) + self.bias.view(1, -1, 1, 1).to(x.dtype))
