"""MViTv2: improved multiscale vision transformers.

Papers: "MViTv2: Improved Multiscale Vision Transformers for Classification and Detection", Li et al., CVPR 2022
(arXiv:2112.01526); "Multiscale Vision Transformers", Fan et al., ICCV 2021 (arXiv:2104.11227).

A token transformer whose resolution shrinks and width grows stage by stage through *pooling attention*: the queries,
keys and values are each pooled over the token grid (a strided depthwise conv per head followed by a LayerNorm; keys
and values are pooled harder, so attention stays cheap at high resolution) before attending. The query stride of a
stage's first block sets the stage's output resolution; its residual is max-pooled to match. MViTv2 adds a decomposed
relative position term (the query dotted with learned per-axis offset embeddings, stretched when query and key grids
differ) and a residual connection from the pooled query to the attention output. A stage widens either inside the
attention of its first block (`expand_attn`) or in the MLP of its last block. The `_cls` models prepend a class
token that is never pooled and classify from it.

The relative position tables depend on the input size the model is built for; a checkpoint made at another size is
resampled linearly along the offset axis on load (`checkpoint_filter_fn`), as timm does.
"""
import dataclasses
import re
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath, trunc_normal_
from zoo.layers.attention import attend
from zoo.layers.config import use_fused_attn
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.helpers import to_2tuple
from zoo.layers.mlp import Mlp
from zoo.layers.norm import get_norm_layer
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['MultiScaleVit', 'MultiScaleVitCfg']

SizeT = Tuple[int, int]
IndicesT = Optional[Union[int, Sequence[int]]]


@dataclasses.dataclass
class MultiScaleVitCfg:
    """An MViTv2 architecture.

    `embed_dim` / `num_heads` given as one number double per stage. `stride_kv` defaults to `stride_kv_adaptive`
    divided by the query strides so far (so keys / values reach the same grid in every stage).
    """
    depths: Tuple[int, ...] = (2, 3, 16, 3)
    embed_dim: Union[int, Tuple[int, ...]] = 96
    num_heads: Union[int, Tuple[int, ...]] = 1
    mlp_ratio: float = 4.
    expand_attn: bool = True
    qkv_bias: bool = True
    use_cls_token: bool = False
    use_abs_pos: bool = False
    residual_pooling: bool = True
    mode: str = 'conv'
    kernel_qkv: Tuple[int, int] = (3, 3)
    stride_q: Tuple[Tuple[int, int], ...] = ((1, 1), (2, 2), (2, 2), (2, 2))
    stride_kv: Optional[Tuple[Tuple[int, int], ...]] = None
    stride_kv_adaptive: Optional[Tuple[int, int]] = (4, 4)
    patch_kernel: Tuple[int, int] = (7, 7)
    patch_stride: Tuple[int, int] = (4, 4)
    patch_padding: Tuple[int, int] = (3, 3)
    rel_pos_type: str = 'spatial'
    norm_layer: str = 'layernorm'
    norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        n = len(self.depths)
        if isinstance(self.embed_dim, int):
            self.embed_dim = tuple(self.embed_dim * 2 ** i for i in range(n))
        if isinstance(self.num_heads, int):
            self.num_heads = tuple(self.num_heads * 2 ** i for i in range(n))
        if len(self.embed_dim) != n or len(self.num_heads) != n or len(self.stride_q) != n:
            raise ValueError(f'embed_dim, num_heads and stride_q need one entry per stage ({n}).')
        if self.mode not in ('conv', 'max', 'avg'):
            raise ValueError(f"mode must be 'conv', 'max' or 'avg', got {self.mode!r}.")
        if self.stride_kv is None and self.stride_kv_adaptive is not None:
            kv, strides = tuple(self.stride_kv_adaptive), []
            for sq in self.stride_q:
                if min(sq) > 1:
                    kv = tuple(max(k // s, 1) for k, s in zip(kv, sq))
                strides.append(kv)
            self.stride_kv = tuple(strides)


def _split_cls(x: torch.Tensor, has_cls: bool) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
    return (x[..., :1, :], x[..., 1:, :]) if has_cls else (None, x)


def _join_cls(cls_tok: Optional[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return x if cls_tok is None else torch.cat([cls_tok, x], dim=-2)


def _offset_index(q: int, k: int, device: torch.device) -> torch.Tensor:
    """Table row of each (query, key) pair along one axis: the offset with the coarser grid stretched to the finer."""
    q_ratio, k_ratio = max(k / q, 1.), max(q / k, 1.)
    dist = torch.arange(q, device=device)[:, None] * q_ratio - torch.arange(k, device=device)[None, :] * k_ratio
    return (dist + (k - 1) * k_ratio).long()


def decomposed_rel_pos_bias(q: torch.Tensor, q_size: SizeT, k_size: SizeT, table_h: torch.Tensor,
                            table_w: torch.Tensor, has_cls: bool) -> torch.Tensor:
    """Additive attention bias (B, heads, Nq, Nk): q . R_h[dh] + q . R_w[dw] between grid tokens, 0 for the class
    token's rows and columns."""
    b, heads, nq, d = q.shape
    (qh, qw), (kh, kw) = q_size, k_size
    grid_q = q[:, :, int(has_cls):].reshape(b, heads, qh, qw, d)
    rel_h = torch.einsum('bnhwd,hkd->bnhwk', grid_q, table_h[_offset_index(qh, kh, q.device)])
    rel_w = torch.einsum('bnhwd,wkd->bnhwk', grid_q, table_w[_offset_index(qw, kw, q.device)])
    bias = (rel_h[..., :, None] + rel_w[..., None, :]).reshape(b, heads, qh * qw, kh * kw)
    if has_cls:
        bias = F.pad(bias, (1, 0, 1, 0))
    return bias


class MultiScaleAttention(nn.Module):
    """Pooling attention: q, k, v pooled over the token grid (per-head depthwise conv + norm, or max / avg pooling),
    with a decomposed relative position bias and a residual from the pooled query.

    Args:
        dim: input width.
        dim_out: output width.
        feat_size: input token grid (sizes the relative position tables).
        num_heads: attention heads.
        qkv_bias: bias on the qkv projection.
        mode: 'conv', 'max' or 'avg' pooling.
        kernel_q: query pooling kernel.
        kernel_kv: key / value pooling kernel.
        stride_q: query pooling stride.
        stride_kv: key / value pooling stride.
        has_cls_token: a class token leads the sequence (never pooled).
        rel_pos_type: 'spatial' for the decomposed relative position bias, '' for none.
        residual_pooling: add the pooled query to the attention output.
        norm_layer: norm after conv pooling.
    """

    def __init__(self, dim: int, dim_out: int, feat_size: SizeT, num_heads: int = 8, qkv_bias: bool = True,
                 mode: str = 'conv', kernel_q: SizeT = (1, 1), kernel_kv: SizeT = (1, 1), stride_q: SizeT = (1, 1),
                 stride_kv: SizeT = (1, 1), has_cls_token: bool = True, rel_pos_type: str = 'spatial',
                 residual_pooling: bool = True, norm_layer: type = nn.LayerNorm):
        super().__init__()
        self.num_heads, self.dim_out = num_heads, dim_out
        self.head_dim = dim_out // num_heads
        self.has_cls_token = has_cls_token
        self.residual_pooling = residual_pooling
        self.fused_attn = use_fused_attn()
        self.qkv = nn.Linear(dim, dim_out * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim_out, dim_out)
        self.pool_q, self.norm_q = self._pooling(mode, kernel_q, stride_q, norm_layer)
        self.pool_k, self.norm_k = self._pooling(mode, kernel_kv, stride_kv, norm_layer)
        self.pool_v, self.norm_v = self._pooling(mode, kernel_kv, stride_kv, norm_layer)
        self.rel_pos_type = rel_pos_type
        if rel_pos_type == 'spatial':
            if feat_size[0] != feat_size[1]:
                raise ValueError(f'Spatial relative positions need a square token grid, got {tuple(feat_size)}.')
            span = 2 * max(feat_size[0] // stride_q[1], feat_size[0] // stride_kv[1]) - 1
            self.rel_pos_h = nn.Parameter(torch.zeros(span, self.head_dim))
            self.rel_pos_w = nn.Parameter(torch.zeros(span, self.head_dim))
            trunc_normal_(self.rel_pos_h, std=.02)
            trunc_normal_(self.rel_pos_w, std=.02)

    def _pooling(self, mode: str, kernel: SizeT, stride: SizeT,
                 norm_layer: type) -> Tuple[Optional[nn.Module], Optional[nn.Module]]:
        if kernel[0] * kernel[1] == 1 and stride[0] * stride[1] == 1:
            return None, None
        padding = (kernel[0] // 2, kernel[1] // 2)
        if mode == 'conv':
            d = self.head_dim  # one depthwise kernel set, shared by the heads
            return nn.Conv2d(d, d, kernel, stride, padding, groups=d, bias=False), norm_layer(d)
        pool = nn.MaxPool2d if mode == 'max' else nn.AvgPool2d
        return pool(kernel, stride, padding), None

    def _pool(self, x: torch.Tensor, pool: Optional[nn.Module], norm: Optional[nn.Module],
              feat_size: SizeT) -> Tuple[torch.Tensor, SizeT]:
        """(B, heads, N, d) -> pooled (B, heads, N', d) and the new grid."""
        if pool is not None:
            b, heads, _, d = x.shape
            cls_tok, grid = _split_cls(x, self.has_cls_token)
            grid = pool(grid.reshape(b * heads, feat_size[0], feat_size[1], d).permute(0, 3, 1, 2))
            feat_size = (grid.shape[-2], grid.shape[-1])
            x = _join_cls(cls_tok, grid.flatten(2).transpose(1, 2).reshape(b, heads, -1, d))
        return (norm(x) if norm is not None else x), feat_size

    def forward(self, x: torch.Tensor, feat_size: SizeT) -> Tuple[torch.Tensor, SizeT]:
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        q, q_size = self._pool(q, self.pool_q, self.norm_q, feat_size)
        k, k_size = self._pool(k, self.pool_k, self.norm_k, feat_size)
        v, _ = self._pool(v, self.pool_v, self.norm_v, feat_size)
        bias = None
        if self.rel_pos_type == 'spatial':
            # the bias is computed from the unscaled query; attend scales q . k only
            bias = decomposed_rel_pos_bias(q, q_size, k_size, self.rel_pos_h, self.rel_pos_w, self.has_cls_token)
        out = attend(q, k, v, attn_mask=bias, fused=self.fused_attn)
        if self.residual_pooling:
            out = out + q
        return self.proj(out.transpose(1, 2).reshape(b, -1, self.dim_out)), q_size


class MultiScaleBlock(nn.Module):
    """Pooling-attention and MLP residuals; the first block of a stage pools the residual (max pool) and may widen.

    Args mirror `MultiScaleAttention`, plus: `mlp_ratio`, `drop_path`, `expand_attn` (widen in the attention, else in
    the MLP).
    """

    def __init__(self, dim: int, dim_out: int, num_heads: int, feat_size: SizeT, mlp_ratio: float = 4.,
                 qkv_bias: bool = True, drop_path: float = 0., norm_layer: type = nn.LayerNorm,
                 kernel_q: SizeT = (1, 1), kernel_kv: SizeT = (1, 1), stride_q: SizeT = (1, 1),
                 stride_kv: SizeT = (1, 1), mode: str = 'conv', has_cls_token: bool = True, expand_attn: bool = False,
                 rel_pos_type: str = 'spatial', residual_pooling: bool = True):
        super().__init__()
        widen = dim != dim_out
        self.dim, self.dim_out, self.has_cls_token = dim, dim_out, has_cls_token
        att_dim = dim_out if expand_attn else dim
        self.norm1 = norm_layer(dim)
        self.shortcut_proj_attn = nn.Linear(dim, dim_out) if widen and expand_attn else None
        if stride_q[0] * stride_q[1] > 1:
            kernel = [s + 1 if s > 1 else s for s in stride_q]
            self.shortcut_pool_attn = nn.MaxPool2d(kernel, stride_q, [k // 2 for k in kernel])
        else:
            self.shortcut_pool_attn = None
        self.attn = MultiScaleAttention(
            dim, att_dim, feat_size, num_heads, qkv_bias, mode, kernel_q, kernel_kv, stride_q, stride_kv,
            has_cls_token, rel_pos_type, residual_pooling, norm_layer)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(att_dim)
        self.shortcut_proj_mlp = nn.Linear(dim, dim_out) if widen and not expand_attn else None
        self.mlp = Mlp(att_dim, int(att_dim * mlp_ratio), out_features=dim_out)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def _pool_shortcut(self, x: torch.Tensor, feat_size: SizeT) -> torch.Tensor:
        if self.shortcut_pool_attn is None:
            return x
        cls_tok, grid = _split_cls(x, self.has_cls_token)
        b, _, c = grid.shape
        grid = self.shortcut_pool_attn(grid.transpose(1, 2).reshape(b, c, feat_size[0], feat_size[1]))
        return _join_cls(cls_tok, grid.flatten(2).transpose(1, 2))

    @staticmethod
    def _pre_norm(x: torch.Tensor, norm: nn.Module,
                  proj: Optional[nn.Module]) -> Tuple[torch.Tensor, torch.Tensor]:
        """(normalised input, shortcut) of a residual. As in the reference, the shortcut is the un-normalised input
        unless the width changes here; the projection then reads the normalised input."""
        x_norm = norm(x)
        return x_norm, (x if proj is None else proj(x_norm))

    def forward(self, x: torch.Tensor, feat_size: SizeT) -> Tuple[torch.Tensor, SizeT]:
        x_norm, shortcut = self._pre_norm(x, self.norm1, self.shortcut_proj_attn)
        attn_out, out_size = self.attn(x_norm, feat_size)
        x = self._pool_shortcut(shortcut, feat_size) + self.drop_path1(attn_out)
        x_norm, shortcut = self._pre_norm(x, self.norm2, self.shortcut_proj_mlp)
        return shortcut + self.drop_path2(self.mlp(x_norm)), out_size


class MultiScaleVitStage(nn.Module):
    """A stage's blocks: the first pools the queries by `stride_q`; the width changes in the first (expand_attn) or
    the last block."""

    def __init__(self, dim: int, dim_out: int, depth: int, feat_size: SizeT, stride_q: SizeT,
                 drop_path: Sequence[float], expand_attn: bool, **block_kwargs: Any):
        super().__init__()
        self.grad_checkpointing = False
        out_dims = [dim_out] * depth if expand_attn else [dim] * (depth - 1) + [dim_out]
        self.blocks = nn.ModuleList()
        for i in range(depth):
            self.blocks.append(MultiScaleBlock(
                dim, out_dims[i], feat_size=feat_size, stride_q=stride_q if i == 0 else (1, 1),
                drop_path=drop_path[i], expand_attn=expand_attn, **block_kwargs))
            dim = out_dims[i]
            if i == 0:
                feat_size = (feat_size[0] // stride_q[0], feat_size[1] // stride_q[1])
        self.feat_size = feat_size

    def forward(self, x: torch.Tensor, feat_size: SizeT) -> Tuple[torch.Tensor, SizeT]:
        for block in self.blocks:
            x, feat_size = maybe_checkpoint(block, x, feat_size, enabled=self.grad_checkpointing)
        return x, feat_size


class TokenPoolHead(nn.Module):
    """Average over the grid tokens or take the class token ('token'), then dropout and the classifier."""

    def __init__(self, in_features: int, num_classes: int, pool_type: str, num_prefix_tokens: int,
                 drop_rate: float = 0.):
        super().__init__()
        self.in_features, self.num_prefix_tokens = in_features, num_prefix_tokens
        self.pool_type = self._check(pool_type)
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(in_features, num_classes) if num_classes > 0 else nn.Identity()

    def _check(self, pool_type: str) -> str:
        if pool_type not in ('', 'avg', 'token'):
            raise ValueError(f"global_pool must be 'avg', 'token' or '', got {pool_type!r}.")
        if pool_type == 'token' and not self.num_prefix_tokens:
            raise ValueError("global_pool='token' needs the class token (the _cls models); use 'avg'.")
        return pool_type

    def reset(self, num_classes: int, pool_type: Optional[str] = None) -> None:
        if pool_type is not None:
            self.pool_type = self._check(pool_type)
        device = next((p.device for p in self.parameters()), None)
        self.fc = nn.Linear(self.in_features, num_classes, device=device) if num_classes > 0 else nn.Identity()
        self.fc.train(self.training)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if self.pool_type == 'avg':
            x = x[:, self.num_prefix_tokens:].mean(1)
        elif self.pool_type == 'token':
            x = x[:, 0]
        return x if pre_logits else self.fc(self.drop(x))


class MultiScaleVit(ZooModel):
    """MViTv2.

    Args:
        cfg: the architecture.
        img_size: input size the relative position tables (and the optional absolute embedding) are laid out for.
        in_chans: input image channels.
        global_pool: 'avg', 'token' (class token), '' (tokens); default 'token' with a class token, else 'avg'.
        num_classes: classifier outputs; 0 removes the classifier.
        drop_path_rate: stochastic depth of the last block.
        drop_rate: dropout before the classifier.
    """
    trunk = Trunk(stem=('patch_embed',), levels='stages', final=('norm',), level_fmt='NLC')
    classifier_name = 'head.fc'
    groups = dict(stem=r'^cls_token|pos_embed|patch_embed', blocks=[(r'^stages\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(self, cfg: MultiScaleVitCfg, img_size: Union[int, SizeT] = 224, in_chans: int = 3,
                 global_pool: Optional[str] = None, num_classes: int = 1000, drop_path_rate: float = 0.,
                 drop_rate: float = 0.):
        super().__init__()
        img_size = to_2tuple(img_size)
        norm_eps = cfg.norm_eps
        base_norm = get_norm_layer(cfg.norm_layer)

        def norm_layer(dim: int) -> nn.Module:
            return base_norm(dim, eps=norm_eps)

        self.num_classes = num_classes
        self.in_chans = in_chans
        self.depths, self.expand_attn = tuple(cfg.depths), cfg.expand_attn
        dim = cfg.embed_dim[0]
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(in_chans, dim, cfg.patch_kernel, cfg.patch_stride, cfg.patch_padding)
        feat_size = (img_size[0] // cfg.patch_stride[0], img_size[1] // cfg.patch_stride[1])
        self.num_prefix_tokens = int(cfg.use_cls_token)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim)) if cfg.use_cls_token else None
        self.pos_embed = nn.Parameter(torch.zeros(1, feat_size[0] * feat_size[1] + self.num_prefix_tokens, dim)) \
            if cfg.use_abs_pos else None
        rates = stagewise_drop_path_rates(drop_path_rate, cfg.depths)
        stride = max(cfg.patch_stride)
        self.stages = nn.ModuleList()
        self.feature_info = []
        for i, depth in enumerate(cfg.depths):
            dim_out = cfg.embed_dim[i] if cfg.expand_attn else cfg.embed_dim[min(i + 1, len(cfg.depths) - 1)]
            stage = MultiScaleVitStage(
                dim, dim_out, depth, feat_size, cfg.stride_q[i], rates[i], cfg.expand_attn,
                num_heads=cfg.num_heads[i], mlp_ratio=cfg.mlp_ratio, qkv_bias=cfg.qkv_bias, mode=cfg.mode,
                kernel_q=cfg.kernel_qkv, kernel_kv=cfg.kernel_qkv, stride_kv=cfg.stride_kv[i],
                has_cls_token=cfg.use_cls_token, rel_pos_type=cfg.rel_pos_type,
                residual_pooling=cfg.residual_pooling, norm_layer=norm_layer)
            stride *= max(cfg.stride_q[i])
            # 'block.{i}' is timm 1.0.31's name for these levels (the modules are `stages.{i}`), kept so features_only
            # wrappers and their feature_info match timm's; hook / fx extraction therefore cannot find them
            self.feature_info.append(dict(module=f'block.{i}', num_chs=dim_out, reduction=stride))
            dim, feat_size = dim_out, stage.feat_size
            self.stages.append(stage)
        self.num_features = self.head_hidden_size = dim
        self.norm = norm_layer(dim)
        if global_pool is None:
            global_pool = 'token' if cfg.use_cls_token else 'avg'
        self.head = TokenPoolHead(dim, num_classes, global_pool, self.num_prefix_tokens, drop_rate)
        for p in (self.pos_embed, self.cls_token):
            if p is not None:
                trunc_normal_(p, std=.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    @property
    def global_pool(self) -> str:
        return self.head.pool_type

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {n for n, _ in self.named_parameters() if any(k in n for k in ('pos_embed', 'rel_pos_h', 'rel_pos_w',
                                                                                'cls_token'))}

    def _replace_head(self, in_features: int) -> None:
        self.head = TokenPoolHead(in_features, 0, '', self.num_prefix_tokens)

    def _embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, SizeT]:
        x = self.patch_embed.proj(x)
        feat_size = (x.shape[-2], x.shape[-1])
        x = x.flatten(2).transpose(1, 2)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        return x, feat_size

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x, feat_size = self._embed(x)
        for stage in self.stages:
            x, feat_size = stage(x, feat_size)
        return self.norm(x)

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """Stage outputs in `indices` as maps ('NCHW', class token dropped) or tokens ('NLC'); `norm` applies the final
        norm to the last stage."""
        if output_fmt not in ('NCHW', 'NLC'):
            raise ValueError(f"MViTv2 intermediates are 'NCHW' or 'NLC', not {output_fmt!r}.")
        take, max_index = feature_take_indices(len(self.stages), indices)
        last = len(self.stages) - 1
        stop = max_index if (stop_early or intermediates_only) else last
        x, feat_size = self._embed(x)
        intermediates = []
        for i in range(stop + 1):
            x, feat_size = self.stages[i](x, feat_size)
            if i in take:
                feat = self.norm(x) if norm and i == last else x
                if output_fmt == 'NCHW':
                    feat = feat[:, self.num_prefix_tokens:]
                    feat = feat.reshape(x.shape[0], feat_size[0], feat_size[1], -1).permute(0, 3, 1, 2)
                intermediates.append(feat)
        if intermediates_only:
            return intermediates
        return (self.norm(x) if stop == last else x), intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: IndicesT = 1, prune_norm: bool = False,
                                  prune_head: bool = True) -> List[int]:
        """As the shared pruning, except that any truncation also removes the final norm (sized for and applied to the
        last stage only) and the head, even when the last kept stage has the final width (mvitv2_large)."""
        truncated = feature_take_indices(len(self.stages), indices)[1] < len(self.stages) - 1
        return super().prune_intermediate_layers(indices, prune_norm=prune_norm or truncated,
                                                 prune_head=prune_head or truncated)


def _resize_rel_pos(table: torch.Tensor, length: int) -> torch.Tensor:
    """Linear resampling of a (offsets, d) relative position table to `length` offsets."""
    if table.shape[0] == length:
        return table
    return F.interpolate(table.t()[None].float(), size=length, mode='linear')[0].t().to(table.dtype)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: MultiScaleVit) -> Dict[str, torch.Tensor]:
    """Resample relative position tables made for another input size; convert the official (facebookresearch/mvit)
    layout, whose blocks are numbered across stages and whose widening projection is `proj`."""
    own = model.state_dict()
    if 'stages.0.blocks.0.norm1.weight' in state_dict:
        return {k: _resize_rel_pos(v, own[k].shape[0]) if 'rel_pos' in k and k in own else v
                for k, v in state_dict.items()}
    state_dict = state_dict.get('model_state', state_dict)
    where, start = {}, 0
    for stage, depth in enumerate(model.depths):
        where.update({start + j: (stage, j) for j in range(depth)})
        start += depth
    shortcut = 'shortcut_proj_attn' if model.expand_attn else 'shortcut_proj_mlp'
    out = {}
    for key, value in state_dict.items():
        key = re.sub(r'blocks\.(\d+)', lambda m: 'stages.{}.blocks.{}'.format(*where[int(m.group(1))]), key)
        key = re.sub(r'(stages\.\d+\.blocks\.\d+)\.proj', rf'\1.{shortcut}', key)
        out[key.replace('head.projection', 'head.fc')] = value
    return out


_ARCH_CFGS = dict(
    mvitv2_tiny=MultiScaleVitCfg(depths=(1, 2, 5, 2)),
    mvitv2_small=MultiScaleVitCfg(depths=(1, 2, 11, 2)),
    mvitv2_base=MultiScaleVitCfg(depths=(2, 3, 16, 3)),
    mvitv2_large=MultiScaleVitCfg(depths=(2, 6, 36, 4), embed_dim=144, num_heads=2, expand_attn=False),
    mvitv2_small_cls=MultiScaleVitCfg(depths=(1, 2, 11, 2), use_cls_token=True),
    mvitv2_base_cls=MultiScaleVitCfg(depths=(2, 3, 16, 3), use_cls_token=True),
    mvitv2_large_cls=MultiScaleVitCfg(depths=(2, 6, 36, 4), embed_dim=144, num_heads=2, use_cls_token=True),
    mvitv2_huge_cls=MultiScaleVitCfg(depths=(4, 8, 60, 8), embed_dim=192, num_heads=3, use_cls_token=True),
)


def _create_mvitv2(variant: str, pretrained: bool = False, **kwargs: Any) -> MultiScaleVit:
    return build_model_with_cfg(MultiScaleVit, variant, pretrained, model_cfg=_ARCH_CFGS[variant],
                                pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=4, feature_cls='getter'), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(num_classes=1000, input_size=(3, 224, 224), pool_size=None, crop_pct=.9, interpolation='bicubic',
               mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), first_conv='patch_embed.proj',
               classifier='head.fc', fixed_input_size=True, license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_URL = 'https://dl.fbaipublicfiles.com/mvit/mvitv2_models/MViTv2_{}.pyth'

default_cfgs = generate_default_cfgs({
    'mvitv2_tiny.fb_in1k': _cfg(url=_URL.format('T_in1k'), hf_hub_id='timm/'),
    'mvitv2_small.fb_in1k': _cfg(url=_URL.format('S_in1k'), hf_hub_id='timm/'),
    'mvitv2_base.fb_in1k': _cfg(url=_URL.format('B_in1k'), hf_hub_id='timm/'),
    'mvitv2_large.fb_in1k': _cfg(url=_URL.format('L_in1k'), hf_hub_id='timm/'),
    'mvitv2_small_cls': _cfg(url=''),
    'mvitv2_base_cls.fb_inw21k': _cfg(url=_URL.format('B_in21k'), hf_hub_id='timm/', num_classes=19168),
    'mvitv2_large_cls.fb_inw21k': _cfg(url=_URL.format('L_in21k'), hf_hub_id='timm/', num_classes=19168),
    'mvitv2_huge_cls.fb_inw21k': _cfg(url=_URL.format('H_in21k'), hf_hub_id='timm/', num_classes=19168),
})


@register_model
def mvitv2_tiny(pretrained: bool = False, **kwargs) -> MultiScaleVit:
    return _create_mvitv2('mvitv2_tiny', pretrained, **kwargs)


@register_model
def mvitv2_small(pretrained: bool = False, **kwargs) -> MultiScaleVit:
    return _create_mvitv2('mvitv2_small', pretrained, **kwargs)


@register_model
def mvitv2_base(pretrained: bool = False, **kwargs) -> MultiScaleVit:
    return _create_mvitv2('mvitv2_base', pretrained, **kwargs)


@register_model
def mvitv2_large(pretrained: bool = False, **kwargs) -> MultiScaleVit:
    return _create_mvitv2('mvitv2_large', pretrained, **kwargs)


@register_model
def mvitv2_small_cls(pretrained: bool = False, **kwargs) -> MultiScaleVit:
    return _create_mvitv2('mvitv2_small_cls', pretrained, **kwargs)


@register_model
def mvitv2_base_cls(pretrained: bool = False, **kwargs) -> MultiScaleVit:
    return _create_mvitv2('mvitv2_base_cls', pretrained, **kwargs)


@register_model
def mvitv2_large_cls(pretrained: bool = False, **kwargs) -> MultiScaleVit:
    return _create_mvitv2('mvitv2_large_cls', pretrained, **kwargs)


@register_model
def mvitv2_huge_cls(pretrained: bool = False, **kwargs) -> MultiScaleVit:
    return _create_mvitv2('mvitv2_huge_cls', pretrained, **kwargs)
