"""NovoGrad: Adam-like optimizer with layer-wise (per tensor) second moments.

Ginsburg et al., "Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of Deep Networks" (2019),
in NVIDIA's formulation: the second moment is the running average of each tensor's squared gradient norm, started at
the first non-zero norm (no zero-initialisation bias).
"""
from typing import Any, Dict, Iterable, Tuple

import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, decoupled_decay_, validate_betas

__all__ = ['NvNovoGrad', 'NovoGrad']


class NvNovoGrad(ZooOptimizer):
    """NovoGrad (NVIDIA formulation).

    The per-tensor norm statistics are scalars kept in the default float dtype.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: First moment decay and per-tensor second moment decay.
        eps: Denominator floor.
        weight_decay: Weight decay (added to the normalised gradient, or decoupled).
        grad_averaging: Scale the normalised gradient by ``1 - beta1``.
        amsgrad: Normalise by the running maximum of the norm statistic.
        decoupled_decay: Shrink weights directly instead of adding the decay to the normalised gradient.
        corrected_weight_decay: With ``decoupled_decay``, scale the decay by ``lr ** 2 / max_lr``.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            betas: Tuple[float, float] = (0.95, 0.98),
            eps: float = 1e-8,
            weight_decay: float = 0.,
            grad_averaging: bool = False,
            amsgrad: bool = False,
            decoupled_decay: bool = False,
            corrected_weight_decay: bool = False,
    ) -> None:
        validate_betas(betas)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, grad_averaging=grad_averaging,
            amsgrad=amsgrad, decoupled_decay=decoupled_decay, corrected_weight_decay=corrected_weight_decay))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_avg_sq'] = torch.zeros((), device=param.device)
        if group['amsgrad']:
            state['max_exp_avg_sq'] = torch.zeros((), device=param.device)

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2 = group['betas']
        norm_sq = grad.pow(2).sum()
        exp_avg_sq = state['exp_avg_sq']
        if exp_avg_sq == 0:
            exp_avg_sq.copy_(norm_sq)
        else:
            exp_avg_sq.mul_(beta2).add_(norm_sq, alpha=1. - beta2)
        second = state['max_exp_avg_sq'].clamp_min_(exp_avg_sq) if group['amsgrad'] else exp_avg_sq
        update = grad / second.sqrt().add(group['eps'])
        if group['decoupled_decay']:
            decoupled_decay_(param, group)
        elif group['weight_decay'] != 0:
            update.add_(param, alpha=group['weight_decay'])
        if group['grad_averaging']:
            update.mul_(1. - beta1)
        state['exp_avg'].mul_(beta1).add_(update)
        param.add_(state['exp_avg'], alpha=-group['lr'])


NovoGrad = NvNovoGrad  # the name zoo used before the NVIDIA-specific name was adopted
