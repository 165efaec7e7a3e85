"""LaProp: momentum over RMS-normalised gradients.

Ziyin et al., "LaProp: Separating Momentum and Adaptivity in Adam" (2020). Unlike Adam, the gradient is divided by
the root second moment *before* it enters the momentum, so momentum and adaptivity are decoupled. The lr is folded
into the momentum and the first-moment bias correction uses a running average of the lr, so lr schedules act on new
contributions only.
"""
import math
from typing import Any, Dict, Hashable, Iterable, Optional, Tuple

import torch
from torch import Tensor

from zoo.optim._base import Tensors, ZooOptimizer, cautious, decoupled_decay_, validate_betas

__all__ = ['LaProp']


class LaProp(ZooOptimizer):
    """LaProp with decoupled (optionally corrected) weight decay applied after the step, and cautious updates.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: Momentum and second moment decay rates.
        eps: Added to the bias-corrected root second moment.
        weight_decay: Decoupled weight decay.
        caution: Cautious updates.
        corrected_weight_decay: Scale the decay by ``lr ** 2 / max_lr`` instead of ``lr``.
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
    """

    supports_foreach = True

    def __init__(
            self,
            params: Iterable,
            lr: float = 4e-4,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-15,
            weight_decay: float = 0.,
            caution: bool = False,
            corrected_weight_decay: bool = False,
            foreach: Optional[bool] = None,
    ) -> None:
        validate_betas(betas)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, caution=caution,
            corrected_weight_decay=corrected_weight_decay, foreach=foreach))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros_like(param)
        state['lr_avg'] = 0.  # running average of the lr: the first-moment bias correction times lr
        state['bias_correction2'] = 0.

    def _advance(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> Hashable:
        beta1, beta2 = group['betas']
        state['step'] += 1
        state['lr_avg'] = beta1 * state['lr_avg'] + (1. - beta1) * group['lr']
        state['bias_correction2'] = beta2 * state['bias_correction2'] + (1. - beta2)
        # lr / lr_avg is the bias-correction factor; defined as 0 while every lr so far was 0
        step_size = group['lr'] / state['lr_avg'] if state['lr_avg'] != 0 else 0.
        return step_size, state['bias_correction2']

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                key: Tuple[float, float]) -> None:
        step_size, bias_correction2 = key
        beta1, beta2 = group['betas']
        lr = group['lr']
        exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1. - beta2)
        denom = exp_avg_sq.sqrt().div_(math.sqrt(bias_correction2)).add_(group['eps'])
        exp_avg.mul_(beta1).addcdiv_(grad, denom, value=lr * (1. - beta1))
        update = cautious(exp_avg, grad) if group['caution'] else exp_avg
        param.add_(update, alpha=-step_size)
        decoupled_decay_(param, group)  # after the step, as in the paper's reference code
