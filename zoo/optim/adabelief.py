"""AdaBelief: Adam whose second moment tracks the variance of the gradient around its running mean.

Zhuang et al., "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients" (NeurIPS 2020).
With ``rectify=True`` the RAdam variance rectification (Liu et al., 2020) is applied ("RAdaBelief").
"""
import math
from typing import Any, Dict, Iterable, Optional, Tuple

import torch
from torch import Tensor

from zoo.optim._base import Tensors, ZooOptimizer, coupled_decay, radam_rectification, validate_betas

__all__ = ['AdaBelief']

_LOW_PRECISION = (torch.float16, torch.bfloat16)


class AdaBelief(ZooOptimizer):
    """AdaBelief with optional decoupled weight decay, AMSGrad and RAdam rectification.

    State is kept in float32 for half-precision parameters.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First moment and belief (variance) decay rates.
        eps: Added to the belief at every step and to its root, as in the paper's reference code.
        weight_decay: Weight decay.
        amsgrad: Normalise by the running maximum of the belief.
        decoupled_decay: Shrink weights directly (AdamW style) instead of adding an L2 gradient.
        fixed_decay: With ``decoupled_decay``, shrink by ``weight_decay`` per step regardless of the lr.
        rectify: Apply RAdam variance rectification.
        degenerated_to_sgd: While the variance is not tractable (early steps), take SGD-with-momentum steps.
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
    """

    supports_foreach = True

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-16,
            weight_decay: float = 0.,
            amsgrad: bool = False,
            decoupled_decay: bool = True,
            fixed_decay: bool = False,
            rectify: bool = True,
            degenerated_to_sgd: bool = True,
            foreach: Optional[bool] = None,
    ) -> None:
        validate_betas(betas)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
            decoupled_decay=decoupled_decay, fixed_decay=fixed_decay, rectify=rectify,
            degenerated_to_sgd=degenerated_to_sgd, foreach=foreach))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        dtype = torch.float32 if param.dtype in _LOW_PRECISION else param.dtype
        state['exp_avg'] = torch.zeros_like(param, dtype=dtype)
        state['exp_avg_var'] = torch.zeros_like(param, dtype=dtype)
        if group['amsgrad']:
            state['max_exp_avg_var'] = torch.zeros_like(param, dtype=dtype)

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        low_precision = param.dtype in _LOW_PRECISION
        weights = param.float() if low_precision else param
        grad = grad.float() if low_precision else grad
        beta1, beta2 = group['betas']
        lr, eps, wd = group['lr'], group['eps'], group['weight_decay']
        if group['decoupled_decay']:
            weights.mul_(1. - (wd if group['fixed_decay'] else lr * wd))
        else:
            grad = coupled_decay(grad, weights, wd)
        exp_avg, exp_avg_var = state['exp_avg'], state['exp_avg_var']
        exp_avg.lerp_(grad, 1. - beta1)
        residual = grad - exp_avg
        # eps enters the belief itself every step (it accumulates), then again outside the root
        exp_avg_var.mul_(beta2).addcmul_(residual, residual, value=1. - beta2).add_(eps)
        belief = state['max_exp_avg_var'].clamp_min_(exp_avg_var) if group['amsgrad'] else exp_avg_var
        if not group['rectify']:
            denom = belief.sqrt().div_(math.sqrt(1. - beta2 ** step)).add_(eps)
            weights.addcdiv_(exp_avg, denom, value=-lr / (1. - beta1 ** step))
        else:
            adaptive, factor = radam_rectification(step, beta1, beta2)
            if adaptive:
                weights.addcdiv_(exp_avg, exp_avg_var.sqrt().add_(eps), value=-lr * factor)
            elif group['degenerated_to_sgd']:
                weights.add_(exp_avg, alpha=-lr * factor)
        if low_precision:
            param.copy_(weights)
