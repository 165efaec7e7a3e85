"""Distribution-Balanced loss for long-tailed multi-label classification.

Wu et al., "Distribution-Balanced Loss for Multi-Label Classification in Long-Tailed Datasets" (ECCV 2020). Sigmoid
BCE with (1) re-balanced weights: each (sample, class) term is weighted by the ratio of the class-level sampling
probability ``1 / n_c`` to the sample's instance-level one ``sum_j y_j / n_j``, smoothed as
``alpha + sigmoid(beta * (r - mu))``; (2) negative-tolerant regularisation: logits are shifted by a class-prior bias
and negatives use ``softplus(lambda * z) / lambda``; and optionally (3) a focal term, as in the paper's DB-Focal
configuration.
"""
from typing import Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from zoo.loss._reduce import REDUCTIONS, reduce_loss

__all__ = ['DistributionBalancedLoss']


class DistributionBalancedLoss(nn.Module):
    """Distribution-Balanced (DB) loss.

    Args:
        class_counts: Positive training samples per class.
        num_samples: Number of training samples the counts were taken over.
        map_alpha: Minimum of the re-balancing weight.
        map_beta: Slope of the re-balancing weight.
        map_mu: Threshold of the re-balancing weight.
        neg_scale: Negative logit scale (lambda); 1 disables the negative-tolerant scaling.
        init_bias: Class-prior logit shift (kappa); 0 disables it.
        focal_gamma: Focusing exponent; 0 disables the focal term.
        focal_balance: Constant factor of the focal term.
        smoothing: Label smoothing towards 0.5 (the re-balancing weights use the targets as given).
        reduction: 'mean', 'batchmean', 'sum' or 'none'.
    """

    def __init__(
            self,
            class_counts: Union[torch.Tensor, Sequence[float]],
            num_samples: int,
            map_alpha: float = 0.1,
            map_beta: float = 10.,
            map_mu: float = 0.2,
            neg_scale: float = 2.,
            init_bias: float = 0.05,
            focal_gamma: float = 2.,
            focal_balance: float = 2.,
            smoothing: float = 0.,
            reduction: str = 'mean',
    ) -> None:
        super().__init__()
        if not 0. <= smoothing < 1. or neg_scale <= 0:
            raise ValueError(f'smoothing must be in [0, 1) and neg_scale > 0, got {smoothing}, {neg_scale}.')
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}.")
        counts = torch.as_tensor(class_counts, dtype=torch.float32)
        if counts.ndim != 1 or not counts.numel():
            raise ValueError('class_counts must be a non-empty 1-d sequence.')
        if num_samples < 2 or (counts < 0).any() or (counts > num_samples).any():
            raise ValueError('class_counts must lie in [0, num_samples] with num_samples > 1.')
        counts = counts.clamp(1., num_samples - 1.)  # never / always positive classes would give infinite terms
        self.map_alpha = map_alpha
        self.map_beta = map_beta
        self.map_mu = map_mu
        self.neg_scale = neg_scale
        self.focal_gamma = focal_gamma
        self.focal_balance = focal_balance
        self.smoothing = smoothing
        self.reduction = reduction
        self.register_buffer('freq_inv', 1. / counts)
        # prior log-odds times kappa, divided by lambda because the negative branch multiplies it back
        self.register_buffer('logit_bias', -torch.log(num_samples / counts - 1.) * init_bias / neg_scale)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x, y = logits.float(), target.float()
        instance_rate = (y * self.freq_inv).sum(dim=-1, keepdim=True)
        # samples without positives (instance rate 0) get the largest weight
        ratio = self.freq_inv / instance_rate.clamp(min=torch.finfo(torch.float32).tiny)
        weight = torch.sigmoid(self.map_beta * (ratio - self.map_mu)) + self.map_alpha
        if self.smoothing:
            y = y * (1. - self.smoothing) + 0.5 * self.smoothing
        z = x + self.logit_bias
        pos_loss = F.softplus(-z)
        neg_loss = F.softplus(z * self.neg_scale) / self.neg_scale
        if self.focal_gamma > 0:
            pos_loss = pos_loss * torch.sigmoid(-z) ** self.focal_gamma * self.focal_balance
            neg_loss = neg_loss * torch.sigmoid(z * self.neg_scale) ** self.focal_gamma * self.focal_balance
        return reduce_loss(weight * (y * pos_loss + (1. - y) * neg_loss), self.reduction)
