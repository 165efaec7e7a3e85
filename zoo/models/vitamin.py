"""ViTamin: a convolutional front end (two MBConv stages) feeding a plain ViT stage with GeGLU MLPs.

Paper: "ViTamin: Designing Scalable Vision Models in the Vision-Language Era", Chen et al., CVPR 2024
(arXiv:2404.02132). The image goes through a stride-2 conv stem, two stages of pre-LayerNorm inverted-bottleneck
(MBConv) blocks that each halve the map, and a LayerNorm + strided 3x3 conv to the token width (total stride 16).
Every feature pixel is one token (1x1 patches, no projection) for a ViT whose MLPs are GeGLU with their own input
LayerNorm (section 3 of the paper). Weights are CLIP image towers trained on DataComp-1B; `num_classes` of the
pretrained cfgs is the CLIP embedding width.

Everything after the convolutional embedding is zoo's `VisionTransformer` (`HybridEmbed` runs the conv stages), so
these models have the ViT API: dynamic input size, `set_input_size`, intermediates, position-embedding resampling
on load. Keys follow the published checkpoints (`patch_embed.backbone.{stem,stages,pool}`, `blocks.N.mlp.{norm,w0,
w1,w2}`).

Deviation from timm: timm builds `vitamin_xlarge_336` under the name `vitamin_xlarge_256`, so its pretrained cfg
(and the weights it would load) are the 256 px ones; here `vitamin_xlarge_336` uses its own 336 px cfg.
"""
from functools import partial
from typing import Any, Dict, Sequence

import torch
import torch.nn as nn

from zoo.constants import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD
from zoo.layers import DropPath, LayerNorm
from zoo.layers.helpers import make_divisible
from zoo.layers.norm import LayerNorm2d
from zoo.layers.norm_act_channel import LayerNormAct2d
from zoo.layers.weight_init import he_group_fan_out_, init_by_type_
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.maxxvit import Downsample2d
from zoo.models.vision_transformer import VisionTransformer
from zoo.models.vision_transformer_hybrid import _create_vision_transformer_hybrid

__all__ = ['MbConvStages', 'MbConvLNBlock', 'GeGluMlp']


class MbConvLNBlock(nn.Module):
    """Pre-LayerNorm inverted bottleneck: LN -> 1x1 expand -> GELU -> kxk depthwise (strided) -> GELU -> 1x1.

    Args:
        in_chs: input channels.
        out_chs: output channels; the hidden width is `expand_ratio * out_chs`.
        stride: 1, or 2 to halve the map (the shortcut then average-pools 3x3 and widens with a 1x1 conv).
        kernel_size: depthwise kernel.
        expand_ratio: hidden width / output width.
        drop_path: stochastic depth rate.
    """

    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, kernel_size: int = 3, expand_ratio: float = 4.,
                 drop_path: float = 0.):
        super().__init__()
        mid_chs = make_divisible(out_chs * expand_ratio)
        if stride == 2:
            self.shortcut = Downsample2d(in_chs, out_chs, pool_type='avg')
        elif in_chs != out_chs:
            self.shortcut = nn.Conv2d(in_chs, out_chs, 1)
        else:
            self.shortcut = nn.Identity()
        self.pre_norm = LayerNormAct2d(in_chs, eps=1e-6, apply_act=False)
        self.down = nn.Identity()  # kept for the checkpoint layout: the depthwise conv does the striding
        self.conv1_1x1 = nn.Conv2d(in_chs, mid_chs, 1)
        self.act1 = nn.GELU()
        self.conv2_kxk = nn.Conv2d(mid_chs, mid_chs, kernel_size, stride=stride, padding=kernel_size // 2,
                                   groups=mid_chs)
        self.act2 = nn.GELU()
        self.conv3_1x1 = nn.Conv2d(mid_chs, out_chs, 1)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.shortcut(x)
        x = self.act1(self.conv1_1x1(self.down(self.pre_norm(x))))
        x = self.conv3_1x1(self.act2(self.conv2_kxk(x)))
        return self.drop_path(x) + shortcut


class ConvStem(nn.Module):
    """Stride-2 3x3 conv -> LayerNorm + GELU -> 3x3 conv."""

    def __init__(self, in_chs: int, out_chs: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chs, out_chs, 3, stride=2, padding=1)
        self.norm1 = LayerNormAct2d(out_chs, eps=1e-6, act_layer=nn.GELU)
        self.conv2 = nn.Conv2d(out_chs, out_chs, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.norm1(self.conv1(x)))


class StridedConv(nn.Module):
    """LayerNorm over channels, then a strided conv to the token width (the last downsampling before the ViT)."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 3, stride: int = 2):
        super().__init__()
        self.norm = LayerNorm2d(in_chs, eps=1e-6)
        self.proj = nn.Conv2d(in_chs, out_chs, kernel_size, stride=stride, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.norm(x))


class MbConvStages(nn.Module):
    """The convolutional front end: stem, MBConv stages (each starts with a stride-2 block), strided conv to tokens.

    Args:
        widths: channels of each MBConv stage, then the token width.
        depths: blocks per MBConv stage.
        stem_width: stem channels.
        in_chans: input image channels.
    """
    grad_checkpointing = checkpoint_flag('stages')

    def __init__(self, widths: Sequence[int], depths: Sequence[int], stem_width: int, in_chans: int = 3):
        super().__init__()
        *stage_widths, out_chs = widths
        if len(depths) < len(stage_widths):
            raise ValueError(f'MbConvStages needs a depth for each of the {len(stage_widths)} MBConv stages, '
                             f'got {tuple(depths)}.')
        self.stem = ConvStem(in_chans, stem_width)
        stages, prev = [], stem_width
        for width, depth in zip(stage_widths, depths):
            stages.append(nn.Sequential(*[MbConvLNBlock(prev if i == 0 else width, width, stride=2 if i == 0 else 1)
                                          for i in range(depth)]))
            prev = width
        self.stages = CheckpointSequential(*stages)
        self.pool = StridedConv(prev, out_chs)
        self.init_weights()

    def init_weights(self) -> None:
        # the MBConv recipe of the convolutional stages: He-normal over one group's fan-out, zero bias
        init_by_type_(self, [(nn.Conv2d, he_group_fan_out_)])

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        self.grad_checkpointing = enable

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.stages(self.stem(x)))


class GeGluMlp(nn.Module):
    """LayerNorm, then `act(w0 x) * (w1 x)` (GeGLU with GELU), then w2.

    "GLU Variants Improve Transformer", Shazeer, 2020 (arXiv:2002.05202). The input norm sits inside the MLP (on top
    of the block's own pre-norm), as in the ViTamin checkpoints.

    Args:
        in_features: input (and output) width.
        hidden_features: gated hidden width.
        act_layer: gate activation class.
        norm_layer: input norm factory; LayerNorm (eps 1e-6) when None.
        bias: bias of the three linears.
        drop: dropout after gating and after w2.
    """

    def __init__(self, in_features: int, hidden_features: int, act_layer: type = nn.GELU, norm_layer: Any = None,
                 bias: bool = True, drop: float = 0.):
        super().__init__()
        self.norm = (norm_layer or LayerNorm)(in_features)
        self.w0 = nn.Linear(in_features, hidden_features, bias=bias)
        self.act = act_layer()
        self.w1 = nn.Linear(in_features, hidden_features, bias=bias)
        self.drop1 = nn.Dropout(drop)
        self.w2 = nn.Linear(hidden_features, in_features, bias=bias)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x)
        x = self.drop1(self.act(self.w0(x)) * self.w1(x))
        return self.drop2(self.w2(x))


# MBConv stage widths + token width, ViT depth and heads of each size; every size has a stem as wide as its first
# stage, two MBConv stages of 2 and 4 blocks, and GeGLU MLPs twice the token width
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    small=dict(widths=(64, 128, 384), depth=14, num_heads=6),
    base=dict(widths=(128, 256, 768), depth=14, num_heads=12),
    large=dict(widths=(160, 320, 1024), depth=31, num_heads=16),
    xlarge=dict(widths=(192, 384, 1152), depth=32, num_heads=16, pos_embed='none'),
)


def _create_vitamin(variant: str, pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    # names read vitamin_<size>_<img_size>; large2 is large with another CLIP head width
    _, size, img_size = variant.split('_')
    kwargs.setdefault('img_size', int(img_size))
    arch = dict(_ARCHS[size.rstrip('2')])
    widths = arch.pop('widths')
    backbone = partial(_vitamin_backbone, widths)
    model_args = dict(embed_dim=widths[-1], mlp_layer=GeGluMlp, mlp_ratio=2., class_token=False, global_pool='avg',
                      **arch)
    return _create_vision_transformer_hybrid(variant, backbone, pretrained, embed_args=dict(proj=False),
                                             **dict(model_args, **kwargs))


def _vitamin_backbone(widths: Sequence[int], in_chans: int = 3) -> MbConvStages:
    return MbConvStages(widths, depths=(2, 4), stem_width=widths[0], in_chans=in_chans)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(num_classes=1000, input_size=(3, 224, 224), pool_size=None, crop_pct=0.9, interpolation='bicubic',
               fixed_input_size=True, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD,
               first_conv='patch_embed.backbone.stem.conv1', classifier='head', license='mit')
    cfg.update(kwargs)
    return cfg


def _cfg_hi(size: int, **kwargs: Any) -> Dict[str, Any]:
    return _cfg(input_size=(3, size, size), crop_pct=1.0, **kwargs)


# CLIP towers from the authors' Hub repositories; num_classes is the width of the CLIP embedding head
default_cfgs = generate_default_cfgs({
    'vitamin_small_224.datacomp1b_clip_ltt': _cfg(hf_hub_id='jienengchen/ViTamin-S-LTT', num_classes=768),
    'vitamin_small_224.datacomp1b_clip': _cfg(hf_hub_id='jienengchen/ViTamin-S', num_classes=384),
    'vitamin_base_224.datacomp1b_clip_ltt': _cfg(hf_hub_id='jienengchen/ViTamin-B-LTT', num_classes=768),
    'vitamin_base_224.datacomp1b_clip': _cfg(hf_hub_id='jienengchen/ViTamin-B', num_classes=768),
    'vitamin_large_224.datacomp1b_clip': _cfg(hf_hub_id='jienengchen/ViTamin-L-224px', num_classes=768),
    'vitamin_large_256.datacomp1b_clip': _cfg_hi(256, hf_hub_id='jienengchen/ViTamin-L-256px', num_classes=768),
    'vitamin_large_336.datacomp1b_clip': _cfg_hi(336, hf_hub_id='jienengchen/ViTamin-L-336px', num_classes=768),
    'vitamin_large_384.datacomp1b_clip': _cfg_hi(384, hf_hub_id='jienengchen/ViTamin-L-384px', num_classes=768),
    'vitamin_large2_224.datacomp1b_clip': _cfg(hf_hub_id='jienengchen/ViTamin-L2-224px', num_classes=1024),
    'vitamin_large2_256.datacomp1b_clip': _cfg_hi(256, hf_hub_id='jienengchen/ViTamin-L2-256px', num_classes=1024),
    'vitamin_large2_336.datacomp1b_clip': _cfg_hi(336, hf_hub_id='jienengchen/ViTamin-L2-336px', num_classes=1024),
    'vitamin_large2_384.datacomp1b_clip': _cfg_hi(384, hf_hub_id='jienengchen/ViTamin-L2-384px', num_classes=1024),
    'vitamin_xlarge_256.datacomp1b_clip': _cfg_hi(256, hf_hub_id='jienengchen/ViTamin-XL-256px', num_classes=1152),
    'vitamin_xlarge_336.datacomp1b_clip': _cfg_hi(336, hf_hub_id='jienengchen/ViTamin-XL-336px', num_classes=1152),
    'vitamin_xlarge_384.datacomp1b_clip': _cfg_hi(384, hf_hub_id='jienengchen/ViTamin-XL-384px', num_classes=1152),
})


@register_model
def vitamin_small_224(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_small_224', pretrained, **kwargs)


@register_model
def vitamin_base_224(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_base_224', pretrained, **kwargs)


@register_model
def vitamin_large_224(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_large_224', pretrained, **kwargs)


@register_model
def vitamin_large_256(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_large_256', pretrained, **kwargs)


@register_model
def vitamin_large_336(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_large_336', pretrained, **kwargs)


@register_model
def vitamin_large_384(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_large_384', pretrained, **kwargs)


@register_model
def vitamin_large2_224(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    """The same network as vitamin_large_224; its weights have a 1024-wide CLIP head."""
    return _create_vitamin('vitamin_large2_224', pretrained, **kwargs)


@register_model
def vitamin_large2_256(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_large2_256', pretrained, **kwargs)


@register_model
def vitamin_large2_336(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_large2_336', pretrained, **kwargs)


@register_model
def vitamin_large2_384(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_large2_384', pretrained, **kwargs)


@register_model
def vitamin_xlarge_256(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    """ViTamin-XL: no absolute position embedding (the conv front end gives the tokens their position)."""
    return _create_vitamin('vitamin_xlarge_256', pretrained, **kwargs)


@register_model
def vitamin_xlarge_336(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_xlarge_336', pretrained, **kwargs)


@register_model
def vitamin_xlarge_384(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    return _create_vitamin('vitamin_xlarge_384', pretrained, **kwargs)
