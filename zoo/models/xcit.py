"""XCiT: Cross-Covariance Image Transformers.

Paper: "XCiT: Cross-Covariance Image Transformers", El-Nouby et al., NeurIPS 2021 (arXiv:2106.09681).

A convolutional patch stem (stacked stride-2 3x3 conv + BN), fixed Fourier position features, then blocks of three
residual branches: cross-covariance attention (XCA: attention between *channels*, over l2-normalised keys and queries
with a learned per-head temperature, so cost is linear in the number of tokens), local patch interaction (LPI: two
depthwise 3x3 convs around a BN) and an MLP. Two CaiT-style class-attention layers then summarise the patches into a
class token.

Deviations, all matching the published weights: the branch order inside a block is attention, LPI, MLP while the
LayerScale parameters are named gamma1, gamma3, gamma2 (the official naming); the class-attention layers also update
the patch tokens (see `ClassAttentionBlock`), which only matters for 'avg' pooling. Between blocks the tokens are kept
as a (B, H, W, C) grid, so `forward_intermediates` offers 'NCHW' and 'NHWC' outputs. The head side (class-attention
layers after the feature levels, what pruning removes) is CaiT's `ClassTokenHeadMixin`.
"""
import re
from typing import Any, Dict, Optional, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerNorm, LayerType, get_act_layer, get_norm_layer, to_2tuple, trunc_normal_
from zoo.layers.attention import attend
from zoo.layers.class_attn import ClassAttn, prepend_class_token
from zoo.layers.mlp import Mlp
from zoo.layers.pos_embed_fourier import FourierPosEmbed
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model, register_model_deprecations
from zoo.models.cait import ClassTokenHeadMixin, check_global_pool

__all__ = ['Xcit', 'XCA', 'XCABlock', 'ClassAttentionBlock', 'checkpoint_filter_fn']


def _conv_bn(in_chs: int, out_chs: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_chs, out_chs, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(out_chs))


class ConvPatchEmbed(nn.Module):
    """log2(patch_size) stride-2 conv-BN layers (activations between them) widening to `embed_dim`; NHWC output."""

    def __init__(self, patch_size: int = 16, in_chans: int = 3, embed_dim: int = 768,
                 act_layer: LayerType = nn.GELU):
        super().__init__()
        if patch_size not in (8, 16):
            raise ValueError(f'XCiT patch embedding supports patch_size 8 or 16, got {patch_size}.')
        num_convs = 4 if patch_size == 16 else 3
        widths = [embed_dim // 2 ** (num_convs - 1 - i) for i in range(num_convs)]
        layers, prev = [], in_chans
        for i, width in enumerate(widths):
            if i:
                layers.append(act_layer())
            layers.append(_conv_bn(prev, width))
            prev = width
        self.patch_size = patch_size
        self.proj = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).permute(0, 2, 3, 1)


class LPI(nn.Module):
    """Local patch interaction: depthwise 3x3 conv, activation, BN, depthwise 3x3 conv on the token grid."""

    def __init__(self, dim: int, act_layer: LayerType = nn.GELU, kernel_size: int = 3):
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv2d(dim, dim, kernel_size, padding=pad, groups=dim)
        self.act = act_layer()
        self.bn = nn.BatchNorm2d(dim)
        self.conv2 = nn.Conv2d(dim, dim, kernel_size, padding=pad, groups=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 3, 1, 2)
        x = self.conv2(self.bn(self.act(self.conv1(x))))
        return x.permute(0, 2, 3, 1)


class XCA(nn.Module):
    """Cross-covariance attention: a (head_dim x head_dim) attention map between channels, per head.

    Queries and keys are l2-normalised along the token axis and the logits scaled by a learned per-head temperature
    (paper, section 3.2), so the map is a softmax of channel cross-correlations.
    """

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False, attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        # (3, B, heads, head_dim, N): channels play the role of tokens
        q, k, v = self.qkv(x).view(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 4, 1).unbind(0)
        q = F.normalize(q, dim=-1) * self.temperature
        k = F.normalize(k, dim=-1)
        out = attend(q, k, v, scale=1.0, dropout_p=self.attn_drop.p if self.training else 0.)
        return self.proj_drop(self.proj(out.permute(0, 3, 1, 2).reshape(b, n, c)))


class XCABlock(nn.Module):
    """x + XCA, then + LPI, then + MLP on a (B, H, W, C) token grid, each branch scaled by a learned gamma."""

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: LayerType = nn.GELU,
            norm_layer: LayerType = LayerNorm,
            eta: float = 1.,
    ):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = XCA(dim, num_heads=num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self.norm3 = norm_layer(dim)
        self.local_mp = LPI(dim, act_layer=act_layer)
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.gamma1 = nn.Parameter(torch.full((dim,), float(eta)))
        self.gamma3 = nn.Parameter(torch.full((dim,), float(eta)))
        self.gamma2 = nn.Parameter(torch.full((dim,), float(eta)))
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        t = x.reshape(b, h * w, c)
        t = t + self.drop_path(self.gamma1 * self.attn(self.norm1(t)))
        t = t + self.drop_path(self.gamma3 * self.local_mp(self.norm3(t).view(b, h, w, c)).reshape(b, h * w, c))
        t = t + self.drop_path(self.gamma2 * self.mlp(self.norm2(t)))
        return t.view(b, h, w, c)


class ClassAttentionBlock(nn.Module):
    """Class attention + MLP on the class token, with LayerScale (`eta`; None disables it).

    As in the official code the patch tokens are not passed through unchanged: the first branch adds their normalised
    value (x + gamma1 * norm1(x)), and the second branch's residual sums them with themselves; `tokens_norm` also
    normalises them before that (otherwise only the class token is normalised). Only 'avg' pooling reads them.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            act_layer: LayerType = nn.GELU,
            norm_layer: LayerType = LayerNorm,
            eta: Optional[float] = 1.,
            tokens_norm: bool = False,
    ):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = ClassAttn(dim, num_heads=num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        if eta is not None:
            self.gamma1 = nn.Parameter(torch.full((dim,), float(eta)))
            self.gamma2 = nn.Parameter(torch.full((dim,), float(eta)))
        else:
            self.gamma1 = self.gamma2 = None
        self.tokens_norm = tokens_norm

    def _scale(self, gamma: Optional[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return x if gamma is None else gamma * x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normed = self.norm1(x)
        x = x + self._scale(self.gamma1, torch.cat([self.attn(normed), normed[:, 1:]], dim=1))
        if self.tokens_norm:
            x = self.norm2(x)
        else:
            x = torch.cat([self.norm2(x[:, :1]), x[:, 1:]], dim=1)
        cls = x[:, :1]
        return x + torch.cat([self._scale(self.gamma2, self.mlp(cls)), x[:, 1:]], dim=1)


class Xcit(ClassTokenHeadMixin, ZooModel):
    """XCiT: conv patch stem, Fourier positions, XCA blocks, class-attention layers, final norm, linear head.

    Args:
        img_size: the input size the model is built for (any multiple of the patch size also works).
        patch_size: 8 or 16.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'token' (class token), 'avg' (patch tokens) or '' (no pooling).
        embed_dim: token width.
        depth: number of XCA blocks.
        num_heads: attention heads (XCA and class attention).
        mlp_ratio: MLP hidden width / embed_dim.
        qkv_bias: bias on qkv projections.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the position features.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate, the same for every XCA block (as in the paper's recipe).
        act_layer: activation (name or class); GELU by default.
        norm_layer: token norm (name or class); LayerNorm with eps 1e-6 by default.
        cls_attn_layers: number of class-attention layers.
        use_pos_embed: add the Fourier position features.
        eta: LayerScale init of every branch.
        tokens_norm: normalise all tokens (not only the class token) in the class-attention layers.
    """
    grad_checkpointing = checkpoint_flag('blocks')
    trunk = Trunk(levels='blocks', final=('cls_attn_blocks', 'norm'), final_is_norm=False, level_fmt='NHWC')
    norm_levels = 'all'
    classifier_name = 'head'
    groups = dict(stem=r'^cls_token|pos_embed|patch_embed', blocks=r'^blocks\.(\d+)')

    def __init__(
            self,
            img_size: Union[int, Tuple[int, int]] = 224,
            patch_size: int = 16,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'token',
            embed_dim: int = 768,
            depth: int = 12,
            num_heads: int = 12,
            mlp_ratio: float = 4.,
            qkv_bias: bool = True,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            act_layer: Optional[LayerType] = None,
            norm_layer: Optional[LayerType] = None,
            cls_attn_layers: int = 2,
            use_pos_embed: bool = True,
            eta: float = 1.,
            tokens_norm: bool = False,
    ):
        super().__init__()
        self.img_size = to_2tuple(img_size)
        if any(s % patch_size for s in self.img_size):
            raise ValueError(f'img_size {self.img_size} must be a multiple of patch_size {patch_size}.')
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        act_layer = get_act_layer(act_layer) or nn.GELU
        self.num_classes = num_classes
        self.global_pool = check_global_pool(global_pool)
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = 1

        self.patch_embed = ConvPatchEmbed(patch_size, in_chans, embed_dim, act_layer=act_layer)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = FourierPosEmbed(dim=embed_dim) if use_pos_embed else None
        self.pos_drop = nn.Dropout(pos_drop_rate)
        self.blocks = CheckpointSequential(*[
            XCABlock(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, proj_drop=proj_drop_rate,
                     attn_drop=attn_drop_rate, drop_path=drop_path_rate, act_layer=act_layer,
                     norm_layer=norm_layer, eta=eta)
            for _ in range(depth)])
        self.feature_info = [dict(num_chs=embed_dim, reduction=patch_size, module=f'blocks.{i}') for i in range(depth)]
        self.cls_attn_blocks = nn.ModuleList([
            ClassAttentionBlock(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                                proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, act_layer=act_layer,
                                norm_layer=norm_layer, eta=eta, tokens_norm=tokens_norm)
            for _ in range(cls_attn_layers)])
        self.norm = norm_layer(embed_dim)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        self.init_weights()

    def init_weights(self) -> None:
        trunc_normal_(self.cls_token, std=.02)
        self.apply(init_linear_trunc_normal_)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        # the Fourier projection is a fixed-feature embedding: none of its parameters is decayed
        return {'pos_embed.*', 'cls_token'}

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> Dict[str, Any]:
        return dict(stem=self.groups['stem'], blocks=self.groups['blocks'],
                    cls_attn_blocks=[(r'^cls_attn_blocks\.(\d+)', None), (r'^norm', (99999,))])

    def _run_stem(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        if self.pos_embed is not None:
            x = x + self.pos_embed(x.shape[1], x.shape[2])
        return self.pos_drop(x)

    def _class_attention(self, x: torch.Tensor) -> torch.Tensor:
        return prepend_class_token(x.flatten(1, 2), self.cls_token, self.cls_attn_blocks)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self._run_stem(x)
        x = self.blocks(x)
        return self._run_final(x)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: Xcit) -> Dict[str, torch.Tensor]:
    """Accept the official facebookresearch/xcit checkpoints besides timm's layout.

    The official weights name the position encoding `pos_embeder` and use one packed `qkv` projection in the
    class-attention layers, which are split into `q`, `k`, `v` here.
    """
    if isinstance(state_dict.get('model'), dict):
        state_dict = state_dict['model']
    use_pos_embed = getattr(model, 'pos_embed', None) is not None
    out = {}
    for key, value in state_dict.items():
        if key.startswith(('pos_embeder.', 'pos_embed.')):
            if not use_pos_embed:
                continue
            key = key.replace('pos_embeder.', 'pos_embed.')
        match = re.match(r'^(cls_attn_blocks\.\d+\.attn\.)qkv\.(weight|bias)$', key)
        if match:
            for name, part in zip('qkv', value.chunk(3, dim=0)):
                out[f'{match.group(1)}{name}.{match.group(2)}'] = part
            continue
        out[key] = value
    return out


def _create_xcit(variant: str, pretrained: bool = False, **kwargs) -> Xcit:
    # timm's features_only default for these isotropic models is the last three blocks
    return build_model_with_cfg(Xcit, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), crop_pct=1.0, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='patch_embed.proj.0.0', classifier='head', license='apache-2.0',
               paper_ids='arXiv:2106.09681')
    cfg.update(kwargs)
    return cfg


_R384 = dict(input_size=(3, 384, 384))

# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>: each 224 model has plain
# and distilled (fb_dist_in1k) weights, each 384 model distilled ones.
default_cfgs = generate_default_cfgs({
    f'xcit_{size}_p{patch}_{res}.{tag}': _cfg(**(_R384 if res == 384 else {}))
    for patch in (16, 8)
    for size in ('nano_12', 'tiny_12', 'small_12', 'tiny_24', 'small_24', 'medium_24', 'large_24')
    for res in (224, 384)
    for tag in (('fb_in1k', 'fb_dist_in1k') if res == 224 else ('fb_dist_in1k',))
})

_NANO = dict(embed_dim=128, num_heads=4, depth=12, eta=1.0, tokens_norm=False)
_TINY12 = dict(embed_dim=192, num_heads=4, depth=12, eta=1.0, tokens_norm=True)
_SMALL12 = dict(embed_dim=384, num_heads=8, depth=12, eta=1.0, tokens_norm=True)
# the 24-layer models start their LayerScale at 1e-5 (paper, appendix)
_TINY24 = dict(embed_dim=192, num_heads=4, depth=24, eta=1e-5, tokens_norm=True)
_SMALL24 = dict(embed_dim=384, num_heads=8, depth=24, eta=1e-5, tokens_norm=True)
_MEDIUM24 = dict(embed_dim=512, num_heads=8, depth=24, eta=1e-5, tokens_norm=True)
_LARGE24 = dict(embed_dim=768, num_heads=16, depth=24, eta=1e-5, tokens_norm=True)


def _xcit(variant: str, pretrained: bool, arch: Dict[str, Any], patch_size: int, kwargs: Dict[str, Any]) -> Xcit:
    return _create_xcit(variant, pretrained, **dict(arch, patch_size=patch_size, **kwargs))


@register_model
def xcit_nano_12_p16_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_nano_12_p16_224', pretrained, _NANO, 16, kwargs)


@register_model
def xcit_nano_12_p16_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_nano_12_p16_384', pretrained, _NANO, 16, kwargs)


@register_model
def xcit_tiny_12_p16_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_tiny_12_p16_224', pretrained, _TINY12, 16, kwargs)


@register_model
def xcit_tiny_12_p16_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_tiny_12_p16_384', pretrained, _TINY12, 16, kwargs)


@register_model
def xcit_small_12_p16_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_small_12_p16_224', pretrained, _SMALL12, 16, kwargs)


@register_model
def xcit_small_12_p16_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_small_12_p16_384', pretrained, _SMALL12, 16, kwargs)


@register_model
def xcit_tiny_24_p16_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_tiny_24_p16_224', pretrained, _TINY24, 16, kwargs)


@register_model
def xcit_tiny_24_p16_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_tiny_24_p16_384', pretrained, _TINY24, 16, kwargs)


@register_model
def xcit_small_24_p16_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_small_24_p16_224', pretrained, _SMALL24, 16, kwargs)


@register_model
def xcit_small_24_p16_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_small_24_p16_384', pretrained, _SMALL24, 16, kwargs)


@register_model
def xcit_medium_24_p16_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_medium_24_p16_224', pretrained, _MEDIUM24, 16, kwargs)


@register_model
def xcit_medium_24_p16_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_medium_24_p16_384', pretrained, _MEDIUM24, 16, kwargs)


@register_model
def xcit_large_24_p16_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_large_24_p16_224', pretrained, _LARGE24, 16, kwargs)


@register_model
def xcit_large_24_p16_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_large_24_p16_384', pretrained, _LARGE24, 16, kwargs)


@register_model
def xcit_nano_12_p8_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_nano_12_p8_224', pretrained, _NANO, 8, kwargs)


@register_model
def xcit_nano_12_p8_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_nano_12_p8_384', pretrained, _NANO, 8, kwargs)


@register_model
def xcit_tiny_12_p8_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_tiny_12_p8_224', pretrained, _TINY12, 8, kwargs)


@register_model
def xcit_tiny_12_p8_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_tiny_12_p8_384', pretrained, _TINY12, 8, kwargs)


@register_model
def xcit_small_12_p8_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_small_12_p8_224', pretrained, _SMALL12, 8, kwargs)


@register_model
def xcit_small_12_p8_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_small_12_p8_384', pretrained, _SMALL12, 8, kwargs)


@register_model
def xcit_tiny_24_p8_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_tiny_24_p8_224', pretrained, _TINY24, 8, kwargs)


@register_model
def xcit_tiny_24_p8_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_tiny_24_p8_384', pretrained, _TINY24, 8, kwargs)


@register_model
def xcit_small_24_p8_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_small_24_p8_224', pretrained, _SMALL24, 8, kwargs)


@register_model
def xcit_small_24_p8_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_small_24_p8_384', pretrained, _SMALL24, 8, kwargs)


@register_model
def xcit_medium_24_p8_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_medium_24_p8_224', pretrained, _MEDIUM24, 8, kwargs)


@register_model
def xcit_medium_24_p8_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_medium_24_p8_384', pretrained, _MEDIUM24, 8, kwargs)


@register_model
def xcit_large_24_p8_224(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_large_24_p8_224', pretrained, _LARGE24, 8, kwargs)


@register_model
def xcit_large_24_p8_384(pretrained: bool = False, **kwargs) -> Xcit:
    return _xcit('xcit_large_24_p8_384', pretrained, _LARGE24, 8, kwargs)


# the distilled weights were once separate architectures (`<arch>_dist`); they are now the fb_dist_in1k tags
register_model_deprecations(__name__, {
    f'{arch}_dist': f'{arch}.fb_dist_in1k'
    for arch in (f'xcit_{size}_p{patch}_{res}'
                 for patch in (16, 8)
                 for size in ('nano_12', 'tiny_12', 'small_12', 'tiny_24', 'small_24', 'medium_24', 'large_24')
                 for res in (224, 384))
})
