"""Base class for epoch- or update-indexed parameter schedules.

Unlike ``torch.optim.lr_scheduler``, these schedulers hold no hidden counter: the training loop passes the epoch
(``step(epoch)``, called at the end of an epoch with the index of the next one) or the number of optimizer updates
so far (``step_update(num_updates)``). A schedule is therefore a pure function of ``t``, which makes resuming exact.
"""
import abc
import itertools
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch.optim import Optimizer

__all__ = ['Scheduler', 'NoiseRange', 'WarmupMixin', 'cycle_position', 'total_cycle_length']

NoiseRange = Union[float, int, Sequence[float], None]


class Scheduler(abc.ABC):
    """Schedule one optimizer param-group field (``lr`` by default) as a function of epoch or update count.

    Args:
        optimizer: Optimizer whose param groups are updated.
        param_group_field: Field to schedule.
        t_in_epochs: ``t`` counts epochs (``step`` updates values) rather than updates (``step_update`` does).
        noise_range_t: Where to add multiplicative noise: ``t >= value`` for a number, ``start <= t < end``
            for a pair, never for None.
        noise_type: 'normal' (truncated at ``noise_pct``) or 'uniform' in ``[-noise_pct, noise_pct]``.
        noise_pct: Noise bound, as a fraction of the value.
        noise_std: Standard deviation of normal noise.
        noise_seed: Base seed; the noise at ``t`` is seeded with ``noise_seed + t`` so it is reproducible on resume.
        initialize: Record each group's current value as ``initial_<field>``; otherwise it must already exist.
    """

    def __init__(
            self,
            optimizer: Optimizer,
            param_group_field: str = 'lr',
            t_in_epochs: bool = True,
            noise_range_t: NoiseRange = None,
            noise_type: str = 'normal',
            noise_pct: float = 0.67,
            noise_std: float = 1.0,
            noise_seed: Optional[int] = None,
            initialize: bool = True,
    ) -> None:
        self.optimizer = optimizer
        self.param_group_field = param_group_field
        initial_field = f'initial_{param_group_field}'
        for i, group in enumerate(optimizer.param_groups):
            if initialize:
                if param_group_field not in group:
                    raise KeyError(f'param_groups[{i}] has no {param_group_field!r} to schedule.')
                group.setdefault(initial_field, group[param_group_field])
            elif initial_field not in group:
                raise KeyError(
                    f'param_groups[{i}] has no {initial_field!r}; create the scheduler with initialize=True.')
        self.base_values: List[float] = [group[initial_field] for group in optimizer.param_groups]
        if noise_type not in ('normal', 'uniform'):
            raise ValueError(f"noise_type must be 'normal' or 'uniform', got {noise_type!r}.")
        self.t_in_epochs = t_in_epochs
        self.noise_range_t = noise_range_t
        self.noise_type = noise_type
        self.noise_pct = noise_pct
        self.noise_std = noise_std
        self.noise_seed = 42 if noise_seed is None else noise_seed
        self.metric: Optional[float] = None
        self.update_groups(self.base_values)

    def state_dict(self) -> Dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != 'optimizer'}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self.__dict__.update(state_dict)

    @abc.abstractmethod
    def _get_lr(self, t: int) -> List[float]:
        """Values (one per param group, before ``lr_scale``) at ``t``."""

    def get_values(self, t: int) -> List[float]:
        """Scheduled values at ``t`` including noise (without touching the optimizer)."""
        return self._add_noise(self._get_lr(t), t)

    def step(self, epoch: int, metric: Optional[float] = None) -> None:
        """End-of-epoch hook: apply the values for ``epoch`` when scheduling per epoch."""
        self.metric = metric
        if self.t_in_epochs:
            self.update_groups(self.get_values(epoch))

    def step_update(self, num_updates: int, metric: Optional[float] = None) -> None:
        """After-update hook: apply the values for ``num_updates`` when scheduling per update."""
        self.metric = metric
        if not self.t_in_epochs:
            self.update_groups(self.get_values(num_updates))

    def update_groups(self, values: Union[float, Sequence[float]]) -> None:
        # one value for every group, or one per group
        per_group = values if isinstance(values, (list, tuple)) else itertools.repeat(values)
        for group, value in zip(self.optimizer.param_groups, per_group):
            # layer-wise lr decay stores a per-group multiplier; the schedule is defined for scale 1
            group[self.param_group_field] = value * group.get('lr_scale', 1.0)

    def _noise_active(self, t: int) -> bool:
        r = self.noise_range_t
        if r is None:
            return False
        if isinstance(r, (list, tuple)):
            return r[0] <= t < r[1]
        return t >= r

    def _noise(self, t: int) -> float:
        gen = torch.Generator()
        gen.manual_seed(self.noise_seed + t)
        if self.noise_type == 'uniform':
            return 2. * (torch.rand(1, generator=gen).item() - 0.5) * self.noise_pct
        while True:  # resample until inside the bound: a truncated normal
            noise = torch.randn(1, generator=gen).item() * self.noise_std
            if abs(noise) < self.noise_pct:
                return noise

    def _add_noise(self, values: List[float], t: int) -> List[float]:
        if not self._noise_active(t):
            return values
        noise = self._noise(t)
        return [v * (1. + noise) for v in values]


class WarmupMixin:
    """Linear warmup from ``warmup_lr_init`` over ``warmup_t`` steps, shared by all concrete schedules."""

    warmup_t: int
    warmup_lr_init: float
    warmup_steps: List[float]

    def _init_warmup(self, targets: Sequence[float]) -> None:
        if self.warmup_t:
            self.warmup_steps = [(v - self.warmup_lr_init) / self.warmup_t for v in targets]
            Scheduler.update_groups(self, self.warmup_lr_init)  # type: ignore[arg-type]
        else:
            self.warmup_steps = [1. for _ in targets]

    def _warmup_values(self, t: int) -> List[float]:
        return [self.warmup_lr_init + t * s for s in self.warmup_steps]


def cycle_position(t: float, t_initial: float, cycle_mul: float) -> Tuple[int, float, float]:
    """Locate ``t`` in a sequence of cycles whose lengths grow geometrically by ``cycle_mul``.

    Returns:
        (cycle index, cycle length, position within the cycle).
    """
    if cycle_mul == 1:
        i = int(t // t_initial)
        return i, t_initial, t - t_initial * i
    i = math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))
    length = cycle_mul ** i * t_initial
    return i, length, t - (1 - cycle_mul ** i) / (1 - cycle_mul) * t_initial


def total_cycle_length(t_initial: int, cycle_mul: float, cycles: int) -> int:
    """Length of ``cycles`` consecutive cycles (a geometric series when ``cycle_mul != 1``)."""
    if cycle_mul == 1:
        return t_initial * cycles
    return int(math.floor(-t_initial * (cycle_mul ** cycles - 1) / (1 - cycle_mul)))
