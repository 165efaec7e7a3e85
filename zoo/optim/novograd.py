"""NovoGrad: Adam-like optimizer with layer-wise (per tensor) second moments.

Ginsburg et al., "Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of Deep Networks" (2019).
"""
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

__all__ = ['NovoGrad']


class NovoGrad(Optimizer):
    """NovoGrad (NVIDIA formulation).

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First moment decay and per-tensor second moment decay.
        eps: Denominator floor.
        weight_decay: Weight decay added to the normalised gradient.
        grad_averaging: Scale the normalised gradient by ``1 - beta1``.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.95, 0.98),
            eps: float = 1e-8,
            weight_decay: float = 0.,
            grad_averaging: bool = False,
    ) -> None:
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, grad_averaging=grad_averaging))

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
                norm_sq = p.grad.pow(2).sum()
                if not state:
                    state['exp_avg'] = torch.zeros_like(p)
                    state['exp_avg_sq'] = norm_sq.clone()  # first step uses the raw norm, no zero-init bias
                else:
                    state['exp_avg_sq'].mul_(beta2).add_(norm_sq, alpha=1. - beta2)
                grad = p.grad / state['exp_avg_sq'].sqrt().add(group['eps'])
                if group['weight_decay'] != 0:
                    grad = grad.add(p, alpha=group['weight_decay'])
                if group['grad_averaging']:
                    grad = grad * (1. - beta1)
                state['exp_avg'].mul_(beta1).add_(grad)
                p.add_(state['exp_avg'], alpha=-group['lr'])
        return loss
