"""PSGD Kron: preconditioned SGD with a Kronecker-factored preconditioner.

Li, "Preconditioned Stochastic Gradient Descent" (IEEE TNNLS 2018) and "Stochastic Hessian Fittings with Lie Groups"
(2024); the Kron variant popularised by E. Walters' kron_torch. Each tensor dim ``i`` owns a factor ``Q_i``, upper
triangular (or diagonal for large / unit / forced dims); the preconditioner is ``P = Q^T Q`` applied dim by dim.
``Q`` is fitted online so that ``P`` whitens the (momentum) gradient: with a random probe ``V``,
``A = G x_i Q_i`` and ``B = V x_i Q_i^{-T}``, each factor moves along ``triu(A_i A_i^T - B_i B_i^T)`` normalised by a
cheap lower bound of its spectral norm. Preconditioner updates happen with a probability annealed from 1 to 0.03,
the preconditioned step is RMS-capped at 1.1, and the factors are rebalanced now and then.

Randomness: the probe ``V`` is drawn from torch's global generator (or, with ``deterministic``, from a generator
seeded by the optimizer's own Python RNG, which is part of ``state_dict()``); the rebalancing and stochastic weight
decay draws come from that Python RNG (seed 1337).
"""
import random
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, decoupled_decay_

__all__ = ['Kron', 'precond_update_prob_schedule']

_TINY = torch.finfo(torch.bfloat16).tiny


def precond_update_prob_schedule(
        n: float,
        max_prob: float = 1.0,
        min_prob: float = 0.03,
        decay: float = 0.001,
        flat_start: float = 500,
) -> Tensor:
    """Preconditioner update probability after ``n`` steps: ``max_prob`` for ``flat_start`` steps, then an
    exponential anneal to ``min_prob`` (reached after ~4000 steps with the defaults)."""
    prob = max_prob * torch.exp(-decay * (torch.tensor(n, dtype=torch.float32) - flat_start))
    return prob.clamp_(min=min_prob, max=max_prob)


def _flatten_dims(x: Tensor, start: int, end: int) -> Tensor:
    """``x.flatten(start, end)`` when that range exists in ``x``, else ``x``."""
    end = min(end if end >= 0 else x.ndim + end, x.ndim - 1)
    return x.flatten(start, end) if x.ndim > start and start <= end else x


def _diagonal_dims(shape: Sequence[int], memory_save_mode: Optional[str]) -> List[bool]:
    if memory_save_mode is None:
        return [False] * len(shape)
    if memory_save_mode == 'all_diag':
        return [True] * len(shape)
    if memory_save_mode not in ('one_diag', 'smart_one_diag'):
        raise ValueError(f"memory_save_mode must be None, 'one_diag', 'smart_one_diag' or 'all_diag', "
                         f"got {memory_save_mode!r}.")
    diag = [False] * len(shape)
    ordered = sorted(shape)
    # 'smart' keeps all factors triangular when the two largest dims tie
    if len(shape) and (memory_save_mode == 'one_diag' or (len(shape) >= 2 and ordered[-1] > ordered[-2])):
        diag[int(np.argsort(shape)[::-1][0])] = True
    return diag


def _init_factors(grad: Tensor, group: Dict[str, Any], dtype: torch.dtype) -> List[Tensor]:
    scale = group['precond_init_scale']
    if grad.ndim == 0:
        return [scale * torch.ones_like(grad, dtype=dtype)]
    scale = scale ** (1. / grad.ndim)
    factors = []
    for size, diag in zip(grad.shape, _diagonal_dims(grad.shape, group['memory_save_mode'])):
        if diag or size == 1 or size > group['max_size_triangular'] or grad.ndim < group['min_ndim_triangular']:
            factors.append(scale * torch.ones(size, dtype=dtype, device=grad.device))
        else:
            factors.append(scale * torch.eye(size, dtype=dtype, device=grad.device))
    return factors


def _along(x: Tensor, dim: int, factor: Tensor, transpose: bool = False) -> Tensor:
    """Multiply ``x`` along ``dim`` by a factor: a matrix ``M`` maps ``x_dim -> M x_dim``; a vector scales."""
    if factor.ndim < 2:
        shape = [1] * x.ndim
        shape[dim] = -1
        return x * factor.view(shape)
    m = factor.t() if transpose else factor
    return torch.movedim(torch.tensordot(m, x, dims=([1], [dim])), 0, dim)


def _solve_along(x: Tensor, dim: int, factor: Tensor) -> Tensor:
    """``x`` along ``dim`` multiplied from the right by ``factor^-1`` (a row vector times the inverse)."""
    if factor.ndim < 2:
        shape = [1] * x.ndim
        shape[dim] = -1
        return x / factor.view(shape)
    moved = torch.movedim(x, dim, -1)
    work = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype  # no half triangular solve
    rows = moved.reshape(-1, moved.shape[-1]).to(work)
    solved = torch.linalg.solve_triangular(factor.to(work), rows, upper=True, left=False)
    return torch.movedim(solved.reshape(moved.shape).to(x.dtype), -1, dim)


def _gram(x: Tensor, dim: int, diagonal: bool) -> Tensor:
    """Contraction of ``x`` with itself over every dim but ``dim``: the matrix ``X_d X_d^T`` or its diagonal."""
    rows = torch.movedim(x, dim, 0).reshape(x.shape[dim], -1)
    return (rows * rows).sum(1) if diagonal else rows @ rows.t()


def _spectral_norm_lower_bound(a: Tensor) -> Tensor:
    """A cheap lower bound of ``||a||_2``: one power-iteration step started from the row / column of largest norm."""
    max_abs = a.abs().max()
    if max_abs == 0:
        return max_abs
    a = a / max_abs
    sq = a * a
    col_best, col = sq.sum(0).max(0)
    row_best, row = sq.sum(1).max(0)
    if col_best > row_best:
        x = a[:, col] @ a
        return max_abs * torch.linalg.vector_norm((x / torch.linalg.vector_norm(x)) @ a.t())
    x = a @ a[row]
    return max_abs * torch.linalg.vector_norm(a.t() @ (x / torch.linalg.vector_norm(x)))


def _fit_factors_(factors: List[Tensor], g: Tensor, v: Tensor, precond_lr: float) -> None:
    """One fitting step of every factor towards whitening ``g``, using the probe ``v``."""
    if g.ndim == 0:
        q = factors[0]
        a, b = q * g, v / q
        t1, t2 = a * a, b * b
        q.sub_(precond_lr * (t1 - t2) * q / ((t1 + t2).abs().max() + _TINY))
        return
    a, b = g, v
    for i, q in enumerate(factors):
        a = _along(a, i, q)
        b = _solve_along(b, i, q)
    for i, q in enumerate(factors):
        diagonal = q.ndim < 2
        t1, t2 = _gram(a, i, diagonal), _gram(b, i, diagonal)
        if diagonal:
            q.sub_(precond_lr * (t1 - t2) * q / ((t1 + t2).abs().max() + _TINY))
        else:
            step = torch.triu(precond_lr * (t1 - t2)) / (_spectral_norm_lower_bound(t1 + t2) + _TINY)
            q.sub_(step @ q)


def _precondition(factors: List[Tensor], g: Tensor) -> Tensor:
    """``P g`` with ``P = Q^T Q`` per dim."""
    if g.ndim == 0:
        return factors[0] * factors[0] * g
    out = g
    for i, q in enumerate(factors):
        out = _along(_along(out, i, q), i, q, transpose=True)
    return out


def _balance_(factors: List[Tensor]) -> None:
    """Rescale the factors to equal max-abs values, keeping their product (the preconditioner) unchanged."""
    norms = torch.stack([q.abs().max() for q in factors])
    target = norms.prod() ** (1. / len(factors))
    for q, norm in zip(factors, norms):
        q.mul_(target / norm)


class Kron(ZooOptimizer):
    """PSGD Kron with momentum, L2 or decoupled (optionally corrected, stochastic) weight decay.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Momentum (debiased) fed to the preconditioner.
        weight_decay: Weight decay.
        preconditioner_update_probability: Probability of a preconditioner update, or a callable of the step; None
            uses :func:`precond_update_prob_schedule`.
        max_size_triangular: Dims larger than this get a diagonal factor.
        min_ndim_triangular: Tensors with fewer dims get diagonal factors only.
        memory_save_mode: None, 'one_diag' (largest dim diagonal), 'smart_one_diag' (only if it is strictly the
            largest) or 'all_diag'.
        momentum_into_precond_update: Fit the preconditioner to the momentum instead of the raw gradient.
        precond_lr: Step size of the preconditioner fit.
        precond_init_scale: Initial scale of the preconditioner.
        mu_dtype: dtype of the momentum buffer (default: the gradient's).
        precond_dtype: dtype of the factors (default: the gradient's).
        decoupled_decay: Shrink weights directly instead of adding the decay to the preconditioned step.
        corrected_weight_decay: With ``decoupled_decay``, scale the decay by ``lr ** 2 / max_lr``.
        flatten: Flatten dims ``flatten_start_dim..flatten_end_dim`` (e.g. conv kernels) before preconditioning.
        flatten_start_dim: First flattened dim.
        flatten_end_dim: Last flattened dim.
        stochastic_weight_decay: Multiply the decay by a uniform random factor in [0, 2) each step.
        deterministic: Draw the probe from a generator seeded by the optimizer's RNG (reproducible on resume).
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 1e-3,
            momentum: float = 0.9,
            weight_decay: float = 0.,
            preconditioner_update_probability: Optional[Union[Callable[[int], Any], float]] = None,
            max_size_triangular: int = 2048,
            min_ndim_triangular: int = 2,
            memory_save_mode: Optional[str] = None,
            momentum_into_precond_update: bool = True,
            precond_lr: float = 0.1,
            precond_init_scale: float = 1.0,
            mu_dtype: Optional[torch.dtype] = None,
            precond_dtype: Optional[torch.dtype] = None,
            decoupled_decay: bool = False,
            corrected_weight_decay: bool = False,
            flatten: bool = False,
            flatten_start_dim: int = 2,
            flatten_end_dim: int = -1,
            stochastic_weight_decay: bool = False,
            deterministic: bool = False,
    ) -> None:
        if not 0. <= momentum < 1.:
            raise ValueError(f'Kron momentum must be in [0, 1), got {momentum}.')
        _diagonal_dims((), memory_save_mode)  # validate the mode early
        # the step: lr, momentum and weight decay in its variants
        step = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, decoupled_decay=decoupled_decay,
                    corrected_weight_decay=corrected_weight_decay, stochastic_weight_decay=stochastic_weight_decay)
        # the preconditioner: which dims get triangular vs diagonal factors, and how it is fitted
        shape = dict(max_size_triangular=max_size_triangular, min_ndim_triangular=min_ndim_triangular,
                     memory_save_mode=memory_save_mode, flatten=flatten, flatten_start_dim=flatten_start_dim,
                     flatten_end_dim=flatten_end_dim)
        fit = dict(preconditioner_update_probability=preconditioner_update_probability,
                   momentum_into_precond_update=momentum_into_precond_update, precond_lr=precond_lr,
                   precond_init_scale=precond_init_scale)
        dtypes = dict(mu_dtype=mu_dtype, precond_dtype=precond_dtype)
        super().__init__(params, {**step, **shape, **fit, **dtypes})
        self.rng = random.Random(1337)
        self.deterministic = deterministic

    def state_dict(self) -> Dict[str, Any]:
        sd = super().state_dict()
        sd['rng_state'] = self.rng.getstate()
        return sd

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        rng_state = state_dict.pop('rng_state', None)
        super().load_state_dict(state_dict)
        if rng_state is not None:
            self.rng.setstate(tuple(rng_state) if isinstance(rng_state, list) else rng_state)

    def _grad_view(self, grad: Tensor, group: Dict[str, Any]) -> Tensor:
        if group['flatten']:
            return _flatten_dims(grad, group['flatten_start_dim'], group['flatten_end_dim'])
        return grad

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        grad = self._grad_view(param.grad, group)
        state['update_counter'] = 0
        state['momentum_buffer'] = torch.zeros_like(grad, dtype=group['mu_dtype'] or grad.dtype)
        state['Q'] = _init_factors(grad, group, group['precond_dtype'] or grad.dtype)

    def _due_for_update(self, group: Dict[str, Any], state: Dict[str, Any], step: int) -> bool:
        prob = group['preconditioner_update_probability']
        if prob is None:
            prob = precond_update_prob_schedule
        if callable(prob):
            prob = prob(step - 1)  # the probability for the steps taken before this one
        state['update_counter'] += 1
        if state['update_counter'] >= 1 / prob:
            state['update_counter'] = 0
            return True
        return False

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        grad = self._grad_view(grad, group)
        do_update = self._due_for_update(group, state, step)
        beta = group['momentum']
        buf = state['momentum_buffer']
        buf.mul_(beta).add_(grad, alpha=1. - beta)
        factors = state['Q']
        debiased = (buf / (1. - beta ** step)).to(factors[0].dtype)
        # Python RNG draw on every step (not only updates) so the sequence does not depend on the update schedule
        if self.rng.random() < 0.01 and do_update and grad.ndim > 1:
            _balance_(factors)
        if do_update:
            generator = None
            if self.deterministic:
                generator = torch.Generator(device=debiased.device)
                generator.manual_seed(self.rng.randint(0, 2 ** 31))
            probe = torch.randn(debiased.shape, generator=generator, dtype=debiased.dtype, device=debiased.device)
            target = debiased if group['momentum_into_precond_update'] else grad.to(debiased.dtype)
            _fit_factors_(factors, target, probe, group['precond_lr'])
        update = _precondition(factors, debiased).to(param.dtype)
        update.mul_(torch.clamp(1.1 / (update.square().mean().sqrt() + 1e-8), max=1.))  # RMS cap at 1.1
        update = update.view(param.shape)
        wd = group['weight_decay']
        if wd != 0:
            if group['stochastic_weight_decay']:
                wd = 2 * self.rng.random() * wd
            if group['decoupled_decay']:
                decoupled_decay_(param, group, wd)
            else:
                update.add_(param, alpha=wd)
        param.add_(update, alpha=-group['lr'])
