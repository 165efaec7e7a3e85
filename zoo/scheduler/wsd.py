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
from typing import Callable, Dict, List, Optional, Union

from torch.optim import Optimizer

from zoo.scheduler.scheduler import NoiseRange, Scheduler, WarmupMixin

__all__ = ['WSDLRScheduler', 'STABLE_FNS', 'DECAY_FNS']

DecayFn = Union[str, Callable[[float], float]]

# decay curves over the decay progress frac in [0, 1], from 1 down to 0; each takes (frac, decay_power, decay_ratio)
_DECAY_CURVES: Dict[str, Callable[[float, float, float], float]] = {
    'linear': lambda frac, power, ratio: 1. - frac,
    '1-sqrt': lambda frac, power, ratio: 1. - math.sqrt(frac),
    'cosine': lambda frac, power, ratio: 0.5 * (1. + math.cos(math.pi * frac)),
    'power': lambda frac, power, ratio: 1. - frac ** power,
    # geometric from 1 to `ratio`, then shifted and rescaled so that it ends at exactly 0
    'exp': lambda frac, power, ratio: (ratio ** frac - ratio) / (1. - ratio),
}
DECAY_FNS = tuple(_DECAY_CURVES)
STABLE_FNS = ('constant', 'rsqrt', 'power')


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
        self.stable_timescale = self._checked_timescale(stable_fn, stable_timescale, warmup_t)
        problems = [
            (t_initial <= 0, f't_initial (stable + decay length) must be > 0, got {t_initial}; check --epochs.'),
            (not 0 < decay_t <= t_initial,
             f'decay_t must be in (0, t_initial={t_initial}], got {decay_t}; check --decay-epochs.'),
            (lr_min < 0, f'lr_min must be >= 0, got {lr_min}.'),
            (isinstance(decay_fn, str) and decay_fn not in _DECAY_CURVES,
             f"decay_fn must be one of {', '.join(DECAY_FNS)} or a callable, got {decay_fn!r}."),
            (not (0. < decay_ratio < 1. and decay_power > 0 and stable_power > 0),
             'decay_ratio must be in (0, 1); decay_power and stable_power must be > 0.'),
        ]
        for failed, message in problems:
            if failed:
                raise ValueError(message)
        # phases: warmup_t, then t_initial of which the last decay_t decay
        self.warmup_t, self.warmup_lr_init = warmup_t, warmup_lr_init
        self.t_initial, self.decay_t, self.lr_min = t_initial, decay_t, lr_min
        # shapes of the stable and decay phases
        self.stable_fn, self.stable_power = stable_fn, stable_power
        self.decay_fn, self.decay_power, self.decay_ratio = decay_fn, decay_power, decay_ratio
        self._init_warmup(self.base_values)

    @staticmethod
    def _checked_timescale(stable_fn: str, timescale: Optional[float], warmup_t: int) -> Optional[float]:
        if stable_fn not in STABLE_FNS:
            raise ValueError(f"stable_fn must be one of {', '.join(STABLE_FNS)}, got {stable_fn!r}.")
        if stable_fn == 'constant':
            return timescale  # unused
        timescale = warmup_t if timescale is None else timescale
        if timescale <= 0:
            raise ValueError(f'stable_fn={stable_fn!r} needs stable_timescale > 0; it defaults to the warmup '
                             'length, so set it (--lr-stable-timescale) when there is no warmup.')
        return timescale

    def _stable(self, t_s: float) -> float:
        """Stable-phase factor ``t_s`` steps after warmup; 1 at ``t_s = 0``."""
        # every stable shape is (1 + t_s / timescale) ** -exponent; 'constant' is exponent 0 (no timescale needed)
        exponent = {'constant': 0., 'rsqrt': 0.5, 'power': self.stable_power}[self.stable_fn]
        return (1. + t_s / self.stable_timescale) ** -exponent if exponent else 1.

    def _decay(self, frac: float) -> float:
        if callable(self.decay_fn):
            return self.decay_fn(frac)
        return _DECAY_CURVES[self.decay_fn](frac, self.decay_power, self.decay_ratio)

    def _get_lr(self, t: int) -> List[float]:
        if t < self.warmup_t:
            return self._warmup_values(t)
        floor = self.lr_min
        stable = self._stable(t - self.warmup_t)
        # a decaying stable phase is held at lr_min; the decay then scales what is left above the floor
        values = [max(base * stable, floor) for base in self.base_values]
        frac = (t - (self.warmup_t + self.t_initial - self.decay_t)) / self.decay_t
        if frac <= 0:
            return values
        remaining = self._decay(min(frac, 1.))
        return [floor + (v - floor) * remaining for v in values]

    def get_cycle_length(self, cycles: int = 0) -> int:
        """Schedule length: warmup plus the stable and decay phases."""
        return self.warmup_t + self.t_initial
