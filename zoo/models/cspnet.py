"""CSPNet (Cross Stage Partial ResNet / ResNeXt / DarkNet) and plain DarkNet.

Papers:
- CSPNet: "CSPNet: A New Backbone that can Enhance Learning Capability of CNN", Wang et al., 2019
  (arXiv:1911.11929). A cross stage splits the (expanded) stage input in two halves along channels, sends only one
  half through the residual blocks, and merges both with transition convs, halving the gradient duplication.
- DarkNet-53: "YOLOv3: An Incremental Improvement", Redmon & Farhadi, 2018 (arXiv:1804.02767).
- CS3-DarkNet (the "cs3*" names): the CSP-DarkNet backbone of YOLOv5 / YOLOX ("YOLOX: Exceeding YOLO Series in
  2021", Ge et al., arXiv:2107.08430): SiLU, a two-conv (or single 6x6 "focus") stem, and the "C3" cross stage that
  merges the two halves with one transition conv. The "edgenet" variants use a 3x3 -> 1x1 (fused-MBConv-like) block.

Deviation from the darknet reference configs (matching timm's weights): the 1x1 "expansion" conv after a stage's
downsampling conv produces both halves at once and is split, rather than being two separate 1x1 convs; CSPResNe(X)t
keeps ResNet's max-pooled stem and a first stage without stride. "darknetaa53" downsamples with a 2x2 average pool
and a 1x1 conv instead of a strided 3x3 conv; "sedarknet21" adds SE after each block's 1x1 conv. In the C3 stage
the first half of the split runs through the blocks and is concatenated first. Module names follow timm so its
checkpoints load unchanged.
"""
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.layers import ClassifierHead, DropPath, LayerType, get_act_layer, get_attn
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.helpers import make_divisible
from zoo.models._base import Trunk, ZooModel, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['CspNet', 'CspModelCfg', 'CspStemCfg', 'CspStageCfg']


@dataclass(frozen=True)
class CspStemCfg:
    """Stem: a chain of ConvNormActs (the first, and the last for stride 4 without pool, stride 2) + optional pool.

    Attributes:
        out_chs: channels of each stem conv.
        stride: total stem stride, 1, 2 or 4.
        kernel_size: kernel of every stem conv.
        pool: '' or 'max' (a 3x3 stride-2 max-pool ends the stem).
        padding: padding of the first conv ('' for symmetric padding from the kernel size).
    """
    out_chs: Tuple[int, ...] = (32,)
    stride: int = 2
    kernel_size: int = 3
    pool: str = ''
    padding: Union[str, int] = ''


@dataclass(frozen=True)
class CspStageCfg:
    """One stage.

    Attributes:
        depth: residual blocks.
        out_chs: output channels.
        stride: 1 or 2 (the downsampling conv is skipped at stride 1).
        groups: groups of the 3x3 convs.
        block_ratio: block width / out_chs.
        bottle_ratio: block bottleneck width / block width.
        expand_ratio: width of the 1x1 expansion (split in two halves) / out_chs.
        avg_down: downsample with a 2x2 average pool + 1x1 conv instead of a strided 3x3 conv.
        attn_layer: block attention ('se') or None.
        attn_rd_ratio: reduction ratio of the attention (None keeps the attention's default).
        stage_type: 'csp' (cross stage partial), 'cs3' (C3: one transition conv) or 'dark' (plain DarkNet stage).
        block_type: 'bottle' (ResNet bottleneck), 'dark' (1x1 + 3x3 DarkNet block) or 'edge' (3x3 + 1x1).
        cross_linear: no activation after the expansion conv.
        down_growth: the downsampling conv already produces out_chs (else it keeps the input width).
    """
    depth: int
    out_chs: int
    stride: int = 2
    groups: int = 1
    block_ratio: float = 1.
    bottle_ratio: float = 1.
    expand_ratio: float = 1.
    avg_down: bool = False
    attn_layer: Optional[str] = None
    attn_rd_ratio: Optional[float] = None
    stage_type: str = 'csp'
    block_type: str = 'bottle'
    cross_linear: bool = False
    down_growth: bool = False


@dataclass(frozen=True)
class CspModelCfg:
    """Stem, stages and layer types of one model."""
    stem: CspStemCfg
    stages: Tuple[CspStageCfg, ...]
    zero_init_last: bool = True
    act_layer: LayerType = 'leaky_relu'
    norm_layer: LayerType = 'batchnorm'


def _stages(depths: Sequence[int], out_chs: Sequence[int], first: Optional[Dict[str, Any]] = None,
            **common) -> Tuple[CspStageCfg, ...]:
    """Per-stage configs from depths / widths, `common` settings, and overrides for the first stage."""
    stages = []
    for i, (d, c) in enumerate(zip(depths, out_chs)):
        args = dict(common, **(first or {})) if i == 0 else common
        stages.append(CspStageCfg(depth=d, out_chs=c, **args))
    return tuple(stages)


def _cs3(width: float = 1., depth: float = 1., focus: bool = False, **stage_kw) -> CspModelCfg:
    """A CS3-DarkNet (YOLOv5-style) config: widths and depths of the L model (64 / 128..1024, depths 3-6-9-3)
    scaled by `width` / `depth`; `focus` replaces the two 3x3 stem convs by one 6x6 stride-2 conv."""
    if focus:
        stem = CspStemCfg(out_chs=(make_divisible(64 * width),), kernel_size=6, stride=2, padding=2)
    else:
        stem = CspStemCfg(out_chs=tuple(make_divisible(c * width) for c in (32, 64)), kernel_size=3, stride=2)
    stage_kw = dict(dict(block_ratio=0.5, stage_type='cs3', block_type='dark'), **stage_kw)
    stages = _stages([int(d * depth) for d in (3, 6, 9, 3)], [make_divisible(c * width) for c in (128, 256, 512, 1024)],
                     **stage_kw)
    return CspModelCfg(stem, stages, act_layer='silu')


_RESNET_STEM = CspStemCfg(out_chs=(64,), kernel_size=7, stride=4, pool='max')
_DEEP_STEM = CspStemCfg(out_chs=(32, 32, 64), kernel_size=3, stride=4, pool='max')
_DARK_STEM = CspStemCfg(out_chs=(32,), kernel_size=3, stride=1)
_DARK_CHS = (64, 128, 256, 512, 1024)

MODEL_CFGS: Dict[str, CspModelCfg] = dict(
    cspresnet50=CspModelCfg(_RESNET_STEM, _stages(
        (3, 3, 5, 2), (128, 256, 512, 1024), first=dict(stride=1), expand_ratio=2., bottle_ratio=0.5,
        cross_linear=True)),
    cspresnet50d=CspModelCfg(_DEEP_STEM, _stages(
        (3, 3, 5, 2), (128, 256, 512, 1024), first=dict(stride=1), expand_ratio=2., bottle_ratio=0.5,
        cross_linear=True)),
    cspresnet50w=CspModelCfg(_DEEP_STEM, _stages(
        (3, 3, 5, 2), (256, 512, 1024, 2048), first=dict(stride=1), bottle_ratio=0.25, block_ratio=0.5,
        cross_linear=True)),
    cspresnext50=CspModelCfg(_RESNET_STEM, _stages(
        (3, 3, 5, 2), (256, 512, 1024, 2048), first=dict(stride=1), groups=32, block_ratio=0.5, cross_linear=True)),
    cspdarknet53=CspModelCfg(_DARK_STEM, _stages(
        (1, 2, 8, 8, 4), _DARK_CHS, first=dict(expand_ratio=2., bottle_ratio=0.5, block_ratio=1.),
        block_ratio=0.5, down_growth=True, block_type='dark')),
    darknet17=CspModelCfg(_DARK_STEM, _stages(
        (1, 1, 1, 1, 1), _DARK_CHS, bottle_ratio=0.5, stage_type='dark', block_type='dark')),
    darknet21=CspModelCfg(_DARK_STEM, _stages(
        (1, 1, 1, 2, 2), _DARK_CHS, bottle_ratio=0.5, stage_type='dark', block_type='dark')),
    sedarknet21=CspModelCfg(_DARK_STEM, _stages(
        (1, 1, 1, 2, 2), _DARK_CHS, bottle_ratio=0.5, attn_layer='se', stage_type='dark', block_type='dark')),
    darknet53=CspModelCfg(_DARK_STEM, _stages(
        (1, 2, 8, 8, 4), _DARK_CHS, bottle_ratio=0.5, stage_type='dark', block_type='dark')),
    darknetaa53=CspModelCfg(_DARK_STEM, _stages(
        (1, 2, 8, 8, 4), _DARK_CHS, bottle_ratio=0.5, avg_down=True, stage_type='dark', block_type='dark')),
    cs3darknet_s=_cs3(0.5, 0.5),
    cs3darknet_m=_cs3(0.75, 0.67),
    cs3darknet_l=_cs3(),
    cs3darknet_x=_cs3(1.25, 1.33),
    cs3darknet_focus_s=_cs3(0.5, 0.5, focus=True),
    cs3darknet_focus_m=_cs3(0.75, 0.67, focus=True),
    cs3darknet_focus_l=_cs3(focus=True),
    cs3darknet_focus_x=_cs3(1.25, 1.33, focus=True),
    cs3sedarknet_l=_cs3(attn_layer='se', attn_rd_ratio=0.25),
    cs3sedarknet_x=_cs3(1.25, 1.33, attn_layer='se'),
    # despite the name, a CSP (two-transition) bottleneck net with grouped 3x3 convs in the last two stages
    cs3sedarknet_xdw=CspModelCfg(CspStemCfg(out_chs=(32, 64), kernel_size=3, stride=2), tuple(
        CspStageCfg(depth=d, out_chs=c, groups=g, bottle_ratio=0.5, block_ratio=0.5, attn_layer='se')
        for d, c, g in zip((3, 6, 12, 4), (256, 512, 1024, 2048), (1, 1, 256, 512))), act_layer='silu'),
    cs3edgenet_x=_cs3(1.25, 1.33, bottle_ratio=1.5, block_type='edge'),
    cs3se_edgenet_x=_cs3(1.25, 1.33, bottle_ratio=1.5, block_type='edge', attn_layer='se', attn_rd_ratio=0.25),
)


class BottleneckBlock(nn.Module):
    """ResNe(X)t bottleneck: 1x1 -> 3x3 (grouped) -> 1x1, identity shortcut, activation after the sum.

    Args:
        in_chs: input channels (equal to out_chs: CSP blocks never change width).
        out_chs: output channels.
        dilation: dilation of the 3x3 conv.
        bottle_ratio: bottleneck width / out_chs.
        groups: groups of the 3x3 conv.
        act_layer: activation.
        norm_layer: normalisation.
        attn_layer: attention class after the 3x3 conv, or None.
        drop_path: stochastic depth rate.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dilation: int = 1,
            bottle_ratio: float = 0.25,
            groups: int = 1,
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
            attn_layer: Optional[Type[nn.Module]] = None,
            drop_path: float = 0.,
    ):
        super().__init__()
        mid_chs = int(round(out_chs * bottle_ratio))
        layer_kw = dict(act_layer=act_layer, norm_layer=norm_layer)
        self.conv1 = ConvNormAct(in_chs, mid_chs, 1, **layer_kw)
        self.conv2 = ConvNormAct(mid_chs, mid_chs, 3, dilation=dilation, groups=groups, **layer_kw)
        self.attn2 = attn_layer(mid_chs, act_layer=act_layer) if attn_layer is not None else nn.Identity()
        self.conv3 = ConvNormAct(mid_chs, out_chs, 1, apply_act=False, **layer_kw)
        self.attn3 = nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()
        self.act3 = get_act_layer(act_layer)(inplace=True)

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.conv3.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv3(self.attn2(self.conv2(self.conv1(x))))
        return self.act3(self.drop_path(self.attn3(y)) + x)


class DarkBlock(nn.Module):
    """DarkNet residual block: 1x1 reduce -> (attention) -> 3x3 back to out_chs, identity shortcut, no final act.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        dilation: dilation of the 3x3 conv.
        bottle_ratio: width of the first conv / out_chs.
        groups: groups of the 3x3 conv.
        act_layer: activation.
        norm_layer: normalisation.
        attn_layer: attention class after the first conv, or None.
        drop_path: stochastic depth rate.
    """
    kernel_sizes = (1, 3)  # of conv1, conv2

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dilation: int = 1,
            bottle_ratio: float = 0.5,
            groups: int = 1,
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
            attn_layer: Optional[Type[nn.Module]] = None,
            drop_path: float = 0.,
    ):
        super().__init__()
        mid_chs = int(round(out_chs * bottle_ratio))
        layer_kw = dict(act_layer=act_layer, norm_layer=norm_layer)
        k1, k2 = self.kernel_sizes
        self.conv1 = ConvNormAct(in_chs, mid_chs, k1, **self._spatial(k1, dilation, groups), **layer_kw)
        self.attn = attn_layer(mid_chs, act_layer=act_layer) if attn_layer is not None else nn.Identity()
        self.conv2 = ConvNormAct(mid_chs, out_chs, k2, **self._spatial(k2, dilation, groups), **layer_kw)
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()

    @staticmethod
    def _spatial(kernel_size: int, dilation: int, groups: int) -> Dict[str, int]:
        # dilation and groups apply to the 3x3 conv only
        return dict(dilation=dilation, groups=groups) if kernel_size > 1 else {}

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.conv2.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop_path(self.conv2(self.attn(self.conv1(x)))) + x


class EdgeBlock(DarkBlock):
    """Edge-residual block: 3x3 expand -> (attention) -> 1x1 back to out_chs (with activation), identity shortcut.

    Args as for `DarkBlock`; `bottle_ratio` sets the width of the 3x3 conv.
    """
    kernel_sizes = (3, 1)


_BLOCKS = dict(bottle=BottleneckBlock, dark=DarkBlock, edge=EdgeBlock)


def _make_down(in_chs: int, out_chs: int, stride: int, first_dilation: int, groups: int, avg_down: bool,
               layer_kw: Dict[str, Any]) -> nn.Module:
    if avg_down:
        # dilated stages keep the 1x1 conv but drop the pool's stride (stride is already 1 here)
        return nn.Sequential(nn.AvgPool2d(2) if stride == 2 else nn.Identity(),
                             ConvNormAct(in_chs, out_chs, 1, groups=groups, **layer_kw))
    return ConvNormAct(in_chs, out_chs, 3, stride=stride, dilation=first_dilation, groups=groups, **layer_kw)


def _make_blocks(cfg: CspStageCfg, in_chs: int, dilation: int, block_dpr: Sequence[float],
                 layer_kw: Dict[str, Any]) -> Tuple[nn.Sequential, int]:
    if cfg.block_type not in _BLOCKS:
        raise ValueError(f"Unknown CSP block type {cfg.block_type!r}; use one of {sorted(_BLOCKS)}.")
    block_fn = _BLOCKS[cfg.block_type]
    attn = get_attn(cfg.attn_layer) if cfg.attn_layer else None
    if attn is not None and cfg.attn_rd_ratio is not None:
        attn = partial(attn, rd_ratio=cfg.attn_rd_ratio)
    block_chs = int(round(cfg.out_chs * cfg.block_ratio))
    blocks = nn.Sequential()
    for i in range(cfg.depth):
        blocks.add_module(str(i), block_fn(
            in_chs, block_chs, dilation=dilation, bottle_ratio=cfg.bottle_ratio, groups=cfg.groups,
            attn_layer=attn, drop_path=block_dpr[i], **layer_kw))
        in_chs = block_chs
    return blocks, in_chs


def _make_down_expand(module: nn.Module, in_chs: int, cfg: CspStageCfg, stride: int, dilation: int,
                      first_dilation: int, layer_kw: Dict[str, Any]) -> int:
    """Set `module.conv_down` (Identity when neither striding nor changing dilation) and the 1x1 `module.conv_exp`
    of a cross stage; returns the expanded width, split in two halves by the caller."""
    down_chs = cfg.out_chs if cfg.down_growth else in_chs
    if stride != 1 or first_dilation != dilation:
        module.conv_down = _make_down(in_chs, down_chs, stride, first_dilation, cfg.groups, cfg.avg_down, layer_kw)
        prev_chs = down_chs
    else:
        module.conv_down = nn.Identity()
        prev_chs = in_chs
    exp_chs = int(round(cfg.out_chs * cfg.expand_ratio))
    module.conv_exp = ConvNormAct(prev_chs, exp_chs, 1, apply_act=not cfg.cross_linear, **layer_kw)
    return exp_chs


class CrossStage(nn.Module):
    """Cross stage partial: downsample -> 1x1 expand -> split; one half through blocks + 1x1; concat -> 1x1.

    Args:
        in_chs: input channels.
        cfg: stage config.
        stride: downsampling stride (1 in dilated stages).
        dilation: dilation of the blocks.
        first_dilation: dilation of the downsampling conv.
        block_dpr: per-block stochastic depth rates.
        act_layer: activation.
        norm_layer: normalisation.
    """
    block_transition = True  # a 1x1 conv on the block path before the concatenation

    def __init__(self, in_chs: int, cfg: CspStageCfg, stride: int, dilation: int, first_dilation: int,
                 block_dpr: Sequence[float], act_layer: LayerType, norm_layer: LayerType):
        super().__init__()
        layer_kw = dict(act_layer=act_layer, norm_layer=norm_layer)
        self.expand_chs = exp_chs = _make_down_expand(self, in_chs, cfg, stride, dilation, first_dilation, layer_kw)
        self.blocks, block_out = _make_blocks(cfg, exp_chs // 2, dilation, block_dpr, layer_kw)
        if self.block_transition:
            self.conv_transition_b = ConvNormAct(block_out, exp_chs // 2, 1, **layer_kw)
            block_out = exp_chs // 2
        self.conv_transition = ConvNormAct(block_out + exp_chs // 2, cfg.out_chs, 1, **layer_kw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_exp(self.conv_down(x))
        xs, xb = x.split(self.expand_chs // 2, dim=1)
        xb = self.conv_transition_b(self.blocks(xb)).contiguous()
        return self.conv_transition(torch.cat([xs, xb], dim=1))


class CrossStage3(CrossStage):
    """C3 cross stage: downsample -> 1x1 expand -> split; the first half through the blocks; concat -> 1x1.

    Unlike `CrossStage` there is no transition conv on the block path, only the one after the concatenation.
    Args as for `CrossStage`.
    """
    block_transition = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_exp(self.conv_down(x))
        xb, xs = x.split(self.expand_chs // 2, dim=1)
        return self.conv_transition(torch.cat([self.blocks(xb), xs], dim=1))


class DarkStage(nn.Module):
    """DarkNet stage: a downsampling conv followed by residual blocks.

    Args:
        in_chs: input channels.
        cfg: stage config.
        stride: downsampling stride (1 in dilated stages).
        dilation: dilation of the blocks.
        first_dilation: dilation of the downsampling conv.
        block_dpr: per-block stochastic depth rates.
        act_layer: activation.
        norm_layer: normalisation.
    """

    def __init__(self, in_chs: int, cfg: CspStageCfg, stride: int, dilation: int, first_dilation: int,
                 block_dpr: Sequence[float], act_layer: LayerType, norm_layer: LayerType):
        super().__init__()
        layer_kw = dict(act_layer=act_layer, norm_layer=norm_layer)
        self.conv_down = _make_down(in_chs, cfg.out_chs, stride, first_dilation, cfg.groups, cfg.avg_down, layer_kw)
        self.blocks, _ = _make_blocks(cfg, cfg.out_chs, dilation, block_dpr, layer_kw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.conv_down(x))


_STAGES = dict(csp=CrossStage, cs3=CrossStage3, dark=DarkStage)


def make_stem(in_chans: int, cfg: CspStemCfg, act_layer: LayerType,
              norm_layer: LayerType) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    """The stem and the feature levels it provides: each map right before a stride-2 step, plus its output."""
    if cfg.stride not in (1, 2, 4):
        raise ValueError(f'CSP stem stride must be 1, 2 or 4, got {cfg.stride}.')
    if cfg.pool and cfg.stride <= 2:
        raise ValueError('A pooled CSP stem needs stride 4.')
    stem = nn.Sequential()
    feature_info = []
    prev_feat = None
    prev_chs = in_chans
    stride = 1
    last = len(cfg.out_chs) - 1
    for i, chs in enumerate(cfg.out_chs):
        conv_stride = 2 if (i == 0 and cfg.stride > 1) or (i == last and cfg.stride > 2 and not cfg.pool) else 1
        if conv_stride > 1 and prev_feat is not None:
            feature_info.append(prev_feat)
        name = f'conv{i + 1}'
        stem.add_module(name, ConvNormAct(prev_chs, chs, cfg.kernel_size, stride=conv_stride,
                                          padding=cfg.padding if i == 0 else '', act_layer=act_layer,
                                          norm_layer=norm_layer))
        stride *= conv_stride
        prev_chs = chs
        prev_feat = dict(num_chs=chs, reduction=stride, module=f'stem.{name}')
    if cfg.pool:
        if cfg.pool != 'max':
            raise ValueError(f"Unknown CSP stem pool {cfg.pool!r}; use '' or 'max'.")
        feature_info.append(prev_feat)
        stem.add_module('pool', nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        stride *= 2
        prev_feat = dict(num_chs=prev_chs, reduction=stride, module='stem.pool')
    feature_info.append(prev_feat)
    return stem, feature_info


def make_stages(
        cfg: CspModelCfg,
        stem_feat: Dict[str, Any],
        output_stride: int = 32,
        drop_path_rate: float = 0.,
) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    """Stages plus the feature levels they add: each stage output that precedes a stride-2 step, and the last."""
    dprs = stagewise_drop_path_rates(drop_path_rate, [s.depth for s in cfg.stages])
    dilation = 1
    net_stride = stem_feat['reduction']
    prev_chs = stem_feat['num_chs']
    prev_feat = stem_feat
    stages, feature_info = [], []
    for i, (stage_cfg, dpr) in enumerate(zip(cfg.stages, dprs)):
        stride = stage_cfg.stride
        if stride != 1:
            feature_info.append(prev_feat)
        if net_stride >= output_stride and stride > 1:
            dilation *= stride
            stride = 1
        net_stride *= stride
        # the first (downsampling) conv of a dilated stage still uses the previous, smaller dilation
        first_dilation = 1 if dilation in (1, 2) else 2
        if stage_cfg.stage_type not in _STAGES:
            raise ValueError(f"Unknown CSP stage type {stage_cfg.stage_type!r}; use one of {sorted(_STAGES)}.")
        stages.append(_STAGES[stage_cfg.stage_type](
            prev_chs, stage_cfg, stride, dilation, first_dilation, dpr, act_layer=cfg.act_layer,
            norm_layer=cfg.norm_layer))
        prev_chs = stage_cfg.out_chs
        prev_feat = dict(num_chs=prev_chs, reduction=net_stride, module=f'stages.{i}')
    feature_info.append(prev_feat)
    return CheckpointSequential(*stages), feature_info


class CspNet(ZooModel):
    """Cross Stage Partial network (and plain DarkNet): stem, stages, pooled linear head.

    Args:
        cfg: architecture (see `CspModelCfg`).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        output_stride: 32, 16 or 8; later stages dilate instead of striding past it.
        global_pool: pooling type of the head.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        zero_init_last: start residual branches at zero (default from cfg).
        act_layer: activation overriding the cfg's.
        norm_layer: normalisation overriding the cfg's.
    """
    groups = dict(stem=r'^stem', coarse=r'^stages\.(\d+)', blocks=[
        (r'^stages\.(\d+)\.blocks\.(\d+)', None),
        (r'^stages\.(\d+)\..*transition', (99999,)),  # transitions go with the stage's last block
        (r'^stages\.(\d+)', (0,)),
    ])

    def __init__(
            self,
            cfg: CspModelCfg,
            in_chans: int = 3,
            num_classes: int = 1000,
            output_stride: int = 32,
            global_pool: str = 'avg',
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            zero_init_last: Optional[bool] = None,
            act_layer: Optional[LayerType] = None,
            norm_layer: Optional[LayerType] = None,
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        overrides = {k: v for k, v in dict(act_layer=act_layer, norm_layer=norm_layer).items() if v is not None}
        cfg = replace(cfg, **overrides)
        self.num_classes = num_classes
        self.drop_rate = drop_rate

        self.stem, stem_info = make_stem(in_chans, cfg.stem, cfg.act_layer, cfg.norm_layer)
        self.feature_info = stem_info[:-1]
        self.stages, stage_info = make_stages(cfg, stem_info[-1], output_stride, drop_path_rate)
        self.feature_info += stage_info
        stem_names = [name for name, _ in self.stem.named_children()]
        # stem levels end before each stride-2 step (of the stem or of the first stage); what follows runs with the
        # next level
        positions = [f'stem.{n}' for n in stem_names] + [f'stages.{i}' for i in range(len(self.stages))]
        ends = [positions.index(f['module']) for f in self.feature_info]
        self.trunk = Trunk(levels=split_levels(positions, ends))
        self.num_features = self.head_hidden_size = stage_info[-1]['num_chs']
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        self.init_weights(cfg.zero_init_last if zero_init_last is None else zero_init_last)

    def init_weights(self, zero_init_last: bool = False) -> None:
        """He-normal (fan-out) convs, N(0, 0.01) linears, zero biases; `zero_init_last` starts residual blocks at
        identity by zeroing their last norm's scale (Goyal et al., 2017)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.01)
            else:
                continue
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        if zero_init_last:
            for m in self.modules():
                if hasattr(m, 'zero_init_last'):
                    m.zero_init_last()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


def _create_cspnet(variant: str, pretrained: bool = False, **kwargs) -> CspNet:
    # features_only defaults to the first five levels (all of them for the stride-1-stem DarkNets), matching timm:
    # for sedarknet21 that leaves out the last stage
    num_default = 6 if variant.startswith(('darknet', 'cspdarknet')) else 5
    return build_model_with_cfg(CspNet, variant, pretrained, model_cfg=MODEL_CFGS[variant],
                                feature_cfg=dict(out_indices=tuple(range(num_default)), flatten_sequential=True),
                                **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 256, 256), pool_size=(8, 8), crop_pct=0.887, interpolation='bilinear',
               first_conv='stem.conv1.conv', classifier='head.fc', license='apache-2.0', paper_ids='arXiv:1911.11929')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'cspresnet50.ra_in1k': _cfg(),
    'cspresnet50d.untrained': _cfg(hf_hub_id=None),
    'cspresnet50w.untrained': _cfg(hf_hub_id=None),
    'cspresnext50.ra_in1k': _cfg(),
    'cspdarknet53.ra_in1k': _cfg(),
    'darknet17.untrained': _cfg(hf_hub_id=None, paper_ids='arXiv:1804.02767'),
    'darknet21.untrained': _cfg(hf_hub_id=None, paper_ids='arXiv:1804.02767'),
    'sedarknet21.untrained': _cfg(hf_hub_id=None, paper_ids='arXiv:1804.02767'),
    'darknet53.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=1.0, interpolation='bicubic',
                                paper_ids='arXiv:1804.02767'),
    'darknetaa53.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=1.0, paper_ids='arXiv:1804.02767'),
    'cs3darknet_s.untrained': _cfg(hf_hub_id=None, interpolation='bicubic'),
    'cs3darknet_m.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, interpolation='bicubic'),
    'cs3darknet_l.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, interpolation='bicubic'),
    'cs3darknet_x.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0,
                                   interpolation='bicubic'),
    'cs3darknet_focus_s.ra4_e3600_r256_in1k': _cfg(test_input_size=(3, 320, 320), test_crop_pct=1.0,
                                                   interpolation='bicubic', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'cs3darknet_focus_m.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, interpolation='bicubic'),
    'cs3darknet_focus_l.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, interpolation='bicubic'),
    'cs3darknet_focus_x.untrained': _cfg(hf_hub_id=None, interpolation='bicubic'),
    'cs3sedarknet_l.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, interpolation='bicubic'),
    'cs3sedarknet_x.c2ns_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=1.0, interpolation='bicubic'),
    'cs3sedarknet_xdw.untrained': _cfg(hf_hub_id=None, interpolation='bicubic'),
    'cs3edgenet_x.c2_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=1.0, interpolation='bicubic'),
    'cs3se_edgenet_x.c2ns_in1k': _cfg(test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0,
                                      interpolation='bicubic'),
})


@register_model
def cspresnet50(pretrained: bool = False, **kwargs) -> CspNet:
    """CSPResNet-50: ResNet-50 stem, cross-stage-partial bottleneck stages."""
    return _create_cspnet('cspresnet50', pretrained, **kwargs)


@register_model
def cspresnet50d(pretrained: bool = False, **kwargs) -> CspNet:
    """CSPResNet-50 with a three-conv deep stem."""
    return _create_cspnet('cspresnet50d', pretrained, **kwargs)


@register_model
def cspresnet50w(pretrained: bool = False, **kwargs) -> CspNet:
    """CSPResNet-50, wide stages with narrower bottlenecks."""
    return _create_cspnet('cspresnet50w', pretrained, **kwargs)


@register_model
def cspresnext50(pretrained: bool = False, **kwargs) -> CspNet:
    """CSPResNeXt-50 (32 groups)."""
    return _create_cspnet('cspresnext50', pretrained, **kwargs)


@register_model
def cspdarknet53(pretrained: bool = False, **kwargs) -> CspNet:
    """CSPDarkNet-53 (the YOLOv4 backbone)."""
    return _create_cspnet('cspdarknet53', pretrained, **kwargs)


@register_model
def darknet17(pretrained: bool = False, **kwargs) -> CspNet:
    """DarkNet-17: one block per stage."""
    return _create_cspnet('darknet17', pretrained, **kwargs)


@register_model
def darknet21(pretrained: bool = False, **kwargs) -> CspNet:
    """DarkNet-21."""
    return _create_cspnet('darknet21', pretrained, **kwargs)


@register_model
def sedarknet21(pretrained: bool = False, **kwargs) -> CspNet:
    """DarkNet-21 with SE after each block's 1x1 conv."""
    return _create_cspnet('sedarknet21', pretrained, **kwargs)


@register_model
def darknet53(pretrained: bool = False, **kwargs) -> CspNet:
    """DarkNet-53 (the YOLOv3 backbone)."""
    return _create_cspnet('darknet53', pretrained, **kwargs)


@register_model
def darknetaa53(pretrained: bool = False, **kwargs) -> CspNet:
    """DarkNet-53 with average-pool + 1x1 downsampling."""
    return _create_cspnet('darknetaa53', pretrained, **kwargs)


@register_model
def cs3darknet_s(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-S (YOLOv5-S widths and depths)."""
    return _create_cspnet('cs3darknet_s', pretrained, **kwargs)


@register_model
def cs3darknet_m(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-M."""
    return _create_cspnet('cs3darknet_m', pretrained, **kwargs)


@register_model
def cs3darknet_l(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-L."""
    return _create_cspnet('cs3darknet_l', pretrained, **kwargs)


@register_model
def cs3darknet_x(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-X."""
    return _create_cspnet('cs3darknet_x', pretrained, **kwargs)


@register_model
def cs3darknet_focus_s(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-S with a single 6x6 "focus" stem conv."""
    return _create_cspnet('cs3darknet_focus_s', pretrained, **kwargs)


@register_model
def cs3darknet_focus_m(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-M with a 6x6 stem conv."""
    return _create_cspnet('cs3darknet_focus_m', pretrained, **kwargs)


@register_model
def cs3darknet_focus_l(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-L with a 6x6 stem conv."""
    return _create_cspnet('cs3darknet_focus_l', pretrained, **kwargs)


@register_model
def cs3darknet_focus_x(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-X with a 6x6 stem conv."""
    return _create_cspnet('cs3darknet_focus_x', pretrained, **kwargs)


@register_model
def cs3sedarknet_l(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-L with SE (reduction 1/4) in every block."""
    return _create_cspnet('cs3sedarknet_l', pretrained, **kwargs)


@register_model
def cs3sedarknet_x(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-DarkNet-X with SE (reduction 1/16) in every block."""
    return _create_cspnet('cs3sedarknet_x', pretrained, **kwargs)


@register_model
def cs3sedarknet_xdw(pretrained: bool = False, **kwargs) -> CspNet:
    """CSP bottleneck net with SE and grouped 3x3 convs in the last two stages."""
    return _create_cspnet('cs3sedarknet_xdw', pretrained, **kwargs)


@register_model
def cs3edgenet_x(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-EdgeNet-X: CS3-DarkNet-X with 3x3 -> 1x1 edge-residual blocks."""
    return _create_cspnet('cs3edgenet_x', pretrained, **kwargs)


@register_model
def cs3se_edgenet_x(pretrained: bool = False, **kwargs) -> CspNet:
    """CS3-EdgeNet-X with SE (reduction 1/4)."""
    return _create_cspnet('cs3se_edgenet_x', pretrained, **kwargs)
