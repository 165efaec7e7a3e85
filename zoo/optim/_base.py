"""Machinery shared by zoo's optimizers: one step driver, multi-tensor lists and the common update pieces.

Every optimizer in this package writes its update once, as ``_update(param, grad, state, group, key)``. The driver
(:class:`ZooOptimizer`) calls it per parameter, or, for optimizers with ``supports_foreach`` and ``foreach`` on, once
per bucket of parameters with ``param``, ``grad`` and each state entry wrapped in a :class:`TensorList`. A
``TensorList`` answers the tensor methods the updates use with one ``torch._foreach_*`` kernel per op, so the
single-tensor and the multi-tensor paths run the same code.

The shared pieces implement ideas from several papers, in one place:
  * decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) and its
    "corrected" form that scales the decay by ``lr ** 2 / max_lr`` ("Why Gradients Rapidly Increase Near the End of
    Training", Defazio et al. 2025), so that the equilibrium weight norm does not depend on the lr schedule;
  * cautious updates (Liang et al., "Cautious Optimizers", 2024): components of an update that disagree in sign with
    the current gradient are zeroed and the rest rescaled to keep the update's mean magnitude;
  * update RMS clipping (Shazeer & Stern 2018; Wortsman et al., "StableAdamW", 2023);
  * the RAdam variance rectification (Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", 2020).
"""
import math
from collections import defaultdict
from typing import Any, Callable, Dict, Hashable, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor
from torch.optim import Optimizer

__all__ = [
    'TensorList', 'Tensors', 'ZooOptimizer', 'cautious', 'coupled_decay', 'decoupled_decay_', 'lerp',
    'max_lr_snapshot', 'per_tensor', 'radam_rectification', 'rms', 'rms_clip_', 'rms_clip_denom_', 'update_moments_',
    'validate_betas',
]

Scalar = Union[float, int]


class TensorList:
    """A list of tensors that behaves like one tensor for the element-wise ops optimizers use.

    Ops with a multi-tensor kernel run as one ``torch._foreach_*`` call; any other tensor method is applied tensor by
    tensor (``__getattr__``). Per-tensor reductions (``norm()``, ``mean()``) return a ``TensorList`` of 0-d tensors,
    which broadcast against the full tensors in later ops. All tensors share one device and dtype (the driver buckets
    them that way).

    Args:
        tensors: The tensors (kept by reference: in-place ops update them).
    """

    __slots__ = ('tensors',)

    def __init__(self, tensors: Iterable[Tensor]) -> None:
        self.tensors: List[Tensor] = list(tensors)

    def __len__(self) -> int:
        return len(self.tensors)

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self.tensors)

    @property
    def dtype(self) -> torch.dtype:
        return self.tensors[0].dtype

    @property
    def device(self) -> torch.device:
        return self.tensors[0].device

    @staticmethod
    def _arg(value: Any) -> Any:
        return value.tensors if isinstance(value, TensorList) else value

    def _map(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Apply ``fn(tensor_i, *args_i, **kwargs_i)`` per tensor; list arguments are zipped, others broadcast."""
        out = []
        for i, t in enumerate(self.tensors):
            a = [x.tensors[i] if isinstance(x, TensorList) else x for x in args]
            k = {n: (v.tensors[i] if isinstance(v, TensorList) else v) for n, v in kwargs.items()}
            out.append(fn(t, *a, **k))
        if all(isinstance(o, Tensor) for o in out):
            return TensorList(out)
        return out

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(Tensor, name)
        return lambda *args, **kwargs: self._map(method, *args, **kwargs)

    # in-place ops with multi-tensor kernels; each returns self so calls chain like tensor methods
    def add_(self, other: Any, alpha: Scalar = 1) -> 'TensorList':
        if isinstance(other, TensorList):
            torch._foreach_add_(self.tensors, other.tensors, alpha=alpha)
        else:
            torch._foreach_add_(self.tensors, other * alpha if alpha != 1 else other)
        return self

    def sub_(self, other: Any, alpha: Scalar = 1) -> 'TensorList':
        return self.add_(other, alpha=-alpha)

    def mul_(self, other: Any) -> 'TensorList':
        torch._foreach_mul_(self.tensors, self._arg(other))
        return self

    def div_(self, other: Any) -> 'TensorList':
        torch._foreach_div_(self.tensors, self._arg(other))
        return self

    def lerp_(self, end: 'TensorList', weight: Scalar) -> 'TensorList':
        torch._foreach_lerp_(self.tensors, end.tensors, weight)
        return self

    def addcmul_(self, t1: 'TensorList', t2: 'TensorList', value: Scalar = 1) -> 'TensorList':
        torch._foreach_addcmul_(self.tensors, t1.tensors, t2.tensors, value=value)
        return self

    def addcdiv_(self, t1: 'TensorList', t2: 'TensorList', value: Scalar = 1) -> 'TensorList':
        torch._foreach_addcdiv_(self.tensors, t1.tensors, t2.tensors, value=value)
        return self

    def sqrt_(self) -> 'TensorList':
        torch._foreach_sqrt_(self.tensors)
        return self

    def sign_(self) -> 'TensorList':
        torch._foreach_sign_(self.tensors)
        return self

    def clamp_(self, min: Optional[Scalar] = None, max: Optional[Scalar] = None) -> 'TensorList':
        if min is not None:
            torch._foreach_clamp_min_(self.tensors, min)
        if max is not None:
            torch._foreach_clamp_max_(self.tensors, max)
        return self

    def clamp_min_(self, other: 'TensorList') -> 'TensorList':
        torch._foreach_maximum_(self.tensors, other.tensors)
        return self

    def copy_(self, other: 'TensorList') -> 'TensorList':
        torch._foreach_copy_(self.tensors, other.tensors)
        return self

    def zero_(self) -> 'TensorList':
        torch._foreach_zero_(self.tensors)
        return self

    # out-of-place ops
    def add(self, other: Any, alpha: Scalar = 1) -> 'TensorList':
        if isinstance(other, TensorList):
            return TensorList(torch._foreach_add(self.tensors, other.tensors, alpha=alpha))
        return TensorList(torch._foreach_add(self.tensors, other * alpha if alpha != 1 else other))

    def mul(self, other: Any) -> 'TensorList':
        return TensorList(torch._foreach_mul(self.tensors, self._arg(other)))

    def div(self, other: Any) -> 'TensorList':
        return TensorList(torch._foreach_div(self.tensors, self._arg(other)))

    def lerp(self, end: 'TensorList', weight: Scalar) -> 'TensorList':
        return TensorList(torch._foreach_lerp(self.tensors, end.tensors, weight))

    def sqrt(self) -> 'TensorList':
        return TensorList(torch._foreach_sqrt(self.tensors))

    def sign(self) -> 'TensorList':
        return TensorList(torch._foreach_sign(self.tensors))

    def clone(self) -> 'TensorList':
        return TensorList(torch._foreach_mul(self.tensors, 1))

    def norm(self) -> 'TensorList':
        return TensorList(torch._foreach_norm(self.tensors))

    __add__ = add
    __mul__ = mul
    __rmul__ = mul
    __truediv__ = div

    def __sub__(self, other: Any) -> 'TensorList':
        return self.add(other, alpha=-1)

    def __neg__(self) -> 'TensorList':
        return TensorList(torch._foreach_neg(self.tensors))

    def __gt__(self, other: Any) -> 'TensorList':
        return self._map(Tensor.__gt__, other)


Tensors = Union[Tensor, TensorList]


def lerp(start: Tensors, end: Tensors, weight: float) -> Tensors:
    """Out-of-place ``start + weight * (end - start)`` for a tensor or a ``TensorList``."""
    return start.lerp(end, weight)


def per_tensor(fn: Callable[..., Tensor], *scalars: Tensors) -> Tensors:
    """Apply ``fn`` to per-tensor 0-d values (e.g. norms), vectorised over a ``TensorList``."""
    if not isinstance(scalars[0], TensorList):
        return fn(*scalars)
    stacked = [torch.stack(s.tensors) for s in scalars]  # type: ignore[union-attr]
    return TensorList(fn(*stacked).unbind(0))


def rms(x: Tensors) -> Tensors:
    """Root mean square of each tensor."""
    if isinstance(x, TensorList):
        return x.norm().mul_([1. / math.sqrt(t.numel()) for t in x])
    return x.norm(2) / math.sqrt(x.numel())


def rms_clip_(update: Tensors, threshold: float) -> Tensors:
    """Scale ``update`` in place so that its RMS is at most ``threshold``."""
    return update.div_(rms(update).div_(threshold).clamp_(min=1.))


def rms_clip_denom_(denom: Tensors, numerator: Tensors, threshold: float) -> None:
    """Scale ``denom`` so that ``numerator / denom`` has an RMS of at most ``threshold`` (no host sync)."""
    denom.mul_(rms(numerator / denom).div_(threshold).clamp_(min=1.))


def cautious(update: Tensors, grad: Tensors) -> Tensors:
    """Zero the components of ``update`` whose sign disagrees with ``grad``; rescale the rest by 1 / kept fraction.

    The kept fraction is floored at 1e-3 so an update that disagrees almost everywhere is not blown up.
    """
    mask = (update * grad > 0).to(grad.dtype)
    mask.div_(mask.mean().clamp_(min=1e-3))
    return update * mask


def coupled_decay(grad: Tensors, param: Tensors, weight_decay: float) -> Tensors:
    """L2 regularisation: ``grad + weight_decay * param`` (a new tensor; ``param.grad`` is left alone)."""
    return grad.add(param, alpha=weight_decay) if weight_decay != 0 else grad


def decoupled_decay_(param: Tensors, group: Dict[str, Any], weight_decay: Optional[float] = None) -> None:
    """Shrink weights by ``1 - scale * weight_decay`` with ``scale = lr`` or, corrected, ``lr ** 2 / max_lr``.

    ``max_lr`` is the lr the optimizer was constructed with (``group['max_lr_snapshot']``), i.e. the peak of the
    schedule; the corrected form keeps the steady-state weight norm independent of the lr schedule.
    """
    wd = group['weight_decay'] if weight_decay is None else weight_decay
    if wd == 0:
        return
    lr = group['lr']
    scale = lr ** 2 / group['max_lr_snapshot'] if group.get('corrected_weight_decay', False) else lr
    param.mul_(1. - scale * wd)


def max_lr_snapshot(lr: Optional[float], corrected_weight_decay: bool) -> Optional[float]:
    """The constructor lr, kept as the reference ``max_lr`` of corrected weight decay."""
    if lr is None:
        return None
    value = float(lr)
    if corrected_weight_decay and value <= 0:
        raise ValueError(
            f'corrected weight decay scales the decay by lr ** 2 / max_lr and needs the peak lr (> 0) at '
            f'construction, got lr={value}.')
    return value


def radam_rectification(step: int, beta1: float, beta2: float) -> Tuple[bool, float]:
    """RAdam's variance rectification at ``step`` (counted from 1).

    Returns:
        (adaptive, factor): whether the variance of the adaptive lr is tractable yet (approximated SMA length >= 5),
        and the step size factor without lr: ``rect / (1 - beta1 ** step)`` when adaptive, else ``1 / (1 - beta1 **
        step)`` for the SGD-with-momentum step used before that.
    """
    beta2_t = beta2 ** step
    rho_inf = 2. / (1. - beta2) - 1.
    rho_t = rho_inf - 2. * step * beta2_t / (1. - beta2_t)
    bias_correction1 = 1. - beta1 ** step
    if rho_t >= 5:
        rect = math.sqrt(
            (1. - beta2_t) * (rho_t - 4.) / (rho_inf - 4.) * (rho_t - 2.) / rho_t * rho_inf / (rho_inf - 2.))
        return True, rect / bias_correction1
    return False, 1. / bias_correction1


def update_moments_(state: Dict[str, Any], grad: Tensors, betas: Sequence[float]) -> Tuple[Tensors, Tensors]:
    """Adam's running averages of the gradient (``exp_avg``) and its square (``exp_avg_sq``), updated in place."""
    beta1, beta2 = betas[0], betas[1]
    state['exp_avg'].lerp_(grad, 1. - beta1)
    state['exp_avg_sq'].mul_(beta2).addcmul_(grad, grad, value=1. - beta2)
    return state['exp_avg'], state['exp_avg_sq']


def validate_betas(betas: Sequence[float], count: int = 2) -> None:
    """Betas must be ``count`` values in [0, 1)."""
    if len(betas) != count:
        raise ValueError(f'expected {count} betas, got {tuple(betas)}.')
    for i, beta in enumerate(betas):
        if not 0. <= beta < 1.:
            raise ValueError(f'betas[{i}] must be in [0, 1), got {beta}.')


class ZooOptimizer(Optimizer):
    """Base class: closure handling, lazy state creation, step counting and the single / multi-tensor dispatch.

    Subclasses implement :meth:`_init_state` and :meth:`_update`, and may override :meth:`_advance` (per-parameter
    scalar state, e.g. step counts, returned as the bucket key passed to ``_update``) and :meth:`_before_step`
    (work that needs every gradient, e.g. a global gradient norm).

    Attributes:
        supports_foreach: ``_update`` only uses ops a :class:`TensorList` provides, so ``foreach=True`` is allowed.
    """

    supports_foreach: bool = False

    def __init__(self, params: Iterable, defaults: Dict[str, Any]) -> None:
        if 'lr' in defaults and defaults['lr'] is not None and defaults['lr'] < 0:
            raise ValueError(f"learning rate must be >= 0, got {defaults['lr']}.")
        if defaults.get('weight_decay', 0) < 0:
            raise ValueError(f"weight_decay must be >= 0, got {defaults['weight_decay']}.")
        if 'corrected_weight_decay' in defaults:
            defaults['max_lr_snapshot'] = max_lr_snapshot(defaults.get('lr'), defaults['corrected_weight_decay'])
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        """Create the per-parameter state tensors (called before the first update of ``param``)."""
        raise NotImplementedError

    def _update(self, param: Tensors, grad: Tensors, state: Dict[str, Any], group: Dict[str, Any],
                key: Hashable) -> None:
        """Apply one update; ``state`` maps names to tensors (or ``TensorList``s), ``key`` is from :meth:`_advance`."""
        raise NotImplementedError

    def _advance(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> Hashable:
        """Advance the per-parameter scalar state; the returned key groups parameters for multi-tensor updates."""
        state['step'] += 1
        return state['step']

    def _before_step(self) -> None:
        """Hook run once per ``step()`` before any parameter is updated."""

    def _use_foreach(self, group: Dict[str, Any], params: Sequence[Tensor]) -> bool:
        if not self.supports_foreach:
            return False
        foreach = group.get('foreach')
        if foreach is None:
            # multi-tensor kernels pay off on accelerators; on CPU the per-tensor loop is as fast
            return all(p.is_cuda for p in params)
        return foreach

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Load state, keeping each saved state tensor's dtype.

        ``torch.optim.Optimizer`` casts floating-point state to the parameter dtype; zoo's optimizers keep some state
        in its own dtype on purpose (bfloat16 momentum, float32 statistics of half-precision parameters), so those
        tensors are restored from the checkpoint as saved.
        """
        saved_ids = [i for g in state_dict['param_groups'] for i in g['params']]
        params = [p for g in self.param_groups for p in g['params']]
        saved_state = state_dict['state']
        super().load_state_dict(state_dict)
        for param_id, param in zip(saved_ids, params):
            for key, value in saved_state.get(param_id, {}).items():
                if key == 'step' or key not in self.state[param]:
                    continue
                if isinstance(value, Tensor) and value.is_floating_point() and value.dtype != param.dtype:
                    self.state[param][key] = value.to(device=param.device, copy=True)
                elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) for v in value):
                    self.state[param][key] = [v.to(device=param.device, copy=True) for v in value]

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], Any]] = None) -> Optional[Any]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self._before_step()
        for group in self.param_groups:
            items = []
            for p in group['params']:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f'{type(self).__name__} does not support sparse gradients.')
                state = self.state[p]
                if 'step' not in state:  # hooks may have stored something before the first update
                    state['step'] = 0
                    self._init_state(p, group, state)
                items.append((p, state, self._advance(p, group, state)))
            if items:
                self._step_group(group, items)
        return loss

    def _step_group(self, group: Dict[str, Any], items: List[Tuple[Tensor, Dict[str, Any], Hashable]]) -> None:
        if not self._use_foreach(group, [p for p, _, _ in items]):
            for p, state, key in items:
                self._update(p, p.grad, state, group, key)
            return
        buckets: Dict[Hashable, List[Tuple[Tensor, Dict[str, Any]]]] = defaultdict(list)
        for p, state, key in items:
            buckets[(p.device, p.dtype, key)].append((p, state))
        for (_, _, key), bucket in buckets.items():
            names = [k for k, v in bucket[0][1].items() if isinstance(v, Tensor)]
            states = {k: TensorList(s[k] for _, s in bucket) for k in names}
            self._update(TensorList(p for p, _ in bucket), TensorList(p.grad for p, _ in bucket), states, group, key)
