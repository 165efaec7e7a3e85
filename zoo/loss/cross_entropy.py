"""Cross-entropy losses: label smoothing (Szegedy et al., 2016) and soft targets (for mixup / cutmix)."""
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['LabelSmoothingCrossEntropy', 'SoftTargetCrossEntropy']


class LabelSmoothingCrossEntropy(nn.Module):
    """Cross entropy against ``(1 - smoothing) * one_hot + smoothing / num_classes``.

    Args:
        smoothing: Probability mass spread uniformly over all classes.
    """

    def __init__(self, smoothing: float = 0.1) -> None:
        super().__init__()
        if not 0. <= smoothing < 1.:
            raise ValueError(f'smoothing must be in [0, 1), got {smoothing}.')
        self.smoothing = smoothing

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # cross entropy against the smoothed one-hot is (1 - s) * NLL + s * mean_c(-log p_c), which is what
        # F.cross_entropy computes with label_smoothing=s
        return F.cross_entropy(logits, target, label_smoothing=self.smoothing)


class SoftTargetCrossEntropy(nn.Module):
    """Cross entropy against a full target distribution per sample (e.g. mixup-blended one-hot labels)."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if target.shape != logits.shape:
            raise ValueError(
                f'soft targets must have the logits shape {tuple(logits.shape)}, got {tuple(target.shape)}; '
                'use LabelSmoothingCrossEntropy / CrossEntropyLoss for class indices.')
        return torch.sum(-target * F.log_softmax(logits, dim=-1), dim=-1).mean()
