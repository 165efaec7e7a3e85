"""Scheduler factory: build any schedule by name from argparse-style arguments."""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from torch.optim import Optimizer

from zoo.scheduler.cyclic import CosineLRScheduler, PolyLRScheduler, TanhLRScheduler
from zoo.scheduler.plateau import PlateauLRScheduler
from zoo.scheduler.scheduler import Scheduler
from zoo.scheduler.step import MultiStepLRScheduler, StepLRScheduler
from zoo.scheduler.wsd import DecayFn, WSDLRScheduler

__all__ = ['SCHEDULERS', 'create_scheduler', 'create_scheduler_v2', 'scheduler_kwargs']

SCHEDULERS = ('cosine', 'tanh', 'step', 'multistep', 'plateau', 'poly', 'wsd', 'rsqrt', 'constant')


def scheduler_kwargs(cfg: Any, decreasing_metric: Optional[bool] = None) -> Dict[str, Any]:
    """Keyword arguments for :func:`create_scheduler_v2` from train.py-style arguments (missing ones use defaults).

    Args:
        cfg: Namespace / attribute config (``sched, epochs, warmup_epochs, lr_noise, ...``).
        decreasing_metric: Whether a lower eval metric is better (plateau mode); inferred from ``eval_metric``
            ('loss' in the name means lower is better) when None.
    """
    if decreasing_metric is None:
        decreasing_metric = 'loss' in getattr(cfg, 'eval_metric', 'top1')
    return dict(
        sched=cfg.sched,
        num_epochs=getattr(cfg, 'epochs', 100),
        decay_epochs=getattr(cfg, 'decay_epochs', 30),
        decay_milestones=getattr(cfg, 'decay_milestones', [30, 60]),
        warmup_epochs=getattr(cfg, 'warmup_epochs', 5),
        cooldown_epochs=getattr(cfg, 'cooldown_epochs', 0),
        patience_epochs=getattr(cfg, 'patience_epochs', 10),
        decay_rate=getattr(cfg, 'decay_rate', 0.1),
        min_lr=getattr(cfg, 'min_lr', 0.),
        warmup_lr=getattr(cfg, 'warmup_lr', 1e-5),
        warmup_prefix=getattr(cfg, 'warmup_prefix', False),
        noise=getattr(cfg, 'lr_noise', None),
        noise_pct=getattr(cfg, 'lr_noise_pct', 0.67),
        noise_std=getattr(cfg, 'lr_noise_std', 1.),
        noise_seed=getattr(cfg, 'seed', 42),
        cycle_mul=getattr(cfg, 'lr_cycle_mul', 1.),
        cycle_decay=getattr(cfg, 'lr_cycle_decay', 0.1),
        cycle_limit=getattr(cfg, 'lr_cycle_limit', 1),
        k_decay=getattr(cfg, 'lr_k_decay', 1.0),
        decay_fn=getattr(cfg, 'lr_decay_fn', None),
        stable_timescale=getattr(cfg, 'lr_stable_timescale', None),
        plateau_mode='min' if decreasing_metric else 'max',
        step_on_epochs=not getattr(cfg, 'sched_on_updates', False),
    )


def create_scheduler(args: Any, optimizer: Optimizer, updates_per_epoch: int = 0) -> Tuple[Optional[Scheduler], int]:
    """Legacy entry point: ``create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch=...)``."""
    return create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch=updates_per_epoch)


def _noise_range(noise: Union[float, Sequence[float], None], t_initial: int) -> Union[float, List[float], None]:
    # noise on/off points are given as fractions of the schedule length
    if noise is None:
        return None
    if isinstance(noise, (list, tuple)):
        points = [n * t_initial for n in noise]
        return points[0] if len(points) == 1 else points
    return noise * t_initial


def _create_wsd(
        optimizer: Optimizer,
        sched: str,
        t_initial: int,
        warmup_t: int,
        decay_epochs: float,
        decay_t: float,
        min_lr: float,
        warmup_lr: float,
        warmup_prefix: bool,
        decay_fn: Optional[DecayFn],
        timescale_t: Optional[float],
        step_on_epochs: bool,
        noise_args: Dict[str, Any],
) -> WSDLRScheduler:
    # warmup always precedes the stable phase; without warmup_prefix the whole schedule still fits in num_epochs
    t_sched = t_initial if warmup_prefix else t_initial - warmup_t
    if 0 < decay_epochs < 1:
        decay_t = decay_epochs * t_sched
    decay_t = int(round(decay_t))
    if not 0 < decay_t <= t_sched:
        raise ValueError(
            f"'{sched}' needs 0 < decay_epochs <= epochs{'' if warmup_prefix else ' - warmup_epochs'}; got a decay of "
            f'{decay_t} in a stable + decay length of {t_sched} (steps).')
    return WSDLRScheduler(
        optimizer, t_initial=t_sched, decay_t=decay_t, lr_min=min_lr,
        stable_fn='rsqrt' if sched == 'rsqrt' else 'constant', stable_timescale=timescale_t,
        decay_fn=decay_fn or ('linear' if sched == 'rsqrt' else '1-sqrt'), warmup_t=warmup_t,
        warmup_lr_init=warmup_lr, t_in_epochs=step_on_epochs, **noise_args)


def create_scheduler_v2(
        optimizer: Optimizer,
        sched: str = 'cosine',
        num_epochs: int = 300,
        decay_epochs: Optional[float] = None,
        decay_milestones: Sequence[int] = (90, 180, 270),
        cooldown_epochs: int = 0,
        patience_epochs: int = 10,
        decay_rate: float = 0.1,
        min_lr: float = 0.,
        warmup_lr: float = 1e-5,
        warmup_epochs: int = 0,
        warmup_prefix: bool = False,
        noise: Union[float, Sequence[float], None] = None,
        noise_pct: float = 0.67,
        noise_std: float = 1.,
        noise_seed: int = 42,
        cycle_mul: float = 1.,
        cycle_decay: float = 0.1,
        cycle_limit: int = 1,
        k_decay: float = 1.0,
        decay_fn: Optional[DecayFn] = None,
        stable_timescale: Optional[float] = None,
        plateau_mode: str = 'max',
        step_on_epochs: bool = True,
        updates_per_epoch: int = 0,
) -> Tuple[Optional[Scheduler], int]:
    """Create a learning rate schedule by name.

    Args:
        optimizer: Optimizer to schedule.
        sched: One of ``SCHEDULERS``, or 'none' for no schedule (returns None).
        num_epochs: Schedule length in epochs (warmup included unless ``warmup_prefix``; cooldown excluded).
        decay_epochs: Decay interval (step; default 90), or the length of the decay phase (wsd, rsqrt; a value in
            (0, 1) is a fraction of the stable + decay length; default 0.2).
        decay_milestones: Decay epochs (multistep).
        cooldown_epochs: Epochs at ``min_lr`` after the schedule; added to the returned epoch count.
        patience_epochs: Plateau patience.
        decay_rate: Decay multiplier (step, multistep, plateau); the power for poly.
        min_lr: Floor (cosine, tanh, poly, plateau).
        warmup_lr: Warmup start value.
        warmup_epochs: Warmup length.
        warmup_prefix: Warmup precedes the schedule instead of overlapping it. wsd / rsqrt always warm up first; without
            ``warmup_prefix`` their stable and decay phases fit in the remaining ``num_epochs - warmup_epochs``.
        noise: Noise start (or [start, end]) as fractions of the schedule length.
        noise_pct: Noise bound.
        noise_std: Noise standard deviation.
        noise_seed: Noise seed.
        cycle_mul: Cycle length multiplier.
        cycle_decay: Per-cycle peak multiplier.
        cycle_limit: Number of cycles.
        k_decay: k-decay exponent (cosine, poly).
        decay_fn: Decay phase shape (wsd, rsqrt): 'linear', '1-sqrt', 'cosine', 'power', 'exp' or a callable;
            default '1-sqrt' for wsd, 'linear' for rsqrt.
        stable_timescale: rsqrt timescale in epochs (default: the warmup length).
        plateau_mode: 'max' or 'min'.
        step_on_epochs: Step per epoch; otherwise per optimizer update (needs ``updates_per_epoch``).
        updates_per_epoch: Optimizer updates per epoch.

    Returns:
        (scheduler or None, total number of epochs to train including cycles, warmup prefix and cooldown).

    Raises:
        ValueError: Unknown name, or per-update stepping without ``updates_per_epoch``.
    """
    sched = sched.lower()
    if sched != 'none' and sched not in SCHEDULERS:
        raise ValueError(f"Unknown scheduler '{sched}'. Valid names: {', '.join(SCHEDULERS)}, none.")
    wsd_like = sched in ('wsd', 'rsqrt')
    if decay_epochs is None:
        decay_epochs = 0.2 if wsd_like else 90
    t_initial, warmup_t, decay_t, cooldown_t = num_epochs, warmup_epochs, decay_epochs, cooldown_epochs
    timescale_t = stable_timescale
    milestones = list(decay_milestones)
    if not step_on_epochs:
        if updates_per_epoch <= 0:
            raise ValueError('Stepping the schedule per update needs updates_per_epoch > 0 (batches per epoch).')
        t_initial *= updates_per_epoch
        warmup_t *= updates_per_epoch
        decay_t *= updates_per_epoch
        cooldown_t *= updates_per_epoch
        milestones = [m * updates_per_epoch for m in milestones]
        if timescale_t is not None:
            timescale_t *= updates_per_epoch
    warmup = dict(warmup_lr_init=warmup_lr, warmup_t=warmup_t, warmup_prefix=warmup_prefix)
    noise_args = dict(
        noise_range_t=_noise_range(noise, t_initial), noise_pct=noise_pct, noise_std=noise_std, noise_seed=noise_seed)
    cycles = dict(cycle_mul=cycle_mul, cycle_decay=cycle_decay, cycle_limit=cycle_limit)
    common = dict(t_in_epochs=step_on_epochs, **warmup, **noise_args)
    scheduler: Optional[Scheduler] = None
    if sched == 'cosine':
        scheduler = CosineLRScheduler(optimizer, t_initial, lr_min=min_lr, k_decay=k_decay, **cycles, **common)
    elif sched == 'tanh':
        scheduler = TanhLRScheduler(optimizer, t_initial, lr_min=min_lr, **cycles, **common)
    elif sched == 'poly':
        scheduler = PolyLRScheduler(
            optimizer, t_initial, power=decay_rate, lr_min=min_lr, k_decay=k_decay, **cycles, **common)
    elif sched == 'step':
        scheduler = StepLRScheduler(optimizer, decay_t=decay_t, decay_rate=decay_rate, **common)
    elif sched == 'constant':
        scheduler = StepLRScheduler(optimizer, decay_t=1, decay_rate=1., **common)
    elif sched == 'multistep':
        scheduler = MultiStepLRScheduler(optimizer, decay_t=milestones, decay_rate=decay_rate, **common)
    elif wsd_like:
        scheduler = _create_wsd(optimizer, sched, t_initial, warmup_t, decay_epochs, decay_t, min_lr, warmup_lr,
                                warmup_prefix, decay_fn, timescale_t, step_on_epochs, noise_args)
    elif sched == 'plateau':
        if not step_on_epochs:
            raise ValueError('The plateau schedule reacts to eval metrics and can only step per epoch.')
        scheduler = PlateauLRScheduler(
            optimizer, decay_rate=decay_rate, patience_t=patience_epochs, lr_min=min_lr, mode=plateau_mode,
            warmup_t=warmup_t, warmup_lr_init=warmup_lr, **noise_args)
    if hasattr(scheduler, 'get_cycle_length'):
        length = scheduler.get_cycle_length() + cooldown_t
        num_epochs = length if step_on_epochs else length // updates_per_epoch
    elif warmup_prefix:
        num_epochs += warmup_epochs
    return scheduler, num_epochs
