"""Running averages and top-k accuracy."""
from typing import List, Sequence

import torch

__all__ = ['AverageMeter', 'accuracy']


class AverageMeter:
    """Running mean of a scalar, weighted by the number of samples each value covers."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.val = 0.
        self.sum = 0.
        self.count = 0
        self.avg = 0.

    def update(self, val: float, n: int = 1) -> None:
        self.val = float(val)
        self.sum += float(val) * n
        self.count += n
        self.avg = self.sum / self.count


def accuracy(output: torch.Tensor, target: torch.Tensor, topk: Sequence[int] = (1,)) -> List[torch.Tensor]:
    """Top-k accuracy in percent for each ``k``.

    Args:
        output: Logits or scores, shape (batch, classes).
        target: Class indices, shape (batch,).
        topk: The k values; each must be <= the number of classes.

    Returns:
        One scalar tensor per k (percent of samples whose target is among the k highest scores).
    """
    num_classes = output.shape[-1]
    if max(topk) > num_classes:
        raise ValueError(f'top-{max(topk)} accuracy needs at least {max(topk)} classes, the output has {num_classes}.')
    maxk = max(topk)
    pred = output.topk(maxk, dim=1, largest=True, sorted=True).indices
    correct = pred.eq(target.reshape(-1, 1))
    batch = target.shape[0]
    return [correct[:, :k].any(dim=1).float().sum() * (100. / batch) for k in topk]
