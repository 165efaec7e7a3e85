"""SGD variants: SGDW (decoupled weight decay) and SGDP (scale-invariance projection).

SGDW follows Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019); SGDP follows Heo et al.,
"AdamP" (ICLR 2021). Plain SGD / Nesterov come from ``torch.optim.SGD``.
"""
from typing import Any, Dict, Iterable, Optional

import torch
from torch import Tensor

from zoo.optim._base import Tensors, ZooOptimizer, cautious, decoupled_decay_
from zoo.optim._projection import project_scale_invariant

__all__ = ['SGDW', 'SGDP', 'momentum_direction']


def momentum_direction(buf: Tensors, grad: Tensors, group: Dict[str, Any], step: int) -> Tensors:
    """Advance the heavy-ball buffer (seeded with the first gradient) and return the step direction.

    Args:
        buf: Momentum buffer, updated in place.
        grad: Gradient.
        group: Param group with ``momentum``, ``dampening`` and ``nesterov``.
        step: Update number, from 1.

    Returns:
        ``grad + momentum * buf`` for Nesterov momentum, else ``buf`` itself.
    """
    if step == 1:
        buf.copy_(grad)
    else:
        buf.mul_(group['momentum']).add_(grad, alpha=1. - group['dampening'])
    return grad.add(buf, alpha=group['momentum']) if group['nesterov'] else buf


class SGDW(ZooOptimizer):
    """SGD with momentum where weight decay shrinks the weights directly instead of entering the gradient.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Momentum factor.
        dampening: Dampening applied to the gradient added to the momentum buffer.
        weight_decay: Decoupled weight decay (multiplied by ``lr``).
        nesterov: Use Nesterov momentum.
        caution: Cautious updates (with momentum).
        corrected_weight_decay: Scale the decay by ``lr ** 2 / max_lr`` instead of ``lr``.
        maximize: Maximise the objective.
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
    """

    supports_foreach = True

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            momentum: float = 0.,
            dampening: float = 0.,
            weight_decay: float = 0.,
            nesterov: bool = False,
            *,
            caution: bool = False,
            corrected_weight_decay: bool = False,
            maximize: bool = False,
            foreach: Optional[bool] = None,
    ) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError('Nesterov momentum requires momentum > 0 and dampening = 0.')
        super().__init__(params, dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            caution=caution, corrected_weight_decay=corrected_weight_decay, maximize=maximize, foreach=foreach))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        if group['momentum'] != 0:
            state['momentum_buffer'] = torch.zeros_like(param)

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        if group['maximize']:
            grad = -grad
        decoupled_decay_(param, group)
        if group['momentum'] != 0:
            direction = momentum_direction(state['momentum_buffer'], grad, group, step)
            grad = cautious(direction, grad) if group['caution'] else direction
        param.add_(grad, alpha=-group['lr'])


class SGDP(ZooOptimizer):
    """SGD with momentum and projection of the radial update component for scale-invariant weights.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Momentum factor.
        dampening: Dampening of the gradient added to the momentum buffer.
        weight_decay: Decoupled weight decay.
        nesterov: Use Nesterov momentum.
        eps: Numerical floor for norms.
        delta: Orthogonality threshold of the projection.
        wd_ratio: Weight decay multiplier for projected (scale-invariant) weights.
        caution: Cautious updates (measured against the tangential gradient for projected weights).
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            momentum: float = 0.,
            dampening: float = 0.,
            weight_decay: float = 0.,
            nesterov: bool = False,
            eps: float = 1e-8,
            delta: float = 0.1,
            wd_ratio: float = 0.1,
            caution: bool = False,
    ) -> None:
        super().__init__(params, dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            eps=eps, delta=delta, wd_ratio=wd_ratio, caution=caution))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['momentum'] = torch.zeros_like(param)

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        momentum = group['momentum']
        buf = state['momentum'].mul_(momentum).add_(grad, alpha=1. - group['dampening'])
        update = grad + momentum * buf if group['nesterov'] else buf.clone()
        update, wd_ratio = project_scale_invariant(
            param, grad, update, group['delta'], group['wd_ratio'], group['eps'], group['caution'])
        if group['weight_decay'] != 0:
            # the (1 - momentum) factor keeps the effective decay comparable to coupled L2 under momentum
            param.mul_(1. - group['lr'] * group['weight_decay'] * wd_ratio / (1. - momentum))
        param.add_(update, alpha=-group['lr'])
