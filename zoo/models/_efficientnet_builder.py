"""Architecture strings -> blocks -> stages, for every EfficientNet / MobileNet-style network.

A network is a list of stages, each a list of block strings such as `ir_r2_k3_s2_e6_c24_se0.25`: a block type
followed by options in any order.

Block types: `ds` depthwise-separable (MBConv with expansion 1), `dsa` the same with an activation after the
pointwise conv and no residual (MobileNetV1, LCNet), `ir` inverted residual (MBConv), `er` edge residual
(Fused-MBConv), `cn` conv + norm + act, `uir` MobileNetV4's universal inverted bottleneck, `mqa` / `mha` its
multi-query / multi-head attention blocks.

Options: `r` repeats, `k` kernel (`k3.5.7` = a MixConv of 3x3, 5x5 and 7x7), `s` stride of the first repeat,
`e` expansion ratio, `c` output channels (before width scaling), `se` squeeze-excite ratio, `a` / `p` kernel(s) of
the expansion / projection 1x1 convs (`a1.1` = split into two groups), `gs` channels per conv group, `fc` forced
input width of an `er` expansion, `cc` CondConv experts (turns an `ir` block into a CondConvResidual), `d1` a
space-to-depth entry (`ir` / `ds`, EfficientNet-X), `n` activation (`nre` ReLU, `nr6` ReLU6, `nhs` hard-swish,
`nsw` swish, `nmi` mish), `noskip` / `skip` force the residual off / on.
For `uir`, `a` / `k` / `p` are the kernels of the start / middle / end depthwise convs (0 = absent). For `mqa` /
`mha`, `h` heads, `d` key and value width, `v` key / value downsampling stride, `k` the kernel of that downsampling.

A space-to-depth block starts a region that runs at half resolution and 4x the channels; the next strided block
ends it (its stride was already taken, and its expansion ratio is divided by 4 to keep its width).

The decoding follows the notation of the TF MnasNet / EfficientNet reference code and timm, so the same strings
give the same widths, depths and state_dict layouts.
"""
import logging
import math
import re
from copy import deepcopy
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers import BatchNormAct2d, GroupNormAct, LayerType, get_act_layer, make_divisible
from zoo.layers.anti_alias import AaLayerType
from zoo.layers.cond_conv2d import CondConv2d
from zoo.layers.evo_norm import EvoNorm2dS0
from zoo.models._base import split_levels
from zoo.models._efficientnet_blocks import (
    CondConvResidual, ConvBnAct, DepthwiseSeparableConv, EdgeResidual, InvertedResidual, KernelSize,
    MobileAttention, UniversalInvertedResidual)
from zoo.models._manipulate import CheckpointSequential

__all__ = [
    'BlockArgs', 'BN_EPS_TF', 'BN_MOMENTUM_TF', 'decode_block_str', 'decode_arch_def', 'round_channels',
    'build_stages', 'init_weights_goog', 'resolve_norm_layer', 'group_norm_act', 'evo_norm_act', 'pop_drop_path_rate',
    'convert_efficientnet_pytorch', 'stage_levels',
]

_logger = logging.getLogger(__name__)

BlockArgs = List[List[Dict[str, Any]]]

# TF trains these nets with BN decay 0.99 and epsilon 1e-3; PyTorch momentum is 1 - decay
BN_MOMENTUM_TF = 1 - 0.99
BN_EPS_TF = 1e-3

_ACTS = {'re': 'relu', 'r6': 'relu6', 'hs': 'hard_swish', 'sw': 'swish', 'mi': 'mish'}
_BLOCKS = {'ds': DepthwiseSeparableConv, 'dsa': DepthwiseSeparableConv, 'ir': InvertedResidual,
           'er': EdgeResidual, 'cn': ConvBnAct, 'uir': UniversalInvertedResidual,
           'mqa': partial(MobileAttention, use_multi_query=True), 'mha': MobileAttention}
# blocks that take the model's layer-scale setting
_LAYER_SCALED = ('uir', 'mqa', 'mha')


def round_channels(channels: float, multiplier: float = 1.0, divisor: int = 8, channel_min: Optional[int] = None,
                   round_limit: float = 0.9) -> int:
    """Scale a width by `multiplier` and round it to a multiple of `divisor` (never more than 10% down)."""
    if not multiplier:
        return int(channels)
    return make_divisible(channels * multiplier, divisor, channel_min, round_limit=round_limit)


def _kernel(value: str) -> KernelSize:
    return int(value) if value.isdigit() else [int(k) for k in value.split('.')]


def decode_block_str(block_str: str) -> Tuple[Dict[str, Any], int]:
    """One block string -> (block kwargs, repeats). See the module docstring for the notation."""
    block_type, *ops = block_str.split('_')
    if block_type not in _BLOCKS:
        raise ValueError(f'Unknown block type {block_type!r} in {block_str!r}; expected one of {sorted(_BLOCKS)}.')
    opts: Dict[str, str] = {}
    skip: Optional[bool] = None
    act_layer = None
    for op in ops:
        if op in ('skip', 'noskip'):
            skip = op == 'skip'
        elif op.startswith('n'):
            if op[1:] in _ACTS:
                act_layer = get_act_layer(_ACTS[op[1:]])
        else:
            match = re.match(r'([a-z]+)(\d.*)$', op)
            if match is None:
                raise ValueError(f'Cannot parse option {op!r} of block string {block_str!r}.')
            opts[match.group(1)] = match.group(2)
    args: Dict[str, Any] = dict(block_type=block_type, out_chs=int(opts['c']), stride=int(opts['s']),
                                act_layer=act_layer)
    exp_k = _kernel(opts['a']) if 'a' in opts else 1
    pw_k = _kernel(opts['p']) if 'p' in opts else 1
    se_ratio = float(opts.get('se', 0.))
    if block_type == 'ir':
        args.update(dw_kernel_size=_kernel(opts['k']), exp_kernel_size=exp_k, pw_kernel_size=pw_k,
                    exp_ratio=float(opts['e']), se_ratio=se_ratio, noskip=skip is False, s2d=int(opts.get('d', 0)) > 0)
        if 'cc' in opts:
            args['num_experts'] = int(opts['cc'])
    elif block_type in ('ds', 'dsa'):
        args.update(dw_kernel_size=_kernel(opts['k']), pw_kernel_size=pw_k, se_ratio=se_ratio,
                    pw_act=block_type == 'dsa', noskip=block_type == 'dsa' or skip is False,
                    s2d=int(opts.get('d', 0)) > 0)
    elif block_type == 'er':
        args.update(exp_kernel_size=_kernel(opts['k']), pw_kernel_size=pw_k, exp_ratio=float(opts['e']),
                    force_in_chs=int(opts.get('fc', 0)), se_ratio=se_ratio, noskip=skip is False)
    elif block_type == 'uir':
        # here a / k / p are the start / middle / end depthwise kernels, absent (0) unless given
        args.update(dw_kernel_size_start=int(opts.get('a', 0)), dw_kernel_size_mid=int(opts['k']),
                    dw_kernel_size_end=int(opts.get('p', 0)), exp_ratio=float(opts['e']), se_ratio=se_ratio,
                    noskip=skip is False)
    elif block_type in ('mqa', 'mha'):
        args.update(dw_kernel_size=int(opts['k']), num_heads=int(opts['h']), key_dim=int(opts['d']),
                    value_dim=int(opts['d']), kv_stride=int(opts.get('v', 1)), noskip=skip is False)
    else:  # cn
        args.update(kernel_size=int(opts['k']), skip=skip is True)
    if 'gs' in opts:
        args['group_size'] = int(opts['gs'])
    return args, int(opts['r'])


def _scale_repeats(repeats: Sequence[int], multiplier: float, depth_trunc: str) -> List[int]:
    """Scale a stage's total depth, then share it out over its block definitions.

    'ceil' (EfficientNet) grows every stage once multiplier > 1; 'round' (MixNet, TinyNet) lets single-block stages
    stay single for longer. The share-out walks the definitions last to first so the first (often strided) block
    is the least likely to be repeated; Python's round-half-even is part of the published layouts.
    """
    total = sum(repeats)
    if depth_trunc == 'round':
        total_scaled = max(1, round(total * multiplier))
    else:
        total_scaled = int(math.ceil(total * multiplier))
    scaled = []
    for r in reversed(repeats):
        rs = max(1, round(r / total * total_scaled))
        scaled.append(rs)
        total -= r
        total_scaled -= rs
    return scaled[::-1]


def decode_arch_def(
        arch_def: Sequence[Sequence[str]],
        depth_multiplier: Union[float, Sequence[float]] = 1.0,
        depth_trunc: str = 'ceil',
        fix_first_last: bool = False,
        group_size: Optional[int] = None,
        experts_multiplier: int = 1,
) -> BlockArgs:
    """Decode every stage of an architecture and apply the depth multiplier (per stage when a sequence).

    Args:
        arch_def: stages, each a list of block strings.
        depth_multiplier: repeat multiplier, one for all stages or one per stage.
        depth_trunc: 'ceil' or 'round' rounding of scaled stage depths.
        fix_first_last: keep the first and last stage depths unscaled (EfficientNet-Lite, MobileNetV2-d).
        group_size: channels per group for every block that does not set `gs` itself.
        experts_multiplier: scales the CondConv expert count (`cc`) of every block.
    """
    if isinstance(depth_multiplier, (int, float)):
        depth_multiplier = [float(depth_multiplier)] * len(arch_def)
    if len(depth_multiplier) != len(arch_def):
        raise ValueError(f'{len(depth_multiplier)} depth multipliers for {len(arch_def)} stages.')
    stages = []
    for stage_idx, (block_strs, mult) in enumerate(zip(arch_def, depth_multiplier)):
        decoded = [decode_block_str(s) for s in block_strs]
        if fix_first_last and stage_idx in (0, len(arch_def) - 1):
            mult = 1.0
        stage = []
        for (args, _), reps in zip(decoded, _scale_repeats([r for _, r in decoded], mult, depth_trunc)):
            if group_size is not None:
                args.setdefault('group_size', group_size)
            if args.get('num_experts'):
                args['num_experts'] *= experts_multiplier
            stage.extend(deepcopy(args) for _ in range(reps))
        stages.append(stage)
    return stages


def build_stages(
        block_args: BlockArgs,
        in_chs: int,
        act_layer: LayerType,
        norm_layer: Callable[..., nn.Module],
        se_layer: Optional[Callable[..., nn.Module]],
        round_chs_fn: Callable[[float], int] = round_channels,
        se_from_exp: bool = False,
        pad_type: str = '',
        output_stride: int = 32,
        drop_path_rate: float = 0.,
        aa_layer: Optional[AaLayerType] = None,
        layer_scale_init_value: Optional[float] = None,
        stem_feature_module: str = 'bn1',
) -> Tuple[List[CheckpointSequential], List[Dict[str, Any]], int]:
    """Build the stages of decoded `block_args` behind a stride-2 stem of `in_chs` channels.

    Returns (stages, feature_info, out_chs). A feature level is taken at the stem when the first block strides (or
    starts a space-to-depth region), and at the end of every stage followed by a strided one (plus the last stage).
    Past `output_stride`, strides become dilation. Stochastic depth grows linearly with the global block index
    (Huang et al., 2016). `aa_layer` anti-aliases every strided block; `layer_scale_init_value` enables layer scale
    in the MobileNetV4 blocks (`uir`, `mqa`, `mha`).

    `se_from_exp=False` (EfficientNet) defines the SE ratio against the block input, so it is divided by the
    expansion ratio here; MobileNetV3 defines it against the expanded width. A block dict may carry explicit
    `mid_chs` / `se_chs` widths (channel-pruned nets); they win over the ratios.
    """
    if output_stride not in (8, 16, 32):
        raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
    block_args = deepcopy(block_args)
    num_blocks = sum(len(s) for s in block_args)
    feature_info = []
    net_stride, dilation = 2, 1
    first = block_args[0][0]
    if first['stride'] > 1 or first.get('s2d'):
        feature_info.append(dict(num_chs=in_chs, reduction=net_stride, module=stem_feature_module, stage=0))

    # space-to-depth state: 0 outside a region, 1 for the block that enters it, 2 inside it
    s2d = 0
    stages, block_idx = [], 0
    for stage_idx, stage_args in enumerate(block_args):
        blocks = []
        for i, ba in enumerate(stage_args):
            ba = dict(ba)
            block_type = ba.pop('block_type')
            stride = ba.pop('stride') if i == 0 else 1
            ba.pop('stride', None)
            if ba.pop('s2d', False) and not s2d:
                if stride != 1:
                    raise ValueError('A space-to-depth block cannot have a stride of its own.')
                s2d = 1
                net_stride *= 2
            elif s2d == 2 and stride > 1:
                # the region ends here: space-to-depth already took this stride, and the expansion works on the
                # 4x wider input
                stride = 1
                ba['exp_ratio'] /= 4
                s2d = 0
            block_dilation = dilation
            if stride > 1 and net_stride * stride > output_stride:
                dilation *= stride
                stride = 1
            else:
                net_stride *= stride
            ba['out_chs'] = round_chs_fn(ba['out_chs']) * (4 if s2d else 1)
            if ba.get('force_in_chs'):
                ba['force_in_chs'] = round_chs_fn(ba['force_in_chs'])
            ba['act_layer'] = ba['act_layer'] or act_layer
            se_ratio, se_chs = ba.pop('se_ratio', 0.), ba.pop('se_chs', None)
            if se_ratio and se_layer is not None:
                if se_chs:
                    ba['se_layer'] = partial(se_layer, rd_channels=se_chs)
                else:
                    if not se_from_exp:
                        se_ratio /= ba.get('exp_ratio', 1.0)
                    if s2d == 1:
                        se_ratio /= 4  # relative to the input width, which space-to-depth quadruples
                    ba['se_layer'] = partial(se_layer, rd_ratio=se_ratio)
            if block_type in ('ds', 'dsa'):
                ba.pop('exp_ratio', None)
            if s2d and block_type in ('ds', 'dsa', 'ir'):
                ba['s2d'] = s2d
            if block_type in _LAYER_SCALED:
                ba['layer_scale_init_value'] = layer_scale_init_value
            if aa_layer is not None and block_type not in ('mqa', 'mha'):
                ba['aa_layer'] = aa_layer
            block_cls = CondConvResidual if ba.get('num_experts') else _BLOCKS[block_type]
            blocks.append(block_cls(
                in_chs, stride=stride, dilation=block_dilation, pad_type=pad_type, norm_layer=norm_layer,
                drop_path_rate=drop_path_rate * block_idx / num_blocks, **ba))
            in_chs = ba['out_chs']
            block_idx += 1
            if s2d == 1:
                s2d = 2
        stages.append(CheckpointSequential(*blocks))
        # where levels are taken depends on the nominal strides, before any is traded for dilation; a stride that
        # ends a space-to-depth region is dropped, so it starts no level
        last = stage_idx + 1 == len(block_args)
        if last or (block_args[stage_idx + 1][0]['stride'] > 1 and not s2d):
            feature_info.append(dict(num_chs=in_chs, reduction=net_stride, module=f'blocks.{stage_idx}',
                                     stage=stage_idx + 1))
    return stages, feature_info, in_chs


def stage_levels(stage_ends: Sequence[int], stem: Tuple[str, ...] = ('conv_stem', 'bn1')) -> Tuple[Tuple[str, ...], ...]:
    """Module paths of each feature level: `stage_ends[i]` is its last position in (stem, blocks.0, blocks.1, ...)."""
    return split_levels([stem] + [f'blocks.{i}' for i in range(max(stage_ends))], stage_ends)


def init_weights_goog(model: nn.Module) -> None:
    """Initialisation of the TF TPU reference code: He-normal on fan-out (per group), uniform linear layers."""
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, CondConv2d)):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
            weights = m.weight.data.view(-1, *m.weight_shape) if isinstance(m, CondConv2d) else [m.weight]
            for w in weights:
                nn.init.normal_(w, 0., math.sqrt(2.0 / fan_out))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            # the CondConv router counts fan-in too, the classifier only fan-out
            fan = m.weight.size(0) + (m.weight.size(1) if name.endswith('routing_fn') else 0)
            bound = 1.0 / math.sqrt(fan)
            nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)


def group_norm_act(group_size: int) -> Callable[..., nn.Module]:
    """GroupNorm+act factory with a fixed number of channels per group (rather than a fixed group count)."""
    def factory(num_channels: int, **kwargs) -> nn.Module:
        return GroupNormAct(num_channels, num_groups=num_channels // group_size, **kwargs)
    return factory


def evo_norm_act(group_size: int) -> Callable[..., nn.Module]:
    """EvoNorm-S0 factory for the blocks' norm+act protocol.

    S0 has its own built-in nonlinearity, so the block's `act_layer` has no role in it and is dropped here.
    """
    def factory(num_channels: int, act_layer: Optional[LayerType] = None, apply_act: bool = True,
                inplace: bool = True) -> nn.Module:
        return EvoNorm2dS0(num_channels, group_size=group_size, apply_act=apply_act)
    return factory


def resolve_norm_layer(kwargs: Dict[str, Any], default: Optional[Callable[..., nn.Module]] = None
                       ) -> Callable[..., nn.Module]:
    """Pop `norm_layer`, `bn_tf`, `bn_momentum`, `bn_eps` from model kwargs and return a norm+act factory.

    Without a `norm_layer` (given, or the variant's `default`) this is BatchNormAct2d; `bn_tf=True` selects TF's
    epsilon 1e-3 and momentum 0.01, explicit `bn_eps` / `bn_momentum` win over it.
    """
    norm_layer = kwargs.pop('norm_layer', None) or default
    bn_args = dict(eps=BN_EPS_TF, momentum=BN_MOMENTUM_TF) if kwargs.pop('bn_tf', False) else {}
    for key in ('momentum', 'eps'):
        value = kwargs.pop(f'bn_{key}', None)
        if value is not None:
            bn_args[key] = value
    if norm_layer is not None:
        if bn_args:
            _logger.warning('bn_* arguments %s are ignored by a non-BatchNorm norm_layer.', sorted(bn_args))
        return norm_layer
    return partial(BatchNormAct2d, **bn_args)


def pop_drop_path_rate(kwargs: Dict[str, Any]) -> None:
    """Map the deprecated `drop_connect_rate` (the TF name for stochastic depth) onto `drop_path_rate`."""
    if 'drop_connect_rate' in kwargs:
        rate = kwargs.pop('drop_connect_rate')
        _logger.warning('drop_connect_rate is deprecated, use drop_path_rate.')
        if rate is not None:
            kwargs.setdefault('drop_path_rate', rate)


# efficientnet_pytorch (lukemelas) names -> ours; block sub-modules depend on whether the block expands
_EP_TOP = {'_conv_stem': 'conv_stem', '_bn0': 'bn1', '_conv_head': 'conv_head', '_bn1': 'bn2', '_fc': 'classifier'}
_EP_DS = {'_depthwise_conv': 'conv_dw', '_bn1': 'bn1', '_se_reduce': 'se.conv_reduce', '_se_expand': 'se.conv_expand',
          '_project_conv': 'conv_pw', '_bn2': 'bn2'}
_EP_IR = {'_expand_conv': 'conv_pw', '_bn0': 'bn1', '_depthwise_conv': 'conv_dw', '_bn1': 'bn2',
          '_se_reduce': 'se.conv_reduce', '_se_expand': 'se.conv_expand', '_project_conv': 'conv_pwl', '_bn2': 'bn3'}


def convert_efficientnet_pytorch(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Rename a checkpoint of the `efficientnet_pytorch` package layout to ours.

    That package numbers blocks globally (`_blocks.7`); ours are `blocks.<stage>.<index>`, so the model's own
    stage lengths give the mapping. A block without `_expand_conv` is a depthwise-separable one.
    """
    positions = [(s, i) for s, stage in enumerate(model.blocks) for i in range(len(stage))]
    expanding = {int(m.group(1)) for k in state_dict if (m := re.match(r'_blocks\.(\d+)\._expand_conv\.', k))}
    out = {}
    for key, value in state_dict.items():
        match = re.match(r'_blocks\.(\d+)\.(\w+)\.(\w+)$', key)
        if match:
            n, module, param = int(match.group(1)), match.group(2), match.group(3)
            if n >= len(positions):
                raise ValueError(f'Checkpoint block {n} does not exist in a model of {len(positions)} blocks.')
            stage, idx = positions[n]
            names = _EP_IR if n in expanding else _EP_DS
            out[f'blocks.{stage}.{idx}.{names[module]}.{param}'] = value
        else:
            module, param = key.rsplit('.', 1)
            out[f'{_EP_TOP.get(module, module)}.{param}'] = value
    return out
