"""Warmup-stable-decay schedules: WSD (constant plateau) and the reciprocal-square-root schedule with a cooldown.

WSD: Hu et al., "MiniCPM" (2024), with the ``1 - sqrt`` cooldown of Hägele et al., "Scaling Laws and Compute-Optimal
Training Beyond Fixed Training Durations" (2024). rsqrt: Zhai et al., "Scaling Vision Transformers" (CVPR 2022), whose
big_vision recipes decay ``(1 + t / timescale) ** -0.5`` and cool down linearly; ``stable_fn='power'`` generalises the
exponent (Shen et al., "Power Scheduler", 2024).

The value after warmup is ``lr_min + (base * stable(t_s) - lr_min) * decay(frac)``: ``t_s`` counts from the end of
warmup (``stable(0) = 1``, so warmup hands over at the base lr) and ``frac`` runs from 0 to 1 over the last
``decay_t`` steps of ``t_initial``. The warmup is always a prefix: the schedule lasts ``warmup_t + t_initial``.
"""
import math
from typing import Callable, List, Optional, Union

from torch.optim import Optimizer

from zoo.scheduler.scheduler import NoiseRange, Scheduler, WarmupMixin

__all__ = ['WSDLRScheduler', 'STABLE_FNS', 'DECAY_FNS']

STABLE_FNS = ('constant', 'rsqrt', 'power')
DECAY_FNS = ('linear', '1-sqrt', 'cosine', 'power', 'exp')
DecayFn = Union[str, Callable[[float], float]]


class WSDLRScheduler(WarmupMixin, Scheduler):
    """Warmup, a stable phase, then a decay to ``lr_min`` over the final ``decay_t`` steps.

    Args:
        optimizer: Optimizer to schedule.
        t_initial: Length of the stable + decay phases (epochs or updates).
        decay_t: Length of the decay phase, in ``(0, t_initial]``.
        lr_min: Value reached at the end of the decay (and held afterwards).
        stable_fn: 'constant' (WSD), 'rsqrt' (``(1 + t_s / timescale) ** -0.5``) or 'power' (exponent
            ``stable_power``); the stable value never drops below ``lr_min``.
        stable_timescale: Timescale of 'rsqrt' / 'power'; defaults to ``warmup_t``.
        stable_power: Exponent of 'power'.
        decay_fn: Factor over the decay progress ``frac``: 'linear' ``1 - frac``, '1-sqrt' ``1 - sqrt(frac)``,
            'cosine', 'power' ``1 - frac ** decay_power``, 'exp' (geometric to ``decay_ratio``, shifted to reach 0),
            or a callable ``frac -> factor``.
        decay_power: Exponent of the 'power' decay.
        decay_ratio: Final ratio of the 'exp' decay before the shift, in (0, 1).
        warmup_t: Linear warmup length (before ``t_initial``).
        warmup_lr_init: Value at the start of warmup.
        t_in_epochs: Index by epochs (``step``) rather than updates (``step_update``).
        noise_range_t: Where to apply lr noise (see :class:`Scheduler`).
        noise_pct: Noise bound.
        noise_std: Noise standard deviation.
        noise_seed: Noise seed.
        initialize: See :class:`Scheduler`.
    """

    def __init__(
            self,
            optimizer: Optimizer,
            t_initial: int,
            decay_t: int,
            lr_min: float = 0.,
            stable_fn: str = 'constant',
            stable_timescale: Optional[float] = None,
            stable_power: float = 0.5,
            decay_fn: DecayFn = '1-sqrt',
            decay_power: float = 0.5,
            decay_ratio: float = 0.1,
            warmup_t: int = 0,
            warmup_lr_init: float = 0.,
            t_in_epochs: bool = True,
            noise_range_t: NoiseRange = None,
            noise_pct: float = 0.67,
            noise_std: float = 1.0,
            noise_seed: int = 42,
            initialize: bool = True,
    ) -> None:
        super().__init__(
            optimizer, 'lr', t_in_epochs=t_in_epochs, noise_range_t=noise_range_t, noise_pct=noise_pct,
            noise_std=noise_std, noise_seed=noise_seed, initialize=initialize)
        if t_initial <= 0:
            raise ValueError(f't_initial (stable + decay length) must be > 0, got {t_initial}; check --epochs.')
        if not 0 < decay_t <= t_initial:
            raise ValueError(f'decay_t must be in (0, t_initial={t_initial}], got {decay_t}; check --decay-epochs.')
        if lr_min < 0:
            raise ValueError(f'lr_min must be >= 0, got {lr_min}.')
        if stable_fn not in STABLE_FNS:
            raise ValueError(f"stable_fn must be one of {', '.join(STABLE_FNS)}, got {stable_fn!r}.")
        if isinstance(decay_fn, str) and decay_fn not in DECAY_FNS:
            raise ValueError(f"decay_fn must be one of {', '.join(DECAY_FNS)} or a callable, got {decay_fn!r}.")
        if not 0. < decay_ratio < 1. or decay_power <= 0 or stable_power <= 0:
            raise ValueError('decay_ratio must be in (0, 1); decay_power and stable_power must be > 0.')
        if stable_fn != 'constant':
            stable_timescale = warmup_t if stable_timescale is None else stable_timescale
            if stable_timescale <= 0:
                raise ValueError(f'stable_fn={stable_fn!r} needs stable_timescale > 0; it defaults to the warmup '
                                 'length, so set it (--lr-stable-timescale) when there is no warmup.')
        self.t_initial = t_initial
        self.decay_t = decay_t
        self.lr_min = lr_min
        self.stable_fn = stable_fn
        self.stable_timescale = stable_timescale
        self.stable_power = stable_power
        self.decay_fn = decay_fn
        self.decay_power = decay_power
        self.decay_ratio = decay_ratio
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self._init_warmup(self.base_values)

    def _stable(self, t_s: float) -> float:
        if self.stable_fn == 'constant':
            return 1.
        exponent = 0.5 if self.stable_fn == 'rsqrt' else self.stable_power
        return (1. + t_s / self.stable_timescale) ** -exponent

    def _decay(self, frac: float) -> float:
        fn = self.decay_fn
        if callable(fn):
            return fn(frac)
        if fn == 'linear':
            return 1. - frac
        if fn == '1-sqrt':
            return 1. - math.sqrt(frac)
        if fn == 'cosine':
            return 0.5 * (1. + math.cos(math.pi * frac))
        if fn == 'power':
            return 1. - frac ** self.decay_power
        r = self.decay_ratio
        return (r ** frac - r) / (1. - r)

    def _get_lr(self, t: int) -> List[float]:
        if t < self.warmup_t:
            return self._warmup_values(t)
        t_s = t - self.warmup_t
        stable = [max(v * self._stable(t_s), self.lr_min) for v in self.base_values]
        into_decay = t_s - (self.t_initial - self.decay_t)
        if into_decay <= 0:
            return stable
        factor = self._decay(min(into_decay / self.decay_t, 1.))
        return [self.lr_min + (v - self.lr_min) * factor for v in stable]

    def get_cycle_length(self, cycles: int = 0) -> int:
        """Schedule length: warmup plus the stable and decay phases."""
        return self.warmup_t + self.t_initial
