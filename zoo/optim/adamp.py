"""AdamP: Adam with projection of the radial update component for scale-invariant weights.

Heo et al., "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant Weights" (ICLR 2021).
"""
import math
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

from zoo.optim._projection import project_scale_invariant

__all__ = ['AdamP']


class AdamP(Optimizer):
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
    ) -> None:
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, delta=delta, wd_ratio=wd_ratio, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state['step'] = 0
                    state['exp_avg'] = torch.zeros_like(p)
                    state['exp_avg_sq'] = torch.zeros_like(p)
                state['step'] += 1
                exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                exp_avg.mul_(beta1).add_(grad, alpha=1. - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1. - beta2)
                bias_correction1 = 1. - beta1 ** state['step']
                bias_correction2 = 1. - beta2 ** state['step']
                denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(group['eps'])
                if group['nesterov']:
                    update = (beta1 * exp_avg + (1. - beta1) * grad) / denom
                else:
                    update = exp_avg / denom
                wd_ratio = 1.
                if p.dim() > 1:
                    update, wd_ratio = project_scale_invariant(
                        p, grad, update, group['delta'], group['wd_ratio'], group['eps'])
                if group['weight_decay'] != 0:
                    p.mul_(1. - group['lr'] * group['weight_decay'] * wd_ratio)
                p.add_(update, alpha=-group['lr'] / bias_correction1)
        return loss
