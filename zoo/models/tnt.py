"""TNT: Transformer in Transformer.

Paper: "Transformer in Transformer", Han et al., NeurIPS 2021 (arXiv:2103.00112).

Each 16x16 patch is itself a small sequence of "pixel" tokens (4x4 of them, from a 7x7 conv with stride 4). Every
block first runs an inner transformer over the pixel tokens of each patch, adds a linear projection of the
flattened pixel tokens to the patch token, then runs the outer transformer over the patch tokens (plus a class
token), section 3. Both streams carry learned position embeddings.

The "legacy" model applies the pixel conv to the whole image before splitting it into patches and projects the
pixel tokens with a bias and no second norm (the layout of the first published weights). Loading a checkpoint made
at another resolution resamples the patch position embedding, as timm does.
"""
import math
from functools import partial
from typing import Any, Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers import DropPath, LayerType, get_norm_layer, stagewise_drop_path_rates, to_2tuple, trunc_normal_
from zoo.layers.mlp import Mlp
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._steps import LevelStepsMixin
from zoo.models.cait import check_global_pool
from zoo.models.vision_transformer import pool_tokens

__all__ = ['TNT', 'Block', 'PixelEmbed', 'checkpoint_filter_fn']

Streams = Tuple[torch.Tensor, torch.Tensor]  # (pixel tokens B*N x P x C_in, patch tokens B x 1+N x C)


class Attention(nn.Module):
    """Multi-head attention whose queries / keys have width `hidden_dim` and values the input width."""

    def __init__(self, dim: int, hidden_dim: int, num_heads: int = 8, qkv_bias: bool = False, attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = hidden_dim // num_heads
        self.qk = nn.Linear(dim, hidden_dim * 2, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k = self.qk(x).view(b, n, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        v = self.v(x).view(b, n, self.num_heads, -1).transpose(1, 2)
        x = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(b, n, c)))


def _pixel_to_patch_layers(flat_dim: int, dim: int, dim_out: int, norm_layer: LayerType,
                           legacy: bool) -> Tuple[nn.Module, nn.Linear, Optional[nn.Module]]:
    """(norm1_proj, proj, norm2_proj) turning a patch's flattened pixel tokens into an update of its patch token.

    The paper's projection (eq. 5) is a plain linear map of the flattened inner tokens. Current weights normalise
    the flattened vector, project without bias and normalise the result; the legacy weights normalise each pixel
    token before flattening and project with a bias.
    """
    if legacy:
        return norm_layer(dim), nn.Linear(flat_dim, dim_out), None
    return norm_layer(flat_dim), nn.Linear(flat_dim, dim_out, bias=False), norm_layer(dim_out)


class Block(nn.Module):
    """Inner (pixel) transformer, pixel-to-patch projection, outer (patch) transformer."""

    def __init__(self, dim: int, dim_out: int, num_pixel: int, num_heads_in: int = 4, num_heads_out: int = 12,
                 mlp_ratio: float = 4., qkv_bias: bool = False, proj_drop: float = 0., attn_drop: float = 0.,
                 drop_path: float = 0., act_layer: LayerType = nn.GELU, norm_layer: LayerType = nn.LayerNorm,
                 legacy: bool = False):
        super().__init__()
        attention = partial(Attention, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        ffn = partial(Mlp, act_layer=act_layer, drop=proj_drop)
        # inner transformer over the pixel tokens of a patch; its MLP is 4x wide whatever mlp_ratio says
        self.norm_in, self.attn_in = norm_layer(dim), attention(dim, dim, num_heads_in)
        self.norm_mlp_in, self.mlp_in = norm_layer(dim), ffn(dim, 4 * dim)
        self.legacy = legacy
        self.norm1_proj, self.proj, self.norm2_proj = _pixel_to_patch_layers(dim * num_pixel, dim, dim_out,
                                                                             norm_layer, legacy)
        # outer transformer over the patch tokens
        self.norm_out, self.attn_out = norm_layer(dim_out), attention(dim_out, dim_out, num_heads_out)
        self.norm_mlp, self.mlp = norm_layer(dim_out), ffn(dim_out, int(dim_out * mlp_ratio))
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def _pixels_to_patches(self, pixels: torch.Tensor, batch_size: int, num_patches: int) -> torch.Tensor:
        if self.legacy:
            return self.proj(self.norm1_proj(pixels).reshape(batch_size, num_patches, -1))
        return self.norm2_proj(self.proj(self.norm1_proj(pixels.reshape(batch_size, num_patches, -1))))

    def forward(self, pixels: torch.Tensor, patches: torch.Tensor) -> Streams:
        pixels = pixels + self.drop_path(self.attn_in(self.norm_in(pixels)))
        pixels = pixels + self.drop_path(self.mlp_in(self.norm_mlp_in(pixels)))
        b, n, _ = patches.shape
        patch_update = self._pixels_to_patches(pixels, b, n - 1)
        patches = torch.cat([patches[:, :1], patches[:, 1:] + patch_update], dim=1)
        patches = patches + self.drop_path(self.attn_out(self.norm_out(patches)))
        patches = patches + self.drop_path(self.mlp(self.norm_mlp(patches)))
        return pixels, patches


class PixelEmbed(nn.Module):
    """Split the image into patches and embed each patch as a grid of pixel tokens, (B * N, P, in_dim)."""

    def __init__(self, img_size: Union[int, Tuple[int, int]] = 224, patch_size: int = 16, in_chans: int = 3,
                 in_dim: int = 48, stride: int = 4, legacy: bool = False):
        super().__init__()
        self.img_size = to_2tuple(img_size)
        self.patch_size = to_2tuple(patch_size)
        self.grid_size = (self.img_size[0] // self.patch_size[0], self.img_size[1] // self.patch_size[1])
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.in_dim = in_dim
        self.legacy = legacy
        self.new_patch_size = [math.ceil(p / stride) for p in self.patch_size]
        self.proj = nn.Conv2d(in_chans, in_dim, kernel_size=7, padding=3, stride=stride)

    def feat_ratio(self) -> int:
        return max(self.patch_size)

    def dynamic_feat_size(self, img_size: Tuple[int, int]) -> Tuple[int, int]:
        return img_size[0] // self.patch_size[0], img_size[1] // self.patch_size[1]

    def forward(self, x: torch.Tensor, pixel_pos: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        if (h, w) != self.img_size:
            raise ValueError(f'Input size {(h, w)} does not match the model {self.img_size}; build it with that '
                             f'img_size.')
        if self.legacy:
            # conv over the whole image, then cut the pixel-token map into patches
            x = F.unfold(self.proj(x), kernel_size=self.new_patch_size, stride=self.new_patch_size)
            x = x.transpose(1, 2).reshape(b * self.num_patches, self.in_dim, *self.new_patch_size)
        else:
            x = F.unfold(x, kernel_size=self.patch_size, stride=self.patch_size)
            x = self.proj(x.transpose(1, 2).reshape(b * self.num_patches, c, *self.patch_size))
        return (x + pixel_pos).flatten(2).transpose(1, 2)


class TNT(LevelStepsMixin, ZooModel):
    """TNT: pixel embedding, patch tokens projected from pixels, TNT blocks, norm, linear head.

    Args:
        img_size: input size.
        patch_size: patch side.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'token' (class token), 'avg' (patch tokens) or '' (no pooling).
        embed_dim: patch token width.
        inner_dim: pixel token width.
        depth: number of blocks.
        num_heads_inner: heads of the pixel attention.
        num_heads_outer: heads of the patch attention.
        mlp_ratio: patch MLP hidden width / embed_dim.
        qkv_bias: bias on the attention projections.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the patch position embedding.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last block (linear over all blocks).
        norm_layer: norm (name or class).
        first_stride: stride of the pixel conv (pixels per patch side = patch_size / first_stride).
        legacy: the layout of the first published TNT-S weights (see module doc).
    """
    trunk = Trunk(levels='blocks', final=('norm',), level_fmt='NLC')
    norm_levels = 'all'
    classifier_name = 'head'
    groups = dict(stem=r'^cls_token|patch_pos|pixel_pos|pixel_embed|norm[12]_proj|proj',
                  blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])
    no_weight_decay_names = ('patch_pos', 'pixel_pos', 'cls_token')

    def __init__(
            self,
            img_size: Union[int, Tuple[int, int]] = 224,
            patch_size: int = 16,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'token',
            embed_dim: int = 768,
            inner_dim: int = 48,
            depth: int = 12,
            num_heads_inner: int = 4,
            num_heads_outer: int = 12,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: LayerType = nn.LayerNorm,
            first_stride: int = 4,
            legacy: bool = False,
    ):
        super().__init__()
        norm_layer = get_norm_layer(norm_layer)
        self.num_classes = num_classes
        self.global_pool = check_global_pool(global_pool)
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = 1
        self.grad_checkpointing = False

        self.pixel_embed = PixelEmbed(img_size, patch_size, in_chans, inner_dim, stride=first_stride, legacy=legacy)
        self.num_patches = self.pixel_embed.num_patches
        new_patch_size = self.pixel_embed.new_patch_size
        num_pixel = new_patch_size[0] * new_patch_size[1]
        self.norm1_proj = norm_layer(num_pixel * inner_dim)
        self.proj = nn.Linear(num_pixel * inner_dim, embed_dim)
        self.norm2_proj = norm_layer(embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.patch_pos = nn.Parameter(torch.zeros(1, self.num_patches + 1, embed_dim))
        self.pixel_pos = nn.Parameter(torch.zeros(1, inner_dim, new_patch_size[0], new_patch_size[1]))
        self.pos_drop = nn.Dropout(pos_drop_rate)
        rates = stagewise_drop_path_rates(drop_path_rate, [depth])[0]
        self.blocks = nn.ModuleList([
            Block(inner_dim, embed_dim, num_pixel, num_heads_in=num_heads_inner, num_heads_out=num_heads_outer,
                  mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, proj_drop=proj_drop_rate, attn_drop=attn_drop_rate,
                  drop_path=rates[i], norm_layer=norm_layer, legacy=legacy)
            for i in range(depth)])
        reduction = self.pixel_embed.feat_ratio()
        self.feature_info = [dict(module=f'blocks.{i}', num_chs=embed_dim, reduction=reduction) for i in range(depth)]
        self.norm = norm_layer(embed_dim)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        self.init_weights()

    def init_weights(self) -> None:
        for p in (self.cls_token, self.patch_pos, self.pixel_pos):
            trunc_normal_(p, std=.02)
        self.apply(init_linear_trunc_normal_)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            self.global_pool = check_global_pool(global_pool)
        self.head = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    # ---- levels: block i, carrying the pixel and patch streams ------------------------------------------------

    def _num_levels(self) -> int:
        return len(self.blocks)

    def _start(self, x: torch.Tensor) -> Streams:
        b = x.shape[0]
        pixels = self.pixel_embed(x, self.pixel_pos)
        patches = self.norm2_proj(self.proj(self.norm1_proj(pixels.reshape(b, self.num_patches, -1))))
        patches = torch.cat([self.cls_token.expand(b, -1, -1), patches], dim=1) + self.patch_pos
        return pixels, self.pos_drop(patches)

    def _step(self, index: int, state: Streams) -> Streams:
        blk = self.blocks[index]
        return maybe_checkpoint(blk, *state, enabled=self.grad_checkpointing)

    def _level_output(self, index: int, state: Streams, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        x = state[1]
        x = (self.norm(x) if norm else x)[:, self.num_prefix_tokens:]
        if output_fmt == 'NLC':
            return x
        h, w = self.pixel_embed.dynamic_feat_size(input_hw)
        x = x.reshape(x.shape[0], h, w, -1)
        return x.permute(0, 3, 1, 2).contiguous() if output_fmt == 'NCHW' else x

    def _finish(self, state: Streams) -> torch.Tensor:
        return self.norm(state[1])

    def _truncate(self, num_levels: int) -> None:
        self.blocks = self.blocks[:num_levels]

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        if prune_norm:
            self.norm = nn.Identity()
        if prune_head:
            self._reset_head(0, '')

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised patch tokens with the class token first, (B, 1 + N, C)."""
        return self._finish(self._run_steps(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self.head_drop(pool_tokens(x, self.global_pool, self.num_prefix_tokens))
        return pooled if pre_logits else self.head(pooled)


_OFFICIAL_NAMES = (
    ('outer_pos', 'patch_pos'), ('inner_pos', 'pixel_pos'), ('patch_embed', 'pixel_embed'),
    ('proj_norm1', 'norm1_proj'), ('proj_norm2', 'norm2_proj'), ('inner_norm1', 'norm_in'), ('inner_attn', 'attn_in'),
    ('inner_norm2', 'norm_mlp_in'), ('inner_mlp', 'mlp_in'), ('outer_norm1', 'norm_out'), ('outer_attn', 'attn_out'),
    ('outer_norm2', 'norm_mlp'), ('outer_mlp', 'mlp'),
)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: TNT) -> Dict[str, torch.Tensor]:
    """Map the official huawei-noah layout (inner_/outer_ names, token-shaped pixel_pos) to this one and resample the
    patch position embedding to the model's grid."""
    state_dict = {k: v for k, v in state_dict.items() if k != 'outer_tokens'}
    if 'patch_pos' not in state_dict:
        out = {}
        for key, value in state_dict.items():
            for old, new in _OFFICIAL_NAMES:
                key = key.replace(old, new)
            if key == 'pixel_pos' and not model.pixel_embed.legacy:
                b, n, c = value.shape
                side = math.isqrt(n)
                value = value.transpose(1, 2).reshape(b, c, side, side)
            out[key] = value
        state_dict = out
    if state_dict['patch_pos'].shape != model.patch_pos.shape:
        state_dict['patch_pos'] = resample_abs_pos_embed(state_dict['patch_pos'], model.pixel_embed.grid_size,
                                                         num_prefix_tokens=1, verbose=True)
    return state_dict


def _create_tnt(variant: str, pretrained: bool = False, **kwargs) -> TNT:
    return build_model_with_cfg(TNT, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), crop_pct=.9, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD,
               first_conv='pixel_embed.proj', classifier='head', license='apache-2.0', paper_ids='arXiv:2103.00112',
               paper_name='Transformer in Transformer',
               origin_url='https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/tnt_pytorch')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'tnt_s_legacy_patch16_224.in1k': _cfg(),
    'tnt_s_patch16_224.in1k': _cfg(),
    'tnt_b_patch16_224.in1k': _cfg(),
})

_S = dict(patch_size=16, embed_dim=384, inner_dim=24, depth=12, num_heads_outer=6, qkv_bias=False)


def _tnt(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> TNT:
    return _create_tnt(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def tnt_s_legacy_patch16_224(pretrained: bool = False, **kwargs) -> TNT:
    return _tnt('tnt_s_legacy_patch16_224', pretrained, dict(_S, legacy=True), kwargs)


@register_model
def tnt_s_patch16_224(pretrained: bool = False, **kwargs) -> TNT:
    return _tnt('tnt_s_patch16_224', pretrained, _S, kwargs)


@register_model
def tnt_b_patch16_224(pretrained: bool = False, **kwargs) -> TNT:
    return _tnt('tnt_b_patch16_224', pretrained, dict(
        patch_size=16, embed_dim=640, inner_dim=40, depth=12, num_heads_outer=10, qkv_bias=False), kwargs)
