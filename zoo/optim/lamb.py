"""LAMB: layer-wise adaptive moments for large-batch training.

You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes" (ICLR 2020), in the NVIDIA
apex (NVLAMB) form: gradients are first clipped by their global norm (``max_grad_norm``), the Adam update (plus L2
weight decay) is rescaled per tensor by the trust ratio ``||w|| / ||update||``; ``trust_clip`` (LAMBC) caps that
ratio at 1. ``decoupled_decay`` shrinks the weights directly instead of adding the decay to the update.
"""
import math
from typing import Any, Dict, Iterable, Optional, Tuple

import torch
from torch import Tensor

from zoo.optim._base import (
    Tensors, ZooOptimizer, cautious, decoupled_decay_, per_tensor, update_moments_, validate_betas,
)

__all__ = ['Lamb', 'trust_ratio']


def trust_ratio(w_norm: Tensors, u_norm: Tensors, clip: bool = False) -> Tensors:
    """``w_norm / u_norm`` per tensor, 1 when either norm is zero (no scale information), capped at 1 with ``clip``."""
    def ratio(w: Tensor, u: Tensor) -> Tensor:
        r = torch.where((w > 0) & (u > 0), w / u, torch.ones_like(w))
        return r.clamp(max=1.) if clip else r
    return per_tensor(ratio, w_norm, u_norm)


class Lamb(ZooOptimizer):
    """LAMB / LAMBC with optional decoupled (corrected) weight decay and cautious updates.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        bias_correction: Apply Adam bias correction.
        betas: First and second moment decay rates.
        eps: Added to the bias-corrected root second moment.
        weight_decay: Weight decay (L2 added to the update, or decoupled).
        grad_averaging: Scale the gradient entering the first moment by ``1 - beta1``.
        max_grad_norm: Global gradient norm clip applied before the update; None disables it.
        trust_clip: Clip the trust ratio at 1 (LAMBC).
        always_adapt: Apply the trust ratio also to parameters without weight decay.
        caution: Cautious updates.
        decoupled_decay: Shrink weights directly instead of adding the decay to the update.
        corrected_weight_decay: With ``decoupled_decay``, scale the decay by ``lr ** 2 / max_lr``.
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
    """

    supports_foreach = True

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            bias_correction: bool = True,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-6,
            weight_decay: float = 0.01,
            grad_averaging: bool = True,
            max_grad_norm: Optional[float] = 1.0,
            trust_clip: bool = False,
            always_adapt: bool = False,
            caution: bool = False,
            decoupled_decay: bool = False,
            corrected_weight_decay: bool = False,
            foreach: Optional[bool] = None,
    ) -> None:
        validate_betas(betas)
        super().__init__(params, dict(
            lr=lr, bias_correction=bias_correction, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
            grad_averaging=grad_averaging, max_grad_norm=max_grad_norm, trust_clip=trust_clip,
            always_adapt=always_adapt, caution=caution, decoupled_decay=decoupled_decay,
            corrected_weight_decay=corrected_weight_decay, foreach=foreach))
        self._clip_divisor: Optional[Tensor] = None

    def _before_step(self) -> None:
        max_norm = self.defaults['max_grad_norm']
        grads = [p.grad for g in self.param_groups for p in g['params'] if p.grad is not None]
        if max_norm is None or not grads:
            self._clip_divisor = None
            return
        global_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
        self._clip_divisor = (global_norm / max_norm).clamp_(min=1.)

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros_like(param)

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2 = group['betas']
        if self._clip_divisor is not None:
            grad = grad / self._clip_divisor
        if group['grad_averaging']:
            exp_avg, exp_avg_sq = update_moments_(state, grad, group['betas'])
        else:
            exp_avg, exp_avg_sq = state['exp_avg'].mul_(beta1).add_(grad), state['exp_avg_sq']
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1. - beta2)
        bias_correction1 = 1. - beta1 ** step if group['bias_correction'] else 1.
        bias_correction2 = 1. - beta2 ** step if group['bias_correction'] else 1.
        denom = exp_avg_sq.sqrt().div_(math.sqrt(bias_correction2)).add_(group['eps'])
        update = (exp_avg / bias_correction1).div_(denom)
        if group['caution']:
            update = cautious(update, grad)
        wd = group['weight_decay']
        if wd != 0:
            if group['decoupled_decay']:
                decoupled_decay_(param, group)
            else:
                update.add_(param, alpha=wd)
        if wd != 0 or group['always_adapt']:
            update.mul_(trust_ratio(param.norm(), update.norm(), group['trust_clip']))
        param.add_(update, alpha=-group['lr'])
