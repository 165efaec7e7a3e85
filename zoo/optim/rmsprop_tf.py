"""RMSprop with TensorFlow semantics, as used to train EfficientNet / MobileNetV3 in the original papers.

Differences from ``torch.optim.RMSprop`` that matter for reproducing those recipes: the squared-gradient average
starts at one (not zero), epsilon is added inside the square root, and the learning rate is folded into the
momentum buffer so that lr changes affect only new contributions.
"""
from typing import Any, Dict, Iterable, Optional

import torch
from torch import Tensor

from zoo.optim._base import Tensors, ZooOptimizer, cautious, coupled_decay, decoupled_decay_

__all__ = ['RMSpropTF']


class RMSpropTF(ZooOptimizer):
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
        corrected_weight_decay: With ``decoupled_decay``, scale the decay by ``lr ** 2 / max_lr``.
        lr_in_momentum: Fold the lr into the momentum buffer (TF behaviour).
        caution: Cautious updates (with momentum).
        foreach: Multi-tensor implementation (None: on for CUDA parameters).
    """

    supports_foreach = True

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
            corrected_weight_decay: bool = False,
            lr_in_momentum: bool = True,
            caution: bool = False,
            foreach: Optional[bool] = None,
    ) -> None:
        super().__init__(params, dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
            decoupled_decay=decoupled_decay, corrected_weight_decay=corrected_weight_decay,
            lr_in_momentum=lr_in_momentum, caution=caution, foreach=foreach))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['square_avg'] = torch.ones_like(param)
        if group['momentum'] > 0:
            state['momentum_buffer'] = torch.zeros_like(param)
        if group['centered']:
            state['grad_avg'] = torch.zeros_like(param)

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        lr, momentum, rate = group['lr'], group['momentum'], 1. - group['alpha']
        if group['decoupled_decay']:
            decoupled_decay_(param, group)
        else:
            grad = coupled_decay(grad, param, group['weight_decay'])
        square_avg = state['square_avg']
        # TF order of ops: avg += (1 - alpha) * (g^2 - avg)
        square_avg.add_(grad * grad - square_avg, alpha=rate)
        if group['centered']:
            grad_avg = state['grad_avg']
            grad_avg.add_(grad - grad_avg, alpha=rate)
            denom = square_avg.addcmul(grad_avg, grad_avg, value=-1).add_(group['eps']).sqrt_()
        else:
            denom = square_avg.add(group['eps']).sqrt_()
        if momentum <= 0:
            param.addcdiv_(grad, denom, value=-lr)
            return
        buf = state['momentum_buffer'].mul_(momentum)
        buf.addcdiv_(grad, denom, value=lr if group['lr_in_momentum'] else 1.)
        step_dir = cautious(buf, grad) if group['caution'] else buf
        param.add_(step_dir, alpha=-1. if group['lr_in_momentum'] else -lr)
