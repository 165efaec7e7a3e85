"""Adafactor: Adam-like updates with a factored (row x column) second moment for matrices and conv kernels.

Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost" (ICML 2018). For a tensor with two
large dims the second moment is stored as its means over each of them; the rank-1 estimate
``row * col / mean(row)`` replaces the full tensor. Two variants:

* :class:`Adafactor`: the paper's algorithm with the increasing second-moment decay ``1 - step ** decay_rate``,
  update RMS clipping, an optional first moment and, with ``lr=None``, the relative step size
  ``min(1e-2, 1 / sqrt(step))`` scaled by the parameter RMS. A conv weight ``(out, in, *k)`` is factored over its
  channel dims, otherwise the trailing two dims are used; both must exceed ``min_dim_size_to_factor``.
* :class:`AdafactorBigVision`: the variant of Zhai et al., "Scaling Vision Transformers" (CVPR 2022) / big_vision:
  the decay is capped at ``beta2_cap``, the two largest dims are factored, momentum is kept in a low-precision dtype
  and the lr multiplies the final update (weight decay optionally unscaled by the lr).
"""
import math
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, cautious, rms, rms_clip_

__all__ = ['Adafactor', 'AdafactorBigVision']

_LOW_PRECISION = (torch.float16, torch.bfloat16)
FactoredDims = Optional[Tuple[int, int]]


def _init_second_moment(grad: Tensor, dims: FactoredDims, state: Dict[str, Any], dtype: torch.dtype) -> None:
    """Row / column statistics (kept with their reduced dim, size 1) or the full second moment."""
    if dims is None:
        state['exp_avg_sq'] = torch.zeros_like(grad, dtype=dtype)
        return
    dim_col, dim_row = dims
    row_shape, col_shape = list(grad.shape), list(grad.shape)
    row_shape[dim_row] = 1
    col_shape[dim_col] = 1
    state['exp_avg_sq_row'] = grad.new_zeros(row_shape, dtype=dtype)
    state['exp_avg_sq_col'] = grad.new_zeros(col_shape, dtype=dtype)


def _normalized_grad(grad: Tensor, state: Dict[str, Any], dims: FactoredDims, weight: float, eps: float) -> Tensor:
    """Update the second moment of ``grad ** 2 + eps`` with EMA weight ``weight``; return ``grad / sqrt(moment)``."""
    sq = grad * grad + eps
    if dims is None:
        return grad * state['exp_avg_sq'].lerp_(sq, weight).rsqrt()
    dim_col, dim_row = dims
    row = state['exp_avg_sq_row'].lerp_(sq.mean(dim=dim_row, keepdim=True), weight)
    col = state['exp_avg_sq_col'].lerp_(sq.mean(dim=dim_col, keepdim=True), weight)
    # rank-1 reconstruction: moment ~ row * col / mean(row)
    return grad * (row / row.mean(dim=dim_col, keepdim=True)).rsqrt() * col.rsqrt()


class Adafactor(ZooOptimizer):
    """Adafactor.

    With an explicit ``lr`` the schedule is external and neither ``scale_parameter`` nor ``warmup_init`` apply.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate; None selects the paper's relative step size.
        eps: Added to squared gradients.
        eps_scale: Floor of the parameter RMS used to scale relative steps.
        clip_threshold: Update RMS clip threshold.
        decay_rate: Exponent of the second moment decay schedule ``1 - step ** decay_rate``.
        betas: Optional (beta1, beta2); a beta1 enables a first moment. beta2 is unused (the schedule above is).
        weight_decay: Weight decay, scaled by the step size.
        scale_parameter: Scale relative steps by the parameter RMS.
        warmup_init: Linearly warm the relative step size up from 1e-6 * step.
        min_dim_size_to_factor: Factor only dims larger than this.
        caution: Cautious updates (with a first moment).
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
            min_dim_size_to_factor: int = 16,
            caution: bool = False,
    ) -> None:
        if warmup_init and lr is not None:
            raise ValueError('warmup_init=True needs lr=None (relative step size).')
        # step size: explicit, or relative (optionally warmed up and scaled by the parameter RMS)
        step_size = dict(lr=lr, relative_step=lr is None, warmup_init=warmup_init, scale_parameter=scale_parameter,
                         eps_scale=eps_scale)
        # second moment: decay schedule, factoring and update clipping
        second_moment = dict(decay_rate=decay_rate, eps=eps, min_dim_size_to_factor=min_dim_size_to_factor,
                             clip_threshold=clip_threshold)
        # optional first moment (only beta1 of the usual betas pair is used), caution and weight decay
        extras = dict(beta1=None if betas is None else betas[0], caution=caution, weight_decay=weight_decay)
        super().__init__(params, {**step_size, **second_moment, **extras})

    def _factored_dims(self, shape: Sequence[int], group: Dict[str, Any]) -> FactoredDims:
        m = group['min_dim_size_to_factor']
        if len(shape) > 2 and shape[0] > m and shape[1] > m:
            return 0, 1  # conv weights: (out, in, *kernel), factor the channel dims
        if len(shape) >= 2 and shape[-2] > m and shape[-1] > m:
            return len(shape) - 2, len(shape) - 1
        return None

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        # half-precision parameters are updated through a float32 copy, with float32 state
        dtype = torch.float32 if param.dtype in _LOW_PRECISION else param.dtype
        _init_second_moment(param.grad, self._factored_dims(param.shape, group), state, dtype)
        if group['beta1'] is not None:
            state['exp_avg'] = torch.zeros_like(param, dtype=dtype)

    @staticmethod
    def _step_size(group: Dict[str, Any], step: int, param: Tensor) -> float:
        if not group['relative_step']:
            return group['lr']
        start = 1e-6 * step if group['warmup_init'] else 1e-2
        lr = min(start, 1. / math.sqrt(step))
        return lr * max(group['eps_scale'], rms(param).item()) if group['scale_parameter'] else lr

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        low_precision = param.dtype in _LOW_PRECISION
        weights = param.float() if low_precision else param
        grad = grad.float() if low_precision else grad
        lr = self._step_size(group, step, weights)
        beta2t = 1. - math.pow(step, group['decay_rate'])
        dims = self._factored_dims(grad.shape, group)
        update = _normalized_grad(grad, state, dims, 1. - beta2t, group['eps'])
        rms_clip_(update, group['clip_threshold']).mul_(lr)
        if group['beta1'] is not None:
            update = state['exp_avg'].lerp_(update, 1. - group['beta1'])
            if group['caution']:
                update = cautious(update, grad)
        if group['weight_decay'] != 0:
            weights.add_(weights, alpha=-group['weight_decay'] * lr)
        weights.sub_(update)
        if low_precision:
            param.copy_(weights)


class AdafactorBigVision(ZooOptimizer):
    """Adafactor as in big_vision (Scaling Vision Transformers).

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate (multiplies the final update).
        min_dim_size_to_factor: Factor only when the second-largest dim has at least this size.
        decay_rate: Second moment decay ``1 - (step - decay_offset) ** -decay_rate``.
        decay_offset: Steps by which the decay schedule is delayed.
        beta2_cap: Upper bound of the second moment decay.
        momentum: First moment decay; None disables it.
        momentum_dtype: dtype of the first moment ('bfloat16', 'float16', 'float32' or a torch dtype).
        eps: Added to squared gradients; None: 1e-30 (1e-7 for float16 gradients).
        weight_decay: Decoupled weight decay.
        clipping_threshold: RMS clip of the normalised update; None disables it.
        unscaled_wd: Do not multiply the weight decay by the lr (big_vision behaviour).
        caution: Cautious updates (with momentum).
        corrected_weight_decay: Scale the decay by ``lr ** 2 / max_lr`` (``lr / max_lr`` when unscaled).
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1.0,
            min_dim_size_to_factor: int = 16,
            decay_rate: float = 0.8,
            decay_offset: int = 0,
            beta2_cap: float = 0.999,
            momentum: Optional[float] = 0.9,
            momentum_dtype: Union[str, torch.dtype] = torch.bfloat16,
            eps: Optional[float] = None,
            weight_decay: float = 0.,
            clipping_threshold: Optional[float] = None,
            unscaled_wd: bool = False,
            caution: bool = False,
            corrected_weight_decay: bool = False,
    ) -> None:
        if isinstance(momentum_dtype, str):
            dtypes = {'bfloat16': torch.bfloat16, 'float16': torch.float16, 'float32': torch.float32}
            if momentum_dtype not in dtypes:
                raise ValueError(f"momentum_dtype must be one of {', '.join(dtypes)}, got {momentum_dtype!r}.")
            momentum_dtype = dtypes[momentum_dtype]
        super().__init__(params, dict(
            lr=lr, min_dim_size_to_factor=min_dim_size_to_factor, decay_rate=decay_rate, decay_offset=decay_offset,
            beta2_cap=beta2_cap, momentum=momentum, momentum_dtype=momentum_dtype, eps=eps,
            weight_decay=weight_decay, clipping_threshold=clipping_threshold, unscaled_wd=unscaled_wd,
            caution=caution, corrected_weight_decay=corrected_weight_decay))

    def _factored_dims(self, shape: Sequence[int], group: Dict[str, Any]) -> FactoredDims:
        if len(shape) < 2:
            return None
        by_size = sorted((size, i) for i, size in enumerate(shape))
        (second, second_dim), (_, largest_dim) = by_size[-2], by_size[-1]
        if second < group['min_dim_size_to_factor']:
            return None
        return second_dim, largest_dim

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        _init_second_moment(param.grad, self._factored_dims(param.shape, group), state, param.grad.dtype)
        if group['momentum'] is not None:
            state['exp_avg'] = torch.zeros_like(param.grad, dtype=group['momentum_dtype'])

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        eps = group['eps']
        if eps is None:
            eps = 1e-7 if grad.dtype == torch.float16 else 1e-30
        decay_step = max(step - group['decay_offset'], 1)
        beta2 = min(group['beta2_cap'], 1. - decay_step ** -group['decay_rate'])
        update = _normalized_grad(grad, state, self._factored_dims(grad.shape, group), 1. - beta2, eps)
        if group['clipping_threshold'] is not None:
            rms_clip_(update, group['clipping_threshold'])
        if group['momentum'] is not None:
            exp_avg = state['exp_avg']
            exp_avg.lerp_(update.to(exp_avg.dtype), 1. - group['momentum'])
            update = exp_avg.to(grad.dtype, copy=True)
            if group['caution']:
                update = cautious(update, grad)
        lr, wd = group['lr'], group['weight_decay']
        update.mul_(lr)
        if wd != 0:
            max_lr = group['max_lr_snapshot'] if group['corrected_weight_decay'] else None
            if group['unscaled_wd']:
                scale = 1. if max_lr is None else lr / max_lr
            else:
                scale = lr if max_lr is None else lr ** 2 / max_lr
            param.mul_(1. - scale * wd)
        param.sub_(update)
