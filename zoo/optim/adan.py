"""Adan: adaptive Nesterov momentum.

Xie et al., "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models" (2022).
"""
import math
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

__all__ = ['Adan']


class Adan(Optimizer):
    """Adan with the paper's proximal (``no_prox=False``) or decoupled weight decay.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: Decay rates of the gradient, gradient-difference and squared-update moments.
        eps: Denominator floor.
        weight_decay: Weight decay.
        no_prox: Decay weights AdamW-style before the step instead of the proximal division after it.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float, float] = (0.98, 0.92, 0.99),
            eps: float = 1e-8,
            weight_decay: float = 0.,
            no_prox: bool = False,
    ) -> None:
        if len(betas) != 3:
            raise ValueError(f'Adan needs three betas (got {betas}); pass e.g. --opt-betas 0.98 0.92 0.99.')
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, no_prox=no_prox))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2, beta3 = group['betas']
            lr, wd = group['lr'], group['weight_decay']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state['step'] = 0
                    state['exp_avg'] = torch.zeros_like(p)
                    state['exp_avg_diff'] = torch.zeros_like(p)
                    state['exp_avg_sq'] = torch.zeros_like(p)
                    state['prev_grad'] = grad.clone()  # first difference is zero
                state['step'] += 1
                step = state['step']
                diff = grad - state['prev_grad']
                state['exp_avg'].mul_(beta1).add_(grad, alpha=1. - beta1)
                state['exp_avg_diff'].mul_(beta2).add_(diff, alpha=1. - beta2)
                nesterov_grad = grad + beta2 * diff
                state['exp_avg_sq'].mul_(beta3).addcmul_(nesterov_grad, nesterov_grad, value=1. - beta3)
                denom = (state['exp_avg_sq'].sqrt() / math.sqrt(1. - beta3 ** step)).add_(group['eps'])
                update = (state['exp_avg'] / (1. - beta1 ** step)
                          + beta2 * state['exp_avg_diff'] / (1. - beta2 ** step)) / denom
                if group['no_prox']:
                    p.mul_(1. - lr * wd).add_(update, alpha=-lr)
                else:
                    p.add_(update, alpha=-lr).div_(1. + lr * wd)
                state['prev_grad'].copy_(grad)
        return loss
