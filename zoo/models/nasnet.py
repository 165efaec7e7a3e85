"""NASNet-A Large.

"Learning Transferable Architectures for Scalable Image Recognition", Zoph et al., 2018 (arXiv:1707.07012),
figure 4 ("NASNet-A"): a searched normal cell and reduction cell, each summing pairs of operations (separable
3x3 / 5x5 / 7x7 convs, 3x3 average / max pools, identity) over two inputs (the previous two cells' outputs, each
projected by ReLU -> 1x1 conv -> BN, or by a factorised reduction when the older one has twice the resolution).
ImageNet "6 @ 4032": a strided 3x3 stem conv, two reduction-type stem cells, then 3 x (6 normal cells) separated
by two reduction cells. Like the TF release, a reduction cell's successor takes the cell *before* the reduction
as its older input, and convs / pools use TF 'SAME' padding; BatchNorm epsilon 1e-3.

The two cell wirings are written once (`_reduce_wiring`, `_normal_wiring`) over a primary input P (the projected
newest input) and a secondary input S. Feature levels follow timm's: the stem conv, the ReLU'd outputs of
cell_stem_0, cell_5 and cell_11 (read by the next cells' input ReLU) and the final ReLU.
"""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers.classifier import create_classifier
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.norm_act import BatchNormAct2d
from zoo.layers.padding import pad_same
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._nas_cells import BN_EPS, ActConvBn, BranchSeparables, CellPairLevels, tf_max_pool
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['NASNetALarge']


class _AvgPoolSame(nn.AvgPool2d):
    """3x3 average pool with TF 'SAME' padding at stride 2: zero-padded per input, the pad counted in the mean."""

    def __init__(self, stride: int):
        super().__init__(3, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(pad_same(x, (3, 3), (self.stride, self.stride)), 3, self.stride)


def _avg_pool(stride: int, pad_type: str) -> nn.Module:
    if pad_type == 'same' and stride > 1:
        return _AvgPoolSame(stride)
    return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)


def _add_factorized_reduction(cell: nn.Module, in_chs: int, out_chs: int) -> None:
    """Register `act`, `path_1`, `path_2`, `final_path_bn` on `cell`: ReLU, then two stride-2 1x1 convs on the input
    and on the input shifted by one pixel (`out_chs // 2` each), concatenated and normalised."""
    cell.act = nn.ReLU()
    cell.path_1 = nn.Sequential()
    cell.path_1.add_module('avgpool', nn.AvgPool2d(1, stride=2, count_include_pad=False))
    cell.path_1.add_module('conv', nn.Conv2d(in_chs, out_chs // 2, 1, bias=False))
    cell.path_2 = nn.Sequential()
    cell.path_2.add_module('pad', nn.ZeroPad2d((-1, 1, -1, 1)))  # drop the first row / column: a 1 px shift
    cell.path_2.add_module('avgpool', nn.AvgPool2d(1, stride=2, count_include_pad=False))
    cell.path_2.add_module('conv', nn.Conv2d(in_chs, out_chs // 2, 1, bias=False))
    cell.final_path_bn = nn.BatchNorm2d(out_chs, eps=BN_EPS)


def _factorized(cell: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = cell.act(x)
    return cell.final_path_bn(torch.cat([cell.path_1(x), cell.path_2(x)], dim=1))


def _add_reduce_ops(cell: nn.Module, chs: int, s_chs: int, pad_type: str) -> None:
    """The reduction-type operations: `chs`-wide branches, the S-side ones widening from `s_chs` first."""
    cell.comb_iter_0_left = BranchSeparables(chs, chs, 5, stride=2, padding=pad_type)
    cell.comb_iter_0_right = BranchSeparables(s_chs, chs, 7, stride=2, stem_cell=True, padding=pad_type)
    cell.comb_iter_1_left = tf_max_pool(2, pad_type)
    cell.comb_iter_1_right = BranchSeparables(s_chs, chs, 7, stride=2, stem_cell=True, padding=pad_type)
    cell.comb_iter_2_left = _avg_pool(2, pad_type)
    cell.comb_iter_2_right = BranchSeparables(s_chs, chs, 5, stride=2, stem_cell=True, padding=pad_type)
    cell.comb_iter_3_right = _avg_pool(1, pad_type)
    cell.comb_iter_4_left = BranchSeparables(chs, chs, 3, padding=pad_type)
    cell.comb_iter_4_right = tf_max_pool(2, pad_type)


def _reduce_wiring(cell: nn.Module, p: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    b0 = cell.comb_iter_0_left(p) + cell.comb_iter_0_right(s)
    b1 = cell.comb_iter_1_left(p) + cell.comb_iter_1_right(s)
    b2 = cell.comb_iter_2_left(p) + cell.comb_iter_2_right(s)
    b3 = cell.comb_iter_3_right(b0) + b1
    b4 = cell.comb_iter_4_left(b0) + cell.comb_iter_4_right(p)
    return torch.cat([b1, b2, b3, b4], dim=1)


def _add_normal_ops(cell: nn.Module, chs: int, pad_type: str) -> None:
    cell.comb_iter_0_left = BranchSeparables(chs, chs, 5, padding=pad_type)
    cell.comb_iter_0_right = BranchSeparables(chs, chs, 3, padding=pad_type)
    cell.comb_iter_1_left = BranchSeparables(chs, chs, 5, padding=pad_type)
    cell.comb_iter_1_right = BranchSeparables(chs, chs, 3, padding=pad_type)
    cell.comb_iter_2_left = _avg_pool(1, pad_type)
    cell.comb_iter_3_left = _avg_pool(1, pad_type)
    cell.comb_iter_3_right = _avg_pool(1, pad_type)
    cell.comb_iter_4_left = BranchSeparables(chs, chs, 3, padding=pad_type)


def _normal_wiring(cell: nn.Module, p: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    b0 = cell.comb_iter_0_left(p) + cell.comb_iter_0_right(s)
    b1 = cell.comb_iter_1_left(s) + cell.comb_iter_1_right(s)
    b2 = cell.comb_iter_2_left(p) + s
    b3 = cell.comb_iter_3_left(s) + cell.comb_iter_3_right(s)
    b4 = cell.comb_iter_4_left(p) + p
    return torch.cat([s, b0, b1, b2, b3, b4], dim=1)


class CellStem0(nn.Module):
    """First stem cell (stride 2) on the stem conv output: P its 1x1 projection, S the raw map."""

    def __init__(self, stem_size: int, num_channels: int, pad_type: str = ''):
        super().__init__()
        self.conv_1x1 = ActConvBn(stem_size, num_channels)
        _add_reduce_ops(self, num_channels, stem_size, pad_type)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _reduce_wiring(self, self.conv_1x1(x), x)


class CellStem1(nn.Module):
    """Second stem cell (stride 2): P from cell_stem_0, S the stem conv map halved by a factorised reduction."""

    def __init__(self, stem_size: int, num_channels: int, pad_type: str = ''):
        super().__init__()
        self.conv_1x1 = ActConvBn(2 * num_channels, num_channels)
        _add_factorized_reduction(self, stem_size, num_channels)
        _add_reduce_ops(self, num_channels, num_channels, pad_type)

    def forward(self, x: torch.Tensor, x_prev: torch.Tensor) -> torch.Tensor:
        return _reduce_wiring(self, self.conv_1x1(x), _factorized(self, x_prev))


class FirstCell(nn.Module):
    """Normal cell after a reduction: its older input (twice the resolution) goes through a factorised reduction."""

    def __init__(self, in_chs_left: int, out_chs_left: int, in_chs_right: int, out_chs_right: int,
                 pad_type: str = ''):
        super().__init__()
        self.conv_1x1 = ActConvBn(in_chs_right, out_chs_right)
        _add_factorized_reduction(self, in_chs_left, 2 * out_chs_left)
        _add_normal_ops(self, out_chs_right, pad_type)

    def forward(self, x: torch.Tensor, x_prev: torch.Tensor) -> torch.Tensor:
        return _normal_wiring(self, self.conv_1x1(x), _factorized(self, x_prev))


class NormalCell(nn.Module):
    """NASNet-A normal cell (stride 1)."""

    def __init__(self, in_chs_left: int, out_chs_left: int, in_chs_right: int, out_chs_right: int,
                 pad_type: str = ''):
        super().__init__()
        self.conv_prev_1x1 = ActConvBn(in_chs_left, out_chs_left, padding=pad_type)
        self.conv_1x1 = ActConvBn(in_chs_right, out_chs_right, padding=pad_type)
        _add_normal_ops(self, out_chs_right, pad_type)

    def forward(self, x: torch.Tensor, x_prev: torch.Tensor) -> torch.Tensor:
        return _normal_wiring(self, self.conv_1x1(x), self.conv_prev_1x1(x_prev))


class ReductionCell(nn.Module):
    """NASNet-A reduction cell (stride 2)."""

    def __init__(self, in_chs_left: int, out_chs_left: int, in_chs_right: int, out_chs_right: int,
                 pad_type: str = ''):
        super().__init__()
        self.conv_prev_1x1 = ActConvBn(in_chs_left, out_chs_left, padding=pad_type)
        self.conv_1x1 = ActConvBn(in_chs_right, out_chs_right, padding=pad_type)
        _add_reduce_ops(self, out_chs_right, out_chs_right, pad_type)

    def forward(self, x: torch.Tensor, x_prev: torch.Tensor) -> torch.Tensor:
        return _reduce_wiring(self, self.conv_1x1(x), self.conv_prev_1x1(x_prev))


_LEVELS = (
    ('conv0',), ('cell_stem_0',),
    ('cell_stem_1',) + tuple(f'cell_{i}' for i in range(6)),
    ('reduction_cell_0',) + tuple(f'cell_{i}' for i in range(6, 12)),
    ('reduction_cell_1',) + tuple(f'cell_{i}' for i in range(12, 18)),
)


class NASNetALarge(CellPairLevels, ZooModel):
    """NASNet-A Large (6 @ 4032); each cell takes the outputs of two earlier layers.

    Args:
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        stem_size: stem conv width.
        channel_multiplier: width growth per reduction.
        num_features: output width (24 x the base cell width).
        output_stride: must be 32.
        drop_rate: dropout before the classifier.
        global_pool: pooling type of the head.
        pad_type: padding of the cells' convs and pools ('same' for the TF weights).
    """
    trunk = Trunk(levels=_LEVELS, final=('act',), final_is_norm=False)
    classifier_name = 'last_linear'
    groups = dict(stem=r'^conv0|cell_stem_[01]',
                  blocks=[(r'^cell_(\d+)', None), (r'^reduction_cell_0', (6,)), (r'^reduction_cell_1', (12,))])
    single_input = ('conv0', 'cell_stem_0')

    def __init__(self, num_classes: int = 1000, in_chans: int = 3, stem_size: int = 96, channel_multiplier: int = 2,
                 num_features: int = 4032, output_stride: int = 32, drop_rate: float = 0., global_pool: str = 'avg',
                 pad_type: str = 'same'):
        super().__init__()
        if output_stride != 32:
            raise ValueError(f'NASNetALarge supports only output_stride=32, got {output_stride}.')
        self.num_classes = check_num_classes(num_classes)
        self.drop_rate = drop_rate
        self.num_features = self.head_hidden_size = num_features
        c = num_features // 24
        self.conv0 = ConvNormAct(in_chans, stem_size, 3, stride=2, padding=0, apply_act=False,
                                 norm_layer=partial(BatchNormAct2d, eps=BN_EPS))
        self.cell_stem_0 = CellStem0(stem_size, c // channel_multiplier ** 2, pad_type=pad_type)
        self.cell_stem_1 = CellStem1(stem_size, c // channel_multiplier, pad_type=pad_type)
        # cell widths in units of c: `widths` per branch, a normal cell outputs 6 branches, a reduction cell 4 x 2
        widths = 1
        prev_left, prev_right = 1, 2  # outputs of cell_stem_0 / cell_stem_1
        index = 0
        for group in range(3):
            if group:
                self.add_module(f'reduction_cell_{group - 1}', ReductionCell(
                    prev_left * c, 2 * widths * c, prev_right * c, 2 * widths * c, pad_type=pad_type))
                # the cell after a reduction keeps the reduction's older input as its own
                prev_right = 8 * widths
                widths *= 2
            for i in range(6):
                cls = FirstCell if i == 0 else NormalCell
                out_left = widths * c // 2 if i == 0 else widths * c
                self.add_module(f'cell_{index}', cls(prev_left * c, out_left, prev_right * c, widths * c,
                                                     pad_type=pad_type))
                prev_left, prev_right = prev_right, 6 * widths
                index += 1
        self.act = nn.ReLU()
        self.feature_info = [
            dict(num_chs=stem_size, reduction=2, module='conv0'),
            dict(num_chs=4 * c // channel_multiplier ** 2, reduction=4, module='cell_stem_1.conv_1x1.act'),
            dict(num_chs=6 * c, reduction=8, module='reduction_cell_0.conv_1x1.act'),
            dict(num_chs=12 * c, reduction=16, module='reduction_cell_1.conv_1x1.act'),
            dict(num_chs=num_features, reduction=32, module='act'),
        ]
        self._kept_levels = len(_LEVELS)
        self.global_pool, self.last_linear = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_drop = nn.Dropout(drop_rate)


def _create_nasnet(variant: str, pretrained: bool = False, **kwargs) -> NASNetALarge:
    # the cells cannot be re-run as a plain module sequence, so features come from hooks on the named modules
    return build_model_with_cfg(NASNetALarge, variant, pretrained,
                                feature_cfg=dict(feature_cls='hook', no_rewrite=True), **kwargs)


default_cfgs = generate_default_cfgs({
    'nasnetalarge.tf_in1k': dict(
        hf_hub_id='timm/', input_size=(3, 331, 331), pool_size=(11, 11), crop_pct=0.911, interpolation='bicubic',
        mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='conv0.conv', classifier='last_linear',
        license='apache-2.0', paper_ids='arXiv:1707.07012'),
})


@register_model
def nasnetalarge(pretrained: bool = False, **kwargs) -> NASNetALarge:
    """NASNet-A Large 6 @ 4032 (Zoph et al., 2018), TF 'SAME' padding."""
    return _create_nasnet('nasnetalarge', pretrained, **kwargs)
