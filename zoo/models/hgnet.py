"""PP-HGNet (V1) and PP-HGNetV2: PaddlePaddle's "high performance GPU" networks.

PP-HGNet (PaddleClas, 2022) stacks HG blocks: a chain of convs whose outputs are all concatenated with the block input
(one-shot aggregation, as VoVNet) and aggregated by a 1x1 conv followed by effective SE (V1). PP-HGNetV2 (PaddleClas,
2023) uses a stem with a parallel max-pool / 2x2-conv branch, depthwise-separable ("light") convs in the later
stages, a two-conv squeeze / excitation aggregation instead of ESE, and a learnable scalar affine map after every
activation (`use_lab`; B0-B3 only, as their published weights). Stages after the first start with a strided
depthwise conv; blocks after the first of a stage are residual. The head is pool -> 1x1 conv (2048) + ReLU
(+ affine) -> dropout -> classifier.
No paper; the reference is PaddleClas (github.com/PaddlePaddle/PaddleClas), and the weights are its conversions.
"""
import dataclasses
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.drop import DropPath
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.learnable_affine import LearnableAffineBlock
from zoo.layers.pool import SelectAdaptivePool2d
from zoo.layers.weight_init import he_normal_, init_by_type_, zero_bias_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['HighPerfGpuNet', 'HighPerfGpuBlock', 'HGNetCfg']


class ConvBNAct(nn.Module):
    """Conv (no bias) -> BatchNorm -> ReLU (optional) -> learnable affine (with the activation, optional)."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, groups: int = 1,
                 use_act: bool = True, use_lab: bool = False):
        super().__init__()
        self.conv = create_conv2d(in_chs, out_chs, kernel_size, stride=stride, groups=groups)
        self.bn = nn.BatchNorm2d(out_chs)
        self.act = nn.ReLU() if use_act else nn.Identity()
        self.lab = LearnableAffineBlock() if use_act and use_lab else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lab(self.act(self.bn(self.conv(x))))


class LightConvBNAct(nn.Module):
    """Depthwise-separable conv: linear 1x1 (conv1), then depthwise kxk with activation (conv2)."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int, use_lab: bool = False):
        super().__init__()
        self.conv1 = ConvBNAct(in_chs, out_chs, 1, use_act=False, use_lab=use_lab)
        self.conv2 = ConvBNAct(out_chs, out_chs, kernel_size, groups=out_chs, use_lab=use_lab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class EseModule(nn.Module):
    """Effective SE: one 1x1 conv (with bias) on the pooled map, sigmoid gate."""

    def __init__(self, chs: int):
        super().__init__()
        self.conv = nn.Conv2d(chs, chs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.conv(x.mean((2, 3), keepdim=True)))


class StemV1(nn.Module):
    """3x3 convs (the first strided) then a 3x3 stride-2 max pool (reduction 4)."""

    def __init__(self, stem_chs: Sequence[int]):
        super().__init__()
        convs = []
        for in_chs, out_chs in zip(stem_chs[:-1], stem_chs[1:]):
            convs.append(ConvBNAct(in_chs, out_chs, 3, stride=1 if convs else 2))
        self.stem = nn.Sequential(*convs)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.stem(x))


class StemV2(nn.Module):
    """Strided 3x3 conv, then a 2x2 max pool and two 2x2 convs in parallel (right/bottom padded by one, so the size
    is kept), concatenated, a strided 3x3 conv and a 1x1 conv (reduction 4)."""

    def __init__(self, in_chs: int, mid_chs: int, out_chs: int, use_lab: bool = False):
        super().__init__()
        self.stem1 = ConvBNAct(in_chs, mid_chs, 3, stride=2, use_lab=use_lab)
        self.stem2a = ConvBNAct(mid_chs, mid_chs // 2, 2, use_lab=use_lab)
        self.stem2b = ConvBNAct(mid_chs // 2, mid_chs, 2, use_lab=use_lab)
        self.stem3 = ConvBNAct(mid_chs * 2, mid_chs, 3, stride=2, use_lab=use_lab)
        self.stem4 = ConvBNAct(mid_chs, out_chs, 1, use_lab=use_lab)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=1, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(self.stem1(x), (0, 1, 0, 1))
        conv_branch = self.stem2b(F.pad(self.stem2a(x), (0, 1, 0, 1)))
        x = torch.cat([self.pool(x), conv_branch], dim=1)
        return self.stem4(self.stem3(x))


class HighPerfGpuBlock(nn.Module):
    """HG block: `layer_num` chained convs, all outputs and the input concatenated, aggregated to `out_chs`.

    Args:
        in_chs: input channels.
        mid_chs: width of the chained convs.
        out_chs: output channels.
        layer_num: number of chained convs.
        kernel_size: their kernel size.
        residual: add the input (blocks after the first of a stage).
        light_block: depthwise-separable chained convs.
        use_lab: learnable affine after every activation.
        agg: 'ese' (1x1 conv + effective SE, V1) or 'se' (1x1 squeeze to out/2, 1x1 excitation, V2).
        drop_path: stochastic depth rate of the residual branch.
    """

    def __init__(self, in_chs: int, mid_chs: int, out_chs: int, layer_num: int, kernel_size: int = 3,
                 residual: bool = False, light_block: bool = False, use_lab: bool = False, agg: str = 'ese',
                 drop_path: float = 0.):
        super().__init__()
        self.residual = residual
        self.layers = nn.ModuleList([
            LightConvBNAct(in_chs if i == 0 else mid_chs, mid_chs, kernel_size, use_lab=use_lab) if light_block
            else ConvBNAct(in_chs if i == 0 else mid_chs, mid_chs, kernel_size, use_lab=use_lab)
            for i in range(layer_num)])
        total_chs = in_chs + layer_num * mid_chs
        if agg == 'se':
            self.aggregation = nn.Sequential(ConvBNAct(total_chs, out_chs // 2, 1, use_lab=use_lab),
                                             ConvBNAct(out_chs // 2, out_chs, 1, use_lab=use_lab))
        elif agg == 'ese':
            self.aggregation = nn.Sequential(ConvBNAct(total_chs, out_chs, 1, use_lab=use_lab), EseModule(out_chs))
        else:
            raise ValueError(f"agg must be 'ese' or 'se', got {agg!r}.")
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [x]
        for layer in self.layers:
            outputs.append(layer(outputs[-1]))
        out = self.aggregation(torch.cat(outputs, dim=1))
        return self.drop_path(out) + x if self.residual else out


class HighPerfGpuStage(nn.Module):
    """Strided depthwise 3x3 conv + BN (`downsample`, or Identity) then HG blocks (`blocks`)."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, in_chs: int, mid_chs: int, out_chs: int, block_num: int, layer_num: int,
                 downsample: bool = True, light_block: bool = False, kernel_size: int = 3, use_lab: bool = False,
                 agg: str = 'ese', drop_path: Sequence[float] = ()):
        super().__init__()
        self.downsample = ConvBNAct(in_chs, in_chs, 3, stride=2, groups=in_chs, use_act=False, use_lab=use_lab) \
            if downsample else nn.Identity()
        self.blocks = CheckpointSequential(*[
            HighPerfGpuBlock(in_chs if i == 0 else out_chs, mid_chs, out_chs, layer_num, kernel_size=kernel_size,
                             residual=i > 0, light_block=light_block, use_lab=use_lab, agg=agg,
                             drop_path=drop_path[i] if drop_path else 0.)
            for i in range(block_num)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class HGNetHead(nn.Module):
    """Pool -> 1x1 conv to `hidden_size` + ReLU (+ affine) -> dropout -> flatten -> fc (keys `last_conv.*`, `fc`).

    The head conv acts on the pooled map, so a pooling that changes the width (catavgmax) is refused.
    """

    def __init__(self, in_features: int, num_classes: int, pool_type: str = 'avg', drop_rate: float = 0.,
                 hidden_size: Optional[int] = 2048, use_lab: bool = False):
        super().__init__()
        self.in_features = self.num_features = in_features
        self._set_pool(pool_type, num_classes)
        self.last_conv: nn.Module = nn.Identity()
        if hidden_size is not None:
            self.num_features = hidden_size
            layers = [nn.Conv2d(in_features, hidden_size, 1, bias=False), nn.ReLU()]
            self.last_conv = nn.Sequential(*layers, *([LearnableAffineBlock()] if use_lab else []))
        self.dropout = nn.Dropout(drop_rate)
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def _set_pool(self, pool_type: str, num_classes: int) -> None:
        if not pool_type and num_classes > 0:
            raise ValueError(f"global_pool='' leaves unpooled maps, which the classifier cannot take; pass "
                             f"num_classes=0 with it (got num_classes={num_classes}) or keep 'avg' / 'max'.")
        self.global_pool = SelectAdaptivePool2d(pool_type=pool_type)
        if self.global_pool.feat_mult() != 1:
            raise ValueError(f'global_pool={pool_type!r} changes the pooled width, which the head conv cannot take; '
                             f'use avg or max.')
        self.flatten = nn.Flatten(1) if pool_type else nn.Identity()

    def reset(self, num_classes: int, pool_type: Optional[str] = None) -> None:
        if pool_type is not None:
            self._set_pool(pool_type, num_classes)
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.flatten(self.dropout(self.last_conv(self.global_pool(x))))
        return x if pre_logits else self.fc(x)


@dataclasses.dataclass(frozen=True)
class HGNetCfg:
    """stem_type 'v1' (stem_chs: widths of its 3x3 convs) or 'v2' (stem_chs: mid, out); per stage (in, mid, out,
    blocks, downsample, light_block, kernel_size, layers per block)."""
    stem_type: str
    stem_chs: Tuple[int, ...]
    stages: Tuple[Tuple[int, int, int, int, bool, bool, int, int], ...]


MODEL_CFGS: Dict[str, HGNetCfg] = dict(
    hgnet_tiny=HGNetCfg('v1', (48, 48, 96), (
        (96, 96, 224, 1, False, False, 3, 5), (224, 128, 448, 1, True, False, 3, 5),
        (448, 160, 512, 2, True, False, 3, 5), (512, 192, 768, 1, True, False, 3, 5))),
    hgnet_small=HGNetCfg('v1', (64, 64, 128), (
        (128, 128, 256, 1, False, False, 3, 6), (256, 160, 512, 1, True, False, 3, 6),
        (512, 192, 768, 2, True, False, 3, 6), (768, 224, 1024, 1, True, False, 3, 6))),
    hgnet_base=HGNetCfg('v1', (96, 96, 160), (
        (160, 192, 320, 1, False, False, 3, 7), (320, 224, 640, 2, True, False, 3, 7),
        (640, 256, 960, 3, True, False, 3, 7), (960, 288, 1280, 2, True, False, 3, 7))),
    hgnetv2_b0=HGNetCfg('v2', (16, 16), (
        (16, 16, 64, 1, False, False, 3, 3), (64, 32, 256, 1, True, False, 3, 3),
        (256, 64, 512, 2, True, True, 5, 3), (512, 128, 1024, 1, True, True, 5, 3))),
    hgnetv2_b1=HGNetCfg('v2', (24, 32), (
        (32, 32, 64, 1, False, False, 3, 3), (64, 48, 256, 1, True, False, 3, 3),
        (256, 96, 512, 2, True, True, 5, 3), (512, 192, 1024, 1, True, True, 5, 3))),
    hgnetv2_b2=HGNetCfg('v2', (24, 32), (
        (32, 32, 96, 1, False, False, 3, 4), (96, 64, 384, 1, True, False, 3, 4),
        (384, 128, 768, 3, True, True, 5, 4), (768, 256, 1536, 1, True, True, 5, 4))),
    hgnetv2_b3=HGNetCfg('v2', (24, 32), (
        (32, 32, 128, 1, False, False, 3, 5), (128, 64, 512, 1, True, False, 3, 5),
        (512, 128, 1024, 3, True, True, 5, 5), (1024, 256, 2048, 1, True, True, 5, 5))),
    hgnetv2_b4=HGNetCfg('v2', (32, 48), (
        (48, 48, 128, 1, False, False, 3, 6), (128, 96, 512, 1, True, False, 3, 6),
        (512, 192, 1024, 3, True, True, 5, 6), (1024, 384, 2048, 1, True, True, 5, 6))),
    hgnetv2_b5=HGNetCfg('v2', (32, 64), (
        (64, 64, 128, 1, False, False, 3, 6), (128, 128, 512, 2, True, False, 3, 6),
        (512, 256, 1024, 5, True, True, 5, 6), (1024, 512, 2048, 2, True, True, 5, 6))),
    hgnetv2_b6=HGNetCfg('v2', (48, 96), (
        (96, 96, 192, 2, False, False, 3, 6), (192, 192, 512, 3, True, False, 3, 6),
        (512, 384, 1024, 6, True, True, 5, 6), (1024, 768, 2048, 3, True, True, 5, 6))),
)


def make_stages(cfg: HGNetCfg, use_lab: bool, drop_path_rate: float) -> Tuple[List[nn.Module], List[Dict[str, Any]]]:
    """The four stages and their feature levels (reduction 4 after the stem, doubling at each downsample)."""
    rates = stagewise_drop_path_rates(drop_path_rate, [s[3] for s in cfg.stages])
    stages, feature_info, reduction = [], [], 4
    for i, (in_chs, mid_chs, out_chs, blocks, downsample, light, kernel, layers) in enumerate(cfg.stages):
        stages.append(HighPerfGpuStage(in_chs, mid_chs, out_chs, blocks, layers, downsample=downsample,
                                       light_block=light, kernel_size=kernel, use_lab=use_lab,
                                       agg='ese' if cfg.stem_type == 'v1' else 'se', drop_path=rates[i]))
        reduction *= 2 if downsample else 1
        feature_info.append(dict(num_chs=out_chs, reduction=reduction, module=f'stages.{i}'))
    return stages, feature_info


class HighPerfGpuNet(ZooModel):
    """PP-HGNet / PP-HGNetV2: stem, four HG stages, pooled conv head.

    Args:
        cfg: stem and stage table of the variant.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg' or 'max', or '' with num_classes=0.
        head_hidden_size: width of the head's 1x1 conv (None: no head conv).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        use_lab: learnable affine maps after the activations (V2).
    """
    trunk = Trunk(stem=('stem',), levels='stages')
    classifier_name = 'head.fc'
    groups = dict(stem=r'^stem', coarse=r'^stages\.(\d+)',
                  blocks=[(r'^stages\.(\d+)\.downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None)])

    def __init__(self, cfg: HGNetCfg, in_chans: int = 3, num_classes: int = 1000, global_pool: str = 'avg',
                 head_hidden_size: Optional[int] = 2048, drop_rate: float = 0., drop_path_rate: float = 0.,
                 use_lab: bool = False):
        super().__init__()
        if cfg.stem_type not in ('v1', 'v2'):
            raise ValueError(f"stem_type must be 'v1' or 'v2', got {cfg.stem_type!r}.")
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        self.use_lab = use_lab
        if cfg.stem_type == 'v2':
            self.stem = StemV2(in_chans, cfg.stem_chs[0], cfg.stem_chs[1], use_lab=use_lab)
        else:
            self.stem = StemV1((in_chans,) + tuple(cfg.stem_chs))
        stages, self.feature_info = make_stages(cfg, use_lab, drop_path_rate)
        self.stages = nn.Sequential(*stages)
        self.num_features = self.feature_info[-1]['num_chs']
        self.head = HGNetHead(self.num_features, num_classes, global_pool, drop_rate, head_hidden_size, use_lab)
        self.head_hidden_size = self.head.num_features
        init_by_type_(self, [(nn.Conv2d, partial(he_normal_, zero_bias=False)), (nn.Linear, zero_bias_)])

    def _replace_head(self, in_features: int) -> None:
        # a pruned trunk keeps the average pooling but drops the head conv sized for the full network
        self.head = HGNetHead(in_features, 0, 'avg', hidden_size=None)
        self.head_hidden_size = in_features

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


def _create_hgnet(variant: str, pretrained: bool = False, **kwargs: Any) -> HighPerfGpuNet:
    return build_model_with_cfg(HighPerfGpuNet, variant, pretrained, model_cfg=MODEL_CFGS[variant],
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', pool_size=(7, 7), crop_pct=0.965, test_crop_pct=1.0, test_input_size=(3, 288, 288),
               interpolation='bicubic', classifier='head.fc', first_conv='stem.stem1.conv', license='apache-2.0',
               origin_url='https://github.com/PaddlePaddle/PaddleClas')
    cfg.update(kwargs)
    return cfg


_V1_STEM = dict(first_conv='stem.stem.0.conv')

default_cfgs = generate_default_cfgs({
    'hgnet_tiny.paddle_in1k': _cfg(**_V1_STEM),
    'hgnet_tiny.ssld_in1k': _cfg(**_V1_STEM),
    'hgnet_small.paddle_in1k': _cfg(**_V1_STEM),
    'hgnet_small.ssld_in1k': _cfg(**_V1_STEM),
    'hgnet_base.ssld_in1k': _cfg(**_V1_STEM),
    'hgnetv2_b0.ssld_stage2_ft_in1k': _cfg(),
    'hgnetv2_b0.ssld_stage1_in22k_in1k': _cfg(),
    'hgnetv2_b1.ssld_stage2_ft_in1k': _cfg(),
    'hgnetv2_b1.ssld_stage1_in22k_in1k': _cfg(),
    'hgnetv2_b2.ssld_stage2_ft_in1k': _cfg(),
    'hgnetv2_b2.ssld_stage1_in22k_in1k': _cfg(),
    'hgnetv2_b3.ssld_stage2_ft_in1k': _cfg(),
    'hgnetv2_b3.ssld_stage1_in22k_in1k': _cfg(),
    'hgnetv2_b4.ssld_stage2_ft_in1k': _cfg(),
    'hgnetv2_b4.ssld_stage1_in22k_in1k': _cfg(),
    'hgnetv2_b5.ssld_stage2_ft_in1k': _cfg(),
    'hgnetv2_b5.ssld_stage1_in22k_in1k': _cfg(),
    'hgnetv2_b6.ssld_stage2_ft_in1k': _cfg(),
    'hgnetv2_b6.ssld_stage1_in22k_in1k': _cfg(),
})


def _hgnet(variant: str, pretrained: bool, kwargs: Dict[str, Any], use_lab: bool = False) -> HighPerfGpuNet:
    return _create_hgnet(variant, pretrained, **dict(dict(use_lab=use_lab), **kwargs))


@register_model
def hgnet_tiny(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnet_tiny', pretrained, kwargs)


@register_model
def hgnet_small(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnet_small', pretrained, kwargs)


@register_model
def hgnet_base(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnet_base', pretrained, kwargs)


@register_model
def hgnetv2_b0(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnetv2_b0', pretrained, kwargs, use_lab=True)


@register_model
def hgnetv2_b1(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnetv2_b1', pretrained, kwargs, use_lab=True)


@register_model
def hgnetv2_b2(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnetv2_b2', pretrained, kwargs, use_lab=True)


@register_model
def hgnetv2_b3(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnetv2_b3', pretrained, kwargs, use_lab=True)


@register_model
def hgnetv2_b4(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnetv2_b4', pretrained, kwargs)


@register_model
def hgnetv2_b5(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnetv2_b5', pretrained, kwargs)


@register_model
def hgnetv2_b6(pretrained: bool = False, **kwargs) -> HighPerfGpuNet:
    return _hgnet('hgnetv2_b6', pretrained, kwargs)
