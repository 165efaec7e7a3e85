"""Normalisation layers resolved by name, plus channels-first LayerNorm used by ConvNeXt-style models."""
from typing import Callable, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.rms_norm import RmsNorm, RmsNorm2d, SimpleNorm, SimpleNorm2d


class LayerNorm(nn.LayerNorm):
    """LayerNorm over the last dim with the eps (1e-6) most vision transformers were trained with."""

    def __init__(self, num_channels: int, eps: float = 1e-6, affine: bool = True):
        super().__init__(num_channels, eps=eps, elementwise_affine=affine)


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channel dim of an NCHW tensor."""

    def __init__(self, num_channels: int, eps: float = 1e-6, affine: bool = True):
        super().__init__(num_channels, eps=eps, elementwise_affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class GroupNorm(nn.GroupNorm):
    def __init__(self, num_channels: int, num_groups: int = 32, eps: float = 1e-5, affine: bool = True):
        super().__init__(num_groups, num_channels, eps=eps, affine=affine)


class GroupNorm1(nn.GroupNorm):
    """GroupNorm with one group: LayerNorm over C, H, W (used by PoolFormer-style blocks)."""

    def __init__(self, num_channels: int, eps: float = 1e-5, affine: bool = True):
        super().__init__(1, num_channels, eps=eps, affine=affine)


_NORM_LAYERS = dict(
    batchnorm=nn.BatchNorm2d,
    batchnorm2d=nn.BatchNorm2d,
    batchnorm1d=nn.BatchNorm1d,
    groupnorm=GroupNorm,
    groupnorm1=GroupNorm1,
    layernorm=LayerNorm,
    layernorm2d=LayerNorm2d,
    rmsnorm=RmsNorm,
    rmsnorm2d=RmsNorm2d,
    simplenorm=SimpleNorm,
    simplenorm2d=SimpleNorm2d,
)


def get_norm_layer(norm_layer: Union[str, Callable, Type[nn.Module], None]) -> Callable[..., nn.Module] | None:
    """Resolve a norm layer given by name ('batchnorm', 'layernorm2d', ...) or class."""
    if norm_layer is None or not isinstance(norm_layer, str):
        return norm_layer
    key = norm_layer.replace('_', '').lower()
    if key not in _NORM_LAYERS:
        raise ValueError(f'Unknown norm layer {norm_layer!r}; choose one of {sorted(_NORM_LAYERS)} or pass a class.')
    return _NORM_LAYERS[key]
