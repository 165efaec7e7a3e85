"""AdaBelief: Adam whose second moment tracks the variance of the gradient around its running mean.

Zhuang et al., "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients" (NeurIPS 2020).
With ``rectify=True`` the RAdam variance rectification (Liu et al., 2020) is applied ("RAdaBelief").
"""
import math
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

__all__ = ['AdaBelief']


class AdaBelief(Optimizer):
    """AdaBelief with optional decoupled weight decay and RAdam rectification.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First moment and belief (variance) decay rates.
        eps: Added inside and outside the square root, as in the paper's reference code.
        weight_decay: Weight decay.
        decoupled_decay: Shrink weights directly (AdamW style) instead of adding an L2 gradient.
        rectify: Apply RAdam variance rectification.
        degenerated_to_sgd: While the variance is not tractable (early steps), take SGD-with-momentum steps.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-16,
            weight_decay: float = 0.,
            decoupled_decay: bool = True,
            rectify: bool = True,
            degenerated_to_sgd: bool = True,
    ) -> None:
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, decoupled_decay=decoupled_decay,
            rectify=rectify, degenerated_to_sgd=degenerated_to_sgd))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            lr, eps = group['lr'], group['eps']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state['step'] = 0
                    state['exp_avg'] = torch.zeros_like(p)
                    state['exp_avg_var'] = torch.zeros_like(p)
                state['step'] += 1
                step = state['step']
                if group['weight_decay'] != 0:
                    if group['decoupled_decay']:
                        p.mul_(1. - lr * group['weight_decay'])
                    else:
                        grad = grad.add(p, alpha=group['weight_decay'])
                exp_avg, exp_avg_var = state['exp_avg'], state['exp_avg_var']
                exp_avg.mul_(beta1).add_(grad, alpha=1. - beta1)
                residual = grad - exp_avg
                exp_avg_var.mul_(beta2).addcmul_(residual, residual, value=1. - beta2).add_(eps)
                bias_correction1 = 1. - beta1 ** step
                bias_correction2 = 1. - beta2 ** step
                if not group['rectify']:
                    denom = (exp_avg_var.sqrt() / math.sqrt(bias_correction2)).add_(eps)
                    p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
                    continue
                rho_inf = 2. / (1. - beta2) - 1.
                beta2_t = beta2 ** step
                rho_t = rho_inf - 2. * step * beta2_t / (1. - beta2_t)
                if rho_t >= 5:
                    rect = math.sqrt(
                        (1 - beta2_t) * (rho_t - 4) / (rho_inf - 4) * (rho_t - 2) / rho_t * rho_inf / (rho_inf - 2))
                    p.addcdiv_(exp_avg, exp_avg_var.sqrt().add_(eps), value=-lr * rect / bias_correction1)
                elif group['degenerated_to_sgd']:
                    p.add_(exp_avg, alpha=-lr / bias_correction1)
        return loss
