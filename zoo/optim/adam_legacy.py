"""Pre-``torch.optim`` implementations of NAdam and RAdam, kept for recipes that were tuned with them.

* :class:`NAdamLegacy`: Dozat, "Incorporating Nesterov Momentum into Adam" (2016), with the warming momentum
  schedule ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))`` and L2 weight decay.
* :class:`RAdamLegacy`: Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond" (ICLR 2020), with
  decoupled weight decay and SGD-with-momentum steps while the variance is intractable.
"""
import math
from typing import Any, Dict, Iterable, Tuple

import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, coupled_decay, radam_rectification, update_moments_, validate_betas

__all__ = ['NAdamLegacy', 'RAdamLegacy']


class _AdamMoments(ZooOptimizer):
    """Adam-style first / second moment state and validated betas."""

    def __init__(self, params: Iterable, betas: Tuple[float, float], **defaults: Any) -> None:
        validate_betas(betas)
        super().__init__(params, dict(betas=tuple(betas), **defaults))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros_like(param)


class NAdamLegacy(_AdamMoments):
    """NAdam with Dozat's momentum schedule.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First and second moment decay rates.
        eps: Added to the bias-corrected root second moment.
        weight_decay: L2 weight decay.
        schedule_decay: Momentum schedule decay.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 2e-3,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-8,
            weight_decay: float = 0.,
            schedule_decay: float = 4e-3,
    ) -> None:
        super().__init__(params, betas, lr=lr, eps=eps, weight_decay=weight_decay, schedule_decay=schedule_decay)

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        super()._init_state(param, group, state)
        state['m_schedule'] = 1.  # product of the momentum schedule so far

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2 = group['betas']
        grad = coupled_decay(grad, param, group['weight_decay'])

        def mu(t: int) -> float:
            return beta1 * (1. - 0.5 * 0.96 ** (t * group['schedule_decay']))
        mu_t, mu_next = mu(step), mu(step + 1)
        m_schedule = state['m_schedule'] * mu_t
        state['m_schedule'] = m_schedule
        exp_avg, exp_avg_sq = update_moments_(state, grad, group['betas'])
        denom = exp_avg_sq.sqrt().div_(math.sqrt(1. - beta2 ** step)).add_(group['eps'])
        lr = group['lr']
        param.addcdiv_(grad, denom, value=-lr * (1. - mu_t) / (1. - m_schedule))
        param.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1. - m_schedule * mu_next))


class RAdamLegacy(_AdamMoments):
    """RAdam with decoupled weight decay.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First and second moment decay rates.
        eps: Added to the root second moment.
        weight_decay: Decoupled weight decay.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-8,
            weight_decay: float = 0.,
    ) -> None:
        super().__init__(params, betas, lr=lr, eps=eps, weight_decay=weight_decay)

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2 = group['betas']
        exp_avg, exp_avg_sq = update_moments_(state, grad, group['betas'])
        adaptive, factor = radam_rectification(step, beta1, beta2)
        lr = group['lr']
        if group['weight_decay'] != 0:
            param.mul_(1. - group['weight_decay'] * lr)
        if adaptive:
            param.addcdiv_(exp_avg, exp_avg_sq.sqrt().add_(group['eps']), value=-lr * factor)
        else:
            param.add_(exp_avg, alpha=-lr * factor)
