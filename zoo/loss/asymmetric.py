"""Asymmetric loss (ASL) for multi-label and single-label classification.

Ridnik et al., "Asymmetric Loss For Multi-Label Classification" (ICCV 2021): focal down-weighting with separate
exponents for positives and negatives, plus a probability margin ("asymmetric clipping") that discards very easy
negatives. The single-label form applies the same weighting to softmax probabilities.
"""
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

from zoo.loss._reduce import REDUCTIONS, reduce_loss

__all__ = ['AsymmetricLossMultiLabel', 'AsymmetricLossSingleLabel']


class AsymmetricLossMultiLabel(nn.Module):
    """ASL over independent sigmoid outputs; computed in float32.

    Args:
        gamma_neg: Focusing exponent of negatives.
        gamma_pos: Focusing exponent of positives.
        clip: Margin added to the negative probability (``1 - p``); None or 0 disables it.
        eps: Floor of probabilities before the log.
        disable_torch_grad_focal_loss: Treat the focusing weights as constants in backward.
        smoothing: Label smoothing towards 0.5 for each (dense) target.
        reduction: 'batchmean' (sum over classes, mean over the batch), 'sum', 'mean' or 'none'.
        weight: Per-class weight.
        pos_weight: Weight of the positive term (a number or one per class).
    """

    def __init__(
            self,
            gamma_neg: float = 4,
            gamma_pos: float = 1,
            clip: Optional[float] = 0.05,
            eps: float = 1e-8,
            disable_torch_grad_focal_loss: bool = False,
            smoothing: float = 0.,
            reduction: str = 'batchmean',
            weight: Optional[torch.Tensor] = None,
            pos_weight: Optional[Union[torch.Tensor, float]] = None,
    ) -> None:
        super().__init__()
        if not 0. <= smoothing < 1.:
            raise ValueError(f'smoothing must be in [0, 1), got {smoothing}.')
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}.")
        self.gamma_neg = gamma_neg
        self.gamma_pos = gamma_pos
        self.clip = clip
        self.eps = eps
        self.disable_torch_grad_focal_loss = disable_torch_grad_focal_loss
        self.smoothing = smoothing
        self.reduction = reduction
        if pos_weight is not None and not isinstance(pos_weight, torch.Tensor):
            pos_weight = torch.tensor(pos_weight)
        self.register_buffer('weight', weight)
        self.register_buffer('pos_weight', pos_weight)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # float32: half-precision probabilities underflow the eps floor
        x, y = logits.float(), target.float()
        if self.smoothing:
            y = y * (1. - self.smoothing) + 0.5 * self.smoothing
        p_pos = torch.sigmoid(x)
        p_neg = 1. - p_pos
        if self.clip:
            p_neg = (p_neg + self.clip).clamp(max=1.)
        pos_term = y * torch.log(p_pos.clamp(min=self.eps))
        if self.pos_weight is not None:
            pos_term = pos_term * self.pos_weight
        log_likelihood = pos_term + (1. - y) * torch.log(p_neg.clamp(min=self.eps))
        if self.gamma_neg > 0 or self.gamma_pos > 0:
            with torch.set_grad_enabled(torch.is_grad_enabled() and not self.disable_torch_grad_focal_loss):
                p_true = p_pos * y + p_neg * (1. - y)
                focus = torch.pow(1. - p_true, self.gamma_pos * y + self.gamma_neg * (1. - y))
            log_likelihood = log_likelihood * focus
        loss = -log_likelihood
        if self.weight is not None:
            loss = loss * self.weight
        return reduce_loss(loss, self.reduction)


class AsymmetricLossSingleLabel(nn.Module):
    """ASL weighting of softmax cross entropy for class-index targets.

    Args:
        gamma_pos: Focusing exponent of the target class.
        gamma_neg: Focusing exponent of the other classes.
        eps: Label smoothing.
        reduction: 'mean' over the batch, or anything else for per-sample losses.
    """

    def __init__(self, gamma_pos: float = 1, gamma_neg: float = 4, eps: float = 0.1, reduction: str = 'mean') -> None:
        super().__init__()
        self.gamma_pos = gamma_pos
        self.gamma_neg = gamma_neg
        self.eps = eps
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        num_classes = logits.shape[-1]
        log_p = F.log_softmax(logits, dim=-1)
        one_hot = torch.zeros_like(logits).scatter_(1, target.long().unsqueeze(1), 1)
        p = torch.exp(log_p)
        # 1 - p for the target class, p for the others
        distance = 1. - p * one_hot - (1. - p) * (1. - one_hot)
        focus = torch.pow(distance, self.gamma_pos * one_hot + self.gamma_neg * (1. - one_hot))
        soft = one_hot.mul(1. - self.eps).add(self.eps / num_classes) if self.eps > 0 else one_hot
        loss = -(soft * (log_p * focus)).sum(dim=-1)
        return loss.mean() if self.reduction == 'mean' else loss
