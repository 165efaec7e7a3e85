"""Poly-1 losses: cross entropy (or focal loss) plus ``epsilon * (1 - p_t)``.

Leng et al., "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions" (ICLR 2022). Expanding
CE in powers of ``1 - p_t``, Poly-1 re-weights the leading term; epsilon = 2 was used for EfficientNetV2 ImageNet
training, epsilon = -1 with focal loss for detection.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from zoo.loss._reduce import REDUCTIONS, reduce_loss

__all__ = ['PolyCrossEntropy', 'PolyBinaryCrossEntropy']


def _check(smoothing: float, reduction: str, allowed: tuple) -> None:
    if not 0. <= smoothing < 1.:
        raise ValueError(f'smoothing must be in [0, 1), got {smoothing}.')
    if reduction not in allowed:
        raise ValueError(f"reduction must be one of {', '.join(allowed)}, got {reduction!r}.")


class PolyCrossEntropy(nn.Module):
    """Poly-1 softmax cross entropy; ``p_t = sum_c t_c p_c`` so smoothed and soft (mixup) targets apply to both terms.

    Args:
        epsilon: Poly-1 coefficient (0 = cross entropy).
        smoothing: Label smoothing for class-index targets (dense targets are used as given).
        reduction: 'mean', 'sum' or 'none' over the batch.
    """

    def __init__(self, epsilon: float = 2., smoothing: float = 0., reduction: str = 'mean') -> None:
        super().__init__()
        _check(smoothing, reduction, ('mean', 'sum', 'none'))
        self.epsilon = epsilon
        self.smoothing = smoothing
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits.float(), dim=-1)
        if target.shape != logits.shape:
            num_classes = logits.shape[-1]
            target = F.one_hot(target.long(), num_classes).float()
            if self.smoothing:
                target = target * (1. - self.smoothing) + self.smoothing / num_classes
        target = target.float()
        ce = -(target * log_p).sum(dim=-1)
        p_t = (target * log_p.exp()).sum(dim=-1)
        return reduce_loss(ce + self.epsilon * (1. - p_t), self.reduction)


class PolyBinaryCrossEntropy(nn.Module):
    """Poly-1 sigmoid focal loss ``FL + epsilon * (1 - p_t) ** (gamma + 1)`` for multi-label targets.

    Args:
        epsilon: Poly-1 coefficient (0 = BCE / focal loss).
        gamma: Focusing exponent (0 = BCE).
        alpha: Weight of positives (negatives get ``1 - alpha``) in both terms; None disables it.
        smoothing: Label smoothing towards 0.5 for each target.
        reduction: 'mean' (over batch and classes), 'batchmean', 'sum' or 'none'.
    """

    def __init__(
            self,
            epsilon: float = 2.,
            gamma: float = 0.,
            alpha: Optional[float] = None,
            smoothing: float = 0.,
            reduction: str = 'mean',
    ) -> None:
        super().__init__()
        _check(smoothing, reduction, REDUCTIONS)
        if alpha is not None and not 0. <= alpha <= 1.:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}.')
        self.epsilon = epsilon
        self.gamma = gamma
        self.alpha = alpha
        self.smoothing = smoothing
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x, y = logits.float(), target.float()
        if self.smoothing:
            y = y * (1. - self.smoothing) + 0.5 * self.smoothing
        p = torch.sigmoid(x)
        miss = 1. - (y * p + (1. - y) * (1. - p))  # 1 - p_t
        loss = F.binary_cross_entropy_with_logits(x, y, reduction='none')
        poly = miss
        if self.gamma:
            focal = miss ** self.gamma
            loss, poly = loss * focal, poly * focal
        loss = loss + self.epsilon * poly
        if self.alpha is not None:
            loss = loss * (y * self.alpha + (1. - y) * (1. - self.alpha))
        return reduce_loss(loss, self.reduction)
