"""Lion: sign-momentum optimizer found by program search.

Chen et al., "Symbolic Discovery of Optimization Algorithms" (2023). The step is the sign of an interpolation between
the momentum and the gradient, so every component moves by exactly ``lr``; the momentum uses a slower rate.
"""
from typing import Any, Dict, Iterable, Optional, Tuple

import torch
from torch import Tensor

from zoo.optim._base import Tensors, ZooOptimizer, cautious, decoupled_decay_, lerp, validate_betas

__all__ = ['Lion']


class Lion(ZooOptimizer):
    """Lion (EvoLved Sign Momentum) with decoupled (optionally corrected) weight decay and cautious updates.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate (typically 3-10x smaller than AdamW's).
        betas: Interpolation factor for the update direction and momentum decay.
        weight_decay: Decoupled weight decay.
        caution: Cautious updates.
        corrected_weight_decay: Scale the decay by ``lr ** 2 / max_lr`` instead of ``lr``.
        maximize: Maximise the objective.
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
    """

    supports_foreach = True

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-4,
            betas: Tuple[float, float] = (0.9, 0.99),
            weight_decay: float = 0.,
            caution: bool = False,
            corrected_weight_decay: bool = False,
            maximize: bool = False,
            foreach: Optional[bool] = None,
    ) -> None:
        validate_betas(betas)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), weight_decay=weight_decay, caution=caution,
            corrected_weight_decay=corrected_weight_decay, maximize=maximize, foreach=foreach))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2 = group['betas']
        if group['maximize']:
            grad = -grad
        decoupled_decay_(param, group)
        update = lerp(state['exp_avg'], grad, 1. - beta1).sign_()
        if group['caution']:
            update = cautious(update, grad)
        param.add_(update, alpha=-group['lr'])
        state['exp_avg'].lerp_(grad, 1. - beta2)
