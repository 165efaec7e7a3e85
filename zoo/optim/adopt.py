"""ADOPT: Adam that converges for any beta2.

Taniguchi et al., "ADOPT: Modified Adam Can Converge with Any beta2 with the Optimal Rate" (NeurIPS 2024). The
gradient is normalised by the second moment of *previous* gradients (so the two are independent) before it enters
the first moment; the first step only initialises the second moment. The normalised gradient is clipped to
``(step - 1) ** clip_exp`` as in the reference implementation, which keeps early steps bounded.
"""
from typing import Any, Dict, Iterable, Optional, Tuple

import torch
from torch import Tensor

from zoo.optim._base import Tensors, ZooOptimizer, cautious, coupled_decay, decoupled_decay_, validate_betas

__all__ = ['Adopt']


class Adopt(ZooOptimizer):
    """ADOPT with L2 or decoupled (optionally corrected) weight decay and cautious updates.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First and second moment decay rates.
        eps: Floor of the root second moment.
        clip_exp: Exponent of the normalised-gradient clip ``(step - 1) ** clip_exp``; None disables clipping.
        weight_decay: Weight decay.
        decoupled: Shrink weights directly (AdamW style) instead of adding an L2 gradient.
        corrected_weight_decay: With ``decoupled``, scale the decay by ``lr ** 2 / max_lr``.
        caution: Cautious updates.
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
        maximize: Maximise the objective.
    """

    supports_foreach = True

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.9, 0.9999),
            eps: float = 1e-6,
            clip_exp: Optional[float] = 0.333,
            weight_decay: float = 0.,
            decoupled: bool = False,
            corrected_weight_decay: bool = False,
            *,
            caution: bool = False,
            foreach: Optional[bool] = None,
            maximize: bool = False,
    ) -> None:
        validate_betas(betas)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, clip_exp=clip_exp, weight_decay=weight_decay, decoupled=decoupled,
            corrected_weight_decay=corrected_weight_decay, caution=caution, foreach=foreach, maximize=maximize))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros_like(param)

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2 = group['betas']
        if group['maximize']:
            grad = -grad
        if not group['decoupled']:
            grad = coupled_decay(grad, param, group['weight_decay'])
        exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
        if step == 1:
            exp_avg_sq.addcmul_(grad, grad)
            return
        if group['decoupled']:
            decoupled_decay_(param, group)
        normed = grad / exp_avg_sq.sqrt().clamp_(min=group['eps'])
        if group['clip_exp'] is not None:
            bound = (step - 1) ** group['clip_exp']
            normed.clamp_(min=-bound, max=bound)
        exp_avg.lerp_(normed, 1. - beta1)
        update = cautious(exp_avg, grad) if group['caution'] else exp_avg
        param.add_(update, alpha=-group['lr'])
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1. - beta2)
