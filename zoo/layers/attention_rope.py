"""Self-attention with rotary position embedding, grouped-query heads and the projection layouts of EVA-style models.

"Attention Is All You Need", Vaswani et al., 2017 (arXiv:1706.03762). Rotary embedding: Su et al., 2021
(arXiv:2104.09864), see `zoo.layers.rope`. Grouped-query attention (fewer key/value heads, each shared by a group of
query heads): Ainslie et al., 2023 (arXiv:2305.13245). Output gating: "Gated Attention for Large Language Models",
Qiu et al., 2025 (arXiv:2505.06708). Query/key normalisation: Dehghani et al., 2023 (arXiv:2302.05442).

The attention product is `zoo.layers.attention.attend` (re-exported here, with `zoo.layers.config.set_fused_attn`):
PyTorch's fused `scaled_dot_product_attention` by default, or the explicit softmax(q k^T * scale + bias) v when a
module's `fused_attn` is False (useful to inspect or patch the attention matrix); both give the same result.
"""
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.attention import attend
from zoo.layers.config import set_fused_attn, use_fused_attn
from zoo.layers.rope import apply_rope

__all__ = ['AttentionRope', 'attend', 'packed_qkv', 'set_fused_attn']


def packed_qkv(x: torch.Tensor, weight: torch.Tensor, q_bias: Optional[torch.Tensor],
               v_bias: Optional[torch.Tensor]) -> torch.Tensor:
    """One packed q/k/v projection whose key part has no bias (BEiT / EVA keep learned query and value biases only;
    a key bias would cancel in the softmax)."""
    if q_bias is None:
        return F.linear(x, weight)
    return F.linear(x, weight, torch.cat([q_bias, torch.zeros_like(q_bias), v_bias]))


class AttentionRope(nn.Module):
    """Multi-head self-attention; rotary embedding on the patch tokens (prefix tokens are not rotated).

    Args:
        dim: token width.
        num_heads: query heads.
        num_kv_heads: key/value heads (grouped query); None for one per query head. Needs `qkv_fused=False`.
        attn_head_dim: per-head width (default `dim // num_heads`).
        dim_out: output width (default `dim`).
        qkv_bias: biases on the query/key/value projections.
        key_bias: with `qkv_bias`, also a key bias. Without it (EVA, BEiT) a packed projection stores its query and
            value biases as `q_bias` / `v_bias` and separate projections give `k_proj` no bias.
        qkv_fused: one packed `qkv` projection, else `q_proj`, `k_proj`, `v_proj`.
        num_prefix_tokens: leading class/register tokens that the rotary embedding skips.
        qk_norm: normalise queries and keys per head.
        scale_norm: normalise the attention output before the projection.
        gated: multiply the attention output by a sigmoid gate computed from the input.
        proj_bias: bias on the output projection.
        rotate_half: rotary pairs are the two halves of a head (else interleaved channels).
        attn_drop: dropout on attention probabilities.
        proj_drop: dropout after the output projection.
        norm_layer: norm factory for `qk_norm` / `scale_norm`.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int = 8,
            num_kv_heads: Optional[int] = None,
            attn_head_dim: Optional[int] = None,
            dim_out: Optional[int] = None,
            qkv_bias: bool = True,
            key_bias: bool = True,
            qkv_fused: bool = True,
            num_prefix_tokens: int = 1,
            qk_norm: bool = False,
            scale_norm: bool = False,
            gated: bool = False,
            proj_bias: bool = True,
            rotate_half: bool = False,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            norm_layer: Optional[Callable[[int], nn.Module]] = None,
    ):
        super().__init__()
        if attn_head_dim is None:
            if dim % num_heads:
                raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
            attn_head_dim = dim // num_heads
        num_kv_heads = num_kv_heads or num_heads
        if num_heads % num_kv_heads:
            raise ValueError(f'num_heads ({num_heads}) must be a multiple of num_kv_heads ({num_kv_heads}).')
        if num_kv_heads != num_heads and qkv_fused:
            raise ValueError('Grouped-query attention (num_kv_heads < num_heads) needs qkv_fused=False.')
        if (qk_norm or scale_norm) and norm_layer is None:
            raise ValueError('qk_norm / scale_norm need a norm_layer.')
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads
        self.head_dim = attn_head_dim
        self.attn_dim = attn_head_dim * num_heads
        self.num_prefix_tokens = num_prefix_tokens
        self.rotate_half = rotate_half
        self.fused_attn = use_fused_attn()
        kv_dim = attn_head_dim * num_kv_heads

        self.qkv = self.q_proj = self.k_proj = self.v_proj = None
        self.q_bias = self.v_bias = None
        if qkv_fused:
            self.qkv = nn.Linear(dim, self.attn_dim * 3, bias=qkv_bias and key_bias)
            if qkv_bias and not key_bias:
                self.q_bias = nn.Parameter(torch.zeros(self.attn_dim))
                self.v_bias = nn.Parameter(torch.zeros(self.attn_dim))
        else:
            self.q_proj = nn.Linear(dim, self.attn_dim, bias=qkv_bias)
            self.k_proj = nn.Linear(dim, kv_dim, bias=qkv_bias and key_bias)
            self.v_proj = nn.Linear(dim, kv_dim, bias=qkv_bias)
        self.q_norm = norm_layer(attn_head_dim) if qk_norm else nn.Identity()
        self.k_norm = norm_layer(attn_head_dim) if qk_norm else nn.Identity()
        self.attn_drop = nn.Dropout(attn_drop)
        self.norm = norm_layer(self.attn_dim) if scale_norm else nn.Identity()
        self.gate = nn.Linear(dim, self.attn_dim, bias=qkv_bias) if gated else None
        self.proj = nn.Linear(self.attn_dim, dim_out or dim, bias=proj_bias)
        self.proj_drop = nn.Dropout(proj_drop)

    def project_qkv(self, x: torch.Tensor):
        """Queries (B, heads, N, d) and keys / values (B, kv_heads, N, d), normalised when `qk_norm`."""
        b, n, _ = x.shape
        if self.qkv is not None:
            qkv = self.qkv(x) if self.q_bias is None else packed_qkv(x, self.qkv.weight, self.q_bias, self.v_bias)
            q, k, v = qkv.view(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        else:
            q = self.q_proj(x).view(b, n, self.num_heads, self.head_dim).transpose(1, 2)
            k = self.k_proj(x).view(b, n, self.num_kv_heads, self.head_dim).transpose(1, 2)
            v = self.v_proj(x).view(b, n, self.num_kv_heads, self.head_dim).transpose(1, 2)
        return self.q_norm(q), self.k_norm(k), v

    def _rotate(self, t: torch.Tensor, rope: torch.Tensor) -> torch.Tensor:
        npt = self.num_prefix_tokens
        if not npt:
            return apply_rope(t, rope, self.rotate_half)
        return torch.cat([t[:, :, :npt], apply_rope(t[:, :, npt:], rope, self.rotate_half)], dim=2)

    def output(self, x: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """(B, heads, N, d) attention result -> projected (B, N, dim_out); `inputs` feed the optional gate."""
        b, _, n, _ = x.shape
        x = self.norm(x.transpose(1, 2).reshape(b, n, self.attn_dim))
        if self.gate is not None:
            x = x * self.gate(inputs).sigmoid()
        return self.proj_drop(self.proj(x))

    def forward(
            self,
            x: torch.Tensor,
            rope: Optional[torch.Tensor] = None,
            attn_mask: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Attend over `x` (B, N, C); `rope` is a `[sin, cos]` embedding of the N - num_prefix_tokens patch tokens,
        `attn_mask` an additive bias (or bool keep-mask) broadcastable to (B, heads, N, N)."""
        q, k, v = self.project_qkv(x)
        if rope is not None:
            q, k = self._rotate(q, rope).type_as(v), self._rotate(k, rope).type_as(v)
        out = attend(q, k, v, attn_mask, self.attn_drop.p if self.training else 0., self.fused_attn)
        return self.output(out, x)
