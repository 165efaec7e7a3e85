"""Multi-head attention pooling: a learned latent query attends over the tokens (SigLIP's 'MAP' head).

"Set Transformer", Lee et al., 2019 (arXiv:1810.00825), pooling by multihead attention; used as the image-level
readout of "Sigmoid Loss for Language Image Pre-Training" (SigLIP), Zhai et al., 2023 (arXiv:2303.15343).
"""
from typing import Callable, Optional, Type

import torch
import torch.nn as nn
from zoo.layers.attention import attend
from zoo.layers.config import use_fused_attn
from zoo.layers.mlp import Mlp

__all__ = ['AttentionPoolLatent']


class AttentionPoolLatent(nn.Module):
    """Pool (B, N, C) tokens to (B, C) with `latent_len` learned queries, then a residual norm + MLP.

    Args:
        in_features: token width.
        out_features: output width (defaults to `in_features`).
        num_heads: attention heads.
        mlp_ratio: hidden ratio of the MLP after pooling.
        qkv_bias: bias on the query / key-value projections.
        latent_len: number of latent queries (their outputs are averaged when `pool_type='avg'`).
        pool_type: 'token' keeps the first latent's output, 'avg' averages them, '' returns all of them.
        norm_layer: norm before the MLP.
        act_layer: MLP activation.
    """

    def __init__(
            self,
            in_features: int,
            out_features: Optional[int] = None,
            num_heads: int = 8,
            mlp_ratio: float = 4.0,
            qkv_bias: bool = True,
            latent_len: int = 1,
            pool_type: str = 'token',
            norm_layer: Optional[Callable[[int], nn.Module]] = None,
            act_layer: Type[nn.Module] = nn.GELU,
    ):
        super().__init__()
        out_features = out_features or in_features
        if in_features % num_heads:
            raise ValueError(f'in_features ({in_features}) must be divisible by num_heads ({num_heads}).')
        self.num_heads = num_heads
        self.head_dim = in_features // num_heads
        self.latent_len = latent_len
        self.pool = pool_type
        self.fused_attn = use_fused_attn()

        self.latent = nn.Parameter(torch.zeros(1, latent_len, in_features))
        self.q = nn.Linear(in_features, in_features, bias=qkv_bias)
        self.kv = nn.Linear(in_features, in_features * 2, bias=qkv_bias)
        # kept as (identity) modules so the layout matches checkpoints that carry them
        self.q_norm = nn.Identity()
        self.k_norm = nn.Identity()
        self.proj = nn.Linear(in_features, out_features)
        self.proj_drop = nn.Dropout(0.)
        self.norm = norm_layer(out_features) if norm_layer is not None else nn.Identity()
        self.mlp = Mlp(out_features, int(out_features * mlp_ratio), act_layer=act_layer)
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.trunc_normal_(self.latent, std=self.latent.shape[-1] ** -0.5)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Pool tokens (B, N, C); `attn_mask` (bool keep-mask or additive, broadcastable to (B, heads, latent_len, N))
        hides padding tokens of variable-length batches."""
        b, n, c = x.shape
        q = self.q(self.latent.expand(b, -1, -1))
        q = q.reshape(b, self.latent_len, self.num_heads, self.head_dim).transpose(1, 2)
        k, v = self.kv(x).reshape(b, n, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        x = attend(self.q_norm(q), self.k_norm(k), v, attn_mask=attn_mask, fused=self.fused_attn)
        x = self.proj_drop(self.proj(x.transpose(1, 2).reshape(b, self.latent_len, c)))
        x = x + self.mlp(self.norm(x))
        if self.pool == 'token':
            return x[:, 0]
        if self.pool == 'avg':
            return x.mean(1)
        return x
