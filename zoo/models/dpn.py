"""Dual Path Networks.

"Dual Path Networks", Chen et al., 2017 (arXiv:1707.01629). Each block runs a pre-activation ResNeXt bottleneck
(1x1 -> grouped 3x3 -> 1x1, BN + activation before every conv) whose output is split in two: the first `num_1x1_c`
channels are *added* to the residual path (feature re-use, ResNet-like) and the remaining `inc` channels are
*concatenated* to the densely connected path (new features, DenseNet-like). Both paths travel as one tensor,
[residual | dense]. The first block of a stage projects the input to the initial widths (strided from stage 3 on).

The `b` variants (dpn68b, dpn48b) use two separate final 1x1 convs for the two paths instead of one split conv, as in
the MXNet weights; the final norm uses the stem's activation. Weights are the MXNet conversions and timm's dpn68b
training.
"""
from collections import OrderedDict
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD, IMAGENET_DPN_MEAN, IMAGENET_DPN_STD
from zoo.layers.activations import LayerType
from zoo.layers.classifier import create_classifier
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.norm_act import BatchNormAct2d
from zoo.models._base import Trunk, ZooModel, check_pooled_head, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['DPN', 'DualPathBlock']

_BN_EPS = 1e-3  # the MXNet models' BatchNorm epsilon


class BnActConv2d(nn.Module):
    """Pre-activation unit: BN + activation, then a conv (none when `out_chs` is None: a bare BN + activation)."""

    def __init__(self, in_chs: int, out_chs: Optional[int] = None, kernel_size: int = 1, stride: int = 1,
                 groups: int = 1, act_layer: LayerType = nn.ReLU, inplace: bool = True):
        super().__init__()
        self.bn = BatchNormAct2d(in_chs, eps=_BN_EPS, act_layer=act_layer, inplace=inplace)
        self.conv = None if out_chs is None else create_conv2d(in_chs, out_chs, kernel_size, stride=stride,
                                                               groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(x)
        return x if self.conv is None else self.conv(x)


class DualPathBlock(nn.Module):
    """Grouped pre-activation bottleneck feeding a residual path (added) and a dense path (concatenated).

    Args:
        in_chs: input channels ([residual | dense]).
        num_1x1_a: width of the first 1x1 conv.
        num_3x3_b: width of the grouped 3x3 conv.
        num_1x1_c: residual path width.
        inc: channels this block adds to the dense path.
        groups: groups of the 3x3 conv.
        block_type: 'proj' (first block of stage 2: 1x1 projection), 'down' (strided projection) or 'normal'.
        b: two separate final 1x1 convs for the residual and dense outputs.
        act_layer: activation of the pre-activation units.
    """

    def __init__(self, in_chs: int, num_1x1_a: int, num_3x3_b: int, num_1x1_c: int, inc: int, groups: int,
                 block_type: str = 'normal', b: bool = False, act_layer: LayerType = nn.ReLU):
        super().__init__()
        if block_type not in ('proj', 'down', 'normal'):
            raise ValueError(f"block_type must be 'proj', 'down' or 'normal', got {block_type!r}.")
        self.num_1x1_c = num_1x1_c
        stride = 2 if block_type == 'down' else 1
        # the projection's attribute name records its stride: the published checkpoints' keys
        self.c1x1_w_s1 = self.c1x1_w_s2 = None
        if block_type != 'normal':
            proj = BnActConv2d(in_chs, num_1x1_c + 2 * inc, 1, stride=stride, act_layer=act_layer)
            setattr(self, f'c1x1_w_s{stride}', proj)
        self.c1x1_a = BnActConv2d(in_chs, num_1x1_a, 1, act_layer=act_layer)
        self.c3x3_b = BnActConv2d(num_1x1_a, num_3x3_b, 3, stride=stride, groups=groups, act_layer=act_layer)
        self.c1x1_c1 = self.c1x1_c2 = None
        if b:
            self.c1x1_c = BnActConv2d(num_3x3_b, act_layer=act_layer)
            self.c1x1_c1 = create_conv2d(num_3x3_b, num_1x1_c, 1)
            self.c1x1_c2 = create_conv2d(num_3x3_b, inc, 1)
        else:
            self.c1x1_c = BnActConv2d(num_3x3_b, num_1x1_c + inc, 1, act_layer=act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proj = self.c1x1_w_s1 or self.c1x1_w_s2
        paths = x if proj is None else proj(x)
        out = self.c1x1_c(self.c3x3_b(self.c1x1_a(x)))
        n = self.num_1x1_c
        if self.c1x1_c1 is not None:
            res, dense = self.c1x1_c1(out), self.c1x1_c2(out)
        else:
            res, dense = out[:, :n], out[:, n:]
        return torch.cat([paths[:, :n] + res, paths[:, n:], dense], dim=1)


def make_features(
        in_chs: int,
        k_sec: Sequence[int],
        inc_sec: Sequence[int],
        k_r: int,
        groups: int,
        small: bool,
        b: bool,
        act_layer: LayerType,
) -> Tuple['OrderedDict[str, nn.Module]', List[Dict[str, Any]]]:
    """The dual path blocks as `conv{stage}_{block}` entries, and one feature level per stage (reductions 4-32)."""
    blocks: 'OrderedDict[str, nn.Module]' = OrderedDict()
    feature_info = []
    for i, (bw_base, depth, inc) in enumerate(zip((64, 128, 256, 512), k_sec, inc_sec)):
        res_chs = bw_base * (1 if small else 4)
        mid_chs = k_r * bw_base // 64
        for j in range(1, depth + 1):
            block_type = 'normal' if j > 1 else ('proj' if i == 0 else 'down')
            blocks[f'conv{i + 2}_{j}'] = DualPathBlock(in_chs, mid_chs, mid_chs, res_chs, inc, groups, block_type,
                                                       b, act_layer=act_layer)
            # the first block starts the dense path with 2 x inc (projection) + inc (its own output)
            in_chs = res_chs + 3 * inc if j == 1 else in_chs + inc
        feature_info.append(dict(num_chs=in_chs, reduction=4 * 2 ** i, module=f'features.conv{i + 2}_{depth}'))
    return blocks, feature_info


class DPN(ZooModel):
    """DPN: conv stem + max pool, four dual path stages, BN + ELU, pool -> 1x1 conv classifier.

    Args:
        k_sec: blocks per stage.
        inc_sec: dense-path growth per block, per stage.
        k_r: bottleneck width of stage 2 (scaled with the stage's base width).
        groups: groups of the 3x3 convs.
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0) for unpooled maps.
        small: 3x3 stem and 4x narrower residual paths (dpn68 / dpn48b).
        num_init_features: stem width.
        b: separate final 1x1 convs for the two paths.
        drop_rate: dropout before the classifier.
        act_layer: activation of the stem.
        fc_act_layer: activation of the final norm; None uses `act_layer` (what the published weights were
            trained with: timm's ELU default for it never takes effect).
    """
    classifier_name = 'classifier'
    groups = dict(stem=r'^features\.conv1',
                  blocks=[(r'^features\.conv(\d+)_(\d+)', None), (r'^features\.conv5_bn_ac', (99999,))],
                  coarse=[(r'^features\.conv(\d+)', None), (r'^features\.conv5_bn_ac', (99999,))])

    def __init__(
            self,
            k_sec: Sequence[int] = (3, 4, 20, 3),
            inc_sec: Sequence[int] = (16, 32, 24, 128),
            k_r: int = 96,
            groups: int = 32,
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: str = 'avg',
            small: bool = False,
            num_init_features: int = 64,
            b: bool = False,
            drop_rate: float = 0.,
            act_layer: LayerType = 'relu',
            fc_act_layer: Optional[LayerType] = None,
    ):
        super().__init__()
        check_pooled_head(global_pool, num_classes)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        stem = ConvNormAct(in_chans, num_init_features, 3 if small else 7, stride=2, act_layer=act_layer,
                           norm_layer=partial(BatchNormAct2d, eps=_BN_EPS))
        # `act_layer` is the stem's: the blocks of every published DPN use ReLU
        blocks, stage_info = make_features(num_init_features, k_sec, inc_sec, k_r, groups, small, b, nn.ReLU)
        self.num_features = stage_info[-1]['num_chs']
        final_norm = BnActConv2d(self.num_features, act_layer=fc_act_layer or act_layer, inplace=False)
        self.features = nn.Sequential(OrderedDict(
            [('conv1_1', stem), ('conv1_pool', nn.MaxPool2d(3, stride=2, padding=1)), *blocks.items(),
             ('conv5_bn_ac', final_norm)]))
        self.feature_info = [dict(num_chs=num_init_features, reduction=2, module='features.conv1_1')] + stage_info
        names = list(self.features._modules)
        ends = [0] + [names.index(info['module'].split('.')[-1]) for info in stage_info]
        self.trunk = Trunk(levels=split_levels([f'features.{n}' for n in names[:-1]], ends),
                           final=('features.conv5_bn_ac',))
        self._reset_head(num_classes, global_pool)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        # a 1x1 conv classifier (the MXNet layout), flattened after it
        pool_type = self.global_pool.pool_type if global_pool is None else global_pool
        self.global_pool, self.classifier = create_classifier(self.num_features, num_classes, pool_type,
                                                              use_conv=True)
        self.flatten = nn.Flatten(1) if pool_type else nn.Identity()
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()

    def _replace_head(self, in_features: int) -> None:
        self._reset_head(0, '')

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self._pooled(x)
        return self.flatten(pooled if pre_logits else self.classifier(pooled))


def _create_dpn(variant: str, pretrained: bool = False, **kwargs: Any) -> DPN:
    return build_model_with_cfg(DPN, variant, pretrained, feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', pool_size=(7, 7), crop_pct=0.875, interpolation='bicubic', mean=IMAGENET_DPN_MEAN,
               std=IMAGENET_DPN_STD, first_conv='features.conv1_1.conv', classifier='classifier',
               license='apache-2.0', paper_name='Dual Path Networks', paper_ids='arXiv:1707.01629')
    cfg.update(kwargs)
    return cfg


_IMAGENET = dict(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD)

default_cfgs = generate_default_cfgs({
    'dpn48b.untrained': _cfg(hf_hub_id=None, **_IMAGENET),
    'dpn68.mx_in1k': _cfg(),
    'dpn68b.ra_in1k': _cfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, **_IMAGENET),
    'dpn68b.mx_in1k': _cfg(),
    'dpn92.mx_in1k': _cfg(),
    'dpn98.mx_in1k': _cfg(),
    'dpn107.mx_in1k': _cfg(),
    'dpn131.mx_in1k': _cfg(),
})

_SMALL = dict(small=True, num_init_features=10, k_r=128, groups=32, inc_sec=(16, 32, 32, 64))


def _dpn(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> DPN:
    return _create_dpn(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def dpn48b(pretrained: bool = False, **kwargs) -> DPN:
    return _dpn('dpn48b', pretrained, dict(_SMALL, b=True, k_sec=(3, 4, 6, 3), act_layer='silu'), kwargs)


@register_model
def dpn68(pretrained: bool = False, **kwargs) -> DPN:
    return _dpn('dpn68', pretrained, dict(_SMALL, k_sec=(3, 4, 12, 3)), kwargs)


@register_model
def dpn68b(pretrained: bool = False, **kwargs) -> DPN:
    return _dpn('dpn68b', pretrained, dict(_SMALL, b=True, k_sec=(3, 4, 12, 3)), kwargs)


@register_model
def dpn92(pretrained: bool = False, **kwargs) -> DPN:
    return _dpn('dpn92', pretrained, dict(num_init_features=64, k_r=96, groups=32, k_sec=(3, 4, 20, 3),
                                          inc_sec=(16, 32, 24, 128)), kwargs)


@register_model
def dpn98(pretrained: bool = False, **kwargs) -> DPN:
    return _dpn('dpn98', pretrained, dict(num_init_features=96, k_r=160, groups=40, k_sec=(3, 6, 20, 3),
                                          inc_sec=(16, 32, 32, 128)), kwargs)


@register_model
def dpn131(pretrained: bool = False, **kwargs) -> DPN:
    return _dpn('dpn131', pretrained, dict(num_init_features=128, k_r=160, groups=40, k_sec=(4, 8, 28, 3),
                                           inc_sec=(16, 32, 32, 128)), kwargs)


@register_model
def dpn107(pretrained: bool = False, **kwargs) -> DPN:
    return _dpn('dpn107', pretrained, dict(num_init_features=128, k_r=200, groups=50, k_sec=(4, 8, 20, 3),
                                           inc_sec=(20, 64, 64, 128)), kwargs)
