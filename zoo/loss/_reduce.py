"""Reductions shared by the element-wise (per sample and class) losses."""
import torch

__all__ = ['REDUCTIONS', 'reduce_loss']

REDUCTIONS = ('mean', 'batchmean', 'sum', 'none')


def reduce_loss(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """'mean' over all elements, 'batchmean' = sum / batch size, 'sum', or 'none'."""
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'batchmean':
        return loss.sum() / loss.shape[0]
    if reduction == 'sum':
        return loss.sum()
    return loss
