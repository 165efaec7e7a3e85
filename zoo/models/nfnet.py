"""Normalizer-Free networks: NF-ResNet, NF-RegNet and NFNet.

Papers:
- "Characterizing signal propagation to close the performance gap in unnormalized ResNets", Brock et al., 2021
  (arXiv:2101.08692): NF-ResNets. Residual blocks `x + alpha * f(x / beta)` with no normalisation layers; `beta` is
  the analytically tracked standard deviation of the block input (reset to 1 at each stage's first block, whose
  shortcut is a projection), and every conv is a scaled weight-standardised conv (`zoo.layers.std_conv`) whose
  scale includes the preceding activation's variance-correction constant `gamma`.
- "High-Performance Large-Scale Image Recognition Without Normalization", Brock et al., 2021 (arXiv:2102.06171):
  NFNet-F0..F7: grouped 3x3 convs (group width 128) with an extra 3x3 per block, SE attention scaled by 2, a
  four-conv stem and a final 1x1 conv of twice the last stage width.

Variants and deviations (all matching the published timm / DeepMind weights):
- `dm_nfnet_*` follow DeepMind's JAX release: `gamma` is applied in the activations, convs use TF 'SAME' padding, and
  each residual branch has a learnable scalar gain that starts at zero ("SkipInit", De & Smith, 2020).
  The other models fold `gamma` into the conv weight scale (numerically slightly different, same function) and
  instead start the last conv of each branch with a zero gain.
- `nfnet_l*` / `eca_nfnet_l*` are lighter NFNets (bottleneck ratio 0.25, group width 64, SiLU, final width 1.5-2x).
- `nf_regnet_b*` are the RegNet-style NF nets of the first paper's appendix (EfficientNet-like widths, SE between the
  3x3 and the last conv, bottleneck width from the block input); channels are rounded to multiples of 8.
- `nf_resnet*`: pre-activation ResNet-50-style bottlenecks with a 7x7 + max-pool stem and average-pool shortcuts.
"""
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from zoo.layers import ClassifierHead, DropPath, get_act_layer, get_attn, make_divisible, stagewise_drop_path_rates
from zoo.layers.std_conv import ScaledStdConv2d, ScaledStdConv2dSame
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['NormFreeNet', 'NfCfg', 'NormFreeBlock']


@dataclass(frozen=True)
class NfCfg:
    """Architecture of one normalizer-free network (keyword arguments of `create_model` override fields).

    Args:
        depths: blocks per stage.
        channels: output channels per stage (before `width_factor`).
        alpha: residual branch scale.
        stem_type: '3x3' / '7x7' (one strided conv), optionally with '_pool' (a following max-pool); 'deep',
            'deep_tiered' (three 3x3 convs) or 'deep_quad' (four 3x3 convs, stride 4, the NFNet stem).
        stem_chs: stem output channels (default: the first stage's).
        group_size: channels per group of the 3x3 convs (None: ungrouped).
        attn_layer: channel attention ('se', 'eca') or None.
        attn_kwargs: arguments of the attention layer.
        attn_gain: output scale of the attention, restoring the variance its sigmoid gate halves on average.
        width_factor: multiplier of all widths.
        bottle_ratio: bottleneck width relative to the block output (or input for `reg`).
        num_features: width of a final 1x1 conv (0: none).
        ch_div: channel rounding divisor.
        reg: RegNet-style block (bottleneck width from the input, attention after the 3x3).
        extra_conv: a second 3x3 conv in each block (NFNet).
        gamma_in_act: apply the activation constants in the activations instead of the conv weight scale.
        same_padding: TF 'SAME' padding in every conv.
        std_conv_eps: eps of the weight standardisation.
        skipinit: a learnable scalar gain (initially 0) on each residual branch.
        zero_init_fc: initialise the classifier at zero.
        act_layer: activation name; it must have a constant in the gamma table.
    """
    depths: Tuple[int, ...]
    channels: Tuple[int, ...]
    alpha: float = 0.2
    stem_type: str = '3x3'
    stem_chs: Optional[int] = None
    group_size: Optional[int] = None
    attn_layer: Optional[str] = None
    attn_kwargs: Optional[Dict[str, Any]] = None
    attn_gain: float = 2.0
    width_factor: float = 1.0
    bottle_ratio: float = 0.5
    num_features: int = 0
    ch_div: int = 8
    reg: bool = False
    extra_conv: bool = False
    gamma_in_act: bool = False
    same_padding: bool = False
    std_conv_eps: float = 1e-5
    skipinit: bool = False
    zero_init_fc: bool = False
    act_layer: str = 'silu'


# E[act(x)^2]^-1/2 for x ~ N(0, 1): the factor that restores unit variance after each activation, as computed and
# published by DeepMind with the NFNet code (numbers, not code)
_NONLIN_GAMMA = dict(
    identity=1.0, celu=1.270926833152771, elu=1.2716004848480225, gelu=1.7015043497085571,
    leaky_relu=1.70590341091156, log_sigmoid=1.9193484783172607, log_softmax=1.0002083778381348,
    relu=1.7139588594436646, relu6=1.7131484746932983, selu=1.0008515119552612, sigmoid=4.803835391998291,
    silu=1.7881293296813965, softsign=2.338853120803833, softplus=1.9203323125839233, tanh=1.5939117670059204,
)


class GammaAct(nn.Module):
    """An activation followed by a constant gain `gamma` (DeepMind's placement of the NF correction)."""

    def __init__(self, act_type: str = 'relu', gamma: float = 1.0, inplace: bool = False):
        super().__init__()
        self.act = get_act_layer(act_type)(inplace=inplace)
        self.gamma = gamma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x) * self.gamma


class _SamePadAvgPool2x2(nn.Module):
    # a stride-1 2x2 mean with the extra row / column padded at the end (TF 'SAME', zeros counted): the shortcut
    # pool of a dilated stage, where the spatial size must not change
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.avg_pool2d(nn.functional.pad(x, (0, 1, 0, 1)), 2, 1)


class DownsampleAvg(nn.Module):
    """Projection shortcut: 2x2 average pool at the block stride (ResNet-D), then a 1x1 conv."""

    def __init__(self, in_chs: int, out_chs: int, stride: int, dilation: int, conv_layer: Callable[..., nn.Module]):
        super().__init__()
        if dilation > 1:
            self.pool = _SamePadAvgPool2x2()
        elif stride > 1:
            self.pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
        else:
            self.pool = nn.Identity()
        self.conv = conv_layer(in_chs, out_chs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pool(x))


class NormFreeBlock(nn.Module):
    """Pre-activation bottleneck without normalisation: `x + alpha * f(act(x) / beta)`.

    f is 1x1 -> 3x3 (grouped) [-> 3x3] -> 1x1, with activations between the convs and optional channel attention
    (after the 3x3 for RegNet-style blocks, after the last conv otherwise). When the block changes width, stride or
    dilation, the shortcut is a projection of the pre-activated input `act(x) / beta`; otherwise it is `x` itself.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: stride of the (first) 3x3 conv.
        dilation: dilation of the block's stage.
        first_dilation: dilation of the first 3x3 conv (the previous stage's, where a dilated stage begins).
        alpha: residual branch scale.
        beta: expected standard deviation of the input.
        bottle_ratio: bottleneck width relative to `out_chs` (`in_chs` with `reg`).
        group_size: channels per group of the 3x3 convs.
        ch_div: rounding divisor of the bottleneck width.
        reg: RegNet-style block.
        extra_conv: a second 3x3 conv.
        skipinit: a zero-initialised learnable gain on the residual branch.
        attn_layer: channel attention constructor (called with the channels).
        attn_gain: scale of the attention output.
        act_layer: activation constructor (called with `inplace`).
        conv_layer: conv constructor (in, out, kernel, stride=, dilation=, groups=, gain_init=).
        drop_path_rate: stochastic depth of the residual branch.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int = 1,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            alpha: float = 1.0,
            beta: float = 1.0,
            bottle_ratio: float = 0.25,
            group_size: Optional[int] = None,
            ch_div: int = 1,
            reg: bool = True,
            extra_conv: bool = False,
            skipinit: bool = False,
            attn_layer: Optional[Callable[..., nn.Module]] = None,
            attn_gain: float = 2.0,
            act_layer: Callable[..., nn.Module] = nn.ReLU,
            conv_layer: Callable[..., nn.Module] = ScaledStdConv2d,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        first_dilation = first_dilation or dilation
        mid_chs = make_divisible((in_chs if reg else out_chs) * bottle_ratio, ch_div)
        groups = mid_chs // group_size if group_size else 1
        if group_size and group_size % ch_div == 0:
            mid_chs = groups * group_size  # whole groups (the rounding above may leave a partial one)
        self.alpha = alpha
        self.beta = beta
        self.attn_gain = attn_gain

        needs_projection = in_chs != out_chs or stride != 1 or dilation != first_dilation
        self.downsample = DownsampleAvg(in_chs, out_chs, stride, dilation, conv_layer) if needs_projection else None
        # act1 must not work in place: its input is also the identity shortcut
        self.act1 = act_layer(inplace=False)
        self.conv1 = conv_layer(in_chs, mid_chs, 1)
        self.act2 = act_layer(inplace=True)
        self.conv2 = conv_layer(mid_chs, mid_chs, 3, stride=stride, dilation=first_dilation, groups=groups)
        if extra_conv:
            self.act2b = act_layer(inplace=True)
            self.conv2b = conv_layer(mid_chs, mid_chs, 3, dilation=dilation, groups=groups)
        else:
            self.act2b = self.conv2b = None
        self.attn = attn_layer(mid_chs) if reg and attn_layer is not None else None
        self.act3 = act_layer(inplace=False)
        # without skipinit the branch starts at zero through the last conv's gain (Brock et al. 2021a, section 4)
        self.conv3 = conv_layer(mid_chs, out_chs, 1, gain_init=1. if skipinit else 0.)
        self.attn_last = attn_layer(out_chs) if not reg and attn_layer is not None else None
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.skipinit_gain = nn.Parameter(torch.zeros(())) if skipinit else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.act1(x) * self.beta
        shortcut = self.downsample(pre) if self.downsample is not None else x
        out = self.conv2(self.act2(self.conv1(pre)))
        if self.conv2b is not None:
            out = self.conv2b(self.act2b(out))
        if self.attn is not None:
            out = self.attn(out) * self.attn_gain
        out = self.conv3(self.act3(out))
        if self.attn_last is not None:
            out = self.attn_last(out) * self.attn_gain
        out = self.drop_path(out)
        if self.skipinit_gain is not None:
            out = out * self.skipinit_gain
        return out * self.alpha + shortcut


# stem conv widths (as fractions of the stem width, in eighths) and strides of the multi-conv stems
_DEEP_STEMS = {
    'deep': ((4, 4, 8), (2, 1, 1)),
    'deep_tiered': ((3, 4, 8), (2, 1, 1)),
    'deep_quad': ((1, 2, 4, 8), (2, 1, 1, 2)),
}
_STEM_TYPES = ('3x3', '7x7', '3x3_pool', '7x7_pool', 'deep', 'deep_tiered', 'deep_pool', 'deep_quad')


def create_stem(
        in_chs: int,
        out_chs: int,
        stem_type: str,
        conv_layer: Callable[..., nn.Module],
        act_layer: Callable[..., nn.Module],
) -> Tuple[nn.Sequential, int, Dict[str, Any], int]:
    """The stem, its stride, its feature_info entry and how many of its children produce that feature.

    Single-conv stems are tapped at the conv; multi-conv stems at the last conv of stride 2 overall (the second
    conv, or the third of the four-conv stem), like a ResNet's stem activation.
    """
    if stem_type not in _STEM_TYPES:
        raise ValueError(f'Unknown NFNet stem_type {stem_type!r}; choose one of {_STEM_TYPES}.')
    stem: Dict[str, nn.Module] = OrderedDict()
    if stem_type.startswith('deep'):
        eighths, strides = _DEEP_STEMS[stem_type.replace('_pool', '')]
        widths = [out_chs * e // 8 for e in eighths]
        tap = len(widths) - 2  # index of the tapped conv
        chs = in_chs
        for i, (width, stride) in enumerate(zip(widths, strides)):
            stem[f'conv{i + 1}'] = conv_layer(chs, width, 3, stride=stride)
            if i < len(widths) - 1:
                # the activation right after the tap must leave the tapped tensor intact
                stem[f'act{i + 2}'] = act_layer(inplace=i != tap)
            chs = width
        stride = 2 * strides[-1]
        feature = dict(num_chs=widths[tap], reduction=2, module=f'stem.conv{tap + 1}')
        num_tap = 2 * tap + 1
    else:
        kernel = 3 if stem_type.startswith('3x3') else 7
        stem['conv'] = conv_layer(in_chs, out_chs, kernel, stride=2)
        stride, feature, num_tap = 2, dict(num_chs=out_chs, reduction=2, module='stem.conv'), 1
    if stem_type.endswith('pool'):
        stem['pool'] = nn.MaxPool2d(3, stride=2, padding=1)
        stride *= 2
    return nn.Sequential(stem), stride, feature, num_tap


def make_stages(
        cfg: NfCfg,
        in_chs: int,
        stem_stride: int,
        output_stride: int,
        drop_path_rate: float,
        conv_layer: Callable[..., nn.Module],
        act_layer: Callable[..., nn.Module],
        attn_layer: Optional[Callable[..., nn.Module]],
) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    """The residual stages and their feature_info, tracking each block's expected input variance for `beta`."""
    dpr = stagewise_drop_path_rates(drop_path_rate, cfg.depths)
    stages, feature_info = [], []
    net_stride, dilation = stem_stride, 1
    expected_var = 1.0
    for stage_idx, depth in enumerate(cfg.depths):
        # a stem that already reduced by 4 (pool or four-conv stem) lets the first stage keep its resolution
        stride = 1 if stage_idx == 0 and stem_stride > 2 else 2
        if stride > 1 and net_stride >= output_stride:
            dilation, stride = dilation * stride, 1
        net_stride *= stride
        first_dilation = 1 if dilation in (1, 2) else 2
        out_chs = make_divisible(cfg.channels[stage_idx] * cfg.width_factor, cfg.ch_div)
        blocks = []
        for block_idx in range(depth):
            first_of_net = stage_idx == 0 and block_idx == 0
            blocks.append(NormFreeBlock(
                in_chs, out_chs,
                stride=stride if block_idx == 0 else 1,
                dilation=dilation,
                first_dilation=first_dilation,
                alpha=cfg.alpha,
                beta=expected_var ** -0.5,
                # the RegNet variants do not narrow the very first block (its input is the thin stem)
                bottle_ratio=1. if cfg.reg and first_of_net else cfg.bottle_ratio,
                group_size=cfg.group_size,
                ch_div=cfg.ch_div,
                reg=cfg.reg,
                extra_conv=cfg.extra_conv,
                skipinit=cfg.skipinit,
                attn_layer=attn_layer,
                attn_gain=cfg.attn_gain,
                act_layer=act_layer,
                conv_layer=conv_layer,
                drop_path_rate=dpr[stage_idx][block_idx],
            ))
            # a stage's first block projects its shortcut, so the variance restarts at 1 behind it; each block then
            # adds alpha^2 (Brock et al. 2021a, section 3)
            expected_var = (1. if block_idx == 0 else expected_var) + cfg.alpha ** 2
            first_dilation = dilation
            in_chs = out_chs
        stages.append(nn.Sequential(*blocks))
        feature_info.append(dict(num_chs=out_chs, reduction=net_stride, module=f'stages.{stage_idx}'))
    return CheckpointSequential(*stages), feature_info


class NormFreeNet(ZooModel):
    """A normalizer-free ResNet / RegNet / NFNet built from an `NfCfg`.

    Args:
        cfg: the architecture.
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0).
        output_stride: 32, 16 or 8; later stages dilate instead of striding past it.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth of the last block.
        **kwargs: `NfCfg` fields to override.
    """
    grad_checkpointing = checkpoint_flag('stages')
    classifier_name = 'head.fc'
    groups = dict(
        stem=r'^stem',
        blocks=[(r'^stages\.(\d+)\.(\d+)', None), (r'^final_conv', (99999,))],
        coarse=[(r'^stages\.(\d+)', None), (r'^final_conv', (99999,))],
    )

    def __init__(
            self,
            cfg: NfCfg,
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: str = 'avg',
            output_stride: int = 32,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            **kwargs: Any,
    ):
        super().__init__()
        unknown = set(kwargs) - set(NfCfg.__dataclass_fields__)
        if unknown:
            raise TypeError(f'NormFreeNet got unexpected arguments {sorted(unknown)}; NfCfg fields can be overridden.')
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        cfg = replace(cfg, **kwargs)
        if cfg.act_layer not in _NONLIN_GAMMA:
            raise ValueError(f'act_layer {cfg.act_layer!r} has no NF gamma constant; use one of {sorted(_NONLIN_GAMMA)}.')
        self.num_classes = num_classes
        self.drop_rate = drop_rate

        gamma = _NONLIN_GAMMA[cfg.act_layer]
        conv_layer = ScaledStdConv2dSame if cfg.same_padding else ScaledStdConv2d
        if cfg.gamma_in_act:
            act_layer = partial(GammaAct, cfg.act_layer, gamma)
            conv_layer = partial(conv_layer, eps=cfg.std_conv_eps)
        else:
            # folding gamma into the next conv's weight scale saves a multiply per activation
            act_layer = get_act_layer(cfg.act_layer)
            conv_layer = partial(conv_layer, gamma=gamma, eps=cfg.std_conv_eps)
        attn_layer = partial(get_attn(cfg.attn_layer), **(cfg.attn_kwargs or {})) if cfg.attn_layer else None

        stem_chs = make_divisible((cfg.stem_chs or cfg.channels[0]) * cfg.width_factor, cfg.ch_div)
        self.stem, stem_stride, stem_feature, num_tap = create_stem(
            in_chans, stem_chs, cfg.stem_type, conv_layer, act_layer)
        self.stages, stage_info = make_stages(
            cfg, stem_chs, stem_stride, output_stride, drop_path_rate, conv_layer, act_layer, attn_layer)
        self.feature_info = [stem_feature] + stage_info
        if cfg.num_features:
            # the EfficientNet-like head conv of NF-RegNets and NFNets
            self.num_features = make_divisible(cfg.num_features * cfg.width_factor, cfg.ch_div)
            self.final_conv = conv_layer(stage_info[-1]['num_chs'], self.num_features, 1)
            self.feature_info[-1] = dict(self.feature_info[-1], num_chs=self.num_features, module='final_conv')
        else:
            self.num_features = stage_info[-1]['num_chs']
            self.final_conv = nn.Identity()
        # the last level's output is a feature tap, so the final activation must not overwrite it
        self.final_act = act_layer(inplace=False)
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        self.head_hidden_size = self.num_features

        stem_names = [name for name, _ in self.stem.named_children()]
        stem_paths = [f'stem.{name}' for name in stem_names]
        num_stages = len(self.stages)
        self.trunk = Trunk(
            levels=(tuple(stem_paths[:num_tap]), (*stem_paths[num_tap:], 'stages.0'))
            + tuple((f'stages.{i}',) for i in range(1, num_stages - 1))
            + ((f'stages.{num_stages - 1}', 'final_conv'),),
            final=('final_act',),
            final_is_norm=False,
        )
        self.init_weights(cfg.zero_init_fc)

    def init_weights(self, zero_init_fc: bool = False) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                if zero_init_fc:
                    nn.init.zeros_(m.weight)
                else:
                    nn.init.normal_(m.weight, 0., .01)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                # the weight standardisation makes the scale irrelevant for std convs; plain convs (SE) see fan-in
                nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='linear')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.final_act(self.final_conv(self.stages(self.stem(x))))


def _create_normfreenet(variant: str, pretrained: bool = False, **kwargs) -> NormFreeNet:
    return build_model_with_cfg(NormFreeNet, variant, pretrained, model_cfg=model_cfgs[variant],
                                feature_cfg=dict(flatten_sequential=True), **kwargs)


def _nfres_cfg(depths: Tuple[int, ...], attn_layer: Optional[str] = None,
               attn_kwargs: Optional[Dict[str, Any]] = None) -> NfCfg:
    """Pre-activation NF-ResNet: 7x7 + max-pool stem, bottlenecks of ratio 0.25, ReLU."""
    return NfCfg(depths=depths, channels=(256, 512, 1024, 2048), stem_type='7x7_pool', stem_chs=64, bottle_ratio=0.25,
                 act_layer='relu', attn_layer=attn_layer, attn_kwargs=attn_kwargs or {})


def _nfreg_cfg(depths: Tuple[int, ...], channels: Tuple[int, ...] = (48, 104, 208, 440)) -> NfCfg:
    """NF-RegNet-B: group width 8, expansion 2.25 of the input, SE of ratio 0.5, final conv 1280 * width / 440."""
    return NfCfg(depths=depths, channels=channels, stem_type='3x3', group_size=8, width_factor=0.75,
                 bottle_ratio=2.25, num_features=1280 * channels[-1] // 440, reg=True, attn_layer='se',
                 attn_kwargs=dict(rd_ratio=0.5))


def _nfnet_cfg(depths: Tuple[int, ...], channels: Tuple[int, ...] = (256, 512, 1536, 1536), group_size: int = 128,
               bottle_ratio: float = 0.5, feat_mult: float = 2., act_layer: str = 'gelu', attn_layer: str = 'se',
               attn_kwargs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> NfCfg:
    """NFNet: four-conv stem of width 128, grouped 3x3 pairs, attention after the last conv, final conv."""
    return NfCfg(depths=depths, channels=channels, stem_type='deep_quad', stem_chs=128, group_size=group_size,
                 bottle_ratio=bottle_ratio, extra_conv=True, num_features=int(channels[-1] * feat_mult),
                 act_layer=act_layer, attn_layer=attn_layer,
                 attn_kwargs=dict(rd_ratio=0.5) if attn_kwargs is None else attn_kwargs, **kwargs)


def _dm_nfnet_cfg(depths: Tuple[int, ...]) -> NfCfg:
    """NFNet in DeepMind's numerics: gamma in the activations, 'SAME' padding, SkipInit gains."""
    return _nfnet_cfg(depths, gamma_in_act=True, same_padding=True, skipinit=True)


def _light_cfg(depths: Tuple[int, ...], feat_mult: float, attn_layer: str = 'eca',
               attn_kwargs: Optional[Dict[str, Any]] = None, group_size: int = 64, **kwargs: Any) -> NfCfg:
    """The lighter NFNet-L: bottleneck 0.25, group width 64, SiLU."""
    return _nfnet_cfg(depths, feat_mult=feat_mult, group_size=group_size, bottle_ratio=0.25, attn_layer=attn_layer,
                      attn_kwargs=attn_kwargs or {}, act_layer='silu', **kwargs)


_F_DEPTHS = {i: (i + 1, 2 * (i + 1), 6 * (i + 1), 3 * (i + 1)) for i in range(8)}  # NFNet-F0..F7

model_cfgs = dict(
    **{f'dm_nfnet_f{i}': _dm_nfnet_cfg(_F_DEPTHS[i]) for i in range(7)},
    **{f'nfnet_f{i}': _nfnet_cfg(_F_DEPTHS[i]) for i in range(8)},
    nfnet_l0=_light_cfg(_F_DEPTHS[0], 1.5, attn_layer='se', attn_kwargs=dict(rd_ratio=0.25, rd_divisor=8)),
    eca_nfnet_l0=_light_cfg(_F_DEPTHS[0], 1.5),
    eca_nfnet_l1=_light_cfg(_F_DEPTHS[1], 2),
    eca_nfnet_l2=_light_cfg(_F_DEPTHS[2], 2),
    eca_nfnet_l3=_light_cfg(_F_DEPTHS[3], 2),
    nf_regnet_b0=_nfreg_cfg((1, 3, 6, 6)),
    nf_regnet_b1=_nfreg_cfg((2, 4, 7, 7)),
    nf_regnet_b2=_nfreg_cfg((2, 4, 8, 8), channels=(56, 112, 232, 488)),
    nf_regnet_b3=_nfreg_cfg((2, 5, 9, 9), channels=(56, 128, 248, 528)),
    nf_regnet_b4=_nfreg_cfg((2, 6, 11, 11), channels=(64, 144, 288, 616)),
    nf_regnet_b5=_nfreg_cfg((3, 7, 14, 14), channels=(80, 168, 336, 704)),
    nf_resnet26=_nfres_cfg((2, 2, 2, 2)),
    nf_resnet50=_nfres_cfg((3, 4, 6, 3)),
    nf_resnet101=_nfres_cfg((3, 4, 23, 3)),
    nf_seresnet26=_nfres_cfg((2, 2, 2, 2), attn_layer='se', attn_kwargs=dict(rd_ratio=1 / 16)),
    nf_seresnet50=_nfres_cfg((3, 4, 6, 3), attn_layer='se', attn_kwargs=dict(rd_ratio=1 / 16)),
    nf_seresnet101=_nfres_cfg((3, 4, 23, 3), attn_layer='se', attn_kwargs=dict(rd_ratio=1 / 16)),
    nf_ecaresnet26=_nfres_cfg((2, 2, 2, 2), attn_layer='eca'),
    nf_ecaresnet50=_nfres_cfg((3, 4, 6, 3), attn_layer='eca'),
    nf_ecaresnet101=_nfres_cfg((3, 4, 23, 3), attn_layer='eca'),
    test_nfnet=_light_cfg((1, 1, 1, 1), 1.5, attn_layer='se', attn_kwargs=dict(rd_ratio=0.25, rd_divisor=8),
                          channels=(32, 64, 96, 128), group_size=8),
)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='stem.conv1', classifier='head.fc', interpolation='bicubic',
               crop_pct=0.875, license='apache-2.0', paper_ids='arXiv:2102.06171')
    cfg.update(kwargs)
    return cfg


def _rcfg(**kwargs) -> Dict[str, Any]:
    """Cfg of the NF-ResNets and NF-RegNets (single-conv stem, first NF paper)."""
    return _cfg(first_conv='stem.conv', paper_ids='arXiv:2101.08692', **kwargs)


# Tags and preprocessing of the published weights (timm/<arch>.<tag> on the Hub); untagged names have no weights.
default_cfgs = generate_default_cfgs({
    'dm_nfnet_f0.dm_in1k': _cfg(input_size=(3, 192, 192), test_input_size=(3, 256, 256), crop_pct=0.9, crop_mode='squash', pool_size=(6, 6)),
    'dm_nfnet_f1.dm_in1k': _cfg(test_input_size=(3, 320, 320), crop_pct=0.91, crop_mode='squash', pool_size=(7, 7)),
    'dm_nfnet_f2.dm_in1k': _cfg(input_size=(3, 256, 256), test_input_size=(3, 352, 352), crop_pct=0.92, crop_mode='squash', pool_size=(8, 8)),
    'dm_nfnet_f3.dm_in1k': _cfg(input_size=(3, 320, 320), test_input_size=(3, 416, 416), crop_pct=0.94, crop_mode='squash', pool_size=(10, 10)),
    'dm_nfnet_f4.dm_in1k': _cfg(input_size=(3, 384, 384), test_input_size=(3, 512, 512), crop_pct=0.951, crop_mode='squash', pool_size=(12, 12)),
    'dm_nfnet_f5.dm_in1k': _cfg(input_size=(3, 416, 416), test_input_size=(3, 544, 544), crop_pct=0.954, crop_mode='squash', pool_size=(13, 13)),
    'dm_nfnet_f6.dm_in1k': _cfg(input_size=(3, 448, 448), test_input_size=(3, 576, 576), crop_pct=0.956, crop_mode='squash', pool_size=(14, 14)),
    'nfnet_f0': _cfg(hf_hub_id=None, input_size=(3, 192, 192), test_input_size=(3, 256, 256), crop_pct=0.9, pool_size=(6, 6)),
    'nfnet_f1': _cfg(hf_hub_id=None, test_input_size=(3, 320, 320), crop_pct=0.9, pool_size=(7, 7)),
    'nfnet_f2': _cfg(hf_hub_id=None, input_size=(3, 256, 256), test_input_size=(3, 352, 352), crop_pct=0.9, pool_size=(8, 8)),
    'nfnet_f3': _cfg(hf_hub_id=None, input_size=(3, 320, 320), test_input_size=(3, 416, 416), crop_pct=0.9, pool_size=(10, 10)),
    'nfnet_f4': _cfg(hf_hub_id=None, input_size=(3, 384, 384), test_input_size=(3, 512, 512), crop_pct=0.9, pool_size=(12, 12)),
    'nfnet_f5': _cfg(hf_hub_id=None, input_size=(3, 416, 416), test_input_size=(3, 544, 544), crop_pct=0.9, pool_size=(13, 13)),
    'nfnet_f6': _cfg(hf_hub_id=None, input_size=(3, 448, 448), test_input_size=(3, 576, 576), crop_pct=0.9, pool_size=(14, 14)),
    'nfnet_f7': _cfg(hf_hub_id=None, input_size=(3, 480, 480), test_input_size=(3, 608, 608), crop_pct=0.9, pool_size=(15, 15)),
    'nfnet_l0.ra2_in1k': _cfg(test_input_size=(3, 288, 288), crop_pct=0.9, test_crop_pct=1.0, pool_size=(7, 7)),
    'eca_nfnet_l0.ra2_in1k': _cfg(test_input_size=(3, 288, 288), crop_pct=0.9, test_crop_pct=1.0, pool_size=(7, 7)),
    'eca_nfnet_l1.ra2_in1k': _cfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.9, test_crop_pct=1.0, pool_size=(8, 8)),
    'eca_nfnet_l2.ra3_in1k': _cfg(input_size=(3, 320, 320), test_input_size=(3, 384, 384), crop_pct=0.9, test_crop_pct=1.0, pool_size=(10, 10)),
    'eca_nfnet_l3': _cfg(hf_hub_id=None, input_size=(3, 352, 352), test_input_size=(3, 448, 448), crop_pct=0.9, test_crop_pct=1.0, pool_size=(11, 11)),
    'nf_regnet_b0': _rcfg(hf_hub_id=None, input_size=(3, 192, 192), test_input_size=(3, 256, 256), crop_pct=0.9, pool_size=(6, 6)),
    'nf_regnet_b1.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 288, 288), crop_pct=0.9, pool_size=(8, 8)),
    'nf_regnet_b2': _rcfg(hf_hub_id=None, input_size=(3, 240, 240), test_input_size=(3, 272, 272), crop_pct=0.9, pool_size=(8, 8)),
    'nf_regnet_b3': _rcfg(hf_hub_id=None, input_size=(3, 288, 288), test_input_size=(3, 320, 320), crop_pct=0.9, pool_size=(9, 9)),
    'nf_regnet_b4': _rcfg(hf_hub_id=None, input_size=(3, 320, 320), test_input_size=(3, 384, 384), crop_pct=0.9, pool_size=(10, 10)),
    'nf_regnet_b5': _rcfg(hf_hub_id=None, input_size=(3, 384, 384), test_input_size=(3, 456, 456), crop_pct=0.9, pool_size=(12, 12)),
    'nf_resnet26': _rcfg(hf_hub_id=None, crop_pct=0.9, pool_size=(7, 7)),
    'nf_resnet50.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 288, 288), crop_pct=0.94, pool_size=(8, 8)),
    'nf_resnet101': _rcfg(hf_hub_id=None, crop_pct=0.9, pool_size=(7, 7)),
    'nf_seresnet26': _rcfg(hf_hub_id=None, crop_pct=0.9, pool_size=(7, 7)),
    'nf_seresnet50': _rcfg(hf_hub_id=None, crop_pct=0.9, pool_size=(7, 7)),
    'nf_seresnet101': _rcfg(hf_hub_id=None, crop_pct=0.9, pool_size=(7, 7)),
    'nf_ecaresnet26': _rcfg(hf_hub_id=None, crop_pct=0.9, pool_size=(7, 7)),
    'nf_ecaresnet50': _rcfg(hf_hub_id=None, crop_pct=0.9, pool_size=(7, 7)),
    'nf_ecaresnet101': _rcfg(hf_hub_id=None, crop_pct=0.9, pool_size=(7, 7)),
    'test_nfnet.r160_in1k': _cfg(input_size=(3, 160, 160), crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), pool_size=(5, 5)),
})


@register_model
def dm_nfnet_f0(pretrained: bool = False, **kwargs) -> NormFreeNet:
    """NFNet-F0 with DeepMind's numerics (their JAX weights)."""
    return _create_normfreenet('dm_nfnet_f0', pretrained, **kwargs)


@register_model
def dm_nfnet_f1(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('dm_nfnet_f1', pretrained, **kwargs)


@register_model
def dm_nfnet_f2(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('dm_nfnet_f2', pretrained, **kwargs)


@register_model
def dm_nfnet_f3(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('dm_nfnet_f3', pretrained, **kwargs)


@register_model
def dm_nfnet_f4(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('dm_nfnet_f4', pretrained, **kwargs)


@register_model
def dm_nfnet_f5(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('dm_nfnet_f5', pretrained, **kwargs)


@register_model
def dm_nfnet_f6(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('dm_nfnet_f6', pretrained, **kwargs)


@register_model
def nfnet_f0(pretrained: bool = False, **kwargs) -> NormFreeNet:
    """NFNet-F0 (Brock et al., 2021b)."""
    return _create_normfreenet('nfnet_f0', pretrained, **kwargs)


@register_model
def nfnet_f1(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nfnet_f1', pretrained, **kwargs)


@register_model
def nfnet_f2(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nfnet_f2', pretrained, **kwargs)


@register_model
def nfnet_f3(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nfnet_f3', pretrained, **kwargs)


@register_model
def nfnet_f4(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nfnet_f4', pretrained, **kwargs)


@register_model
def nfnet_f5(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nfnet_f5', pretrained, **kwargs)


@register_model
def nfnet_f6(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nfnet_f6', pretrained, **kwargs)


@register_model
def nfnet_f7(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nfnet_f7', pretrained, **kwargs)


@register_model
def nfnet_l0(pretrained: bool = False, **kwargs) -> NormFreeNet:
    """NFNet-L0: a lighter NFNet-F0 (bottleneck 0.25, group width 64, SiLU)."""
    return _create_normfreenet('nfnet_l0', pretrained, **kwargs)


@register_model
def eca_nfnet_l0(pretrained: bool = False, **kwargs) -> NormFreeNet:
    """NFNet-L0 with ECA instead of SE."""
    return _create_normfreenet('eca_nfnet_l0', pretrained, **kwargs)


@register_model
def eca_nfnet_l1(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('eca_nfnet_l1', pretrained, **kwargs)


@register_model
def eca_nfnet_l2(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('eca_nfnet_l2', pretrained, **kwargs)


@register_model
def eca_nfnet_l3(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('eca_nfnet_l3', pretrained, **kwargs)


@register_model
def nf_regnet_b0(pretrained: bool = False, **kwargs) -> NormFreeNet:
    """NF-RegNet-B0 (Brock et al., 2021a, appendix)."""
    return _create_normfreenet('nf_regnet_b0', pretrained, **kwargs)


@register_model
def nf_regnet_b1(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_regnet_b1', pretrained, **kwargs)


@register_model
def nf_regnet_b2(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_regnet_b2', pretrained, **kwargs)


@register_model
def nf_regnet_b3(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_regnet_b3', pretrained, **kwargs)


@register_model
def nf_regnet_b4(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_regnet_b4', pretrained, **kwargs)


@register_model
def nf_regnet_b5(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_regnet_b5', pretrained, **kwargs)


@register_model
def nf_resnet26(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_resnet26', pretrained, **kwargs)


@register_model
def nf_resnet50(pretrained: bool = False, **kwargs) -> NormFreeNet:
    """NF-ResNet-50 (Brock et al., 2021a)."""
    return _create_normfreenet('nf_resnet50', pretrained, **kwargs)


@register_model
def nf_resnet101(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_resnet101', pretrained, **kwargs)


@register_model
def nf_seresnet26(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_seresnet26', pretrained, **kwargs)


@register_model
def nf_seresnet50(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_seresnet50', pretrained, **kwargs)


@register_model
def nf_seresnet101(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_seresnet101', pretrained, **kwargs)


@register_model
def nf_ecaresnet26(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_ecaresnet26', pretrained, **kwargs)


@register_model
def nf_ecaresnet50(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_ecaresnet50', pretrained, **kwargs)


@register_model
def nf_ecaresnet101(pretrained: bool = False, **kwargs) -> NormFreeNet:
    return _create_normfreenet('nf_ecaresnet101', pretrained, **kwargs)


@register_model
def test_nfnet(pretrained: bool = False, **kwargs) -> NormFreeNet:
    """A tiny NFNet for tests."""
    return _create_normfreenet('test_nfnet', pretrained, **kwargs)
