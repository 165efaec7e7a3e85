"""Spatial-reduction attention: queries from every token, keys and values from a shrunken copy of the token grid.

"Pyramid Vision Transformer", Wang et al., 2021 (arXiv:2102.12122), section 3.3: a strided conv (kernel = stride =
`sr_ratio`) plus LayerNorm reduces the grid the keys / values come from by sr_ratio^2, which makes attention
affordable at high resolution. PVT v2 (arXiv:2106.13797) adds a linear-complexity variant that average-pools the
grid to 7x7 instead; Twins (arXiv:2104.13840) uses the strided form as its global sub-sampled attention (GSA).
"""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['SpatialReductionAttention']


class SpatialReductionAttention(nn.Module):
    """Multi-head attention over (B, H * W, C) tokens with keys / values from a reduced grid.

    Args:
        dim: token width.
        num_heads: attention heads.
        sr_ratio: grid reduction of the keys / values (1: none).
        linear_attn: reduce by adaptive average pooling to 7x7 (then a 1x1 conv, LayerNorm and GELU) instead.
        qkv_bias: bias on the q / kv projections.
        attn_drop: dropout on the attention probabilities.
        proj_drop: dropout after the output projection.
    """

    def __init__(self, dim: int, num_heads: int = 8, sr_ratio: int = 1, linear_attn: bool = False,
                 qkv_bias: bool = True, attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, dim * 2, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.pool = nn.AdaptiveAvgPool2d(7) if linear_attn else None
        if linear_attn or sr_ratio > 1:
            kernel = 1 if linear_attn else sr_ratio
            self.sr = nn.Conv2d(dim, dim, kernel_size=kernel, stride=kernel)
            self.norm = nn.LayerNorm(dim)
        else:
            self.sr = self.norm = None
        self.act = nn.GELU() if linear_attn else None

    def _reduce(self, x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        if self.sr is None:
            return x
        b, _, c = x.shape
        grid = x.transpose(1, 2).reshape(b, c, size[0], size[1])
        if self.pool is not None:
            grid = self.pool(grid)
        x = self.norm(self.sr(grid).flatten(2).transpose(1, 2))
        return self.act(x) if self.act is not None else x

    def forward(self, x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        b, n, c = x.shape
        q = self.q(x).view(b, n, self.num_heads, self.head_dim).transpose(1, 2)
        k, v = self.kv(self._reduce(x, size)).view(b, -1, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(b, n, c)))
