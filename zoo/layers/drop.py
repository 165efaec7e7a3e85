"""Stochastic depth (DropPath) and DropBlock regularisers."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def drop_path(
        x: torch.Tensor, drop_prob: float = 0., training: bool = False, scale_by_keep: bool = True) -> torch.Tensor:
    """Zero whole samples of a residual branch with probability `drop_prob` (Huang et al., 2016)."""
    if not training or not drop_prob:
        return x
    survival = 1. - drop_prob
    # one draw per sample (the same generator stream as a (B, 1, ..., 1) mask), broadcast over the other dims
    survivors = torch.empty(len(x), dtype=x.dtype, device=x.device).bernoulli_(survival)
    if scale_by_keep and survival > 0.:
        # survivors carry 1 / p so the expected output equals the inference-time identity
        survivors = survivors / survival
    return x * survivors.view((-1,) + (1,) * (x.dim() - 1))


class DropPath(nn.Module):
    def __init__(self, drop_prob: float = 0., scale_by_keep: bool = True):
        super().__init__()
        self.drop_prob = drop_prob
        self.scale_by_keep = scale_by_keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

    def extra_repr(self) -> str:
        return f'drop_prob={round(self.drop_prob, 3):0.3f}'


class DropBlock2d(nn.Module):
    """DropBlock (Ghiasi et al., 2018): drop contiguous `block_size` squares of a feature map."""

    def __init__(self, drop_prob: float = 0.1, block_size: int = 7, gamma_scale: float = 1.0):
        super().__init__()
        self.drop_prob = drop_prob
        self.block_size = block_size
        self.gamma_scale = gamma_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not self.drop_prob:
            return x
        _, _, h, w = x.shape
        block = min(self.block_size, h, w)
        # seed rate chosen so the expected dropped area equals drop_prob (paper, eq. 1)
        gamma = self.gamma_scale * self.drop_prob * h * w / block ** 2 / ((w - block + 1) * (h - block + 1))
        seeds = (torch.rand_like(x) < gamma).to(x.dtype)
        mask = 1. - F.max_pool2d(seeds, kernel_size=block, stride=1, padding=block // 2)
        if block % 2 == 0:
            mask = mask[..., :h, :w]
        scale = mask.numel() / mask.sum().clamp(min=1.)
        return x * mask * scale
