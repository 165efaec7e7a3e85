"""Multi-label ranking losses that compare positive and negative logits instead of scoring classes independently.

* :class:`TwoWayLoss`: Kobayashi, "Two-way Multi-Label Loss" (CVPR 2023): a soft-max over negatives against a
  soft-min over positives, both across the classes of each sample and across the samples of each class.
* :class:`ZlprLoss`: Su et al., "ZLPR: A Novel Loss for Multi-label Classification" (2022): the multi-label
  extension of softmax cross entropy with zero as the decision threshold.

Targets are binarised at 0.5.
"""
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['TwoWayLoss', 'ZlprLoss']

# finite fill for masked logits: a row or column without valid entries must not produce inf - inf in backward
_MASKED = -1e4


class TwoWayLoss(nn.Module):
    """Two-way multi-label loss.

    Args:
        tp: Temperature of the soft-min over positive logits.
        tn: Temperature of the soft-max over negative logits.
    """

    def __init__(self, tp: float = 4., tn: float = 1.) -> None:
        super().__init__()
        if tp <= 0 or tn <= 0:
            raise ValueError(f'temperatures must be > 0, got tp={tp}, tn={tn}.')
        self.tp = tp
        self.tn = tn

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x = logits.float()
        pos = target > 0.5
        pos_scores = (-x / self.tp).masked_fill(~pos, _MASKED)
        neg_scores = (x / self.tn).masked_fill(pos, _MASKED)
        loss = x.new_zeros(())
        for dim in (0, 1):  # across samples (per class), then across classes (per sample)
            has_pos = pos.any(dim=dim)
            softmin_pos = torch.logsumexp(pos_scores, dim=dim) * self.tp
            softmax_neg = torch.logsumexp(neg_scores, dim=dim) * self.tn
            terms = F.softplus(softmax_neg + softmin_pos)[has_pos]
            loss = loss + terms.sum() / has_pos.sum().clamp(min=1)
        return loss


class ZlprLoss(nn.Module):
    """ZLPR: ``log(1 + sum_neg exp(s)) + log(1 + sum_pos exp(-s))`` per sample, averaged over the batch."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x = logits.float()
        pos = target > 0.5
        zero = x.new_zeros(x.shape[:-1] + (1,))  # the "1 +" inside each log, as a zero logit
        neg_term = torch.logsumexp(torch.cat([x.masked_fill(pos, float('-inf')), zero], dim=-1), dim=-1)
        pos_term = torch.logsumexp(torch.cat([(-x).masked_fill(~pos, float('-inf')), zero], dim=-1), dim=-1)
        return (neg_term + pos_term).mean()
