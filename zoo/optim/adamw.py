"""AdamW and NAdamW with cautious updates, corrected weight decay and update RMS clipping.

AdamW: Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019), with the AMSGrad option of Reddi et
al. (ICLR 2018). NAdamW: the simplified Nesterov-accelerated Adam used by the MLCommons AlgoPerf baseline (Dozat,
"Incorporating Nesterov Momentum into Adam", 2016): the numerator is the first moment advanced by one more step
towards the current gradient. ``torch.optim.NAdam`` instead follows Dozat's momentum-decay schedule; zoo serves that
under the name 'nadam' and this one under 'nadamw'.
"""
import math
from typing import Any, Dict, Iterable, Optional, Tuple

import torch
from torch import Tensor

from zoo.optim._base import (
    Tensors, ZooOptimizer, cautious, decoupled_decay_, lerp, rms_clip_denom_, update_moments_, validate_betas,
)

__all__ = ['AdamWLegacy', 'NAdamW', 'adam_step_']


def adam_step_(
        param: Tensors,
        grad: Tensors,
        state: Dict[str, Any],
        step: int,
        lr: float,
        betas: Tuple[float, float],
        eps: float,
        nesterov: bool = False,
        amsgrad: bool = False,
        caution: bool = False,
        clipping_threshold: Optional[float] = None,
        caution_grad: Optional[Tensors] = None,
) -> None:
    """One bias-corrected Adam step on ``param`` (weight decay is the caller's business).

    Args:
        param: Parameter(s) to update in place.
        grad: Gradient(s).
        state: ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq`` with amsgrad), updated in place.
        step: Step number of this update, from 1.
        lr: Learning rate.
        betas: First and second moment decay rates.
        eps: Added to the bias-corrected root second moment.
        nesterov: Use the first moment advanced one step towards ``grad`` (NAdamW).
        amsgrad: Normalise by the running maximum of the second moment.
        caution: Mask update components that disagree with the gradient.
        clipping_threshold: Clip the RMS of ``grad / denom`` to this value (StableAdamW); None disables.
        caution_grad: Gradient the cautious mask compares against when the moments are fed something else (MARS).
    """
    beta1, beta2 = betas
    exp_avg, exp_avg_sq = update_moments_(state, grad, betas)
    second = exp_avg_sq
    if amsgrad:
        second = state['max_exp_avg_sq'].clamp_min_(exp_avg_sq)
    denom = second.sqrt().div_(math.sqrt(1. - beta2 ** step)).add_(eps)
    if clipping_threshold is not None:
        rms_clip_denom_(denom, grad, clipping_threshold)
    numerator = lerp(exp_avg, grad, 1. - beta1) if nesterov else exp_avg
    if caution:
        numerator = cautious(numerator, grad if caution_grad is None else caution_grad)
    param.addcdiv_(numerator, denom, value=-lr / (1. - beta1 ** step))


class AdamWLegacy(ZooOptimizer):
    """AdamW with optional AMSGrad, caution, corrected weight decay and RMS clipping.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First and second moment decay rates.
        eps: Added to the bias-corrected root second moment.
        weight_decay: Decoupled weight decay.
        amsgrad: Normalise by the running maximum of the second moment.
        caution: Cautious updates.
        corrected_weight_decay: Scale the decay by ``lr ** 2 / max_lr`` instead of ``lr``.
        maximize: Maximise the objective.
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
        clipping_threshold: Clip the RMS of the normalised update (1.0 in StableAdamW); None disables.
    """

    supports_foreach = True
    nesterov = False

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-8,
            weight_decay: float = 1e-2,
            amsgrad: bool = False,
            caution: bool = False,
            corrected_weight_decay: bool = False,
            maximize: bool = False,
            foreach: Optional[bool] = None,
            clipping_threshold: Optional[float] = None,
    ) -> None:
        validate_betas(betas)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, caution=caution,
            corrected_weight_decay=corrected_weight_decay, maximize=maximize, foreach=foreach,
            clipping_threshold=clipping_threshold))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros_like(param)
        if group.get('amsgrad', False):
            state['max_exp_avg_sq'] = torch.zeros_like(param)

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        if group['maximize']:
            grad = -grad
        decoupled_decay_(param, group)
        adam_step_(
            param, grad, state, step, group['lr'], group['betas'], group['eps'], nesterov=self.nesterov,
            amsgrad=group.get('amsgrad', False), caution=group['caution'],
            clipping_threshold=group['clipping_threshold'])


class NAdamW(AdamWLegacy):
    """NAdamW (AlgoPerf formulation): :class:`AdamWLegacy` whose numerator is the first moment advanced one more step
    towards the current gradient. Same arguments (``amsgrad`` included)."""

    nesterov = True
