"""SHViT: single-head vision transformers with a memory-efficient macro design.

Paper: "SHViT: Single-Head Vision Transformer with Memory Efficient Macro Design", Yun & Ro, CVPR 2024
(arXiv:2401.16456).

The macro design (section 3) is EfficientViT-M's: a 16x patchify stem, three stages joined by inverted-residual patch
merging with squeeze-excitation wrapped in residual depthwise conv + FFN pairs, and blocks of residual depthwise conv
-> token mixer -> FFN. The first stage has no attention. The token mixer is single-head self-attention (SHSA, section
4): only the first `partial_dim` channels are normalised (GroupNorm with one group), attended to by one head with
`qk_dim`-channel queries / keys, and concatenated back with the untouched channels before an activated projection,
which removes the redundancy of many heads and the memory traffic of full-width attention.
"""
from typing import Any, Dict, Sequence

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers.attention import attend
from zoo.layers.classifier import create_classifier
from zoo.layers.norm import GroupNorm1
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import BatchNormLinear
from zoo.models.efficientvit_msra import ConvMlp, PatchMerging, PooledClassifierMixin, Residual, dw_ffn
from zoo.models.repvit import ConvNorm

__all__ = ['SHViT', 'SHSA', 'checkpoint_filter_fn']


class SHSA(nn.Module):
    """Single-head self-attention on the first `pdim` channels; the rest pass through to the projection.

    Args:
        dim: channels.
        qk_dim: query / key channels.
        pdim: attended channels (values keep this width).
    """

    def __init__(self, dim: int, qk_dim: int, pdim: int):
        super().__init__()
        self.dim, self.qk_dim, self.pdim = dim, qk_dim, pdim
        self.pre_norm = GroupNorm1(pdim)
        self.qkv = ConvNorm(pdim, 2 * qk_dim + pdim)
        self.proj = nn.Sequential(nn.ReLU(), ConvNorm(dim, dim, bn_weight_init=0.))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        x1, x2 = x.split([self.pdim, self.dim - self.pdim], dim=1)
        qkv = self.qkv(self.pre_norm(x1)).flatten(2).transpose(1, 2)  # (B, N, channels)
        q, k, v = qkv.split([self.qk_dim, self.qk_dim, self.pdim], dim=-1)
        x1 = attend(q, k, v)  # the default 1 / sqrt(qk_dim) scale
        x1 = x1.transpose(1, 2).reshape(b, self.pdim, h, w)
        return self.proj(torch.cat([x1, x2], dim=1))


class BasicBlock(nn.Module):
    """Residual depthwise conv -> residual SHSA (stages after the first) -> residual FFN."""

    def __init__(self, dim: int, qk_dim: int, pdim: int, attention: bool):
        super().__init__()
        self.conv = Residual(ConvNorm(dim, dim, 3, groups=dim, bn_weight_init=0.))
        self.mixer = Residual(SHSA(dim, qk_dim, pdim)) if attention else nn.Identity()
        self.ffn = Residual(ConvMlp(dim, dim * 2, ConvNorm))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffn(self.mixer(self.conv(x)))


class StageBlock(nn.Module):
    """Optional downsampling (dw/FFN pair, patch merging, dw/FFN pair as one flat Sequential), then blocks."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, prev_dim: int, dim: int, qk_dim: int, pdim: int, attention: bool, depth: int):
        super().__init__()
        if prev_dim != dim:
            self.downsample: nn.Module = nn.Sequential(
                *dw_ffn(prev_dim, ConvNorm), PatchMerging(prev_dim, dim, ConvNorm), *dw_ffn(dim, ConvNorm))
        else:
            self.downsample = nn.Identity()
        self.blocks = CheckpointSequential(*[BasicBlock(dim, qk_dim, pdim, attention) for _ in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class SHViT(PooledClassifierMixin, ZooModel):
    """SHViT: stride-16 conv stem, three stages, average pooling and a BN-linear head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 leaves pooled features.
        global_pool: pooling before the classifier ('' keeps maps from `forward_head(pre_logits=True)`).
        embed_dim: width of each stage.
        partial_dim: attended channels per stage.
        qk_dim: query / key channels per stage.
        depth: blocks per stage.
        types: 'i' (no attention) or 's' (SHSA) per stage.
        drop_rate: dropout before the classifier.
    """
    trunk = Trunk(stem=('patch_embed',), levels='stages')
    classifier_name = 'head.l'
    groups = dict(
        stem=r'^patch_embed',
        blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None)],
        coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dim: Sequence[int] = (128, 256, 384),
            partial_dim: Sequence[int] = (32, 64, 96),
            qk_dim: Sequence[int] = (16, 16, 16),
            depth: Sequence[int] = (1, 2, 3),
            types: Sequence[str] = ('s', 's', 's'),
            drop_rate: float = 0.,
    ):
        super().__init__()
        if any(t not in ('i', 's') for t in types):
            raise ValueError(f"SHViT stage types are 'i' (no attention) or 's' (single-head attention), got {types}.")
        self.num_classes = check_num_classes(num_classes)
        self._check_head_pool(global_pool, num_classes)
        self.drop_rate = drop_rate
        e0 = embed_dim[0]
        widths = (in_chans, e0 // 8, e0 // 4, e0 // 2, e0)
        stem = []
        for i in range(4):
            stem += [ConvNorm(widths[i], widths[i + 1], 3, stride=2)] + ([nn.ReLU()] if i < 3 else [])
        self.patch_embed = nn.Sequential(*stem)
        stages, self.feature_info = [], []
        prev, stride = e0, 16
        for i, (dim, pdim, qk, d, t) in enumerate(zip(embed_dim, partial_dim, qk_dim, depth, types)):
            stages.append(StageBlock(prev, dim, qk, pdim, t == 's', d))
            stride *= 2 if prev != dim else 1
            self.feature_info.append(dict(num_chs=dim, reduction=stride, module=f'stages.{i}'))
            prev = dim
        self.stages = nn.Sequential(*stages)
        self.num_features = self.head_hidden_size = prev
        self.global_pool, _ = create_classifier(prev, 0, pool_type=global_pool)
        self.drop_pooled = nn.Dropout(drop_rate)
        self.head: nn.Module = self._classifier(prev, num_classes) if num_classes > 0 else nn.Identity()

    def _classifier(self, in_features: int, num_classes: int) -> nn.Module:
        return BatchNormLinear(in_features, num_classes, linear_key='l')

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.patch_embed(x))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: SHViT) -> Dict[str, torch.Tensor]:
    """The released checkpoints already have this layout; only unwrap a training checkpoint's 'model' entry."""
    return state_dict['model'] if isinstance(state_dict.get('model'), dict) else state_dict


def _create_shvit(variant: str, pretrained: bool = False, **kwargs: Any) -> SHViT:
    return build_model_with_cfg(SHViT, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(4, 4),
               fixed_input_size=False, crop_pct=.875, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN,
               std=IMAGENET_DEFAULT_STD, first_conv='patch_embed.0.c', classifier='head.l', license='mit',
               origin_url='https://github.com/ysj9909/SHViT',
               paper_name='SHViT: Single-Head Vision Transformer with Memory Efficient Macro Design',
               paper_ids='arXiv:2401.16456')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'shvit_s1.in1k': _cfg(),
    'shvit_s2.in1k': _cfg(),
    'shvit_s3.in1k': _cfg(),
    'shvit_s4.in1k': _cfg(input_size=(3, 256, 256)),
})

# (embed_dim, depth, partial_dim) of each model (paper table 6); the first stage has no attention
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    shvit_s1=dict(embed_dim=(128, 224, 320), depth=(2, 4, 5), partial_dim=(32, 48, 68)),
    shvit_s2=dict(embed_dim=(128, 308, 448), depth=(2, 4, 5), partial_dim=(32, 66, 96)),
    shvit_s3=dict(embed_dim=(192, 352, 448), depth=(3, 5, 5), partial_dim=(48, 75, 96)),
    shvit_s4=dict(embed_dim=(224, 336, 448), depth=(4, 7, 6), partial_dim=(48, 72, 96)),
)


def _shvit(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> SHViT:
    return _create_shvit(variant, pretrained, **dict(dict(_ARCHS[variant], types=('i', 's', 's')), **kwargs))


@register_model
def shvit_s1(pretrained: bool = False, **kwargs) -> SHViT:
    return _shvit('shvit_s1', pretrained, kwargs)


@register_model
def shvit_s2(pretrained: bool = False, **kwargs) -> SHViT:
    return _shvit('shvit_s2', pretrained, kwargs)


@register_model
def shvit_s3(pretrained: bool = False, **kwargs) -> SHViT:
    return _shvit('shvit_s3', pretrained, kwargs)


@register_model
def shvit_s4(pretrained: bool = False, **kwargs) -> SHViT:
    return _shvit('shvit_s4', pretrained, kwargs)
