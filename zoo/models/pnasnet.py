"""PNASNet-5 Large.

"Progressive Neural Architecture Search", Liu et al., 2018 (arXiv:1712.00559). The cell found by the search
(figure 1, "PNASNet-5") combines its two inputs (the outputs of the previous two cells, each first projected with
ReLU -> 1x1 conv -> BN) in five blocks, each the sum of two operations (separable 3x3 / 5x5 / 7x7 convs, 3x3
max-pool, identity), and concatenates the five sums. Reduction cells run the operations at stride 2; when the two
inputs differ in resolution the older one is halved by a factorised reduction (two 1x1 convs on the input and on
the input shifted by one pixel, each subsampled). ImageNet model: a strided 3x3 stem conv, two stem cells (stride 4
in total), then 12 cells at 4320 output channels with reductions at cells 4 and 8. TF 'SAME' padding, as the
TF-slim weights were trained with it; BatchNorm epsilon 1e-3.

Feature levels follow timm's: the stem conv output, the ReLU'd outputs of cell_stem_0, cell_3 and cell_7 (read by
the next cell's input ReLU) and the final ReLU.
"""
from collections import OrderedDict
from functools import partial
from typing import Optional

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers.classifier import create_classifier
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.norm_act import BatchNormAct2d
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._nas_cells import BN_EPS, ActConvBn, BranchSeparables, CellPairLevels, tf_max_pool
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['PNASNet5Large']


def _subsample_1x1(in_chs: int, out_chs: int, padding: str, shift: bool) -> nn.Sequential:
    """Keep every second row and column (a 1x1 average pool at stride 2), then a 1x1 conv; with `shift`, the map is
    first moved up-left by one pixel (first row / column dropped, a zero row / column appended), so the kept
    positions are the odd ones."""
    layers = [('pad', nn.ZeroPad2d((-1, 1, -1, 1)))] if shift else []
    layers.append(('avgpool', nn.AvgPool2d(1, stride=2, count_include_pad=False)))
    layers.append(('conv', create_conv2d(in_chs, out_chs, 1, padding=padding)))
    return nn.Sequential(OrderedDict(layers))


class FactorizedReduction(nn.Module):
    """ReLU, then two stride-2 1x1 convs (half the width each) on the even and on the odd positions (so together they
    see every position), concatenated and normalised."""

    def __init__(self, in_chs: int, out_chs: int, padding: str = ''):
        super().__init__()
        self.act = nn.ReLU()
        self.path_1, self.path_2 = (_subsample_1x1(in_chs, out_chs // 2, padding, shift) for shift in (False, True))
        self.final_path_bn = nn.BatchNorm2d(out_chs, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(x)
        return self.final_path_bn(torch.cat([self.path_1(x), self.path_2(x)], dim=1))


class _PnasCell(nn.Module):
    """The five PNASNet-5 blocks over the projected inputs (left: older, right: newer); outputs concatenated."""
    comb_iter_4_right: Optional[nn.Module]

    def _combine(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        b0 = self.comb_iter_0_left(left) + self.comb_iter_0_right(left)
        b1 = self.comb_iter_1_left(right) + self.comb_iter_1_right(right)
        b2 = self.comb_iter_2_left(right) + self.comb_iter_2_right(right)
        b3 = self.comb_iter_3_left(b2) + self.comb_iter_3_right(right)
        b4 = self.comb_iter_4_left(left) + (right if self.comb_iter_4_right is None else self.comb_iter_4_right(right))
        return torch.cat([b0, b1, b2, b3, b4], dim=1)


class CellStem0(_PnasCell):
    """First stem cell (stride 2): both block inputs derive from the one stem map."""

    def __init__(self, in_chs: int, out_chs: int, pad_type: str = ''):
        super().__init__()
        self.conv_1x1 = ActConvBn(in_chs, out_chs, padding=pad_type)
        self.comb_iter_0_left = BranchSeparables(in_chs, out_chs, 5, stride=2, stem_cell=True, padding=pad_type)
        self.comb_iter_0_right = nn.Sequential(OrderedDict([
            ('max_pool', tf_max_pool(2, pad_type)),
            ('conv', create_conv2d(in_chs, out_chs, 1, padding=pad_type)),
            ('bn', nn.BatchNorm2d(out_chs, eps=BN_EPS)),
        ]))
        self.comb_iter_1_left = BranchSeparables(out_chs, out_chs, 7, stride=2, padding=pad_type)
        self.comb_iter_1_right = tf_max_pool(2, pad_type)
        self.comb_iter_2_left = BranchSeparables(out_chs, out_chs, 5, stride=2, padding=pad_type)
        self.comb_iter_2_right = BranchSeparables(out_chs, out_chs, 3, stride=2, padding=pad_type)
        self.comb_iter_3_left = BranchSeparables(out_chs, out_chs, 3, padding=pad_type)
        self.comb_iter_3_right = tf_max_pool(2, pad_type)
        self.comb_iter_4_left = BranchSeparables(in_chs, out_chs, 3, stride=2, stem_cell=True, padding=pad_type)
        self.comb_iter_4_right = ActConvBn(out_chs, out_chs, 1, stride=2, padding=pad_type)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._combine(x, self.conv_1x1(x))


class Cell(_PnasCell):
    """A normal (stride 1) or reduction (stride 2) cell over (previous-previous, previous) cell outputs.

    Args:
        in_chs_left: channels of the older input.
        out_chs_left: its projected width.
        in_chs_right: channels of the newer input.
        out_chs_right: its projected width.
        pad_type: padding of the convs and pools ('' or 'same').
        is_reduction: stride 2.
        match_prev_layer_dims: the older input has twice the resolution (factorised reduction for it).
    """

    def __init__(self, in_chs_left: int, out_chs_left: int, in_chs_right: int, out_chs_right: int,
                 pad_type: str = '', is_reduction: bool = False, match_prev_layer_dims: bool = False):
        super().__init__()
        stride = 2 if is_reduction else 1
        self.conv_prev_1x1 = (FactorizedReduction(in_chs_left, out_chs_left, padding=pad_type)
                              if match_prev_layer_dims else ActConvBn(in_chs_left, out_chs_left, padding=pad_type))
        self.conv_1x1 = ActConvBn(in_chs_right, out_chs_right, padding=pad_type)
        left, right = out_chs_left, out_chs_right
        self.comb_iter_0_left = BranchSeparables(left, left, 5, stride=stride, padding=pad_type)
        self.comb_iter_0_right = tf_max_pool(stride, pad_type)
        self.comb_iter_1_left = BranchSeparables(right, right, 7, stride=stride, padding=pad_type)
        self.comb_iter_1_right = tf_max_pool(stride, pad_type)
        self.comb_iter_2_left = BranchSeparables(right, right, 5, stride=stride, padding=pad_type)
        self.comb_iter_2_right = BranchSeparables(right, right, 3, stride=stride, padding=pad_type)
        # the reference leaves this stride-1 conv with the default symmetric padding (equal to 'same' here)
        self.comb_iter_3_left = BranchSeparables(right, right, 3)
        self.comb_iter_3_right = tf_max_pool(stride, pad_type)
        self.comb_iter_4_left = BranchSeparables(left, left, 3, stride=stride, padding=pad_type)
        self.comb_iter_4_right = ActConvBn(right, right, 1, stride=stride, padding=pad_type) if is_reduction else None

    def forward(self, x: torch.Tensor, x_prev: torch.Tensor) -> torch.Tensor:
        return self._combine(self.conv_prev_1x1(x_prev), self.conv_1x1(x))


# (in_left, out_left, in_right, out_right, is_reduction, match_prev_layer_dims) of cell_stem_1, cell_0..cell_11
_CELLS = (
    (96, 108, 270, 108, True, True),
    (270, 216, 540, 216, False, True), (540, 216, 1080, 216, False, False),
    (1080, 216, 1080, 216, False, False), (1080, 216, 1080, 216, False, False),
    (1080, 432, 1080, 432, True, False), (1080, 432, 2160, 432, False, True),
    (2160, 432, 2160, 432, False, False), (2160, 432, 2160, 432, False, False),
    (2160, 864, 2160, 864, True, False), (2160, 864, 4320, 864, False, True),
    (4320, 864, 4320, 864, False, False), (4320, 864, 4320, 864, False, False),
)
_LAYERS = ('conv_0', 'cell_stem_0', 'cell_stem_1') + tuple(f'cell_{i}' for i in range(12))
_LEVEL_ENDS = (0, 1, 6, 10, 14)  # positions in _LAYERS of the layers each level ends with


class PNASNet5Large(CellPairLevels, ZooModel):
    """PNASNet-5 Large; each cell takes the outputs of the previous two layers.

    Args:
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        output_stride: must be 32.
        drop_rate: dropout before the classifier.
        global_pool: pooling type of the head.
        pad_type: padding of the cells' convs and pools ('same' for the TF weights).
    """
    trunk = Trunk(levels=tuple(tuple(_LAYERS[(_LEVEL_ENDS[i - 1] + 1 if i else 0):end + 1])
                               for i, end in enumerate(_LEVEL_ENDS)), final=('act',), final_is_norm=False)
    classifier_name = 'last_linear'
    groups = dict(stem=r'^conv_0|cell_stem_[01]', blocks=r'^cell_(\d+)')
    single_input = ('conv_0', 'cell_stem_0')

    def __init__(self, num_classes: int = 1000, in_chans: int = 3, output_stride: int = 32, drop_rate: float = 0.,
                 global_pool: str = 'avg', pad_type: str = ''):
        super().__init__()
        if output_stride != 32:
            raise ValueError(f'PNASNet5Large supports only output_stride=32, got {output_stride}.')
        self.num_classes = check_num_classes(num_classes)
        self.drop_rate = drop_rate
        self.num_features = self.head_hidden_size = 4320
        self.conv_0 = ConvNormAct(in_chans, 96, 3, stride=2, padding=0, apply_act=False,
                                  norm_layer=partial(BatchNormAct2d, eps=BN_EPS))
        self.cell_stem_0 = CellStem0(96, 54, pad_type=pad_type)
        for name, (il, ol, ir, orr, red, match) in zip(_LAYERS[2:], _CELLS):
            self.add_module(name, Cell(il, ol, ir, orr, pad_type=pad_type, is_reduction=red,
                                       match_prev_layer_dims=match))
        self.act = nn.ReLU()
        self.feature_info = [
            dict(num_chs=96, reduction=2, module='conv_0'),
            dict(num_chs=270, reduction=4, module='cell_stem_1.conv_1x1.act'),
            dict(num_chs=1080, reduction=8, module='cell_4.conv_1x1.act'),
            dict(num_chs=2160, reduction=16, module='cell_8.conv_1x1.act'),
            dict(num_chs=4320, reduction=32, module='act'),
        ]
        self._kept_levels = len(self.trunk.levels)
        self.global_pool, self.last_linear = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_drop = nn.Dropout(drop_rate)


def _create_pnasnet(variant: str, pretrained: bool = False, **kwargs) -> PNASNet5Large:
    # the cells cannot be re-run as a plain module sequence, so features come from hooks on the named modules
    return build_model_with_cfg(PNASNet5Large, variant, pretrained,
                                feature_cfg=dict(feature_cls='hook', no_rewrite=True), **kwargs)


default_cfgs = generate_default_cfgs({
    'pnasnet5large.tf_in1k': dict(
        hf_hub_id='timm/', input_size=(3, 331, 331), pool_size=(11, 11), crop_pct=0.911, interpolation='bicubic',
        mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='conv_0.conv', classifier='last_linear',
        license='apache-2.0', paper_ids='arXiv:1712.00559'),
})


@register_model
def pnasnet5large(pretrained: bool = False, **kwargs) -> PNASNet5Large:
    """PNASNet-5 Large (Liu et al., 2018), TF 'SAME' padding."""
    model_args = dict(pad_type='same')
    return _create_pnasnet('pnasnet5large', pretrained, **dict(model_args, **kwargs))
