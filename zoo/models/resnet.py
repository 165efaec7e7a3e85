"""ResNet, ResNeXt, Wide ResNet, SE-ResNet(X), ECA-ResNet, ResNet-RS and anti-aliased ResNets.

Papers:
- ResNet: "Deep Residual Learning for Image Recognition", He et al., 2015 (arXiv:1512.03385).
- ResNet-B/C/D tweaks (deep stem, average-pool downsample): "Bag of Tricks for Image Classification with
  Convolutional Neural Networks", He et al., 2018 (arXiv:1812.01187).
- ResNeXt: "Aggregated Residual Transformations for Deep Neural Networks", Xie et al., 2016 (arXiv:1611.05431).
- Wide ResNet: Zagoruyko & Komodakis, 2016 (arXiv:1605.07146).
- SE: "Squeeze-and-Excitation Networks", Hu et al., 2017 (arXiv:1709.01507).
- ECA: "ECA-Net", Wang et al., 2019 (arXiv:1910.03151).
- ResNet-RS: "Revisiting ResNets: Improved Training and Scaling Strategies", Bello et al., 2021 (arXiv:2103.07579):
  ResNet-D with the stem max-pool replaced by a strided 3x3 conv and SE (reduction 4) in every block.
- Anti-aliasing ("resnetblur*", "resnetaa*"): "Making Convolutional Networks Shift-Invariant Again", Zhang, 2019
  (arXiv:1904.11486): strided convs run at stride 1 and a low-pass filter (binomial blur, or a 2x2 average in the
  "aa" variants) subsamples after them; the stem max-pool becomes a dense max followed by the filter.
- Pruned ECA-ResNets: "Knapsack Pruning with Inner Distillation", Aflalo et al., 2020 (arXiv:2002.08258); their
  per-block widths are a table here.

Deviations from the papers, all matching the published timm weights: the stride-2 conv of a bottleneck is the 3x3
(ResNet v1.5, as in torchvision); "d" variants use a three-conv deep stem of width 32 plus average-pool
downsampling; "t" variants use a tiered deep stem (24, 32, 64 channels); "c" / "s" variants have the deep stem (of
width 32 / 64) without the average-pool shortcuts; `senet154` is the GluonCV SENet-154 in this layout. Layer names follow torchvision / timm
(`conv1`, `bn1`, `layer1..4`, `fc`) so their checkpoints load unchanged.

The `*_cifar` models are for 32x32 inputs: a 3x3 stride-1 stem and no max-pool (He et al. 2015, section 4.2 uses
a narrower net; these keep the ImageNet widths so ImageNet weights of the same depth load, stem aside).
"""
import math
import re
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import (
    DropBlock2d,
    DropPath,
    EcaModule,
    LayerType,
    SEModule,
    create_attn,
    create_classifier,
    get_act_layer,
    get_attn,
    get_norm_layer,
)
from zoo.layers.anti_alias import AaLayerType, create_aa, resolve_aa_layer
from zoo.layers.weight_init import he_normal_, init_by_type_, torch_default_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg, no_init
from zoo.models._manipulate import run_sequence
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['ResNet', 'BasicBlock', 'Bottleneck']


def _same_avg_pool_2x2(x: torch.Tensor) -> torch.Tensor:
    # a stride-1 2x2 average with TF-style 'same' padding (one extra row/col at the end, zeros counted); this is
    # what the avg-pool shortcut degenerates to inside dilated stages, and what the published weights assume
    return F.avg_pool2d(F.pad(x, (0, 1, 0, 1)), 2, 1)


class SamePadAvgPool2x2(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _same_avg_pool_2x2(x)


def _uses_aa(aa_layer: Optional[AaLayerType], stride: int, dilation: int, first_dilation: int) -> bool:
    # the anti-aliasing filter takes over the stride of the block's 3x3 conv, and also runs (unstrided) where a
    # dilated stage begins, so the published weights see the same smoothing there
    return bool(aa_layer) and (stride == 2 or first_dilation != dilation)


class BasicBlock(nn.Module):
    """Two 3x3 convs with an identity (or projected) shortcut."""
    expansion = 1

    def __init__(
            self,
            inplanes: int,
            planes: int,
            stride: int = 1,
            downsample: Optional[nn.Module] = None,
            cardinality: int = 1,
            base_width: int = 64,
            reduce_first: int = 1,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.ReLU,
            norm_layer: Type[nn.Module] = nn.BatchNorm2d,
            attn_layer: Optional[LayerType] = None,
            aa_layer: Optional[AaLayerType] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path: Optional[nn.Module] = None,
    ):
        super().__init__()
        if cardinality != 1 or base_width != 64:
            raise ValueError('BasicBlock supports only cardinality=1 and base_width=64; use Bottleneck for ResNeXt.')
        first_planes = planes // reduce_first
        outplanes = planes * self.expansion
        first_dilation = first_dilation or dilation
        use_aa = _uses_aa(aa_layer, stride, dilation, first_dilation)

        self.conv1 = nn.Conv2d(inplanes, first_planes, 3, 1 if use_aa else stride, first_dilation,
                               dilation=first_dilation, bias=False)
        self.bn1 = norm_layer(first_planes)
        self.drop_block = drop_block() if drop_block is not None else nn.Identity()
        self.act1 = act_layer(inplace=True)
        self.aa = create_aa(aa_layer if use_aa else None, first_planes, stride)
        self.conv2 = nn.Conv2d(first_planes, outplanes, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = norm_layer(outplanes)
        self.se = create_attn(attn_layer, outplanes)
        self.act2 = act_layer(inplace=True)
        self.downsample = downsample
        self.drop_path = drop_path

    def zero_init_last(self) -> None:
        if getattr(self.bn2, 'weight', None) is not None:
            nn.init.zeros_(self.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.aa(self.act1(self.drop_block(self.bn1(self.conv1(x)))))
        x = self.bn2(self.conv2(x))
        if self.se is not None:
            x = self.se(x)
        if self.drop_path is not None:
            x = self.drop_path(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        x += shortcut  # in place: x is this block's own fresh tensor, and a new buffer would cost page faults on CPU
        return self.act2(x)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (grouped for ResNeXt, strided) -> 1x1 expand, with a shortcut.

    `widths` gives the three convs' output channels explicitly, for networks whose blocks were pruned channel by
    channel (the 3x3 then has one group). Channel attention keeps the configuration of the unpruned block, which is
    what the pruned weights were derived from (only ECA, whose kernel size follows the width, is width-agnostic).
    """
    expansion = 4

    def __init__(
            self,
            inplanes: int,
            planes: int,
            stride: int = 1,
            downsample: Optional[nn.Module] = None,
            cardinality: int = 1,
            base_width: int = 64,
            reduce_first: int = 1,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.ReLU,
            norm_layer: Type[nn.Module] = nn.BatchNorm2d,
            attn_layer: Optional[LayerType] = None,
            aa_layer: Optional[AaLayerType] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path: Optional[nn.Module] = None,
            widths: Optional[Tuple[int, int, int]] = None,
    ):
        super().__init__()
        if widths is not None and get_attn(attn_layer) not in (None, EcaModule):
            raise ValueError(f'Pruned widths need width-agnostic channel attention (eca or none), got {attn_layer!r}.')
        width = int(math.floor(planes * (base_width / 64)) * cardinality)
        nominal_out = planes * self.expansion
        first_planes, width, outplanes = widths or (width // reduce_first, width, nominal_out)
        first_dilation = first_dilation or dilation
        use_aa = _uses_aa(aa_layer, stride, dilation, first_dilation)

        self.conv1 = nn.Conv2d(inplanes, first_planes, 1, bias=False)
        self.bn1 = norm_layer(first_planes)
        self.act1 = act_layer(inplace=True)
        self.conv2 = nn.Conv2d(first_planes, width, 3, 1 if use_aa else stride, first_dilation,
                               dilation=first_dilation, groups=cardinality, bias=False)
        self.bn2 = norm_layer(width)
        self.drop_block = drop_block() if drop_block is not None else nn.Identity()
        self.act2 = act_layer(inplace=True)
        self.aa = create_aa(aa_layer if use_aa else None, width, stride)
        self.conv3 = nn.Conv2d(width, outplanes, 1, bias=False)
        self.bn3 = norm_layer(outplanes)
        self.se = create_attn(attn_layer, nominal_out)
        self.act3 = act_layer(inplace=True)
        self.downsample = downsample
        self.drop_path = drop_path

    def zero_init_last(self) -> None:
        if getattr(self.bn3, 'weight', None) is not None:
            nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.aa(self.act2(self.drop_block(self.bn2(self.conv2(x)))))
        x = self.bn3(self.conv3(x))
        if self.se is not None:
            x = self.se(x)
        if self.drop_path is not None:
            x = self.drop_path(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        x += shortcut
        return self.act3(x)


def _downsample_conv(in_chs: int, out_chs: int, kernel_size: int, stride: int, dilation: int, first_dilation: int,
                     norm_layer: Type[nn.Module]) -> nn.Module:
    kernel_size = 1 if stride == 1 and dilation == 1 else kernel_size
    first_dilation = first_dilation if kernel_size > 1 else 1
    padding = ((stride - 1) + first_dilation * (kernel_size - 1)) // 2
    return nn.Sequential(
        nn.Conv2d(in_chs, out_chs, kernel_size, stride=stride, padding=padding, dilation=first_dilation, bias=False),
        norm_layer(out_chs),
    )


def _downsample_avg(in_chs: int, out_chs: int, stride: int, dilation: int, norm_layer: Type[nn.Module]) -> nn.Module:
    if stride == 1 and dilation == 1:
        pool = nn.Identity()
    elif stride == 1:
        pool = SamePadAvgPool2x2()
    else:
        pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
    return nn.Sequential(pool, nn.Conv2d(in_chs, out_chs, 1, stride=1, bias=False), norm_layer(out_chs))


def _drop_blocks(drop_prob: float) -> List[Optional[Callable[[], nn.Module]]]:
    # DropBlock on the last two stages only, with the block sizes of the DropBlock paper's ResNet-50 setup
    if not drop_prob:
        return [None] * 4
    return [None, None, partial(DropBlock2d, drop_prob, 5, 0.25), partial(DropBlock2d, drop_prob, 3, 1.0)]


# Channel widths of a network pruned block by block: per stage, its output width and each block's
# (conv1, conv2) widths.
PrunedWidths = Sequence[Tuple[int, Sequence[Tuple[int, int]]]]


def make_stages(
        block_fns: Sequence[Type[nn.Module]],
        channels: Sequence[int],
        block_repeats: Sequence[int],
        inplanes: int,
        stem_reduction: int = 4,
        output_stride: int = 32,
        down_kernel_size: int = 1,
        avg_down: bool = False,
        drop_block_rate: float = 0.,
        drop_path_rate: float = 0.,
        pruned_widths: Optional[PrunedWidths] = None,
        **block_kwargs,
) -> Tuple[List[Tuple[str, nn.Module]], List[Dict[str, Any]]]:
    """Build `layer1..N` (block type `block_fns[i]` in stage i) and their feature_info; stride is traded for dilation
    past `output_stride`."""
    stages, feature_info = [], []
    net_num_blocks = sum(block_repeats)
    net_block_idx = 0
    net_stride = stem_reduction
    dilation = prev_dilation = 1
    nominal_in = inplanes  # the input width of the unpruned net
    norm_layer = block_kwargs['norm_layer']
    for stage_idx, (block_fn, planes, num_blocks, db) in enumerate(
            zip(block_fns, channels, block_repeats, _drop_blocks(drop_block_rate))):
        stage_name = f'layer{stage_idx + 1}'
        stride = 1 if stage_idx == 0 else 2
        if net_stride >= output_stride:
            dilation *= stride
            stride = 1
        else:
            net_stride *= stride
        out_chs = nominal_out = planes * block_fn.expansion
        if pruned_widths is not None:
            out_chs, mid_widths = pruned_widths[stage_idx]
            block_widths = [(w1, w2, out_chs) for w1, w2 in mid_widths]

        downsample = None
        # a pruned net keeps the shortcut projections of the net it was pruned from
        if stride != 1 or nominal_in != nominal_out:
            if avg_down:
                downsample = _downsample_avg(inplanes, out_chs, stride, dilation, norm_layer)
            else:
                downsample = _downsample_conv(
                    inplanes, out_chs, down_kernel_size, stride, dilation, prev_dilation, norm_layer)

        blocks = []
        for block_idx in range(num_blocks):
            # stochastic depth grows linearly with depth across the whole network (Huang et al., 2016)
            block_dpr = drop_path_rate * net_block_idx / max(net_num_blocks - 1, 1)
            extra = dict(widths=block_widths[block_idx]) if pruned_widths is not None else {}
            blocks.append(block_fn(
                inplanes,
                planes,
                stride=stride if block_idx == 0 else 1,
                downsample=downsample if block_idx == 0 else None,
                dilation=dilation,
                first_dilation=prev_dilation if block_idx == 0 else dilation,
                drop_block=db,
                drop_path=DropPath(block_dpr) if block_dpr > 0. else None,
                **extra,
                **block_kwargs,
            ))
            prev_dilation = dilation
            inplanes, nominal_in = out_chs, nominal_out
            net_block_idx += 1
        stages.append((stage_name, nn.Sequential(*blocks)))
        feature_info.append(dict(num_chs=inplanes, reduction=net_stride, module=stage_name))
    return stages, feature_info


def _stem_pool(channels: int, replace_with_conv: bool, aa_layer: Optional[Callable[..., nn.Module]],
               act_layer: Type[nn.Module], norm_layer: Type[nn.Module]) -> nn.Module:
    """The stride-2 step after the stem convs: max-pool, strided conv (ResNet-RS), or either with anti-aliasing."""
    if replace_with_conv:
        layers = [nn.Conv2d(channels, channels, 3, stride=1 if aa_layer else 2, padding=1, bias=False)]
        if aa_layer:
            layers.append(create_aa(aa_layer, channels, stride=2))
        return nn.Sequential(*layers, norm_layer(channels), act_layer(inplace=True))
    if aa_layer is None:
        return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
    aa = create_aa(aa_layer, channels, stride=2)
    if isinstance(aa, nn.AvgPool2d):
        return aa  # a 2x2 average replaces the max-pool entirely
    # a dense (stride 1) max then a blurred subsample: the max-pool of the paper's anti-aliased networks
    return nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1), aa)


class ResNet(ZooModel):
    """ResNet and its variants, selected by block type, stem type, width and attention.

    Args:
        block: BasicBlock or Bottleneck (or another block with their signature), or one per stage.
        layers: blocks per stage.
        num_classes: classifier outputs; 0 removes the classifier (forward returns pooled features).
        in_chans: input image channels.
        output_stride: 32, 16 or 8; the last stages dilate instead of striding past it.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' for unpooled feature maps (with num_classes=0).
        cardinality: groups of the 3x3 conv (ResNeXt).
        base_width: per-group width factor of the 3x3 conv (ResNeXt / Wide ResNet).
        stem_width: channels of the deep stem's first convs.
        stem_type: '' (7x7 conv), 'deep' (3 x 3x3), 'deep_tiered' (3 x 3x3 of 24/32/64), 'cifar' (one 3x3 stride 1,
            no max-pool).
        avg_down: average-pool then 1x1 conv in projection shortcuts (ResNet-D).
        down_kernel_size: kernel of a strided conv shortcut.
        act_layer: activation (name or class).
        norm_layer: normalisation (name or class).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        drop_block_rate: DropBlock rate in the last two stages.
        zero_init_last: start residual branches at zero (Goyal et al., 2017).
        block_args: extra block arguments, e.g. dict(attn_layer='se').
        replace_stem_pool: downsample the stem with a strided 3x3 conv + norm + act instead of the max-pool
            (ResNet-RS, Bello et al., 2021, arXiv:2103.07579).
        block_reduce_first: width divisor of each block's first conv (SENet-154's 2x-wide bottleneck input).
        aa_layer: anti-aliasing filter ('avg', 'blur' or a class) replacing the stride of the stem pool and of the
            strided convs (Zhang, 2019, arXiv:1904.11486).
        pruned_widths: explicit per-stage / per-block widths of a channel-pruned net (see `PrunedWidths`); Bottleneck
            blocks only.
    """
    # level 0 is the stem's activation (before the max-pool), levels 1-4 the residual stages
    trunk = Trunk(levels=(('conv1', 'bn1', 'act1'), ('maxpool', 'layer1'), ('layer2',), ('layer3',), ('layer4',)))
    classifier_name = 'fc'
    groups = dict(stem=r'^conv1|bn1|maxpool', blocks=r'^layer(\d+)\.(\d+)', coarse=r'^layer(\d+)')

    def __init__(
            self,
            block: Union[Type[nn.Module], Sequence[Type[nn.Module]]] = Bottleneck,
            layers: Sequence[int] = (3, 4, 6, 3),
            num_classes: int = 1000,
            in_chans: int = 3,
            output_stride: int = 32,
            global_pool: str = 'avg',
            cardinality: int = 1,
            base_width: int = 64,
            stem_width: int = 64,
            stem_type: str = '',
            avg_down: bool = False,
            down_kernel_size: int = 1,
            channels: Sequence[int] = (64, 128, 256, 512),
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            drop_block_rate: float = 0.,
            zero_init_last: bool = True,
            block_args: Optional[Dict[str, Any]] = None,
            replace_stem_pool: bool = False,
            block_reduce_first: int = 1,
            aa_layer: Optional[AaLayerType] = None,
            pruned_widths: Optional[PrunedWidths] = None,
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        if stem_type not in ('', 'deep', 'deep_tiered', 'cifar'):
            raise ValueError(f"Unknown stem_type {stem_type!r}; use '', 'deep', 'deep_tiered' or 'cifar'.")
        act_layer = get_act_layer(act_layer)
        norm_layer = get_norm_layer(norm_layer)
        aa_layer = resolve_aa_layer(aa_layer)
        block_fns = tuple(block) if isinstance(block, (list, tuple)) else (block,) * len(channels)
        if not len(block_fns) == len(channels) == len(layers):
            raise ValueError(f'block (one per stage), channels and layers must have the same length, got '
                             f'{len(block_fns)}, {len(channels)} and {len(layers)}.')
        block_args = dict(block_args or {})
        # block options that only BasicBlock / Bottleneck know are passed when used, so that families with their own
        # blocks (Res2Net, ResNeSt, SK) keep working unchanged
        if block_reduce_first != 1:
            block_args['reduce_first'] = block_reduce_first
        if aa_layer is not None:
            block_args['aa_layer'] = aa_layer
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        self.grad_checkpointing = False

        # torch gives every conv / linear a kaiming-uniform init that init_weights then replaces; skipping it
        # roughly halves the cost of building a randomly initialised ResNet (init_weights restores the layers
        # whose default init it does not replace)
        with no_init(('kaiming_uniform_',)):
            # stem
            deep_stem = 'deep' in stem_type
            inplanes = stem_width * 2 if deep_stem else 64
            if deep_stem:
                stem_chs = (3 * (stem_width // 4), stem_width) if 'tiered' in stem_type else (stem_width, stem_width)
                self.conv1 = nn.Sequential(
                    nn.Conv2d(in_chans, stem_chs[0], 3, stride=2, padding=1, bias=False),
                    norm_layer(stem_chs[0]),
                    act_layer(inplace=True),
                    nn.Conv2d(stem_chs[0], stem_chs[1], 3, stride=1, padding=1, bias=False),
                    norm_layer(stem_chs[1]),
                    act_layer(inplace=True),
                    nn.Conv2d(stem_chs[1], inplanes, 3, stride=1, padding=1, bias=False),
                )
            elif stem_type == 'cifar':
                self.conv1 = nn.Conv2d(in_chans, inplanes, 3, stride=1, padding=1, bias=False)
            else:
                self.conv1 = nn.Conv2d(in_chans, inplanes, 7, stride=2, padding=3, bias=False)
            self.bn1 = norm_layer(inplanes)
            self.act1 = act_layer(inplace=True)
            stem_reduction = 1 if stem_type == 'cifar' else 2
            self.feature_info = [dict(num_chs=inplanes, reduction=stem_reduction, module='act1')]
            if stem_type == 'cifar':
                self.maxpool = nn.Identity()
            else:
                # the stem's downsampling keeps the name `maxpool` whatever it is, for weight compatibility
                self.maxpool = _stem_pool(inplanes, replace_stem_pool, aa_layer, act_layer, norm_layer)
                stem_reduction *= 2

            stages, stage_info = make_stages(
                block_fns, channels, layers, inplanes,
                stem_reduction=stem_reduction,
                output_stride=output_stride,
                down_kernel_size=down_kernel_size,
                avg_down=avg_down,
                drop_block_rate=drop_block_rate,
                drop_path_rate=drop_path_rate,
                pruned_widths=pruned_widths,
                cardinality=cardinality,
                base_width=base_width,
                act_layer=act_layer,
                norm_layer=norm_layer,
                **block_args,
            )
            for name, stage in stages:
                self.add_module(name, stage)
            self.stage_names = tuple(name for name, _ in stages)
            self.feature_info += stage_info

            self.num_features = self.head_hidden_size = stage_info[-1]['num_chs']
            self.global_pool, self.fc = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.init_weights(zero_init_last=zero_init_last)

    def init_weights(self, zero_init_last: bool = True) -> None:
        init_by_type_(self, [(nn.Conv2d, partial(he_normal_, zero_bias=False)), ((nn.Linear, nn.Conv1d), torch_default_)],
                      zero_init_last=zero_init_last)

    def _stages(self) -> List[nn.Module]:
        return [getattr(self, name) for name in self.stage_names]

    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.act1(self.bn1(self.conv1(x)))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.forward_stem(x))
        if torch.jit.is_scripting():  # the four stages by name: TorchScript cannot run a list built by getattr
            return self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return run_sequence(self._stages(), x, self.grad_checkpointing)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self._pooled(x)
        return pooled if pre_logits else self.fc(pooled)


_MMPRETRAIN_RENAMES = (
    (re.compile(r'^backbone\.'), ''),
    (re.compile(r'^head\.fc\.'), 'fc.'),
    (re.compile(r'^norm1\.'), 'bn1.'),
    (re.compile(r'^(layer\d+\.\d+)\.norm(\d)\.'), r'\1.bn\2.'),
)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the layouts ResNet weights are published in besides timm's own.

    torchvision checkpoints already use this layout (conv1 / bn1 / layerN.M / downsample.0-1 / fc). mmpretrain /
    mmcls checkpoints of the plain-stem ResNets prefix `backbone.`, call norms `normN` and keep the classifier
    under `head.fc`.
    """
    if not any(k.startswith(('backbone.', 'head.')) for k in state_dict):
        return state_dict
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in _MMPRETRAIN_RENAMES:
            key = pattern.sub(repl, key)
        if key.startswith('data_preprocessor.'):
            continue
        out[key] = value
    return out


def _create_resnet(variant: str, pretrained: bool = False, **kwargs) -> ResNet:
    return build_model_with_cfg(ResNet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn, **kwargs)


def _rcfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='conv1', classifier='fc', pool_size=(7, 7), interpolation='bicubic',
               crop_pct=0.875, license='apache-2.0', paper_ids='arXiv:1512.03385')
    cfg.update(kwargs)
    return cfg


def _ccfg(**kwargs) -> Dict[str, Any]:
    """Cfg of the 32x32-input variants (no published weights)."""
    return _rcfg(hf_hub_id=None, input_size=(3, 32, 32), pool_size=(4, 4), crop_pct=1.0, license=None, **kwargs)


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'resnet10t.c3_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), test_crop_pct=0.95, first_conv='conv1.0', pool_size=(6, 6)),
    'resnet14t.c3_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), test_crop_pct=0.95, first_conv='conv1.0', pool_size=(6, 6)),
    'resnet18.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet18.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet18.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnet18.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnet18.fb_ssl_yfcc100m_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnet18.fb_swsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnet18.gluon_in1k': _rcfg(),
    'resnet18d.ra2_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'resnet18d.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.9, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), first_conv='conv1.0'),
    'resnet34.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet34.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet34.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnet34.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnet34.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.9, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'resnet34.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnet34.gluon_in1k': _rcfg(),
    'resnet34d.ra2_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'resnet26.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnet26t.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.94, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
    'resnet26d.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'resnet50.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet50.a1h_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), crop_pct=0.9, test_crop_pct=1.0, pool_size=(6, 6)),
    'resnet50.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet50.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnet50.b1k_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet50.b2k_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet50.c1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet50.c2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet50.d_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet50.ram_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnet50.am_in1k': _rcfg(),
    'resnet50.ra_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnet50.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnet50.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnet50.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'resnet50.bamboo': _rcfg(crop_pct=1.0, num_classes=0, license=None),
    'resnet50.fb_ssl_yfcc100m_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnet50.fb_swsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnet50.gluon_in1k': _rcfg(),
    'resnet50c.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet50d.ra2_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'resnet50d.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), first_conv='conv1.0'),
    'resnet50d.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'resnet50d.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'resnet50d.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, first_conv='conv1.0', pool_size=(5, 5)),
    'resnet50d.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet50s.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet50t.untrained': _rcfg(hf_hub_id=None),
    'resnet101.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet101.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet101.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet101.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnet101.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnet101.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'resnet101.gluon_in1k': _rcfg(),
    'resnet101c.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet101d.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
    'resnet101d.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet101s.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet152.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet152.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet152.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet152.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnet152.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnet152.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'resnet152.gluon_in1k': _rcfg(),
    'resnet152c.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet152d.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
    'resnet152d.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet152s.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet200.untrained': _rcfg(hf_hub_id=None, test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnet200d.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
    'wide_resnet50_2.racm_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'wide_resnet50_2.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'wide_resnet50_2.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'wide_resnet101_2.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'wide_resnet101_2.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'resnet50_gn.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.94, test_crop_pct=0.95),
    'resnext50_32x4d.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnext50_32x4d.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnext50_32x4d.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnext50_32x4d.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnext50_32x4d.ra_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnext50_32x4d.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnext50_32x4d.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'resnext50_32x4d.fb_ssl_yfcc100m_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext50_32x4d.fb_swsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext50_32x4d.gluon_in1k': _rcfg(),
    'resnext50d_32x4d.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'resnext101_32x4d.fb_ssl_yfcc100m_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_32x4d.untrained': _rcfg(hf_hub_id=None),
    'resnext101_32x4d.fb_swsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_32x4d.gluon_in1k': _rcfg(),
    'resnext101_32x8d.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnext101_32x8d.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'resnext101_32x8d.fb_wsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_32x8d.fb_ssl_yfcc100m_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_32x8d.fb_swsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_32x16d.fb_wsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_32x16d.fb_ssl_yfcc100m_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_32x16d.fb_swsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_32x32d.fb_wsl_ig1b_ft_in1k': _rcfg(interpolation='bilinear', license='cc-by-nc-4.0'),
    'resnext101_64x4d.c1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnext101_64x4d.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnext101_64x4d.gluon_in1k': _rcfg(),
    'ecaresnet26t.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), test_crop_pct=0.95, first_conv='conv1.0', pool_size=(8, 8)),
    'ecaresnet50d.miil_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'ecaresnet50d_pruned.miil_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0', paper_ids='arXiv:2002.08258'),
    'ecaresnet50t.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), test_crop_pct=0.95, first_conv='conv1.0', pool_size=(8, 8)),
    'ecaresnet50t.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'ecaresnet50t.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'ecaresnet50t.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, first_conv='conv1.0', pool_size=(5, 5)),
    'ecaresnetlight.miil_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'ecaresnet101d.miil_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'ecaresnet101d_pruned.miil_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0', paper_ids='arXiv:2002.08258'),
    'ecaresnet200d.untrained': _rcfg(hf_hub_id=None, input_size=(3, 256, 256), test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=0.95, first_conv='conv1.0', pool_size=(8, 8)),
    'ecaresnet269d.ra2_in1k': _rcfg(input_size=(3, 320, 320), test_input_size=(3, 352, 352), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(10, 10)),
    'ecaresnext26t_32x4d.untrained': _rcfg(hf_hub_id=None, first_conv='conv1.0'),
    'ecaresnext50t_32x4d.untrained': _rcfg(hf_hub_id=None, first_conv='conv1.0'),
    'seresnet18.untrained': _rcfg(hf_hub_id=None),
    'seresnet34.untrained': _rcfg(hf_hub_id=None),
    'seresnet50.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'seresnet50.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'seresnet50.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'seresnet50.ra2_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'seresnet50t.untrained': _rcfg(hf_hub_id=None, test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'seresnet101.untrained': _rcfg(hf_hub_id=None),
    'seresnet152.untrained': _rcfg(hf_hub_id=None),
    'seresnet152d.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
    'seresnet200d.untrained': _rcfg(hf_hub_id=None, input_size=(3, 256, 256), test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0', pool_size=(8, 8)),
    'seresnet269d.untrained': _rcfg(hf_hub_id=None, input_size=(3, 256, 256), test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0', pool_size=(8, 8)),
    'seresnext26d_32x4d.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'seresnext26t_32x4d.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'seresnext50_32x4d.racm_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'seresnext50_32x4d.gluon_in1k': _rcfg(),
    'seresnext101_32x4d.gluon_in1k': _rcfg(),
    'seresnext101_32x4d.untrained': _rcfg(hf_hub_id=None, test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'seresnext101_32x8d.ah_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'seresnext101d_32x8d.ah_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'seresnext101_64x4d.gluon_in1k': _rcfg(),
    'senet154.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnetblur18.untrained': _rcfg(hf_hub_id=None, test_input_size=(3, 288, 288), test_crop_pct=0.95, paper_ids='arXiv:1904.11486'),
    'resnetblur50.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, paper_ids='arXiv:1904.11486'),
    'resnetblur50d.untrained': _rcfg(hf_hub_id=None, test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0', paper_ids='arXiv:1904.11486'),
    'resnetblur101d.untrained': _rcfg(hf_hub_id=None, test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0', paper_ids='arXiv:1904.11486'),
    'resnetaa34d.untrained': _rcfg(hf_hub_id=None, test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'resnetaa50.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnetaa50d.sw_in12k_ft_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'resnetaa50d.sw_in12k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, num_classes=11821, first_conv='conv1.0'),
    'resnetaa50d.d_in12k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, num_classes=11821, first_conv='conv1.0'),
    'resnetaa101d.sw_in12k_ft_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'resnetaa101d.sw_in12k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, num_classes=11821, first_conv='conv1.0'),
    'seresnetaa50d.untrained': _rcfg(hf_hub_id=None, test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'seresnextaa101d_32x8d.sw_in12k_ft_in1k_288': _rcfg(input_size=(3, 288, 288), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(9, 9)),
    'seresnextaa101d_32x8d.sw_in12k_ft_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=1.0, first_conv='conv1.0'),
    'seresnextaa101d_32x8d.sw_in12k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, num_classes=11821, first_conv='conv1.0'),
    'seresnextaa101d_32x8d.ah_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'seresnextaa201d_32x8d.sw_in12k_ft_in1k_384': _rcfg(input_size=(3, 384, 384), crop_pct=1.0, first_conv='conv1.0', pool_size=(12, 12)),
    'seresnextaa201d_32x8d.sw_in12k': _rcfg(input_size=(3, 320, 320), test_input_size=(3, 384, 384), crop_pct=0.95, test_crop_pct=1.0, num_classes=11821, first_conv='conv1.0', pool_size=(10, 10)),
    'resnetrs50.tf_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.91, first_conv='conv1.0', pool_size=(5, 5), paper_ids='arXiv:2103.07579'),
    'resnetrs101.tf_in1k': _rcfg(input_size=(3, 192, 192), test_input_size=(3, 288, 288), crop_pct=0.94, first_conv='conv1.0', pool_size=(6, 6), paper_ids='arXiv:2103.07579'),
    'resnetrs152.tf_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8), paper_ids='arXiv:2103.07579'),
    'resnetrs200.tf_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8), paper_ids='arXiv:2103.07579'),
    'resnetrs270.tf_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 352, 352), crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8), paper_ids='arXiv:2103.07579'),
    'resnetrs350.tf_in1k': _rcfg(input_size=(3, 288, 288), test_input_size=(3, 384, 384), crop_pct=1.0, first_conv='conv1.0', pool_size=(9, 9), paper_ids='arXiv:2103.07579'),
    'resnetrs420.tf_in1k': _rcfg(input_size=(3, 320, 320), test_input_size=(3, 416, 416), crop_pct=1.0, first_conv='conv1.0', pool_size=(10, 10), paper_ids='arXiv:2103.07579'),
    'test_resnet.r160_in1k': _rcfg(input_size=(3, 160, 160), interpolation='bilinear', crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), first_conv='conv1.0', pool_size=(5, 5)),
    'resnet18_cifar': _ccfg(),
    'resnet34_cifar': _ccfg(),
    'resnet50_cifar': _ccfg(),
})


def _resnet(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> ResNet:
    return _create_resnet(variant, pretrained, **dict(model_args, **kwargs))


def _se(**kwargs) -> Dict[str, Any]:
    return dict(kwargs, block_args=dict(attn_layer='se'))


def _eca(**kwargs) -> Dict[str, Any]:
    return dict(kwargs, block_args=dict(attn_layer='eca'))


# stem presets: C = deep stem, S = deep stem of width 64, D = deep stem + average-pool shortcuts, T = tiered deep stem
_C = dict(stem_width=32, stem_type='deep')
_S = dict(stem_width=64, stem_type='deep')
_D = dict(stem_width=32, stem_type='deep', avg_down=True)
_T = dict(stem_width=32, stem_type='deep_tiered', avg_down=True)
# ResNet-RS (Bello et al., 2021): ResNet-D with a strided-conv stem and SE of reduction 4 in every bottleneck
_RS = dict(_D, replace_stem_pool=True, block_args=dict(attn_layer=partial(SEModule, rd_ratio=0.25)))

# Channel widths of the ECA-ResNet-D models pruned by knapsack pruning with inner distillation (Aflalo et al., 2020,
# arXiv:2002.08258), read off the published weights: per stage the output width, per block the widths of its first
# two convs.
_PRUNED_WIDTHS = {
    'ecaresnet50d_pruned': (
        (19, ((47, 18), (52, 22), (64, 35))),
        (171, ((85, 37), (107, 80), (120, 85), (125, 87))),
        (818, ((198, 126), (255, 232), (256, 233), (253, 235), (256, 225), (256, 239))),
        (2022, ((492, 237), (512, 500), (512, 490))),
    ),
    'ecaresnet101d_pruned': (
        (26, ((45, 25), (53, 20), (60, 27))),
        (142, ((81, 24), (93, 49), (102, 54), (122, 78))),
        (278, ((101, 25), (239, 160), (234, 156), (250, 176), (253, 191), (251, 175), (230, 128), (244, 154),
               (244, 159), (238, 97), (244, 149), (253, 181), (245, 119), (255, 216), (256, 201), (253, 149),
               (254, 141), (256, 190), (256, 217), (255, 156), (256, 155), (256, 232), (256, 214))),
        (2042, ((499, 289), (512, 512), (512, 502))),
    ),
}


@register_model
def resnet10t(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-10-T: tiered deep stem, average-pool shortcuts."""
    return _resnet('resnet10t', pretrained, dict(block=BasicBlock, layers=(1, 1, 1, 1), **_T), kwargs)


@register_model
def resnet14t(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet14t', pretrained, dict(block=Bottleneck, layers=(1, 1, 1, 1), **_T), kwargs)


@register_model
def resnet18(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet18', pretrained, dict(block=BasicBlock, layers=(2, 2, 2, 2)), kwargs)


@register_model
def resnet18d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet18d', pretrained, dict(block=BasicBlock, layers=(2, 2, 2, 2), **_D), kwargs)


@register_model
def resnet26(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet26', pretrained, dict(block=Bottleneck, layers=(2, 2, 2, 2)), kwargs)


@register_model
def resnet26d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet26d', pretrained, dict(block=Bottleneck, layers=(2, 2, 2, 2), **_D), kwargs)


@register_model
def resnet26t(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet26t', pretrained, dict(block=Bottleneck, layers=(2, 2, 2, 2), **_T), kwargs)


@register_model
def resnet34(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet34', pretrained, dict(block=BasicBlock, layers=(3, 4, 6, 3)), kwargs)


@register_model
def resnet34d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet34d', pretrained, dict(block=BasicBlock, layers=(3, 4, 6, 3), **_D), kwargs)


@register_model
def resnet50(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet50', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3)), kwargs)


@register_model
def resnet50d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet50d', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), **_D), kwargs)


@register_model
def resnet50t(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet50t', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), **_T), kwargs)


@register_model
def resnet101(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet101', pretrained, dict(block=Bottleneck, layers=(3, 4, 23, 3)), kwargs)


@register_model
def resnet101d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet101d', pretrained, dict(block=Bottleneck, layers=(3, 4, 23, 3), **_D), kwargs)


@register_model
def resnet152(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet152', pretrained, dict(block=Bottleneck, layers=(3, 8, 36, 3)), kwargs)


@register_model
def resnet152d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet152d', pretrained, dict(block=Bottleneck, layers=(3, 8, 36, 3), **_D), kwargs)


@register_model
def resnet200d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet200d', pretrained, dict(block=Bottleneck, layers=(3, 24, 36, 3), **_D), kwargs)


@register_model
def resnext50_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnext50_32x4d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 6, 3), cardinality=32, base_width=4), kwargs)


@register_model
def resnext50d_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnext50d_32x4d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 6, 3), cardinality=32, base_width=4, **_D), kwargs)


@register_model
def resnext101_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnext101_32x4d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=4), kwargs)


@register_model
def resnext101_32x8d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnext101_32x8d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=8), kwargs)


@register_model
def resnext101_64x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnext101_64x4d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=64, base_width=4), kwargs)


@register_model
def wide_resnet50_2(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('wide_resnet50_2', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), base_width=128), kwargs)


@register_model
def wide_resnet101_2(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('wide_resnet101_2', pretrained, dict(block=Bottleneck, layers=(3, 4, 23, 3), base_width=128), kwargs)


@register_model
def seresnet18(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet18', pretrained, _se(block=BasicBlock, layers=(2, 2, 2, 2)), kwargs)


@register_model
def seresnet34(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet34', pretrained, _se(block=BasicBlock, layers=(3, 4, 6, 3)), kwargs)


@register_model
def seresnet50(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet50', pretrained, _se(block=Bottleneck, layers=(3, 4, 6, 3)), kwargs)


@register_model
def seresnet101(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet101', pretrained, _se(block=Bottleneck, layers=(3, 4, 23, 3)), kwargs)


@register_model
def seresnet152(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet152', pretrained, _se(block=Bottleneck, layers=(3, 8, 36, 3)), kwargs)


@register_model
def seresnext26d_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnext26d_32x4d', pretrained,
                   _se(block=Bottleneck, layers=(2, 2, 2, 2), cardinality=32, base_width=4, **_D), kwargs)


@register_model
def seresnext26t_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnext26t_32x4d', pretrained,
                   _se(block=Bottleneck, layers=(2, 2, 2, 2), cardinality=32, base_width=4, **_T), kwargs)


@register_model
def seresnext50_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnext50_32x4d', pretrained,
                   _se(block=Bottleneck, layers=(3, 4, 6, 3), cardinality=32, base_width=4), kwargs)


@register_model
def seresnext101_32x8d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnext101_32x8d', pretrained,
                   _se(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=8), kwargs)


@register_model
def ecaresnet26t(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('ecaresnet26t', pretrained, _eca(block=Bottleneck, layers=(2, 2, 2, 2), **_T), kwargs)


@register_model
def ecaresnet50d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('ecaresnet50d', pretrained, _eca(block=Bottleneck, layers=(3, 4, 6, 3), **_D), kwargs)


@register_model
def ecaresnet50t(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('ecaresnet50t', pretrained, _eca(block=Bottleneck, layers=(3, 4, 6, 3), **_T), kwargs)


@register_model
def ecaresnet101d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('ecaresnet101d', pretrained, _eca(block=Bottleneck, layers=(3, 4, 23, 3), **_D), kwargs)


@register_model
def ecaresnet269d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('ecaresnet269d', pretrained, _eca(block=Bottleneck, layers=(3, 30, 48, 8), **_D), kwargs)


@register_model
def resnet18_cifar(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-18 for 32x32 inputs: 3x3 stride-1 stem, no max-pool (overall stride 8)."""
    return _resnet('resnet18_cifar', pretrained, dict(block=BasicBlock, layers=(2, 2, 2, 2), stem_type='cifar'), kwargs)


@register_model
def resnet34_cifar(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-34 for 32x32 inputs."""
    return _resnet('resnet34_cifar', pretrained, dict(block=BasicBlock, layers=(3, 4, 6, 3), stem_type='cifar'), kwargs)


@register_model
def resnet50_cifar(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-50 for 32x32 inputs."""
    return _resnet('resnet50_cifar', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), stem_type='cifar'), kwargs)


@register_model
def resnet50c(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-50-C: deep 3x3 stem (Bag of Tricks, He et al., 2018)."""
    return _resnet('resnet50c', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), **_C), kwargs)


@register_model
def resnet50s(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-50-S: deep 3x3 stem of width 64 (the GluonCV 's' variants)."""
    return _resnet('resnet50s', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), **_S), kwargs)


@register_model
def resnet101c(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet101c', pretrained, dict(block=Bottleneck, layers=(3, 4, 23, 3), **_C), kwargs)


@register_model
def resnet101s(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet101s', pretrained, dict(block=Bottleneck, layers=(3, 4, 23, 3), **_S), kwargs)


@register_model
def resnet152c(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet152c', pretrained, dict(block=Bottleneck, layers=(3, 8, 36, 3), **_C), kwargs)


@register_model
def resnet152s(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet152s', pretrained, dict(block=Bottleneck, layers=(3, 8, 36, 3), **_S), kwargs)


@register_model
def resnet200(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnet200', pretrained, dict(block=Bottleneck, layers=(3, 24, 36, 3)), kwargs)


@register_model
def resnet50_gn(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-50 with GroupNorm (32 groups) in place of BatchNorm (Wu & He, 2018, arXiv:1803.08494)."""
    return _resnet('resnet50_gn', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), norm_layer='groupnorm'),
                   kwargs)


@register_model
def resnext101_32x16d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnext101_32x16d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=16), kwargs)


@register_model
def resnext101_32x32d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnext101_32x32d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=32), kwargs)


@register_model
def ecaresnetlight(pretrained: bool = False, **kwargs) -> ResNet:
    """ECA-ResNet-Light: 7x7 stem, average-pool shortcuts, (1, 1, 11, 3) bottlenecks."""
    return _resnet('ecaresnetlight', pretrained,
                   _eca(block=Bottleneck, layers=(1, 1, 11, 3), stem_width=32, avg_down=True), kwargs)


@register_model
def ecaresnet50d_pruned(pretrained: bool = False, **kwargs) -> ResNet:
    """ECA-ResNet-50-D with channel-pruned blocks (arXiv:2002.08258)."""
    return _resnet('ecaresnet50d_pruned', pretrained, _eca(
        block=Bottleneck, layers=(3, 4, 6, 3), pruned_widths=_PRUNED_WIDTHS['ecaresnet50d_pruned'], **_D), kwargs)


@register_model
def ecaresnet101d_pruned(pretrained: bool = False, **kwargs) -> ResNet:
    """ECA-ResNet-101-D with channel-pruned blocks (arXiv:2002.08258)."""
    return _resnet('ecaresnet101d_pruned', pretrained, _eca(
        block=Bottleneck, layers=(3, 4, 23, 3), pruned_widths=_PRUNED_WIDTHS['ecaresnet101d_pruned'], **_D), kwargs)


@register_model
def ecaresnet200d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('ecaresnet200d', pretrained, _eca(block=Bottleneck, layers=(3, 24, 36, 3), **_D), kwargs)


@register_model
def ecaresnext26t_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('ecaresnext26t_32x4d', pretrained,
                   _eca(block=Bottleneck, layers=(2, 2, 2, 2), cardinality=32, base_width=4, **_T), kwargs)


@register_model
def ecaresnext50t_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('ecaresnext50t_32x4d', pretrained,
                   _eca(block=Bottleneck, layers=(3, 4, 6, 3), cardinality=32, base_width=4, **_T), kwargs)


@register_model
def seresnet50t(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet50t', pretrained, _se(block=Bottleneck, layers=(3, 4, 6, 3), **_T), kwargs)


@register_model
def seresnet152d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet152d', pretrained, _se(block=Bottleneck, layers=(3, 8, 36, 3), **_D), kwargs)


@register_model
def seresnet200d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet200d', pretrained, _se(block=Bottleneck, layers=(3, 24, 36, 3), **_D), kwargs)


@register_model
def seresnet269d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnet269d', pretrained, _se(block=Bottleneck, layers=(3, 30, 48, 8), **_D), kwargs)


@register_model
def seresnext101_32x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnext101_32x4d', pretrained,
                   _se(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=4), kwargs)


@register_model
def seresnext101_64x4d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnext101_64x4d', pretrained,
                   _se(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=64, base_width=4), kwargs)


@register_model
def seresnext101d_32x8d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnext101d_32x8d', pretrained,
                   _se(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=8, **_D), kwargs)


@register_model
def senet154(pretrained: bool = False, **kwargs) -> ResNet:
    """SENet-154 in ResNet layout (GluonCV weights): 64 x 4d ResNeXt, deep stem, 3x3 conv shortcuts, 2x-wide input
    conv of every bottleneck."""
    return _resnet('senet154', pretrained, _se(
        block=Bottleneck, layers=(3, 8, 36, 3), cardinality=64, base_width=4, stem_type='deep', down_kernel_size=3,
        block_reduce_first=2), kwargs)


@register_model
def resnetblur18(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-18 with blur-pool anti-aliasing (Zhang, 2019)."""
    return _resnet('resnetblur18', pretrained, dict(block=BasicBlock, layers=(2, 2, 2, 2), aa_layer='blur'), kwargs)


@register_model
def resnetblur50(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-50 with blur-pool anti-aliasing (Zhang, 2019)."""
    return _resnet('resnetblur50', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), aa_layer='blur'), kwargs)


@register_model
def resnetblur50d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetblur50d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 6, 3), aa_layer='blur', **_D), kwargs)


@register_model
def resnetblur101d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetblur101d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 23, 3), aa_layer='blur', **_D), kwargs)


@register_model
def resnetaa34d(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-34-D with 2x2 average-pool anti-aliasing in the stem and strided blocks."""
    return _resnet('resnetaa34d', pretrained, dict(block=BasicBlock, layers=(3, 4, 6, 3), aa_layer='avg', **_D), kwargs)


@register_model
def resnetaa50(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetaa50', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), aa_layer='avg'), kwargs)


@register_model
def resnetaa50d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetaa50d', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), aa_layer='avg', **_D), kwargs)


@register_model
def resnetaa101d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetaa101d', pretrained,
                   dict(block=Bottleneck, layers=(3, 4, 23, 3), aa_layer='avg', **_D), kwargs)


@register_model
def seresnetaa50d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnetaa50d', pretrained,
                   _se(block=Bottleneck, layers=(3, 4, 6, 3), aa_layer='avg', **_D), kwargs)


@register_model
def seresnextaa101d_32x8d(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('seresnextaa101d_32x8d', pretrained, _se(
        block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=8, aa_layer='avg', **_D), kwargs)


@register_model
def seresnextaa201d_32x8d(pretrained: bool = False, **kwargs) -> ResNet:
    """SE-ResNeXt-AA-201-D 32x8d: deep stem of width 64, (3, 24, 36, 4) bottlenecks."""
    return _resnet('seresnextaa201d_32x8d', pretrained, _se(
        block=Bottleneck, layers=(3, 24, 36, 4), cardinality=32, base_width=8, aa_layer='avg',
        **dict(_D, stem_width=64)), kwargs)


@register_model
def resnetrs50(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-RS-50 (Bello et al., 2021, arXiv:2103.07579)."""
    return _resnet('resnetrs50', pretrained, dict(block=Bottleneck, layers=(3, 4, 6, 3), **_RS), kwargs)


@register_model
def resnetrs101(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetrs101', pretrained, dict(block=Bottleneck, layers=(3, 4, 23, 3), **_RS), kwargs)


@register_model
def resnetrs152(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetrs152', pretrained, dict(block=Bottleneck, layers=(3, 8, 36, 3), **_RS), kwargs)


@register_model
def resnetrs200(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetrs200', pretrained, dict(block=Bottleneck, layers=(3, 24, 36, 3), **_RS), kwargs)


@register_model
def resnetrs270(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetrs270', pretrained, dict(block=Bottleneck, layers=(4, 29, 53, 4), **_RS), kwargs)


@register_model
def resnetrs350(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetrs350', pretrained, dict(block=Bottleneck, layers=(4, 36, 72, 4), **_RS), kwargs)


@register_model
def resnetrs420(pretrained: bool = False, **kwargs) -> ResNet:
    return _resnet('resnetrs420', pretrained, dict(block=Bottleneck, layers=(4, 44, 87, 4), **_RS), kwargs)


@register_model
def test_resnet(pretrained: bool = False, **kwargs) -> ResNet:
    """A tiny ResNet for tests: mixed block types, narrow stages, one block each."""
    return _resnet('test_resnet', pretrained, dict(
        block=(BasicBlock, BasicBlock, Bottleneck, BasicBlock), layers=(1, 1, 1, 1), stem_width=16, stem_type='deep',
        avg_down=True, channels=(32, 48, 48, 96)), kwargs)
