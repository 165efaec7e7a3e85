"""Bring-Your-Own-Blocks networks (ByobNet): ResNet-like CNNs assembled from a typed config.

One model class builds many published architectures from one table of `ByoModelCfg`s: a stem, stages of blocks
(a stage is one `ByoBlockCfg` repeated `d` times, or a tuple of them), an optional final 1x1 conv and a head.

Block types (`ByoBlockCfg.type`; `register_block` adds more):
- 'basic' (kxk -> kxk), 'bottle' (1x1 -> kxk -> 1x1), 'dark' (1x1 -> kxk), 'edge' (kxk -> 1x1): residual blocks with
  an optional channel attention (SE, ECA, global context, BAT) after the first conv or at the end of the branch.
- 'rep' (RepVGG) and 'one' (MobileOne): parallel conv-BN branches that fold into one conv for inference
  (`reparameterize()`; `zoo.models.reparameterize_model` folds a whole model).
- 'self_attn': a bottleneck whose kxk conv is a self-attention layer (bottleneck, halo or lambda; see
  zoo.models.byoanet).

Papers:
- GENet (gernet_*): "Neural Architecture Design for GPU-Efficient Networks", Lin et al., 2020 (arXiv:2006.14090).
- RepVGG (repvgg_*): "RepVGG: Making VGG-style ConvNets Great Again", Ding et al., 2021 (arXiv:2101.03697).
- MobileOne (mobileone_*): "MobileOne: An Improved One millisecond Mobile Backbone", Vasu et al., 2023
  (arXiv:2206.04040).
- RegNetZ (regnetz_*): "Fast and Accurate Model Scaling", Dollar et al., 2021 (arXiv:2103.06877); `_evos` variants
  use EvoNorm-S0 ("Evolving Normalization-Activation Layers", Liu et al., 2020, arXiv:2004.02967).
- CLIP ResNets (resnet*_clip*): "Learning Transferable Visual Models From Natural Language Supervision", Radford
  et al., 2021 (arXiv:2103.00020): 3-conv stem with 2x2 average pooling, anti-aliased (avg-pool) strides,
  attention-pool head.
- Channel attention: SE ("Squeeze-and-Excitation Networks", Hu et al., arXiv:1709.01507), ECA (Wang et al.,
  arXiv:1910.03151), GC ("GCNet", Cao et al., arXiv:1904.11492), BAT (Chi et al., CVPR 2020).

Deviations from the papers, all matching timm's published weights and layout: the RegNetZ, ResNet-"ts"/"t"/"q"
models use timm's own sizing; RepVGG / MobileOne blocks may carry an attention layer (repvgg_d2se, mobileone_s4)
and stochastic depth on the identity path. One deliberate difference from timm: in dilated stages
(output_stride < 32) MobileOne's convs are dilated like every other block type (timm leaves them undilated).
"""
import dataclasses
import functools
import inspect
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD
from zoo.layers import (
    BatchNormAct2d, ClassifierHead, DropBlock2d, DropPath, EcaModule, LayerType, NormMlpClassifierHead, SEModule,
    create_conv2d, get_act_layer, get_attn, get_norm_layer, make_divisible, stagewise_drop_path_rates, to_2tuple,
    to_ntuple,
)
from zoo.layers.attention_pool2d import AttentionPool2d
from zoo.layers.bottleneck_attn import BottleneckAttn
from zoo.layers.conv_bn_act import ConvNormAct, get_norm_act_layer
from zoo.layers.evo_norm import EvoNorm2dS0a
from zoo.layers.global_context import GlobalContext
from zoo.layers.halo_attn import HaloAttn
from zoo.layers.lambda_layer import LambdaLayer
from zoo.layers.non_local_attn import BatNonLocalAttn
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.weight_init import init_by_type_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import fuse_conv_bn, identity_kernel, sum_kernels

__all__ = [
    'ByobNet', 'ByoModelCfg', 'ByoBlockCfg', 'LayerFn', 'create_byob_stem', 'create_block', 'register_block',
    'interleave_blocks', 'num_groups', 'BasicBlock', 'BottleneckBlock', 'DarkBlock', 'EdgeBlock', 'RepVggBlock',
    'MobileOneBlock', 'SelfAttnBlock', 'Stem',
]

GroupSize = Union[int, Callable[[int, int], int], None]


# ---- configuration ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ByoBlockCfg:
    """One block type repeated `d` times.

    The attention / block-argument fields override the model-wide ones for these blocks when set: an empty
    string `attn_layer=''` removes the attention, and a set `*_kwargs` dict replaces (does not merge with) the model's.

    Attributes:
        type: block type name ('basic', 'bottle', 'dark', 'edge', 'rep', 'one', 'self_attn') or a block class.
        d: number of blocks.
        c: output channels of every block (before the model's width factor).
        s: stride of the first block; the first config of a stage sets the stage stride.
        gs: channels per group of the kxk convs (1 = depthwise, 0 / None = dense), or a function
            (out_chs, block_index_in_stage) -> group size.
        br: bottleneck ratio (mid channels / out channels).
        attn_layer: channel attention name for these blocks.
        attn_kwargs: arguments of that attention.
        self_attn_layer: self-attention name ('bottleneck', 'halo', 'lambda') for 'self_attn' blocks.
        self_attn_kwargs: arguments of that self-attention.
        block_kwargs: extra block constructor arguments (e.g. `linear_out`, `num_conv_branches`).
    """
    type: Union[str, Callable[..., nn.Module]]
    d: int
    c: int
    s: int = 2
    gs: GroupSize = None
    br: float = 1.
    attn_layer: Optional[str] = None
    attn_kwargs: Optional[Dict[str, Any]] = None
    self_attn_layer: Optional[str] = None
    self_attn_kwargs: Optional[Dict[str, Any]] = None
    block_kwargs: Optional[Dict[str, Any]] = None


StageCfg = Union[ByoBlockCfg, Tuple[ByoBlockCfg, ...]]


@dataclass(frozen=True)
class ByoModelCfg:
    """A whole ByobNet: stem, stages, final conv, head, and the layers used everywhere.

    Attributes:
        blocks: one entry per stage, a block config or a tuple of them.
        downsample: shortcut projection of resampling blocks: 'conv1x1', 'avg' (avg-pool + 1x1, ResNet-D) or ''
            (no shortcut on such blocks).
        stem_type: '' / '3x3', '7x7', 'tiered', 'deep', 'quad', 'quad2', 'rep' or 'one' (see `create_byob_stem`).
        stem_pool: pooling ending the stem: 'maxpool', 'avgpool', 'max2', 'avg2', or ''/None.
        stem_chs: stem width, or the width of each stem conv.
        width_factor: multiplier of every block width (and the stem / final widths).
        num_features: width of a final 1x1 conv before the head; 0 for none.
        fixed_input_size: the model has input-size dependent parameters, so `img_size` is required.
        act_layer: activation name or class.
        norm_layer: norm name ('batchnorm', 'evonorms0a', ...) or constructor; fused with `act_layer`.
        aa_layer: anti-aliased downsampling of strided block convs ('avg', 'blur'), none if ''.
        head_hidden_size: width of the MLP head's hidden layer / the attention-pool embedding.
        head_type: 'classifier', 'mlp' (norm + hidden layer) or 'attn_abs' (CLIP attention pool).
        attn_layer: channel attention of every block ('se', 'eca', 'gc', 'gca', 'bat', ...).
        attn_kwargs: its arguments.
        self_attn_layer: self-attention of 'self_attn' blocks.
        self_attn_kwargs: its arguments.
        block_kwargs: extra constructor arguments of every block.
    """
    blocks: Tuple[StageCfg, ...]
    downsample: str = 'conv1x1'
    stem_type: str = '3x3'
    stem_pool: Optional[str] = 'maxpool'
    stem_chs: Union[int, Tuple[int, ...]] = 32
    width_factor: float = 1.0
    num_features: int = 0
    fixed_input_size: bool = False
    act_layer: LayerType = 'relu'
    norm_layer: LayerType = 'batchnorm'
    aa_layer: str = ''
    head_hidden_size: Optional[int] = None
    head_type: str = 'classifier'
    attn_layer: Optional[str] = None
    attn_kwargs: Dict[str, Any] = field(default_factory=dict)
    self_attn_layer: Optional[str] = None
    self_attn_kwargs: Dict[str, Any] = field(default_factory=dict)
    block_kwargs: Dict[str, Any] = field(default_factory=dict)


def interleave_blocks(
        types: Tuple[str, str],
        d: int,
        every: Union[int, Sequence[int]] = 1,
        first: bool = False,
        **kwargs: Any,
) -> Tuple[ByoBlockCfg, ...]:
    """A stage of `d` single blocks of `types[0]` with some replaced by `types[1]`.

    Args:
        types: (default type, alternate type).
        d: blocks in the stage.
        every: an int n puts the alternate type at every (n + 1)-th block, starting at block n (0 with `first`);
            if that selects none, the last block is the alternate. A sequence lists the alternate positions.
        first: start the int pattern at block 0.
        **kwargs: the other ByoBlockCfg fields, shared by all blocks.
    """
    if isinstance(every, int):
        alternate = set(range(0 if first else every, d, every + 1)) or {d - 1}
    else:
        alternate = set(every)
    return tuple(ByoBlockCfg(type=types[1] if i in alternate else types[0], d=1, **kwargs) for i in range(d))


def num_groups(group_size: Optional[int], channels: int) -> int:
    """Groups of a conv with `group_size` channels per group (1 = depthwise, 0 / None = one group)."""
    if not group_size:
        return 1
    if channels % group_size:
        raise ValueError(f'{channels} channels do not split into groups of {group_size}.')
    return channels // group_size


@dataclass(frozen=True)
class LayerFn:
    """The layer constructors blocks are built from, resolved once per model (and per block for overrides)."""
    conv_norm_act: Callable[..., nn.Module] = ConvNormAct
    norm_act: Callable[..., nn.Module] = BatchNormAct2d
    act: Callable[..., nn.Module] = nn.ReLU
    attn: Optional[Callable[..., nn.Module]] = None
    self_attn: Optional[Callable[..., nn.Module]] = None


# attention layers by config name; other names fall back to zoo.layers.get_attn
_ATTN_LAYERS: Dict[str, Callable[..., nn.Module]] = dict(
    se=SEModule,
    eca=EcaModule,
    gc=GlobalContext,
    gca=functools.partial(GlobalContext, fuse_add=True, fuse_scale=False),
    bat=BatNonLocalAttn,
    bottleneck=BottleneckAttn,
    halo=HaloAttn,
    **{'lambda': LambdaLayer},
)


def _attn_factory(name: Optional[str], kwargs: Optional[Dict[str, Any]]) -> Optional[Callable[..., nn.Module]]:
    if not name:
        return None
    layer = _ATTN_LAYERS.get(name.lower()) if isinstance(name, str) else name
    layer = layer or get_attn(name)
    return functools.partial(layer, **kwargs) if kwargs else layer


def _layer_fns(cfg: ByoModelCfg, allow_aa: bool = True) -> LayerFn:
    act = get_act_layer(cfg.act_layer)
    aa = cfg.aa_layer if allow_aa and cfg.aa_layer else None
    return LayerFn(
        conv_norm_act=functools.partial(ConvNormAct, norm_layer=cfg.norm_layer, act_layer=act, aa_layer=aa),
        norm_act=get_norm_act_layer(cfg.norm_layer, act),
        act=act,
        attn=_attn_factory(cfg.attn_layer, cfg.attn_kwargs),
        self_attn=_attn_factory(cfg.self_attn_layer, cfg.self_attn_kwargs),
    )


def _block_layers(block: ByoBlockCfg, model: ByoModelCfg, layers: LayerFn) -> Tuple[LayerFn, Dict[str, Any]]:
    """The layer constructors and extra arguments of one block: its own overrides, else the model's."""
    def pick(layer: Optional[str], kwargs: Optional[Dict[str, Any]], model_layer: Optional[str],
             model_kwargs: Dict[str, Any]) -> Optional[Callable[..., nn.Module]]:
        if layer == '':
            return None
        return _attn_factory(layer or model_layer, kwargs if kwargs is not None else model_kwargs)

    layers = replace(
        layers,
        attn=pick(block.attn_layer, block.attn_kwargs, model.attn_layer, model.attn_kwargs),
        self_attn=pick(block.self_attn_layer, block.self_attn_kwargs, model.self_attn_layer, model.self_attn_kwargs),
    )
    extra = block.block_kwargs if block.block_kwargs is not None else model.block_kwargs
    return layers, dict(extra)


# ---- blocks -----------------------------------------------------------------------------------------------------

def _maybe_attn(layers: LayerFn, channels: int, enable: bool = True) -> nn.Module:
    return layers.attn(channels) if enable and layers.attn is not None else nn.Identity()


def create_shortcut(
        downsample: str,
        in_chs: int,
        out_chs: int,
        stride: int,
        dilation: Tuple[int, int],
        layers: LayerFn,
) -> Optional[nn.Module]:
    """The shortcut of a residual block: identity, a projection, or None (no residual) when shapes change and
    `downsample` is ''."""
    if downsample not in ('conv1x1', 'avg', ''):
        raise ValueError(f"Unknown downsample {downsample!r}; use 'conv1x1', 'avg' or ''.")
    if in_chs == out_chs and stride == 1 and dilation[0] == dilation[1]:
        return nn.Identity()
    if not downsample:
        return None
    if downsample == 'conv1x1':
        return layers.conv_norm_act(in_chs, out_chs, 1, stride=stride, dilation=dilation[0], apply_act=False)
    return DownsampleAvg(in_chs, out_chs, stride, dilation[0], layers)


class DownsampleAvg(nn.Module):
    """ResNet-D shortcut: average-pool the resolution away, then a 1x1 conv + norm (keys `pool`, `conv`).

    In a dilated stage the pool keeps the resolution: a 2x2 stride-1 average with the border padded on the
    bottom / right, so the shortcut still averages the positions the strided version would.
    """

    def __init__(self, in_chs: int, out_chs: int, stride: int, dilation: int, layers: LayerFn):
        super().__init__()
        if dilation > 1:
            self.pool = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.AvgPool2d(2, 1))
        elif stride > 1:
            self.pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
        else:
            self.pool = nn.Identity()
        self.conv = layers.conv_norm_act(in_chs, out_chs, 1, apply_act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pool(x))


class _ResidualBlock(nn.Module):
    """Residual branch (the subclass's `residual`) -> stochastic depth -> + shortcut -> activation.

    Subclasses name the conv whose norm closes the branch (`last_conv`): zero-initialising its scale makes the block
    start as its shortcut ("Bag of Tricks for Image Classification", He et al., 2019, arXiv:1812.01187).
    """
    last_conv: ClassVar[str]
    attn_names: ClassVar[Tuple[str, ...]] = ('attn', 'attn_last')

    def __init__(self, in_chs: int, out_chs: int, stride: int, dilation: Tuple[int, int], downsample: str,
                 layers: LayerFn, drop_path_rate: float, linear_out: bool):
        super().__init__()
        self.shortcut = create_shortcut(downsample, in_chs, out_chs, stride, dilation, layers)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0. else nn.Identity()
        self.act = nn.Identity() if linear_out else layers.act(inplace=True)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def init_weights(self, zero_init_last: bool = False) -> None:
        norm = getattr(self, self.last_conv).bn
        if zero_init_last and self.shortcut is not None and getattr(norm, 'weight', None) is not None:
            nn.init.zeros_(norm.weight)
        for name in self.attn_names:
            reset = getattr(getattr(self, name), 'reset_parameters', None)
            if reset is not None:
                reset()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.drop_path(self.residual(x))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.act(out)


class BasicBlock(_ResidualBlock):
    """kxk conv -> kxk conv (grouped), the ResNet basic block; attention at the end by default.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: kernel of both convs.
        stride: stride of the first conv.
        dilation: (first conv, second conv) dilation.
        group_size: channels per group of the second conv.
        bottle_ratio: mid channels / out_chs.
        downsample: shortcut type when the shape changes ('conv1x1', 'avg', '').
        attn_last: channel attention at the end (True) or after the first conv.
        linear_out: no activation after the residual sum.
        layers: layer constructors.
        drop_block: DropBlock constructor for the last conv's output.
        drop_path_rate: stochastic depth rate.
    """
    last_conv = 'conv2_kxk'

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int = 3,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            group_size: Optional[int] = None,
            bottle_ratio: float = 1.0,
            downsample: str = 'avg',
            attn_last: bool = True,
            linear_out: bool = False,
            layers: Optional[LayerFn] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        layers = layers or LayerFn()
        super().__init__(in_chs, out_chs, stride, dilation, downsample, layers, drop_path_rate, linear_out)
        mid_chs = make_divisible(out_chs * bottle_ratio)
        self.conv1_kxk = layers.conv_norm_act(in_chs, mid_chs, kernel_size, stride=stride, dilation=dilation[0])
        self.attn = _maybe_attn(layers, mid_chs, not attn_last)
        self.conv2_kxk = layers.conv_norm_act(
            mid_chs, out_chs, kernel_size, dilation=dilation[1], groups=num_groups(group_size, mid_chs),
            drop_layer=drop_block, apply_act=False)
        self.attn_last = _maybe_attn(layers, out_chs, attn_last)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn_last(self.conv2_kxk(self.attn(self.conv1_kxk(x))))


class BottleneckBlock(_ResidualBlock):
    """1x1 reduce -> kxk (grouped, strided) [-> second kxk] -> 1x1 expand, the ResNe(X)t / RegNet bottleneck.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: kernel of the kxk conv(s).
        stride: stride of the kxk conv.
        dilation: (first kxk, second kxk) dilation.
        bottle_ratio: mid channels relative to out_chs (in_chs with `bottle_in`).
        group_size: channels per group of the kxk conv(s).
        downsample: shortcut type when the shape changes ('conv1x1', 'avg', '').
        attn_last: channel attention at the end, or (default) after the kxk conv(s).
        linear_out: no activation after the residual sum (RegNetZ).
        extra_conv: a second kxk conv (resnet61q).
        bottle_in: size the bottleneck from in_chs (an inverted bottleneck when bottle_ratio > 1).
        layers: layer constructors.
        drop_block: DropBlock constructor for the kxk conv's output.
        drop_path_rate: stochastic depth rate.
    """
    last_conv = 'conv3_1x1'

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int = 3,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            bottle_ratio: float = 1.,
            group_size: Optional[int] = None,
            downsample: str = 'avg',
            attn_last: bool = False,
            linear_out: bool = False,
            extra_conv: bool = False,
            bottle_in: bool = False,
            layers: Optional[LayerFn] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        layers = layers or LayerFn()
        super().__init__(in_chs, out_chs, stride, dilation, downsample, layers, drop_path_rate, linear_out)
        mid_chs = make_divisible((in_chs if bottle_in else out_chs) * bottle_ratio)
        groups = num_groups(group_size, mid_chs)
        self.conv1_1x1 = layers.conv_norm_act(in_chs, mid_chs, 1)
        self.conv2_kxk = layers.conv_norm_act(
            mid_chs, mid_chs, kernel_size, stride=stride, dilation=dilation[0], groups=groups, drop_layer=drop_block)
        self.conv2b_kxk = layers.conv_norm_act(
            mid_chs, mid_chs, kernel_size, dilation=dilation[1], groups=groups) if extra_conv else nn.Identity()
        self.attn = _maybe_attn(layers, mid_chs, not attn_last)
        self.conv3_1x1 = layers.conv_norm_act(mid_chs, out_chs, 1, apply_act=False)
        self.attn_last = _maybe_attn(layers, out_chs, attn_last)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        x = self.attn(self.conv2b_kxk(self.conv2_kxk(self.conv1_1x1(x))))
        return self.attn_last(self.conv3_1x1(x))


class DarkBlock(_ResidualBlock):
    """1x1 conv -> kxk conv (strided, grouped), the DarkNet / GENet "XX" block; attention at the end by default.

    Args: as BasicBlock (`dilation[0]` dilates the kxk conv).
    """
    last_conv = 'conv2_kxk'

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int = 3,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            bottle_ratio: float = 1.0,
            group_size: Optional[int] = None,
            downsample: str = 'avg',
            attn_last: bool = True,
            linear_out: bool = False,
            layers: Optional[LayerFn] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        layers = layers or LayerFn()
        super().__init__(in_chs, out_chs, stride, dilation, downsample, layers, drop_path_rate, linear_out)
        mid_chs = make_divisible(out_chs * bottle_ratio)
        self.conv1_1x1 = layers.conv_norm_act(in_chs, mid_chs, 1)
        self.attn = _maybe_attn(layers, mid_chs, not attn_last)
        self.conv2_kxk = layers.conv_norm_act(
            mid_chs, out_chs, kernel_size, stride=stride, dilation=dilation[0],
            groups=num_groups(group_size, mid_chs), drop_layer=drop_block, apply_act=False)
        self.attn_last = _maybe_attn(layers, out_chs, attn_last)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn_last(self.conv2_kxk(self.attn(self.conv1_1x1(x))))


class EdgeBlock(_ResidualBlock):
    """kxk conv (strided, grouped) -> 1x1 conv, like EfficientNet's edge residual but ending in an activation.

    Args: as BasicBlock (`dilation[0]` dilates the kxk conv); attention after the kxk conv by default.
    """
    last_conv = 'conv2_1x1'

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int = 3,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            bottle_ratio: float = 1.0,
            group_size: Optional[int] = None,
            downsample: str = 'avg',
            attn_last: bool = False,
            linear_out: bool = False,
            layers: Optional[LayerFn] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        layers = layers or LayerFn()
        super().__init__(in_chs, out_chs, stride, dilation, downsample, layers, drop_path_rate, linear_out)
        mid_chs = make_divisible(out_chs * bottle_ratio)
        self.conv1_kxk = layers.conv_norm_act(
            in_chs, mid_chs, kernel_size, stride=stride, dilation=dilation[0],
            groups=num_groups(group_size, mid_chs), drop_layer=drop_block)
        self.attn = _maybe_attn(layers, mid_chs, not attn_last)
        self.conv2_1x1 = layers.conv_norm_act(mid_chs, out_chs, 1, apply_act=False)
        self.attn_last = _maybe_attn(layers, out_chs, attn_last)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn_last(self.conv2_1x1(self.attn(self.conv1_kxk(x))))


class SelfAttnBlock(_ResidualBlock):
    """1x1 reduce [-> kxk conv] -> self-attention -> norm + act -> 1x1 expand (BoTNet / HaloNet / LambdaNet block).

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: kernel of the optional kxk conv.
        stride: stride, taken by the kxk conv when present, else by the self-attention.
        dilation: dilation of the kxk conv.
        bottle_ratio: mid channels relative to out_chs (in_chs with `bottle_in`).
        group_size: channels per group of the kxk conv.
        downsample: shortcut type when the shape changes.
        extra_conv: a kxk conv before the self-attention.
        linear_out: no activation after the residual sum.
        bottle_in: size the bottleneck from in_chs.
        post_attn_na: norm + activation after the self-attention.
        feat_size: (H, W) of the block input, for self-attention layers sized by it.
        layers: layer constructors (`layers.self_attn` is required).
        drop_block: DropBlock constructor for the kxk conv's output.
        drop_path_rate: stochastic depth rate.
    """
    last_conv = 'conv3_1x1'
    attn_names = ('self_attn',)

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int = 3,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            bottle_ratio: float = 1.,
            group_size: Optional[int] = None,
            downsample: str = 'avg',
            extra_conv: bool = False,
            linear_out: bool = False,
            bottle_in: bool = False,
            post_attn_na: bool = True,
            feat_size: Optional[Tuple[int, int]] = None,
            layers: Optional[LayerFn] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        if layers is None or layers.self_attn is None:
            raise ValueError("A 'self_attn' block needs a self_attn_layer ('bottleneck', 'halo' or 'lambda').")
        super().__init__(in_chs, out_chs, stride, dilation, downsample, layers, drop_path_rate, linear_out)
        mid_chs = make_divisible((in_chs if bottle_in else out_chs) * bottle_ratio)
        self.conv1_1x1 = layers.conv_norm_act(in_chs, mid_chs, 1)
        if extra_conv:
            self.conv2_kxk = layers.conv_norm_act(
                mid_chs, mid_chs, kernel_size, stride=stride, dilation=dilation[0],
                groups=num_groups(group_size, mid_chs), drop_layer=drop_block)
            stride = 1
        else:
            self.conv2_kxk = nn.Identity()
        size_kwargs = {} if feat_size is None else dict(feat_size=feat_size)
        self.self_attn = layers.self_attn(mid_chs, stride=stride, **size_kwargs)
        self.post_attn = layers.norm_act(mid_chs) if post_attn_na else nn.Identity()
        self.conv3_1x1 = layers.conv_norm_act(mid_chs, out_chs, 1, apply_act=False)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        x = self.post_attn(self.self_attn(self.conv2_kxk(self.conv1_1x1(x))))
        return self.conv3_1x1(x)


def _small_affine_(norm: nn.Module) -> None:
    # the parallel branches add up, so each norm's scale starts around 0.1 (and its shift near 0) to keep the sum's
    # scale moderate
    nn.init.normal_(norm.weight, .1, .1)
    nn.init.normal_(norm.bias, 0., .1)


class _RepBlock(nn.Module):
    """Parallel conv + BN branches over the same input, summed with a BN-only identity branch when shapes allow, then
    attention and activation. `reparameterize()` folds the branches into one biased conv, `reparam_conv`.

    Subclasses build the branches and list them in `branch_names` (the first is the kxk conv that fixes the folded
    conv's geometry).
    """
    branch_names: ClassVar[Tuple[str, ...]]

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int, stride: int, dilation: Tuple[int, int],
                 group_size: Optional[int], layers: LayerFn, drop_path_rate: float, inference_mode: bool):
        super().__init__()
        self.groups = num_groups(group_size, in_chs)
        use_identity = in_chs == out_chs and stride == 1 and dilation[0] == dilation[1]
        if inference_mode:
            self.reparam_conv = create_conv2d(in_chs, out_chs, kernel_size, stride=stride, dilation=dilation[0],
                                              groups=self.groups, bias=True)
        else:
            self.reparam_conv = None
            self.identity = layers.norm_act(out_chs, apply_act=False) if use_identity else None
            # stochastic depth only where the identity branch keeps the block alive
            self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0. and use_identity else nn.Identity()
        self.attn = _maybe_attn(layers, out_chs)
        self.act = layers.act(inplace=True)

    def _branches(self) -> List[nn.Module]:
        branches = []
        for name in self.branch_names:
            module = getattr(self, name)
            if isinstance(module, nn.ModuleList):
                branches.extend(module)
            elif module is not None:
                branches.append(module)
        return branches

    def init_weights(self, zero_init_last: bool = False) -> None:
        """Branch norms drawn near 0.1; the attention layer's own scheme. (Nothing to zero: `zero_init_last` is
        accepted for the residual blocks' signature.)"""
        init_by_type_(self, [(nn.BatchNorm2d, _small_affine_)])
        if hasattr(self.attn, 'reset_parameters'):
            self.attn.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.reparam_conv is not None:
            return self.act(self.attn(self.reparam_conv(x)))
        branches = self._branches()
        out = branches[0](x)
        # in-place sums: each branch output is a fresh tensor that no backward pass needs again
        for branch in branches[1:]:
            out += branch(x)
        if self.identity is not None:
            out = self.drop_path(out)
            out += self.identity(x)
        return self.act(self.attn(out))

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold all branches into `reparam_conv` (eval-mode equivalent) and delete them."""
        if self.reparam_conv is not None:
            return
        branches = self._branches()
        ref = branches[0].conv
        folded = []
        for branch in branches:
            if not isinstance(branch.bn, nn.BatchNorm2d):
                raise RuntimeError(f'Cannot reparameterize {type(self).__name__}: its norm {type(branch.bn).__name__} '
                                   f'is not a BatchNorm.')
            folded.append(fuse_conv_bn(branch.conv.weight, branch.bn, branch.conv.bias))
        if self.identity is not None:
            folded.append(fuse_conv_bn(identity_kernel(ref.in_channels, ref.groups, ref.kernel_size, ref.weight),
                                       self.identity))
        kernel, bias = sum_kernels(folded, ref.kernel_size)
        conv = nn.Conv2d(ref.in_channels, ref.out_channels, ref.kernel_size, stride=ref.stride, padding=ref.padding,
                         dilation=ref.dilation, groups=ref.groups, bias=True, device=ref.weight.device,
                         dtype=ref.weight.dtype)
        conv.weight.copy_(kernel)
        conv.bias.copy_(bias)
        for name in self.branch_names + ('identity', 'drop_path'):
            delattr(self, name)
        self.reparam_conv = conv


class RepVggBlock(_RepBlock):
    """RepVGG block: kxk conv-BN + 1x1 conv-BN (+ BN identity), summed -> attention -> activation.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: kernel of the main branch.
        stride: stride of both conv branches.
        dilation: (kxk conv, rest of the stage) dilation; the identity branch needs them equal.
        group_size: channels per group of both conv branches.
        layers: layer constructors.
        drop_block: DropBlock constructor for the kxk branch.
        drop_path_rate: stochastic depth of the conv branches (identity blocks only).
        inference_mode: build the folded single conv directly (for re-parameterised checkpoints).
    """
    branch_names = ('conv_kxk', 'conv_1x1')

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int = 3,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            group_size: Optional[int] = None,
            layers: Optional[LayerFn] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path_rate: float = 0.,
            inference_mode: bool = False,
    ):
        layers = layers or LayerFn()
        super().__init__(in_chs, out_chs, kernel_size, stride, dilation, group_size, layers, drop_path_rate,
                         inference_mode)
        if not inference_mode:
            self.conv_kxk = layers.conv_norm_act(in_chs, out_chs, kernel_size, stride=stride, dilation=dilation[0],
                                                 groups=self.groups, drop_layer=drop_block, apply_act=False)
            self.conv_1x1 = layers.conv_norm_act(in_chs, out_chs, 1, stride=stride, groups=self.groups,
                                                 apply_act=False)


class MobileOneBlock(_RepBlock):
    """MobileOne block: `num_conv_branches` kxk conv-BN + a 1x1 conv-BN "scale" branch (kxk > 1) + BN identity.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: kernel of the conv branches (1 for MobileOne's pointwise blocks).
        stride: stride of the conv branches.
        dilation: (conv branches, rest of the stage) dilation.
        group_size: channels per group (1 for MobileOne's depthwise blocks).
        num_conv_branches: over-parameterisation factor k of the paper.
        layers: layer constructors.
        drop_block: DropBlock constructor for the kxk branches.
        drop_path_rate: stochastic depth of the conv branches (identity blocks only).
        inference_mode: build the folded single conv directly.
    """
    branch_names = ('conv_kxk', 'conv_scale')

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int = 3,
            stride: int = 1,
            dilation: Tuple[int, int] = (1, 1),
            group_size: Optional[int] = None,
            num_conv_branches: int = 1,
            layers: Optional[LayerFn] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path_rate: float = 0.,
            inference_mode: bool = False,
    ):
        layers = layers or LayerFn()
        super().__init__(in_chs, out_chs, kernel_size, stride, dilation, group_size, layers, drop_path_rate,
                         inference_mode)
        if not inference_mode:
            self.conv_kxk = nn.ModuleList([
                layers.conv_norm_act(in_chs, out_chs, kernel_size, stride=stride, dilation=dilation[0],
                                     groups=self.groups, drop_layer=drop_block, apply_act=False)
                for _ in range(num_conv_branches)])
            self.conv_scale = layers.conv_norm_act(
                in_chs, out_chs, 1, stride=stride, groups=self.groups, apply_act=False) if kernel_size > 1 else None


_BLOCK_TYPES: Dict[str, Callable[..., nn.Module]] = dict(
    basic=BasicBlock,
    bottle=BottleneckBlock,
    dark=DarkBlock,
    edge=EdgeBlock,
    rep=RepVggBlock,
    one=MobileOneBlock,
    self_attn=SelfAttnBlock,
)


def register_block(block_type: str, block_fn: Callable[..., nn.Module]) -> None:
    """Make a block class available to configs under `block_type` (families such as MobileViT add their own).

    The class is called with keyword arguments; of the standard ones (in_chs, out_chs, stride, dilation, group_size,
    bottle_ratio, downsample, layers, drop_block, drop_path_rate, feat_size) it receives those its signature names.
    """
    if block_type in _BLOCK_TYPES and _BLOCK_TYPES[block_type] is not block_fn:
        raise ValueError(f'Block type {block_type!r} is already registered.')
    _BLOCK_TYPES[block_type] = block_fn


def _resolve_block(block: Union[str, Callable[..., nn.Module]]) -> Callable[..., nn.Module]:
    if not isinstance(block, str):
        return block
    if block not in _BLOCK_TYPES:
        raise ValueError(f'Unknown block type {block!r}; choose one of {sorted(_BLOCK_TYPES)} or register_block().')
    return _BLOCK_TYPES[block]


def create_block(block: Union[str, Callable[..., nn.Module]], **kwargs: Any) -> nn.Module:
    """Instantiate a block given by type name or class with `kwargs`."""
    return _resolve_block(block)(**kwargs)


@functools.lru_cache(maxsize=None)
def _accepted_args(block_fn: Callable[..., nn.Module]) -> Optional[frozenset]:
    params = inspect.signature(block_fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return None  # takes anything
    return frozenset(params)


# ---- stem ---------------------------------------------------------------------------------------------------------

class Stem(nn.Sequential):
    """A stack of convs (`conv1`, `conv2`, ...) and an optional pool (`pool`) with a total stride of 4.

    The map at stride 2 (the output of child `tap`) is the model's first feature level.

    Args:
        in_chs: input channels.
        out_chs: output width, or the width of each conv.
        kernel_size: kernel of the convs.
        pool: pooling ending the stem ('maxpool', 'avgpool', 'max2', 'avg2'); without it the last conv is strided.
        num_rep: number of convs when `out_chs` is an int.
        num_act: how many of the last convs get norm + activation (the earlier ones are plain convs).
        chs_decay: with an int `out_chs`, each earlier conv is this fraction of the next one's width.
        layers: layer constructors.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: Union[int, Sequence[int]],
            kernel_size: int = 3,
            pool: Optional[str] = 'maxpool',
            num_rep: int = 3,
            num_act: Optional[int] = None,
            chs_decay: float = 0.5,
            layers: Optional[LayerFn] = None,
    ):
        super().__init__()
        layers = layers or LayerFn()
        if isinstance(out_chs, int):
            widths = [round(out_chs * chs_decay ** i) for i in reversed(range(num_rep))]
        else:
            widths = list(out_chs)
        num_act = len(widths) if num_act is None else num_act
        strides = [2] + [1] * (len(widths) - 1)
        if not pool:
            strides[-1] = 2
        if sum(s > 1 for s in strides) + bool(pool) != 2:
            raise ValueError('A Stem needs at least two convs when it has no pool (its stride is 4).')
        self.tap = None
        prev_chs = in_chs
        for i, (chs, stride) in enumerate(zip(widths, strides)):
            if i > 0 and stride > 1:
                self.tap = f'conv{i}'
            with_norm_act = i >= len(widths) - num_act
            conv_fn = layers.conv_norm_act if with_norm_act else create_conv2d
            self.add_module(f'conv{i + 1}', conv_fn(prev_chs, chs, kernel_size, stride=stride))
            prev_chs = chs
        if pool:
            self.tap = f'conv{len(widths)}'
            self.add_module('pool', _stem_pool(pool))
        self.tap_chs = widths[int(self.tap[4:]) - 1]
        self.out_chs = prev_chs


def _stem_pool(pool: str) -> nn.Module:
    pool = pool.lower()
    if pool == 'max2':
        return nn.MaxPool2d(2)
    if pool == 'avg2':
        return nn.AvgPool2d(2)
    if pool in ('max', 'maxpool'):
        return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
    if pool in ('avg', 'avgpool'):
        return nn.AvgPool2d(kernel_size=3, stride=2, padding=1, count_include_pad=False)
    raise ValueError(f"Unknown stem_pool {pool!r}; use 'maxpool', 'avgpool', 'max2', 'avg2' or ''.")


def create_byob_stem(
        in_chs: int,
        out_chs: Union[int, Sequence[int]],
        stem_type: str = '',
        pool_type: Optional[str] = '',
        layers: Optional[LayerFn] = None,
) -> Tuple[nn.Module, int]:
    """The stem for `stem_type`; returns (stem, reduction).

    '' / '3x3': one 3x3 stride-2 conv (or a `Stem` of 3x3 convs when `out_chs` is a sequence or a pool is set);
    '7x7': the ResNet 7x7 conv (+ pool); 'tiered': three 3x3 convs of 3/8, 1/2, 1x the width; 'deep': three equal
    3x3 convs (ResNet-D); 'quad' / 'quad2': four 3x3 convs of growing width (all / the last two with norm + act,
    NFNet-style); 'rep' / 'one': a RepVGG / MobileOne block with stride 2.
    """
    layers = layers or LayerFn()
    if stem_type in ('quad', 'quad2'):
        stem = Stem(in_chs, out_chs, num_rep=4, num_act=2 if stem_type == 'quad2' else None, pool=pool_type,
                    layers=layers)
    elif stem_type == 'tiered':
        stem = Stem(in_chs, (3 * out_chs // 8, out_chs // 2, out_chs), pool=pool_type, layers=layers)
    elif stem_type == 'deep':
        stem = Stem(in_chs, out_chs, num_rep=3, chs_decay=1.0, pool=pool_type, layers=layers)
    elif stem_type == 'rep':
        stem = RepVggBlock(in_chs, out_chs, stride=2, layers=layers)
    elif stem_type == 'one':
        stem = MobileOneBlock(in_chs, out_chs, kernel_size=3, stride=2, layers=layers)
    elif stem_type in ('7x7', '3x3', ''):
        kernel_size = 7 if stem_type == '7x7' else 3
        if pool_type or not isinstance(out_chs, int):
            stem = Stem(in_chs, out_chs, kernel_size, num_rep=1, pool=pool_type, layers=layers)
        else:
            stem = layers.conv_norm_act(in_chs, out_chs, kernel_size, stride=2)
    else:
        raise ValueError(f"Unknown stem_type {stem_type!r}; use '', '3x3', '7x7', 'tiered', 'deep', 'quad', 'quad2', "
                         f"'rep' or 'one'.")
    return stem, 4 if isinstance(stem, Stem) else 2


# ---- stages -------------------------------------------------------------------------------------------------------

def _expand_stage(stage: StageCfg) -> List[ByoBlockCfg]:
    cfgs = stage if isinstance(stage, (tuple, list)) else (stage,)
    return [replace(cfg, d=1) for cfg in cfgs for _ in range(cfg.d)]


def _drop_block_layers(drop_prob: float, block_size: int, num_stages: int) -> List[Optional[Callable[[], nn.Module]]]:
    """DropBlock in the last two stages only ("DropBlock", Ghiasi et al., 2018, arXiv:1810.12890, section 4.1), with
    the block size scaled up for the second-to-last stage's twice larger maps."""
    layers: List[Optional[Callable[[], nn.Module]]] = [None] * num_stages
    if drop_prob:
        layers[-2] = functools.partial(DropBlock2d, drop_prob=drop_prob, block_size=block_size * 2 - 1,
                                       gamma_scale=0.25)
        layers[-1] = functools.partial(DropBlock2d, drop_prob=drop_prob, block_size=block_size, gamma_scale=1.0)
    return layers


def create_byob_stages(
        cfg: ByoModelCfg,
        layers: LayerFn,
        in_chs: int,
        in_reduction: int,
        output_stride: int = 32,
        drop_path_rate: float = 0.,
        drop_block_rate: float = 0.,
        drop_block_size: int = 3,
        feat_size: Optional[Tuple[int, int]] = None,
) -> Tuple[List[nn.Sequential], List[Dict[str, int]], Optional[Tuple[int, int]]]:
    """Build the stages; returns (stages, one dict(num_chs, reduction, stride) per stage, final feat_size).

    `stride` is the configured stage stride (before `output_stride` turns it into dilation), which decides where a
    feature level ends. The stochastic-depth rates grow linearly over all blocks of the network.
    """
    stage_cfgs = [_expand_stage(stage) for stage in cfg.blocks]
    dpr = stagewise_drop_path_rates(drop_path_rate, [len(s) for s in stage_cfgs])
    drop_blocks = _drop_block_layers(drop_block_rate, drop_block_size, len(stage_cfgs))
    prev_chs, reduction, dilation = in_chs, in_reduction, 1
    stages, info = [], []
    for stage_idx, block_cfgs in enumerate(stage_cfgs):
        cfg_stride = stride = block_cfgs[0].s
        if reduction >= output_stride and stride > 1:
            dilation *= stride
            stride = 1
        reduction *= stride
        # the first block of a newly dilated stage still sees the previous resolution
        first_dilation = 1 if dilation in (1, 2) else 2
        blocks = []
        for block_idx, block_cfg in enumerate(block_cfgs):
            out_chs = make_divisible(block_cfg.c * cfg.width_factor)
            group_size = block_cfg.gs(out_chs, block_idx) if callable(block_cfg.gs) else block_cfg.gs
            block_layers, extra = _block_layers(block_cfg, cfg, layers)
            standard = dict(
                in_chs=prev_chs, out_chs=out_chs, stride=stride if block_idx == 0 else 1,
                dilation=(first_dilation, dilation), group_size=group_size, bottle_ratio=block_cfg.br,
                downsample=cfg.downsample, layers=block_layers, drop_block=drop_blocks[stage_idx],
                drop_path_rate=dpr[stage_idx][block_idx], feat_size=feat_size)
            block_fn = _resolve_block(block_cfg.type)
            accepted = _accepted_args(block_fn)
            if accepted is not None:
                standard = {k: v for k, v in standard.items() if k in accepted}
            blocks.append(block_fn(**standard, **extra))
            if block_idx == 0 and stride > 1 and feat_size is not None:
                feat_size = (feat_size[0] // stride, feat_size[1] // stride)
            first_dilation = dilation
            prev_chs = out_chs
        stages.append(nn.Sequential(*blocks))
        info.append(dict(num_chs=prev_chs, reduction=reduction, stride=cfg_stride))
    return stages, info, feat_size


# ---- model --------------------------------------------------------------------------------------------------------

def _overlay_cfg(cfg: ByoModelCfg, overrides: Dict[str, Any]) -> ByoModelCfg:
    names = {f.name for f in dataclasses.fields(ByoModelCfg)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(f'ByobNet got unexpected arguments {unknown}; it takes its own arguments or ByoModelCfg '
                        f'fields ({sorted(names)}).')
    return replace(cfg, **overrides)


class ByobNet(ZooModel):
    """Stem -> stages -> optional final 1x1 conv -> head, all from a `ByoModelCfg`.

    Feature levels follow the resolution: the stride-2 map inside the stem, then the end of every run of stages at
    one resolution (the last level includes the final conv).

    Args:
        cfg: the architecture.
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        global_pool: head pooling ('avg', 'max', ... for classifier / MLP heads; 'token' or '' for the attention
            pool); the head's default when None.
        output_stride: 32, 16 or 8; later stages dilate instead of striding.
        img_size: input size, needed by models with size-dependent layers (bottleneck attention, relative-position
            lambda layers, the attention-pool head) and otherwise unused.
        drop_rate: dropout before the classifier.
        drop_block_rate: DropBlock rate in the last two stages.
        drop_block_size: DropBlock size in the last stage (the stage before uses 2 * size - 1).
        drop_path_rate: stochastic depth rate of the last block.
        zero_init_last: zero-initialise the last norm of each residual branch.
        **kwargs: ByoModelCfg fields overriding `cfg`'s (e.g. act_layer='relu').
    """
    grad_checkpointing = checkpoint_flag('stages')
    groups = dict(
        stem=r'^stem',
        blocks=[(r'^stages\.(\d+)\.(\d+)', None), (r'^final_conv', (99999,))],
        coarse=[(r'^stages\.(\d+)', None), (r'^final_conv', (99999,))],
    )

    def __init__(
            self,
            cfg: ByoModelCfg,
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: Optional[str] = None,
            output_stride: int = 32,
            img_size: Optional[Union[int, Tuple[int, int]]] = None,
            drop_rate: float = 0.,
            drop_block_rate: float = 0.,
            drop_block_size: int = 3,
            drop_path_rate: float = 0.,
            zero_init_last: bool = True,
            **kwargs: Any,
    ):
        super().__init__()
        cfg = _overlay_cfg(cfg, kwargs) if kwargs else cfg
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        if cfg.fixed_input_size and img_size is None:
            raise ValueError('This ByobNet has input-size dependent layers; pass img_size=... .')
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        feat_size = to_2tuple(img_size) if img_size is not None else None

        layers = _layer_fns(cfg)
        if isinstance(cfg.stem_chs, (tuple, list)):
            stem_chs = [int(round(c * cfg.width_factor)) for c in cfg.stem_chs]
        else:
            first = cfg.blocks[0][0] if isinstance(cfg.blocks[0], (tuple, list)) else cfg.blocks[0]
            stem_chs = int(round((cfg.stem_chs or first.c) * cfg.width_factor))
        # anti-aliasing applies to the block convs only, the stem keeps its strided convs
        self.stem, stem_reduction = create_byob_stem(in_chans, stem_chs, cfg.stem_type, cfg.stem_pool,
                                                     _layer_fns(cfg, allow_aa=False))
        stem_out = stem_chs[-1] if isinstance(stem_chs, list) else stem_chs
        if feat_size is not None:
            feat_size = (feat_size[0] // stem_reduction, feat_size[1] // stem_reduction)
        stages, stage_info, feat_size = create_byob_stages(
            cfg, layers, stem_out, stem_reduction, output_stride=output_stride, drop_path_rate=drop_path_rate,
            drop_block_rate=drop_block_rate, drop_block_size=drop_block_size, feat_size=feat_size)
        self.stages = CheckpointSequential(*stages)
        prev_chs = stage_info[-1]['num_chs']
        if cfg.num_features:
            self.num_features = int(round(cfg.width_factor * cfg.num_features))
            self.final_conv = layers.conv_norm_act(prev_chs, self.num_features, 1)
        else:
            self.num_features = prev_chs
            self.final_conv = nn.Identity()
        self.trunk, self.feature_info = _feature_levels(self.stem, stem_out, stem_reduction, stage_info,
                                                        self.num_features)

        self.head, self.classifier_name = _create_head(cfg, self.num_features, num_classes, global_pool, drop_rate,
                                                       feat_size)
        self.head_hidden_size = getattr(self.head, 'num_features', self.num_features)
        _init_weights(self, zero_init_last)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.final_conv(self.stages(self.stem(x)))


def _feature_levels(stem: nn.Module, stem_chs: int, stem_reduction: int, stage_info: List[Dict[str, int]],
                    num_features: int) -> Tuple[Trunk, List[Dict[str, Any]]]:
    """Cut stem + stages + final conv into feature levels: after the stem's stride-2 map, and wherever the next stage
    changes the resolution; the last level ends with the final conv."""
    segments: List[List[str]] = [[]]
    info: List[Dict[str, Any]] = []

    def cut(num_chs: int, reduction: int, module: str) -> None:
        info.append(dict(num_chs=num_chs, reduction=reduction, module=module))
        segments.append([])

    if isinstance(stem, Stem):
        for name, _ in stem.named_children():
            segments[-1].append(f'stem.{name}')
            if name == stem.tap:
                cut(stem.tap_chs, 2, f'stem.{name}')
    else:
        segments[-1].append('stem')
    prev = dict(num_chs=stem_chs, reduction=stem_reduction, module=segments[-1][-1] if segments[-1] else 'stem')
    for i, stage in enumerate(stage_info):
        if stage['stride'] != 1 and segments[-1]:
            cut(prev['num_chs'], prev['reduction'], prev['module'])
        segments[-1].append(f'stages.{i}')
        prev = dict(num_chs=stage['num_chs'], reduction=stage['reduction'], module=f'stages.{i}')
    segments[-1].append('final_conv')
    cut(num_features, prev['reduction'], 'final_conv')
    return Trunk(levels=tuple(tuple(s) for s in segments[:-1])), info


def _create_head(cfg: ByoModelCfg, num_features: int, num_classes: int, global_pool: Optional[str], drop_rate: float,
                 feat_size: Optional[Tuple[int, int]]) -> Tuple[nn.Module, str]:
    """(head module, dotted name of its classifier)."""
    if cfg.head_type == 'attn_abs':
        if feat_size is None:
            raise ValueError('The attention-pool head is sized for the input; pass img_size=... .')
        pool_type = 'token' if global_pool is None else global_pool
        head = AttentionPool2d(num_features, feat_size=feat_size, out_features=num_classes,
                               embed_dim=cfg.head_hidden_size, pool_type=pool_type, drop_rate=drop_rate)
        return head, 'head.proj'
    if cfg.head_type == 'mlp':
        head = NormMlpClassifierHead(num_features, num_classes, hidden_size=cfg.head_hidden_size,
                                     pool_type='avg' if global_pool is None else global_pool, drop_rate=drop_rate,
                                     norm_layer=get_norm_layer(cfg.norm_layer), act_layer=cfg.act_layer)
        return head, 'head.fc'
    if cfg.head_type in ('classifier', ''):
        if cfg.head_hidden_size:
            raise ValueError('head_hidden_size needs head_type="mlp" or "attn_abs".')
        return ClassifierHead(num_features, num_classes, pool_type='avg' if global_pool is None else global_pool,
                              drop_rate=drop_rate), 'head.fc'
    raise ValueError(f"Unknown head_type {cfg.head_type!r}; use 'classifier', 'mlp' or 'attn_abs'.")


def _init_weights(model: nn.Module, zero_init_last: bool) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            # He init with the fan-out a grouped conv really has (out_channels / groups per input channel)
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
            nn.init.normal_(m.weight, 0., math.sqrt(2.0 / fan_out))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0., 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    # blocks and attention layers with their own schemes come last, so they override the generic one
    for m in model.modules():
        if isinstance(m, (_ResidualBlock, _RepBlock)):
            m.init_weights(zero_init_last=zero_init_last)
        elif isinstance(m, AttentionPool2d):
            m.init_weights()


# ---- weights ------------------------------------------------------------------------------------------------------

_OPENAI_CLIP_KEYS = [
    (r'^visual\.conv(\d)\.', r'stem.conv\1.conv.'),
    (r'^visual\.bn(\d)\.', r'stem.conv\1.bn.'),
    (r'^visual\.layer(\d)\.(\d+)\.downsample\.0\.', lambda m: f'stages.{int(m[1]) - 1}.{m[2]}.shortcut.conv.conv.'),
    (r'^visual\.layer(\d)\.(\d+)\.downsample\.1\.', lambda m: f'stages.{int(m[1]) - 1}.{m[2]}.shortcut.conv.bn.'),
    (r'^visual\.layer(\d)\.(\d+)\.(conv|bn)(\d)\.',
     lambda m: f'stages.{int(m[1]) - 1}.{m[2]}.{("conv1_1x1", "conv2_kxk", "conv3_1x1")[int(m[4]) - 1]}.'
               f'{"conv" if m[3] == "conv" else "bn"}.'),
    (r'^visual\.attnpool\.positional_embedding$', 'head.pos_embed'),
    (r'^visual\.attnpool\.(q|k|v|c)_proj\.', lambda m: 'head.proj.' if m[1] == 'c' else f'head.{m[1]}.'),
]


def _convert_openai_clip(state_dict: Dict[str, torch.Tensor], model: ByobNet) -> Dict[str, torch.Tensor]:
    """OpenAI CLIP `ModifiedResNet` image tower (keys `visual.*`) -> ByobNet keys; the text tower is dropped."""
    has_attn_pool = isinstance(model.head, AttentionPool2d)
    out = {}
    for key, value in state_dict.items():
        if not key.startswith('visual.') or (key.startswith('visual.attnpool.') and not has_attn_pool):
            continue
        for pattern, repl in _OPENAI_CLIP_KEYS:
            key, n = re.subn(pattern, repl, key)
            if n:
                break
        out[key] = value
    return out


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: ByobNet) -> Dict[str, torch.Tensor]:
    """Accept OpenAI CLIP ResNet checkpoints, and resample an attention-pool position embedding learned for another
    input size (the same bicubic resampling the head applies at run time)."""
    if 'visual.conv1.weight' in state_dict:
        state_dict = _convert_openai_clip(state_dict, model)
    pos_embed = state_dict.get('head.pos_embed')
    if pos_embed is not None and isinstance(model.head, AttentionPool2d) and \
            pos_embed.shape != model.head.pos_embed.shape:
        state_dict = dict(state_dict)
        state_dict['head.pos_embed'] = resample_abs_pos_embed(
            pos_embed.unsqueeze(0), model.head.feat_size, num_prefix_tokens=1, verbose=True)[0]
    return state_dict


def _create_byobnet(variant: str, pretrained: bool = False, model_cfg: Optional[ByoModelCfg] = None,
                    **kwargs: Any) -> ByobNet:
    """Build a registered ByobNet; `model_cfg` defaults to this module's table entry for `variant`."""
    return build_model_with_cfg(
        ByobNet, variant, pretrained, model_cfg=model_cfg or model_cfgs[variant],
        pretrained_filter_fn=checkpoint_filter_fn, feature_cfg=dict(flatten_sequential=True), **kwargs)


# ---- architectures ------------------------------------------------------------------------------------------------

def _stages(
        block_type: str,
        depths: Sequence[int],
        chs: Sequence[int],
        strides: Sequence[int] = (1, 2, 2, 2),
        gs: Union[GroupSize, Sequence[GroupSize]] = 0,
        br: Union[float, Sequence[float]] = 0.25,
) -> Tuple[ByoBlockCfg, ...]:
    """One block config per stage; `gs` / `br` may be per stage."""
    n = len(depths)
    gs = tuple(gs) if isinstance(gs, (tuple, list)) else (gs,) * n
    return tuple(ByoBlockCfg(block_type, d=d, c=c, s=s, gs=g, br=r)
                 for d, c, s, g, r in zip(depths, chs, strides, gs, to_ntuple(n)(br)))


def _every_other_grouped(groups: int) -> Callable[[int, int], int]:
    """RepVGG-gN: every second block of a stage (the 2nd, 4th, ...) uses `groups` groups, the others are dense."""
    def group_size(out_chs: int, block_idx: int) -> int:
        return out_chs // groups if block_idx % 2 == 1 else 0
    return group_size


def _repvgg(depths: Sequence[int] = (4, 6, 16, 1), widths: Sequence[float] = (1., 1., 1., 1.), groups: int = 0,
            stem_chs: int = 64, **kwargs: Any) -> ByoModelCfg:
    gs = _every_other_grouped(groups) if groups else 0
    blocks = tuple(ByoBlockCfg('rep', d=d, c=int(round(c * w)), gs=gs)
                   for d, c, w in zip(depths, (64, 128, 256, 512), widths))
    return ByoModelCfg(blocks=blocks, stem_type='rep', stem_chs=stem_chs, **kwargs)


def _mobileone(widths: Sequence[float], se_blocks: Sequence[int] = (0, 0, 0, 0), num_conv_branches: int = 1,
               stem_chs: int = 64) -> ByoModelCfg:
    """Each MobileOne "block" is a depthwise 3x3 'one' block followed by a pointwise 1x1 'one' block; SE on the last
    `se_blocks[i]` of stage i."""
    stages = []
    prev_chs = min(64, int(round(64 * widths[0])))
    for depth, chs, width, num_se in zip((2, 8, 10, 1), (64, 128, 256, 512), widths, se_blocks):
        out_chs = int(round(chs * width))
        blocks = []
        for i in range(depth):
            attn = dict(attn_layer='se') if i >= depth - num_se else {}
            blocks += [
                ByoBlockCfg('one', d=1, c=prev_chs, gs=1, block_kwargs=dict(num_conv_branches=num_conv_branches),
                            **attn),
                ByoBlockCfg('one', d=1, c=out_chs, gs=0,
                            block_kwargs=dict(kernel_size=1, num_conv_branches=num_conv_branches), **attn),
            ]
            prev_chs = out_chs
        stages.append(tuple(blocks))
    return ByoModelCfg(blocks=tuple(stages), stem_type='one', stem_chs=stem_chs)


def _regnetz(depths: Sequence[int], chs: Sequence[int], group_size: int, bottle_ratio: float, stem_chs: int,
             num_features: int, strides: Sequence[int] = (1, 2, 2, 2), stem_type: str = 'tiered',
             **kwargs: Any) -> ByoModelCfg:
    """timm's RegNetZ sizing: inverted grouped bottlenecks (widths from the block input), SE at 1/4 of the bottleneck,
    no shortcut projections, linear block outputs, SiLU."""
    return ByoModelCfg(
        blocks=_stages('bottle', depths, chs, strides, gs=group_size, br=bottle_ratio), stem_chs=stem_chs,
        stem_type=stem_type, stem_pool='', downsample='', num_features=num_features, act_layer='silu',
        attn_layer='se', attn_kwargs=dict(rd_ratio=0.25), block_kwargs=dict(bottle_in=True, linear_out=True),
        **kwargs)


def _clip(depths: Sequence[int], width_factor: float = 1.0, head_type: str = 'attn_abs', **kwargs: Any) -> ByoModelCfg:
    """OpenAI CLIP's modified ResNet: 3-conv stem + 2x2 avg pool, avg-pool strides and shortcuts, attention pool."""
    return ByoModelCfg(
        blocks=_stages('bottle', depths, (256, 512, 1024, 2048)), width_factor=width_factor, stem_chs=(32, 32, 64),
        stem_type='', stem_pool='avg2', downsample='avg', aa_layer='avg', head_type=head_type, **kwargs)


_EVONORM16 = functools.partial(EvoNorm2dS0a, group_size=16)
_RESNEXT26 = _stages('bottle', (2, 2, 2, 2), (256, 512, 1024, 2048), gs=32)
_RESNEXT50 = _stages('bottle', (3, 4, 6, 3), (256, 512, 1024, 2048), gs=32)
_RESNET33 = _stages('bottle', (2, 3, 3, 2), (256, 512, 1536, 1536))
# timm's "t" / "ts" ResNets: tiered 3-conv stem (no max pool with 33 / 50t), SiLU for "ts"
_TIERED_POOL = dict(stem_chs=64, stem_type='tiered', stem_pool='maxpool', act_layer='silu')
_TIERED = dict(stem_chs=64, stem_type='tiered', stem_pool='', act_layer='silu')
_GERNET_STEM = dict(stem_chs=32, stem_pool=None, num_features=2560)

model_cfgs: Dict[str, ByoModelCfg] = dict(
    gernet_l=ByoModelCfg(blocks=(
        ByoBlockCfg('basic', d=1, c=128, s=2, gs=0, br=1.),
        ByoBlockCfg('basic', d=2, c=192, s=2, gs=0, br=1.),
        ByoBlockCfg('bottle', d=6, c=640, s=2, gs=0, br=1 / 4),
        ByoBlockCfg('bottle', d=5, c=640, s=2, gs=1, br=3.),
        ByoBlockCfg('bottle', d=4, c=640, s=1, gs=1, br=3.),
    ), **_GERNET_STEM),
    gernet_m=ByoModelCfg(blocks=(
        ByoBlockCfg('basic', d=1, c=128, s=2, gs=0, br=1.),
        ByoBlockCfg('basic', d=2, c=192, s=2, gs=0, br=1.),
        ByoBlockCfg('bottle', d=6, c=640, s=2, gs=0, br=1 / 4),
        ByoBlockCfg('bottle', d=4, c=640, s=2, gs=1, br=3.),
        ByoBlockCfg('bottle', d=1, c=640, s=1, gs=1, br=3.),
    ), **_GERNET_STEM),
    gernet_s=ByoModelCfg(blocks=(
        ByoBlockCfg('basic', d=1, c=48, s=2, gs=0, br=1.),
        ByoBlockCfg('basic', d=3, c=48, s=2, gs=0, br=1.),
        ByoBlockCfg('bottle', d=7, c=384, s=2, gs=0, br=1 / 4),
        ByoBlockCfg('bottle', d=2, c=560, s=2, gs=1, br=3.),
        ByoBlockCfg('bottle', d=1, c=256, s=1, gs=1, br=3.),
    ), stem_chs=13, stem_pool=None, num_features=1920),

    repvgg_a0=_repvgg((2, 4, 14, 1), (0.75, 0.75, 0.75, 2.5), stem_chs=48),
    repvgg_a1=_repvgg((2, 4, 14, 1), (1, 1, 1, 2.5)),
    repvgg_a2=_repvgg((2, 4, 14, 1), (1.5, 1.5, 1.5, 2.75)),
    repvgg_b0=_repvgg(widths=(1., 1., 1., 2.5)),
    repvgg_b1=_repvgg(widths=(2., 2., 2., 4.)),
    repvgg_b1g4=_repvgg(widths=(2., 2., 2., 4.), groups=4),
    repvgg_b2=_repvgg(widths=(2.5, 2.5, 2.5, 5.)),
    repvgg_b2g4=_repvgg(widths=(2.5, 2.5, 2.5, 5.), groups=4),
    repvgg_b3=_repvgg(widths=(3., 3., 3., 5.)),
    repvgg_b3g4=_repvgg(widths=(3., 3., 3., 5.), groups=4),
    repvgg_d2se=_repvgg((8, 14, 24, 1), (2.5, 2.5, 2.5, 5.), attn_layer='se',
                        attn_kwargs=dict(rd_ratio=0.0625, rd_divisor=1)),

    # NFNet-like 4-conv stems, grouped bottlenecks with depthwise convs in the last stage, 2048-wide final conv
    resnet51q=ByoModelCfg(
        blocks=_stages('bottle', (2, 4, 6, 4), (256, 512, 1536, 1536), gs=(32, 32, 32, 1), br=(.25, .25, .25, 1.)),
        stem_chs=128, stem_type='quad2', stem_pool=None, num_features=2048, act_layer='silu'),
    resnet61q=ByoModelCfg(
        blocks=(ByoBlockCfg('edge', d=1, c=256, s=1, gs=0, br=1.0, block_kwargs=dict()),) + _stages(
            'bottle', (4, 6, 4), (512, 1536, 1536), (2, 2, 2), gs=(32, 32, 1), br=(.25, .25, 1.)),
        stem_chs=128, stem_type='quad', stem_pool=None, num_features=2048, act_layer='silu',
        block_kwargs=dict(extra_conv=True)),

    resnext26ts=ByoModelCfg(blocks=_RESNEXT26, **_TIERED_POOL),
    gcresnext26ts=ByoModelCfg(blocks=_RESNEXT26, attn_layer='gca', **_TIERED_POOL),
    seresnext26ts=ByoModelCfg(blocks=_RESNEXT26, attn_layer='se', **_TIERED_POOL),
    eca_resnext26ts=ByoModelCfg(blocks=_RESNEXT26, attn_layer='eca', **_TIERED_POOL),
    bat_resnext26ts=ByoModelCfg(blocks=_RESNEXT26, attn_layer='bat', attn_kwargs=dict(block_size=8), **_TIERED_POOL),

    resnet32ts=ByoModelCfg(blocks=_RESNET33, **_TIERED),
    resnet33ts=ByoModelCfg(blocks=_RESNET33, num_features=1280, **_TIERED),
    gcresnet33ts=ByoModelCfg(blocks=_RESNET33, num_features=1280, attn_layer='gca', **_TIERED),
    seresnet33ts=ByoModelCfg(blocks=_RESNET33, num_features=1280, attn_layer='se', **_TIERED),
    eca_resnet33ts=ByoModelCfg(blocks=_RESNET33, num_features=1280, attn_layer='eca', **_TIERED),
    gcresnet50t=ByoModelCfg(blocks=_stages('bottle', (3, 4, 6, 3), (256, 512, 1024, 2048)), attn_layer='gca',
                            **dict(_TIERED, act_layer='relu')),
    gcresnext50ts=ByoModelCfg(blocks=_RESNEXT50, attn_layer='gca', **_TIERED_POOL),

    regnetz_b16=_regnetz((2, 6, 12, 2), (48, 96, 192, 288), 16, 3, 32, 1536, strides=(2, 2, 2, 2), stem_type='3x3'),
    regnetz_c16=_regnetz((2, 6, 12, 2), (48, 96, 192, 288), 16, 4, 32, 1536, strides=(2, 2, 2, 2), stem_type='3x3'),
    regnetz_d32=_regnetz((3, 6, 12, 3), (64, 128, 256, 384), 32, 4, 64, 1792),
    regnetz_d8=_regnetz((3, 6, 12, 3), (64, 128, 256, 384), 8, 4, 64, 1792),
    regnetz_e8=_regnetz((3, 8, 16, 3), (96, 192, 384, 512), 8, 4, 64, 2048),
    regnetz_b16_evos=_regnetz((2, 6, 12, 2), (48, 96, 192, 288), 16, 3, 32, 1536, strides=(2, 2, 2, 2),
                              stem_type='3x3', norm_layer=_EVONORM16),
    regnetz_c16_evos=_regnetz((2, 6, 12, 2), (48, 96, 192, 288), 16, 4, 32, 1536, strides=(2, 2, 2, 2),
                              stem_type='3x3', norm_layer=_EVONORM16),
    regnetz_d8_evos=_regnetz((3, 6, 12, 3), (64, 128, 256, 384), 8, 4, 64, 1792, stem_type='deep',
                             norm_layer=_EVONORM16),

    mobileone_s0=_mobileone((0.75, 1.0, 1.0, 2.), num_conv_branches=4, stem_chs=48),
    mobileone_s1=_mobileone((1.5, 1.5, 2.0, 2.5)),
    mobileone_s2=_mobileone((1.5, 2.0, 2.5, 4.0)),
    mobileone_s3=_mobileone((2.0, 2.5, 3.0, 4.0)),
    mobileone_s4=_mobileone((3.0, 3.5, 3.5, 4.0), se_blocks=(0, 0, 5, 1)),

    resnet50_clip=_clip((3, 4, 6, 3)),
    resnet101_clip=_clip((3, 4, 23, 3)),
    resnet50x4_clip=_clip((4, 6, 10, 6), width_factor=1.25),
    resnet50x16_clip=_clip((6, 8, 18, 8), width_factor=1.5),
    resnet50x64_clip=_clip((3, 15, 36, 10), width_factor=2.0),
    resnet50_mlp=_clip((3, 4, 6, 3), head_type='mlp', head_hidden_size=1024),

    test_byobnet=ByoModelCfg(
        blocks=(
            ByoBlockCfg('edge', d=1, c=32, s=2, gs=0, br=0.5),
            ByoBlockCfg('dark', d=1, c=64, s=2, gs=0, br=0.5),
            ByoBlockCfg('basic', d=1, c=128, s=2, gs=32, br=0.25),
            ByoBlockCfg('bottle', d=1, c=256, s=2, gs=64, br=0.25),
        ),
        stem_chs=24, downsample='avg', stem_pool='', act_layer='relu', attn_layer='se',
        attn_kwargs=dict(rd_ratio=0.25)),
)
for _name in ('resnet50_clip', 'resnet101_clip', 'resnet50x4_clip', 'resnet50x16_clip', 'resnet50x64_clip'):
    # the same towers with global average pooling instead of the attention pool
    model_cfgs[_name + '_gap'] = replace(model_cfgs[_name], head_type='classifier')


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', pool_size=(7, 7), interpolation='bilinear', first_conv='stem.conv',
               classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


def _cfgr(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 256, 256), pool_size=(8, 8), crop_pct=0.9,
               first_conv='stem.conv1.conv', classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_REPVGG = dict(first_conv=('stem.conv_kxk.conv', 'stem.conv_1x1.conv'), license='mit')
_MOBILEONE = dict(first_conv=('stem.conv_kxk.0.conv', 'stem.conv_scale.conv'), license='mobileone-license')
_T288 = dict(test_input_size=(3, 288, 288), test_crop_pct=1.0)
_T320 = dict(test_input_size=(3, 320, 320), test_crop_pct=1.0)
_R224 = dict(input_size=(3, 224, 224), pool_size=(7, 7))
_HALF = dict(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
_CLIP = dict(mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit')
_CLIP_ATTN = dict(_CLIP, fixed_input_size=True, classifier='head.proj')
_CLIP_GAP = dict(_CLIP, num_classes=0)
_R288 = dict(input_size=(3, 288, 288), pool_size=(9, 9))
_R384 = dict(input_size=(3, 384, 384), pool_size=(12, 12))
_R448 = dict(input_size=(3, 448, 448), pool_size=(14, 14))

# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>; the first tag of an
# architecture is its default.
default_cfgs = generate_default_cfgs({
    'gernet_s.idstcv_in1k': _cfg(),
    'gernet_m.idstcv_in1k': _cfg(),
    'gernet_l.idstcv_in1k': _cfg(input_size=(3, 256, 256), pool_size=(8, 8)),

    'repvgg_a0.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_a1.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_a2.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_b0.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_b1.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_b1g4.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_b2.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_b2g4.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_b3.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_b3g4.rvgg_in1k': _cfg(**_REPVGG),
    'repvgg_d2se.rvgg_in1k': _cfg(input_size=(3, 320, 320), pool_size=(10, 10), crop_pct=1.0, **_REPVGG),

    'resnet51q.ra2_in1k': _cfg(first_conv='stem.conv1', input_size=(3, 256, 256), pool_size=(8, 8), **_T288),
    'resnet61q.ra2_in1k': _cfgr(**_T288),

    'resnext26ts.ra2_in1k': _cfgr(**_T288),
    'seresnext26ts.ch_in1k': _cfgr(**_T288),
    'gcresnext26ts.ch_in1k': _cfgr(**_T288),
    'eca_resnext26ts.ch_in1k': _cfgr(**_T288),
    'bat_resnext26ts.ch_in1k': _cfgr(min_input_size=(3, 256, 256)),

    'resnet32ts.ra2_in1k': _cfgr(**_T288),
    'resnet33ts.ra2_in1k': _cfgr(**_T288),
    'gcresnet33ts.ra2_in1k': _cfgr(**_T288),
    'seresnet33ts.ra2_in1k': _cfgr(**_T288),
    'eca_resnet33ts.ra2_in1k': _cfgr(**_T288),
    'gcresnet50t.ra2_in1k': _cfgr(**_T288),
    'gcresnext50ts.ch_in1k': _cfgr(**_T288),

    'regnetz_b16.ra3_in1k': _cfgr(first_conv='stem.conv', crop_pct=0.94, test_input_size=(3, 288, 288),
                                  test_crop_pct=1.0, **_R224, **_HALF),
    'regnetz_c16.ra3_in1k': _cfgr(first_conv='stem.conv', crop_pct=0.94, **_T320, **_HALF),
    'regnetz_d32.ra3_in1k': _cfgr(crop_pct=0.95, test_input_size=(3, 320, 320), **_HALF),
    'regnetz_d8.ra3_in1k': _cfgr(crop_pct=0.94, **_T320, **_HALF),
    'regnetz_e8.ra3_in1k': _cfgr(crop_pct=0.94, **_T320, **_HALF),
    'regnetz_b16_evos.untrained': _cfgr(hf_hub_id=None, first_conv='stem.conv', crop_pct=0.95,
                                        test_input_size=(3, 288, 288), **_R224, **_HALF),
    'regnetz_c16_evos.ch_in1k': _cfgr(first_conv='stem.conv', crop_pct=0.95, test_input_size=(3, 320, 320), **_HALF),
    'regnetz_d8_evos.ch_in1k': _cfgr(crop_pct=0.95, **_T320, **_HALF),

    'mobileone_s0.apple_in1k': _cfg(**_MOBILEONE),
    'mobileone_s1.apple_in1k': _cfg(crop_pct=0.9, **_MOBILEONE),
    'mobileone_s2.apple_in1k': _cfg(crop_pct=0.9, **_MOBILEONE),
    'mobileone_s3.apple_in1k': _cfg(crop_pct=0.9, **_MOBILEONE),
    'mobileone_s4.apple_in1k': _cfg(crop_pct=0.9, **_MOBILEONE),

    'resnet50_clip.openai': _cfgr(num_classes=1024, **_R224, **_CLIP_ATTN),
    'resnet101_clip.openai': _cfgr(num_classes=512, **_R224, **_CLIP_ATTN),
    'resnet50x4_clip.openai': _cfgr(num_classes=640, **_R288, **_CLIP_ATTN),
    'resnet50x16_clip.openai': _cfgr(num_classes=768, **_R384, **_CLIP_ATTN),
    'resnet50x64_clip.openai': _cfgr(num_classes=1024, **_R448, **_CLIP_ATTN),
    'resnet50_clip.cc12m': _cfgr(num_classes=1024, **_R224, **_CLIP_ATTN),
    'resnet50_clip.yfcc15m': _cfgr(num_classes=1024, **_R224, **_CLIP_ATTN),
    'resnet101_clip.yfcc15m': _cfgr(num_classes=512, **_R224, **_CLIP_ATTN),

    'resnet50_clip_gap.openai': _cfgr(**_R224, **_CLIP_GAP),
    'resnet101_clip_gap.openai': _cfgr(**_R224, **_CLIP_GAP),
    'resnet50x4_clip_gap.openai': _cfgr(**_R288, **_CLIP_GAP),
    'resnet50x16_clip_gap.openai': _cfgr(**_R384, **_CLIP_GAP),
    'resnet50x64_clip_gap.openai': _cfgr(**_R448, **_CLIP_GAP),
    'resnet50_clip_gap.cc12m': _cfgr(**_R224, **_CLIP_GAP),
    'resnet50_clip_gap.yfcc15m': _cfgr(**_R224, **_CLIP_GAP),
    'resnet101_clip_gap.yfcc15m': _cfgr(**_R224, **_CLIP_GAP),

    'resnet50_mlp.untrained': _cfgr(hf_hub_id=None),

    'test_byobnet.r160_in1k': _cfgr(first_conv='stem.conv', input_size=(3, 160, 160), crop_pct=0.95,
                                    pool_size=(5, 5)),
})


def _byobnet(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> ByobNet:
    return _create_byobnet(variant, pretrained, **kwargs)


@register_model
def gernet_l(pretrained: bool = False, **kwargs) -> ByobNet:
    """GENet-Large ("GPU-efficient" ResNet)."""
    return _byobnet('gernet_l', pretrained, kwargs)


@register_model
def gernet_m(pretrained: bool = False, **kwargs) -> ByobNet:
    """GENet-Normal."""
    return _byobnet('gernet_m', pretrained, kwargs)


@register_model
def gernet_s(pretrained: bool = False, **kwargs) -> ByobNet:
    """GENet-Small."""
    return _byobnet('gernet_s', pretrained, kwargs)


@register_model
def repvgg_a0(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_a0', pretrained, kwargs)


@register_model
def repvgg_a1(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_a1', pretrained, kwargs)


@register_model
def repvgg_a2(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_a2', pretrained, kwargs)


@register_model
def repvgg_b0(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_b0', pretrained, kwargs)


@register_model
def repvgg_b1(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_b1', pretrained, kwargs)


@register_model
def repvgg_b1g4(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_b1g4', pretrained, kwargs)


@register_model
def repvgg_b2(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_b2', pretrained, kwargs)


@register_model
def repvgg_b2g4(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_b2g4', pretrained, kwargs)


@register_model
def repvgg_b3(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_b3', pretrained, kwargs)


@register_model
def repvgg_b3g4(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('repvgg_b3g4', pretrained, kwargs)


@register_model
def repvgg_d2se(pretrained: bool = False, **kwargs) -> ByobNet:
    """RepVGG-D2 with SE in every block (320 px weights)."""
    return _byobnet('repvgg_d2se', pretrained, kwargs)


@register_model
def resnet51q(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('resnet51q', pretrained, kwargs)


@register_model
def resnet61q(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('resnet61q', pretrained, kwargs)


@register_model
def resnext26ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('resnext26ts', pretrained, kwargs)


@register_model
def gcresnext26ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('gcresnext26ts', pretrained, kwargs)


@register_model
def seresnext26ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('seresnext26ts', pretrained, kwargs)


@register_model
def eca_resnext26ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('eca_resnext26ts', pretrained, kwargs)


@register_model
def bat_resnext26ts(pretrained: bool = False, **kwargs) -> ByobNet:
    """ResNeXt-26-TS with BAT attention (feature maps must be multiples of 8: 256 px inputs)."""
    return _byobnet('bat_resnext26ts', pretrained, kwargs)


@register_model
def resnet32ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('resnet32ts', pretrained, kwargs)


@register_model
def resnet33ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('resnet33ts', pretrained, kwargs)


@register_model
def gcresnet33ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('gcresnet33ts', pretrained, kwargs)


@register_model
def seresnet33ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('seresnet33ts', pretrained, kwargs)


@register_model
def eca_resnet33ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('eca_resnet33ts', pretrained, kwargs)


@register_model
def gcresnet50t(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('gcresnet50t', pretrained, kwargs)


@register_model
def gcresnext50ts(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('gcresnext50ts', pretrained, kwargs)


@register_model
def regnetz_b16(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('regnetz_b16', pretrained, kwargs)


@register_model
def regnetz_c16(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('regnetz_c16', pretrained, kwargs)


@register_model
def regnetz_d32(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('regnetz_d32', pretrained, kwargs)


@register_model
def regnetz_d8(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('regnetz_d8', pretrained, kwargs)


@register_model
def regnetz_e8(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('regnetz_e8', pretrained, kwargs)


@register_model
def regnetz_b16_evos(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('regnetz_b16_evos', pretrained, kwargs)


@register_model
def regnetz_c16_evos(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('regnetz_c16_evos', pretrained, kwargs)


@register_model
def regnetz_d8_evos(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('regnetz_d8_evos', pretrained, kwargs)


@register_model
def mobileone_s0(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('mobileone_s0', pretrained, kwargs)


@register_model
def mobileone_s1(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('mobileone_s1', pretrained, kwargs)


@register_model
def mobileone_s2(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('mobileone_s2', pretrained, kwargs)


@register_model
def mobileone_s3(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('mobileone_s3', pretrained, kwargs)


@register_model
def mobileone_s4(pretrained: bool = False, **kwargs) -> ByobNet:
    return _byobnet('mobileone_s4', pretrained, kwargs)


@register_model
def resnet50_clip(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-50 image tower (attention-pool head)."""
    return _byobnet('resnet50_clip', pretrained, kwargs)


@register_model
def resnet101_clip(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-101 image tower (attention-pool head)."""
    return _byobnet('resnet101_clip', pretrained, kwargs)


@register_model
def resnet50x4_clip(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-50x4 image tower (attention-pool head)."""
    return _byobnet('resnet50x4_clip', pretrained, kwargs)


@register_model
def resnet50x16_clip(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-50x16 image tower (attention-pool head)."""
    return _byobnet('resnet50x16_clip', pretrained, kwargs)


@register_model
def resnet50x64_clip(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-50x64 image tower (attention-pool head)."""
    return _byobnet('resnet50x64_clip', pretrained, kwargs)


@register_model
def resnet50_clip_gap(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-50 image tower with global average pooling."""
    return _byobnet('resnet50_clip_gap', pretrained, kwargs)


@register_model
def resnet101_clip_gap(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-101 image tower with global average pooling."""
    return _byobnet('resnet101_clip_gap', pretrained, kwargs)


@register_model
def resnet50x4_clip_gap(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-50x4 image tower with global average pooling."""
    return _byobnet('resnet50x4_clip_gap', pretrained, kwargs)


@register_model
def resnet50x16_clip_gap(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-50x16 image tower with global average pooling."""
    return _byobnet('resnet50x16_clip_gap', pretrained, kwargs)


@register_model
def resnet50x64_clip_gap(pretrained: bool = False, **kwargs) -> ByobNet:
    """OpenAI CLIP ResNet-50x64 image tower with global average pooling."""
    return _byobnet('resnet50x64_clip_gap', pretrained, kwargs)


@register_model
def resnet50_mlp(pretrained: bool = False, **kwargs) -> ByobNet:
    """The CLIP ResNet-50 layout with a BatchNorm + hidden-layer MLP head."""
    return _byobnet('resnet50_mlp', pretrained, kwargs)


@register_model
def test_byobnet(pretrained: bool = False, **kwargs) -> ByobNet:
    """A tiny model with one block of each residual type, for tests."""
    return _byobnet('test_byobnet', pretrained, kwargs)
