"""CaiT: Class-Attention in Image Transformers.

Paper: "Going deeper with Image Transformers", Touvron et al., ICCV 2021 (arXiv:2103.17239).

A ViT over patch tokens only (no class token in the self-attention stage), with two changes that let it train deep:
LayerScale (each residual branch multiplied by a learned per-channel gamma initialised near zero, section 3.1) and
talking-heads attention (learned mixing across heads before and after the softmax, Shazeer et al., 2020,
arXiv:2003.02436). A class token then enters only in the last two "class-attention" layers, which update it alone
(section 3.2).

`ClassTokenHeadMixin` is the part shared with XCiT: class-attention layers and the final norm run after the feature
levels, `forward_intermediates(norm=True)` applies the final norm only, and pruning the head drops the class token.
Loading a checkpoint made at another resolution resamples `pos_embed` (bicubic, as for ViT); timm's CaiT loader does
not, so there timm's own resampling function is the reference.
"""
from typing import Any, Callable, Dict, Optional, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerNorm, LayerType, get_act_layer, get_norm_layer, trunc_normal_
from zoo.layers.class_attn import ClassAttn
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.vision_transformer import pool_tokens

__all__ = ['Cait', 'ClassTokenHeadMixin', 'TalkingHeadAttn', 'LayerScaleBlock', 'LayerScaleBlockClassAttn',
           'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]
_GLOBAL_POOLS = ('', 'avg', 'token')


def check_global_pool(global_pool: str) -> str:
    if global_pool not in _GLOBAL_POOLS:
        raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
    return global_pool


class ClassTokenHeadMixin:
    """Head side of class-attention models: `cls_token`, class-attention layers, final `norm`, linear `head`.

    The model declares `trunk.final` as (class-attention layers, 'norm') with `final_is_norm=False` and implements
    `_class_attention(x)` (feature-level output -> tokens with the class token first).
    """
    cls_token: Optional[nn.Parameter]
    num_prefix_tokens: int

    def _class_attention(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _run_final(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self._class_attention(x))

    def _format_level(self, x: torch.Tensor, index: int, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        # `norm` applies the final norm only: the class-attention layers are not a norm of the patch tokens
        return super()._format_level(self.norm(x) if norm else x, index, False, output_fmt, input_hw)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            if check_global_pool(global_pool) == 'token' and self.cls_token is None:
                raise ValueError("global_pool='token' needs the class token, which pruning removed.")
            self.global_pool = global_pool
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def _replace_head(self, in_features: int) -> None:
        # the class token and its attention layers belong to the head: without it they are unused
        self.cls_token = None
        self.num_prefix_tokens = 0
        self._reset_head(0, '')

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(pool_tokens(x, self.global_pool, self.num_prefix_tokens))
        return x if pre_logits else self.head(x)


class TalkingHeadAttn(nn.Module):
    """Multi-head attention whose logits and probabilities are each mixed across heads by a learned linear map.

    The mixing happens between the heads, so the attention is computed explicitly (no fused kernel applies).
    """

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False, attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_l = nn.Linear(num_heads, num_heads)
        self.proj_w = nn.Linear(num_heads, num_heads)
        self.proj_drop = nn.Dropout(proj_drop)

    def _mix_heads(self, attn: torch.Tensor, proj: nn.Linear) -> torch.Tensor:
        return proj(attn.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4).unbind(0)
        attn = self._mix_heads((q * self.scale) @ k.transpose(-2, -1), self.proj_l)
        attn = self._mix_heads(attn.softmax(dim=-1), self.proj_w)
        x = (self.attn_drop(attn) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj_drop(self.proj(x))


class LayerScaleBlock(nn.Module):
    """Pre-norm block with talking-heads attention and LayerScale (`gamma_1`, `gamma_2`)."""

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
            init_values: float = 1e-4,
    ):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = TalkingHeadAttn(dim, num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.gamma_1 = nn.Parameter(torch.full((dim,), float(init_values)))
        self.gamma_2 = nn.Parameter(torch.full((dim,), float(init_values)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.gamma_1 * self.attn(self.norm1(x)))
        return x + self.drop_path(self.gamma_2 * self.mlp(self.norm2(x)))


class LayerScaleBlockClassAttn(nn.Module):
    """Class-attention layer: the class token attends over [class, patches] and goes through an MLP (LayerScaled).

    `forward(x, x_cls)` takes the (fixed) patch tokens and the class token and returns the updated class token.
    """

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
            init_values: float = 1e-4,
    ):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = ClassAttn(dim, num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.gamma_1 = nn.Parameter(torch.full((dim,), float(init_values)))
        self.gamma_2 = nn.Parameter(torch.full((dim,), float(init_values)))

    def forward(self, x: torch.Tensor, x_cls: torch.Tensor) -> torch.Tensor:
        # only the class token is updated; it attends over itself and the (normalised) patch tokens
        context = self.norm1(torch.cat([x_cls, x], dim=1))
        x_cls = x_cls + self.drop_path(self.attn(context) * self.gamma_1)
        return x_cls + self.drop_path(self.mlp(self.norm2(x_cls)) * self.gamma_2)


class Cait(ClassTokenHeadMixin, ZooModel):
    """CaiT: patch embedding + position embedding, LayerScale blocks, class-attention layers, norm, linear head.

    Args:
        img_size: input size (the position embedding covers its patch grid).
        patch_size: patch side.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'token' (class token), 'avg' (patch tokens) or '' (no pooling).
        embed_dim: token width.
        depth: number of self-attention blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / embed_dim in the self-attention blocks.
        qkv_bias: bias on the qkv projections.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the position embedding.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate, the same for every self-attention block (paper, section 4).
        norm_layer: token norm (name or class); LayerNorm with eps 1e-6 by default.
        act_layer: MLP activation (name or class); GELU by default.
        init_values: LayerScale init.
        depth_token_only: number of class-attention layers.
        mlp_ratio_token_only: MLP hidden width / embed_dim in the class-attention layers.
    """
    grad_checkpointing = checkpoint_flag('blocks')
    trunk = Trunk(levels='blocks', final=('blocks_token_only', 'norm'), final_is_norm=False, level_fmt='NLC')
    norm_levels = 'all'
    classifier_name = 'head'
    no_weight_decay_names = ('pos_embed', 'cls_token')

    def __init__(
            self,
            img_size: SizeT = 224,
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
            norm_layer: Optional[LayerType] = None,
            act_layer: Optional[LayerType] = None,
            init_values: float = 1e-4,
            depth_token_only: int = 2,
            mlp_ratio_token_only: float = 4.,
    ):
        super().__init__()
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        act_layer = get_act_layer(act_layer) or nn.GELU
        self.num_classes = num_classes
        self.global_pool = check_global_pool(global_pool)
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = 1

        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans,
                                      embed_dim=embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches, embed_dim))
        self.pos_drop = nn.Dropout(pos_drop_rate)
        block_args = dict(num_heads=num_heads, qkv_bias=qkv_bias, act_layer=act_layer, norm_layer=norm_layer,
                          init_values=init_values)
        self.blocks = CheckpointSequential(*[
            LayerScaleBlock(embed_dim, mlp_ratio=mlp_ratio, proj_drop=proj_drop_rate, attn_drop=attn_drop_rate,
                            drop_path=drop_path_rate, **block_args)
            for _ in range(depth)])
        reduction = self.patch_embed.feat_ratio()
        self.feature_info = [dict(num_chs=embed_dim, reduction=reduction, module=f'blocks.{i}') for i in range(depth)]
        self.blocks_token_only = nn.ModuleList([
            LayerScaleBlockClassAttn(embed_dim, mlp_ratio=mlp_ratio_token_only, **block_args)
            for _ in range(depth_token_only)])
        self.norm = norm_layer(embed_dim)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        self.init_weights()

    def init_weights(self) -> None:
        trunc_normal_(self.pos_embed, std=.02)
        trunc_normal_(self.cls_token, std=.02)
        self.apply(init_linear_trunc_normal_)

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> Callable[[str], float]:
        """Layer id of a parameter: the class-attention layers share ids with the last self-attention blocks."""
        num_blocks, num_token_only = len(self.blocks), len(self.blocks_token_only or ())

        def layer_id(name: str) -> float:
            if name.startswith(('cls_token', 'pos_embed', 'patch_embed')):
                return 0
            if name.startswith('blocks.'):
                return int(name.split('.')[1]) + 1
            if name.startswith('blocks_token_only.'):
                return int(name.split('.')[1]) + num_blocks - num_token_only + 1
            if name.startswith('norm.'):
                return num_blocks
            return float('inf')
        return layer_id

    def _run_stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.pos_drop(self.patch_embed(x) + self.pos_embed)

    def _class_attention(self, x: torch.Tensor) -> torch.Tensor:
        if self.cls_token is None:
            return x
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        for blk in self.blocks_token_only:
            cls = blk(x, cls)
        return torch.cat([cls, x], dim=1)

    def _tokens_to_map(self, x: torch.Tensor, input_hw: Tuple[int, int]) -> torch.Tensor:
        h, w = self.patch_embed.dynamic_feat_size(input_hw)
        return x.reshape(x.shape[0], h, w, -1).permute(0, 3, 1, 2).contiguous()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._run_final(self.blocks(self._run_stem(x)))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: Cait) -> Dict[str, torch.Tensor]:
    """Unwrap official (facebookresearch/deit) checkpoints and resample `pos_embed` to the model's patch grid."""
    if isinstance(state_dict.get('model'), dict):
        state_dict = state_dict['model']
    out = {}
    for key, value in state_dict.items():
        key = key.replace('module.', '')
        if key == 'pos_embed' and value.shape != model.pos_embed.shape:
            value = resample_abs_pos_embed(value, model.patch_embed.grid_size, num_prefix_tokens=0, verbose=True)
        out[key] = value
    return out


def _create_cait(variant: str, pretrained: bool = False, **kwargs) -> Cait:
    # timm's features_only default for these isotropic models is the last three blocks
    return build_model_with_cfg(Cait, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 384, 384), crop_pct=1.0, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='patch_embed.proj', classifier='head', license='apache-2.0', paper_ids='arXiv:2103.17239')
    cfg.update(kwargs)
    return cfg


_R224 = dict(input_size=(3, 224, 224))

# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag> (all distilled from a
# RegNet teacher, hence fb_dist_in1k).
default_cfgs = generate_default_cfgs({
    'cait_xxs24_224.fb_dist_in1k': _cfg(**_R224),
    'cait_xxs24_384.fb_dist_in1k': _cfg(),
    'cait_xxs36_224.fb_dist_in1k': _cfg(**_R224),
    'cait_xxs36_384.fb_dist_in1k': _cfg(),
    'cait_xs24_384.fb_dist_in1k': _cfg(),
    'cait_s24_224.fb_dist_in1k': _cfg(**_R224),
    'cait_s24_384.fb_dist_in1k': _cfg(),
    'cait_s36_384.fb_dist_in1k': _cfg(),
    'cait_m36_384.fb_dist_in1k': _cfg(),
    'cait_m48_448.fb_dist_in1k': _cfg(input_size=(3, 448, 448)),
})


def _cait(variant: str, pretrained: bool, embed_dim: int, depth: int, num_heads: int, init_values: float,
          kwargs: Dict[str, Any]) -> Cait:
    model_args = dict(patch_size=16, embed_dim=embed_dim, depth=depth, num_heads=num_heads, init_values=init_values)
    return _create_cait(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def cait_xxs24_224(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_xxs24_224', pretrained, 192, 24, 4, 1e-5, kwargs)


@register_model
def cait_xxs24_384(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_xxs24_384', pretrained, 192, 24, 4, 1e-5, kwargs)


@register_model
def cait_xxs36_224(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_xxs36_224', pretrained, 192, 36, 4, 1e-5, kwargs)


@register_model
def cait_xxs36_384(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_xxs36_384', pretrained, 192, 36, 4, 1e-5, kwargs)


@register_model
def cait_xs24_384(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_xs24_384', pretrained, 288, 24, 6, 1e-5, kwargs)


@register_model
def cait_s24_224(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_s24_224', pretrained, 384, 24, 8, 1e-5, kwargs)


@register_model
def cait_s24_384(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_s24_384', pretrained, 384, 24, 8, 1e-5, kwargs)


@register_model
def cait_s36_384(pretrained: bool = False, **kwargs) -> Cait:
    # deeper models start LayerScale smaller (paper, table 1)
    return _cait('cait_s36_384', pretrained, 384, 36, 8, 1e-6, kwargs)


@register_model
def cait_m36_384(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_m36_384', pretrained, 768, 36, 16, 1e-6, kwargs)


@register_model
def cait_m48_448(pretrained: bool = False, **kwargs) -> Cait:
    return _cait('cait_m48_448', pretrained, 768, 48, 16, 1e-6, kwargs)
