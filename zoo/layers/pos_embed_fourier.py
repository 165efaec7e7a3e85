"""Fixed sine/cosine position features of a 2-D token grid, projected to the token width by a learned 1x1 conv.

The features follow the sinusoidal encoding of "Attention Is All You Need" (Vaswani et al., 2017, section 3.5) applied
separately to the normalised row and column coordinates (as in DETR, Carion et al., 2020); XCiT ("XCiT: Cross-Covariance
Image Transformers", El-Nouby et al., 2021, arXiv:2106.09681) adds them to the patch tokens. Being computed from the
grid, they work at any input size without resampling.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['FourierPosEmbed']


class FourierPosEmbed(nn.Module):
    """(1, H, W, dim) position embedding for an H x W grid.

    Args:
        hidden_dim: sine/cosine features per axis (the projection sees 2 * hidden_dim).
        dim: output width.
        temperature: base of the geometric frequency progression.
    """

    def __init__(self, hidden_dim: int = 32, dim: int = 768, temperature: float = 10000.):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.temperature = temperature
        # a 1x1 conv in the published weights; applied here as a linear map on channels-last features
        self.token_projection = nn.Conv2d(hidden_dim * 2, dim, kernel_size=1)

    def _axis_features(self, size: int, device: torch.device) -> torch.Tensor:
        # coordinates 1..size scaled to (0, 2 pi]; the tiny epsilon keeps the published weights' exact scaling
        pos = torch.arange(1, size + 1, device=device, dtype=torch.float32) / (size + 1e-6) * (2 * math.pi)
        # pairs of channels (2i, 2i + 1) share the frequency temperature^(2i / hidden_dim)
        freq = torch.arange(self.hidden_dim, device=device, dtype=torch.float32).div(2, rounding_mode='floor')
        angles = pos[:, None] / self.temperature ** (2 * freq / self.hidden_dim)
        # even channels take the sine, odd channels the cosine
        return torch.where(torch.arange(self.hidden_dim, device=device) % 2 == 0, angles.sin(), angles.cos())

    def forward(self, height: int, width: int) -> torch.Tensor:
        weight = self.token_projection.weight
        rows = self._axis_features(height, weight.device)  # (H, hidden)
        cols = self._axis_features(width, weight.device)  # (W, hidden)
        feats = torch.cat([rows[:, None].expand(-1, width, -1), cols[None].expand(height, -1, -1)], dim=-1)
        out = F.linear(feats.to(weight.dtype), weight.flatten(1), self.token_projection.bias)
        return out.unsqueeze(0)
