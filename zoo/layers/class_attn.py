"""Class attention: only the class token queries, every token (class + patches) is attended to.

"Going deeper with Image Transformers" (CaiT), Touvron et al., 2021 (arXiv:2103.17239), section 3: after the
patch-only self-attention layers, a few class-attention layers update the class token alone. Computing the query for
that one token (instead of for all N) makes a layer O(N) rather than O(N^2). XCiT (arXiv:2106.09681) reuses it.
"""
from typing import Iterable, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['ClassAttn', 'prepend_class_token']


class ClassAttn(nn.Module):
    """Attention of token 0 over all tokens of a (B, N, C) sequence; returns the updated token as (B, 1, C).

    Separate query, key and value projections, named `q`, `k`, `v` as in the published CaiT / XCiT weights (CrossViT's
    cross-attention names them `wq`, `wk`, `wv`: pass `qkv_names`).

    Args:
        dim: token width.
        num_heads: attention heads.
        qkv_bias: bias on the q / k / v projections.
        attn_drop: dropout on the attention probabilities.
        proj_drop: dropout after the output projection.
        qkv_names: attribute names of the query, key and value projections.
    """

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False, attn_drop: float = 0.,
                 proj_drop: float = 0., qkv_names: Tuple[str, str, str] = ('q', 'k', 'v')):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv_names = tuple(qkv_names)
        for name in self.qkv_names:
            self.add_module(name, nn.Linear(dim, dim, bias=qkv_bias))
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        heads = (b, -1, self.num_heads, self.head_dim)
        q_proj, k_proj, v_proj = (getattr(self, name) for name in self.qkv_names)
        q = q_proj(x[:, :1]).view(heads).transpose(1, 2)
        k = k_proj(x).view(heads).transpose(1, 2)
        v = v_proj(x).view(heads).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, 1, c)))


def prepend_class_token(x: torch.Tensor, cls_token: Optional[torch.Tensor],
                        blocks: Iterable[nn.Module]) -> torch.Tensor:
    """Tokens (B, N, C) -> (B, 1 + N, C): the class token first, then `blocks` (which update it) run in order.

    Without a class token (removed with the head) the tokens are returned unchanged.
    """
    if cls_token is None:
        return x
    x = torch.cat([cls_token.expand(x.shape[0], -1, -1), x], dim=1)
    for block in blocks:
        x = block(x)
    return x
