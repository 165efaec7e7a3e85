"""Attention pooling of a feature map: the image-level readout of OpenAI's CLIP ResNets.

Paper: "Learning Transferable Visual Models From Natural Language Supervision", Radford et al., 2021
(arXiv:2103.00020), section 2.4: global average pooling is replaced by one multi-head attention layer whose query is
the mean of the map; the mean token and every position, each with a learned absolute position embedding, are the keys
and values. The embedding is learned for one grid (`feat_size`) and bicubically resampled for other input sizes.

Used as a classification head: `forward(x, pre_logits)` and `reset(num_classes, pool_type)` like ClassifierHead;
`proj` is the output projection (the classifier).
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.helpers import to_2tuple
from zoo.layers.pos_embed import resample_abs_pos_embed

__all__ = ['AttentionPool2d']

_POOL_TYPES = ('token', '')


class AttentionPool2d(nn.Module):
    """Multi-head attention pooling with a learned absolute position embedding.

    Args:
        in_features: channels of the incoming map.
        feat_size: (H, W) grid the position embedding is learned for.
        out_features: width of the output projection; 0 leaves the attention output unprojected.
        embed_dim: attention width (defaults to `in_features`).
        head_dim: channels per head (ignored when `num_heads` is given).
        num_heads: attention heads.
        qkv_bias: bias in the Q / K / V projections.
        pool_type: 'token' returns the mean-token output (B, C); '' returns every position as a map (B, C, H, W).
        drop_rate: dropout before the projection.
    """

    def __init__(
            self,
            in_features: int,
            feat_size: Union[int, Tuple[int, int]] = 7,
            out_features: Optional[int] = None,
            embed_dim: Optional[int] = None,
            head_dim: int = 64,
            num_heads: Optional[int] = None,
            qkv_bias: bool = True,
            pool_type: str = 'token',
            drop_rate: float = 0.,
    ):
        super().__init__()
        self._check_pool(pool_type)
        embed_dim = embed_dim or in_features
        num_heads = num_heads or embed_dim // head_dim
        if embed_dim % num_heads:
            raise ValueError(f'AttentionPool2d: embed_dim={embed_dim} does not split into {num_heads} heads.')
        self.in_features = in_features
        self.embed_dim = embed_dim
        self.num_features = embed_dim  # width of the pre-logits output
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.feat_size = to_2tuple(feat_size)
        self.pool_type = pool_type

        self.q = nn.Linear(in_features, embed_dim, bias=qkv_bias)
        self.k = nn.Linear(in_features, embed_dim, bias=qkv_bias)
        self.v = nn.Linear(in_features, embed_dim, bias=qkv_bias)
        self.pos_embed = nn.Parameter(torch.zeros(self.feat_size[0] * self.feat_size[1] + 1, in_features))
        self.drop = nn.Dropout(drop_rate)
        out_features = in_features if out_features is None else out_features
        self.proj = nn.Linear(embed_dim, out_features) if out_features > 0 else nn.Identity()
        self.init_weights()

    @staticmethod
    def _check_pool(pool_type: str) -> None:
        if pool_type not in _POOL_TYPES:
            raise ValueError(f"AttentionPool2d takes global_pool='token' (the mean-token output) or '' (no pooling), "
                             f"got {pool_type!r}.")

    def init_weights(self) -> None:
        std = self.in_features ** -0.5
        for lin in (self.q, self.k, self.v):
            nn.init.trunc_normal_(lin.weight, std=std)
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)
        nn.init.trunc_normal_(self.pos_embed, std=std)

    def reset(self, num_classes: int, pool_type: Optional[str] = None) -> None:
        """A new output projection for `num_classes` (0 removes it); the attention itself is kept."""
        if pool_type is not None:
            self._check_pool(pool_type)
            self.pool_type = pool_type
        self.proj = (nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()).to(
            self.pos_embed.device, self.pos_embed.dtype).train(self.training)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        b, _, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)
        tokens = torch.cat([tokens.mean(dim=1, keepdim=True), tokens], dim=1)
        pos_embed = resample_abs_pos_embed(self.pos_embed.unsqueeze(0), (h, w), old_size=self.feat_size,
                                           num_prefix_tokens=1)
        tokens = tokens + pos_embed.to(tokens.dtype)
        # token pooling only reads the mean token's output, so only its query is computed
        queries = tokens[:, :1] if self.pool_type == 'token' else tokens
        out = F.scaled_dot_product_attention(
            self._heads(self.q(queries)), self._heads(self.k(tokens)), self._heads(self.v(tokens)))
        out = self.drop(out.transpose(1, 2).reshape(b, queries.shape[1], self.embed_dim))
        if not pre_logits:
            out = self.proj(out)
        if self.pool_type == 'token':
            return out[:, 0]
        return out[:, 1:].reshape(b, h, w, -1).permute(0, 3, 1, 2)
