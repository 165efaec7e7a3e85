"""Reduce the lr when a validation metric stops improving, with warmup and noise."""
from typing import Any, Dict, List, Optional

import torch
from torch.optim import Optimizer

from zoo.scheduler.scheduler import NoiseRange, Scheduler, WarmupMixin

__all__ = ['PlateauLRScheduler']

_PLATEAU_STATE = ('best', 'num_bad_epochs', 'cooldown_counter', 'last_epoch')


class PlateauLRScheduler(WarmupMixin, Scheduler):
    """Metric-driven decay (``torch.optim.lr_scheduler.ReduceLROnPlateau``) behind the epoch-indexed interface.

    Noise, when active, perturbs the lr for one epoch only: the un-noised lr is restored before the next decision.

    Args:
        optimizer: Optimizer to schedule.
        decay_rate: Multiplier on plateau.
        patience_t: Epochs without improvement before decaying.
        threshold: Relative improvement threshold.
        cooldown_t: Epochs to wait after a decay.
        warmup_t: Linear warmup epochs.
        warmup_lr_init: Value at the start of warmup.
        lr_min: Floor.
        mode: 'max' for accuracy-like metrics, 'min' for losses.
        noise_range_t: Where to apply lr noise.
        noise_type: 'normal' or 'uniform'.
        noise_pct: Noise bound.
        noise_std: Noise standard deviation.
        noise_seed: Noise seed.
        initialize: See :class:`Scheduler`.
    """

    def __init__(
            self,
            optimizer: Optimizer,
            decay_rate: float = 0.1,
            patience_t: int = 10,
            threshold: float = 1e-4,
            cooldown_t: int = 0,
            warmup_t: int = 0,
            warmup_lr_init: float = 0.,
            lr_min: float = 0.,
            mode: str = 'max',
            noise_range_t: NoiseRange = None,
            noise_type: str = 'normal',
            noise_pct: float = 0.67,
            noise_std: float = 1.0,
            noise_seed: Optional[int] = None,
            initialize: bool = True,
    ) -> None:
        super().__init__(
            optimizer, 'lr', noise_range_t=noise_range_t, noise_type=noise_type, noise_pct=noise_pct,
            noise_std=noise_std, noise_seed=noise_seed, initialize=initialize)
        if mode not in ('min', 'max'):
            raise ValueError(f"plateau mode must be 'min' or 'max', got {mode!r}.")
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=mode, factor=decay_rate, patience=patience_t, threshold=threshold, cooldown=cooldown_t,
            min_lr=lr_min)
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self._init_warmup(self.base_values)
        self.restore_lr: Optional[List[float]] = None

    def state_dict(self) -> Dict[str, Any]:
        return {k: getattr(self.plateau, k) for k in _PLATEAU_STATE}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        for k, v in state_dict.items():
            if k in _PLATEAU_STATE:
                setattr(self.plateau, k, v)

    def _get_lr(self, t: int) -> List[float]:
        raise RuntimeError('PlateauLRScheduler values depend on metrics; use step(epoch, metric).')

    def step(self, epoch: int, metric: Optional[float] = None) -> None:
        if epoch <= self.warmup_t:
            self.update_groups(self._warmup_values(epoch))
            return
        if self.restore_lr is not None:
            for group, lr in zip(self.optimizer.param_groups, self.restore_lr):
                group['lr'] = lr
            self.restore_lr = None
        if metric is not None:
            self.plateau.step(metric)
        if self._noise_active(epoch):
            noise = self._noise(epoch)
            self.restore_lr = [float(g['lr']) for g in self.optimizer.param_groups]
            for group, lr in zip(self.optimizer.param_groups, self.restore_lr):
                group['lr'] = lr * (1. + noise)

    def step_update(self, num_updates: int, metric: Optional[float] = None) -> None:
        return None
