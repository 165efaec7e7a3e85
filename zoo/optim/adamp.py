"""AdamP: Adam with projection of the radial update component for scale-invariant weights.

Heo et al., "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant Weights" (ICLR 2021).
"""
import math
from typing import Any, Dict, Iterable, Tuple

import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, update_moments_, validate_betas
from zoo.optim._projection import project_scale_invariant

__all__ = ['AdamP']


class AdamP(ZooOptimizer):
    """Adam with decoupled weight decay and scale-invariance projection.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First and second moment decay rates.
        eps: Denominator floor.
        weight_decay: Decoupled weight decay.
        delta: Orthogonality threshold of the projection.
        wd_ratio: Weight decay multiplier for projected weights.
        nesterov: Use a Nesterov-style first moment in the update.
        caution: Cautious updates (spherical for projected weights).
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-8,
            weight_decay: float = 0.,
            delta: float = 0.1,
            wd_ratio: float = 0.1,
            nesterov: bool = False,
            caution: bool = False,
    ) -> None:
        validate_betas(betas)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, delta=delta, wd_ratio=wd_ratio,
            nesterov=nesterov, caution=caution))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros_like(param)

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2 = group['betas']
        exp_avg, exp_avg_sq = update_moments_(state, grad, group['betas'])
        denom = exp_avg_sq.sqrt().div_(math.sqrt(1. - beta2 ** step)).add_(group['eps'])
        numerator = beta1 * exp_avg + (1. - beta1) * grad if group['nesterov'] else exp_avg
        update, wd_ratio = project_scale_invariant(
            param, grad, numerator / denom, group['delta'], group['wd_ratio'], group['eps'], group['caution'])
        if group['weight_decay'] != 0:
            param.mul_(1. - group['lr'] * group['weight_decay'] * wd_ratio)
        param.add_(update, alpha=-group['lr'] / (1. - beta1 ** step))
