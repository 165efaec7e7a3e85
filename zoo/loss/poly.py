"""Poly-1 losses: cross entropy (or focal loss) plus ``epsilon * (1 - p_t)``.

Leng et al., "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions" (ICLR 2022). Expanding
CE in powers of ``1 - p_t``, Poly-1 re-weights the leading term; epsilon = 2 was used for EfficientNetV2 ImageNet
training, epsilon = -1 with focal loss for detection.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from zoo.loss._reduce import by_target, check_loss_options, reduce_loss, smooth_binary

__all__ = ['PolyCrossEntropy', 'PolyBinaryCrossEntropy']


class PolyCrossEntropy(nn.Module):
    """Poly-1 softmax cross entropy; ``p_t = sum_c t_c p_c`` so smoothed and soft (mixup) targets apply to both terms.

    Args:
        epsilon: Poly-1 coefficient (0 = cross entropy).
        smoothing: Label smoothing for class-index targets (dense targets are used as given).
        reduction: 'mean', 'sum' or 'none' over the batch.
    """

    def __init__(self, epsilon: float = 2., smoothing: float = 0., reduction: str = 'mean') -> None:
        super().__init__()
        check_loss_options(smoothing, reduction, allowed=('mean', 'sum', 'none'))
        self.epsilon = epsilon
        self.smoothing = smoothing
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x = logits.float()
        if target.shape == x.shape:
            ce, p_t = self._soft_target_terms(x, target.float())
        else:
            # class indices: with t = (1 - s) one_hot + s / C, p_t = (1 - s) p_y + s * mean_c(p_c), and the smoothed
            # cross entropy is the one F.cross_entropy computes with label_smoothing=s
            index = target.long()
            ce = F.cross_entropy(x, index, reduction='none', label_smoothing=self.smoothing)
            probs = x.softmax(dim=-1)
            p_t = (1. - self.smoothing) * probs.gather(-1, index.unsqueeze(-1)).squeeze(-1)
            if self.smoothing:
                p_t = p_t + self.smoothing * probs.mean(dim=-1)
        return reduce_loss(ce + self.epsilon * (1. - p_t), self.reduction)

    @staticmethod
    def _soft_target_terms(x: torch.Tensor, t: torch.Tensor) -> tuple:
        log_p = x.log_softmax(dim=-1)
        return torch.sum(-t * log_p, dim=-1), torch.sum(t * log_p.exp(), dim=-1)


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
        check_loss_options(smoothing, reduction)
        if alpha is not None and (alpha < 0. or alpha > 1.):
            raise ValueError(f'alpha must be in [0, 1] (or None for no class balance), got {alpha}.')
        self.epsilon, self.gamma, self.alpha = epsilon, gamma, alpha
        self.smoothing, self.reduction = smoothing, reduction

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x = logits.float()
        y = smooth_binary(target.float(), self.smoothing)
        # 1 - p_t: the probability given to the wrong side, sigmoid(-x) for positives and sigmoid(x) for negatives
        p_wrong = by_target(y, torch.sigmoid(-x), torch.sigmoid(x))
        # Poly-1 focal loss factorises as (1 - p_t) ** gamma * (BCE + epsilon * (1 - p_t))
        loss = F.binary_cross_entropy_with_logits(x, y, reduction='none') + self.epsilon * p_wrong
        if self.gamma:
            loss = loss * p_wrong.pow(self.gamma)
        if self.alpha is not None:
            loss = loss * by_target(y, self.alpha, 1. - self.alpha)
        return reduce_loss(loss, self.reduction)
