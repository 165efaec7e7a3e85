"""Exponential moving average of model weights.

Polyak averaging of the weights typically evaluates better than the raw weights late in training. The optional
warmup makes the decay ``1 - (1 + step / gamma) ** -power`` so early averages are not dominated by the random init.

Three classes, one per timm-compatible interface:

* :class:`ModelEmaV2`: a fixed decay applied to every state entry (integer buffers included, truncated back to their
  dtype).
* :class:`ModelEmaV3`: decay warmup, an EMA dtype and device of its own, multi-tensor updates, parameters-only
  averaging, and stochastic rounding for bfloat16 averages: the float32 result gets uniform random bits below the
  bfloat16 mantissa before truncation, so updates smaller than bfloat16's resolution still accumulate in expectation
  (the RNG is private and seeded, so ranks stay in sync).
* :class:`ModelEma`: zoo's original name, a :class:`ModelEmaV3` with float EMA arithmetic and the DDP wrapper
  unwrapped.
"""
import copy
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch import nn

__all__ = ['ModelEma', 'ModelEmaV2', 'ModelEmaV3']

# elements per stochastic-rounding chunk: bounds the temporary float32 / int32 copies
_SR_CHUNK = 2 ** 22
_BF16_LOW_BITS = 1 << 16


def _unwrap(model: nn.Module) -> nn.Module:
    return getattr(model, 'module', model)


def _frozen_copy(model: nn.Module) -> nn.Module:
    module = copy.deepcopy(_unwrap(model)).eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def _lerp_bf16_stochastic_(
        ema: Sequence[torch.Tensor], live: Sequence[torch.Tensor], weight: float, generator: torch.Generator,
) -> None:
    """``ema += weight * (live - ema)`` for bfloat16 ``ema`` tensors, computed in float32 and stochastically rounded.

    Tensors are processed in chunks of at most ``_SR_CHUNK`` elements (a larger tensor forms its own chunk), each
    flattened into one float32 buffer and given one draw of random low bits.
    """
    def flush(chunk: List[int]) -> None:
        x = torch.cat([ema[i].reshape(-1) for i in chunk]).float()
        x.mul_(1. - weight).add_(torch.cat([live[i].reshape(-1) for i in chunk]), alpha=weight)
        bits = x.view(torch.int32)
        bits.add_(torch.randint(0, _BF16_LOW_BITS, bits.shape, dtype=torch.int32, device=bits.device,
                                generator=generator))
        bits.bitwise_and_(-_BF16_LOW_BITS)  # the truncated value is exactly representable in bfloat16
        for i, part in zip(chunk, x.split([ema[i].numel() for i in chunk])):
            ema[i].copy_(part.view(ema[i].shape))

    chunk: List[int] = []
    size = 0
    for i, t in enumerate(ema):
        if chunk and size + t.numel() > _SR_CHUNK:
            flush(chunk)
            chunk, size = [], 0
        chunk.append(i)
        size += t.numel()
    if chunk:
        flush(chunk)


class ModelEmaV2(nn.Module):
    """A frozen copy whose whole state follows ``ema = decay * ema + (1 - decay) * live`` at every update.

    Args:
        model: The live model.
        decay: Decay per update.
        device: Keep the EMA on this device (e.g. 'cpu'); None = the model's.
    """

    def __init__(self, model: nn.Module, decay: float = 0.9999, device: Optional[torch.device] = None) -> None:
        super().__init__()
        self.decay, self.device = decay, device
        self.module = _frozen_copy(model).to(device=device)  # device None: stay where the model is

    @torch.no_grad()
    def _blend(self, model: nn.Module, decay: float) -> None:
        for ema_v, live_v in zip(self.module.state_dict().values(), _unwrap(model).state_dict().values()):
            live_v = live_v.to(device=ema_v.device)
            ema_v.copy_(decay * ema_v + (1. - decay) * live_v)

    def update(self, model: nn.Module) -> None:
        """One averaging step."""
        self._blend(model, self.decay)

    def set(self, model: nn.Module) -> None:
        """Copy the live state."""
        self._blend(model, 0.)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)


class ModelEmaV3(nn.Module):
    """EMA with decay warmup, own dtype / device, multi-tensor updates and stochastic rounding.

    Args:
        model: The live model.
        decay: Decay per update (the cap when warming up).
        min_decay: Floor of the warmed-up decay.
        update_after_step: Copy the weights (decay 0) for this many updates before averaging.
        use_warmup: Ramp the decay up with the update count.
        warmup_gamma: Warmup time scale.
        warmup_power: Warmup exponent (2/3 suits ~1M-update runs, 3/4 shorter ones).
        device: Keep the EMA on this device (e.g. 'cpu' to save accelerator memory); None = the model's.
        dtype: Keep the EMA in this dtype (e.g. float32 for a bfloat16 model); None = the model's.
        stochastic_rounding: Stochastically round bfloat16 EMA tensors (otherwise small updates round away).
        stochastic_rounding_seed: Seed of the private rounding RNG.
        foreach: Multi-tensor updates (turned off when the EMA lives on another device than the model).
        exclude_buffers: Average parameters only; buffers are copied.
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
            dtype: Optional[torch.dtype] = None,
            stochastic_rounding: bool = True,
            stochastic_rounding_seed: int = 0,
            foreach: bool = True,
            exclude_buffers: bool = False,
    ) -> None:
        super().__init__()
        if not 0. <= decay <= 1.:
            raise ValueError(f'EMA decay must be in [0, 1], got {decay}.')
        # the decay schedule, read by get_decay
        self.decay, self.min_decay, self.update_after_step = decay, min_decay, update_after_step
        self.use_warmup, self.warmup_gamma, self.warmup_power = use_warmup, warmup_gamma, warmup_power
        # how the average is stored and updated
        self.device, self.dtype = device, dtype
        self.exclude_buffers, self.stochastic_rounding = exclude_buffers, stochastic_rounding
        live_device = next(_unwrap(model).parameters()).device
        # multi-tensor ops need every tensor on one device, so an EMA kept elsewhere updates tensor by tensor
        self.foreach = foreach and (device is None or torch.device(device) == live_device)
        self.module = _frozen_copy(model).to(device=device, dtype=dtype)
        # private and seeded: the rounding noise neither disturbs the global RNG nor differs between ranks
        self._generator = torch.Generator(device=next(self.module.parameters()).device)
        self._generator.manual_seed(stochastic_rounding_seed)

    def get_decay(self, step: Optional[int] = None) -> float:
        """Decay for the ``step``-th optimizer update (counted from 1); the fixed decay when ``step`` is None.

        The first ``update_after_step + 1`` updates use decay 0 (the average starts from trained, not initial,
        weights); with warmup the decay then grows towards ``decay``.
        """
        averaged = None if step is None else step - self.update_after_step - 1  # updates since averaging began
        if averaged is None or (averaged > 0 and not self.use_warmup):
            return self.decay
        if averaged <= 0:
            return 0.0
        ramp = 1. - (1. + averaged / self.warmup_gamma) ** -self.warmup_power
        return max(self.min_decay, min(self.decay, ramp))

    def _lerp(self, ema: List[torch.Tensor], live: List[torch.Tensor], weight: float) -> None:
        """``ema += weight * (live - ema)`` for matching lists (live already on the EMA device)."""
        if self.stochastic_rounding:
            rounded = [i for i, t in enumerate(ema) if t.dtype == torch.bfloat16]
            if rounded:
                if self.foreach:
                    _lerp_bf16_stochastic_([ema[i] for i in rounded], [live[i] for i in rounded], weight,
                                           self._generator)
                else:  # one draw per tensor
                    for i in rounded:
                        _lerp_bf16_stochastic_([ema[i]], [live[i]], weight, self._generator)
                keep = [i for i in range(len(ema)) if ema[i].dtype != torch.bfloat16]
                ema, live = [ema[i] for i in keep], [live[i] for i in keep]
        if not ema:
            return
        if not self.foreach:
            for e, m in zip(ema, live):
                e.lerp_(m.to(dtype=e.dtype), weight)
        elif all(e.dtype == m.dtype for e, m in zip(ema, live)):
            torch._foreach_lerp_(ema, live, weight)
        else:
            # add_ promotes inside the kernel: no cast copies of the live tensors
            torch._foreach_mul_(ema, 1. - weight)
            torch._foreach_add_(ema, live, alpha=weight)

    @torch.no_grad()
    def update(self, model: nn.Module, step: Optional[int] = None) -> None:
        """Blend the live model into the average with the decay for ``step`` (see :meth:`get_decay`)."""
        weight = 1. - self.get_decay(step)
        model = _unwrap(model)
        if self.exclude_buffers:
            pairs = list(zip(self.module.parameters(), model.parameters()))
            copies = list(zip(self.module.buffers(), model.buffers()))
        else:
            both = list(zip(self.module.state_dict().values(), model.state_dict().values()))
            pairs = [(e, m) for e, m in both if e.is_floating_point()]
            copies = [(e, m) for e, m in both if not e.is_floating_point()]
        for ema_v, live_v in copies:
            ema_v.copy_(live_v.to(device=ema_v.device))
        self._lerp([e for e, _ in pairs], [m.to(device=e.device) for e, m in pairs], weight)

    @torch.no_grad()
    def set(self, model: nn.Module) -> None:
        """Copy the live weights into the average (cast to the EMA's own device and dtype)."""
        self.module.load_state_dict(_unwrap(model).state_dict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def ema_state_dict(self) -> Dict[str, torch.Tensor]:
        return self.module.state_dict()


class ModelEma(ModelEmaV3):
    """zoo's original EMA: :class:`ModelEmaV3` with per-tensor float updates (no stochastic rounding).

    Args:
        model: The live model (a DDP wrapper is unwrapped).
        decay: Decay per update (the cap when warming up).
        min_decay: Floor of the warmed-up decay.
        update_after_step: Copy the weights (decay 0) for this many updates before averaging.
        use_warmup: Ramp the decay up with the update count.
        warmup_gamma: Warmup time scale.
        warmup_power: Warmup exponent.
        device: Keep the EMA on this device; None = the model's.
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
        super().__init__(
            model, decay=decay, min_decay=min_decay, update_after_step=update_after_step, use_warmup=use_warmup,
            warmup_gamma=warmup_gamma, warmup_power=warmup_power, device=device, stochastic_rounding=False,
            foreach=False)
