"""Exponential moving average of model weights.

Polyak averaging of the weights typically evaluates better than the raw weights late in training. The optional
warmup makes the decay ``1 - (1 + step / gamma) ** -power`` so early averages are not dominated by the random init.
"""
import copy
from typing import Any, Dict, Optional

import torch
from torch import nn

__all__ = ['ModelEma']


class ModelEma(nn.Module):
    """A frozen copy of a model whose float parameters and buffers track an EMA of the live model's.

    Args:
        model: The live model (a DDP wrapper is unwrapped).
        decay: Decay per update (the cap when warming up).
        min_decay: Floor of the warmed-up decay.
        update_after_step: Copy the weights (decay 0) for this many updates before averaging.
        use_warmup: Ramp the decay up with the update count.
        warmup_gamma: Warmup time scale.
        warmup_power: Warmup exponent (2/3 suits ~1M-update runs, 3/4 shorter ones).
        device: Keep the EMA on this device (e.g. 'cpu' to save accelerator memory); None = the model's.
    """

    def __init__(
            self,
            model: nn.Module,
            decay: float = 0.9999,
            min_decay: float = 0.0,
            update_after_step: int = 0,
            use_warmup: bool = False,
            warmup_gamma: float = 1.0,
            warmup_power: float = 2 / 3,
            device: Optional[torch.device] = None,
    ) -> None:
        super().__init__()
        if not 0. <= decay <= 1.:
            raise ValueError(f'EMA decay must be in [0, 1], got {decay}.')
        self.module = copy.deepcopy(getattr(model, 'module', model)).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.device = device
        if device is not None:
            self.module.to(device=device)
        self.decay = decay
        self.min_decay = min_decay
        self.update_after_step = update_after_step
        self.use_warmup = use_warmup
        self.warmup_gamma = warmup_gamma
        self.warmup_power = warmup_power

    def get_decay(self, step: Optional[int] = None) -> float:
        """Decay for the ``step``-th optimizer update (counted from 1); the fixed decay when ``step`` is None.

        The first ``update_after_step + 1`` updates use decay 0 (the average starts from trained, not initial,
        weights); with warmup the decay then grows towards ``decay``.
        """
        if step is None:
            return self.decay
        step = max(0, step - self.update_after_step - 1)
        if step <= 0:
            return 0.0
        if not self.use_warmup:
            return self.decay
        decay = 1. - (1. + step / self.warmup_gamma) ** -self.warmup_power
        return max(min(decay, self.decay), self.min_decay)

    @torch.no_grad()
    def update(self, model: nn.Module, step: Optional[int] = None) -> None:
        """Blend the live model's state into the average: ``ema = decay * ema + (1 - decay) * live``."""
        decay = self.get_decay(step)
        live = getattr(model, 'module', model).state_dict()
        for name, ema_value in self.module.state_dict().items():
            value = live[name].detach().to(ema_value.device)
            if ema_value.is_floating_point():
                ema_value.lerp_(value.to(ema_value.dtype), 1. - decay)
            else:
                ema_value.copy_(value)  # e.g. BN num_batches_tracked

    @torch.no_grad()
    def set(self, model: nn.Module) -> None:
        """Copy the live weights into the average."""
        self.module.load_state_dict(getattr(model, 'module', model).state_dict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def ema_state_dict(self) -> Dict[str, torch.Tensor]:
        return self.module.state_dict()
