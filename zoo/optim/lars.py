"""LARS / LARC: layer-wise adaptive rate scaling for SGD.

You et al., "Large Batch Training of Convolutional Networks" (2017). ``trust_clip`` gives LARC (NVIDIA apex):
the local rate is divided by the global lr and capped at 1, so the global lr stays an upper bound.
"""
from typing import Callable, Iterable, Optional

import torch
from torch.optim import Optimizer

__all__ = ['Lars']


class Lars(Optimizer):
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
    """

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
    ) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError('Nesterov momentum requires momentum > 0 and dampening = 0.')
        super().__init__(params, dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            trust_coeff=trust_coeff, eps=eps, trust_clip=trust_clip, always_adapt=always_adapt))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, wd, momentum = group['lr'], group['weight_decay'], group['momentum']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                if wd != 0 or group['always_adapt']:
                    w_norm, g_norm = p.norm(2.), grad.norm(2.)
                    ratio = group['trust_coeff'] * w_norm / (g_norm + w_norm * wd + group['eps'])
                    ratio = torch.where((w_norm > 0) & (g_norm > 0), ratio, torch.ones_like(ratio))
                    if group['trust_clip']:
                        ratio = torch.clamp(ratio / lr, max=1.)
                    grad = grad.add(p, alpha=wd).mul_(ratio)
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
