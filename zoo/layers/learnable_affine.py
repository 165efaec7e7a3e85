"""A learnable scalar affine map `scale * x + bias` (PP-HGNetV2's "learnable affine block", PaddleClas)."""
import torch
import torch.nn as nn

__all__ = ['LearnableAffineBlock']


class LearnableAffineBlock(nn.Module):
    """One learnable scale and bias shared by all channels (parameters of shape (1,), keys `scale`, `bias`).

    Args:
        scale_value: initial scale.
        bias_value: initial bias.
    """

    def __init__(self, scale_value: float = 1.0, bias_value: float = 0.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([scale_value]))
        self.bias = nn.Parameter(torch.tensor([bias_value]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x + self.bias
