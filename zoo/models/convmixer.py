"""ConvMixer: patch embedding followed by isotropic depthwise / pointwise conv mixing.

"Patches Are All You Need?", Trockman & Kolter, 2022 (arXiv:2201.09792). A stride-`patch_size` conv embeds patches;
each of the `depth` blocks mixes space with a residual depthwise kxk conv ("same" padding) and channels with a 1x1
conv, each conv followed by the activation and then BatchNorm (activation before norm, as in the paper). The
resolution never changes, so every block is a feature level at reduction `patch_size`.
"""
from typing import Any, Dict

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType, get_act_layer
from zoo.layers.classifier import create_classifier
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['ConvMixer']


class Residual(nn.Module):
    """`fn(x) + x` (keys `fn.*`, as in the paper's reference code)."""

    def __init__(self, fn: nn.Module):
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x) + x


def _conv_act_norm(conv: nn.Conv2d, act_layer: LayerType) -> list:
    return [conv, act_layer(), nn.BatchNorm2d(conv.out_channels)]


def mixer_block(dim: int, kernel_size: int, act_layer: LayerType) -> nn.Sequential:
    """Residual depthwise (spatial) mixing, then pointwise (channel) mixing."""
    spatial = Residual(nn.Sequential(*_conv_act_norm(
        nn.Conv2d(dim, dim, kernel_size, groups=dim, padding='same'), act_layer)))
    return nn.Sequential(spatial, *_conv_act_norm(nn.Conv2d(dim, dim, 1), act_layer))


class ConvMixer(ZooModel):
    """ConvMixer-`dim`/`depth`.

    Args:
        dim: width of the patch embedding and every block.
        depth: number of mixer blocks.
        kernel_size: kernel of the depthwise convs.
        patch_size: patch (and stride) of the embedding conv.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0) for unpooled maps.
        drop_rate: dropout before the classifier.
        act_layer: activation (GELU in the paper; ReLU for ConvMixer-768/32).
    """
    trunk = Trunk(stem=('stem',), levels='blocks')
    classifier_name = 'head'
    groups = dict(stem=r'^stem', blocks=r'^blocks\.(\d+)')

    def __init__(
            self,
            dim: int,
            depth: int,
            kernel_size: int = 9,
            patch_size: int = 7,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            drop_rate: float = 0.,
            act_layer: LayerType = nn.GELU,
    ):
        super().__init__()
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.num_features = dim
        self.stem = nn.Sequential(*_conv_act_norm(
            nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size), act_layer))
        self.blocks = nn.Sequential(*[mixer_block(dim, kernel_size, act_layer) for _ in range(depth)])
        self.feature_info = [dict(num_chs=dim, reduction=patch_size, module=f'blocks.{i}') for i in range(depth)]
        self.global_pool, self.head_drop, self.head = create_classifier(dim, num_classes, global_pool,
                                                                        drop_rate=drop_rate)
        self.head_hidden_size = dim * self.global_pool.feat_mult()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.stem(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.global_pool(x))
        return x if pre_logits else self.head(x)


def _create_convmixer(variant: str, pretrained: bool = False, **kwargs: Any) -> ConvMixer:
    # features_only defaults to the last three blocks (an isotropic net has no stages to pick)
    return build_model_with_cfg(ConvMixer, variant, pretrained, feature_cfg=dict(out_indices=3, feature_cls='getter'),
                                **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', pool_size=None, crop_pct=.96, interpolation='bicubic', first_conv='stem.0',
               classifier='head', license='mit', paper_name='Patches Are All You Need?', paper_ids='arXiv:2201.09792',
               origin_url='https://github.com/locuslab/convmixer')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'convmixer_1536_20.in1k': _cfg(),
    'convmixer_768_32.in1k': _cfg(),
    'convmixer_1024_20_ks9_p14.in1k': _cfg(),
})


def _convmixer(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> ConvMixer:
    return _create_convmixer(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def convmixer_1536_20(pretrained: bool = False, **kwargs) -> ConvMixer:
    return _convmixer('convmixer_1536_20', pretrained, dict(dim=1536, depth=20, kernel_size=9, patch_size=7), kwargs)


@register_model
def convmixer_768_32(pretrained: bool = False, **kwargs) -> ConvMixer:
    return _convmixer('convmixer_768_32', pretrained,
                      dict(dim=768, depth=32, kernel_size=7, patch_size=7, act_layer=nn.ReLU), kwargs)


@register_model
def convmixer_1024_20_ks9_p14(pretrained: bool = False, **kwargs) -> ConvMixer:
    return _convmixer('convmixer_1024_20_ks9_p14', pretrained,
                      dict(dim=1024, depth=20, kernel_size=9, patch_size=14), kwargs)
