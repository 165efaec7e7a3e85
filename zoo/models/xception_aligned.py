"""Aligned Xception (the DeepLab-v3+ backbone) and its pre-activation variant.

Papers:
- "Xception: Deep Learning with Depthwise Separable Convolutions", Chollet, 2017 (arXiv:1610.02357).
- "Encoder-Decoder with Atrous Separable Convolution for Semantic Image Segmentation", Chen et al., 2018
  (arXiv:1802.02611): the "aligned" Xception, where every max-pool of the original is replaced by a strided
  separable conv, the middle flow is deepened (16 blocks for Xception-65) and every separable conv is followed by BN.

Every block is three separable 3x3 convs (depthwise -> BN -> pointwise -> BN) with a residual connection (a strided
1x1 conv + BN where the width or resolution changes); the last of the three carries the block's stride. The final
exit-flow block has no residual and puts the ReLU inside each separable conv instead of before it.
The `p` variants (xception41p / 65p) are pre-activation: BN + ReLU open each block and each separable conv after
the first, the shortcut is a bare conv, and a ReLU follows the last block.

Feature levels: as in timm, the levels of strided blocks are taken *inside* the block, at the input of its strided
separable conv (full channel width, before the resolution drops), and the last level is the final block's output.
"""
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers.activations import LayerType, get_act_layer
from zoo.layers.classifier import ClassifierHead
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.drop import DropPath
from zoo.layers.norm_act import BatchNormAct2d
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._steps import LevelStepsMixin

__all__ = ['XceptionAligned', 'XceptionModule', 'PreXceptionModule']

# (in_chs, out_chs of the three separable convs, stride, residual, ReLU before each separable conv)
BlockCfg = Tuple[int, Tuple[int, int, int], int, bool, bool]


class SeparableConv2d(nn.Module):
    """Depthwise kxk conv -> BN (-> act) -> pointwise 1x1 conv -> BN (-> act); acts only when `act_layer` is given.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: depthwise stride.
        dilation: depthwise dilation.
        act_layer: activation after each BN, or None.
        bn_eps: BatchNorm epsilon.
    """

    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, dilation: int = 1,
                 act_layer: Optional[LayerType] = None, bn_eps: float = 1e-5):
        super().__init__()
        act = get_act_layer(act_layer) if act_layer is not None else None
        self.conv_dw = create_conv2d(in_chs, in_chs, 3, stride=stride, dilation=dilation, depthwise=True)
        self.bn_dw = nn.BatchNorm2d(in_chs, eps=bn_eps)
        self.act_dw = act(inplace=True) if act is not None else nn.Identity()
        self.conv_pw = create_conv2d(in_chs, out_chs, 1)
        self.bn_pw = nn.BatchNorm2d(out_chs, eps=bn_eps)
        self.act_pw = act(inplace=True) if act is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act_dw(self.bn_dw(self.conv_dw(x)))
        return self.act_pw(self.bn_pw(self.conv_pw(x)))


class PreSeparableConv2d(nn.Module):
    """Pre-activation separable conv: (BN + act ->) depthwise kxk -> pointwise 1x1, no norm after the convs.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: depthwise stride.
        dilation: depthwise dilation.
        act_layer: activation of the leading norm.
        bn_eps: BatchNorm epsilon.
        first_act: lead with BN + act (the first conv of a block gets them from the block instead).
    """

    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, dilation: int = 1, act_layer: LayerType = nn.ReLU,
                 bn_eps: float = 1e-5, first_act: bool = True):
        super().__init__()
        self.norm = BatchNormAct2d(in_chs, eps=bn_eps, act_layer=act_layer) if first_act else nn.Identity()
        self.conv_dw = create_conv2d(in_chs, in_chs, 3, stride=stride, dilation=dilation, depthwise=True)
        self.conv_pw = create_conv2d(in_chs, out_chs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_pw(self.conv_dw(self.norm(x)))


class _TapBlock(nn.Module):
    """Shared residual logic of both block types: `stack` of separable convs whose last one may be cut off.

    `forward_tap` also returns the input of the last (strided) conv of `stack`, the feature level of strided blocks.
    """
    shortcut: Optional[nn.Module]

    def __init__(self, no_skip: bool, drop_path: float):
        super().__init__()
        self.no_skip = no_skip
        self.drop_path = DropPath(drop_path) if drop_path > 0. else None

    def _pre(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def _add_skip(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.no_skip:
            return y
        if self.drop_path is not None:
            y = self.drop_path(y)
        return y + (x if self.shortcut is None else self.shortcut(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._pre(x)
        return self._add_skip(self.stack(x), x)

    def forward_tap(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = self._pre(x)
        tap = self.stack[:-1](x)
        return self._add_skip(self.stack[-1](tap), x), tap

    def cut_at_tap(self) -> None:
        """Drop the last conv and the residual: the block then outputs its feature tap (pruned feature models)."""
        self.stack[-1] = nn.Identity()
        self.shortcut = None
        self.no_skip = True


class XceptionModule(_TapBlock):
    """Three ReLU -> separable conv units (the last strided) plus a residual (1x1 conv + BN when shapes change).

    Args:
        in_chs: input channels.
        out_chs: output channels of the three separable convs.
        stride: stride of the last separable conv (and the shortcut).
        dilation: dilation of the depthwise convs.
        start_with_relu: ReLU before each separable conv; otherwise ReLU inside them (after each BN).
        no_skip: no residual connection.
        act_layer: activation.
        bn_eps: BatchNorm epsilon.
        drop_path: stochastic depth rate of the residual branch.
    """

    def __init__(self, in_chs: int, out_chs: Sequence[int], stride: int = 1, dilation: int = 1,
                 start_with_relu: bool = True, no_skip: bool = False, act_layer: LayerType = nn.ReLU,
                 bn_eps: float = 1e-5, drop_path: float = 0.):
        super().__init__(no_skip, drop_path)
        act = get_act_layer(act_layer)
        self.out_channels = out_chs[-1]
        self.shortcut = None
        if not no_skip and (self.out_channels != in_chs or stride != 1):
            self.shortcut = ConvNormAct(in_chs, self.out_channels, 1, stride=stride, apply_act=False,
                                        norm_layer=partial(BatchNormAct2d, eps=bn_eps))
        self.stack = nn.Sequential()
        for i, chs in enumerate(out_chs):
            if start_with_relu:
                # the first ReLU must not overwrite the block input, which the shortcut still reads
                self.stack.add_module(f'act{i + 1}', act(inplace=i > 0))
            self.stack.add_module(f'conv{i + 1}', SeparableConv2d(
                in_chs, chs, stride=stride if i == len(out_chs) - 1 else 1, dilation=dilation,
                act_layer=None if start_with_relu else act, bn_eps=bn_eps))
            in_chs = chs


class PreXceptionModule(_TapBlock):
    """Pre-activation block: BN + ReLU on the input (which the residual also takes), three pre-activation separable
    convs (the last strided), a bare 1x1 conv shortcut when shapes change.

    Args:
        in_chs: input channels.
        out_chs: output channels of the three separable convs.
        stride: stride of the last separable conv (and the shortcut).
        dilation: dilation of the depthwise convs.
        no_skip: no residual connection.
        act_layer: activation.
        bn_eps: BatchNorm epsilon.
        drop_path: stochastic depth rate of the residual branch.
    """

    def __init__(self, in_chs: int, out_chs: Sequence[int], stride: int = 1, dilation: int = 1,
                 no_skip: bool = False, act_layer: LayerType = nn.ReLU, bn_eps: float = 1e-5, drop_path: float = 0.):
        super().__init__(no_skip, drop_path)
        self.out_channels = out_chs[-1]
        self.shortcut = None
        if not no_skip and (self.out_channels != in_chs or stride != 1):
            self.shortcut = create_conv2d(in_chs, self.out_channels, 1, stride=stride)
        self.norm = BatchNormAct2d(in_chs, eps=bn_eps, act_layer=act_layer)
        self.stack = nn.Sequential()
        for i, chs in enumerate(out_chs):
            self.stack.add_module(f'conv{i + 1}', PreSeparableConv2d(
                in_chs, chs, stride=stride if i == len(out_chs) - 1 else 1, dilation=dilation, act_layer=act_layer,
                bn_eps=bn_eps, first_act=i > 0))
            in_chs = chs

    def _pre(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


def _blocks(entry: Sequence[Tuple[int, int, int]], middle: int, preact: bool = False) -> Tuple[BlockCfg, ...]:
    """Entry flow (in, out, stride) blocks, `middle` 728-wide blocks, and the two exit-flow blocks."""
    cfgs = [(i, (o, o, o), s, True, True) for i, o, s in entry]
    cfgs += [(728, (728, 728, 728), 1, True, True)] * middle
    cfgs += [(728, (728, 1024, 1024), 2, True, True), (1024, (1536, 1536, 2048), 1, False, preact)]
    return tuple(cfgs)


_ENTRY = ((64, 128, 2), (128, 256, 2), (256, 728, 2))
_ENTRY71 = ((64, 128, 2), (128, 256, 1), (256, 256, 2), (256, 728, 1), (728, 728, 2))


class XceptionAligned(LevelStepsMixin, ZooModel):
    """Aligned Xception: two-conv stem, residual separable-conv blocks, pooled linear head.

    Args:
        block_cfg: per block (in_chs, out_chs of its three convs, stride, residual, ReLU before the convs).
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        output_stride: 32, 16 or 8; later strided blocks dilate instead.
        preact: pre-activation blocks (the `p` variants).
        act_layer: activation.
        bn_eps: BatchNorm epsilon (1e-3 for the TF-trained weights).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block (linear in the block index).
        global_pool: pooling type of the head.
    """
    grad_checkpointing = checkpoint_flag('blocks')
    trunk = Trunk(stem=('stem',), levels='blocks', final=('act',), final_is_norm=False)
    groups = dict(stem=r'^stem', blocks=r'^blocks\.(\d+)')

    def __init__(
            self,
            block_cfg: Sequence[BlockCfg],
            num_classes: int = 1000,
            in_chans: int = 3,
            output_stride: int = 32,
            preact: bool = False,
            act_layer: LayerType = nn.ReLU,
            bn_eps: float = 1e-5,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            global_pool: str = 'avg',
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        norm_act = partial(BatchNormAct2d, eps=bn_eps)
        self.stem = nn.Sequential(
            ConvNormAct(in_chans, 32, 3, stride=2, act_layer=act_layer, norm_layer=norm_act),
            create_conv2d(32, 64, 3) if preact else ConvNormAct(32, 64, 3, act_layer=act_layer, norm_layer=norm_act))

        self.feature_info: List[Dict[str, Any]] = []
        self.feature_ends: List[int] = []  # the block each level ends in (strided blocks: at their tap)
        self.blocks = CheckpointSequential()
        stride, dilation = 2, 1
        num_blocks = len(block_cfg)
        for i, (in_chs, out_chs, block_stride, skip, relu_first) in enumerate(block_cfg):
            block_dilation = dilation
            if block_stride > 1:
                tap = f'blocks.{i}.stack.conv2' if preact else f'blocks.{i}.stack.act3'
                self.feature_info.append(dict(num_chs=out_chs[-2], reduction=stride, module=tap))
                self.feature_ends.append(i)
                if stride * block_stride > output_stride:
                    dilation *= block_stride
                    block_stride = 1
                else:
                    stride *= block_stride
            dpr = drop_path_rate * i / max(num_blocks - 1, 1)
            if preact:
                block = PreXceptionModule(in_chs, out_chs, block_stride, block_dilation, no_skip=not skip,
                                          act_layer=act_layer, bn_eps=bn_eps, drop_path=dpr)
            else:
                block = XceptionModule(in_chs, out_chs, block_stride, block_dilation, start_with_relu=relu_first,
                                       no_skip=not skip, act_layer=act_layer, bn_eps=bn_eps, drop_path=dpr)
            self.blocks.add_module(str(i), block)
        self.num_features = self.head_hidden_size = self.blocks[-1].out_channels
        self.feature_info.append(dict(num_chs=self.num_features, reduction=stride, module=f'blocks.{num_blocks - 1}'))
        self.feature_ends.append(num_blocks - 1)
        # not in place: the last block's output is itself a feature level
        self.act = get_act_layer(act_layer)() if preact else nn.Identity()
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)

    # ---- levels (LevelStepsMixin): a strided block's level is its tap, so levels split inside blocks ----

    def _num_levels(self) -> int:
        return sum(end < len(self.blocks) for end in self.feature_ends)

    def _start(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = self.stem(x)
        return x, x

    def _step(self, index: int, state: Tuple[torch.Tensor, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        x = state[0]
        start = self.feature_ends[index - 1] + 1 if index else 0
        end = self.feature_ends[index]
        if start < end:
            x = self.blocks[start:end](x)  # a slice keeps the checkpointing switch
        if index == len(self.feature_info) - 1:
            x = self.blocks[end](x)
            return x, x
        return self.blocks[end].forward_tap(x)

    def _level_output(self, index: int, state: Tuple[torch.Tensor, torch.Tensor], norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        return self._format_level(state[1], index, False, output_fmt, input_hw)

    def _finish(self, state: Tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return self.act(state[0])

    def _truncate(self, num_levels: int) -> None:
        end = self.feature_ends[num_levels - 1]
        self.blocks = self.blocks[:end + 1]
        if num_levels < len(self.feature_info):
            self.blocks[-1].cut_at_tap()

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        if truncated:
            self.act = nn.Identity()
        if prune_head or truncated:
            self._replace_head(self.num_features)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.blocks(self.stem(x)))


def _create_xception(variant: str, pretrained: bool = False, **kwargs) -> XceptionAligned:
    return build_model_with_cfg(XceptionAligned, variant, pretrained,
                                feature_cfg=dict(flatten_sequential=True, feature_cls='hook'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 299, 299), pool_size=(10, 10), crop_pct=0.903,
               interpolation='bicubic', mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD,
               first_conv='stem.0.conv', classifier='head.fc', license='apache-2.0', paper_ids='arXiv:1802.02611')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'xception65.ra3_in1k': _cfg(crop_pct=0.94),
    'xception65.tf_in1k': _cfg(),
    'xception41.tf_in1k': _cfg(),
    'xception71.tf_in1k': _cfg(),
    'xception41p.ra3_in1k': _cfg(crop_pct=0.94),
    'xception65p.ra3_in1k': _cfg(crop_pct=0.94),
})

_TF_EPS = 1e-3  # BatchNorm epsilon of the TF-trained (and the xception65p) weights


@register_model
def xception41(pretrained: bool = False, **kwargs) -> XceptionAligned:
    """Aligned Xception-41 (8 middle-flow blocks)."""
    model_args = dict(block_cfg=_blocks(_ENTRY, 8), bn_eps=_TF_EPS)
    return _create_xception('xception41', pretrained, **dict(model_args, **kwargs))


@register_model
def xception65(pretrained: bool = False, **kwargs) -> XceptionAligned:
    """Aligned Xception-65 (16 middle-flow blocks)."""
    model_args = dict(block_cfg=_blocks(_ENTRY, 16), bn_eps=_TF_EPS)
    return _create_xception('xception65', pretrained, **dict(model_args, **kwargs))


@register_model
def xception71(pretrained: bool = False, **kwargs) -> XceptionAligned:
    """Aligned Xception-71 (five entry-flow blocks, 16 middle-flow blocks)."""
    model_args = dict(block_cfg=_blocks(_ENTRY71, 16), bn_eps=_TF_EPS)
    return _create_xception('xception71', pretrained, **dict(model_args, **kwargs))


@register_model
def xception41p(pretrained: bool = False, **kwargs) -> XceptionAligned:
    """Pre-activation Aligned Xception-41."""
    model_args = dict(block_cfg=_blocks(_ENTRY, 8, preact=True), preact=True)
    return _create_xception('xception41p', pretrained, **dict(model_args, **kwargs))


@register_model
def xception65p(pretrained: bool = False, **kwargs) -> XceptionAligned:
    """Pre-activation Aligned Xception-65."""
    model_args = dict(block_cfg=_blocks(_ENTRY, 16, preact=True), preact=True, bn_eps=_TF_EPS)
    return _create_xception('xception65p', pretrained, **dict(model_args, **kwargs))
