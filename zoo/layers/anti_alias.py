"""Anti-aliased downsampling: run a strided layer at stride 1, then low-pass filter and subsample.

Zhang, "Making Convolutional Networks Shift-Invariant Again", 2019 (arXiv:1904.11486). Networks take the filter as
`aa_layer`: a binomial blur (`BlurPool2d`) or, as the cheap variant some timm-trained nets use, a `stride` x `stride`
average pool. One resolver serves every family, so a name means the same layer everywhere.
"""
from functools import partial
from typing import Callable, Optional, Union

import torch.nn as nn

from zoo.layers.blur_pool import BlurPool2d

__all__ = ['AaLayerType', 'create_aa', 'resolve_aa_layer']

# a name ('avg', 'blur', 'blurpc'), or a constructor called as `layer(channels=..., stride=...)`; an nn.AvgPool2d
# subclass is called as `layer(stride)`
AaLayerType = Union[str, Callable[..., nn.Module]]


def _avg_pool(channels: Optional[int] = None, stride: int = 2) -> nn.Module:
    # the pooling window equals the stride, so no input pixel is counted twice or skipped
    return nn.AvgPool2d(kernel_size=stride, stride=stride)


_AA_LAYERS = {
    'avg': _avg_pool,
    'avgpool': _avg_pool,
    'blur': BlurPool2d,
    'blurpool': BlurPool2d,
    # zero ('constant') padding rather than reflection: the variant timm's *_blur_* weights were trained with
    'blurpc': partial(BlurPool2d, pad_mode='constant'),
}


def resolve_aa_layer(aa_layer: Optional[AaLayerType]) -> Optional[Callable[..., nn.Module]]:
    """A name or constructor -> a constructor taking `(channels=..., stride=...)`; None and '' mean no filter."""
    if aa_layer is None or aa_layer == '':
        return None
    if isinstance(aa_layer, str):
        key = aa_layer.lower().replace('_', '').replace('-', '')
        if key not in _AA_LAYERS:
            raise ValueError(f'Unknown aa_layer (anti-aliasing) {aa_layer!r}; choose one of {sorted(_AA_LAYERS)} or '
                             f'pass a constructor taking (channels=..., stride=...).')
        return _AA_LAYERS[key]
    if isinstance(aa_layer, type) and issubclass(aa_layer, nn.AvgPool2d):
        return _avg_pool
    return aa_layer


def create_aa(aa_layer: Optional[AaLayerType], channels: int, stride: int = 2, enable: bool = True) -> nn.Module:
    """The filter that takes over a layer's stride, or Identity when there is none or `enable` is False.

    A blur at stride 1 still filters (dilated ResNets keep it where the stride became a dilation); an average pool at
    stride 1 is an identity.
    """
    layer = resolve_aa_layer(aa_layer)
    if layer is None or not enable:
        return nn.Identity()
    return layer(channels=channels, stride=stride)
