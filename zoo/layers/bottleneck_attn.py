"""Bottleneck Transformer self-attention: global multi-head attention over a whole (small) feature map.

Paper: "Bottleneck Transformers for Visual Recognition", Srinivas et al., 2021 (arXiv:2101.11605), figure 4: the
3x3 conv of a ResNet bottleneck is replaced by all-to-all attention with factorised relative position logits. The
logits are tied to the map size, so the layer is built for one input resolution (`feat_size`). A stride of 2 is
applied by 2x2 average pooling after the attention, as in the paper's c5 blocks.

Q and K have `dim_head` channels per head (by default `dim_out * qk_ratio / num_heads`), V has
`dim_out / num_heads`, and the 1x1 projection emits all of Q, then all of K, then all of V, head-major within each.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.attn_head_dims import attn_head_dims
from zoo.layers.helpers import to_2tuple
from zoo.layers.pos_embed_rel_axial import AxialRelPosEmbed

__all__ = ['BottleneckAttn']


class BottleneckAttn(nn.Module):
    """Multi-head self-attention over all positions of an NCHW map, with relative position logits.

    Args:
        dim: input channels.
        dim_out: output channels (defaults to `dim`); must divide into `num_heads`.
        feat_size: (H, W) of the input maps; required, the position tables are sized by it.
        stride: 1, or 2 to average-pool the output.
        num_heads: attention heads.
        dim_head: query / key channels per head (derived from `qk_ratio` when None).
        qk_ratio: query / key width relative to `dim_out` when `dim_head` is None.
        qkv_bias: bias in the QKV projection.
        scale_pos_embed: scale the position logits together with q . k (instead of adding them unscaled).
    """

    def __init__(
            self,
            dim: int,
            dim_out: Optional[int] = None,
            feat_size: Optional[Tuple[int, int]] = None,
            stride: int = 1,
            num_heads: int = 4,
            dim_head: Optional[int] = None,
            qk_ratio: float = 1.0,
            qkv_bias: bool = False,
            scale_pos_embed: bool = False,
    ):
        super().__init__()
        if feat_size is None:
            raise ValueError('BottleneckAttn needs feat_size (its position tables depend on the map size); build the '
                             'model with img_size=... .')
        dim_out = dim_out or dim
        self.dim_head_qk, self.dim_head_v = attn_head_dims(
            'BottleneckAttn', dim_out, num_heads, stride, dim_head, qk_ratio)
        self.feat_size = to_2tuple(feat_size)
        self.num_heads = num_heads
        self.dim_out_qk = num_heads * self.dim_head_qk
        self.dim_out_v = num_heads * self.dim_head_v
        self.scale = self.dim_head_qk ** -0.5
        self.scale_pos_embed = scale_pos_embed

        self.qkv = nn.Conv2d(dim, self.dim_out_qk * 2 + self.dim_out_v, 1, bias=qkv_bias)
        self.pos_embed = AxialRelPosEmbed(self.feat_size, self.feat_size, self.dim_head_qk, std=self.scale)
        self.pool = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.trunc_normal_(self.qkv.weight, std=self.qkv.weight.shape[1] ** -0.5)
        self.pos_embed.reset_parameters(std=self.scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        if (h, w) != self.feat_size:
            raise ValueError(f'BottleneckAttn was built for {self.feat_size[0]}x{self.feat_size[1]} maps, got {h}x{w}; '
                             f'create the model with the img_size of your input.')
        q, k, v = self.qkv(x).split([self.dim_out_qk, self.dim_out_qk, self.dim_out_v], dim=1)
        # (B * heads, HW, channels per head)
        q = q.reshape(b * self.num_heads, self.dim_head_qk, h * w).transpose(1, 2)
        k = k.reshape(b * self.num_heads, self.dim_head_qk, h * w).transpose(1, 2)
        v = v.reshape(b * self.num_heads, self.dim_head_v, h * w).transpose(1, 2)
        bias = self.pos_embed(q)
        if self.scale_pos_embed:
            bias = bias * self.scale
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), scale=self.scale)
        out = out.transpose(1, 2).reshape(b, self.dim_out_v, h, w)
        return self.pool(out)
