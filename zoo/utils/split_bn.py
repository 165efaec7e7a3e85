"""Split (auxiliary) BatchNorm for AugMix-style training.

Xie et al., "Adversarial Examples Improve Image Recognition" (CVPR 2020): clean and augmented images have different
statistics, so each batch split gets its own BN; the first (clean) one is used at evaluation.
"""
from typing import Optional

import torch
from torch import nn

__all__ = ['SplitBatchNorm2d', 'convert_splitbn_model']


class SplitBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm whose batch is split into ``num_splits`` equal chunks in training, chunk i > 0 using ``aux_bn[i-1]``.

    Args:
        num_features: Channels.
        eps: BN epsilon.
        momentum: BN momentum.
        affine: Learn scale and shift.
        track_running_stats: Keep running statistics.
        num_splits: Number of splits (clean + augmented views).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True, num_splits: int = 2) -> None:
        if num_splits < 2:
            raise ValueError(f'split BN needs num_splits >= 2, got {num_splits}.')
        bn_args = dict(eps=eps, momentum=momentum, affine=affine, track_running_stats=track_running_stats)
        super().__init__(num_features, **bn_args)  # the clean split's BN, also the one used at evaluation
        self.num_splits = num_splits
        # splits 1..num_splits-1 (the augmented views) each get a BN configured like the clean one
        self.aux_bn = nn.ModuleList(nn.BatchNorm2d(num_features, **bn_args) for _ in range(1, num_splits))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        if x.shape[0] % self.num_splits:
            raise ValueError(f'batch of {x.shape[0]} cannot be split into {self.num_splits} BN splits.')
        chunks = x.split(x.shape[0] // self.num_splits)
        out = [super().forward(chunks[0])] + [bn(c) for bn, c in zip(self.aux_bn, chunks[1:])]
        return torch.cat(out, dim=0)


def convert_splitbn_model(module: nn.Module, num_splits: int = 2) -> nn.Module:
    """Recursively replace BatchNorm2d layers by :class:`SplitBatchNorm2d` with copied weights and statistics."""
    if isinstance(module, nn.BatchNorm2d) and not isinstance(module, SplitBatchNorm2d):
        new = SplitBatchNorm2d(module.num_features, module.eps, module.momentum, module.affine,
                               module.track_running_stats, num_splits=num_splits)
        for bn in [new, *new.aux_bn]:
            if module.track_running_stats:
                bn.running_mean.copy_(module.running_mean)
                bn.running_var.copy_(module.running_var)
                bn.num_batches_tracked.copy_(module.num_batches_tracked)
            if module.affine:
                bn.weight.data.copy_(module.weight.data)
                bn.bias.data.copy_(module.bias.data)
        return new
    for name, child in list(module.named_children()):
        setattr(module, name, convert_splitbn_model(child, num_splits))
    return module
