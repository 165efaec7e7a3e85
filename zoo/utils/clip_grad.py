"""Gradient clipping by global norm, by value, or adaptively per unit (AGC).

AGC follows Brock et al., "High-Performance Large-Scale Image Recognition Without Normalization" (NFNets, 2021):
each output unit's gradient is rescaled so that ||g|| / max(||w||, eps) <= clip_factor.
"""
from typing import Callable, Dict, Iterable, Union

import torch

__all__ = ['adaptive_clip_grad', 'dispatch_clip_grad', 'CLIP_MODES']

Params = Union[torch.Tensor, Iterable[torch.Tensor]]


def _unit_norm(x: torch.Tensor, norm_type: float) -> torch.Tensor:
    # norm over everything but the output-unit dim (dim 0); scalars and vectors are one unit each
    if x.ndim <= 1:
        return x.norm(norm_type)
    return x.norm(norm_type, dim=tuple(range(1, x.ndim)), keepdim=True)


@torch.no_grad()
def adaptive_clip_grad(
        parameters: Params, clip_factor: float = 0.01, eps: float = 1e-3, norm_type: float = 2.0) -> None:
    """Adaptive gradient clipping (in place).

    Args:
        parameters: Parameters whose ``.grad`` is clipped.
        clip_factor: Maximum gradient-to-weight norm ratio per unit.
        eps: Floor of the weight norm (so zero-initialised weights can still move).
        norm_type: Norm order.
    """
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    for p in parameters:
        if p.grad is None:
            continue
        max_norm = _unit_norm(p.detach(), norm_type).clamp(min=eps) * clip_factor
        grad_norm = _unit_norm(p.grad.detach(), norm_type)
        scale = torch.where(grad_norm > max_norm, max_norm / grad_norm.clamp(min=1e-6), torch.ones_like(grad_norm))
        p.grad.mul_(scale)


def _clip_global_norm(parameters: Params, value: float, norm_type: float) -> None:
    torch.nn.utils.clip_grad_norm_(parameters, value, norm_type=norm_type)


def _clip_elementwise(parameters: Params, value: float, norm_type: float) -> None:
    torch.nn.utils.clip_grad_value_(parameters, value)  # no norm involved


def _clip_adaptive(parameters: Params, value: float, norm_type: float) -> None:
    adaptive_clip_grad(parameters, clip_factor=value, norm_type=norm_type)


# mode name -> clipper(parameters, value, norm_type); the names are the --clip-mode choices
_CLIPPERS: Dict[str, Callable[[Params, float, float], None]] = {
    'norm': _clip_global_norm,
    'value': _clip_elementwise,
    'agc': _clip_adaptive,
}
CLIP_MODES = tuple(_CLIPPERS)


def dispatch_clip_grad(parameters: Params, value: float, mode: str = 'norm', norm_type: float = 2.0) -> None:
    """Clip gradients in place with the selected method.

    Args:
        parameters: Parameters whose gradients are clipped.
        value: Max global norm ('norm'), max absolute value ('value') or clip factor ('agc').
        mode: One of ``CLIP_MODES``.
        norm_type: Norm order for 'norm' and 'agc'.
    """
    try:
        clipper = _CLIPPERS[mode]
    except KeyError:
        raise ValueError(f"Unknown clip mode '{mode}'. Valid modes: {', '.join(CLIP_MODES)}.") from None
    clipper(parameters, value, norm_type)
