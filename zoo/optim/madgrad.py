"""MADGRAD: momentumized, adaptive, dual-averaged gradient method.

Defazio & Jelassi, "Adaptivity without Compromise: A Momentumized, Adaptive, Dual Averaged Gradient Method for
Stochastic Optimization" (2021).
"""
import math
from typing import Callable, Iterable, Optional

import torch
from torch.optim import Optimizer

__all__ = ['MADGRAD']


class MADGRAD(Optimizer):
    """MADGRAD (dense gradients only).

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Momentum, realised as averaging of the iterate towards the dual-averaging point.
        weight_decay: Weight decay.
        eps: Added to the cube root of the accumulated squared gradients.
        decoupled_decay: Shrink weights directly instead of adding an L2 gradient.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-2,
            momentum: float = 0.9,
            weight_decay: float = 0.,
            eps: float = 1e-6,
            decoupled_decay: bool = False,
    ) -> None:
        if not 0 <= momentum < 1:
            raise ValueError(f'MADGRAD momentum must be in [0, 1), got {momentum}.')
        super().__init__(params, dict(
            lr=lr, momentum=momentum, weight_decay=weight_decay, eps=eps, decoupled_decay=decoupled_decay))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            eps, momentum = group['eps'], group['momentum']
            lr = group['lr'] + eps  # keeps the dual-averaging weight positive when lr is scheduled to zero
            group['k'] = group.get('k', 0)
            lamb = lr * math.sqrt(group['k'] + 1)
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state['grad_sum_sq'] = torch.zeros_like(p)
                    state['s'] = torch.zeros_like(p)
                    if momentum != 0:
                        state['x0'] = p.detach().clone()
                if group['weight_decay'] != 0:
                    if group['decoupled_decay']:
                        p.mul_(1. - lr * group['weight_decay'])
                    else:
                        grad = grad.add(p, alpha=group['weight_decay'])
                grad_sum_sq, s = state['grad_sum_sq'], state['s']
                if momentum == 0:
                    x0 = p.addcdiv(s, grad_sum_sq.pow(1 / 3).add_(eps), value=1)
                else:
                    x0 = state['x0']
                grad_sum_sq.addcmul_(grad, grad, value=lamb)
                rms = grad_sum_sq.pow(1 / 3).add_(eps)
                s.add_(grad, alpha=lamb)
                z = x0.addcdiv(s, rms, value=-1)
                if momentum == 0:
                    p.copy_(z)
                else:
                    p.mul_(momentum).add_(z, alpha=1. - momentum)
            group['k'] += 1
        return loss
