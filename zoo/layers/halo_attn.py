"""Blocked local self-attention with halos (HaloNet).

Paper: "Scaling Local Self-Attention for Parameter Efficient Visual Backbones", Vaswani et al., 2021
(arXiv:2103.12731), section 2.2: the map is cut into non-overlapping (b x b) query blocks; each block attends to a
(b + 2h) x (b + 2h) window of keys, its block grown by a halo of h pixels (zero-padded at the border), with
factorised relative position logits. Unlike a sliding window, all queries of a block share one key window, which
makes the gather a cheap unfold.

A stride of 2 subsamples the queries inside each block (a strided 1x1 query projection) when the block size allows,
otherwise the output is 2x2 average pooled. The key/value projection emits, per head, the head's key channels
followed by its value channels.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.attention import attend
from zoo.layers.attn_head_dims import attn_head_dims
from zoo.layers.helpers import to_2tuple
from zoo.layers.pos_embed_rel_axial import AxialRelPosEmbed

__all__ = ['HaloAttn']


class HaloAttn(nn.Module):
    """Halo attention on NCHW maps whose sides are multiples of `block_size`.

    Args:
        dim: input channels.
        dim_out: output channels (defaults to `dim`); must divide into `num_heads`.
        feat_size: (H, W) the layer will see, if known; only checked against the block size at construction.
        stride: 1 or 2.
        num_heads: attention heads.
        dim_head: query / key channels per head (derived from `qk_ratio` when None).
        block_size: side of the query blocks.
        halo_size: pixels added around a block to form its key window.
        qk_ratio: query / key width relative to `dim_out` when `dim_head` is None.
        qkv_bias: bias in the projections.
        avg_down: downsample by average pooling even when the block size allows strided queries.
        scale_pos_embed: scale the position logits together with q . k (instead of adding them unscaled).
    """

    def __init__(
            self,
            dim: int,
            dim_out: Optional[int] = None,
            feat_size: Optional[Tuple[int, int]] = None,
            stride: int = 1,
            num_heads: int = 8,
            dim_head: Optional[int] = None,
            block_size: int = 8,
            halo_size: int = 3,
            qk_ratio: float = 1.0,
            qkv_bias: bool = False,
            avg_down: bool = False,
            scale_pos_embed: bool = False,
    ):
        super().__init__()
        dim_out = dim_out or dim
        self.dim_head_qk, self.dim_head_v = attn_head_dims('HaloAttn', dim_out, num_heads, stride, dim_head, qk_ratio)
        if feat_size is not None and any(s % block_size for s in to_2tuple(feat_size)):
            raise ValueError(f'HaloAttn: feature map {tuple(to_2tuple(feat_size))} is not a multiple of '
                             f'block_size={block_size}; choose an input size that is.')
        self.num_heads = num_heads
        self.dim_out_qk = num_heads * self.dim_head_qk
        self.dim_out_v = num_heads * self.dim_head_v
        self.scale = self.dim_head_qk ** -0.5
        self.scale_pos_embed = scale_pos_embed
        self.block_size = block_size
        self.halo_size = halo_size
        self.win_size = block_size + 2 * halo_size
        use_pool = stride > 1 and (avg_down or block_size % stride != 0)
        self.block_stride = stride if stride > 1 and not use_pool else 1
        self.block_size_ds = block_size // self.block_stride

        self.q = nn.Conv2d(dim, self.dim_out_qk, 1, stride=self.block_stride, bias=qkv_bias)
        self.kv = nn.Conv2d(dim, self.dim_out_qk + self.dim_out_v, 1, bias=qkv_bias)
        self.pos_embed = AxialRelPosEmbed(self.block_size_ds, self.win_size, self.dim_head_qk, std=self.scale)
        self.pool = nn.AvgPool2d(2, 2) if use_pool else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        std = self.q.weight.shape[1] ** -0.5
        nn.init.trunc_normal_(self.q.weight, std=std)
        nn.init.trunc_normal_(self.kv.weight, std=std)
        self.pos_embed.reset_parameters(std=self.scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        bs, qbs, heads = self.block_size, self.block_size_ds, self.num_heads
        if h % bs or w % bs:
            raise ValueError(f'HaloAttn needs maps whose sides are multiples of block_size={bs}, got {h}x{w}; choose '
                             f'an input size that keeps this stage divisible.')
        nh, nw = h // bs, w // bs
        # queries: (B * heads, blocks, positions in a block, channels)
        q = self.q(x).reshape(b * heads, self.dim_head_qk, nh, qbs, nw, qbs)
        q = q.permute(0, 2, 4, 3, 5, 1).reshape(b * heads, nh * nw, qbs * qbs, self.dim_head_qk)
        # keys / values: the (win x win) window around each block, gathered as a strided view
        kv = F.pad(self.kv(x), [self.halo_size] * 4)
        kv = kv.unfold(2, self.win_size, bs).unfold(3, self.win_size, bs)  # B, C, nh, nw, win, win
        kv = kv.reshape(b * heads, self.dim_head_qk + self.dim_head_v, nh * nw, -1).permute(0, 2, 3, 1)
        k, v = kv.split([self.dim_head_qk, self.dim_head_v], dim=-1)

        bias = self.pos_embed(q.reshape(-1, qbs * qbs, self.dim_head_qk)).reshape(b * heads, nh * nw, qbs * qbs, -1)
        if self.scale_pos_embed:
            bias = bias * self.scale
        out = attend(q, k, v, attn_mask=bias.to(q.dtype), scale=self.scale)
        # back to a map: (B, heads * dim_head_v, H / block_stride, W / block_stride)
        out = out.reshape(b, heads, nh, nw, qbs, qbs, self.dim_head_v).permute(0, 1, 6, 2, 4, 3, 5)
        out = out.reshape(b, self.dim_out_v, nh * qbs, nw * qbs)
        return self.pool(out)
