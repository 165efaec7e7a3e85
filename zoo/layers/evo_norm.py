"""EvoNorm-S0: a normalisation layer with its nonlinearity built in, found by an evolutionary search.

Paper: "Evolving Normalization-Activation Layers", Liu et al., 2020 (arXiv:2004.02967), table 1: EvoNorm-S0 computes
x * sigmoid(v * x) / group_std(x) * gamma + beta. It needs no batch statistics, so it behaves the same in training
and evaluation. The 'a' variant used by timm's RegNetZ-EvoNorm weights divides by the group standard deviation even
when the nonlinearity is switched off (`apply_act=False`, a "linear" norm at the end of a residual branch) and uses
eps 1e-3.
"""
from typing import Callable, Optional

import torch
import torch.nn as nn

__all__ = ['EvoNorm2dS0a']


class EvoNorm2dS0a(nn.Module):
    """EvoNorm-S0 (variant 'a') for NCHW maps; a drop-in for a BatchNorm + activation pair.

    Args:
        num_features: channels.
        groups: number of channel groups the standard deviation is taken over (ignored when `group_size` is set).
        group_size: channels per group, the alternative to a fixed group count.
        apply_act: include the x * sigmoid(v * x) nonlinearity (and its learned `v`).
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
                raise ValueError(f'EvoNorm2dS0a: {num_features} channels do not split into groups of {group_size}.')
            groups = num_features // group_size
        elif num_features % groups:
            raise ValueError(f'EvoNorm2dS0a: {num_features} channels do not split into {groups} groups.')
        self.groups = groups
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.v = nn.Parameter(torch.ones(num_features)) if apply_act else None
        self.drop = drop_layer() if drop_layer is not None else nn.Identity()

    def reset_parameters(self) -> None:
        nn.init.ones_(self.weight)
        nn.init.zeros_(self.bias)
        if self.v is not None:
            nn.init.ones_(self.v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        # the statistics are taken in float32 so reduced-precision inputs do not lose the variance
        var = x.float().reshape(b, self.groups, -1).var(dim=-1, unbiased=False, keepdim=True)
        std = (var + self.eps).sqrt().to(x.dtype)
        if self.v is not None:
            x = x * torch.sigmoid(x * self.v.to(x.dtype).reshape(1, -1, 1, 1))
        x = (x.reshape(b, self.groups, -1) / std).reshape(b, c, h, w)
        x = x * self.weight.to(x.dtype).reshape(1, -1, 1, 1) + self.bias.to(x.dtype).reshape(1, -1, 1, 1)
        return self.drop(x)
