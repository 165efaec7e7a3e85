"""Cyclic annealing schedules: cosine, tanh and polynomial decay with warm restarts.

Cosine follows Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts" (ICLR 2017); tanh
follows Hsueh et al., "Stochastic Gradient Descent with Hyperbolic-Tangent Decay" (WACV 2019); ``k_decay`` follows
Zhang & Li, "k-decay: A New Method For Learning Rate Schedule" (2020), applied to cosine and poly.
"""
import logging
import math
from typing import List

from torch.optim import Optimizer

from zoo.scheduler.scheduler import NoiseRange, Scheduler, WarmupMixin, cycle_position, total_cycle_length

__all__ = ['CyclicScheduler', 'CosineLRScheduler', 'TanhLRScheduler', 'PolyLRScheduler']

_logger = logging.getLogger(__name__)


class CyclicScheduler(WarmupMixin, Scheduler):
    """Shared machinery: warmup, cycles of length ``t_initial * cycle_mul ** i`` with peak ``base * cycle_decay ** i``,
    and ``lr_min`` after ``cycle_limit`` cycles. Subclasses give the decay shape over one cycle.

    Args:
        optimizer: Optimizer to schedule.
        t_initial: Length of the first cycle (epochs or updates).
        lr_min: Floor value reached at the end of each cycle.
        cycle_mul: Cycle length multiplier.
        cycle_decay: Peak multiplier per cycle.
        cycle_limit: Number of cycles before holding ``lr_min``.
        warmup_t: Linear warmup length.
        warmup_lr_init: Value at the start of warmup.
        warmup_prefix: Warmup comes before the schedule (which then starts at ``warmup_t``) instead of overlapping it.
        t_in_epochs: Index by epochs (``step``) rather than updates (``step_update``).
        noise_range_t: Where to apply lr noise (see :class:`Scheduler`).
        noise_pct: Noise bound.
        noise_std: Noise standard deviation.
        noise_seed: Noise seed.
        k_decay: Exponent applied to the in-cycle position (1 = plain schedule).
        initialize: See :class:`Scheduler`.
    """

    def __init__(
            self,
            optimizer: Optimizer,
            t_initial: int,
            lr_min: float = 0.,
            cycle_mul: float = 1.,
            cycle_decay: float = 1.,
            cycle_limit: int = 1,
            warmup_t: int = 0,
            warmup_lr_init: float = 0.,
            warmup_prefix: bool = False,
            t_in_epochs: bool = True,
            noise_range_t: NoiseRange = None,
            noise_pct: float = 0.67,
            noise_std: float = 1.0,
            noise_seed: int = 42,
            k_decay: float = 1.0,
            initialize: bool = True,
    ) -> None:
        super().__init__(
            optimizer, 'lr', t_in_epochs=t_in_epochs, noise_range_t=noise_range_t, noise_pct=noise_pct,
            noise_std=noise_std, noise_seed=noise_seed, initialize=initialize)
        if t_initial <= 0:
            raise ValueError(f't_initial (the schedule length) must be > 0, got {t_initial}; check --epochs.')
        if lr_min < 0 or warmup_t < 0 or warmup_lr_init < 0 or cycle_limit < 0:
            raise ValueError('lr_min, warmup_t, warmup_lr_init and cycle_limit must be >= 0.')
        if t_initial == 1 and cycle_mul == 1 and cycle_decay == 1:
            _logger.warning('A schedule of length 1 with no cycle multiplier or decay keeps the lr constant.')
        self.t_initial = t_initial
        self.lr_min = lr_min
        self.cycle_mul = cycle_mul
        self.cycle_decay = cycle_decay
        self.cycle_limit = cycle_limit
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self.warmup_prefix = warmup_prefix
        self.k_decay = k_decay
        self._init_warmup(self._warmup_targets())

    def _warmup_targets(self) -> List[float]:
        return self.base_values

    def _shape(self, t_curr: float, t_i: float) -> float:
        """Fraction of (peak - lr_min) remaining at position ``t_curr`` of a cycle of length ``t_i``."""
        raise NotImplementedError

    def _get_lr(self, t: int) -> List[float]:
        if t < self.warmup_t:
            return self._warmup_values(t)
        if self.warmup_prefix:
            t = t - self.warmup_t
        i, t_i, t_curr = cycle_position(t, self.t_initial, self.cycle_mul)
        if i >= self.cycle_limit:
            return [self.lr_min for _ in self.base_values]
        shape = self._shape(t_curr, t_i)
        gamma = self.cycle_decay ** i
        return [self.lr_min + (v * gamma - self.lr_min) * shape for v in self.base_values]

    def get_cycle_length(self, cycles: int = 0) -> int:
        """Schedule length for ``cycles`` cycles (default ``cycle_limit``), warmup included when it is a prefix."""
        t = total_cycle_length(self.t_initial, self.cycle_mul, max(1, cycles or self.cycle_limit))
        return t + self.warmup_t if self.warmup_prefix else t


class CosineLRScheduler(CyclicScheduler):
    """Cosine annealing with warm restarts (SGDR), warmup and k-decay. See :class:`CyclicScheduler` for args."""

    def _shape(self, t_curr: float, t_i: float) -> float:
        k = self.k_decay
        return 0.5 * (1. + math.cos(math.pi * t_curr ** k / t_i ** k))


class PolyLRScheduler(CyclicScheduler):
    """Polynomial decay ``(1 - x) ** power`` per cycle.

    Args:
        power: Polynomial power (0.5 = square root decay).
        **kwargs: See :class:`CyclicScheduler`.
    """

    def __init__(self, optimizer: Optimizer, t_initial: int, power: float = 0.5, **kwargs) -> None:
        self.power = power
        super().__init__(optimizer, t_initial, **kwargs)

    def _shape(self, t_curr: float, t_i: float) -> float:
        k = self.k_decay
        return (1. - t_curr ** k / t_i ** k) ** self.power


class TanhLRScheduler(CyclicScheduler):
    """Hyperbolic-tangent decay from ``tanh(lb)`` to ``tanh(ub)`` per cycle.

    Without a warmup prefix the warmup ramps to the schedule's value at ``warmup_t`` (so the curve is continuous).

    Args:
        lb: Lower tanh bound.
        ub: Upper tanh bound.
        **kwargs: See :class:`CyclicScheduler` (``k_decay`` is not used).
    """

    def __init__(self, optimizer: Optimizer, t_initial: int, lb: float = -7., ub: float = 3., **kwargs) -> None:
        if lb >= ub:
            raise ValueError(f'tanh schedule needs lb < ub, got lb={lb}, ub={ub}.')
        self.lb = lb
        self.ub = ub
        super().__init__(optimizer, t_initial, **kwargs)

    def _warmup_targets(self) -> List[float]:
        return self.base_values if self.warmup_prefix else self._get_lr(self.warmup_t)

    def _shape(self, t_curr: float, t_i: float) -> float:
        tr = t_curr / t_i
        return 0.5 * (1. - math.tanh(self.lb * (1. - tr) + self.ub * tr))
