"""Multi-head self-attention over token sequences, fused (SDPA) or explicit.

"Attention Is All You Need", Vaswani et al., 2017 (arXiv:1706.03762). Optional per-head query/key normalisation
follows "Scaling Vision Transformers to 22 Billion Parameters", Dehghani et al., 2023 (arXiv:2302.05442); the
optional norm before the output projection ("scale norm") is the sub-LayerNorm of "Magneto / Foundation
Transformers", Wang et al., 2022 (arXiv:2210.06423), as BEiT-3 uses it.

`attend` is the one place that computes softmax(q k^T * scale + mask) v; every attention layer of the zoo calls it
with its module's `fused_attn` flag (see zoo.layers.config), so the two implementations cannot drift apart.
"""
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.config import use_fused_attn

__all__ = ['Attention', 'attend']


def attend(
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        attn_mask: Optional[torch.Tensor] = None,
        dropout_p: float = 0.,
        fused: bool = True,
        scale: Optional[float] = None,
) -> torch.Tensor:
    """softmax(q k^T * scale + mask) v over (B, heads, N, D) tensors; k / v may have fewer heads (grouped query).

    Args:
        q: queries (..., Hq, Nq, D).
        k: keys (..., Hk, Nk, D); Hq must be a multiple of Hk (each key/value head serves Hq / Hk query heads).
        v: values (..., Hk, Nk, Dv).
        attn_mask: bool mask (True = attend) or additive float mask, broadcastable to (..., Hq, Nq, Nk).
        dropout_p: dropout on the attention probabilities (pass 0 in eval).
        fused: use `F.scaled_dot_product_attention`; False computes the attention matrix explicitly.
        scale: logit scale; 1 / sqrt(D) when None.
    """
    groups = q.shape[-3] // k.shape[-3] if q.dim() >= 3 else 1
    if fused and q.device.type == 'cpu':
        # PyTorch's fused CPU kernel needs one head width for q, k and v, with unit stride along it; otherwise SDPA
        # falls back to an unfused path that is about 2x slower than the explicit product below (torch 2.x)
        if q.shape[-1] != v.shape[-1] or q.shape[-1] != k.shape[-1]:
            fused = False
        else:
            q = q if q.stride(-1) == 1 else q.contiguous()
            k = k if k.stride(-1) == 1 else k.contiguous()
            v = v if v.stride(-1) == 1 else v.contiguous()
    if fused:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p, scale=scale,
                                              enable_gqa=groups > 1)
    if groups > 1:
        k = k.repeat_interleave(groups, dim=-3)
        v = v.repeat_interleave(groups, dim=-3)
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    logits = (q * scale) @ k.transpose(-2, -1)
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            logits = logits.masked_fill(~attn_mask, float('-inf'))
        else:
            logits = logits + attn_mask
    probs = logits.softmax(dim=-1)
    if dropout_p > 0.:
        probs = F.dropout(probs, p=dropout_p)
    return probs @ v


class Attention(nn.Module):
    """Self-attention with one packed qkv projection (the layout of the published ViT checkpoints).

    Args:
        dim: token width.
        num_heads: attention heads.
        attn_head_dim: per-head width (defaults to `dim // num_heads`).
        dim_out: output width (defaults to `dim`).
        qkv_bias: bias on the qkv projection.
        qk_norm: normalise queries and keys per head with `norm_layer`.
        scale_norm: normalise the attention output before the output projection.
        proj_bias: bias on the output projection.
        attn_drop: dropout on the attention probabilities.
        proj_drop: dropout after the output projection.
        norm_layer: norm factory for `qk_norm` / `scale_norm`.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int = 8,
            attn_head_dim: Optional[int] = None,
            dim_out: Optional[int] = None,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            scale_norm: bool = False,
            proj_bias: bool = True,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            norm_layer: Optional[Callable[[int], nn.Module]] = None,
    ):
        super().__init__()
        if attn_head_dim is None:
            if dim % num_heads:
                raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
            attn_head_dim = dim // num_heads
        if (qk_norm or scale_norm) and norm_layer is None:
            raise ValueError('qk_norm / scale_norm need a norm_layer.')
        self.num_heads = num_heads
        self.head_dim = attn_head_dim
        self.attn_dim = num_heads * attn_head_dim
        self.scale = attn_head_dim ** -0.5
        self.fused_attn = use_fused_attn()

        self.qkv = nn.Linear(dim, self.attn_dim * 3, bias=qkv_bias)
        self.q_norm = norm_layer(attn_head_dim) if qk_norm else nn.Identity()
        self.k_norm = norm_layer(attn_head_dim) if qk_norm else nn.Identity()
        self.attn_drop = nn.Dropout(attn_drop)
        self.norm = norm_layer(self.attn_dim) if scale_norm else nn.Identity()
        self.proj = nn.Linear(self.attn_dim, dim_out or dim, bias=proj_bias)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend over the tokens of `x` (B, N, C); `attn_mask` is a bool (True = keep) or additive mask."""
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        q, k = self.q_norm(q), self.k_norm(k)
        x = attend(q, k, v, fused=self.fused_attn, attn_mask=attn_mask,
                   dropout_p=self.attn_drop.p if self.training else 0., scale=self.scale)
        x = x.transpose(1, 2).reshape(b, n, self.attn_dim)
        return self.proj_drop(self.proj(self.norm(x)))
