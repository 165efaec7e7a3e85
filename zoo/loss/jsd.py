"""Jensen-Shannon divergence consistency loss for AugMix.

Hendrycks et al., "AugMix: A Simple Data Processing Method to Improve Robustness and Uncertainty" (ICLR 2020). The
batch holds ``num_splits`` consecutive chunks: the clean images then their augmented copies.
"""
import torch
import torch.nn.functional as F
from torch import nn

from zoo.loss.cross_entropy import LabelSmoothingCrossEntropy

__all__ = ['JsdCrossEntropy']


class JsdCrossEntropy(nn.Module):
    """Cross entropy on the clean split plus ``alpha`` times the JS divergence between all splits' predictions.

    Args:
        num_splits: Number of batch chunks (clean + augmented views).
        alpha: Weight of the consistency term (12 in the paper).
        smoothing: Label smoothing for the clean-split cross entropy (0 = plain cross entropy).
    """

    def __init__(self, num_splits: int = 3, alpha: float = 12., smoothing: float = 0.1) -> None:
        super().__init__()
        if num_splits < 2:
            raise ValueError(f'JSD needs at least 2 splits (clean + augmented), got {num_splits}; set --aug-splits.')
        self.num_splits = num_splits
        self.alpha = alpha
        self.cross_entropy: nn.Module = (
            LabelSmoothingCrossEntropy(smoothing) if smoothing else nn.CrossEntropyLoss())

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if logits.shape[0] % self.num_splits:
            raise ValueError(f'batch of {logits.shape[0]} is not divisible into {self.num_splits} splits.')
        split = logits.shape[0] // self.num_splits
        chunks = torch.split(logits, split)
        loss = self.cross_entropy(chunks[0], target[:split])
        probs = [F.softmax(c, dim=1) for c in chunks]
        # clamp before the log: the mixture can underflow to exactly zero for confident, disagreeing views
        log_mixture = torch.clamp(torch.stack(probs).mean(dim=0), 1e-7, 1.).log()
        jsd = sum(F.kl_div(log_mixture, p, reduction='batchmean') for p in probs) / len(probs)
        return loss + self.alpha * jsd
