"""EvoNorm-S0: a normalisation-activation layer found by architecture search, free of batch statistics.

"Evolving Normalization-Activation Layers", Liu et al., 2020 (arXiv:2004.02967), table 1:
y = x * sigmoid(v * x) / group_std(x) * gamma + beta. Without the activation (`apply_act=False`, used where a
residual branch ends) it is the affine part only, as in the paper's residual-block placement.
"""
from typing import Optional

import torch
import torch.nn as nn

__all__ = ['EvoNorm2dS0', 'group_std']


def group_std(x: torch.Tensor, groups: int, eps: float = 1e-5) -> torch.Tensor:
    """Standard deviation of each (sample, channel group) of an NCHW tensor, broadcast back to its shape."""
    b, c, h, w = x.shape
    if c % groups:
        raise ValueError(f'{c} channels do not split into {groups} groups.')
    grouped = x.reshape(b, groups, c // groups, h, w)
    # float32 statistics: half-precision variance over a whole group loses too many digits
    std = grouped.float().var(dim=(2, 3, 4), unbiased=False, keepdim=True).add(eps).sqrt().to(x.dtype)
    return std.expand_as(grouped).reshape(b, c, h, w)


class EvoNorm2dS0(nn.Module):
    """EvoNorm-S0 over NCHW maps (parameters `weight`, `bias` and, with the activation, `v`).

    Args:
        num_features: channels.
        groups: channel groups of the standard deviation (ignored when `group_size` is given).
        group_size: channels per group.
        apply_act: include the sigmoid-gated numerator (the "activation" half).
        eps: added to the group variance.
    """

    def __init__(
            self,
            num_features: int,
            groups: int = 32,
            group_size: Optional[int] = None,
            apply_act: bool = True,
            eps: float = 1e-5,
            **_,
    ):
        super().__init__()
        if group_size:
            if num_features % group_size:
                raise ValueError(f'{num_features} channels do not split into groups of {group_size}.')
            groups = num_features // group_size
        self.groups = groups
        self.apply_act = apply_act
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.v = nn.Parameter(torch.ones(num_features)) if apply_act else None

    def reset_parameters(self) -> None:
        nn.init.ones_(self.weight)
        nn.init.zeros_(self.bias)
        if self.v is not None:
            nn.init.ones_(self.v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f'EvoNorm2dS0 expects NCHW input, got {x.ndim} dims.')
        shape = (1, -1, 1, 1)
        if self.v is not None:
            gate = torch.sigmoid(x * self.v.view(shape).to(x.dtype))
            x = x * gate / group_std(x, self.groups, self.eps)
        return x * self.weight.view(shape).to(x.dtype) + self.bias.view(shape).to(x.dtype)
