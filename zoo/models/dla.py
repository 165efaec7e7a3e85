"""DLA (Deep Layer Aggregation), including the Res2Net / Res2NeXt-block variants.

Papers:
- DLA: "Deep Layer Aggregation", Yu et al., 2017 (arXiv:1707.06484). Stages are trees: hierarchical deep
  aggregation (HDA) merges the outputs of sibling subtrees with a 1x1 "root" conv, and iterative deep aggregation
  feeds each stage's input (`level_root`) into the root of the next aggregation, so shallow and deep features
  are fused at every level.
- Res2Net: "Res2Net: A New Multi-scale Backbone Architecture", Gao et al., 2019 (arXiv:1904.01169), whose
  hierarchical-split bottleneck replaces DLA's bottleneck in the "_res2net" / "_res2next" variants.

Deviations (matching the published weights): the "-C" compact models keep 64-wide early levels; "x" variants use
grouped (ResNeXt) bottlenecks; the root of DLA-102/169 has a residual connection. Only output_stride=32 exists.
Module names follow the reference implementation (`base_layer`, `level0..5`, `tree1/2`, `root`, `project`, `fc`).
"""
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

import torch
import torch.nn as nn

from zoo.layers import create_classifier
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import run_sequence
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['DLA', 'DlaBasic', 'DlaBottleneck', 'DlaBottle2neck']


def _inner_width(outplanes: int, cardinality: int, base_width: int, expansion: int) -> int:
    """Width of a bottleneck's 3x3 stage: ResNeXt's `cardinality * base_width / 64` rule applied to the block's
    output width, divided by the DLA bottleneck expansion of 2."""
    return int(math.floor(outplanes * (base_width / 64)) * cardinality) // expansion


def _conv_bn(in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, dilation: int = 1,
             groups: int = 1, padding: Optional[int] = None) -> Tuple[nn.Conv2d, nn.BatchNorm2d]:
    """A bias-free conv (padded to keep the size unless `padding` is given) and the BatchNorm after it."""
    pad = dilation * (kernel_size - 1) // 2 if padding is None else padding
    conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, padding=pad, dilation=dilation, groups=groups, bias=False)
    return conv, nn.BatchNorm2d(out_chs)


class DlaBasic(nn.Module):
    """Two 3x3 convs; the residual may be supplied by the tree (the projected, downsampled input).

    Args:
        inplanes: input channels.
        planes: output channels.
        stride: stride of the first conv.
        dilation: dilation of both convs.
        **_: bottleneck-only arguments (cardinality, base_width), ignored.
    """

    def __init__(self, inplanes: int, planes: int, stride: int = 1, dilation: int = 1, **_):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(inplanes, planes, 3, stride, dilation)
        self.relu = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = _conv_bn(planes, planes, 3, 1, dilation)
        self.stride = stride

    def forward(self, x: torch.Tensor, shortcut: Optional[torch.Tensor] = None) -> torch.Tensor:
        shortcut = x if shortcut is None else shortcut
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + shortcut)


class DlaBottleneck(nn.Module):
    """1x1 -> 3x3 (grouped for DLA-X) -> 1x1 with expansion 2; the residual may be supplied by the tree.

    Args:
        inplanes: input channels.
        outplanes: output channels.
        stride: stride of the 3x3 conv.
        dilation: dilation of the 3x3 conv.
        cardinality: groups of the 3x3 conv.
        base_width: per-group width factor.
    """
    expansion = 2

    def __init__(self, inplanes: int, outplanes: int, stride: int = 1, dilation: int = 1, cardinality: int = 1,
                 base_width: int = 64):
        super().__init__()
        self.stride = stride
        width = _inner_width(outplanes, cardinality, base_width, self.expansion)
        self.conv1, self.bn1 = _conv_bn(inplanes, width, 1)
        self.conv2, self.bn2 = _conv_bn(width, width, 3, stride, dilation, groups=cardinality)
        self.conv3, self.bn3 = _conv_bn(width, outplanes, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor, shortcut: Optional[torch.Tensor] = None) -> torch.Tensor:
        shortcut = x if shortcut is None else shortcut
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + shortcut)


class DlaBottle2neck(nn.Module):
    """Res2Net bottleneck: the 1x1 output is split into `scale` groups processed by a cascade of 3x3 convs.

    Each 3x3 conv sees its split plus the previous conv's output (paper eq. 1), widening the receptive field
    within one block. In a strided block the splits are independent and the last split is average-pooled.

    Args:
        inplanes: input channels.
        outplanes: output channels.
        stride: stride of the 3x3 convs.
        dilation: dilation of the 3x3 convs.
        scale: number of splits.
        cardinality: groups of each 3x3 conv (Res2NeXt).
        base_width: per-group width factor.
    """
    expansion = 2

    def __init__(self, inplanes: int, outplanes: int, stride: int = 1, dilation: int = 1, scale: int = 4,
                 cardinality: int = 8, base_width: int = 4):
        super().__init__()
        self.is_first = stride > 1
        self.scale = scale
        mid_planes = _inner_width(outplanes, cardinality, base_width, self.expansion)
        self.width = mid_planes
        self.conv1 = nn.Conv2d(inplanes, mid_planes * scale, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_planes * scale)
        num_convs = max(1, scale - 1)
        self.convs = nn.ModuleList([
            nn.Conv2d(mid_planes, mid_planes, 3, stride, padding=dilation, dilation=dilation, groups=cardinality,
                      bias=False) for _ in range(num_convs)])
        self.bns = nn.ModuleList([nn.BatchNorm2d(mid_planes) for _ in range(num_convs)])
        self.pool = nn.AvgPool2d(kernel_size=3, stride=stride, padding=1) if self.is_first else None
        self.conv3 = nn.Conv2d(mid_planes * scale, outplanes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(outplanes)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor, shortcut: Optional[torch.Tensor] = None) -> torch.Tensor:
        shortcut = x if shortcut is None else shortcut
        out = self.relu(self.bn1(self.conv1(x)))
        splits = torch.split(out, self.width, 1)
        outs = []
        sp = splits[0]
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            sp = splits[i] if i == 0 or self.is_first else sp + splits[i]
            sp = self.relu(bn(conv(sp)))
            outs.append(sp)
        if self.scale > 1:
            # the last split bypasses the convs (pooled to match a strided block's resolution)
            outs.append(self.pool(splits[-1]) if self.pool is not None else splits[-1])
        out = self.bn3(self.conv3(torch.cat(outs, 1)))
        return self.relu(out + shortcut)


class DlaRoot(nn.Module):
    """Aggregation node: concat children -> 1x1 conv -> BN (-> + first child) -> ReLU.

    Args:
        in_channels: total channels of the concatenated children.
        out_channels: output channels.
        kernel_size: kernel of the aggregation conv (padding only; the conv is 1x1 as in the reference).
        shortcut: add the first child (residual root).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, shortcut: bool):
        super().__init__()
        self.shortcut = shortcut
        # the reference pads for `kernel_size` around a 1x1 conv; reproduced, so a root kernel > 1 grows the map alike
        self.conv, self.bn = _conv_bn(in_channels, out_channels, 1, padding=(kernel_size - 1) // 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, children: List[torch.Tensor]) -> torch.Tensor:
        x = self.bn(self.conv(torch.cat(children, 1)))
        if self.shortcut:
            x = x + children[0]
        return self.relu(x)


class DlaTree(nn.Module):
    """A DLA tree of depth `levels`: two subtrees (or two blocks at depth 1) merged by a root.

    Args:
        levels: tree depth.
        block: block class of the leaves.
        in_channels: input channels.
        out_channels: output channels.
        stride: stride of the first leaf (and of the max-pool making the "bottom" input for roots / residuals).
        dilation: dilation of the leaves.
        cardinality: groups of the leaves' 3x3 convs.
        base_width: per-group width factor of the leaves.
        level_root: feed this tree's (downsampled) input into its deepest root (iterative aggregation).
        root_dim: channels entering the root (0 for the default 2 * out_channels).
        root_kernel_size: kernel of the root conv.
        root_shortcut: residual roots.
    """

    def __init__(
            self,
            levels: int,
            block: Type[nn.Module],
            in_channels: int,
            out_channels: int,
            stride: int = 1,
            dilation: int = 1,
            cardinality: int = 1,
            base_width: int = 64,
            level_root: bool = False,
            root_dim: int = 0,
            root_kernel_size: int = 1,
            root_shortcut: bool = False,
    ):
        super().__init__()
        # a tree's root sees both children, plus its own input under iterative aggregation (`level_root`)
        root_dim = (root_dim or 2 * out_channels) + (in_channels if level_root else 0)
        self.downsample = nn.MaxPool2d(stride, stride=stride) if stride > 1 else nn.Identity()
        self.project = _leaf_projection(in_channels, out_channels) if levels == 1 else nn.Identity()
        self.tree1, self.tree2, self.root = _tree_nodes(
            levels, block, in_channels, out_channels, stride, root_dim,
            leaf_kw=dict(dilation=dilation, cardinality=cardinality, base_width=base_width),
            root_kw=dict(kernel_size=root_kernel_size, shortcut=root_shortcut))
        self.level_root = level_root
        self.root_dim = root_dim
        self.levels = levels

    def forward(self, x: torch.Tensor, shortcut: Optional[torch.Tensor] = None,
                children: Optional[List[torch.Tensor]] = None) -> torch.Tensor:
        pooled = self.downsample(x)
        carried = [] if children is None else list(children)
        if self.level_root:
            carried.append(pooled)
        left = self.tree1(x, self.project(pooled))
        if self.root is None:
            # the aggregation happens in the deepest root of tree2, which receives everything gathered so far
            return self.tree2(left, None, carried + [left])
        return self.root([self.tree2(left), left] + carried)


def _leaf_projection(in_chs: int, out_chs: int) -> nn.Module:
    """Shortcut of a depth-1 tree's first leaf: the pooled input, 1x1-projected when the width changes."""
    return nn.Identity() if in_chs == out_chs else nn.Sequential(*_conv_bn(in_chs, out_chs, 1))


def _tree_nodes(levels: int, block: Type[nn.Module], in_chs: int, out_chs: int, stride: int, root_dim: int,
                leaf_kw: Dict[str, Any], root_kw: Dict[str, Any]) -> Tuple[nn.Module, nn.Module, Optional[DlaRoot]]:
    """The two children of a tree node and its root.

    At depth 1 the children are two blocks merged by a root. Deeper, both children are subtrees of depth
    `levels - 1` and this node has no root of its own: the second subtree's deepest root aggregates this node's
    children too (hence its root width grows by `out_chs`), which is the paper's hierarchical aggregation with
    shared roots.
    """
    if levels == 1:
        first = block(in_chs, out_chs, stride, **leaf_kw)
        second = block(out_chs, out_chs, 1, **leaf_kw)
        return first, second, DlaRoot(root_dim, out_chs, **root_kw)
    sub_kw = dict(leaf_kw, root_kernel_size=root_kw['kernel_size'], root_shortcut=root_kw['shortcut'])
    first = DlaTree(levels - 1, block, in_chs, out_chs, stride, root_dim=0, **sub_kw)
    second = DlaTree(levels - 1, block, out_chs, out_chs, root_dim=root_dim + out_chs, **sub_kw)
    return first, second, None


def _conv_level(inplanes: int, planes: int, convs: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    layers = []
    for i in range(convs):
        layers += [
            nn.Conv2d(inplanes, planes, 3, stride=stride if i == 0 else 1, padding=dilation, dilation=dilation,
                      bias=False),
            nn.BatchNorm2d(planes),
            nn.ReLU(inplace=True),
        ]
        inplanes = planes
    return nn.Sequential(*layers)


class DLA(ZooModel):
    """Deep Layer Aggregation: a stride-1 7x7 base layer, two plain conv levels, four aggregation trees.

    Args:
        levels: depth of level0..5 (conv count for levels 0-1, tree depth for 2-5).
        channels: width of level0..5.
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        global_pool: pooling type of the head.
        cardinality: groups of the blocks' 3x3 convs.
        base_width: per-group width factor of the blocks.
        block: leaf block class.
        shortcut_root: residual aggregation roots.
        drop_rate: dropout before the classifier.
    """
    trunk = Trunk(levels=(('base_layer', 'level0'),) + tuple((f'level{i}',) for i in range(1, 6)))
    classifier_name = 'fc'
    groups = dict(stem=r'^base_layer', coarse=r'^level(\d+)',
                  blocks=[(r'^level(\d+)\.tree(\d+)', None), (r'^level(\d+)\.root', (2,)), (r'^level(\d+)', (1,))])

    def __init__(
            self,
            levels: Sequence[int],
            channels: Sequence[int],
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: str = 'avg',
            cardinality: int = 1,
            base_width: int = 64,
            block: Type[nn.Module] = DlaBottle2neck,
            shortcut_root: bool = False,
            drop_rate: float = 0.,
    ):
        super().__init__()
        self.channels = tuple(channels)
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        self.base_layer = nn.Sequential(
            nn.Conv2d(in_chans, channels[0], kernel_size=7, stride=1, padding=3, bias=False),
            nn.BatchNorm2d(channels[0]),
            nn.ReLU(inplace=True),
        )
        self.level0 = _conv_level(channels[0], channels[0], levels[0])
        self.level1 = _conv_level(channels[0], channels[1], levels[1], stride=2)
        tree_kw = dict(cardinality=cardinality, base_width=base_width, root_shortcut=shortcut_root)
        self.level2 = DlaTree(levels[2], block, channels[1], channels[2], 2, level_root=False, **tree_kw)
        self.level3 = DlaTree(levels[3], block, channels[2], channels[3], 2, level_root=True, **tree_kw)
        self.level4 = DlaTree(levels[4], block, channels[3], channels[4], 2, level_root=True, **tree_kw)
        self.level5 = DlaTree(levels[5], block, channels[4], channels[5], 2, level_root=True, **tree_kw)
        self.feature_info = [dict(num_chs=c, reduction=2 ** i, module=f'level{i}') for i, c in enumerate(channels)]

        self.num_features = channels[-1]
        # the reference classifies with a 1x1 conv; keeping it keeps the checkpoints' fc weight shape (C, F, 1, 1)
        self.global_pool, self.head_drop, self.fc = create_classifier(
            self.num_features, num_classes, pool_type=global_pool, use_conv=True, drop_rate=drop_rate)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        self.flatten = nn.Flatten(1) if global_pool else nn.Identity()

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0., math.sqrt(2. / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is None:
            global_pool = self.global_pool.pool_type
        self.global_pool, self.fc = create_classifier(self.num_features, num_classes, pool_type=global_pool,
                                                      use_conv=True)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        self.flatten = nn.Flatten(1) if global_pool else nn.Identity()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.base_layer(x)
        levels = [self.level0, self.level1, self.level2, self.level3, self.level4, self.level5]
        return run_sequence(levels, x, self.grad_checkpointing)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.global_pool(x))
        if pre_logits:
            return self.flatten(x)
        return self.flatten(self.fc(x))

    def _replace_head(self, in_features: int) -> None:
        self._reset_head(0, '')


def _create_dla(variant: str, pretrained: bool = False, **kwargs) -> DLA:
    # the stride-1 level0 is rarely useful, so features_only starts at level1 (as timm does)
    return build_model_with_cfg(DLA, variant, pretrained, feature_cfg=dict(out_indices=(1, 2, 3, 4, 5)), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.875, interpolation='bilinear',
               first_conv='base_layer.0', classifier='fc', license='bsd-3-clause', paper_ids='arXiv:1707.06484')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'dla34.in1k': _cfg(),
    'dla46_c.in1k': _cfg(),
    'dla46x_c.in1k': _cfg(),
    'dla60x_c.in1k': _cfg(),
    'dla60.in1k': _cfg(),
    'dla60x.in1k': _cfg(),
    'dla102.in1k': _cfg(),
    'dla102x.in1k': _cfg(),
    'dla102x2.in1k': _cfg(),
    'dla169.in1k': _cfg(),
    'dla60_res2net.in1k': _cfg(license='unknown', paper_ids=('arXiv:1707.06484', 'arXiv:1904.01169')),
    'dla60_res2next.in1k': _cfg(license='unknown', paper_ids=('arXiv:1707.06484', 'arXiv:1904.01169')),
})

_WIDE = (16, 32, 128, 256, 512, 1024)
_COMPACT = (16, 32, 64, 64, 128, 256)


def _dla(variant: str, pretrained: bool, kwargs: Dict[str, Any], **model_args) -> DLA:
    return _create_dla(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def dla34(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-34 (basic blocks)."""
    return _dla('dla34', pretrained, kwargs, levels=(1, 1, 1, 2, 2, 1), channels=(16, 32, 64, 128, 256, 512),
                block=DlaBasic)


@register_model
def dla46_c(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-46-C (compact)."""
    return _dla('dla46_c', pretrained, kwargs, levels=(1, 1, 1, 2, 2, 1), channels=_COMPACT, block=DlaBottleneck)


@register_model
def dla46x_c(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-X-46-C (compact, 32 groups)."""
    return _dla('dla46x_c', pretrained, kwargs, levels=(1, 1, 1, 2, 2, 1), channels=_COMPACT, block=DlaBottleneck,
                cardinality=32, base_width=4)


@register_model
def dla60x_c(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-X-60-C (compact, 32 groups)."""
    return _dla('dla60x_c', pretrained, kwargs, levels=(1, 1, 1, 2, 3, 1), channels=_COMPACT, block=DlaBottleneck,
                cardinality=32, base_width=4)


@register_model
def dla60(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-60."""
    return _dla('dla60', pretrained, kwargs, levels=(1, 1, 1, 2, 3, 1), channels=_WIDE, block=DlaBottleneck)


@register_model
def dla60x(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-X-60 (32 groups)."""
    return _dla('dla60x', pretrained, kwargs, levels=(1, 1, 1, 2, 3, 1), channels=_WIDE, block=DlaBottleneck,
                cardinality=32, base_width=4)


@register_model
def dla102(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-102 (residual roots)."""
    return _dla('dla102', pretrained, kwargs, levels=(1, 1, 1, 3, 4, 1), channels=_WIDE, block=DlaBottleneck,
                shortcut_root=True)


@register_model
def dla102x(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-X-102 (32 groups, residual roots)."""
    return _dla('dla102x', pretrained, kwargs, levels=(1, 1, 1, 3, 4, 1), channels=_WIDE, block=DlaBottleneck,
                cardinality=32, base_width=4, shortcut_root=True)


@register_model
def dla102x2(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-X-102 with 64 groups."""
    return _dla('dla102x2', pretrained, kwargs, levels=(1, 1, 1, 3, 4, 1), channels=_WIDE, block=DlaBottleneck,
                cardinality=64, base_width=4, shortcut_root=True)


@register_model
def dla169(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-169 (residual roots)."""
    return _dla('dla169', pretrained, kwargs, levels=(1, 1, 2, 3, 5, 1), channels=_WIDE, block=DlaBottleneck,
                shortcut_root=True)


@register_model
def dla60_res2net(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-60 with Res2Net bottlenecks (scale 4, width 28)."""
    return _dla('dla60_res2net', pretrained, kwargs, levels=(1, 1, 1, 2, 3, 1), channels=_WIDE,
                block=DlaBottle2neck, cardinality=1, base_width=28)


@register_model
def dla60_res2next(pretrained: bool = False, **kwargs) -> DLA:
    """DLA-60 with Res2NeXt bottlenecks (scale 4, 8 groups of width 4)."""
    return _dla('dla60_res2next', pretrained, kwargs, levels=(1, 1, 1, 2, 3, 1), channels=_WIDE,
                block=DlaBottle2neck, cardinality=8, base_width=4)
