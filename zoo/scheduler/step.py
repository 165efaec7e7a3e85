"""Step-wise decay schedules: fixed interval (step), milestones (multistep) and constant."""
import bisect
from typing import List, Sequence

from torch.optim import Optimizer

from zoo.scheduler.scheduler import NoiseRange, Scheduler, WarmupMixin

__all__ = ['StepLRScheduler', 'MultiStepLRScheduler']


class StepLRScheduler(WarmupMixin, Scheduler):
    """Multiply the lr by ``decay_rate`` every ``decay_t`` (may be fractional, e.g. 2.4 epochs).

    Args:
        optimizer: Optimizer to schedule.
        decay_t: Decay interval.
        decay_rate: Multiplier per interval (1.0 gives a constant schedule after warmup).
        warmup_t: Linear warmup length.
        warmup_lr_init: Value at the start of warmup.
        warmup_prefix: Start counting decay intervals after the warmup.
        t_in_epochs: Index by epochs rather than updates.
        noise_range_t: Where to apply lr noise.
        noise_pct: Noise bound.
        noise_std: Noise standard deviation.
        noise_seed: Noise seed.
        initialize: See :class:`Scheduler`.
    """

    def __init__(
            self,
            optimizer: Optimizer,
            decay_t: float,
            decay_rate: float = 1.,
            warmup_t: int = 0,
            warmup_lr_init: float = 0.,
            warmup_prefix: bool = True,
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
        if decay_t <= 0:
            raise ValueError(f'decay_t must be > 0, got {decay_t}; check --decay-epochs.')
        self.decay_t = decay_t
        self.decay_rate = decay_rate
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self.warmup_prefix = warmup_prefix
        self._init_warmup(self.base_values)

    def _num_decays(self, t: float) -> int:
        return int(t // self.decay_t)

    def _get_lr(self, t: int) -> List[float]:
        if t < self.warmup_t:
            return self._warmup_values(t)
        if self.warmup_prefix:
            t = t - self.warmup_t
        factor = self.decay_rate ** self._num_decays(t)
        return [v * factor for v in self.base_values]


class MultiStepLRScheduler(StepLRScheduler):
    """Multiply the lr by ``decay_rate`` at each milestone.

    A milestone ``m`` takes effect for ``t >= m - 1``: the value applied at the end of epoch ``m - 1`` is the one
    used during epoch ``m`` (the training loop calls ``step(epoch + 1)``).

    Args:
        optimizer: Optimizer to schedule.
        decay_t: Sorted milestones.
        **kwargs: See :class:`StepLRScheduler`.
    """

    def __init__(self, optimizer: Optimizer, decay_t: Sequence[int], decay_rate: float = 1., **kwargs) -> None:
        milestones = list(decay_t)
        if milestones != sorted(milestones):
            raise ValueError(f'decay milestones must be sorted, got {milestones}.')
        super().__init__(optimizer, decay_t=1, decay_rate=decay_rate, **kwargs)
        self.decay_t = milestones  # type: ignore[assignment]

    def _num_decays(self, t: float) -> int:
        return bisect.bisect_right(self.decay_t, t + 1)
