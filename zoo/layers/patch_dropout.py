"""Patch dropout: train on a random subset of the patch tokens.

"PatchDropout: Economizing Vision Transformers Using Patch Dropout", Liu et al., 2022 (arXiv:2208.07220), and FLIP
("Scaling Language-Image Pre-training via Masking", Li et al., 2022, arXiv:2212.00794): dropping a random fraction
of patch tokens during training regularises and cuts cost roughly in proportion. Prefix (class / register) tokens
are always kept. Eval is a no-op.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn

__all__ = ['PatchDropout']


class PatchDropout(nn.Module):
    """Keep `max(1, int(L * (1 - prob)))` random patch tokens per sample in training.

    Args:
        prob: fraction of patch tokens to drop, in [0, 1).
        num_prefix_tokens: leading tokens that are never dropped.
        ordered: keep the kept tokens in their original order (else random order).
    """

    def __init__(self, prob: float = 0.5, num_prefix_tokens: int = 1, ordered: bool = False):
        super().__init__()
        if not 0. <= prob < 1.:
            raise ValueError(f'PatchDropout prob must be in [0, 1), got {prob}.')
        self.prob = prob
        self.num_prefix_tokens = num_prefix_tokens
        self.ordered = ordered

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Tokens (B, L, C) -> (kept tokens, indices of the kept patches (B, K) or None when nothing is dropped)."""
        if not self.training or self.prob == 0.:
            return x, None
        npt = self.num_prefix_tokens
        prefix, patches = x[:, :npt], x[:, npt:]
        b, num = patches.shape[:2]
        num_keep = max(1, int(num * (1. - self.prob)))
        keep = torch.randn(b, num, device=x.device).argsort(dim=-1)[:, :num_keep]
        if self.ordered:
            keep = keep.sort(dim=-1).values
        patches = patches.gather(1, keep.unsqueeze(-1).expand(-1, -1, patches.shape[-1]))
        return torch.cat([prefix, patches], dim=1) if npt else patches, keep
