"""The DeiT-style distilled classifier pair at the top level of a model (`head`, `head_dist`), shared by the
EfficientFormer, EfficientFormerV2 and SwiftFormer families.

"Training data-efficient image transformers & distillation through attention", Touvron et al., 2021
(arXiv:2012.12877), section 5: a second classifier is trained against a teacher's predictions and, at inference, the
two classifiers' logits are averaged. Here `forward_head` always returns that average (one return type whatever the
mode) and `forward_head_distilled` returns both for a distillation training loop.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn

from zoo.models._base import check_num_classes, check_pooled_head

__all__ = ['DistilledLinearHeads']


class DistilledLinearHeads:
    """Mixin for a `ZooModel` classifying pooled features with linear `head` and (optionally) `head_dist`.

    The model calls `_init_heads` in `__init__` and may override `_pool` (default: mean over H, W of NCHW maps).
    """
    classifier_name = 'head'
    global_pool: str
    num_features: int

    def _init_heads(self, in_features: int, num_classes: int, global_pool: str, drop_rate: float,
                    distillation: bool = True) -> None:
        self._check_pool(global_pool, num_classes)
        self.global_pool = global_pool
        self.head_drop = nn.Dropout(drop_rate)
        self.head = self._linear(in_features, num_classes)
        self.head_dist = self._linear(in_features, num_classes) if distillation else None

    @staticmethod
    def _check_pool(global_pool: str, num_classes: int) -> None:
        if global_pool not in ('', 'avg'):
            raise ValueError(f"This model pools by averaging: global_pool must be 'avg' or '' (no pooling), "
                             f"got {global_pool!r}.")
        check_pooled_head(global_pool, num_classes)

    @staticmethod
    def _linear(in_features: int, num_classes: int) -> nn.Module:
        return nn.Linear(in_features, num_classes) if num_classes > 0 else nn.Identity()

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        pool = self.global_pool if global_pool is None else global_pool
        self._check_pool(pool, check_num_classes(num_classes))
        self.global_pool = pool
        self.head = self._linear(self.num_features, num_classes)
        if self.head_dist is not None:
            self.head_dist = self._linear(self.num_features, num_classes)

    def _replace_head(self, in_features: int) -> None:
        self.global_pool = ''
        self.head = nn.Identity()
        if self.head_dist is not None:
            self.head_dist = nn.Identity()

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3)) if self.global_pool == 'avg' else x

    def forward_head_distilled(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Logits of the class head and of the distillation head (from `forward_features` output)."""
        if self.head_dist is None:
            raise RuntimeError('This model has no distillation head; build it with distillation=True.')
        x = self.head_drop(self._pool(x))
        return self.head(x), self.head_dist(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if pre_logits:
            return self.head_drop(self._pool(x))
        if self.head_dist is None:
            return self.head(self.head_drop(self._pool(x)))
        x_cls, x_dist = self.forward_head_distilled(x)
        return (x_cls + x_dist) / 2
