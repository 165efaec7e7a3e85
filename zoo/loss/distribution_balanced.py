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

from zoo.loss._reduce import by_target, check_loss_options, reduce_loss, smooth_binary

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
        check_loss_options(smoothing, reduction)
        if neg_scale <= 0:
            raise ValueError(f'neg_scale (lambda) must be > 0, got {neg_scale}.')
        self.map_alpha, self.map_beta, self.map_mu = map_alpha, map_beta, map_mu
        self.neg_scale = neg_scale
        self.focal_gamma, self.focal_balance = focal_gamma, focal_balance
        self.smoothing = smoothing
        self.reduction = reduction
        positives = self._checked_counts(class_counts, num_samples)
        self.register_buffer('freq_inv', positives.reciprocal())
        # kappa times the prior log-odds of each class, over lambda because the negative branch multiplies z by it
        self.register_buffer('logit_bias', torch.logit(positives / num_samples) * (init_bias / neg_scale))

    @staticmethod
    def _checked_counts(class_counts: Union[torch.Tensor, Sequence[float]], num_samples: int) -> torch.Tensor:
        counts = torch.as_tensor(class_counts, dtype=torch.float32)
        if counts.ndim != 1 or counts.numel() == 0:
            raise ValueError('class_counts must be a non-empty 1-d sequence.')
        if num_samples < 2 or not bool(((counts >= 0) & (counts <= num_samples)).all()):
            raise ValueError('class_counts must lie in [0, num_samples] with num_samples > 1.')
        # a class never (or always) positive would have an infinite inverse frequency or prior log-odds
        return counts.clamp(1., num_samples - 1.)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        y = target.float()
        # re-balancing: class-level over instance-level sampling probability, r = (1 / n_c) / sum_j (y_j / n_j);
        # a sample without positives has instance rate 0 and gets the largest weight, 1 + alpha
        instance_rate = (y @ self.freq_inv).unsqueeze(-1)
        ratio = self.freq_inv / instance_rate.clamp(min=torch.finfo(torch.float32).tiny)
        weight = self.map_alpha + torch.sigmoid(self.map_beta * (ratio - self.map_mu))
        z = logits.float() + self.logit_bias
        # both branches are softplus(t), optionally focal-weighted by sigmoid(t) ** gamma: t = -z for positives,
        # t = lambda * z for negatives, whose loss is then scaled back by 1 / lambda (negative-tolerant regulariser)
        pos_loss = self._branch(-z)
        neg_loss = self._branch(self.neg_scale * z) / self.neg_scale
        loss = weight * by_target(smooth_binary(y, self.smoothing), pos_loss, neg_loss)
        return reduce_loss(loss, self.reduction)

    def _branch(self, t: torch.Tensor) -> torch.Tensor:
        loss = F.softplus(t)
        if self.focal_gamma > 0:
            loss = loss * (self.focal_balance * torch.sigmoid(t).pow(self.focal_gamma))
        return loss
