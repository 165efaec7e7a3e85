"""Per-channel learnable residual-branch scaling.

"Going deeper with Image Transformers" (CaiT), Touvron et al., 2021 (arXiv:2103.17239): scaling each residual
branch by a small learnable diagonal lets deep transformers train stably.
"""
import torch
import torch.nn as nn

__all__ = ['LayerScale', 'LayerScale2d']


class LayerScale(nn.Module):
    """Multiply channels-last tensors by a learnable per-channel `gamma` (initialised to `init_values`).

    Args:
        dim: number of channels (last dim).
        init_values: initial value of every gamma entry.
        inplace: scale the input in place (saves memory when autograd does not need the input).
    """

    def __init__(self, dim: int, init_values: float = 1e-5, inplace: bool = False):
        super().__init__()
        self.init_values = init_values
        self.inplace = inplace
        self.gamma = nn.Parameter(torch.empty(dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.constant_(self.gamma, self.init_values)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul_(self.gamma) if self.inplace else x * self.gamma


class LayerScale2d(LayerScale):
    """LayerScale for NCHW maps (gamma broadcast over the channel dim)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gamma = self.gamma.view(1, -1, 1, 1)
        return x.mul_(gamma) if self.inplace else x * gamma
