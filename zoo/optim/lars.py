"""LARS / LARC: layer-wise adaptive rate scaling for SGD.

You et al., "Large Batch Training of Convolutional Networks" (2017). ``trust_clip`` gives LARC (NVIDIA apex):
the local rate is divided by the global lr and capped at 1, so the global lr stays an upper bound.
"""
from typing import Any, Dict, Iterable, Optional

import torch
from torch import Tensor

from zoo.optim._base import Tensors, ZooOptimizer, per_tensor
from zoo.optim.sgd import momentum_direction

__all__ = ['Lars']


class Lars(ZooOptimizer):
    """LARS with optional Nesterov momentum and LARC clipping.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Momentum factor.
        dampening: Dampening of gradients added to the momentum buffer.
        weight_decay: L2 weight decay (inside the trust ratio denominator, as in the paper).
        nesterov: Use Nesterov momentum.
        trust_coeff: Trust coefficient (eta in the paper).
        eps: Denominator floor.
        trust_clip: Clip the adaptive rate (LARC).
        always_adapt: Apply the trust ratio also to parameters without weight decay.
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
    """

    supports_foreach = True

    def __init__(
            self,
            params: Iterable,
            lr: float = 1.0,
            momentum: float = 0.,
            dampening: float = 0.,
            weight_decay: float = 0.,
            nesterov: bool = False,
            trust_coeff: float = 0.001,
            eps: float = 1e-8,
            trust_clip: bool = False,
            always_adapt: bool = False,
            foreach: Optional[bool] = None,
    ) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError('Nesterov momentum requires momentum > 0 and dampening = 0.')
        super().__init__(params, dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            trust_coeff=trust_coeff, eps=eps, trust_clip=trust_clip, always_adapt=always_adapt, foreach=foreach))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        if group['momentum'] != 0:
            state['momentum_buffer'] = torch.zeros_like(param)

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        lr, wd = group['lr'], group['weight_decay']
        if wd != 0 or group['always_adapt']:
            def local_rate(w_norm: Tensor, g_norm: Tensor) -> Tensor:
                rate = group['trust_coeff'] * w_norm / (g_norm + w_norm * wd + group['eps'])
                rate = torch.where((w_norm > 0) & (g_norm > 0), rate, torch.ones_like(rate))
                return (rate / lr).clamp(max=1.) if group['trust_clip'] else rate
            grad = grad.add(param, alpha=wd).mul_(per_tensor(local_rate, param.norm(), grad.norm()))
        if group['momentum'] != 0:
            grad = momentum_direction(state['momentum_buffer'], grad, group, step)
        param.add_(grad, alpha=-lr)
