"""Necks: the part between backbone and head that turns feature maps into feature vectors."""
import torch
from torch import nn

from zoo.compose.registry import register_neck

__all__ = ['GlobalAveragePooling']

Features = torch.Tensor | tuple[torch.Tensor, ...]


@register_neck()
class GlobalAveragePooling(nn.Module):
    """Average each feature map over its spatial dims: (N, C, *spatial) -> (N, C).

    Accepts one tensor or a tuple of tensors (one per backbone stage) and returns the same kind.
    The output keeps the batch dim for batch size 1 (flatten from dim 1, never squeeze).

    Args:
        dim: Number of spatial dims: 1, 2 or 3.
    """

    def __init__(self, dim: int = 2) -> None:
        super().__init__()
        if dim not in (1, 2, 3):
            raise ValueError(f'GlobalAveragePooling dim must be 1, 2 or 3 (spatial dims), got {dim}')
        self.dim = dim

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != self.dim + 2:
            raise ValueError(f'GlobalAveragePooling(dim={self.dim}) expects {self.dim + 2}-d input (N, C, ...), '
                             f'got shape {tuple(x.shape)}')
        return x.mean(dim=tuple(range(2, x.dim())))

    def forward(self, inputs: Features) -> Features:
        """Pool a tensor or each tensor of a tuple."""
        if isinstance(inputs, (tuple, list)):
            return tuple(self._pool(x) for x in inputs)
        if isinstance(inputs, torch.Tensor):
            return self._pool(inputs)
        raise TypeError(f'GlobalAveragePooling expects a tensor or a tuple of tensors, got {type(inputs).__name__}')

    def extra_repr(self) -> str:
        return f'dim={self.dim}'
