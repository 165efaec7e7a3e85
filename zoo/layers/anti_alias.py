"""Anti-aliased downsampling layers chosen by name or class.

A strided conv or pool aliases high frequencies; Zhang (2019, arXiv:1904.11486) low-pass filters before subsampling
instead. Networks accept the filter as `aa_layer`: a binomial blur (`BlurPool2d`) or, as a cheap approximation, a
2x2 average pool.
"""
from typing import Optional, Type, Union

import torch.nn as nn

from zoo.layers.blur_pool import BlurPool2d

__all__ = ['AaLayerType', 'get_aa_layer', 'create_aa']

AaLayerType = Union[str, Type[nn.Module]]

_AA_LAYERS = dict(avg=nn.AvgPool2d, avgpool=nn.AvgPool2d, blur=BlurPool2d, blurpool=BlurPool2d)


def get_aa_layer(aa_layer: Optional[AaLayerType]) -> Optional[Type[nn.Module]]:
    """Resolve 'avg' / 'blur' (or a class, passed through); None and '' mean no anti-aliasing."""
    if not aa_layer:
        return None
    if isinstance(aa_layer, str):
        key = aa_layer.replace('_', '').lower()
        if key not in _AA_LAYERS:
            raise ValueError(f'Unknown aa_layer {aa_layer!r}; choose one of {sorted(_AA_LAYERS)} or pass a class.')
        return _AA_LAYERS[key]
    return aa_layer


def create_aa(aa_layer: Optional[AaLayerType], channels: int, stride: int = 2) -> nn.Module:
    """The downsampling filter for `channels` maps at `stride`, or Identity without `aa_layer`.

    An average pool takes a `stride` x `stride` window (so stride 1 leaves the input unchanged); other layers are
    called as `aa_layer(channels=..., stride=...)`.
    """
    layer = get_aa_layer(aa_layer)
    if layer is None:
        return nn.Identity()
    if isinstance(layer, type) and issubclass(layer, nn.AvgPool2d):
        return layer(stride)
    return layer(channels=channels, stride=stride)
