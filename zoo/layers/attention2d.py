"""Self-attention on NCHW feature maps with 1x1-conv projections (no token reshaping by the caller).

- `MultiQueryAttention2d`: multi-query attention (Shazeer, "Fast Transformer Decoding: One Write-Head is All You
  Need", 2019, arXiv:1911.02150) as used by MobileNetV4 (Qin et al., 2024, arXiv:2404.10518): every head has its own
  query, all heads share one key and one value projection, and keys / values may be computed on a spatially
  downsampled map (a strided depthwise conv + norm) to cut the cost at high resolution.
- `Attention2d`: plain multi-head self-attention with a packed qkv 1x1 conv.

Both run PyTorch's fused `scaled_dot_product_attention`.
"""
from typing import Callable, Optional, Union

import torch
import torch.nn as nn

from zoo.layers.attention import attend
from zoo.layers.create_conv2d import create_conv2d

__all__ = ['MultiQueryAttention2d', 'Attention2d']


class MultiQueryAttention2d(nn.Module):
    """Multi-query attention over the pixels of an NCHW map.

    Sub-modules (`query`, `key`, `value`, `output`) are Sequentials whose children are named `down_conv` / `norm`
    (key and value downsampling) and `proj` (the 1x1 projections), the layout of the published MobileNetV4 weights.

    Args:
        dim: input channels.
        dim_out: output channels (defaults to `dim`).
        num_heads: query heads.
        key_dim: width of each query head and of the shared key.
        value_dim: width of the shared value (and of each head's output).
        kv_stride: spatial stride of the key / value downsampling (1 = none).
        dw_kernel_size: kernel of the depthwise downsampling conv.
        dilation: dilation of that conv.
        padding: padding spec of that conv ('' symmetric, 'same' TF-style).
        attn_drop: dropout on the attention probabilities (training only).
        proj_drop: dropout after the output projection.
        norm_layer: norm after the downsampling conv, called as `norm_layer(dim)`.
        use_bias: bias on the 1x1 projections.
    """

    def __init__(
            self,
            dim: int,
            dim_out: Optional[int] = None,
            num_heads: int = 8,
            key_dim: Optional[int] = None,
            value_dim: Optional[int] = None,
            kv_stride: int = 1,
            dw_kernel_size: int = 3,
            dilation: int = 1,
            padding: Union[str, int] = '',
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
            use_bias: bool = False,
    ):
        super().__init__()
        dim_out = dim_out or dim
        self.num_heads = num_heads
        self.key_dim = key_dim or dim // num_heads
        self.value_dim = value_dim or dim // num_heads
        self.kv_stride = kv_stride
        self.attn_drop = attn_drop

        self.query = nn.Sequential()
        self.query.add_module('proj', nn.Conv2d(dim, num_heads * self.key_dim, 1, bias=use_bias))
        self.key = self._kv_branch(dim, self.key_dim, dw_kernel_size, dilation, padding, norm_layer, use_bias)
        self.value = self._kv_branch(dim, self.value_dim, dw_kernel_size, dilation, padding, norm_layer, use_bias)
        self.output = nn.Sequential()
        self.output.add_module('proj', nn.Conv2d(num_heads * self.value_dim, dim_out, 1, bias=use_bias))
        self.output.add_module('drop', nn.Dropout(proj_drop))
        for m in (self.query.proj, self.key.proj, self.value.proj, self.output.proj):
            nn.init.xavier_uniform_(m.weight)

    def _kv_branch(self, dim: int, out_dim: int, kernel_size: int, dilation: int, padding: Union[str, int],
                   norm_layer: Callable[[int], nn.Module], bias: bool) -> nn.Sequential:
        branch = nn.Sequential()
        if self.kv_stride > 1:
            down = create_conv2d(dim, dim, kernel_size, stride=self.kv_stride, dilation=dilation, padding=padding,
                                 depthwise=True)
            nn.init.xavier_uniform_(down.weight)
            branch.add_module('down_conv', down)
            branch.add_module('norm', norm_layer(dim))
        branch.add_module('proj', nn.Conv2d(dim, out_dim, 1, bias=bias))
        return branch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        heads = self.num_heads
        # every head attends to the same keys, so the heads can be stacked as extra query rows of a single head:
        # (B, heads * key_dim, H, W) -> (B, 1, heads * H * W, key_dim)
        q = self.query(x).reshape(b, heads, self.key_dim, h * w).transpose(2, 3).reshape(b, 1, heads * h * w, -1)
        k = self.key(x).flatten(2).transpose(1, 2).unsqueeze(1)
        v = self.value(x).flatten(2).transpose(1, 2).unsqueeze(1)
        o = attend(q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        # (B, 1, heads * H * W, value_dim) -> (B, heads * value_dim, H, W), head-major channels
        o = o.reshape(b, heads, h * w, self.value_dim).transpose(2, 3).reshape(b, heads * self.value_dim, h, w)
        return self.output(o)


class Attention2d(nn.Module):
    """Multi-head self-attention over the pixels of an NCHW map (keys `qkv`, `proj`).

    Args:
        dim: input channels.
        dim_out: output channels (defaults to `dim`).
        num_heads: attention heads.
        bias: bias on the qkv and output 1x1 convs.
        expand_first: attend at width `dim_out` rather than `dim`.
        attn_drop: dropout on the attention probabilities (training only).
        proj_drop: dropout after the output projection.
    """

    def __init__(self, dim: int, dim_out: Optional[int] = None, num_heads: int = 32, bias: bool = True,
                 expand_first: bool = False, attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        dim_out = dim_out or dim
        dim_attn = dim_out if expand_first else dim
        if dim_attn % num_heads:
            raise ValueError(f'Attention width {dim_attn} must be divisible by num_heads ({num_heads}).')
        self.num_heads = num_heads
        self.head_dim = dim_attn // num_heads
        self.attn_drop = attn_drop
        self.qkv = nn.Conv2d(dim, dim_attn * 3, 1, bias=bias)
        self.proj = nn.Conv2d(dim_attn, dim_out, 1, bias=bias)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        # qkv channels are (q | k | v), each head-major: (B, 3, heads, head_dim, H*W) -> 3 x (B, heads, H*W, head_dim)
        q, k, v = self.qkv(x).reshape(b, 3, self.num_heads, self.head_dim, h * w).transpose(3, 4).unbind(1)
        o = attend(q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        return self.proj_drop(self.proj(o.transpose(2, 3).reshape(b, -1, h, w)))
