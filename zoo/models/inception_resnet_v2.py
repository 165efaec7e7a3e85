"""Inception-ResNet-v2.

"Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning", Szegedy et al., 2016
(arXiv:1602.07261), figures 3, 16-18 (with the TF-slim release's widths): the Inception-v3-like stem, a 35x35
Inception module (Mixed 5b), 10 x Inception-ResNet-A (block35), Reduction-A (Mixed 6a), 20 x Inception-ResNet-B
(block17), Reduction-B (Mixed 7a), 10 x Inception-ResNet-C (block8, the last without ReLU) and a 1x1 conv to 1536.
Each residual block concatenates its branches, projects them back with a biased 1x1 conv and adds them scaled
(0.17 / 0.1 / 0.2) to the input, which the paper found stabilises training of wide residual Inception nets.
"""
from typing import Any, Dict, Optional

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers.branches import ConcatBranches, conv_chain, tf_conv_bn
from zoo.layers.classifier import create_classifier
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model, register_model_deprecations

__all__ = ['InceptionResnetV2']


def _maxpool() -> nn.MaxPool2d:
    return nn.MaxPool2d(3, stride=2)


class Mixed_5b(ConcatBranches):
    """35x35 Inception module 192 -> 320: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg-pool -> 1x1."""
    branch_names = ('branch0', 'branch1', 'branch2', 'branch3')

    def __init__(self):
        super().__init__()
        self.branch0 = tf_conv_bn(192, 96, 1)
        self.branch1 = conv_chain([(192, 48, 1), (48, 64, 5, 1, 2)])
        self.branch2 = conv_chain([(192, 64, 1), (64, 96, 3, 1, 1), (96, 96, 3, 1, 1)])
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
                                     tf_conv_bn(192, 64, 1))


class Mixed_6a(ConcatBranches):
    """Reduction-A 320 -> 1088: strided 3x3 | 1x1 -> 3x3 -> strided 3x3 | strided max-pool."""
    branch_names = ('branch0', 'branch1', 'branch2')

    def __init__(self):
        super().__init__()
        self.branch0 = tf_conv_bn(320, 384, 3, stride=2)
        self.branch1 = conv_chain([(320, 256, 1), (256, 256, 3, 1, 1), (256, 384, 3, 2)])
        self.branch2 = _maxpool()


class Mixed_7a(ConcatBranches):
    """Reduction-B 1088 -> 2080: three 1x1 -> strided 3x3 branches (one with an extra 3x3) | strided max-pool."""
    branch_names = ('branch0', 'branch1', 'branch2', 'branch3')

    def __init__(self):
        super().__init__()
        self.branch0 = conv_chain([(1088, 256, 1), (256, 384, 3, 2)])
        self.branch1 = conv_chain([(1088, 256, 1), (256, 288, 3, 2)])
        self.branch2 = conv_chain([(1088, 256, 1), (256, 288, 3, 1, 1), (288, 320, 3, 2)])
        self.branch3 = _maxpool()


class _ScaledResidual(ConcatBranches):
    """Concatenated branches -> biased 1x1 conv (`conv2d`) back to the input width, scaled, added, activated.

    Subclasses register the branches, `conv2d`, and the activation under `act_name` (None: no activation).
    """
    act_name = 'act'

    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2d(super().forward(x)) * self.scale + x
        act: Optional[nn.Module] = getattr(self, self.act_name)
        return y if act is None else act(y)


class Block35(_ScaledResidual):
    """Inception-ResNet-A (35x35, 320 wide)."""
    branch_names = ('branch0', 'branch1', 'branch2')

    def __init__(self, scale: float = 1.0):
        super().__init__(scale)
        self.branch0 = tf_conv_bn(320, 32, 1)
        self.branch1 = conv_chain([(320, 32, 1), (32, 32, 3, 1, 1)])
        self.branch2 = conv_chain([(320, 32, 1), (32, 48, 3, 1, 1), (48, 64, 3, 1, 1)])
        self.conv2d = nn.Conv2d(128, 320, 1)
        self.act = nn.ReLU()


class Block17(_ScaledResidual):
    """Inception-ResNet-B (17x17, 1088 wide), factorised 7x7 branch."""
    branch_names = ('branch0', 'branch1')

    def __init__(self, scale: float = 1.0):
        super().__init__(scale)
        self.branch0 = tf_conv_bn(1088, 192, 1)
        self.branch1 = conv_chain([(1088, 128, 1), (128, 160, (1, 7), 1, (0, 3)), (160, 192, (7, 1), 1, (3, 0))])
        self.conv2d = nn.Conv2d(384, 1088, 1)
        self.act = nn.ReLU()


class Block8(_ScaledResidual):
    """Inception-ResNet-C (8x8, 2080 wide), factorised 3x3 branch; the final one has no ReLU."""
    branch_names = ('branch0', 'branch1')
    act_name = 'relu'

    def __init__(self, scale: float = 1.0, no_relu: bool = False):
        super().__init__(scale)
        self.branch0 = tf_conv_bn(2080, 192, 1)
        self.branch1 = conv_chain([(2080, 192, 1), (192, 224, (1, 3), 1, (0, 1)), (224, 256, (3, 1), 1, (1, 0))])
        self.conv2d = nn.Conv2d(448, 2080, 1)
        self.relu = None if no_relu else nn.ReLU()


class InceptionResnetV2(ZooModel):
    """Inception-ResNet-v2 with the TF-slim module names (`conv2d_1a` ... `conv2d_7b`, `classif`).

    Args:
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        drop_rate: dropout before the classifier.
        global_pool: pooling type of the head.
    """
    trunk = Trunk(levels=(('conv2d_1a', 'conv2d_2a', 'conv2d_2b'), ('maxpool_3a', 'conv2d_3b', 'conv2d_4a'),
                          ('maxpool_5a', 'mixed_5b', 'repeat'), ('mixed_6a', 'repeat_1'),
                          ('mixed_7a', 'repeat_2', 'block8', 'conv2d_7b')))
    classifier_name = 'classif'
    groups = dict(stem=r'^conv2d_(1|2)|^maxpool_3a', blocks=[
        (r'^conv2d_(3|4)|^maxpool_5a|^mixed_5b', (0,)),
        (r'^repeat\.(\d+)', (1,)), (r'^mixed_6a', (2,)),
        (r'^repeat_1\.(\d+)', (3,)), (r'^mixed_7a', (4,)),
        (r'^repeat_2\.(\d+)|^block8|^conv2d_7b', (5,)),
    ])

    def __init__(self, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0., global_pool: str = 'avg'):
        super().__init__()
        self.num_classes = check_num_classes(num_classes)
        self.drop_rate = drop_rate
        self.conv2d_1a = tf_conv_bn(in_chans, 32, 3, stride=2)
        self.conv2d_2a = tf_conv_bn(32, 32, 3)
        self.conv2d_2b = tf_conv_bn(32, 64, 3, padding=1)
        self.maxpool_3a = _maxpool()
        self.conv2d_3b = tf_conv_bn(64, 80, 1)
        self.conv2d_4a = tf_conv_bn(80, 192, 3)
        self.maxpool_5a = _maxpool()
        self.mixed_5b = Mixed_5b()
        self.repeat = nn.Sequential(*[Block35(scale=0.17) for _ in range(10)])
        self.mixed_6a = Mixed_6a()
        self.repeat_1 = nn.Sequential(*[Block17(scale=0.10) for _ in range(20)])
        self.mixed_7a = Mixed_7a()
        self.repeat_2 = nn.Sequential(*[Block8(scale=0.20) for _ in range(9)])
        self.block8 = Block8(no_relu=True)
        self.conv2d_7b = tf_conv_bn(2080, 1536, 1)
        self.feature_info = [
            dict(num_chs=64, reduction=2, module='conv2d_2b'),
            dict(num_chs=192, reduction=4, module='conv2d_4a'),
            dict(num_chs=320, reduction=8, module='repeat'),
            dict(num_chs=1088, reduction=16, module='repeat_1'),
            dict(num_chs=1536, reduction=32, module='conv2d_7b'),
        ]
        self.num_features = self.head_hidden_size = 1536
        self.global_pool, self.classif = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_drop = nn.Dropout(drop_rate)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool_3a(self.conv2d_2b(self.conv2d_2a(self.conv2d_1a(x))))
        x = self.maxpool_5a(self.conv2d_4a(self.conv2d_3b(x)))
        x = self.repeat(self.mixed_5b(x))
        x = self.repeat_1(self.mixed_6a(x))
        x = self.block8(self.repeat_2(self.mixed_7a(x)))
        return self.conv2d_7b(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.global_pool(x))
        return x if pre_logits else self.classif(x)


def _create_inception_resnet_v2(variant: str, pretrained: bool = False, **kwargs) -> InceptionResnetV2:
    return build_model_with_cfg(InceptionResnetV2, variant, pretrained, **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 299, 299), pool_size=(8, 8), crop_pct=0.8975,
               interpolation='bicubic', mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD,
               first_conv='conv2d_1a.conv', classifier='classif', license='apache-2.0', paper_ids='arXiv:1602.07261')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'inception_resnet_v2.tf_in1k': _cfg(),
    'inception_resnet_v2.tf_ens_adv_in1k': _cfg(),  # ensemble adversarial training ("Ensemble Adversarial
                                                    # Training", Tramer et al., 2018)
})


@register_model
def inception_resnet_v2(pretrained: bool = False, **kwargs) -> InceptionResnetV2:
    """Inception-ResNet-v2 (Szegedy et al., 2016)."""
    return _create_inception_resnet_v2('inception_resnet_v2', pretrained, **kwargs)


register_model_deprecations(__name__, {'ens_adv_inception_resnet_v2': 'inception_resnet_v2.tf_ens_adv_in1k'})
