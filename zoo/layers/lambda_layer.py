"""Lambda layer: attention-free long-range interactions through linear functions ("lambdas") of the context.

Paper: "LambdaNetworks: Modeling Long-Range Interactions Without Attention", Bello, 2021 (arXiv:2102.08602),
section 4 and figure 3. Keys are softmax-normalised over positions and summarised with the values into one content
lambda (K x V) shared by all queries; position lambdas (one K x V matrix per query) come either from a local "lambda
convolution" of radius r over the values or from learned relative position embeddings over the whole map (which
fixes the map size). Each head's query multiplies the sum of both lambdas. The intra-depth |u| is 1.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.attn_head_dims import attn_head_dims
from zoo.layers.helpers import to_2tuple
from zoo.layers.pos_embed_rel import relative_position_index

__all__ = ['LambdaLayer']


class LambdaLayer(nn.Module):
    """Multi-query lambda layer on NCHW maps.

    Args:
        dim: input channels.
        dim_out: output channels (defaults to `dim`); must divide into `num_heads`.
        feat_size: (H, W) of the input maps; required when `r` is None (relative position embeddings).
        stride: 1, or 2 to average-pool the output.
        num_heads: number of queries per position (heads).
        dim_head: query / key channels K (derived from `qk_ratio` when None or 0).
        r: radius (kernel size) of the lambda convolution; None uses relative position embeddings instead.
        qk_ratio: query / key width relative to `dim_out` when `dim_head` is unset.
        qkv_bias: bias in the QKV projection.
    """

    def __init__(
            self,
            dim: int,
            dim_out: Optional[int] = None,
            feat_size: Optional[Tuple[int, int]] = None,
            stride: int = 1,
            num_heads: int = 4,
            dim_head: Optional[int] = 16,
            r: Optional[int] = 9,
            qk_ratio: float = 1.0,
            qkv_bias: bool = False,
    ):
        super().__init__()
        self.num_heads = num_heads
        self.dim_qk, self.dim_v = attn_head_dims('LambdaLayer', dim_out or dim, num_heads, stride, dim_head, qk_ratio)

        self.qkv = nn.Conv2d(dim, num_heads * self.dim_qk + self.dim_qk + self.dim_v, 1, bias=qkv_bias)
        self.norm_q = nn.BatchNorm2d(num_heads * self.dim_qk)
        self.norm_v = nn.BatchNorm2d(self.dim_v)
        if r is not None:
            # a 3-D kernel of depth 1 over (H, W, V), i.e. the same 2-D conv for every value channel
            self.conv_lambda = nn.Conv3d(1, self.dim_qk, (r, r, 1), padding=(r // 2, r // 2, 0))
            self.pos_emb = None
            self.feat_size = None
        else:
            if feat_size is None:
                raise ValueError('LambdaLayer with relative position embeddings (r=None) needs feat_size; build the '
                                 'model with img_size=... .')
            self.feat_size = to_2tuple(feat_size)
            self.conv_lambda = None
            self.pos_emb = nn.Parameter(torch.zeros(2 * self.feat_size[0] - 1, 2 * self.feat_size[1] - 1, self.dim_qk))
        self.pool = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # each tensor at the scale of its fan-in; the learned position embedding small
        conv_lambda = getattr(self.conv_lambda, 'weight', None)
        for tensor, std in ((self.qkv.weight, self.qkv.in_channels ** -0.5), (conv_lambda, self.dim_qk ** -0.5),
                            (self.pos_emb, .02)):
            if tensor is not None:
                nn.init.trunc_normal_(tensor, std=std)

    def _position_lambdas(self, v: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """(B, V, HW) values -> (B, V, K, HW): one K x V lambda per position."""
        b, dv, m = v.shape
        if self.conv_lambda is not None:
            # run the depth-1 3-D conv as a 2-D conv over every value channel (batched as B * V images)
            weight = self.conv_lambda.weight.squeeze(-1)
            lam = F.conv2d(v.reshape(b * dv, 1, h, w), weight, self.conv_lambda.bias, padding=weight.shape[-1] // 2)
            return lam.reshape(b, dv, self.dim_qk, m)
        if (h, w) != self.feat_size:
            raise ValueError(f'LambdaLayer was built for {self.feat_size[0]}x{self.feat_size[1]} maps, got {h}x{w}; '
                             f'create the model with the img_size of your input.')
        # embedding of (key position - query position) for every (query, key) pair
        index = relative_position_index(h, w, device=v.device).t()
        emb = self.pos_emb.reshape(-1, self.dim_qk)[index]  # HW (queries), HW (keys), K
        return torch.einsum('mnk,bvn->bvkm', emb, v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        m = h * w
        q, k, v = self.qkv(x).split([self.num_heads * self.dim_qk, self.dim_qk, self.dim_v], dim=1)
        q = self.norm_q(q).reshape(b, self.num_heads, self.dim_qk, m)
        v = self.norm_v(v).reshape(b, self.dim_v, m)
        k = k.reshape(b, self.dim_qk, m).softmax(dim=-1)
        content_lambda = torch.einsum('bkm,bvm->bkv', k, v)
        out = torch.einsum('bhkm,bkv->bhvm', q, content_lambda)
        out = out + torch.einsum('bhkm,bvkm->bhvm', q, self._position_lambdas(v, h, w))
        return self.pool(out.reshape(b, self.num_heads * self.dim_v, h, w))
