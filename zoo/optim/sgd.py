"""SGD variants: SGDW (decoupled weight decay) and SGDP (scale-invariance projection).

SGDW follows Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019); SGDP follows Heo et al.,
"AdamP" (ICLR 2021). Plain SGD / Nesterov come from ``torch.optim.SGD``.
"""
from typing import Callable, Iterable, Optional

import torch
from torch.optim import Optimizer

from zoo.optim._projection import project_scale_invariant

__all__ = ['SGDW', 'SGDP']


class SGDW(Optimizer):
    """SGD with momentum where weight decay shrinks the weights directly instead of entering the gradient.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Momentum factor.
        dampening: Dampening applied to the gradient added to the momentum buffer.
        weight_decay: Decoupled weight decay (multiplied by ``lr``).
        nesterov: Use Nesterov momentum.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            momentum: float = 0.,
            dampening: float = 0.,
            weight_decay: float = 0.,
            nesterov: bool = False,
    ) -> None:
        if lr < 0:
            raise ValueError(f'Invalid learning rate {lr}: must be >= 0.')
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError('Nesterov momentum requires momentum > 0 and dampening = 0.')
        super().__init__(params, dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum = group['lr'], group['momentum']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                if group['weight_decay'] != 0:
                    p.mul_(1. - lr * group['weight_decay'])
                if momentum != 0:
                    state = self.state[p]
                    if 'momentum_buffer' not in state:
                        buf = state['momentum_buffer'] = grad.detach().clone()
                    else:
                        buf = state['momentum_buffer']
                        buf.mul_(momentum).add_(grad, alpha=1. - group['dampening'])
                    grad = grad.add(buf, alpha=momentum) if group['nesterov'] else buf
                p.add_(grad, alpha=-lr)
        return loss


class SGDP(Optimizer):
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
    ) -> None:
        super().__init__(params, dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            eps=eps, delta=delta, wd_ratio=wd_ratio))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            momentum = group['momentum']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if 'momentum' not in state:
                    state['momentum'] = torch.zeros_like(p)
                buf = state['momentum']
                buf.mul_(momentum).add_(grad, alpha=1. - group['dampening'])
                update = grad + momentum * buf if group['nesterov'] else buf.clone()
                wd_ratio = 1.
                if p.dim() > 1:
                    update, wd_ratio = project_scale_invariant(
                        p, grad, update, group['delta'], group['wd_ratio'], group['eps'])
                if group['weight_decay'] != 0:
                    # the (1 - momentum) factor keeps the effective decay comparable to coupled L2 under momentum
                    p.mul_(1. - group['lr'] * group['weight_decay'] * wd_ratio / (1. - momentum))
                p.add_(update, alpha=-group['lr'])
        return loss
