"""TResNet: a ResNet redesigned for GPU throughput.

Papers:
- "TResNet: High Performance GPU-Dedicated Architecture", Ridnik et al., 2020 (arXiv:2003.13630).
- "ImageNet-21K Pretraining for the Masses", Ridnik et al., 2021 (arXiv:2104.10972): the 21k-pretrained weights and
  the v2 model (bottleneck blocks in every stage).

The design (paper section 3): a space-to-depth stem (4x4 patches folded into channels) followed by one 3x3 conv
instead of the 7x7 conv + max-pool; basic blocks in the first two stages and bottlenecks after; anti-aliased
downsampling (a blur-pool after the stride-1 3x3, Zhang 2019) in every strided block; average-pool shortcuts; SE in
all but the last stage, with a reduction of 4 (basic) or 8 (bottleneck, placed after the 3x3) and at least 64
channels; leaky ReLU (slope 1e-3) inside the blocks. The original was trained with Inplace-ABN (leaky ReLU 0.01 in the
stem); timm's converted weights, whose layout this follows, use BatchNorm + activation, and `checkpoint_filter_fn`
converts the original checkpoints.

Deviation from timm: `feature_info[0]` (the stem conv) reports reduction 4, the stride its output really has.
"""
import re
from collections import OrderedDict
from functools import partial
from typing import Any, Callable, Dict, Optional, Sequence, Type, Union

import torch
import torch.nn as nn

from zoo.layers import ClassifierHead, DropPath, SEModule, stagewise_drop_path_rates
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.space_to_depth import SpaceToDepth
from zoo.layers.weight_init import he_normal_, init_by_type_, normal_std_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import run_sequence
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model, register_model_deprecations

__all__ = ['TResNet', 'BasicBlock', 'Bottleneck']

_block_act = partial(nn.LeakyReLU, negative_slope=1e-3)


def _conv_act(in_chs: int, out_chs: int, kernel_size: int, stride: int = 1,
              act_layer: Callable[..., nn.Module] = _block_act) -> nn.Module:
    # a strided conv runs at stride 1 and a blur-pool applies the stride (anti-aliased downsampling)
    return ConvNormAct(in_chs, out_chs, kernel_size, stride=stride, act_layer=act_layer,
                       aa_layer='blur' if stride > 1 else None)


def _conv_no_act(in_chs: int, out_chs: int, kernel_size: int) -> nn.Module:
    return ConvNormAct(in_chs, out_chs, kernel_size, apply_act=False)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN (leaky ReLU after the first, anti-aliased stride), SE, residual sum, ReLU."""
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 use_se: bool = True, drop_path_rate: float = 0.):
        super().__init__()
        self.downsample = downsample
        self.conv1 = _conv_act(inplanes, planes, 3, stride)
        self.conv2 = _conv_no_act(planes, planes, 3)
        self.act = nn.ReLU(inplace=True)
        self.se = SEModule(planes, rd_channels=max(planes // 4, 64)) if use_se else None
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.conv2.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.downsample(x) if self.downsample is not None else x
        out = self.conv2(self.conv1(x))
        if self.se is not None:
            out = self.se(out)
        return self.act(self.drop_path(out) + shortcut)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (anti-aliased stride) -> SE -> 1x1 expand (x4), residual sum, ReLU."""
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 use_se: bool = True, drop_path_rate: float = 0.):
        super().__init__()
        self.downsample = downsample
        self.conv1 = _conv_act(inplanes, planes, 1)
        self.conv2 = _conv_act(planes, planes, 3, stride)
        self.se = SEModule(planes, rd_channels=max(planes * self.expansion // 8, 64)) if use_se else None
        self.conv3 = _conv_no_act(planes, planes * self.expansion, 1)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.conv3.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.downsample(x) if self.downsample is not None else x
        out = self.conv2(self.conv1(x))
        if self.se is not None:
            out = self.se(out)
        out = self.conv3(out)
        return self.act(self.drop_path(out) + shortcut)


Block = Union[Type[BasicBlock], Type[Bottleneck]]


def make_stage(block: Block, inplanes: int, planes: int, depth: int, stride: int, use_se: bool,
               drop_path_rates: Sequence[float]) -> nn.Sequential:
    """One stage; its first block takes the stride and an average-pool + 1x1 conv shortcut when the shape changes."""
    outplanes = planes * block.expansion
    downsample = None
    if stride != 1 or inplanes != outplanes:
        pool = [nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False)] if stride == 2 else []
        downsample = nn.Sequential(*pool, _conv_no_act(inplanes, outplanes, 1))
    blocks = []
    for i in range(depth):
        blocks.append(block(inplanes if i == 0 else outplanes, planes, stride=stride if i == 0 else 1,
                            downsample=downsample if i == 0 else None, use_se=use_se,
                            drop_path_rate=drop_path_rates[i]))
    return nn.Sequential(*blocks)


class TResNet(ZooModel):
    """TResNet-M/L/XL and v2.

    Args:
        layers: blocks per stage.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        width_factor: width multiplier of the 64-channel base.
        v2: bottleneck blocks in the first two stages too, widths rounded down to multiples of 8.
        global_pool: 'fast' (= 'avg'), 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth of the last block.
    """
    trunk = Trunk(levels=(('body.s2d', 'body.conv1'), ('body.layer1',), ('body.layer2',), ('body.layer3',),
                          ('body.layer4',)))
    groups = dict(stem=r'^body\.conv1', blocks=r'^body\.layer(\d+)\.(\d+)', coarse=r'^body\.layer(\d+)')

    def __init__(
            self,
            layers: Sequence[int],
            in_chans: int = 3,
            num_classes: int = 1000,
            width_factor: float = 1.0,
            v2: bool = False,
            global_pool: str = 'fast',
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        planes = int(64 * width_factor)
        if v2:
            planes = planes // 8 * 8
        early_block = Bottleneck if v2 else BasicBlock
        dpr = stagewise_drop_path_rates(drop_path_rate, layers)

        stages = OrderedDict(s2d=SpaceToDepth(), conv1=_conv_act(in_chans * 16, planes, 3, act_layer=nn.LeakyReLU))
        self.feature_info = [dict(num_chs=planes, reduction=4, module='body.conv1')]
        inplanes, reduction = planes, 4
        stage_defs = ((early_block, 1, True), (early_block, 2, True), (Bottleneck, 4, True), (Bottleneck, 8, False))
        for i, (block, mult, use_se) in enumerate(stage_defs):
            stride = 1 if i == 0 else 2
            reduction *= stride
            stages[f'layer{i + 1}'] = make_stage(block, inplanes, planes * mult, layers[i], stride, use_se, dpr[i])
            inplanes = planes * mult * block.expansion
            self.feature_info.append(dict(num_chs=inplanes, reduction=reduction, module=f'body.layer{i + 1}'))
        self.body = nn.Sequential(stages)

        self.num_features = self.head_hidden_size = inplanes
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=_pool_type(global_pool),
                                   drop_rate=drop_rate)
        self.init_weights()

    def init_weights(self) -> None:
        # residual branches start at zero
        init_by_type_(self, [(nn.Conv2d, partial(he_normal_, nonlinearity='leaky_relu', zero_bias=False)),
                             (nn.Linear, normal_std_(0.01, zero_bias=False))], zero_init_last=True)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        super()._reset_head(num_classes, None if global_pool is None else _pool_type(global_pool))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        body = list(self.body)
        return run_sequence(body[2:], body[1](body[0](x)), self.grad_checkpointing)


def _pool_type(global_pool: str) -> str:
    # timm's 'fast' pooling is a mean over H, W without adaptive-pool machinery, which is what 'avg' already is here
    return 'avg' if global_pool == 'fast' else global_pool


_ORIGINAL_KEYS = (
    (re.compile(r'conv(\d+)\.0\.0\.'), r'conv\1.conv.'),
    (re.compile(r'conv(\d+)\.0\.1\.'), r'conv\1.bn.'),
    (re.compile(r'conv(\d+)\.0\.'), r'conv\1.conv.'),
    (re.compile(r'conv(\d+)\.1\.'), r'conv\1.bn.'),
    (re.compile(r'downsample\.(\d+)\.0\.'), r'downsample.\1.conv.'),
    (re.compile(r'downsample\.(\d+)\.1\.'), r'downsample.\1.bn.'),
)


def checkpoint_filter_fn(state_dict: Dict[str, Any], model: nn.Module) -> Dict[str, Any]:
    """Convert checkpoints of the original TResNet code (Inplace-ABN, `convN.0` / `convN.1` naming) to this layout.

    Inplace-ABN keeps its affine weight as a magnitude (it is applied as |w| + eps so the op stays invertible); a
    BatchNorm reproducing it needs that value as its weight.
    """
    if 'body.conv1.conv.weight' in state_dict:
        return state_dict
    state_dict = state_dict.get('model', state_dict)
    state_dict = state_dict.get('state_dict', state_dict)
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in _ORIGINAL_KEYS:
            key = pattern.sub(repl, key, count=1)
        if key.endswith('bn.weight'):
            value = value.abs() + 1e-5
        out[key] = value
    return out


def _create_tresnet(variant: str, pretrained: bool = False, **kwargs) -> TResNet:
    return build_model_with_cfg(TResNet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(1, 2, 3, 4), flatten_sequential=True), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='body.conv1.conv', classifier='head.fc', pool_size=(7, 7),
               interpolation='bilinear', crop_pct=0.875, mean=(0., 0., 0.), std=(1., 1., 1.), license='apache-2.0',
               paper_ids='arXiv:2003.13630')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub (timm/<arch>.<tag>); inputs are in [0, 1].
default_cfgs = generate_default_cfgs({
    'tresnet_m.miil_in21k_ft_in1k': _cfg(),
    'tresnet_m.miil_in21k': _cfg(num_classes=11221),
    'tresnet_m.miil_in1k': _cfg(),
    'tresnet_m.miil_in1k_448': _cfg(input_size=(3, 448, 448), pool_size=(14, 14)),
    'tresnet_l.miil_in1k': _cfg(),
    'tresnet_l.miil_in1k_448': _cfg(input_size=(3, 448, 448), pool_size=(14, 14)),
    'tresnet_xl.miil_in1k': _cfg(),
    'tresnet_xl.miil_in1k_448': _cfg(input_size=(3, 448, 448), pool_size=(14, 14)),
    'tresnet_v2_l.miil_in21k_ft_in1k': _cfg(paper_ids='arXiv:2104.10972'),
    'tresnet_v2_l.miil_in21k': _cfg(num_classes=11221, paper_ids='arXiv:2104.10972'),
})


def _tresnet(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> TResNet:
    return _create_tresnet(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def tresnet_m(pretrained: bool = False, **kwargs) -> TResNet:
    """TResNet-M (ResNet-50-class accuracy at higher GPU throughput)."""
    return _tresnet('tresnet_m', pretrained, dict(layers=(3, 4, 11, 3)), kwargs)


@register_model
def tresnet_l(pretrained: bool = False, **kwargs) -> TResNet:
    return _tresnet('tresnet_l', pretrained, dict(layers=(4, 5, 18, 3), width_factor=1.2), kwargs)


@register_model
def tresnet_xl(pretrained: bool = False, **kwargs) -> TResNet:
    return _tresnet('tresnet_xl', pretrained, dict(layers=(4, 5, 24, 3), width_factor=1.3), kwargs)


@register_model
def tresnet_v2_l(pretrained: bool = False, **kwargs) -> TResNet:
    """TResNet-L v2: bottlenecks in every stage (the ImageNet-21K pretraining paper)."""
    return _tresnet('tresnet_v2_l', pretrained, dict(layers=(3, 4, 23, 3), v2=True), kwargs)


register_model_deprecations(__name__, {
    'tresnet_m_miil_in21k': 'tresnet_m.miil_in21k',
    'tresnet_m_448': 'tresnet_m.miil_in1k_448',
    'tresnet_l_448': 'tresnet_l.miil_in1k_448',
    'tresnet_xl_448': 'tresnet_xl.miil_in1k_448',
})
