"""Xception, the original (Keras-ported) network: `legacy_xception`.

"Xception: Deep Learning with Depthwise Separable Convolutions", Chollet, 2017 (arXiv:1610.02357). Entry flow: two
unpadded 3x3 convs, then three residual blocks of two separable convs + a 3x3 stride-2 max-pool (with a strided
1x1 conv + BN shortcut); middle flow: eight residual blocks of three ReLU -> separable conv -> BN units; exit flow:
one more pooled block widening 728 -> 1024, then two separable convs (1536, 2048) each with BN + ReLU.
Separable convs here have no norm between the depthwise and the pointwise conv (as in the paper).

Feature levels follow timm's: the stem output, the ReLU'd outputs of blocks 1, 2 and 11 (the ReLU the next block
starts with), and the final activation.
"""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers.classifier import create_classifier
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model, register_model_deprecations
from zoo.models._steps import LevelStepsMixin

__all__ = ['Xception']


class SeparableConv2d(nn.Module):
    """Depthwise kxk conv followed by a pointwise 1x1 conv (keys `conv1`, `pointwise`), no norm in between."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 3, padding: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chs, in_chs, kernel_size, padding=padding, groups=in_chs, bias=False)
        self.pointwise = nn.Conv2d(in_chs, out_chs, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.conv1(x))


class Block(nn.Module):
    """`reps` x (ReLU -> separable conv -> BN), an optional 3x3 max-pool, and a residual connection.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        reps: separable convs.
        stride: max-pool stride (and shortcut stride); 1 means no pool.
        start_with_relu: the first unit has a ReLU (the first entry block follows the stem's ReLU directly).
        grow_first: widen at the first conv (else at the last).
    """

    def __init__(self, in_chs: int, out_chs: int, reps: int, stride: int = 1, start_with_relu: bool = True,
                 grow_first: bool = True):
        super().__init__()
        self.skip = self.skipbn = None
        if out_chs != in_chs or stride != 1:
            self.skip = nn.Conv2d(in_chs, out_chs, 1, stride=stride, bias=False)
            self.skipbn = nn.BatchNorm2d(out_chs)
        widths = [out_chs] * reps if grow_first else [in_chs] * (reps - 1) + [out_chs]
        layers: List[nn.Module] = []
        prev = in_chs
        for i, chs in enumerate(widths):
            if i > 0 or start_with_relu:
                # the leading ReLU must keep the block input intact for the shortcut
                layers.append(nn.ReLU(inplace=i > 0))
            layers += [SeparableConv2d(prev, chs), nn.BatchNorm2d(chs)]
            prev = chs
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride, 1))
        self.rep = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.skip is None else self.skipbn(self.skip(x))
        return self.rep(x) + shortcut


# (in_chs, out_chs, reps, stride, start_with_relu, grow_first) of block1..block12
_BLOCKS = ((64, 128, 2, 2, False, True), (128, 256, 2, 2, True, True), (256, 728, 2, 2, True, True),
           *((728, 728, 3, 1, True, True),) * 8, (728, 1024, 2, 2, True, False))
_STEM = ('conv1', 'bn1', 'act1', 'conv2', 'bn2', 'act2')
_EXIT = ('conv3', 'bn3', 'act3', 'conv4', 'bn4', 'act4')


class Xception(LevelStepsMixin, ZooModel):
    """Xception with the Keras-port module names (`conv1`..`conv4`, `block1`..`block12`, `fc`).

    Args:
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        drop_rate: dropout before the classifier.
        global_pool: pooling type of the head.
    """
    trunk = Trunk(levels=(_STEM, ('block1',), ('block2',), tuple(f'block{i}' for i in range(3, 12)),
                          ('block12',) + _EXIT))
    classifier_name = 'fc'
    groups = dict(stem=r'^conv[12]|bn[12]', blocks=[(r'^block(\d+)', None), (r'^conv[34]|bn[34]', (99,))])

    def __init__(self, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0., global_pool: str = 'avg'):
        super().__init__()
        self.num_classes = check_num_classes(num_classes)
        self.drop_rate = drop_rate
        self.num_features = 2048
        self.conv1 = nn.Conv2d(in_chans, 32, 3, stride=2, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(32, 64, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.act2 = nn.ReLU(inplace=True)
        for i, args in enumerate(_BLOCKS):
            self.add_module(f'block{i + 1}', Block(*args))
        self.conv3 = SeparableConv2d(1024, 1536)
        self.bn3 = nn.BatchNorm2d(1536)
        self.act3 = nn.ReLU(inplace=True)
        self.conv4 = SeparableConv2d(1536, self.num_features)
        self.bn4 = nn.BatchNorm2d(self.num_features)
        self.act4 = nn.ReLU(inplace=True)
        self.feature_info = [
            dict(num_chs=64, reduction=2, module='act2'),
            dict(num_chs=128, reduction=4, module='block2.rep.0'),
            dict(num_chs=256, reduction=8, module='block3.rep.0'),
            dict(num_chs=728, reduction=16, module='block12.rep.0'),
            dict(num_chs=2048, reduction=32, module='act4'),
        ]
        self._kept_levels = len(self.feature_info)
        self.global_pool, self.fc = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    # ---- levels (LevelStepsMixin): the block levels are read through the ReLU the following block starts with ----

    def _num_levels(self) -> int:
        return self._kept_levels

    def _start(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def _step(self, index: int, x: torch.Tensor) -> torch.Tensor:
        return self._run(self._level_paths()[index], x)

    def _level_output(self, index: int, x: torch.Tensor, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        if 0 < index < len(self.feature_info) - 1:
            x = F.relu(x)
        return self._format_level(x, index, False, output_fmt, input_hw)

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        return x if self._kept_levels == len(self.feature_info) else F.relu(x)

    def _truncate(self, num_levels: int) -> None:
        self._kept_levels = num_levels
        self._drop_paths([p for level in self._level_paths()[num_levels:] for p in level])

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        if prune_head or truncated:
            self._replace_head(self.num_features)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._finish(self._run_steps(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.global_pool(x)
        if self.drop_rate:
            x = F.dropout(x, self.drop_rate, training=self.training)
        return x if pre_logits else self.fc(x)


def _create_xception(variant: str, pretrained: bool = False, **kwargs) -> Xception:
    return build_model_with_cfg(Xception, variant, pretrained, feature_cfg=dict(feature_cls='hook'), **kwargs)


default_cfgs = generate_default_cfgs({
    # the Keras weights (converted by Cadene), not on the Hub
    'legacy_xception.tf_in1k': dict(
        input_size=(3, 299, 299), pool_size=(10, 10), crop_pct=0.8975, interpolation='bicubic',
        mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='conv1', classifier='fc',
        license='apache-2.0', paper_ids='arXiv:1610.02357'),
})


@register_model
def legacy_xception(pretrained: bool = False, **kwargs) -> Xception:
    """Xception (Chollet, 2017), Keras-ported weights."""
    return _create_xception('legacy_xception', pretrained, **kwargs)


register_model_deprecations(__name__, {'xception': 'legacy_xception'})
