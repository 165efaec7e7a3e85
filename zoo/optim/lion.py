"""Lion: sign-momentum optimizer found by program search.

Chen et al., "Symbolic Discovery of Optimization Algorithms" (2023).
"""
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

__all__ = ['Lion']


class Lion(Optimizer):
    """Lion (EvoLved Sign Momentum).

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate (typically 3-10x smaller than AdamW's).
        betas: Interpolation factor for the update direction and momentum decay.
        weight_decay: Decoupled weight decay.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-4,
            betas: Tuple[float, float] = (0.9, 0.99),
            weight_decay: float = 0.,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

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
                state = self.state[p]
                if not state:
                    state['exp_avg'] = torch.zeros_like(p)
                exp_avg = state['exp_avg']
                p.mul_(1. - group['lr'] * group['weight_decay'])
                p.add_(torch.sign(exp_avg * beta1 + p.grad * (1. - beta1)), alpha=-group['lr'])
                exp_avg.lerp_(p.grad, 1. - beta2)
        return loss
