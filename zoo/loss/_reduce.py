"""Argument checks, target helpers and reductions shared by the element-wise (per sample and class) losses."""
from typing import Sequence, Union

import torch

__all__ = ['REDUCTIONS', 'check_loss_options', 'by_target', 'smooth_binary', 'reduce_loss']

REDUCTIONS = ('mean', 'batchmean', 'sum', 'none')


def check_loss_options(smoothing: float = 0., reduction: str = 'mean', allowed: Sequence[str] = REDUCTIONS) -> None:
    """Refuse a label smoothing outside [0, 1) or a reduction the loss does not implement."""
    if not 0. <= smoothing < 1.:
        raise ValueError(f'smoothing must be in [0, 1), got {smoothing}.')
    if reduction not in allowed:
        raise ValueError(f"reduction must be one of {', '.join(allowed)}, got {reduction!r}.")


def by_target(
        y: torch.Tensor,
        if_pos: Union[torch.Tensor, float],
        if_neg: Union[torch.Tensor, float],
) -> torch.Tensor:
    """``if_pos`` where the (soft) target is 1, ``if_neg`` where it is 0, linear in between."""
    return y * if_pos + (1. - y) * if_neg


def smooth_binary(y: torch.Tensor, smoothing: float) -> torch.Tensor:
    """Pull each binary target towards 0.5 by ``smoothing`` (a no-op at 0)."""
    return by_target(y, 1. - 0.5 * smoothing, 0.5 * smoothing) if smoothing else y


def reduce_loss(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """'mean' over all elements, 'batchmean' = sum / batch size, 'sum', or 'none'."""
    if reduction == 'none':
        return loss
    total = loss.mean() if reduction == 'mean' else loss.sum()
    return total / loss.shape[0] if reduction == 'batchmean' else total
