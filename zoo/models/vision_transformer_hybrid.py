"""Hybrid Vision Transformers: a CNN computes the feature map whose patches become the transformer's tokens.

Papers:
- ViT hybrids: "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale", Dosovitskiy et al.,
  2020 (arXiv:2010.11929), section 3.1 "Hybrid Architecture". The backbone is a post-activation ResNet-V2 with
  GroupNorm, weight-standardised convs and TF 'SAME' padding (R50: stages of 3, 4, 9 blocks, stride 16; R26: 2, 2,
  2, 2, stride 32; "R_Ti": the stem alone, stride 4, with 8 x 8 patches).
- AugReg weights: "How to train your ViT?", Steiner et al., 2021 (arXiv:2106.10270).
- MobileCLIP image tower (`vit_base_mci_224`): "MobileCLIP: Fast Image-Text Models through Multi-Modal Reinforced
  Training", Vasu et al., 2023 (arXiv:2311.17049): a three-conv stride-16 stem whose output already has the token
  width (no patch projection).
- `vit_*_resnet26d/50d_*`: timm's untrained experiments with a ResNet-D (v1.5) trunk.

Everything after the embedding is `VisionTransformer`; `HybridEmbed` runs the backbone and projects its feature map,
so these models share the ViT API (dynamic size, set_input_size, intermediates, checkpoint resampling).
Deviation from timm: the ResNet-D backbones are never loaded with ImageNet weights by the factory (timm passes
`pretrained` to them, and then finds no hybrid weights); the hybrid's own checkpoint covers the backbone.
"""
from functools import partial
from typing import Any, Callable, Dict, Optional, Sequence

import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.hybrid_embed import HybridEmbed
from zoo.layers.norm_act import GroupNormAct
from zoo.layers.std_conv import StdConv2dSame
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.resnet import resnet26d, resnet50d
from zoo.models.resnetv2 import ResNetV2, create_resnetv2_stem
from zoo.models.vision_transformer import VisionTransformer, checkpoint_filter_fn

__all__ = ['ConvStem']

# the JAX-trained hybrid stems standardise weights with eps 1e-8 and pad like TF
_SAME_STD_CONV = partial(StdConv2dSame, eps=1e-8)


class ConvStem(nn.Sequential):
    """A stack of strided conv + BatchNorm + activation layers; the last conv has a bias and no norm / activation.

    Args:
        in_chans: input channels.
        channels: output channels of each conv.
        kernel_size: kernel of each conv.
        stride: stride of each conv.
        padding: padding of each conv (a number or a spec such as '' / 'same').
        act_layer: activation after each but the last conv.
    """

    def __init__(self, in_chans: int, channels: Sequence[int], kernel_size: Sequence[int], stride: Sequence[int],
                 padding: Any = 0, act_layer: type = nn.ReLU):
        super().__init__()
        if not len(channels) == len(kernel_size) == len(stride):
            raise ValueError('ConvStem needs one channel count, kernel size and stride per conv.')
        for i, (out_chs, k, s) in enumerate(zip(channels, kernel_size, stride)):
            last = i == len(channels) - 1
            layer = ConvNormAct(in_chans, out_chs, k, stride=s, padding=padding, bias=last, act_layer=act_layer)
            if last:
                layer.bn = nn.Identity()  # the last conv feeds the tokens directly
            self.add_module(str(i), layer)
            in_chans = out_chs


def _resnetv2_backbone(layers: Sequence[int], in_chans: int = 3) -> nn.Module:
    """The post-activation ResNet-V2 of the ViT hybrids; no stages means the stride-4 stem alone."""
    if not layers:
        return create_resnetv2_stem(in_chans, stem_type='same', preact=False, conv_layer=_SAME_STD_CONV,
                                    norm_layer=GroupNormAct)
    return ResNetV2(layers, num_classes=0, global_pool='', in_chans=in_chans, preact=False, stem_type='same',
                    conv_layer=_SAME_STD_CONV)


def _resnet_backbone(factory: Any, out_index: int, in_chans: int = 3) -> nn.Module:
    """A ResNet(-D) trunk cut after feature level `out_index` (3: stride 16, 4: stride 32), without its head."""
    backbone = factory(in_chans=in_chans, num_classes=0, global_pool='')
    backbone.prune_intermediate_layers([out_index], prune_head=True)
    return backbone


def _hybrid_embed(backbone_fn: Callable[[int], nn.Module], **embed_args: Any) -> Callable[..., HybridEmbed]:
    """An `embed_layer` for VisionTransformer that builds the backbone for the model's `in_chans` during the model's
    construction, so bad arguments are refused by the builder's checks before any backbone is made."""
    def make(in_chans: int = 3, **kwargs: Any) -> HybridEmbed:
        return HybridEmbed(backbone_fn(in_chans), in_chans=in_chans, **embed_args, **kwargs)
    return make


def _create_vision_transformer_hybrid(variant: str, backbone_fn: Callable[[int], nn.Module], pretrained: bool = False,
                                      embed_args: Optional[Dict[str, Any]] = None, **kwargs) -> VisionTransformer:
    kwargs.setdefault('embed_layer', _hybrid_embed(backbone_fn, **(embed_args or {})))
    kwargs.setdefault('patch_size', 1)  # the backbone already reduced the image: each feature pixel is a token
    # timm's features_only default for ViTs is the last three blocks
    return build_model_with_cfg(VisionTransformer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _hybrid(variant: str, pretrained: bool, backbone_fn: Callable[[int], nn.Module], model_args: Dict[str, Any],
            kwargs: Dict[str, Any], **create_args: Any) -> VisionTransformer:
    return _create_vision_transformer_hybrid(variant, backbone_fn, pretrained, **create_args,
                                             **dict(model_args, **kwargs))


def _hcfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), fixed_input_size=True, crop_pct=0.9,
               interpolation='bicubic', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
               first_conv='patch_embed.backbone.stem.conv', classifier='head', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the published weights; the first tag of an architecture is its default.
default_cfgs = generate_default_cfgs({
    'vit_tiny_r_s16_p8_224.augreg_in21k_ft_in1k': _hcfg(first_conv='patch_embed.backbone.conv'),
    'vit_tiny_r_s16_p8_224.augreg_in21k': _hcfg(num_classes=21843, first_conv='patch_embed.backbone.conv'),
    'vit_tiny_r_s16_p8_384.augreg_in21k_ft_in1k': _hcfg(input_size=(3, 384, 384), crop_pct=1.0, first_conv='patch_embed.backbone.conv'),
    'vit_small_r26_s32_224.augreg_in21k_ft_in1k': _hcfg(),
    'vit_small_r26_s32_224.augreg_in21k': _hcfg(num_classes=21843),
    'vit_small_r26_s32_384.augreg_in21k_ft_in1k': _hcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_r26_s32_224.untrained': _hcfg(hf_hub_id=None),
    'vit_base_r50_s16_384.orig_in21k_ft_in1k': _hcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_large_r50_s32_224.augreg_in21k_ft_in1k': _hcfg(),
    'vit_large_r50_s32_224.augreg_in21k': _hcfg(num_classes=21843),
    'vit_large_r50_s32_384.augreg_in21k_ft_in1k': _hcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_r50_s16_224.orig_in21k': _hcfg(num_classes=0),
    'vit_small_resnet26d_224.untrained': _hcfg(hf_hub_id=None, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='patch_embed.backbone.conv1.0'),
    'vit_small_resnet50d_s16_224.untrained': _hcfg(hf_hub_id=None, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='patch_embed.backbone.conv1.0'),
    'vit_base_resnet26d_224.untrained': _hcfg(hf_hub_id=None, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='patch_embed.backbone.conv1.0'),
    'vit_base_resnet50d_224.untrained': _hcfg(hf_hub_id=None, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='patch_embed.backbone.conv1.0'),
    'vit_base_mci_224.apple_mclip_lt': _hcfg(hf_hub_id='apple/mobileclip_b_lt_timm', num_classes=512, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), first_conv='patch_embed.backbone.0.conv', license='apple-amlr'),
    'vit_base_mci_224.apple_mclip': _hcfg(hf_hub_id='apple/mobileclip_b_timm', num_classes=512, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), first_conv='patch_embed.backbone.0.conv', license='apple-amlr'),
    'vit_base_mci_224.apple_mclip2_dfndr2b': _hcfg(num_classes=512, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), first_conv='patch_embed.backbone.0.conv', license='apple-amlr'),
})


@register_model
def vit_tiny_r_s16_p8_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """R+Ti/16: the ResNet stem (stride 4) then 8 x 8 patches."""
    backbone = partial(_resnetv2_backbone, ())
    return _hybrid('vit_tiny_r_s16_p8_224', pretrained, backbone,
                   dict(patch_size=8, embed_dim=192, depth=12, num_heads=3), kwargs)


@register_model
def vit_tiny_r_s16_p8_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnetv2_backbone, ())
    return _hybrid('vit_tiny_r_s16_p8_384', pretrained, backbone,
                   dict(patch_size=8, embed_dim=192, depth=12, num_heads=3), kwargs)


@register_model
def vit_small_r26_s32_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """R26+S/32."""
    backbone = partial(_resnetv2_backbone, (2, 2, 2, 2))
    return _hybrid('vit_small_r26_s32_224', pretrained, backbone, dict(embed_dim=384, depth=12, num_heads=6), kwargs)


@register_model
def vit_small_r26_s32_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnetv2_backbone, (2, 2, 2, 2))
    return _hybrid('vit_small_r26_s32_384', pretrained, backbone, dict(embed_dim=384, depth=12, num_heads=6), kwargs)


@register_model
def vit_base_r26_s32_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnetv2_backbone, (2, 2, 2, 2))
    return _hybrid('vit_base_r26_s32_224', pretrained, backbone, dict(embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_base_r50_s16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """R50+ViT-B/16 (the paper's hybrid; its ResNet-50 has 3 stages, stride 16)."""
    backbone = partial(_resnetv2_backbone, (3, 4, 9))
    return _hybrid('vit_base_r50_s16_224', pretrained, backbone, dict(embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_base_r50_s16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnetv2_backbone, (3, 4, 9))
    return _hybrid('vit_base_r50_s16_384', pretrained, backbone, dict(embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_large_r50_s32_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """R50+L/32."""
    backbone = partial(_resnetv2_backbone, (3, 4, 6, 3))
    return _hybrid('vit_large_r50_s32_224', pretrained, backbone, dict(embed_dim=1024, depth=24, num_heads=16),
                   kwargs)


@register_model
def vit_large_r50_s32_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnetv2_backbone, (3, 4, 6, 3))
    return _hybrid('vit_large_r50_s32_384', pretrained, backbone, dict(embed_dim=1024, depth=24, num_heads=16),
                   kwargs)


@register_model
def vit_small_resnet26d_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnet_backbone, resnet26d, 4)
    return _hybrid('vit_small_resnet26d_224', pretrained, backbone,
                   dict(embed_dim=768, depth=8, num_heads=8, mlp_ratio=3), kwargs)


@register_model
def vit_small_resnet50d_s16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnet_backbone, resnet50d, 3)
    return _hybrid('vit_small_resnet50d_s16_224', pretrained, backbone,
                   dict(embed_dim=768, depth=8, num_heads=8, mlp_ratio=3), kwargs)


@register_model
def vit_base_resnet26d_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnet_backbone, resnet26d, 4)
    return _hybrid('vit_base_resnet26d_224', pretrained, backbone, dict(embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_base_resnet50d_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    backbone = partial(_resnet_backbone, resnet50d, 4)
    return _hybrid('vit_base_resnet50d_224', pretrained, backbone, dict(embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_base_mci_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """MobileCLIP-B image tower: a 4-2-2 strided conv stem straight to 768-wide tokens."""
    backbone = partial(ConvStem, channels=(192, 192, 768), kernel_size=(4, 2, 2), stride=(4, 2, 2), padding=0,
                       act_layer=nn.GELU)
    return _hybrid('vit_base_mci_224', pretrained, backbone,
                   dict(embed_dim=768, depth=12, num_heads=12, no_embed_class=True), kwargs,
                   embed_args=dict(proj=False))
