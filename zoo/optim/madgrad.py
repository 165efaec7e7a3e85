"""MADGRAD: momentumized, adaptive, dual-averaged gradient method.

Defazio & Jelassi, "Adaptivity without Compromise: A Momentumized, Adaptive, Dual Averaged Gradient Method for
Stochastic Optimization" (2021).
"""
import math
from typing import Any, Dict, Iterable

import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, coupled_decay

__all__ = ['MADGRAD']


class MADGRAD(ZooOptimizer):
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

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['grad_sum_sq'] = torch.zeros_like(param)
        state['s'] = torch.zeros_like(param)
        if group['momentum'] != 0:
            state['x0'] = param.detach().clone()

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        eps, momentum, wd = group['eps'], group['momentum'], group['weight_decay']
        # eps keeps the dual-averaging weight positive when the lr is scheduled to zero
        lamb = (group['lr'] + eps) * math.sqrt(step)
        if wd != 0 and group['decoupled_decay']:
            param.mul_(1. - group['lr'] * wd)
        elif not group['decoupled_decay']:
            grad = coupled_decay(grad, param, wd)
        grad_sum_sq, s = state['grad_sum_sq'], state['s']
        if momentum == 0:
            x0 = param.addcdiv(s, grad_sum_sq.pow(1 / 3).add_(eps), value=1)  # recover x0 from the iterate
        else:
            x0 = state['x0']
        grad_sum_sq.addcmul_(grad, grad, value=lamb)
        s.add_(grad, alpha=lamb)
        z = x0.addcdiv(s, grad_sum_sq.pow(1 / 3).add_(eps), value=-1)
        if momentum == 0:
            param.copy_(z)
        else:
            param.mul_(momentum).add_(z, alpha=1. - momentum)
