"""Pool -> norm -> (hidden layer) -> classifier head for NCHW feature maps, as ConvNeXt uses it.

ConvNeXt normalises *after* global pooling (Liu et al., 2022), so the final norm lives in the head rather than the
trunk. Keys (`norm`, `pre_logits.fc`, `fc`) follow the layout of the published ConvNeXt weights.
"""
from collections import OrderedDict
from typing import Callable, Optional

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType, get_act_layer
from zoo.layers.norm import LayerNorm2d
from zoo.layers.pool import SelectAdaptivePool2d

__all__ = ['NormMlpClassifierHead']


def _linear(in_features: int, out_features: int, use_conv: bool) -> nn.Module:
    # without pooling the head runs on maps, where a 1x1 conv is the per-pixel linear layer
    return nn.Conv2d(in_features, out_features, 1) if use_conv else nn.Linear(in_features, out_features)


class NormMlpClassifierHead(nn.Module):
    """Global pool, norm over channels, optional hidden layer + activation, dropout, classifier.

    Args:
        in_features: channels of the incoming feature map.
        num_classes: classifier outputs; 0 leaves the (pooled, normalised) features.
        hidden_size: width of a hidden pre-logits layer, none if unset.
        pool_type: global pooling ('avg', 'max', 'avgmax'); '' keeps maps and makes the linear layers 1x1 convs.
        drop_rate: dropout before the classifier.
        norm_layer: channels-first norm applied after pooling.
        act_layer: activation of the hidden layer.
    """

    def __init__(
            self,
            in_features: int,
            num_classes: int,
            hidden_size: Optional[int] = None,
            pool_type: str = 'avg',
            drop_rate: float = 0.,
            norm_layer: Callable[..., nn.Module] = LayerNorm2d,
            act_layer: LayerType = 'tanh',
    ):
        super().__init__()
        self.in_features = in_features
        self.hidden_size = hidden_size
        self.num_features = in_features
        self.act_layer = get_act_layer(act_layer)
        self.global_pool = self._make_pool(pool_type)
        self.use_conv = self.global_pool.is_identity()
        self.norm = norm_layer(in_features)
        self.flatten = nn.Flatten(1) if pool_type else nn.Identity()
        if hidden_size:
            self.pre_logits = nn.Sequential(OrderedDict([
                ('fc', _linear(in_features, hidden_size, self.use_conv)),
                ('act', self.act_layer()),
            ]))
            self.num_features = hidden_size
        else:
            self.pre_logits = nn.Identity()
        self.drop = nn.Dropout(drop_rate)
        self.fc = _linear(self.num_features, num_classes, self.use_conv) if num_classes > 0 else nn.Identity()

    @staticmethod
    def _make_pool(pool_type: str) -> SelectAdaptivePool2d:
        # pooling stays 4D (B, C, 1, 1) so the channels-first norm applies; flatten comes after the norm
        pool = SelectAdaptivePool2d(pool_type=pool_type, flatten=False)
        if pool.feat_mult() != 1:
            raise ValueError(f'NormMlpClassifierHead needs a pooling that keeps the width, got {pool_type!r}.')
        return pool

    def reset(
            self,
            num_classes: int,
            pool_type: Optional[str] = None,
            reset_other: bool = False,
            in_features: Optional[int] = None,
    ) -> None:
        """Replace the classifier; `reset_other` also drops the norm and hidden layer (features-only use).

        `in_features` may only change together with `reset_other` (the norm is sized for the old width).
        """
        if in_features is not None and in_features != self.in_features and not (
                reset_other or isinstance(self.norm, nn.Identity)):
            raise ValueError('The head input width can only change when its norm is removed (reset_other=True).')
        if pool_type is not None:
            self.global_pool = self._make_pool(pool_type).train(self.training)
            self.flatten = (nn.Flatten(1) if pool_type else nn.Identity()).train(self.training)
        if reset_other:
            self.norm = nn.Identity()
            self.pre_logits = nn.Identity()
            self.hidden_size = None
            self.num_features = self.in_features
        if in_features is not None:
            self.in_features = in_features
            if not self.hidden_size:
                self.num_features = in_features
        self.use_conv = self.global_pool.is_identity()
        if self.hidden_size and isinstance(self.pre_logits.fc, nn.Conv2d) != self.use_conv:
            # keep the trained hidden layer across a pooled <-> unpooled switch by reshaping its weights
            old = self.pre_logits.fc
            new = _linear(self.in_features, self.hidden_size, self.use_conv).to(old.weight.device, old.weight.dtype)
            with torch.no_grad():
                new.weight.copy_(old.weight.reshape(new.weight.shape))
                new.bias.copy_(old.bias)
            self.pre_logits.fc = new.train(self.training)
        self.fc = _linear(self.num_features, num_classes, self.use_conv) if num_classes > 0 else nn.Identity()
        self.fc.train(self.training)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.flatten(self.norm(self.global_pool(x)))
        x = self.drop(self.pre_logits(x))
        return x if pre_logits else self.fc(x)
