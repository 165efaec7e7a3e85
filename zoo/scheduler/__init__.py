"""Learning rate schedules indexed by epoch or update count, and their factory."""
from zoo.scheduler._factory import SCHEDULERS, create_scheduler, create_scheduler_v2, scheduler_kwargs
from zoo.scheduler.cyclic import CosineLRScheduler, CyclicScheduler, PolyLRScheduler, TanhLRScheduler
from zoo.scheduler.plateau import PlateauLRScheduler
from zoo.scheduler.scheduler import Scheduler
from zoo.scheduler.step import MultiStepLRScheduler, StepLRScheduler
from zoo.scheduler.wsd import WSDLRScheduler

__all__ = [
    'SCHEDULERS', 'CosineLRScheduler', 'CyclicScheduler', 'MultiStepLRScheduler', 'PlateauLRScheduler',
    'PolyLRScheduler', 'Scheduler', 'StepLRScheduler', 'TanhLRScheduler', 'WSDLRScheduler', 'create_scheduler',
    'create_scheduler_v2', 'scheduler_kwargs',
]
