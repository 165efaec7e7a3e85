"""Classification heads: scores from features, plus the training loss and top-k accuracy.

A head sees what the neck gives: one tensor or a tuple of tensors (one per stage). The plain heads classify the
last element of a tuple, i.e. the deepest stage.
"""
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo.compose.registry import build_loss, register_head

__all__ = ['ClsHead', 'LinearClsHead', 'topk_accuracy']

Features = torch.Tensor | tuple[torch.Tensor, ...]


def topk_accuracy(scores: torch.Tensor, target: torch.Tensor, topk: Sequence[int] = (1,)) -> list[torch.Tensor]:
    """Percentage of samples whose true class is among the k highest scores, for each k.

    Args:
        scores: (N, C) scores.
        target: (N,) class indices.
        topk: The k values.

    Returns:
        One scalar tensor (0-100) per k.
    """
    maxk = max(topk)
    if maxk > scores.shape[1]:
        raise ValueError(f'top-{maxk} accuracy needs at least {maxk} classes, the scores have {scores.shape[1]}')
    top = scores.topk(maxk, dim=1).indices
    hits = top == target.reshape(-1, 1)
    return [hits[:, :k].any(dim=1).float().mean() * 100.0 for k in topk]


@register_head()
class ClsHead(nn.Module):
    """Head that treats its input as class scores: adds the loss and top-k accuracy on top of ``forward``.

    Subclasses override :meth:`pre_logits` / :meth:`forward`; :class:`LinearClsHead` adds a linear layer.

    Args:
        loss: Loss config dict (``dict(type='CrossEntropyLoss', loss_weight=1.0)``) or loss module.
        topk: Which top-k accuracies :meth:`loss` reports.
        cal_acc: Report accuracy in :meth:`loss` (skipped automatically for soft/mixup targets).
    """

    def __init__(
            self,
            loss: Mapping[str, Any] | nn.Module | None = None,
            topk: int | Sequence[int] = (1,),
            cal_acc: bool = True,
    ) -> None:
        super().__init__()
        topk = (topk,) if isinstance(topk, int) else tuple(topk)
        if not topk or any(int(k) < 1 for k in topk):
            raise ValueError(f'topk must be positive integers, got {topk}')
        self.topk = tuple(int(k) for k in topk)
        self.cal_acc = cal_acc
        self.loss_module = build_loss(loss if loss is not None else dict(type='CrossEntropyLoss'))

    @property
    def num_classes(self) -> int:
        """Number of classes, or 0 when not known (the scores come from upstream)."""
        return 0

    def pre_logits(self, feats: Features) -> torch.Tensor:
        """The features the classifier acts on: the last (deepest) element of a tuple."""
        if isinstance(feats, (tuple, list)):
            return feats[-1]
        return feats

    def forward(self, feats: Features) -> torch.Tensor:
        """Class scores (N, num_classes)."""
        return self.pre_logits(feats)

    def get_classifier(self) -> nn.Module:
        """The classifier layer (an identity for this head)."""
        return nn.Identity()

    def reset_classifier(self, num_classes: int) -> None:
        """A head without a classifier layer cannot change its class count."""
        raise RuntimeError(f'{type(self).__name__} has no classifier layer to reset; use LinearClsHead '
                           f'(or a head with one) to set num_classes={num_classes}')

    def loss(self, feats: Features, target: torch.Tensor, **kwargs) -> dict[str, torch.Tensor]:
        """Training loss (key 'loss') and, for class-index targets, 'accuracy_top-k' for each k.

        Args:
            feats: Neck output.
            target: (N,) class indices or (N, C) soft targets.
            **kwargs: Passed to the loss module (``weight``, ``reduction_override``...).

        Returns:
            Dict of loss and logging tensors; only keys containing 'loss' are meant to be optimised.
        """
        scores = self(feats)
        if target.shape[0] != scores.shape[0]:
            raise ValueError(f'got {target.shape[0]} targets for a batch of {scores.shape[0]}')
        losses = {'loss': self.loss_module(scores, target, **kwargs)}
        topk = tuple(k for k in self.topk if k <= scores.shape[1])
        if self.cal_acc and target.dim() == 1 and topk:
            with torch.no_grad():
                for k, acc in zip(topk, topk_accuracy(scores.detach(), target, topk)):
                    losses[f'accuracy_top-{k}'] = acc
        return losses

    def predict(self, feats: Features) -> torch.Tensor:
        """Softmax class probabilities (N, num_classes)."""
        return F.softmax(self(feats), dim=1)


@register_head()
class LinearClsHead(ClsHead):
    """A linear classifier on (N, in_channels) features (use a pooling neck before it).

    Weights are drawn from N(0, 0.01^2) and biases start at zero.

    Args:
        num_classes: Number of classes (> 0).
        in_channels: Feature channels of the neck output.
        loss: Loss config dict or module.
        topk: Which top-k accuracies :meth:`loss` reports; a k above the class count is skipped (it would
            always be 100%), so a config keeps working when ``num_classes`` is overridden.
        cal_acc: Report accuracy in :meth:`loss`.
        init_std: Std of the weight init.
    """

    def __init__(
            self,
            num_classes: int,
            in_channels: int,
            loss: Mapping[str, Any] | nn.Module | None = None,
            topk: int | Sequence[int] = (1,),
            cal_acc: bool = True,
            init_std: float = 0.01,
    ) -> None:
        super().__init__(loss=loss, topk=topk, cal_acc=cal_acc)
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f'LinearClsHead needs num_classes > 0, got {num_classes!r}; set head.num_classes to the '
                             f'number of classes in your data (reset_classifier(0) removes the classifier later)')
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'LinearClsHead needs in_channels > 0 (the neck output width), got {in_channels!r}')
        self.in_channels = in_channels
        self.init_std = init_std
        self._num_classes = num_classes
        self.fc = self._make_fc(num_classes)

    def _make_fc(self, num_classes: int) -> nn.Module:
        if num_classes == 0:
            return nn.Identity()
        fc = nn.Linear(self.in_channels, num_classes)
        nn.init.normal_(fc.weight, std=self.init_std)
        nn.init.zeros_(fc.bias)
        return fc

    @property
    def num_classes(self) -> int:
        return self._num_classes

    def forward(self, feats: Features) -> torch.Tensor:
        x = self.pre_logits(feats)
        if self._num_classes and (x.dim() != 2 or x.shape[1] != self.in_channels):
            raise ValueError(f'LinearClsHead(in_channels={self.in_channels}) expects (N, {self.in_channels}) '
                             f'features, got {tuple(x.shape)}; pool feature maps with a neck such as '
                             f"dict(type='GlobalAveragePooling') and check in_channels")
        return self.fc(x)

    def get_classifier(self) -> nn.Module:
        return self.fc

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier by a fresh one for ``num_classes`` classes (0 removes it: features out)."""
        if num_classes < 0:
            raise ValueError(f'num_classes must be >= 0, got {num_classes}')
        self._num_classes = num_classes
        self.fc = self._make_fc(num_classes)

    def loss(self, feats: Features, target: torch.Tensor, **kwargs) -> dict[str, torch.Tensor]:
        if self._num_classes == 0:
            raise RuntimeError('the classifier was removed (num_classes=0); call reset_classifier(n) before training')
        return super().loss(feats, target, **kwargs)

    def extra_repr(self) -> str:
        return f'num_classes={self._num_classes}, in_channels={self.in_channels}, topk={self.topk}'
