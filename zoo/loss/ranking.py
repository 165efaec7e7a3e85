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


def _soft_max(x: torch.Tensor, keep: torch.Tensor, temperature: float, dim: int) -> torch.Tensor:
    """``temperature * log-sum-exp(x / temperature)`` over the ``keep`` entries; the max as temperature -> 0."""
    return temperature * torch.logsumexp(torch.where(keep, x / temperature, _MASKED), dim=dim)


def _masked_mean(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` where ``valid``; zero, still attached to the graph, when nothing is valid."""
    return torch.where(valid, values, 0.).sum() / valid.sum().clamp(min=1)


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
        # per sample (dim 1) and per class (dim 0): penalise the margin by which the soft-max of the negatives beats
        # the soft-min of the positives, averaged over the rows / columns that have a positive at all
        return sum(
            _masked_mean(F.softplus(_soft_max(x, ~pos, self.tn, dim) + _soft_max(-x, pos, self.tp, dim)), pos.any(dim))
            for dim in (1, 0))


class ZlprLoss(nn.Module):
    """ZLPR: ``log(1 + sum_neg exp(s)) + log(1 + sum_pos exp(-s))`` per sample, averaged over the batch."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        pos = target > 0.5
        x = logits.float()
        # both terms are a log-sum-exp of "wrong-side" scores plus one zero score (the "1 +"): stack the negatives'
        # logits and the positives' negated logits as two groups and reduce them together
        wrong_side = torch.stack([x.masked_fill(pos, float('-inf')), x.neg().masked_fill(~pos, float('-inf'))])
        per_group = torch.logsumexp(F.pad(wrong_side, (0, 1)), dim=-1)
        return per_group.sum(dim=0).mean()
