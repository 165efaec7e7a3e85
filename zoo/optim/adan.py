"""Adan: adaptive Nesterov momentum.

Xie et al., "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models" (2022). Three moments:
the gradient ``m``, the gradient difference ``d`` and the squared Nesterov gradient ``g + beta2 * (g - g_prev)``.
Weight decay is the paper's proximal step (divide by ``1 + lr * wd`` after the update) or, with ``no_prox``,
AdamW-style shrinking before it.
"""
import math
from typing import Any, Dict, Iterable, Optional, Tuple

import torch
from torch import Tensor

from zoo.optim._base import Tensors, ZooOptimizer, cautious, validate_betas

__all__ = ['Adan']


class Adan(ZooOptimizer):
    """Adan with proximal or decoupled weight decay and cautious updates.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: Decay rates of the gradient, gradient-difference and squared Nesterov-gradient moments.
        eps: Added to the bias-corrected root second moment.
        weight_decay: Weight decay.
        no_prox: Shrink weights before the step instead of the proximal division after it.
        caution: Cautious updates (applied to the gradient-moment term).
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
    """

    supports_foreach = True

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float, float] = (0.98, 0.92, 0.99),
            eps: float = 1e-8,
            weight_decay: float = 0.,
            no_prox: bool = False,
            caution: bool = False,
            foreach: Optional[bool] = None,
    ) -> None:
        if len(betas) != 3:
            raise ValueError(f'Adan needs three betas (got {tuple(betas)}); pass e.g. --opt-betas 0.98 0.92 0.99.')
        validate_betas(betas, 3)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, no_prox=no_prox, caution=caution,
            foreach=foreach))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_diff'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros_like(param)
        state['prev_grad'] = param.grad.detach().clone()  # the first gradient difference is zero

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2, beta3 = group['betas']
        lr, wd = group['lr'], group['weight_decay']
        prev = state['prev_grad']
        diff = grad - prev
        state['exp_avg'].lerp_(grad, 1. - beta1)
        state['exp_avg_diff'].mul_(beta2).add_(diff, alpha=1. - beta2)
        nesterov_grad = diff.mul_(beta2).add_(grad)
        state['exp_avg_sq'].mul_(beta3).addcmul_(nesterov_grad, nesterov_grad, value=1. - beta3)
        denom = state['exp_avg_sq'].sqrt().div_(math.sqrt(1. - beta3 ** step)).add_(group['eps'])
        exp_avg = cautious(state['exp_avg'], grad) if group['caution'] else state['exp_avg']
        if group['no_prox']:
            param.mul_(1. - lr * wd)
        param.addcdiv_(exp_avg, denom, value=-lr / (1. - beta1 ** step))
        param.addcdiv_(state['exp_avg_diff'], denom, value=-lr * beta2 / (1. - beta2 ** step))
        if not group['no_prox']:
            param.div_(1. + lr * wd)
        prev.copy_(grad)
