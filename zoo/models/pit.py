"""PiT: Pooling-based Vision Transformer.

Paper: "Rethinking Spatial Dimensions of Vision Transformers", Heo et al., ICCV 2021 (arXiv:2103.16302).

A ViT whose token grid shrinks and widens between stages like a CNN: an overlapping conv patch embedding, then three
transformer stages; between stages a depthwise-style strided conv pools the patch map (doubling the width) while a
linear layer widens the class token(s) (section 3.2). The patch tokens are kept as a (B, C, H, W) map between
stages, so stage outputs are natural NCHW feature levels. Distilled models carry a distillation token and a second
classifier `head_dist`; `forward` returns the average of both heads (as DeiT evaluates), `forward_head_distilled`
both. Deviation from timm: the return type never depends on a flag (timm returns both heads in distilled training).

Loading a checkpoint made at another resolution resamples `pos_embed` (bicubic); timm's PiT loader does not.
"""
import math
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import LayerNorm, stagewise_drop_path_rates, to_2tuple, trunc_normal_
from zoo.layers.pos_embed import resample_abs_pos_embed_nhwc
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._features_fx import register_notrace_function
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag, maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.vision_transformer import Block

__all__ = ['PoolingVisionTransformer', 'Transformer', 'Pooling', 'checkpoint_filter_fn']

Tokens = Tuple[torch.Tensor, torch.Tensor]  # (patch map B x C x H x W, class tokens B x T x C)


@register_notrace_function  # a Python shape comparison; FX tracing records the call instead
def check_patch_grid(x: torch.Tensor, pos_embed: torch.Tensor) -> None:
    if x.shape[-2:] != pos_embed.shape[-2:]:
        raise ValueError(f'The patch grid {tuple(x.shape[-2:])} of this input does not match the model '
                         f'({tuple(pos_embed.shape[-2:])}); build the model with img_size set to the input.')


class Pooling(nn.Module):
    """Halve the patch map with a grouped strided conv (kernel stride + 1) and widen the class tokens linearly."""

    def __init__(self, in_chs: int, out_chs: int, stride: int, padding_mode: str = 'zeros'):
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size=stride + 1, padding=stride // 2, stride=stride,
                              padding_mode=padding_mode, groups=in_chs)
        self.fc = nn.Linear(in_chs, out_chs)

    def forward(self, x: torch.Tensor, cls_tokens: torch.Tensor) -> Tokens:
        return self.conv(x), self.fc(cls_tokens)


class Transformer(nn.Module):
    """Optional pooling, then transformer blocks over [class tokens, patch tokens]; (map, tokens) in and out."""

    def __init__(self, base_dim: int, depth: int, heads: int, mlp_ratio: float, pool: Optional[Pooling] = None,
                 proj_drop: float = 0., attn_drop: float = 0., drop_path: Sequence[float] = ()):
        super().__init__()
        dim = base_dim * heads
        self.pool = pool
        # kept (as an identity) for the layout of the published weights, which have no norm here
        self.norm = nn.Identity()
        self.blocks = nn.Sequential(*[
            Block(dim, heads, mlp_ratio=mlp_ratio, qkv_bias=True, proj_drop=proj_drop, attn_drop=attn_drop,
                  drop_path=drop_path[i] if drop_path else 0., norm_layer=LayerNorm)
            for i in range(depth)])

    def forward(self, x: Tokens) -> Tokens:
        x, cls_tokens = x
        num_tokens = cls_tokens.shape[1]
        if self.pool is not None:
            x, cls_tokens = self.pool(x, cls_tokens)
        b, c, h, w = x.shape
        tokens = self.blocks(self.norm(torch.cat([cls_tokens, x.flatten(2).transpose(1, 2)], dim=1)))
        return tokens[:, num_tokens:].transpose(1, 2).reshape(b, c, h, w), tokens[:, :num_tokens]


class ConvEmbedding(nn.Module):
    """Overlapping patch embedding: one conv with kernel `patch_size` and a smaller `stride`."""

    def __init__(self, in_chans: int, embed_dim: int, patch_size: int, stride: int):
        super().__init__()
        self.conv = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class SequentialTuple(CheckpointSequential):
    """A `CheckpointSequential` over (map, tokens) pairs."""

    def forward(self, x: Tokens) -> Tokens:  # type: ignore[override]
        for module in self:
            x = maybe_checkpoint(module, x, enabled=self.grad_checkpointing)
        return x


class PoolingVisionTransformer(ZooModel):
    """PiT: conv patch embedding, pooled transformer stages, class-token norm and head(s).

    Args:
        img_size: input size (the position embedding covers its patch grid).
        patch_size: patch embedding kernel.
        stride: patch embedding stride (patches overlap when smaller than patch_size).
        base_dims: width per head in each stage.
        depth: blocks per stage.
        heads: heads per stage.
        mlp_ratio: MLP hidden width / stage width.
        num_classes: classifier outputs; 0 removes the classifier(s).
        in_chans: input image channels.
        global_pool: 'token' (class token) or '' (return the tokens).
        distilled: add a distillation token and head.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the position embedding.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last block (linear over all blocks).
    """
    grad_checkpointing = checkpoint_flag('transformers')
    trunk = Trunk(stem=('patch_embed',), levels='transformers', final=('norm',))
    classifier_name = 'head'
    no_weight_decay_names = ('pos_embed', 'cls_token')
    groups = dict(stem=r'^cls_token|pos_embed|patch_embed', blocks=r'^transformers\.(\d+)')

    def __init__(
            self,
            img_size: Union[int, Tuple[int, int]] = 224,
            patch_size: int = 16,
            stride: int = 8,
            base_dims: Sequence[int] = (48, 48, 48),
            depth: Sequence[int] = (2, 6, 4),
            heads: Sequence[int] = (2, 4, 8),
            mlp_ratio: float = 4,
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: str = 'token',
            distilled: bool = False,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        if global_pool not in ('', 'token'):
            raise ValueError(f"global_pool must be 'token' or '', got {global_pool!r}.")
        if distilled and global_pool != 'token':
            raise ValueError("The distillation head reads the distillation token: use global_pool='token'.")
        img_size = to_2tuple(img_size)
        embed_dim = base_dims[0] * heads[0]
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_tokens = 2 if distilled else 1
        self.grid_size = tuple(math.floor((s - patch_size) / stride + 1) for s in img_size)

        self.patch_embed = ConvEmbedding(in_chans, embed_dim, patch_size, stride)
        self.pos_embed = nn.Parameter(torch.zeros(1, embed_dim, *self.grid_size))
        self.cls_token = nn.Parameter(torch.zeros(1, self.num_tokens, embed_dim))
        self.pos_drop = nn.Dropout(pos_drop_rate)

        rates = stagewise_drop_path_rates(drop_path_rate, depth)
        stages, self.feature_info = [], []
        prev_dim = embed_dim
        for i in range(len(depth)):
            dim = base_dims[i] * heads[i]
            pool = Pooling(prev_dim, dim, stride=2) if i > 0 else None
            stages.append(Transformer(base_dims[i], depth[i], heads[i], mlp_ratio, pool=pool,
                                      proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, drop_path=rates[i]))
            prev_dim = dim
            self.feature_info.append(dict(num_chs=dim, reduction=stride * 2 ** i, module=f'transformers.{i}'))
        self.transformers = SequentialTuple(*stages)
        self.norm = LayerNorm(prev_dim)
        self.num_features = self.head_hidden_size = self.embed_dim = prev_dim
        self.head_drop = nn.Dropout(drop_rate)
        self.head = self._make_head(num_classes)
        self.head_dist = self._make_head(num_classes) if distilled else None
        self.init_weights()

    def _make_head(self, num_classes: int) -> nn.Module:
        return nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def init_weights(self) -> None:
        trunc_normal_(self.pos_embed, std=.02)
        trunc_normal_(self.cls_token, std=.02)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            if global_pool not in ('', 'token'):
                raise ValueError(f"global_pool must be 'token' or '', got {global_pool!r}.")
            if global_pool != 'token' and self.head_dist is not None:
                raise ValueError("The distillation head reads the distillation token: keep global_pool='token'.")
            self.global_pool = global_pool
        self.head = self._make_head(num_classes)
        if self.head_dist is not None:
            self.head_dist = self._make_head(num_classes)

    def _replace_head(self, in_features: int) -> None:
        self.head_dist = None  # part of the head
        self._reset_head(0, '')

    def _run_stem(self, x: torch.Tensor) -> Tokens:
        x = self.patch_embed(x)
        check_patch_grid(x, self.pos_embed)
        return self.pos_drop(x + self.pos_embed), self.cls_token.expand(x.shape[0], -1, -1)

    def _run_final(self, x: Tokens) -> torch.Tensor:
        return self.norm(x[1])

    def _format_level(self, x: Tokens, index: int, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        # the final norm belongs to the class tokens: feature levels are the patch maps, never normalised
        return super()._format_level(x[0], index, False, output_fmt, input_hw)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised class (and distillation) tokens, (B, num_tokens, C)."""
        x = self._run_stem(x)
        x = self.transformers(x)
        return self._run_final(x)

    def forward_head_distilled(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Logits of the class head and of the distillation head, for training against a teacher."""
        if self.head_dist is None:
            raise RuntimeError('This PiT has no distillation head (use a *_distilled_* model).')
        return self.head(self.head_drop(x[:, 0])), self.head_dist(self.head_drop(x[:, 1]))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if self.head_dist is not None:
            if pre_logits:
                return (self.head_drop(x[:, 0]) + self.head_drop(x[:, 1])) / 2
            x_cls, x_dist = self.forward_head_distilled(x)
            return (x_cls + x_dist) / 2
        if self.global_pool == 'token':
            x = x[:, 0]
        x = self.head_drop(x)
        return x if pre_logits else self.head(x)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor],
                         model: PoolingVisionTransformer) -> Dict[str, torch.Tensor]:
    """Map the official naver-ai/pit layout (`pools.N.` -> `transformers.N+1.pool.`) and resample `pos_embed`."""
    out = {}
    for key, value in state_dict.items():
        if key.startswith('pools.'):
            index, rest = key[len('pools.'):].split('.', 1)
            key = f'transformers.{int(index) + 1}.pool.{rest}'
        if key == 'pos_embed' and value.shape != model.pos_embed.shape:
            grid = resample_abs_pos_embed_nhwc(value.permute(0, 2, 3, 1), model.grid_size, verbose=True)
            value = grid.permute(0, 3, 1, 2)
        out[key] = value
    return out


def _create_pit(variant: str, pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return build_model_with_cfg(PoolingVisionTransformer, variant, pretrained,
                                pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2), feature_cls='hook'),
                                **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), crop_pct=.9, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='patch_embed.conv', classifier='head', license='apache-2.0', paper_ids='arXiv:2103.16302')
    cfg.update(kwargs)
    return cfg


_DIST = dict(classifier=('head', 'head_dist'))

default_cfgs = generate_default_cfgs({
    'pit_ti_224.in1k': _cfg(),
    'pit_xs_224.in1k': _cfg(),
    'pit_s_224.in1k': _cfg(),
    'pit_b_224.in1k': _cfg(),
    'pit_ti_distilled_224.in1k': _cfg(**_DIST),
    'pit_xs_distilled_224.in1k': _cfg(**_DIST),
    'pit_s_distilled_224.in1k': _cfg(**_DIST),
    'pit_b_distilled_224.in1k': _cfg(**_DIST),
})

# (patch, stride, base_dims, depth, heads) per size (paper, table 2)
_B = dict(patch_size=14, stride=7, base_dims=(64, 64, 64), depth=(3, 6, 4), heads=(4, 8, 16), mlp_ratio=4)
_S = dict(patch_size=16, stride=8, base_dims=(48, 48, 48), depth=(2, 6, 4), heads=(3, 6, 12), mlp_ratio=4)
_XS = dict(patch_size=16, stride=8, base_dims=(48, 48, 48), depth=(2, 6, 4), heads=(2, 4, 8), mlp_ratio=4)
_TI = dict(patch_size=16, stride=8, base_dims=(32, 32, 32), depth=(2, 6, 4), heads=(2, 4, 8), mlp_ratio=4)


def _pit(variant: str, pretrained: bool, arch: Dict[str, Any], kwargs: Dict[str, Any],
         distilled: bool = False) -> PoolingVisionTransformer:
    return _create_pit(variant, pretrained, **dict(arch, distilled=distilled, **kwargs))


@register_model
def pit_b_224(pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return _pit('pit_b_224', pretrained, _B, kwargs)


@register_model
def pit_s_224(pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return _pit('pit_s_224', pretrained, _S, kwargs)


@register_model
def pit_xs_224(pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return _pit('pit_xs_224', pretrained, _XS, kwargs)


@register_model
def pit_ti_224(pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return _pit('pit_ti_224', pretrained, _TI, kwargs)


@register_model
def pit_b_distilled_224(pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return _pit('pit_b_distilled_224', pretrained, _B, kwargs, distilled=True)


@register_model
def pit_s_distilled_224(pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return _pit('pit_s_distilled_224', pretrained, _S, kwargs, distilled=True)


@register_model
def pit_xs_distilled_224(pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return _pit('pit_xs_distilled_224', pretrained, _XS, kwargs, distilled=True)


@register_model
def pit_ti_distilled_224(pretrained: bool = False, **kwargs) -> PoolingVisionTransformer:
    return _pit('pit_ti_distilled_224', pretrained, _TI, kwargs, distilled=True)
