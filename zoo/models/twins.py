"""Twins: spatial-attention vision transformers (Twins-PCPVT and Twins-SVT).

Paper: "Twins: Revisiting the Design of Spatial Attention in Vision Transformers", Chu et al., NeurIPS 2021
(arXiv:2104.13840).

A four-stage pyramid (strides 4-32) of patch embeddings and transformer blocks, with a conditional position
encoding (a depthwise conv, `zoo.layers.conv_pos_enc`) after the first block of each stage instead of position
embeddings. Twins-PCPVT uses PVT's spatial-reduction attention in every block; Twins-SVT alternates locally-grouped
self-attention (LSA: full attention inside non-overlapping ws x ws windows) with global sub-sampled attention (GSA:
spatial-reduction attention, `zoo.layers.sr_attention`), section 3.2.
"""
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerNorm, LayerType, get_norm_layer, stagewise_drop_path_rates, to_2tuple
from zoo.layers.conv_pos_enc import ConvPosEnc
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.sr_attention import SpatialReductionAttention
from zoo.layers.weight_init import init_trunc_normal_fan_out_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._steps import LevelStepsMixin
from zoo.models.vision_transformer import pool_tokens

__all__ = ['Twins', 'Block', 'LocallyGroupedAttn']

Size = Tuple[int, int]


class LocallyGroupedAttn(nn.Module):
    """Self-attention inside non-overlapping ws x ws windows of the token grid (the grid is zero-padded to whole
    windows; padded tokens take part in the attention, as in the published models)."""

    def __init__(self, dim: int, num_heads: int = 8, attn_drop: float = 0., proj_drop: float = 0., ws: int = 7):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
        self.num_heads = num_heads
        self.ws = ws
        self.qkv = nn.Linear(dim, dim * 3)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        b, n, c = x.shape
        h, w = size
        ws = self.ws
        grid = F.pad(x.view(b, h, w, c), (0, 0, 0, -w % ws, 0, -h % ws))
        gh, gw = grid.shape[1] // ws, grid.shape[2] // ws
        windows = grid.view(b, gh, ws, gw, ws, c).transpose(2, 3).reshape(b, gh * gw, ws * ws, c)
        q, k, v = self.qkv(windows).view(b, gh * gw, ws * ws, 3, self.num_heads, -1).permute(3, 0, 1, 4, 2, 5)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        out = out.transpose(2, 3).reshape(b, gh, gw, ws, ws, c).transpose(2, 3).reshape(b, gh * ws, gw * ws, c)
        out = out[:, :h, :w].reshape(b, n, c)
        return self.proj_drop(self.proj(out))


class Block(nn.Module):
    """Pre-norm block with LSA (`ws` > 1) or GSA (`ws` == 1, spatial reduction `sr_ratio`) attention."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4., proj_drop: float = 0., attn_drop: float = 0.,
                 drop_path: float = 0., act_layer: LayerType = nn.GELU, norm_layer: LayerType = LayerNorm,
                 sr_ratio: int = 1, ws: int = 1):
        super().__init__()
        self.norm1 = norm_layer(dim)
        if ws == 1:
            self.attn = SpatialReductionAttention(dim, num_heads, sr_ratio=sr_ratio, attn_drop=attn_drop,
                                                  proj_drop=proj_drop)
        else:
            self.attn = LocallyGroupedAttn(dim, num_heads, attn_drop=attn_drop, proj_drop=proj_drop, ws=ws)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), size))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class Twins(LevelStepsMixin, ZooModel):
    """Twins trunk + average-pool linear head.

    Args:
        img_size: input size (must be a multiple of the total stride of the patch embeddings).
        patch_size: stride of the first patch embedding (later stages halve the grid).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg' or '' (no pooling).
        embed_dims: width per stage.
        num_heads: heads per stage.
        mlp_ratios: MLP ratio per stage.
        depths: blocks per stage.
        sr_ratios: GSA key / value grid reduction per stage.
        wss: LSA window per stage for the even blocks (None: every block uses GSA, i.e. PCPVT).
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after each patch embedding.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last block (linear over all blocks).
        norm_layer: block norm (name or class); LayerNorm with eps 1e-6 by default.
    """
    trunk = Trunk(levels='blocks', level_fmt='NLC')
    classifier_name = 'head'
    groups = dict(
        stem=r'^patch_embeds.0',
        blocks=[(r'^blocks\.(\d+)\.(\d+)', None), (r'^(?:patch_embeds|pos_block)\.(\d+)', (0,)), (r'^norm', (99999,))],
        coarse=[(r'^(?:blocks|patch_embeds|pos_block)\.(\d+)', None), ('^norm', (99999,))],
    )

    def __init__(
            self,
            img_size: Union[int, Size] = 224,
            patch_size: int = 4,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dims: Sequence[int] = (64, 128, 256, 512),
            num_heads: Sequence[int] = (1, 2, 4, 8),
            mlp_ratios: Sequence[float] = (4, 4, 4, 4),
            depths: Sequence[int] = (3, 4, 6, 3),
            sr_ratios: Sequence[int] = (8, 4, 2, 1),
            wss: Optional[Sequence[int]] = None,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Optional[LayerType] = None,
    ):
        super().__init__()
        if global_pool not in ('', 'avg'):
            raise ValueError(f"global_pool must be 'avg' or '', got {global_pool!r}.")
        total_stride = patch_size * 2 ** (len(depths) - 1)
        if any(s % total_stride for s in to_2tuple(img_size)):
            raise ValueError(f'img_size {img_size} must be a multiple of the total patch stride {total_stride}.')
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.depths = tuple(depths)
        self.embed_dims = tuple(embed_dims)
        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.grad_checkpointing = False

        self.patch_embeds = nn.ModuleList()
        self.pos_drops = nn.ModuleList()
        prev_chs = in_chans
        for i, dim in enumerate(embed_dims):
            self.patch_embeds.append(PatchEmbed(None, patch_size if i == 0 else 2, prev_chs, dim,
                                                norm_layer=nn.LayerNorm))
            self.pos_drops.append(nn.Dropout(pos_drop_rate))
            prev_chs = dim
        rates = stagewise_drop_path_rates(drop_path_rate, depths)
        self.blocks = nn.ModuleList([
            nn.ModuleList([
                Block(embed_dims[k], num_heads[k], mlp_ratio=mlp_ratios[k], proj_drop=proj_drop_rate,
                      attn_drop=attn_drop_rate, drop_path=rates[k][i], norm_layer=norm_layer, sr_ratio=sr_ratios[k],
                      # SVT alternates local windows (even blocks) and global sub-sampling (odd blocks)
                      ws=1 if wss is None or i % 2 == 1 else wss[k])
                for i in range(depths[k])])
            for k in range(len(depths))])
        self.feature_info = [dict(module=f'blocks.{k}', num_chs=embed_dims[k], reduction=patch_size * 2 ** k)
                             for k in range(len(depths))]
        self.pos_block = nn.ModuleList([ConvPosEnc(dim, 3, sequential_proj=True) for dim in embed_dims])
        self.norm = norm_layer(self.num_features)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.apply(init_trunc_normal_fan_out_)

    @torch.jit.ignore
    def no_weight_decay(self) -> set:
        return {f'pos_block.{n}' for n, _ in self.pos_block.named_parameters()}

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            if global_pool not in ('', 'avg'):
                raise ValueError(f"global_pool must be 'avg' or '', got {global_pool!r}.")
            self.global_pool = global_pool
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    # ---- levels: a stage is patch_embeds[i], pos_drops[i], blocks[i] and pos_block[i] --------------------------

    def _num_levels(self) -> int:
        return len(self.blocks)

    def _start(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[Size]]:
        return x, None

    def _step(self, index: int, state: Tuple[torch.Tensor, Optional[Size]]) -> Tuple[torch.Tensor, Size]:
        x, size = state
        if size is not None:
            x = x.transpose(1, 2).reshape(x.shape[0], -1, size[0], size[1])
        embed = self.patch_embeds[index]
        size = embed.dynamic_feat_size(x.shape[-2:])
        x = self.pos_drops[index](embed(x))
        for j, blk in enumerate(self.blocks[index]):
            x = maybe_checkpoint(blk, x, size, enabled=self.grad_checkpointing)
            if j == 0:
                # the position encoding follows the first block of the stage (paper, section 3.1)
                x = self.pos_block[index](x, size)
        return x, size

    def _level_output(self, index: int, state: Tuple[torch.Tensor, Size], norm: bool, output_fmt: str,
                      input_hw: Size) -> torch.Tensor:
        x, size = state
        if norm and index == self._num_levels() - 1:
            x = self.norm(x)  # sized for the last stage only
        if output_fmt == 'NLC':
            return x
        x = x.reshape(x.shape[0], size[0], size[1], -1)
        return x.permute(0, 3, 1, 2).contiguous() if output_fmt == 'NCHW' else x

    def _finish(self, state: Tuple[torch.Tensor, Size]) -> torch.Tensor:
        return self.norm(state[0])

    def _truncate(self, num_levels: int) -> None:
        for name in ('patch_embeds', 'pos_drops', 'blocks', 'pos_block'):
            setattr(self, name, getattr(self, name)[:num_levels])

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        if prune_norm or truncated:
            self.norm = nn.Identity()
        if prune_head or truncated:
            self._reset_head(0, '')

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised tokens of the last stage, (B, N, C)."""
        return self._finish(self._run_steps(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        # no class token: 'avg' averages every token, '' keeps the token map
        pooled = self.head_drop(pool_tokens(x, self.global_pool, num_prefix_tokens=0))
        return pooled if pre_logits else self.head(pooled)


def _create_twins(variant: str, pretrained: bool = False, **kwargs) -> Twins:
    return build_model_with_cfg(Twins, variant, pretrained,
                                feature_cfg=dict(out_indices=4, feature_cls='getter'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), crop_pct=.9, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='patch_embeds.0.proj', classifier='head', license='apache-2.0', paper_ids='arXiv:2104.13840')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'twins_pcpvt_small.in1k': _cfg(),
    'twins_pcpvt_base.in1k': _cfg(),
    'twins_pcpvt_large.in1k': _cfg(),
    'twins_svt_small.in1k': _cfg(),
    'twins_svt_base.in1k': _cfg(),
    'twins_svt_large.in1k': _cfg(),
})

_PCPVT = dict(patch_size=4, embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8), mlp_ratios=(8, 8, 4, 4),
              sr_ratios=(8, 4, 2, 1))
_SVT = dict(patch_size=4, mlp_ratios=(4, 4, 4, 4), wss=(7, 7, 7, 7), sr_ratios=(8, 4, 2, 1))


def _twins(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> Twins:
    return _create_twins(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def twins_pcpvt_small(pretrained: bool = False, **kwargs) -> Twins:
    return _twins('twins_pcpvt_small', pretrained, dict(depths=(3, 4, 6, 3), **_PCPVT), kwargs)


@register_model
def twins_pcpvt_base(pretrained: bool = False, **kwargs) -> Twins:
    return _twins('twins_pcpvt_base', pretrained, dict(depths=(3, 4, 18, 3), **_PCPVT), kwargs)


@register_model
def twins_pcpvt_large(pretrained: bool = False, **kwargs) -> Twins:
    return _twins('twins_pcpvt_large', pretrained, dict(depths=(3, 8, 27, 3), **_PCPVT), kwargs)


@register_model
def twins_svt_small(pretrained: bool = False, **kwargs) -> Twins:
    return _twins('twins_svt_small', pretrained, dict(
        embed_dims=(64, 128, 256, 512), num_heads=(2, 4, 8, 16), depths=(2, 2, 10, 4), **_SVT), kwargs)


@register_model
def twins_svt_base(pretrained: bool = False, **kwargs) -> Twins:
    return _twins('twins_svt_base', pretrained, dict(
        embed_dims=(96, 192, 384, 768), num_heads=(3, 6, 12, 24), depths=(2, 2, 18, 2), **_SVT), kwargs)


@register_model
def twins_svt_large(pretrained: bool = False, **kwargs) -> Twins:
    return _twins('twins_svt_large', pretrained, dict(
        embed_dims=(128, 256, 512, 1024), num_heads=(4, 8, 16, 32), depths=(2, 2, 18, 2), **_SVT), kwargs)
