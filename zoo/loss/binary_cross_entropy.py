"""Binary cross entropy over one-vs-all class targets, as used by the "ResNet strikes back" recipes.

Wightman et al., "ResNet strikes back: An improved training procedure in timm" (2021): BCE with smoothed one-hot
targets; with mixup, soft targets can be binarised by a threshold.
"""
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['BinaryCrossEntropy']


class BinaryCrossEntropy(nn.Module):
    """BCE-with-logits for multi-class targets given as indices or as (soft) per-class targets.

    Args:
        smoothing: Label smoothing applied when targets are class indices.
        target_threshold: Binarise (soft) targets with ``target > threshold`` when set.
        weight: Per-class weight.
        reduction: 'mean', 'sum' or 'none'.
        sum_classes: Sum over classes before reducing over the batch.
        pos_weight: Weight of positive examples (a number or one per class).
        smooth_dense: Also smooth targets given in the logits' shape (multi-label), moving each towards 0.5.
    """

    def __init__(
            self,
            smoothing: float = 0.1,
            target_threshold: Optional[float] = None,
            weight: Optional[torch.Tensor] = None,
            reduction: str = 'mean',
            sum_classes: bool = False,
            pos_weight: Optional[Union[torch.Tensor, float]] = None,
            smooth_dense: bool = False,
    ) -> None:
        super().__init__()
        if not 0. <= smoothing < 1.:
            raise ValueError(f'smoothing must be in [0, 1), got {smoothing}.')
        self.smoothing = smoothing
        self.target_threshold = target_threshold
        self.reduction = 'none' if sum_classes else reduction
        self.final_reduction = reduction if sum_classes else 'none'
        self.sum_classes = sum_classes
        self.smooth_dense = smooth_dense
        if pos_weight is not None and not isinstance(pos_weight, torch.Tensor):
            pos_weight = torch.tensor(pos_weight)
        self.register_buffer('weight', weight)
        self.register_buffer('pos_weight', pos_weight)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        num_classes = logits.shape[-1]
        if target.shape != logits.shape:
            off = self.smoothing / num_classes
            on = 1. - self.smoothing + off
            target = torch.full_like(logits, off).scatter_(-1, target.long().view(-1, 1), on)
        elif self.smooth_dense and self.smoothing:
            target = target * (1. - self.smoothing) + 0.5 * self.smoothing
        if self.target_threshold is not None:
            target = target.gt(self.target_threshold).to(logits.dtype)
        loss = F.binary_cross_entropy_with_logits(
            logits, target.to(logits.dtype), self.weight, pos_weight=self.pos_weight, reduction=self.reduction)
        if self.sum_classes:
            loss = loss.sum(-1)
            if self.final_reduction == 'mean':
                loss = loss.mean()
            elif self.final_reduction == 'sum':
                loss = loss.sum()
        return loss
