"""RMSprop with TensorFlow semantics, as used to train EfficientNet / MobileNetV3 in the original papers.

Differences from ``torch.optim.RMSprop`` that matter for reproducing those recipes: the squared-gradient average
starts at one (not zero), epsilon is added inside the square root, and the learning rate is folded into the
momentum buffer so that lr changes affect only new contributions.
"""
from typing import Callable, Iterable, Optional

import torch
from torch.optim import Optimizer

__all__ = ['RMSpropTF']


class RMSpropTF(Optimizer):
    """TensorFlow-style RMSprop.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        alpha: Smoothing constant of the squared gradient average.
        eps: Added inside the square root.
        weight_decay: Weight decay.
        momentum: Momentum factor.
        centered: Normalise by an estimate of the gradient variance.
        decoupled_decay: Shrink weights directly instead of adding an L2 gradient.
        lr_in_momentum: Fold the lr into the momentum buffer (TF behaviour).
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-2,
            alpha: float = 0.9,
            eps: float = 1e-10,
            weight_decay: float = 0.,
            momentum: float = 0.,
            centered: bool = False,
            decoupled_decay: bool = False,
            lr_in_momentum: bool = True,
    ) -> None:
        super().__init__(params, dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
            decoupled_decay=decoupled_decay, lr_in_momentum=lr_in_momentum))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, rate = group['lr'], group['momentum'], 1. - group['alpha']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state['step'] = 0
                    state['square_avg'] = torch.ones_like(p)
                    if momentum > 0:
                        state['momentum_buffer'] = torch.zeros_like(p)
                    if group['centered']:
                        state['grad_avg'] = torch.zeros_like(p)
                state['step'] += 1
                if group['weight_decay'] != 0:
                    if group['decoupled_decay']:
                        p.mul_(1. - lr * group['weight_decay'])
                    else:
                        grad = grad.add(p, alpha=group['weight_decay'])
                square_avg = state['square_avg']
                square_avg.add_(grad.pow(2) - square_avg, alpha=rate)
                if group['centered']:
                    grad_avg = state['grad_avg']
                    grad_avg.add_(grad - grad_avg, alpha=rate)
                    denom = square_avg.addcmul(grad_avg, grad_avg, value=-1).add_(group['eps']).sqrt_()
                else:
                    denom = square_avg.add(group['eps']).sqrt_()
                if momentum > 0:
                    buf = state['momentum_buffer']
                    buf.mul_(momentum)
                    if group['lr_in_momentum']:
                        buf.addcdiv_(grad, denom, value=lr)
                        p.sub_(buf)
                    else:
                        buf.addcdiv_(grad, denom)
                        p.add_(buf, alpha=-lr)
                else:
                    p.addcdiv_(grad, denom, value=-lr)
        return loss
