"""Losses for composed classifiers, built from element-wise loss functions by :func:`weighted_loss`.

An element-wise function returns one loss per element (per sample for cross-entropy). ``weighted_loss`` turns it
into a function with the three knobs every loss shares:

* ``weight``: multiplies the element-wise loss (broadcast), e.g. per-sample weights;
* ``reduction``: ``'none'`` (element-wise), ``'mean'`` or ``'sum'``;
* ``avg_factor``: with ``'mean'``, divide the *sum* by this number instead of the element count (useful when
  some elements are padding or have zero weight). It has no meaning for ``'sum'`` or ``'none'`` and is refused.

The loss modules add ``loss_weight`` (a scale for multi-loss setups) and a per-call ``reduction_override``.
"""
import functools
from collections.abc import Callable, Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from zoo.compose.registry import register_loss

__all__ = [
    'Reduction', 'reduce_loss', 'weight_reduce_loss', 'weighted_loss',
    'cross_entropy', 'soft_cross_entropy', 'l1_loss', 'mse_loss',
    'CrossEntropyLoss', 'L1Loss', 'MSELoss',
]

Reduction = Literal['none', 'mean', 'sum']
_REDUCTIONS = ('none', 'mean', 'sum')


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {list(_REDUCTIONS)}, got {reduction!r}")


def reduce_loss(loss: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    """Reduce an element-wise loss.

    Args:
        loss: Element-wise loss.
        reduction: 'none', 'mean' or 'sum'.

    Returns:
        The reduced loss (a scalar unless ``reduction='none'``).
    """
    _check_reduction(reduction)
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    return loss


def weight_reduce_loss(
        loss: torch.Tensor,
        weight: torch.Tensor | None = None,
        reduction: Reduction = 'mean',
        avg_factor: float | torch.Tensor | None = None,
) -> torch.Tensor:
    """Apply element weights, then reduce, optionally averaging over ``avg_factor`` instead of the element count.

    Args:
        loss: Element-wise loss.
        weight: Element weights, broadcastable to ``loss``.
        reduction: 'none', 'mean' or 'sum'.
        avg_factor: Denominator for 'mean' (the weighted sum is divided by it).

    Returns:
        The weighted, reduced loss.

    Raises:
        ValueError: Bad reduction, a weight that does not broadcast, or ``avg_factor`` with 'sum'/'none'.
    """
    _check_reduction(reduction)
    if weight is not None:
        weight = torch.as_tensor(weight, dtype=loss.dtype, device=loss.device)
        if weight.dim() == 1 and loss.dim() > 1 and weight.shape[0] == loss.shape[0]:
            # A per-sample weight for a per-sample-and-class loss: align it with the batch dim, not the last dim.
            weight = weight.reshape(-1, *([1] * (loss.dim() - 1)))
        try:
            torch.broadcast_shapes(weight.shape, loss.shape)
        except RuntimeError:
            raise ValueError(f'weight of shape {tuple(weight.shape)} does not broadcast to the element-wise loss of '
                             f'shape {tuple(loss.shape)}; pass one weight per sample or per element') from None
        loss = loss * weight
    if avg_factor is None:
        return reduce_loss(loss, reduction)
    if reduction != 'mean':
        raise ValueError(f"avg_factor only applies to reduction='mean' (it replaces the element count); "
                         f"got reduction={reduction!r}. Drop avg_factor or use reduction='mean'")
    # A tiny epsilon keeps an all-padding batch (avg_factor == 0) finite instead of nan.
    return loss.sum() / (avg_factor + torch.finfo(loss.dtype).eps)


def weighted_loss(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """Decorator adding ``weight``, ``reduction`` and ``avg_factor`` to an element-wise loss.

    The decorated function keeps its own arguments (``pred, target, **kwargs``) and gains
    ``weight=None, reduction='mean', avg_factor=None``.

    Args:
        fn: ``fn(pred, target, **kwargs) -> element-wise loss``.

    Returns:
        The wrapped loss function.
    """

    @functools.wraps(fn)
    def wrapper(
            pred: torch.Tensor,
            target: torch.Tensor,
            weight: torch.Tensor | None = None,
            reduction: Reduction = 'mean',
            avg_factor: float | torch.Tensor | None = None,
            **kwargs,
    ) -> torch.Tensor:
        _check_reduction(reduction)
        return weight_reduce_loss(fn(pred, target, **kwargs), weight, reduction, avg_factor)

    return wrapper


def _check_same_shape(pred: torch.Tensor, target: torch.Tensor, name: str) -> None:
    if pred.shape != target.shape:
        raise ValueError(f'{name}: prediction shape {tuple(pred.shape)} and target shape {tuple(target.shape)} differ')


@weighted_loss
def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Element-wise absolute error."""
    _check_same_shape(pred, target, 'l1_loss')
    return (pred - target).abs()


@weighted_loss
def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Element-wise squared error."""
    _check_same_shape(pred, target, 'mse_loss')
    return (pred - target) ** 2


def _as_class_weight(class_weight: torch.Tensor | None, logits: torch.Tensor) -> torch.Tensor | None:
    if class_weight is None:
        return None
    class_weight = torch.as_tensor(class_weight, dtype=logits.dtype, device=logits.device)
    if class_weight.shape != (logits.shape[-1],):
        raise ValueError(f'class_weight has shape {tuple(class_weight.shape)} but there are {logits.shape[-1]} '
                         f'classes; give one weight per class')
    return class_weight


@weighted_loss
def cross_entropy(
        logits: torch.Tensor,
        target: torch.Tensor,
        class_weight: torch.Tensor | None = None,
        label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Per-sample cross-entropy with integer class targets.

    Args:
        logits: (N, C) scores.
        target: (N,) class indices.
        class_weight: (C,) weight of each class; scales a sample's loss by the weight of its true class
            (the smoothed part too), and 'mean' then averages over samples, not over the summed weights.
        label_smoothing: Mass spread uniformly over all classes, in [0, 1).

    Returns:
        (N,) losses.
    """
    if target.dim() != 1 or target.shape[0] != logits.shape[0]:
        raise ValueError(f'cross_entropy expects (N,) integer targets for (N, C) logits, got target '
                         f'{tuple(target.shape)} for logits {tuple(logits.shape)}; for one-hot or mixup targets '
                         f'use soft targets of shape (N, C)')
    if target.is_floating_point():
        raise TypeError('cross_entropy got float class targets; pass class indices as an integer tensor, '
                        'or soft targets of shape (N, C)')
    num_classes = logits.shape[-1]
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= num_classes):
        raise ValueError(f'class targets must lie in [0, {num_classes - 1}], got range '
                         f'[{int(target.min())}, {int(target.max())}]; check num_classes of the head')
    class_weight = _as_class_weight(class_weight, logits)
    loss = F.cross_entropy(logits, target, reduction='none', label_smoothing=label_smoothing)
    if class_weight is not None:
        loss = loss * class_weight[target]
    return loss


@weighted_loss
def soft_cross_entropy(
        logits: torch.Tensor,
        target: torch.Tensor,
        class_weight: torch.Tensor | None = None,
        label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Per-sample cross-entropy against a distribution over classes (one-hot, mixup/cutmix targets).

    Args:
        logits: (N, C) scores.
        target: (N, C) class probabilities (each row sums to 1).
        class_weight: (C,) weight of each class, applied to each class term.
        label_smoothing: Mixes the target with the uniform distribution: ``(1 - eps) * target + eps / C``.

    Returns:
        (N,) losses.
    """
    _check_same_shape(logits, target, 'soft_cross_entropy')
    target = target.to(logits.dtype)
    if label_smoothing > 0:
        target = target * (1.0 - label_smoothing) + label_smoothing / logits.shape[-1]
    terms = -target * F.log_softmax(logits, dim=-1)
    class_weight = _as_class_weight(class_weight, logits)
    if class_weight is not None:
        terms = terms * class_weight
    return terms.sum(dim=-1)


class _Loss(nn.Module):
    """Shared ``reduction`` / ``loss_weight`` handling of the loss modules."""

    def __init__(self, reduction: Reduction = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        _check_reduction(reduction)
        self.reduction = reduction
        self.loss_weight = float(loss_weight)

    def _reduction(self, reduction_override: Reduction | None) -> Reduction:
        if reduction_override is None:
            return self.reduction
        _check_reduction(reduction_override)
        return reduction_override

    def extra_repr(self) -> str:
        return f'reduction={self.reduction!r}, loss_weight={self.loss_weight}'


@register_loss()
class CrossEntropyLoss(_Loss):
    """Cross-entropy for class-index targets (N,) or soft targets (N, C), e.g. from mixup/cutmix.

    The target kind is read from its shape, so the same head works with and without mixup.

    Args:
        label_smoothing: Mass spread uniformly over all classes, in [0, 1).
        class_weight: Optional weight of each class (length C).
        reduction: Default reduction: 'none', 'mean' or 'sum'.
        loss_weight: Scale of the final loss.
    """

    def __init__(
            self,
            label_smoothing: float = 0.0,
            class_weight: Sequence[float] | None = None,
            reduction: Reduction = 'mean',
            loss_weight: float = 1.0,
    ) -> None:
        super().__init__(reduction, loss_weight)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'label_smoothing must be in [0, 1), got {label_smoothing}')
        self.label_smoothing = float(label_smoothing)
        if class_weight is not None:
            self.register_buffer('class_weight', torch.as_tensor(class_weight, dtype=torch.float32), persistent=False)
        else:
            self.class_weight = None

    def forward(
            self,
            cls_score: torch.Tensor,
            target: torch.Tensor,
            weight: torch.Tensor | None = None,
            avg_factor: float | None = None,
            reduction_override: Reduction | None = None,
    ) -> torch.Tensor:
        """Loss of (N, C) scores against (N,) class indices or (N, C) class probabilities.

        Args:
            cls_score: (N, C) logits.
            target: (N,) integer classes or (N, C) soft targets.
            weight: Optional (N,) per-sample weights.
            avg_factor: Denominator of the mean (default: N).
            reduction_override: Use this reduction for this call instead of the default.

        Returns:
            The weighted loss.
        """
        if cls_score.dim() != 2:
            raise ValueError(f'CrossEntropyLoss expects (N, C) scores, got shape {tuple(cls_score.shape)}')
        loss_fn = soft_cross_entropy if target.dim() == 2 else cross_entropy
        loss = loss_fn(cls_score, target, weight=weight, reduction=self._reduction(reduction_override),
                       avg_factor=avg_factor, class_weight=self.class_weight, label_smoothing=self.label_smoothing)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'label_smoothing={self.label_smoothing}, {super().extra_repr()}'


class _ElementwiseLoss(_Loss):
    """A loss module around one ``weighted_loss`` function of (pred, target)."""

    loss_fn: Callable[..., torch.Tensor]

    def forward(
            self,
            pred: torch.Tensor,
            target: torch.Tensor,
            weight: torch.Tensor | None = None,
            avg_factor: float | None = None,
            reduction_override: Reduction | None = None,
    ) -> torch.Tensor:
        """Loss of ``pred`` against a ``target`` of the same shape (see :func:`weight_reduce_loss`)."""
        reduction = self._reduction(reduction_override)
        return self.loss_weight * type(self).loss_fn(pred, target, weight=weight, reduction=reduction,
                                                     avg_factor=avg_factor)


@register_loss()
class L1Loss(_ElementwiseLoss):
    """Mean absolute error.

    Args:
        reduction: Default reduction: 'none', 'mean' or 'sum'.
        loss_weight: Scale of the final loss.
    """

    loss_fn = staticmethod(l1_loss)


@register_loss()
class MSELoss(_ElementwiseLoss):
    """Mean squared error.

    Args:
        reduction: Default reduction: 'none', 'mean' or 'sum'.
        loss_weight: Scale of the final loss.
    """

    loss_fn = staticmethod(mse_loss)
