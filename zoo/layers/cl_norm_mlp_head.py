"""Pool -> norm -> (hidden layer) -> classifier head for channels-last features: token sequences (NLC) or NHWC maps.

The channels-last sibling of `NormMlpClassifierHead`, for backbones whose trunk ends in tokens or NHWC maps (Hiera,
the SAM2 Hiera image encoder): pooling is a mean / max over the token (or spatial) dims, then a LayerNorm over the
last dim. Keys: `norm`, `pre_logits.fc`, `fc`.
"""
from collections import OrderedDict
from typing import Callable, Optional

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType, get_act_layer

__all__ = ['ClNormMlpClassifierHead']

_POOLS = ('', 'avg', 'max', 'avgmax')


class ClNormMlpClassifierHead(nn.Module):
    """Global pool over tokens / positions, norm, optional hidden layer + activation, dropout, classifier.

    Args:
        in_features: channels (last dim) of the incoming features.
        num_classes: classifier outputs; 0 leaves the pooled, normalised features.
        hidden_size: width of a hidden pre-logits layer, none if unset.
        pool_type: 'avg', 'max', 'avgmax', or '' (no pooling: the head then runs per token).
        drop_rate: dropout before the classifier.
        norm_layer: norm over the last dim.
        act_layer: activation of the hidden layer.
        input_fmt: 'NLC' (tokens) or 'NHWC' (maps).
    """

    def __init__(
            self,
            in_features: int,
            num_classes: int,
            hidden_size: Optional[int] = None,
            pool_type: str = 'avg',
            drop_rate: float = 0.,
            norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
            act_layer: LayerType = 'gelu',
            input_fmt: str = 'NHWC',
    ):
        super().__init__()
        if input_fmt not in ('NHWC', 'NLC'):
            raise ValueError(f"input_fmt must be 'NHWC' or 'NLC', got {input_fmt!r}.")
        self.pool_type = self._check_pool(pool_type)
        self.pool_dims = (1,) if input_fmt == 'NLC' else (1, 2)
        self.in_features = in_features
        self.hidden_size = hidden_size
        self.num_features = in_features
        self.norm = norm_layer(in_features)
        if hidden_size:
            self.pre_logits = nn.Sequential(OrderedDict([
                ('fc', nn.Linear(in_features, hidden_size)),
                ('act', get_act_layer(act_layer)()),
            ]))
            self.num_features = hidden_size
        else:
            self.pre_logits = nn.Identity()
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    @staticmethod
    def _check_pool(pool_type: str) -> str:
        if pool_type not in _POOLS:
            raise ValueError(f'global_pool (the head\'s pool_type) must be one of {_POOLS} for a channels-last head, '
                             f'got {pool_type!r}.')
        return pool_type

    def reset(self, num_classes: int, pool_type: Optional[str] = None, reset_other: bool = False,
              in_features: Optional[int] = None) -> None:
        """Replace the classifier; `reset_other` also drops the norm and hidden layer (features-only use), after which
        `in_features` may change."""
        if pool_type is not None:
            self.pool_type = self._check_pool(pool_type)
        if reset_other:
            self.norm = nn.Identity()
            self.pre_logits = nn.Identity()
            self.hidden_size = None
            self.num_features = self.in_features
        if in_features is not None and in_features != self.in_features:
            if not isinstance(self.norm, nn.Identity):
                raise ValueError('The head input width can only change when its norm is removed (reset_other=True).')
            self.in_features = in_features
            if not self.hidden_size:
                self.num_features = in_features
        device = next((p.device for p in self.parameters()), None)
        self.fc = nn.Linear(self.num_features, num_classes, device=device) if num_classes > 0 else nn.Identity()
        self.fc.train(self.training)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool_type == 'avg':
            return x.mean(self.pool_dims)
        if self.pool_type == 'max':
            return x.amax(self.pool_dims)
        if self.pool_type == 'avgmax':
            return 0.5 * (x.mean(self.pool_dims) + x.amax(self.pool_dims))
        return x

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(self.pre_logits(self.norm(self._pool(x))))
        return x if pre_logits else self.fc(x)
