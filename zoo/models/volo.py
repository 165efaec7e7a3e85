"""VOLO: Vision Outlooker.

Paper: "VOLO: Vision Outlooker for Visual Recognition", Yuan et al., 2021 (arXiv:2106.13112).

A conv stem embeds 8x8 patches; a first stage of "outlooker" blocks mixes each token's 3x3 neighbourhood with
outlook attention (the attention weights of a window are predicted directly from its centre token by a linear layer,
and the weighted values are folded back onto the grid, section 3.1); after a 2x patch merge, stages of ordinary
self-attention blocks follow, then two class-attention blocks (as in CaiT) produce the class token. The
classifier adds half the maximum over the patch tokens of an auxiliary per-token classifier (token labelling,
Jiang et al., 2021, arXiv:2104.10858).

Tokens stay in a (B, H, W, C) grid until the class-attention blocks. Deviations from timm: the token-labelling
training path (`use_mix_token`, `forward_train`, which returns a tuple) is not provided; inference and training with
the plain `forward` behave as in timm. Outlooker blocks get no stochastic depth, as in timm's construction.
"""
import math
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerType, get_norm_layer, to_2tuple, to_ntuple, trunc_normal_
from zoo.layers.attention import Attention as SelfAttention
from zoo.layers.class_attn import prepend_class_token
from zoo.layers.mlp import Mlp
from zoo.layers.pos_embed import resample_abs_pos_embed_nhwc
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._steps import LevelStepsMixin
from zoo.models.vision_transformer import pool_tokens

__all__ = ['VOLO', 'OutlookAttention', 'Outlooker', 'Transformer', 'ClassBlock', 'checkpoint_filter_fn']

_GLOBAL_POOLS = ('', 'avg', 'token')


class OutlookAttention(nn.Module):
    """Outlook attention on a (B, H, W, C) grid.

    For each (stride-pooled) position, a linear map of its feature predicts a (k*k x k*k) attention matrix per head
    over its k x k window; the windows of values are unfolded, mixed by that matrix and folded back (overlapping
    contributions summed).
    """

    def __init__(self, dim: int, num_heads: int, kernel_size: int = 3, padding: int = 1, stride: int = 1,
                 qkv_bias: bool = False, attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.kernel_size = kernel_size
        self.padding = padding
        self.stride = stride
        self.scale = self.head_dim ** -0.5
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.attn = nn.Linear(dim, kernel_size ** 4 * num_heads)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        k, kk = self.kernel_size, self.kernel_size ** 2
        oh, ow = math.ceil(h / self.stride), math.ceil(w / self.stride)
        v = F.unfold(self.v(x).permute(0, 3, 1, 2), k, padding=self.padding, stride=self.stride)
        v = v.view(b, self.num_heads, self.head_dim, kk, oh * ow).permute(0, 1, 4, 3, 2)  # B, heads, L, k*k, hd
        pooled = F.avg_pool2d(x.permute(0, 3, 1, 2), self.stride, self.stride, ceil_mode=True).permute(0, 2, 3, 1)
        attn = self.attn(pooled).view(b, oh * ow, self.num_heads, kk, kk).transpose(1, 2)  # B, heads, L, k*k, k*k
        attn = self.attn_drop((attn * self.scale).softmax(dim=-1))
        out = (attn @ v).permute(0, 1, 4, 3, 2).reshape(b, c * kk, oh * ow)
        out = F.fold(out, output_size=(h, w), kernel_size=k, padding=self.padding, stride=self.stride)
        return self.proj_drop(self.proj(out.permute(0, 2, 3, 1)))


class Attention(SelfAttention):
    """Multi-head self-attention over all positions of a (B, H, W, C) grid."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        return super().forward(x.reshape(b, h * w, c)).view(b, h, w, -1)


class _PreNormBlock(nn.Module):
    """x + attn(norm1(x)), then x + mlp(norm2(x)); the attention module is given by the subclass."""

    def _init_block(self, dim: int, attn: nn.Module, mlp_ratio: float, drop_path: float, act_layer: LayerType,
                    norm_layer: LayerType, drop: float = 0.) -> None:
        self.norm1 = norm_layer(dim)
        self.attn = attn
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=drop)

    def _residuals(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Both residual branches on `x`; the attention reads `context` (normalised), the MLP the updated `x`."""
        x = x + self.drop_path(self.attn(self.norm1(context)))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._residuals(x, x)


class Outlooker(_PreNormBlock):
    """Outlook attention + MLP block."""

    def __init__(self, dim: int, kernel_size: int, padding: int, stride: int = 1, num_heads: int = 1,
                 mlp_ratio: float = 3., attn_drop: float = 0., drop_path: float = 0., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = nn.LayerNorm, qkv_bias: bool = False):
        super().__init__()
        attn = OutlookAttention(dim, num_heads, kernel_size=kernel_size, padding=padding, stride=stride,
                                qkv_bias=qkv_bias, attn_drop=attn_drop)
        self._init_block(dim, attn, mlp_ratio, drop_path, act_layer, norm_layer)


class Transformer(_PreNormBlock):
    """Self-attention + MLP block on the token grid."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4., qkv_bias: bool = False,
                 attn_drop: float = 0., drop_path: float = 0., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = nn.LayerNorm):
        super().__init__()
        attn = Attention(dim, num_heads=num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop)
        self._init_block(dim, attn, mlp_ratio, drop_path, act_layer, norm_layer)


class ClassAttention(nn.Module):
    """The class token (first) attends over all tokens; packed `kv` and separate `q` projections."""

    def __init__(self, dim: int, num_heads: int = 8, head_dim: Optional[int] = None, qkv_bias: bool = False,
                 attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim or dim // num_heads
        attn_dim = self.head_dim * num_heads
        self.kv = nn.Linear(dim, attn_dim * 2, bias=qkv_bias)
        self.q = nn.Linear(dim, attn_dim, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(attn_dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        k, v = self.kv(x).view(b, n, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        q = self.q(x[:, :1]).view(b, 1, self.num_heads, self.head_dim).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, 1, -1)))


class ClassBlock(_PreNormBlock):
    """Class attention + MLP on the class token; the patch tokens pass through unchanged."""

    def __init__(self, dim: int, num_heads: int, head_dim: Optional[int] = None, mlp_ratio: float = 4.,
                 qkv_bias: bool = False, drop: float = 0., attn_drop: float = 0., drop_path: float = 0.,
                 act_layer: LayerType = nn.GELU, norm_layer: LayerType = nn.LayerNorm):
        super().__init__()
        attn = ClassAttention(dim, num_heads=num_heads, head_dim=head_dim, qkv_bias=qkv_bias, attn_drop=attn_drop,
                              proj_drop=drop)
        self._init_block(dim, attn, mlp_ratio, drop_path, act_layer, norm_layer, drop=drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # only the class token is updated, from attention over every token
        cls_token, patches = x[:, :1], x[:, 1:]
        return torch.cat([self._residuals(cls_token, x), patches], dim=1)


class PatchEmbed(nn.Module):
    """Three conv-BN-ReLU layers (the first with stride `stem_stride`), then a patch projection; NCHW output."""

    def __init__(self, patch_size: int = 8, stem_stride: int = 2, in_chans: int = 3, hidden_dim: int = 64,
                 embed_dim: int = 384):
        super().__init__()
        if patch_size not in (4, 8, 16):
            raise ValueError(f'VOLO patch_size must be 4, 8 or 16, got {patch_size}.')
        layers = []
        for i in range(3):
            first = i == 0
            layers += [nn.Conv2d(in_chans if first else hidden_dim, hidden_dim, 7 if first else 3,
                                 stride=stem_stride if first else 1, padding=3 if first else 1, bias=False),
                       nn.BatchNorm2d(hidden_dim), nn.ReLU(inplace=True)]
        self.conv = nn.Sequential(*layers)
        proj_size = patch_size // stem_stride
        self.proj = nn.Conv2d(hidden_dim, embed_dim, kernel_size=proj_size, stride=proj_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.conv(x))


class Downsample(nn.Module):
    """2x patch merge of a (B, H, W, C) grid with a strided conv."""

    def __init__(self, in_dim: int, out_dim: int, patch_size: int = 2):
        super().__init__()
        self.proj = nn.Conv2d(in_dim, out_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class VOLO(LevelStepsMixin, ZooModel):
    """VOLO: conv stem, outlooker stage, patch merge, self-attention stages, class-attention blocks, token-label head.

    Args:
        layers: blocks per stage.
        img_size: input size (the position embedding covers its grid after the first patch merge).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifiers.
        global_pool: 'token' (class token), 'avg' (all tokens) or '' (no pooling).
        patch_size: stem patch size.
        stem_hidden_dim: width of the stem convs.
        embed_dims: width per stage.
        num_heads: heads per stage.
        downsamples: merge patches 2x after the stage.
        outlook_attention: the stage uses outlooker blocks (else self-attention).
        mlp_ratio: MLP ratio (per stage).
        qkv_bias: bias on the qkv projections.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the position embedding.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last self-attention block (linear over all blocks).
        norm_layer: token norm (name or class).
        post_layers: class-attention blocks ('ca' each); None for none (no class token).
        use_aux_head: add the token-labelling auxiliary classifier to the logits.
        pooling_scale: grid reduction of the patch merges before the position embedding.
    """
    trunk = Trunk(levels='network', level_fmt='NHWC')
    classifier_name = 'head'
    no_weight_decay_names = ('pos_embed', 'cls_token')
    groups = dict(
        stem=r'^cls_token|pos_embed|patch_embed',
        blocks=[(r'^network\.(\d+)\.(\d+)', None), (r'^network\.(\d+)', (0,))],
        blocks2=[(r'^cls_token', (0,)), (r'^post_network\.(\d+)', None), (r'^norm', (99999,))],
    )

    def __init__(
            self,
            layers: Sequence[int],
            img_size: Union[int, Tuple[int, int]] = 224,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'token',
            patch_size: int = 8,
            stem_hidden_dim: int = 64,
            embed_dims: Sequence[int] = (384, 384, 384, 384),
            num_heads: Sequence[int] = (12, 12, 12, 12),
            downsamples: Sequence[bool] = (True, False, False, False),
            outlook_attention: Sequence[bool] = (True, False, False, False),
            mlp_ratio: Union[float, Sequence[float]] = 3.0,
            qkv_bias: bool = False,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: LayerType = nn.LayerNorm,
            post_layers: Optional[Sequence[str]] = ('ca', 'ca'),
            use_aux_head: bool = True,
            pooling_scale: int = 2,
    ):
        super().__init__()
        if global_pool not in _GLOBAL_POOLS:
            raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
        if post_layers is not None and any(p != 'ca' for p in post_layers):
            raise ValueError(f"post_layers may only hold 'ca' (class attention) blocks, got {post_layers}.")
        norm_layer = get_norm_layer(norm_layer)
        img_size = to_2tuple(img_size)
        mlp_ratios = to_ntuple(len(layers))(mlp_ratio)
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.drop_rate = drop_rate
        self.grad_checkpointing = False

        self.patch_embed = PatchEmbed(patch_size, 2, in_chans, stem_hidden_dim, embed_dims[0])
        grid = (img_size[0] // patch_size // pooling_scale, img_size[1] // patch_size // pooling_scale)
        self.pos_embed = nn.Parameter(torch.zeros(1, grid[0], grid[1], embed_dims[-1]))
        self.pos_drop = nn.Dropout(pos_drop_rate)

        total = sum(layers)
        network, self.feature_info, self.stage_ends = [], [], []
        reduction = patch_size
        for i, depth in enumerate(layers):
            first = sum(layers[:i])
            if outlook_attention[i]:
                blocks = [Outlooker(embed_dims[i], kernel_size=3, padding=1, stride=2, num_heads=num_heads[i],
                                    mlp_ratio=mlp_ratios[i], qkv_bias=qkv_bias, attn_drop=attn_drop_rate,
                                    norm_layer=norm_layer)
                          for _ in range(depth)]
            else:
                blocks = [Transformer(embed_dims[i], num_heads[i], mlp_ratio=mlp_ratios[i], qkv_bias=qkv_bias,
                                      attn_drop=attn_drop_rate, drop_path=drop_path_rate * (first + j) / (total - 1),
                                      norm_layer=norm_layer)
                          for j in range(depth)]
            self.stage_ends.append(len(network))
            self.feature_info.append(dict(num_chs=embed_dims[i], reduction=reduction, module=f'network.{len(network)}'))
            network.append(nn.Sequential(*blocks))
            if downsamples[i]:
                network.append(Downsample(embed_dims[i], embed_dims[i + 1], 2))
                reduction *= 2
        self.network = nn.ModuleList(network)

        if post_layers is not None:
            self.post_network = nn.ModuleList([
                ClassBlock(embed_dims[-1], num_heads[-1], mlp_ratio=mlp_ratios[-1], qkv_bias=qkv_bias,
                           attn_drop=attn_drop_rate, norm_layer=norm_layer)
                for _ in post_layers])
            self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims[-1]))
        else:
            self.post_network = None
            self.cls_token = None
        self.use_aux_head = use_aux_head
        self.aux_head = nn.Linear(self.num_features, num_classes) if use_aux_head and num_classes > 0 else None
        self.norm = norm_layer(self.num_features)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.init_weights()

    def init_weights(self) -> None:
        trunc_normal_(self.pos_embed, std=.02)
        if self.cls_token is not None:
            trunc_normal_(self.cls_token, std=.02)
        self.apply(init_linear_trunc_normal_)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            if global_pool not in _GLOBAL_POOLS:
                raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
            if global_pool == 'token' and self.cls_token is None:
                raise ValueError("global_pool='token' needs the class token.")
            self.global_pool = global_pool
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.aux_head = nn.Linear(self.num_features, num_classes) if self.use_aux_head and num_classes > 0 else None

    def _run_network(self, x: torch.Tensor, index: int) -> torch.Tensor:
        # the position embedding is sized for the grid after the first patch merge, so it enters before network[2]
        if index == 2 and self.pos_embed is not None:
            x = self.pos_drop(x + self.pos_embed)
        return maybe_checkpoint(self.network[index], x, enabled=self.grad_checkpointing)

    def _class_attention(self, x: torch.Tensor) -> torch.Tensor:
        return prepend_class_token(x.flatten(1, 2), self.cls_token, self.post_network or ())

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._finish(self._run_steps(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        # VOLO's 'avg' averages every token, the class token included
        pooled = self.head_drop(pool_tokens(x, self.global_pool, 0))
        if pre_logits:
            return pooled
        logits = self.head(pooled)
        if self.aux_head is None or not self.global_pool:
            return logits
        # token labelling: each patch token votes for classes; half the strongest vote per class joins the logits
        votes = self.aux_head(self.head_drop(x)[:, 1:])
        return logits + votes.amax(dim=1) * 0.5

    # ---- levels: stage i and the patch merge before it; the position embedding enters inside level 1 ---------

    def _num_levels(self) -> int:
        return sum(1 for end in self.stage_ends if end < len(self.network))

    def _start(self, x: torch.Tensor) -> torch.Tensor:
        return self.patch_embed(x).permute(0, 2, 3, 1)

    def _step(self, index: int, x: torch.Tensor) -> torch.Tensor:
        first = self.stage_ends[index - 1] + 1 if index else 0
        for i in range(first, self.stage_ends[index] + 1):
            x = self._run_network(x, i)
        return x

    def _level_output(self, index: int, x: torch.Tensor, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        if norm and self.stage_ends[index] >= 2:
            x = self.norm(x)  # sized for the stages after the patch merge
        return x.permute(0, 3, 1, 2).contiguous() if output_fmt == 'NCHW' else x

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self._class_attention(x))

    def _truncate(self, num_levels: int) -> None:
        self.network = self.network[:self.stage_ends[num_levels - 1] + 1]

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        if self.stage_ends[max_index] < 2:
            self.pos_embed = None
            prune_norm = True
        if prune_norm:
            self.norm = nn.Identity()
        if prune_head or truncated:
            # the class-attention blocks and token-label head read the class-token layout: they go with the head
            self.post_network = None
            self.cls_token = None
            self.use_aux_head = False
            self._reset_head(0, '')


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: VOLO) -> Dict[str, torch.Tensor]:
    """Unwrap training checkpoints and resample the (1, H, W, C) position embedding to the model's grid."""
    if isinstance(state_dict.get('model'), dict):
        state_dict = state_dict['model']
    out = dict(state_dict)
    pos = out.get('pos_embed')
    if pos is not None and model.pos_embed is not None and pos.shape != model.pos_embed.shape:
        out['pos_embed'] = resample_abs_pos_embed_nhwc(pos, model.pos_embed.shape[1:3], verbose=True)
    return out


def _create_volo(variant: str, pretrained: bool = False, **kwargs) -> VOLO:
    return build_model_with_cfg(VOLO, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), crop_pct=.96, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='patch_embed.conv.0', classifier=('head', 'aux_head'), license='apache-2.0',
               paper_ids='arXiv:2106.13112')
    cfg.update(kwargs)
    return cfg


def _res(size: int, crop_pct: float = 1.0) -> Dict[str, Any]:
    return dict(input_size=(3, size, size), crop_pct=crop_pct)


default_cfgs = generate_default_cfgs({
    'volo_d1_224.sail_in1k': _cfg(),
    'volo_d1_384.sail_in1k': _cfg(**_res(384)),
    'volo_d2_224.sail_in1k': _cfg(),
    'volo_d2_384.sail_in1k': _cfg(**_res(384)),
    'volo_d3_224.sail_in1k': _cfg(),
    'volo_d3_448.sail_in1k': _cfg(**_res(448)),
    'volo_d4_224.sail_in1k': _cfg(),
    'volo_d4_448.sail_in1k': _cfg(**_res(448, 1.15)),
    'volo_d5_224.sail_in1k': _cfg(),
    'volo_d5_448.sail_in1k': _cfg(**_res(448, 1.15)),
    'volo_d5_512.sail_in1k': _cfg(**_res(512, 1.15)),
})

# (layers, embed_dims, num_heads) of the D1-D5 models (paper, table 1); D5 also widens the MLP and the stem
_D1 = dict(layers=(4, 4, 8, 2), embed_dims=(192, 384, 384, 384), num_heads=(6, 12, 12, 12))
_D2 = dict(layers=(6, 4, 10, 4), embed_dims=(256, 512, 512, 512), num_heads=(8, 16, 16, 16))
_D3 = dict(layers=(8, 8, 16, 4), embed_dims=(256, 512, 512, 512), num_heads=(8, 16, 16, 16))
_D4 = dict(layers=(8, 8, 16, 4), embed_dims=(384, 768, 768, 768), num_heads=(12, 16, 16, 16))
_D5 = dict(layers=(12, 12, 20, 4), embed_dims=(384, 768, 768, 768), num_heads=(12, 16, 16, 16), mlp_ratio=4,
           stem_hidden_dim=128)


def _volo(variant: str, pretrained: bool, arch: Dict[str, Any], kwargs: Dict[str, Any]) -> VOLO:
    return _create_volo(variant, pretrained, **dict(arch, **kwargs))


@register_model
def volo_d1_224(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d1_224', pretrained, _D1, kwargs)


@register_model
def volo_d1_384(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d1_384', pretrained, _D1, kwargs)


@register_model
def volo_d2_224(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d2_224', pretrained, _D2, kwargs)


@register_model
def volo_d2_384(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d2_384', pretrained, _D2, kwargs)


@register_model
def volo_d3_224(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d3_224', pretrained, _D3, kwargs)


@register_model
def volo_d3_448(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d3_448', pretrained, _D3, kwargs)


@register_model
def volo_d4_224(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d4_224', pretrained, _D4, kwargs)


@register_model
def volo_d4_448(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d4_448', pretrained, _D4, kwargs)


@register_model
def volo_d5_224(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d5_224', pretrained, _D5, kwargs)


@register_model
def volo_d5_448(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d5_448', pretrained, _D5, kwargs)


@register_model
def volo_d5_512(pretrained: bool = False, **kwargs) -> VOLO:
    return _volo('volo_d5_512', pretrained, _D5, kwargs)
