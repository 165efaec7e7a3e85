"""Mixed precision: autocast selection and a loss scaler that also clips gradients.

On CUDA, float16 autocast needs a gradient scaler; bfloat16 (and CPU autocast, which only supports bfloat16 well)
does not.
"""
import contextlib
from typing import Any, Callable, ContextManager, Dict, Iterable, Optional, Tuple

import torch

from zoo.utils.clip_grad import dispatch_clip_grad

__all__ = ['MODEL_DTYPES', 'NativeScaler', 'resolve_amp', 'resolve_model_dtype']

MODEL_DTYPES = ('float32', 'bfloat16', 'float16')

_AMP_DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16, 'bf16': torch.bfloat16, 'fp16': torch.float16}


def resolve_amp(enabled: bool, amp_dtype: str, device: torch.device) -> Tuple[Callable[[], ContextManager], bool]:
    """Pick the autocast context and whether a gradient scaler is needed.

    Args:
        enabled: ``--amp`` given.
        amp_dtype: 'bfloat16' or 'float16'.
        device: Training device.

    Returns:
        (factory returning an autocast context (a no-op when disabled), use_scaler).
    """
    if not enabled:
        return contextlib.nullcontext, False
    if amp_dtype not in _AMP_DTYPES:
        raise ValueError(f"Unknown --amp-dtype '{amp_dtype}'. Valid values: bfloat16, float16.")
    dtype = _AMP_DTYPES[amp_dtype]
    if device.type == 'cpu' and dtype == torch.float16:
        # CPU float16 autocast is slow and poorly supported; bfloat16 keeps the float32 exponent range
        dtype = torch.bfloat16
    use_scaler = device.type == 'cuda' and dtype == torch.float16

    def factory() -> ContextManager:
        return torch.autocast(device_type=device.type, dtype=dtype)
    return factory, use_scaler


def resolve_model_dtype(name: Optional[str], amp: bool = False, fast: bool = False) -> Optional[torch.dtype]:
    """The dtype of ``--model-dtype``: the whole model (weights, activations, inputs) runs in it.

    Unlike AMP, which computes selected ops in low precision over float32 weights, this casts the weights
    themselves; the two do not combine.

    Args:
        name: 'float32', 'bfloat16' or 'float16' (also 'fp32', 'bf16', 'fp16'); None or '' keeps float32.
        amp: ``--amp`` is also given.
        fast: ``--fast`` or ``--int8`` is also given; they choose the precision themselves, so neither ``--amp`` nor a
            dtype combine.

    Returns:
        The dtype, or None for the default float32.
    """
    if fast and (amp or name):
        raise ValueError('--fast / --int8 choose the precision themselves (--fast: bfloat16 where the CPU runs it '
                         f'natively); drop {"--amp" if amp else "--model-dtype"}, or --fast / --int8.')
    if not name:
        return None
    aliases = {'fp32': 'float32', 'bf16': 'bfloat16', 'fp16': 'float16'}
    name = aliases.get(name, name)
    if name not in MODEL_DTYPES:
        raise ValueError(f"Unknown --model-dtype '{name}'. Valid values: {', '.join(MODEL_DTYPES)}.")
    dtype = getattr(torch, name)
    if amp and dtype != torch.float32:
        raise ValueError(f'--amp needs float32 weights; it cannot be combined with --model-dtype {name} (drop one).')
    return None if dtype == torch.float32 else dtype


class NativeScaler:
    """``torch.amp.GradScaler`` plus optional gradient clipping between unscale and step.

    Args:
        device: Device type for the scaler ('cuda').
    """

    state_dict_key = 'amp_scaler'

    def __init__(self, device: str = 'cuda') -> None:
        self._scaler = torch.amp.GradScaler(device)

    def __call__(
            self,
            loss: torch.Tensor,
            optimizer: torch.optim.Optimizer,
            clip_grad: Optional[float] = None,
            clip_mode: str = 'norm',
            parameters: Optional[Iterable[torch.nn.Parameter]] = None,
            need_update: bool = True,
    ) -> None:
        self._scaler.scale(loss).backward()
        if need_update:  # False while gradients accumulate over several backward passes
            self._clip_and_step(optimizer, clip_grad, clip_mode, parameters)

    def _clip_and_step(
            self,
            optimizer: torch.optim.Optimizer,
            clip_grad: Optional[float],
            clip_mode: str,
            parameters: Optional[Iterable[torch.nn.Parameter]],
    ) -> None:
        scaler = self._scaler
        if clip_grad is not None:
            if parameters is None:
                raise ValueError('gradient clipping needs the parameters to clip (pass parameters=model.parameters()).')
            # thresholds refer to the true gradients, so divide the loss scale out first; step() then knows they
            # are unscaled and does not unscale again
            scaler.unscale_(optimizer)
            dispatch_clip_grad(parameters, clip_grad, mode=clip_mode)
        scaler.step(optimizer)  # skipped if a gradient is inf / nan
        scaler.update()

    def state_dict(self) -> Dict[str, Any]:
        return self._scaler.state_dict()

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self._scaler.load_state_dict(state_dict)
