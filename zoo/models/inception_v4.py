"""Inception-v4.

"Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning", Szegedy et al., 2016
(arXiv:1602.07261), figures 3-9: a stem of unpadded convs whose reductions run a strided conv and a max-pool side by
side (Mixed 3a / 4a / 5a), then 4 x Inception-A (35x35), Reduction-A, 7 x Inception-B (17x17, factorised 7x7),
Reduction-B and 3 x Inception-C (8x8, split 1x3 / 3x1 ends). Conv + BatchNorm (epsilon 1e-3) + ReLU throughout;
average pools exclude the zero padding. The whole trunk is one `features` Sequential, as in the TF-ported weights.
"""

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers.branches import ConcatBranches, conv_chain, tf_conv_bn
from zoo.layers.classifier import create_classifier
from zoo.models._base import Trunk, ZooModel, check_num_classes, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['InceptionV4']

_ROW7, _COL7 = dict(kernel_size=(1, 7), padding=(0, 3)), dict(kernel_size=(7, 1), padding=(3, 0))


def _pool_proj(in_chs: int, out_chs: int) -> nn.Sequential:
    return nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), tf_conv_bn(in_chs, out_chs, 1))


class Mixed3a(ConcatBranches):
    """Stem reduction: strided 3x3 max-pool | strided 3x3 conv (64 -> 160)."""
    branch_names = ('maxpool', 'conv')

    def __init__(self):
        super().__init__()
        self.maxpool = nn.MaxPool2d(3, stride=2)
        self.conv = tf_conv_bn(64, 96, 3, stride=2)


class Mixed4a(ConcatBranches):
    """Stem: 1x1 -> 3x3 | 1x1 -> 1x7 -> 7x1 -> 3x3, both unpadded at the end (160 -> 192)."""
    branch_names = ('branch0', 'branch1')

    def __init__(self):
        super().__init__()
        self.branch0 = conv_chain([(160, 64, 1), (64, 96, 3)])
        self.branch1 = nn.Sequential(tf_conv_bn(160, 64, 1), tf_conv_bn(64, 64, **_ROW7), tf_conv_bn(64, 64, **_COL7),
                                     tf_conv_bn(64, 96, 3))


class Mixed5a(ConcatBranches):
    """Stem reduction: strided 3x3 conv | strided 3x3 max-pool (192 -> 384)."""
    branch_names = ('conv', 'maxpool')

    def __init__(self):
        super().__init__()
        self.conv = tf_conv_bn(192, 192, 3, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2)


class InceptionA(ConcatBranches):
    """35x35 module (384 wide): 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3 | avg-pool -> 1x1, 96 channels each."""
    branch_names = ('branch0', 'branch1', 'branch2', 'branch3')

    def __init__(self):
        super().__init__()
        self.branch0 = tf_conv_bn(384, 96, 1)
        self.branch1 = conv_chain([(384, 64, 1), (64, 96, 3, 1, 1)])
        self.branch2 = conv_chain([(384, 64, 1), (64, 96, 3, 1, 1), (96, 96, 3, 1, 1)])
        self.branch3 = _pool_proj(384, 96)


class ReductionA(ConcatBranches):
    """35 -> 17: strided 3x3 | 1x1 -> 3x3 -> strided 3x3 | strided max-pool (384 -> 1024)."""
    branch_names = ('branch0', 'branch1', 'branch2')

    def __init__(self):
        super().__init__()
        self.branch0 = tf_conv_bn(384, 384, 3, stride=2)
        self.branch1 = conv_chain([(384, 192, 1), (192, 224, 3, 1, 1), (224, 256, 3, 2)])
        self.branch2 = nn.MaxPool2d(3, stride=2)


class InceptionB(ConcatBranches):
    """17x17 module (1024 wide) with factorised 7x7 convs."""
    branch_names = ('branch0', 'branch1', 'branch2', 'branch3')

    def __init__(self):
        super().__init__()
        self.branch0 = tf_conv_bn(1024, 384, 1)
        self.branch1 = nn.Sequential(tf_conv_bn(1024, 192, 1), tf_conv_bn(192, 224, **_ROW7),
                                     tf_conv_bn(224, 256, **_COL7))
        self.branch2 = nn.Sequential(tf_conv_bn(1024, 192, 1), tf_conv_bn(192, 192, **_COL7),
                                     tf_conv_bn(192, 224, **_ROW7), tf_conv_bn(224, 224, **_COL7),
                                     tf_conv_bn(224, 256, **_ROW7))
        self.branch3 = _pool_proj(1024, 128)


class ReductionB(ConcatBranches):
    """17 -> 8: 1x1 -> strided 3x3 | 1x1 -> 1x7 -> 7x1 -> strided 3x3 | strided max-pool (1024 -> 1536)."""
    branch_names = ('branch0', 'branch1', 'branch2')

    def __init__(self):
        super().__init__()
        self.branch0 = conv_chain([(1024, 192, 1), (192, 192, 3, 2)])
        self.branch1 = nn.Sequential(tf_conv_bn(1024, 256, 1), tf_conv_bn(256, 256, **_ROW7),
                                     tf_conv_bn(256, 320, **_COL7), tf_conv_bn(320, 320, 3, stride=2))
        self.branch2 = nn.MaxPool2d(3, stride=2)


class InceptionC(nn.Module):
    """8x8 module (1536 wide): 1x1 | 1x1 -> (1x3 ; 3x1) | 1x1 -> 3x1 -> 1x3 -> (1x3 ; 3x1) | avg-pool -> 1x1."""

    def __init__(self):
        super().__init__()
        row, col = dict(kernel_size=(1, 3), padding=(0, 1)), dict(kernel_size=(3, 1), padding=(1, 0))
        self.branch0 = tf_conv_bn(1536, 256, 1)
        self.branch1_0 = tf_conv_bn(1536, 384, 1)
        self.branch1_1a = tf_conv_bn(384, 256, **row)
        self.branch1_1b = tf_conv_bn(384, 256, **col)
        self.branch2_0 = tf_conv_bn(1536, 384, 1)
        self.branch2_1 = tf_conv_bn(384, 448, **col)
        self.branch2_2 = tf_conv_bn(448, 512, **row)
        self.branch2_3a = tf_conv_bn(512, 256, **row)
        self.branch2_3b = tf_conv_bn(512, 256, **col)
        self.branch3 = _pool_proj(1536, 256)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1_0(x)
        b2 = self.branch2_2(self.branch2_1(self.branch2_0(x)))
        return torch.cat([self.branch0(x), self.branch1_1a(b1), self.branch1_1b(b1), self.branch2_3a(b2),
                          self.branch2_3b(b2), self.branch3(x)], dim=1)


class InceptionV4(ZooModel):
    """Inception-v4: `features` (stem and Inception modules), pooled linear `last_linear` head.

    Args:
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        drop_rate: dropout before the classifier.
        global_pool: pooling type of the head.
    """
    classifier_name = 'last_linear'
    groups = dict(stem=r'^features\.[012]\.', blocks=r'^features\.(\d+)')

    def __init__(self, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0., global_pool: str = 'avg'):
        super().__init__()
        self.num_classes = check_num_classes(num_classes)
        self.drop_rate = drop_rate
        self.features = nn.Sequential(
            tf_conv_bn(in_chans, 32, 3, stride=2), tf_conv_bn(32, 32, 3), tf_conv_bn(32, 64, 3, padding=1),
            Mixed3a(), Mixed4a(), Mixed5a(),
            *[InceptionA() for _ in range(4)], ReductionA(),
            *[InceptionB() for _ in range(7)], ReductionB(),
            *[InceptionC() for _ in range(3)],
        )
        # the level ends: last stride-1 map before each reduction (and the final map)
        ends = (2, 3, 9, 17, 21)
        chs = (64, 160, 384, 1024, 1536)
        self.feature_info = [dict(num_chs=c, reduction=2 ** (i + 1), module=f'features.{e}')
                             for i, (e, c) in enumerate(zip(ends, chs))]
        self.trunk = Trunk(levels=split_levels([f'features.{i}' for i in range(len(self.features))], ends))
        self.num_features = self.head_hidden_size = 1536
        self.global_pool, self.last_linear = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_drop = nn.Dropout(drop_rate)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.global_pool(x))
        return x if pre_logits else self.last_linear(x)


def _create_inception_v4(variant: str, pretrained: bool = False, **kwargs) -> InceptionV4:
    return build_model_with_cfg(InceptionV4, variant, pretrained, feature_cfg=dict(flatten_sequential=True),
                                **kwargs)


default_cfgs = generate_default_cfgs({
    'inception_v4.tf_in1k': dict(
        hf_hub_id='timm/', input_size=(3, 299, 299), pool_size=(8, 8), crop_pct=0.875, interpolation='bicubic',
        mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='features.0.conv',
        classifier='last_linear', license='apache-2.0', paper_ids='arXiv:1602.07261'),
})


@register_model
def inception_v4(pretrained: bool = False, **kwargs) -> InceptionV4:
    """Inception-v4 (Szegedy et al., 2016)."""
    return _create_inception_v4('inception_v4', pretrained, **kwargs)
