"""Classifier heads: global pooling + (dropout) + linear, sized and reset in one place."""
from typing import Optional, Tuple

import torch
import torch.nn as nn

from zoo.layers.pool import SelectAdaptivePool2d


def _create_pool(num_features: int, num_classes: int, pool_type: str = 'avg', use_conv: bool = False,
                 input_fmt: str = 'NCHW') -> Tuple[nn.Module, int]:
    flatten_in_pool = not use_conv  # a 1x1 conv classifier wants the spatial dims kept
    if not pool_type:
        if num_classes > 0 and not use_conv:
            raise ValueError("global_pool='' returns unpooled feature maps, which a linear classifier cannot take; "
                             "pass num_classes=0 with it (or keep a pooling type such as 'avg').")
        flatten_in_pool = False
    global_pool = SelectAdaptivePool2d(pool_type=pool_type, flatten=flatten_in_pool, input_fmt=input_fmt)
    return global_pool, num_features * global_pool.feat_mult()


def _create_fc(num_features: int, num_classes: int, use_conv: bool = False) -> nn.Module:
    if num_classes <= 0:
        return nn.Identity()
    if use_conv:
        return nn.Conv2d(num_features, num_classes, 1, bias=True)
    return nn.Linear(num_features, num_classes, bias=True)


def create_classifier(
        num_features: int,
        num_classes: int,
        pool_type: str = 'avg',
        use_conv: bool = False,
        input_fmt: str = 'NCHW',
        drop_rate: Optional[float] = None,
) -> Tuple[nn.Module, ...]:
    """Return (global_pool, fc) or, with `drop_rate`, (global_pool, dropout, fc)."""
    global_pool, num_pooled = _create_pool(num_features, num_classes, pool_type, use_conv, input_fmt)
    fc = _create_fc(num_pooled, num_classes, use_conv=use_conv)
    if drop_rate is not None:
        return global_pool, nn.Dropout(drop_rate), fc
    return global_pool, fc


class ClassifierHead(nn.Module):
    """Pool -> dropout -> fc -> flatten, with keys `global_pool`, `drop`, `fc`."""

    def __init__(self, in_features: int, num_classes: int, pool_type: str = 'avg', drop_rate: float = 0.,
                 use_conv: bool = False, input_fmt: str = 'NCHW'):
        super().__init__()
        self.in_features = in_features
        self.use_conv = use_conv
        self.input_fmt = input_fmt
        self.global_pool, self.fc = create_classifier(in_features, num_classes, pool_type, use_conv, input_fmt)
        self.drop = nn.Dropout(drop_rate)
        self.flatten = nn.Flatten(1) if use_conv and pool_type else nn.Identity()

    def reset(self, num_classes: int, pool_type: Optional[str] = None) -> None:
        if pool_type is not None and pool_type != self.global_pool.pool_type:
            self.global_pool, self.fc = create_classifier(
                self.in_features, num_classes, pool_type, self.use_conv, self.input_fmt)
            self.flatten = nn.Flatten(1) if self.use_conv and pool_type else nn.Identity()
        else:
            num_pooled = self.in_features * self.global_pool.feat_mult()
            self.fc = _create_fc(num_pooled, num_classes, use_conv=self.use_conv)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.global_pool(x)
        x = self.drop(x)
        if pre_logits:
            return self.flatten(x)
        return self.flatten(self.fc(x))




