"""Adafactor: Adam-like updates with a factored (row x column) second moment for 2-d+ weights.

Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost" (ICML 2018). With ``lr=None`` the
paper's relative step size ``min(1e-2, 1/sqrt(step))`` scaled by the parameter RMS is used.
"""
import math
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

__all__ = ['Adafactor']


def _rms(x: torch.Tensor) -> torch.Tensor:
    return x.norm(2) / math.sqrt(x.numel())


class Adafactor(Optimizer):
    """Adafactor.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate; None selects the paper's relative step size.
        eps: Added to squared gradients.
        eps_scale: Floor of the parameter RMS used to scale relative steps.
        clip_threshold: Update RMS clip threshold.
        decay_rate: Exponent of the second moment decay schedule ``1 - step ** decay_rate``.
        betas: Optional (beta1, beta2); a beta1 enables a first moment. beta2 is unused (kept for factory symmetry).
        weight_decay: Weight decay, scaled by the step size.
        scale_parameter: Scale relative steps by the parameter RMS.
        warmup_init: Linearly warm the relative step size up from 1e-6 * step.
    """

    def __init__(
            self,
            params: Iterable,
            lr: Optional[float] = None,
            eps: float = 1e-30,
            eps_scale: float = 1e-3,
            clip_threshold: float = 1.0,
            decay_rate: float = -0.8,
            betas: Optional[Tuple[float, float]] = None,
            weight_decay: float = 0.,
            scale_parameter: bool = True,
            warmup_init: bool = False,
    ) -> None:
        relative_step = not lr
        if warmup_init and not relative_step:
            raise ValueError('warmup_init=True needs lr=None (relative step size).')
        beta1 = None if betas is None else betas[0]
        super().__init__(params, dict(
            lr=lr, eps=eps, eps_scale=eps_scale, clip_threshold=clip_threshold, decay_rate=decay_rate, beta1=beta1,
            weight_decay=weight_decay, scale_parameter=scale_parameter, relative_step=relative_step,
            warmup_init=warmup_init))

    @staticmethod
    def _step_size(group: dict, step: int, param_rms: float) -> float:
        if not group['relative_step']:
            return group['lr']
        start = 1e-6 * step if group['warmup_init'] else 1e-2
        lr = min(start, 1. / math.sqrt(step))
        return lr * max(group['eps_scale'], param_rms) if group['scale_parameter'] else lr

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad.float()
                factored = grad.dim() >= 2
                state = self.state[p]
                if not state:
                    state['step'] = 0
                    if group['beta1'] is not None:
                        state['exp_avg'] = torch.zeros_like(grad)
                    if factored:
                        state['exp_avg_sq_row'] = grad.new_zeros(grad.shape[:-1])
                        state['exp_avg_sq_col'] = grad.new_zeros(grad.shape[:-2] + grad.shape[-1:])
                    else:
                        state['exp_avg_sq'] = torch.zeros_like(grad)
                state['step'] += 1
                step = state['step']
                lr = self._step_size(group, step, _rms(p.float()).item())
                beta2t = 1. - math.pow(step, group['decay_rate'])
                sq = grad.pow(2).add_(group['eps'])
                if factored:
                    row, col = state['exp_avg_sq_row'], state['exp_avg_sq_col']
                    row.mul_(beta2t).add_(sq.mean(dim=-1), alpha=1. - beta2t)
                    col.mul_(beta2t).add_(sq.mean(dim=-2), alpha=1. - beta2t)
                    # rank-1 reconstruction of the inverse square root of the second moment
                    r_factor = (row / row.mean(dim=-1, keepdim=True)).rsqrt().unsqueeze(-1)
                    update = r_factor * col.rsqrt().unsqueeze(-2) * grad
                else:
                    state['exp_avg_sq'].mul_(beta2t).add_(sq, alpha=1. - beta2t)
                    update = state['exp_avg_sq'].rsqrt() * grad
                update.div_((_rms(update) / group['clip_threshold']).clamp(min=1.)).mul_(lr)
                if group['beta1'] is not None:
                    state['exp_avg'].mul_(group['beta1']).add_(update, alpha=1. - group['beta1'])
                    update = state['exp_avg']
                if group['weight_decay'] != 0:
                    p.mul_(1. - group['weight_decay'] * lr)
                p.sub_(update.to(p.dtype))
        return loss
