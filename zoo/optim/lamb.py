"""LAMB: layer-wise adaptive moments for large-batch training.

You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes" (ICLR 2020). As in NVIDIA's
apex implementation, gradients are first clipped by their global norm (``max_grad_norm``), and ``trust_clip``
("LAMBC") caps the trust ratio at 1.
"""
import math
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

__all__ = ['Lamb']


def _trust_ratio(w_norm: torch.Tensor, u_norm: torch.Tensor, clip: bool) -> torch.Tensor:
    # a zero weight or zero update norm gives no information about scale: fall back to a ratio of 1
    ratio = torch.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, torch.ones_like(w_norm))
    return ratio.clamp(max=1.) if clip else ratio


class Lamb(Optimizer):
    """LAMB optimizer.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First and second moment decay rates.
        eps: Denominator floor.
        weight_decay: L2 weight decay added to the Adam update before the trust ratio.
        bias_correction: Apply Adam bias correction.
        grad_averaging: Scale the gradient entering the first moment by ``1 - beta1``.
        max_grad_norm: Global gradient norm clip applied before the update; None disables it.
        trust_clip: Clip the trust ratio at 1 (LAMBC).
        always_adapt: Apply the trust ratio also to parameters without weight decay.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-6,
            weight_decay: float = 0.01,
            bias_correction: bool = True,
            grad_averaging: bool = True,
            max_grad_norm: Optional[float] = 1.0,
            trust_clip: bool = False,
            always_adapt: bool = False,
    ) -> None:
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, bias_correction=bias_correction,
            grad_averaging=grad_averaging, max_grad_norm=max_grad_norm, trust_clip=trust_clip,
            always_adapt=always_adapt))

    def _global_clip_divisor(self) -> Optional[torch.Tensor]:
        max_norm = self.defaults['max_grad_norm']
        if max_norm is None:
            return None
        norms = [p.grad.norm(2.) for g in self.param_groups for p in g['params'] if p.grad is not None]
        if not norms:
            return None
        global_norm = torch.linalg.vector_norm(torch.stack(norms))
        return torch.clamp(global_norm / max_norm, min=1.)

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        divisor = self._global_clip_divisor()
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            grad_scale = 1. - beta1 if group['grad_averaging'] else 1.
            group['step'] = group.get('step', 0) + 1
            step = group['step']
            bc1 = 1. - beta1 ** step if group['bias_correction'] else 1.
            bc2 = 1. - beta2 ** step if group['bias_correction'] else 1.
            wd = group['weight_decay']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad if divisor is None else p.grad / divisor
                state = self.state[p]
                if not state:
                    state['exp_avg'] = torch.zeros_like(p)
                    state['exp_avg_sq'] = torch.zeros_like(p)
                exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                exp_avg.mul_(beta1).add_(grad, alpha=grad_scale)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1. - beta2)
                denom = (exp_avg_sq.sqrt() / math.sqrt(bc2)).add_(group['eps'])
                update = (exp_avg / bc1).div_(denom)
                if wd != 0:
                    update.add_(p, alpha=wd)
                if wd != 0 or group['always_adapt']:
                    update.mul_(_trust_ratio(p.norm(2.), update.norm(2.), group['trust_clip']))
                p.add_(update, alpha=-group['lr'])
        return loss
