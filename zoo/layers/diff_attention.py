"""Differential attention: the difference of two softmax attention maps cancels common-mode attention noise.

"Differential Transformer", Ye et al., 2024 (arXiv:2410.05258), section 2.1. Each head's queries and keys are split
into two halves that give two attention maps over the same (double-width) values; the output is
(softmax(Q1 K1^T) - lambda softmax(Q2 K2^T)) V, then a per-head RMSNorm scaled by (1 - lambda_init). lambda is
re-parameterised as exp(lq1 . lk1) - exp(lq2 . lk2) + lambda_init with lambda_init = 0.8 - 0.6 exp(-0.3 l) for the
block at depth l (eq. 2; the block index here counts from 0, as in the published ViT weights).

Parameter names (`qkv`, `proj`, `sub_norm`, `lambda_q1/k1/q2/k2`) follow the published checkpoints.
"""
import math
from typing import Callable, Optional

import torch
import torch.nn as nn

from zoo.layers.attention import Attention, attend
from zoo.layers.rms_norm import RmsNorm

__all__ = ['DiffAttention', 'DiffLambdaMixin', 'differential_attend']


def differential_attend(
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        lambda_full: torch.Tensor,
        fused: bool = True,
        attn_mask: Optional[torch.Tensor] = None,
        dropout_p: float = 0.,
) -> torch.Tensor:
    """(softmax(q1 k1^T) - lambda softmax(q2 k2^T)) v for heads stored as consecutive pairs.

    Args:
        q: queries (B, 2H, N, d); heads 2h and 2h + 1 are the two halves of head h.
        k: keys (B, 2H, N, d), paired like `q`.
        v: values (B, H, N, 2d).
        lambda_full: the (scalar) weight of the second map.
        fused: use the fused SDPA kernel for both maps.
        attn_mask: mask shared by both maps.
        dropout_p: dropout on the attention probabilities.
    """
    b, h2, n, d = q.shape
    q1, q2 = q.reshape(b, h2 // 2, 2, n, d).unbind(2)
    k1, k2 = k.reshape(b, h2 // 2, 2, k.shape[-2], d).unbind(2)
    # both maps scale logits by the half-head width (their own query width)
    out1 = attend(q1, k1, v, fused=fused, attn_mask=attn_mask, dropout_p=dropout_p, scale=d ** -0.5)
    out2 = attend(q2, k2, v, fused=fused, attn_mask=attn_mask, dropout_p=dropout_p, scale=d ** -0.5)
    return out1 - lambda_full * out2


class DiffLambdaMixin:
    """The learned, re-parameterised lambda of a differential-attention layer.

    The four vectors are parameters of the layer itself (`lambda_q1`, `lambda_k1`, `lambda_q2`, `lambda_k2`), the
    layout of the published checkpoints; `lambda_init` depends on the block's depth.
    """
    lambda_init: float

    def _init_lambda(self, head_dim: int, depth: int) -> None:
        self.lambda_init = 0.8 - 0.6 * math.exp(-0.3 * depth)
        for name in ('lambda_q1', 'lambda_k1', 'lambda_q2', 'lambda_k2'):
            setattr(self, name, nn.Parameter(torch.empty(head_dim)))
        self.reset_lambda()

    def reset_lambda(self) -> None:
        for p in (self.lambda_q1, self.lambda_k1, self.lambda_q2, self.lambda_k2):
            nn.init.normal_(p, std=0.1)

    def lambda_full(self) -> torch.Tensor:
        # the exponent is taken in float32 even for low-precision weights: exp amplifies rounding error
        lambda_1 = torch.exp((self.lambda_q1.float() * self.lambda_k1.float()).sum())
        lambda_2 = torch.exp((self.lambda_q2.float() * self.lambda_k2.float()).sum())
        return lambda_1 - lambda_2 + self.lambda_init

    def _differential_heads(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                            attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Differential attention of projected (B, N, C) queries / keys / values, back to (B, N, C).

        The host layer provides `num_heads`, `head_dim` (the half-head width), `q_norm` / `k_norm`, `attn_drop`,
        `sub_norm` and `fused_attn`.
        """
        b, n, c = q.shape
        q = self.q_norm(q.reshape(b, n, 2 * self.num_heads, self.head_dim).transpose(1, 2))
        k = self.k_norm(k.reshape(b, n, 2 * self.num_heads, self.head_dim).transpose(1, 2))
        v = v.reshape(b, n, self.num_heads, 2 * self.head_dim).transpose(1, 2)
        x = differential_attend(q, k, v, self.lambda_full().to(q.dtype), fused=self.fused_attn, attn_mask=attn_mask,
                                dropout_p=self.attn_drop.p if self.training else 0.)
        x = self.sub_norm(x) * (1 - self.lambda_init)
        return x.transpose(1, 2).reshape(b, n, c)


class DiffAttention(DiffLambdaMixin, Attention):
    """Self-attention with differential attention maps; a drop-in replacement of `Attention`.

    Built as an `Attention` over 2 x `num_heads` half-width heads (the same packed qkv, per-half-head q/k norms and
    output projection), whose pairs of maps are then combined differentially.

    Args:
        dim: token width.
        num_heads: attention heads (each made of two half-width query/key heads).
        qkv_bias: bias on the qkv projection.
        qk_norm: normalise the half-width queries and keys with `norm_layer`.
        scale_norm: normalise the attention output before the output projection.
        proj_bias: bias on the output projection.
        attn_drop: dropout on the attention probabilities.
        proj_drop: dropout after the output projection.
        norm_layer: norm factory for `qk_norm` / `scale_norm` (RMSNorm when None).
        depth: index of the block this layer sits in (sets lambda_init).
    """

    def __init__(
            self,
            dim: int,
            num_heads: int = 8,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            scale_norm: bool = False,
            proj_bias: bool = True,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            norm_layer: Optional[Callable[[int], nn.Module]] = None,
            depth: int = 0,
    ):
        if dim % (2 * num_heads):
            raise ValueError(f'dim ({dim}) must be divisible by 2 * num_heads ({2 * num_heads}).')
        super().__init__(dim, num_heads=2 * num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm, scale_norm=scale_norm,
                         proj_bias=proj_bias, attn_drop=attn_drop, proj_drop=proj_drop,
                         norm_layer=norm_layer or RmsNorm)
        self.num_heads = num_heads  # full heads; `head_dim` stays the half-head width
        self.sub_norm = RmsNorm(2 * self.head_dim, eps=1e-5)
        self._init_lambda(self.head_dim, depth)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = self._differential_heads(*self.qkv(x).chunk(3, dim=-1), attn_mask=attn_mask)
        return self.proj_drop(self.proj(self.norm(x)))
