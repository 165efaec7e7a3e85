"""MARS: variance-reduced preconditioned optimisation.

Yuan et al., "MARS: Unleashing the Power of Variance Reduction for Training Large Models" (2024). For matrices the
moments are fed the scaled-gradient-correction ``c = g + gamma * beta1 / (1 - beta1) * (g - g_prev)``, clipped to unit
norm, and then used AdamW-style (``mars_type='adamw'``) or Lion-style (``'lion'``: sign of the first moment).
1-d parameters take plain AdamW steps unless ``optimize_1d``. The first step has no previous gradient and uses ``g``.
"""
from typing import Any, Dict, Iterable, Optional, Tuple

import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, cautious, validate_betas
from zoo.optim.adamw import adam_step_

__all__ = ['Mars']


class Mars(ZooOptimizer):
    """MARS with AdamW or Lion style updates, AdamW for 1-d parameters, and cautious updates.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First and second moment decay rates.
        eps: Added to the bias-corrected root second moment.
        weight_decay: Decoupled weight decay.
        gamma: Strength of the variance-reduction correction.
        mars_type: 'adamw' or 'lion'.
        optimize_1d: Use MARS for 1-d parameters too.
        lr_1d_factor: lr multiplier of the AdamW steps on 1-d parameters.
        betas_1d: Betas of those AdamW steps (default: ``betas``).
        caution: Cautious updates.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 3e-3,
            betas: Tuple[float, float] = (0.9, 0.99),
            eps: float = 1e-8,
            weight_decay: float = 0.,
            gamma: float = 0.025,
            mars_type: str = 'adamw',
            optimize_1d: bool = False,
            lr_1d_factor: float = 1.0,
            betas_1d: Optional[Tuple[float, float]] = None,
            caution: bool = False,
    ) -> None:
        validate_betas(betas)
        if mars_type not in ('adamw', 'lion'):
            raise ValueError(f"mars_type must be 'adamw' or 'lion', got {mars_type!r}.")
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, gamma=gamma, mars_type=mars_type,
            optimize_1d=optimize_1d, lr_1d_factor=lr_1d_factor, betas_1d=tuple(betas_1d or betas), caution=caution))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros_like(param)
        state['last_grad'] = torch.zeros_like(param)

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        lr, wd = group['lr'], group['weight_decay']
        if grad.ndim < 2 and not group['optimize_1d']:
            lr = lr * group['lr_1d_factor']
            param.mul_(1. - lr * wd)
            adam_step_(param, grad, state, step, lr, group['betas_1d'], group['eps'], caution=group['caution'])
        else:
            beta1, beta2 = group['betas']
            correction = grad
            if step > 1:
                correction = grad + (grad - state['last_grad']) * (group['gamma'] * beta1 / (1. - beta1))
            correction = correction / correction.norm().clamp(min=1.)
            param.mul_(1. - lr * wd)
            if group['mars_type'] == 'adamw':
                adam_step_(param, correction, state, step, lr, group['betas'], group['eps'],
                           caution=group['caution'], caution_grad=grad)
            else:
                exp_avg = state['exp_avg'].lerp_(correction, 1. - beta1)
                direction = cautious(exp_avg, grad) if group['caution'] else exp_avg
                param.add_(direction.sign(), alpha=-lr)
        state['last_grad'].copy_(grad)
