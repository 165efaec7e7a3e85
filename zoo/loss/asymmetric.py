"""Asymmetric loss (ASL) for multi-label and single-label classification.

Ridnik et al., "Asymmetric Loss For Multi-Label Classification" (ICCV 2021): focal down-weighting with separate
exponents for positives and negatives, plus a probability margin ("asymmetric clipping") that discards very easy
negatives. The single-label form applies the same weighting to softmax probabilities.
"""
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

from zoo.loss._reduce import by_target, check_loss_options, reduce_loss, smooth_binary

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
        check_loss_options(smoothing, reduction)
        # focusing and clipping (the ASL-specific part), then the generic BCE options
        self.gamma_neg, self.gamma_pos, self.clip = gamma_neg, gamma_pos, clip
        self.disable_torch_grad_focal_loss = disable_torch_grad_focal_loss
        self.eps = eps
        self.smoothing = smoothing
        self.reduction = reduction
        # buffers, so that .to() moves them and they sit in the state_dict like timm's (None when not given)
        self.register_buffer('weight', weight)
        self.register_buffer('pos_weight', None if pos_weight is None else torch.as_tensor(pos_weight))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # float32: half-precision probabilities underflow the eps floor
        x = logits.float()
        y = smooth_binary(target.float(), self.smoothing)
        p = torch.sigmoid(x)
        # asymmetric clipping: shifting the negative probability by the margin zeroes the loss of easy negatives
        q = (1. - p + self.clip).clamp(max=1.) if self.clip else 1. - p
        log_p = p.clamp(min=self.eps).log()
        if self.pos_weight is not None:
            log_p = log_p * self.pos_weight
        nll = -by_target(y, log_p, q.clamp(min=self.eps).log())
        if self.gamma_pos > 0 or self.gamma_neg > 0:
            # (1 - p_t) ** gamma_t, with p_t the probability of the target side (the clipped one for negatives)
            focus = (1. - by_target(y, p, q)).pow(by_target(y, self.gamma_pos, self.gamma_neg))
            nll = nll * (focus.detach() if self.disable_torch_grad_focal_loss else focus)
        if self.weight is not None:
            nll = nll * self.weight
        return reduce_loss(nll, self.reduction)


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
