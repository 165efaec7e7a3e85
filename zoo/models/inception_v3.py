"""Inception-v3.

"Rethinking the Inception Architecture for Computer Vision", Szegedy et al., 2016 (arXiv:1512.00567). A stem of
unpadded 3x3 convs and max-pools (299 -> 35 px), then three grids of Inception modules: 35x35 modules with a 5x5
and a double-3x3 branch (A), a grid reduction (B), 17x17 modules with factorised 1x7 / 7x1 convs (C), another
reduction (D), and 8x8 modules whose 3x3 branches end in parallel 1x3 and 3x1 convs (E). Every conv is followed by
BatchNorm (epsilon 1e-3) and ReLU; module names follow the torchvision / TF-slim checkpoints.

Deviation: the auxiliary classifier (only in torchvision's checkpoint, for training) is not built; its weights are
dropped when loading, and `aux_logits=True` is refused.
"""
from typing import Any, Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD, IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers.branches import tf_conv_bn
from zoo.layers.classifier import create_classifier
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model, register_model_deprecations

__all__ = ['InceptionV3']


def _avg3(x: torch.Tensor) -> torch.Tensor:
    # zero padding counted in the average, as in the reference models
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)


class InceptionA(nn.Module):
    """35x35 module: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg-pool -> 1x1 (`pool_features` wide)."""

    def __init__(self, in_chs: int, pool_features: int):
        super().__init__()
        self.branch1x1 = tf_conv_bn(in_chs, 64, 1)
        self.branch5x5_1 = tf_conv_bn(in_chs, 48, 1)
        self.branch5x5_2 = tf_conv_bn(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = tf_conv_bn(in_chs, 64, 1)
        self.branch3x3dbl_2 = tf_conv_bn(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = tf_conv_bn(96, 96, 3, padding=1)
        self.branch_pool = tf_conv_bn(in_chs, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg3(x)),
        ], dim=1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17: strided 3x3 | 1x1 -> 3x3 -> strided 3x3 | strided max-pool."""

    def __init__(self, in_chs: int):
        super().__init__()
        self.branch3x3 = tf_conv_bn(in_chs, 384, 3, stride=2)
        self.branch3x3dbl_1 = tf_conv_bn(in_chs, 64, 1)
        self.branch3x3dbl_2 = tf_conv_bn(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = tf_conv_bn(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, kernel_size=3, stride=2),
        ], dim=1)


class InceptionC(nn.Module):
    """17x17 module with factorised 7x7 convs (`c7` wide inside): 1x1 | 1x1 -> 1x7 -> 7x1 |
    1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7 | avg-pool -> 1x1; every branch ends 192 wide."""

    def __init__(self, in_chs: int, c7: int):
        super().__init__()
        row, col = dict(kernel_size=(1, 7), padding=(0, 3)), dict(kernel_size=(7, 1), padding=(3, 0))
        self.branch1x1 = tf_conv_bn(in_chs, 192, 1)
        self.branch7x7_1 = tf_conv_bn(in_chs, c7, 1)
        self.branch7x7_2 = tf_conv_bn(c7, c7, **row)
        self.branch7x7_3 = tf_conv_bn(c7, 192, **col)
        self.branch7x7dbl_1 = tf_conv_bn(in_chs, c7, 1)
        self.branch7x7dbl_2 = tf_conv_bn(c7, c7, **col)
        self.branch7x7dbl_3 = tf_conv_bn(c7, c7, **row)
        self.branch7x7dbl_4 = tf_conv_bn(c7, c7, **col)
        self.branch7x7dbl_5 = tf_conv_bn(c7, 192, **row)
        self.branch_pool = tf_conv_bn(in_chs, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        b7dbl = self.branch7x7dbl_1(x)
        for conv in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            b7dbl = conv(b7dbl)
        return torch.cat([self.branch1x1(x), b7, b7dbl, self.branch_pool(_avg3(x))], dim=1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8: 1x1 -> strided 3x3 | 1x1 -> 1x7 -> 7x1 -> strided 3x3 | strided max-pool."""

    def __init__(self, in_chs: int):
        super().__init__()
        self.branch3x3_1 = tf_conv_bn(in_chs, 192, 1)
        self.branch3x3_2 = tf_conv_bn(192, 320, 3, stride=2)
        self.branch7x7x3_1 = tf_conv_bn(in_chs, 192, 1)
        self.branch7x7x3_2 = tf_conv_bn(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = tf_conv_bn(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = tf_conv_bn(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, kernel_size=3, stride=2)], dim=1)


class InceptionE(nn.Module):
    """8x8 module: 1x1 | 1x1 -> (1x3 ; 3x1) | 1x1 -> 3x3 -> (1x3 ; 3x1) | avg-pool -> 1x1, the pairs concatenated."""

    def __init__(self, in_chs: int):
        super().__init__()
        row, col = dict(kernel_size=(1, 3), padding=(0, 1)), dict(kernel_size=(3, 1), padding=(1, 0))
        self.branch1x1 = tf_conv_bn(in_chs, 320, 1)
        self.branch3x3_1 = tf_conv_bn(in_chs, 384, 1)
        self.branch3x3_2a = tf_conv_bn(384, 384, **row)
        self.branch3x3_2b = tf_conv_bn(384, 384, **col)
        self.branch3x3dbl_1 = tf_conv_bn(in_chs, 448, 1)
        self.branch3x3dbl_2 = tf_conv_bn(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = tf_conv_bn(384, 384, **row)
        self.branch3x3dbl_3b = tf_conv_bn(384, 384, **col)
        self.branch_pool = tf_conv_bn(in_chs, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        b3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat([
            self.branch1x1(x),
            self.branch3x3_2a(b3), self.branch3x3_2b(b3),
            self.branch3x3dbl_3a(b3dbl), self.branch3x3dbl_3b(b3dbl),
            self.branch_pool(_avg3(x)),
        ], dim=1)


_LEVELS = (
    ('Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3'),
    ('Pool1', 'Conv2d_3b_1x1', 'Conv2d_4a_3x3'),
    ('Pool2', 'Mixed_5b', 'Mixed_5c', 'Mixed_5d'),
    ('Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e'),
    ('Mixed_7a', 'Mixed_7b', 'Mixed_7c'),
)


class InceptionV3(ZooModel):
    """Inception-v3 with the torchvision / TF-slim module names.

    Args:
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        drop_rate: dropout before the classifier.
        global_pool: pooling type of the head.
        aux_logits: must be False (the auxiliary training classifier is not built).
    """
    trunk = Trunk(levels=_LEVELS)
    classifier_name = 'fc'
    groups = dict(stem=r'^Conv2d_[12]|^Pool1', blocks=[(r'^Conv2d_[34]|^Pool2', (0,)), (r'^Mixed_(\d)([a-e])', None)])

    def __init__(self, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0., global_pool: str = 'avg',
                 aux_logits: bool = False):
        super().__init__()
        if aux_logits:
            raise ValueError('zoo builds Inception-v3 without the auxiliary classifier; pass aux_logits=False (the '
                             'auxiliary weights of the torchvision checkpoint are dropped when loading).')
        self.num_classes = check_num_classes(num_classes)
        self.drop_rate = drop_rate
        self.Conv2d_1a_3x3 = tf_conv_bn(in_chans, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = tf_conv_bn(32, 32, 3)
        self.Conv2d_2b_3x3 = tf_conv_bn(32, 64, 3, padding=1)
        self.Pool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = tf_conv_bn(64, 80, 1)
        self.Conv2d_4a_3x3 = tf_conv_bn(80, 192, 3)
        self.Pool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, c7=128)
        self.Mixed_6c = InceptionC(768, c7=160)
        self.Mixed_6d = InceptionC(768, c7=160)
        self.Mixed_6e = InceptionC(768, c7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280)
        self.Mixed_7c = InceptionE(2048)
        self.feature_info = [
            dict(num_chs=64, reduction=2, module='Conv2d_2b_3x3'),
            dict(num_chs=192, reduction=4, module='Conv2d_4a_3x3'),
            dict(num_chs=288, reduction=8, module='Mixed_5d'),
            dict(num_chs=768, reduction=16, module='Mixed_6e'),
            dict(num_chs=2048, reduction=32, module='Mixed_7c'),
        ]
        self.num_features = self.head_hidden_size = 2048
        self.global_pool, self.fc = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_drop = nn.Dropout(drop_rate)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.1)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.Pool1(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))))
        x = self.Pool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(self.Mixed_6a(x)))))
        return self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.global_pool(x))
        return x if pre_logits else self.fc(x)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: Optional[nn.Module] = None) -> Dict[str, Any]:
    """Drop the auxiliary classifier (`AuxLogits.*`, in torchvision's checkpoint), which zoo does not build."""
    return {k: v for k, v in state_dict.items() if not k.startswith('AuxLogits.')}


def _create_inception_v3(variant: str, pretrained: bool = False, **kwargs) -> InceptionV3:
    return build_model_with_cfg(InceptionV3, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn, **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 299, 299), pool_size=(8, 8), crop_pct=0.875, interpolation='bicubic',
               mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='Conv2d_1a_3x3.conv',
               classifier='fc', license='apache-2.0', paper_ids='arXiv:1512.00567')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'inception_v3.tv_in1k': _cfg(),  # torchvision's weights (with the auxiliary classifier, dropped on load)
    'inception_v3.tf_in1k': _cfg(),  # TF-slim weights
    'inception_v3.tf_adv_in1k': _cfg(),  # TF adversarially trained weights
    'inception_v3.gluon_in1k': _cfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
})


@register_model
def inception_v3(pretrained: bool = False, **kwargs) -> InceptionV3:
    """Inception-v3 (Szegedy et al., 2016)."""
    return _create_inception_v3('inception_v3', pretrained, **kwargs)


register_model_deprecations(__name__, {
    'tf_inception_v3': 'inception_v3.tf_in1k',
    'adv_inception_v3': 'inception_v3.tf_adv_in1k',
    'gluon_inception_v3': 'inception_v3.gluon_in1k',
})
