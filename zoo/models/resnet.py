"""ResNet, ResNeXt, Wide ResNet, SE-ResNet(X) and ECA-ResNet.

Papers:
- ResNet: "Deep Residual Learning for Image Recognition", He et al., 2015 (arXiv:1512.03385).
- ResNet-B/C/D tweaks (deep stem, average-pool downsample): "Bag of Tricks for Image Classification with
  Convolutional Neural Networks", He et al., 2018 (arXiv:1812.01187).
- ResNeXt: "Aggregated Residual Transformations for Deep Neural Networks", Xie et al., 2016 (arXiv:1611.05431).
- Wide ResNet: Zagoruyko & Komodakis, 2016 (arXiv:1605.07146).
- SE: "Squeeze-and-Excitation Networks", Hu et al., 2017 (arXiv:1709.01507).
- ECA: "ECA-Net", Wang et al., 2019 (arXiv:1910.03151).

Deviations from the papers, all matching the published timm weights: the stride-2 conv of a bottleneck is the 3x3
(ResNet v1.5, as in torchvision); "d" variants use a three-conv deep stem of width 32 plus average-pool
downsampling; "t" variants use a tiered deep stem (24, 32, 64 channels). Layer names follow torchvision / timm
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

from zoo.layers import DropBlock2d, DropPath, LayerType, create_attn, create_classifier, get_act_layer, get_norm_layer
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg, no_init
from zoo.models._manipulate import checkpoint_seq
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
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path: Optional[nn.Module] = None,
    ):
        super().__init__()
        if cardinality != 1 or base_width != 64:
            raise ValueError('BasicBlock supports only cardinality=1 and base_width=64; use Bottleneck for ResNeXt.')
        first_planes = planes // reduce_first
        outplanes = planes * self.expansion
        first_dilation = first_dilation or dilation

        self.conv1 = nn.Conv2d(inplanes, first_planes, 3, stride, first_dilation, dilation=first_dilation, bias=False)
        self.bn1 = norm_layer(first_planes)
        self.drop_block = drop_block() if drop_block is not None else nn.Identity()
        self.act1 = act_layer(inplace=True)
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
        x = self.act1(self.drop_block(self.bn1(self.conv1(x))))
        x = self.bn2(self.conv2(x))
        if self.se is not None:
            x = self.se(x)
        if self.drop_path is not None:
            x = self.drop_path(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act2(x + shortcut)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (grouped for ResNeXt, strided) -> 1x1 expand, with a shortcut."""
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
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path: Optional[nn.Module] = None,
    ):
        super().__init__()
        width = int(math.floor(planes * (base_width / 64)) * cardinality)
        first_planes = width // reduce_first
        outplanes = planes * self.expansion
        first_dilation = first_dilation or dilation

        self.conv1 = nn.Conv2d(inplanes, first_planes, 1, bias=False)
        self.bn1 = norm_layer(first_planes)
        self.act1 = act_layer(inplace=True)
        self.conv2 = nn.Conv2d(first_planes, width, 3, stride, first_dilation, dilation=first_dilation,
                               groups=cardinality, bias=False)
        self.bn2 = norm_layer(width)
        self.drop_block = drop_block() if drop_block is not None else nn.Identity()
        self.act2 = act_layer(inplace=True)
        self.conv3 = nn.Conv2d(width, outplanes, 1, bias=False)
        self.bn3 = norm_layer(outplanes)
        self.se = create_attn(attn_layer, outplanes)
        self.act3 = act_layer(inplace=True)
        self.downsample = downsample
        self.drop_path = drop_path

    def zero_init_last(self) -> None:
        if getattr(self.bn3, 'weight', None) is not None:
            nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.drop_block(self.bn2(self.conv2(x))))
        x = self.bn3(self.conv3(x))
        if self.se is not None:
            x = self.se(x)
        if self.drop_path is not None:
            x = self.drop_path(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act3(x + shortcut)


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


def make_stages(
        block_fn: Type[Union[BasicBlock, Bottleneck]],
        channels: Sequence[int],
        block_repeats: Sequence[int],
        inplanes: int,
        stem_reduction: int = 4,
        output_stride: int = 32,
        down_kernel_size: int = 1,
        avg_down: bool = False,
        drop_block_rate: float = 0.,
        drop_path_rate: float = 0.,
        **block_kwargs,
) -> Tuple[List[Tuple[str, nn.Module]], List[Dict[str, Any]]]:
    """Build `layer1..N` and their feature_info; stride is traded for dilation past `output_stride`."""
    stages, feature_info = [], []
    net_num_blocks = sum(block_repeats)
    net_block_idx = 0
    net_stride = stem_reduction
    dilation = prev_dilation = 1
    norm_layer = block_kwargs['norm_layer']
    for stage_idx, (planes, num_blocks, db) in enumerate(zip(channels, block_repeats, _drop_blocks(drop_block_rate))):
        stage_name = f'layer{stage_idx + 1}'
        stride = 1 if stage_idx == 0 else 2
        if net_stride >= output_stride:
            dilation *= stride
            stride = 1
        else:
            net_stride *= stride

        downsample = None
        if stride != 1 or inplanes != planes * block_fn.expansion:
            out_chs = planes * block_fn.expansion
            if avg_down:
                downsample = _downsample_avg(inplanes, out_chs, stride, dilation, norm_layer)
            else:
                downsample = _downsample_conv(
                    inplanes, out_chs, down_kernel_size, stride, dilation, prev_dilation, norm_layer)

        blocks = []
        for block_idx in range(num_blocks):
            # stochastic depth grows linearly with depth across the whole network (Huang et al., 2016)
            block_dpr = drop_path_rate * net_block_idx / max(net_num_blocks - 1, 1)
            blocks.append(block_fn(
                inplanes,
                planes,
                stride=stride if block_idx == 0 else 1,
                downsample=downsample if block_idx == 0 else None,
                dilation=dilation,
                first_dilation=prev_dilation if block_idx == 0 else dilation,
                drop_block=db,
                drop_path=DropPath(block_dpr) if block_dpr > 0. else None,
                **block_kwargs,
            ))
            prev_dilation = dilation
            inplanes = planes * block_fn.expansion
            net_block_idx += 1
        stages.append((stage_name, nn.Sequential(*blocks)))
        feature_info.append(dict(num_chs=inplanes, reduction=net_stride, module=stage_name))
    return stages, feature_info


class ResNet(ZooModel):
    """ResNet and its variants, selected by block type, stem type, width and attention.

    Args:
        block: BasicBlock or Bottleneck.
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
    """
    # level 0 is the stem's activation (before the max-pool), levels 1-4 the residual stages
    trunk = Trunk(levels=(('conv1', 'bn1', 'act1'), ('maxpool', 'layer1'), ('layer2',), ('layer3',), ('layer4',)))
    classifier_name = 'fc'
    groups = dict(stem=r'^conv1|bn1|maxpool', blocks=r'^layer(\d+)\.(\d+)', coarse=r'^layer(\d+)')

    def __init__(
            self,
            block: Union[Type[BasicBlock], Type[Bottleneck]] = Bottleneck,
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
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        if stem_type not in ('', 'deep', 'deep_tiered', 'cifar'):
            raise ValueError(f"Unknown stem_type {stem_type!r}; use '', 'deep', 'deep_tiered' or 'cifar'.")
        act_layer = get_act_layer(act_layer)
        norm_layer = get_norm_layer(norm_layer)
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
                self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
                stem_reduction *= 2

            stages, stage_info = make_stages(
                block, channels, layers, inplanes,
                stem_reduction=stem_reduction,
                output_stride=output_stride,
                down_kernel_size=down_kernel_size,
                avg_down=avg_down,
                drop_block_rate=drop_block_rate,
                drop_path_rate=drop_path_rate,
                cardinality=cardinality,
                base_width=base_width,
                act_layer=act_layer,
                norm_layer=norm_layer,
                **(block_args or {}),
            )
            for name, stage in stages:
                self.add_module(name, stage)
            self.stage_names = tuple(name for name, _ in stages)
            self.feature_info += stage_info

            self.num_features = self.head_hidden_size = channels[-1] * block.expansion
            self.global_pool, self.fc = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.init_weights(zero_init_last=zero_init_last)

    def init_weights(self, zero_init_last: bool = True) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, (nn.Linear, nn.Conv1d)):
                m.reset_parameters()  # torch's default init, skipped during construction
        if zero_init_last:
            for m in self.modules():
                if hasattr(m, 'zero_init_last'):
                    m.zero_init_last()

    def _stages(self) -> List[nn.Module]:
        return [getattr(self, name) for name in self.stage_names]

    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.act1(self.bn1(self.conv1(x)))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.forward_stem(x))
        if self.grad_checkpointing and not torch.jit.is_scripting():
            return checkpoint_seq(self._stages(), x)
        for stage in self._stages():
            x = stage(x)
        return x

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.global_pool(x)
        if self.drop_rate:
            x = F.dropout(x, p=float(self.drop_rate), training=self.training)
        return x if pre_logits else self.fc(x)


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
    'resnet26.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnet26d.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'resnet26t.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.94, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
    'resnet34.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet34.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet34.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnet34.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'resnet34.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.9, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'resnet34.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnet34.gluon_in1k': _rcfg(),
    'resnet34d.ra2_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
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
    'resnet50d.ra2_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'resnet50d.ra4_e3600_r224_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), first_conv='conv1.0'),
    'resnet50d.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'resnet50d.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'resnet50d.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, first_conv='conv1.0', pool_size=(5, 5)),
    'resnet50d.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet50t.untrained': _rcfg(hf_hub_id=None),
    'resnet101.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet101.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet101.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet101.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnet101.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnet101.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'resnet101.gluon_in1k': _rcfg(),
    'resnet101d.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
    'resnet101d.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet152.a1h_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet152.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet152.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnet152.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'resnet152.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnet152.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'resnet152.gluon_in1k': _rcfg(),
    'resnet152d.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
    'resnet152d.gluon_in1k': _rcfg(first_conv='conv1.0'),
    'resnet200d.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(8, 8)),
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
    'resnext101_64x4d.c1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'resnext101_64x4d.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'resnext101_64x4d.gluon_in1k': _rcfg(),
    'wide_resnet50_2.racm_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'wide_resnet50_2.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'wide_resnet50_2.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'wide_resnet101_2.tv_in1k': _rcfg(interpolation='bilinear', license='bsd-3-clause'),
    'wide_resnet101_2.tv2_in1k': _rcfg(input_size=(3, 176, 176), test_input_size=(3, 224, 224), interpolation='bilinear', test_crop_pct=0.965, pool_size=(6, 6), license='bsd-3-clause'),
    'seresnet18.untrained': _rcfg(hf_hub_id=None),
    'seresnet34.untrained': _rcfg(hf_hub_id=None),
    'seresnet50.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'seresnet50.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'seresnet50.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, pool_size=(5, 5)),
    'seresnet50.ra2_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'seresnet101.untrained': _rcfg(hf_hub_id=None),
    'seresnet152.untrained': _rcfg(hf_hub_id=None),
    'seresnext26d_32x4d.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'seresnext26t_32x4d.bt_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'seresnext50_32x4d.racm_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'seresnext50_32x4d.gluon_in1k': _rcfg(),
    'seresnext101_32x8d.ah_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0),
    'ecaresnet26t.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), test_crop_pct=0.95, first_conv='conv1.0', pool_size=(8, 8)),
    'ecaresnet50d.miil_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'ecaresnet50t.ra2_in1k': _rcfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), test_crop_pct=0.95, first_conv='conv1.0', pool_size=(8, 8)),
    'ecaresnet50t.a1_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'ecaresnet50t.a2_in1k': _rcfg(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0'),
    'ecaresnet50t.a3_in1k': _rcfg(input_size=(3, 160, 160), test_input_size=(3, 224, 224), crop_pct=0.95, test_crop_pct=0.95, first_conv='conv1.0', pool_size=(5, 5)),
    'ecaresnet101d.miil_in1k': _rcfg(test_input_size=(3, 288, 288), test_crop_pct=0.95, first_conv='conv1.0'),
    'ecaresnet269d.ra2_in1k': _rcfg(input_size=(3, 320, 320), test_input_size=(3, 352, 352), crop_pct=0.95, test_crop_pct=1.0, first_conv='conv1.0', pool_size=(10, 10)),
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


# stem presets
_D = dict(stem_width=32, stem_type='deep', avg_down=True)
_T = dict(stem_width=32, stem_type='deep_tiered', avg_down=True)


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
