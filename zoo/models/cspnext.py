"""CSPNeXt, the RTMDet backbone (OpenMMLab), ImageNet-1k classifiers.

"RTMDet: An Empirical Study of Designing Real-Time Object Detectors", Lyu et al., 2022 (arXiv:2212.07784), section
3.2: a CSPDarkNet whose basic block is a 3x3 conv followed by a 5x5 depthwise-separable conv (a larger receptive
field at little cost), each cross stage partial layer closing with effective-SE channel attention, and an SPP
bottleneck (parallel 5/9/13 max-pools) ahead of the last stage, whose blocks have no residual. Widths and depths of
the tiny..x models scale one base config (the name "CSPNeXt" is MMDetection's; the paper does not name it).
Module names follow the converted OpenMMLab checkpoints, and `checkpoint_filter_fn` maps the original names.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers.activations import LayerType
from zoo.layers.classifier import ClassifierHead
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.drop import DropPath
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.effective_se import EffectiveSEModule
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['CspNext', 'CspNextBlock', 'CspNextLayer', 'SPPBottleneck']


class SPPBottleneck(nn.Module):
    """1x1 halving conv, its output concatenated with stride-1 max-pools of it (5, 9, 13), then a 1x1 conv.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_sizes: max-pool windows.
        act_layer: activation.
    """

    def __init__(self, in_chs: int, out_chs: int, kernel_sizes: Sequence[int] = (5, 9, 13),
                 act_layer: LayerType = nn.SiLU):
        super().__init__()
        mid_chs = in_chs // 2
        self.conv1 = ConvNormAct(in_chs, mid_chs, 1, act_layer=act_layer)
        self.poolings = nn.ModuleList([nn.MaxPool2d(k, stride=1, padding=k // 2) for k in kernel_sizes])
        self.conv2 = ConvNormAct(mid_chs * (len(kernel_sizes) + 1), out_chs, 1, act_layer=act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.conv2(torch.cat([x, *[pool(x) for pool in self.poolings]], dim=1))


class DepthwiseSeparableConv(nn.Module):
    """kxk depthwise ConvNormAct -> 1x1 pointwise ConvNormAct."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int, dilation: int = 1,
                 act_layer: LayerType = nn.SiLU):
        super().__init__()
        self.depthwise_conv = ConvNormAct(in_chs, in_chs, kernel_size, padding=dilation * (kernel_size // 2),
                                          dilation=dilation, groups=in_chs, act_layer=act_layer)
        self.pointwise_conv = ConvNormAct(in_chs, out_chs, 1, act_layer=act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise_conv(self.depthwise_conv(x))


class CspNextBlock(nn.Module):
    """3x3 ConvNormAct -> 5x5 depthwise-separable conv, with an identity shortcut when `add_identity`.

    Args:
        chs: input and output channels.
        add_identity: residual connection.
        kernel_size: depthwise kernel size.
        dilation: dilation of both spatial convs.
        drop_path: stochastic depth rate of the residual branch.
        act_layer: activation.
    """

    def __init__(self, chs: int, add_identity: bool = True, kernel_size: int = 5, dilation: int = 1,
                 drop_path: float = 0., act_layer: LayerType = nn.SiLU):
        super().__init__()
        self.conv1 = ConvNormAct(chs, chs, 3, padding=dilation, dilation=dilation, act_layer=act_layer)
        self.conv2 = DepthwiseSeparableConv(chs, chs, kernel_size, dilation=dilation, act_layer=act_layer)
        self.add_identity = add_identity
        self.drop_path = DropPath(drop_path) if drop_path and add_identity else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.conv1(x))
        return self.drop_path(out) + x if self.add_identity else out


class CspNextLayer(nn.Module):
    """Cross stage partial layer: 1x1 to a main and a short half; blocks on the main half; concat [main, short] ->
    effective-SE -> 1x1.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        expand_ratio: width of each half / out_chs.
        num_blocks: blocks on the main half.
        add_identity: residual blocks.
        channel_attention: effective-SE on the concatenation.
        dilation: dilation of the blocks.
        drop_path_rates: per-block stochastic depth rates.
        act_layer: activation.
    """

    def __init__(self, in_chs: int, out_chs: int, expand_ratio: float = 0.5, num_blocks: int = 1,
                 add_identity: bool = True, channel_attention: bool = True, dilation: int = 1,
                 drop_path_rates: Optional[Sequence[float]] = None, act_layer: LayerType = nn.SiLU):
        super().__init__()
        mid_chs = int(out_chs * expand_ratio)
        rates = list(drop_path_rates) if drop_path_rates is not None else [0.] * num_blocks
        self.short_conv = ConvNormAct(in_chs, mid_chs, 1, act_layer=act_layer)
        self.main_conv = ConvNormAct(in_chs, mid_chs, 1, act_layer=act_layer)
        self.blocks = nn.ModuleList([
            CspNextBlock(mid_chs, add_identity=add_identity, dilation=dilation, drop_path=rate, act_layer=act_layer)
            for rate in rates])
        self.attention = EffectiveSEModule(2 * mid_chs) if channel_attention else nn.Identity()
        self.final_conv = ConvNormAct(2 * mid_chs, out_chs, 1, act_layer=act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        main = self.main_conv(x)
        for block in self.blocks:
            main = block(main)
        return self.final_conv(self.attention(torch.cat([main, self.short_conv(x)], dim=1)))


def make_stages(in_chs: int, channels: Sequence[int], depths: Sequence[int], output_stride: int = 32,
                expand_ratio: float = 0.5, channel_attention: bool = True, drop_path_rate: float = 0.,
                act_layer: LayerType = nn.SiLU) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    """Stages (strided 3x3 conv [+ SPP in the last] + CSP layer) and their feature levels."""
    # the last stage has no residuals, so the stochastic depth schedule spans the stages before it
    dprs = stagewise_drop_path_rates(drop_path_rate, depths[:-1]) + [None]
    stages = nn.Sequential()
    feature_info = []
    net_stride, dilation, prev_chs = 2, 1, in_chs
    for i, (chs, depth) in enumerate(zip(channels, depths)):
        first_dilation, stride = dilation, 2
        if net_stride * 2 > output_stride:
            stride, dilation = 1, dilation * 2
        net_stride *= stride
        last = i == len(channels) - 1
        layers = [ConvNormAct(prev_chs, chs, 3, stride=stride, padding=first_dilation, dilation=first_dilation,
                              act_layer=act_layer)]
        if last:
            layers.append(SPPBottleneck(chs, chs, act_layer=act_layer))
        layers.append(CspNextLayer(chs, chs, expand_ratio, depth, add_identity=not last,
                                   channel_attention=channel_attention, dilation=dilation, drop_path_rates=dprs[i],
                                   act_layer=act_layer))
        stages.append(nn.Sequential(*layers))
        feature_info.append(dict(num_chs=chs, reduction=net_stride, module=f'stages.{i}'))
        prev_chs = chs
    return stages, feature_info


class CspNext(ZooModel):
    """CSPNeXt: three-conv stem, four CSP stages, pooled linear head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: pooling type of the head.
        output_stride: 32, 16 or 8; later stages dilate instead of striding.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last residual block.
        depths: blocks per stage before `deepen_factor`.
        channels: stage widths before `widen_factor`.
        deepen_factor: depth multiplier (rounded, at least one block).
        widen_factor: width multiplier.
        expand_ratio: width of each CSP half / stage width.
        channel_attention: effective-SE in every CSP layer.
        act_layer: activation.
    """
    groups = dict(stem=r'^stem', coarse=r'^stages\.(\d+)', blocks=[
        (r'^stages\.(\d+)\.\d+\.blocks\.(\d+)', None),
        (r'^stages\.(\d+)\.\d+\.(?:attention|final_conv)', (99999,)),  # the CSP merge goes with the last block
        (r'^stages\.(\d+)', (0,)),
    ])

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            output_stride: int = 32,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            depths: Tuple[int, ...] = (3, 6, 6, 3),
            channels: Tuple[int, ...] = (128, 256, 512, 1024),
            deepen_factor: float = 1.0,
            widen_factor: float = 1.0,
            expand_ratio: float = 0.5,
            channel_attention: bool = True,
            act_layer: LayerType = nn.SiLU,
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        if len(depths) != len(channels):
            raise ValueError(f'depths {depths} and channels {channels} need one entry per stage.')
        self.num_classes = num_classes
        depths = [max(round(d * deepen_factor), 1) for d in depths]
        channels = [int(c * widen_factor) for c in channels]
        stem_chs = max(channels[0] // 2, 1)
        half_chs = max(stem_chs // 2, 1)
        self.stem = nn.Sequential(
            ConvNormAct(in_chans, half_chs, 3, stride=2, padding=1, act_layer=act_layer),
            ConvNormAct(half_chs, half_chs, 3, padding=1, act_layer=act_layer),
            ConvNormAct(half_chs, stem_chs, 3, padding=1, act_layer=act_layer))
        self.stages, stage_info = make_stages(stem_chs, channels, depths, output_stride, expand_ratio,
                                              channel_attention, drop_path_rate, act_layer)
        self.feature_info = [dict(num_chs=stem_chs, reduction=2, module='stem')] + stage_info
        self.trunk = Trunk(levels=(('stem',),) + tuple((f'stages.{i}',) for i in range(len(self.stages))))
        self.num_features = self.head_hidden_size = channels[-1]
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: Optional[nn.Module] = None) -> Dict[str, Any]:
    """OpenMMLab checkpoints (`backbone.stemN` / `backbone.stageN.*`) to zoo's names; zoo/timm ones pass through."""
    return {_zoo_key(key): value for key, value in state_dict.get('state_dict', state_dict).items()}


def _zoo_key(key: str) -> str:
    """`backbone.stage3.1.x` -> `stages.2.1.x` (OpenMMLab counts stages from 1, after its stem)."""
    key = key.removeprefix('backbone.')
    top, _, rest = key.partition('.')
    if top.startswith('stage') and top[len('stage'):].isdigit():
        return f'stages.{int(top[len("stage"):]) - 1}.{rest}'
    return key


def _create_cspnext(variant: str, pretrained: bool = False, **kwargs) -> CspNext:
    return build_model_with_cfg(CspNext, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3, 4), feature_cls='getter'), **kwargs)


_RSB_URL = 'https://download.openmmlab.com/mmdetection/v3.0/rtmdet/cspnext_rsb_pretrain/'
_NAME_NOTE = "CSPNeXt as in RTMDet / MMDetection; not the EAAI 2024 'token hybrid backbone' of the same name."


def _cfg(variant: str, source_file: str) -> Dict[str, Any]:
    # eval transform of the source: short edge 236 (bicubic), centre crop 224
    return dict(
        hf_hub_id=f'munehiro-k/{variant}.rsb_a1_in1k', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.949,
        interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='stem.0.conv',
        classifier='head.fc', license='apache-2.0',
        origin_url='https://github.com/open-mmlab/mmdetection/tree/main/configs/rtmdet',
        paper_name='RTMDet: An Empirical Study of Designing Real-Time Object Detectors', paper_ids='arXiv:2212.07784',
        notes=(f'Converted from {_RSB_URL}{source_file}', _NAME_NOTE))


default_cfgs = generate_default_cfgs({
    'cspnext_tiny.rsb_a1_in1k': _cfg('cspnext_tiny', 'cspnext-tiny_imagenet_600e-3a2dd350.pth'),
    'cspnext_s.rsb_a1_in1k': _cfg('cspnext_s', 'cspnext-s_imagenet_600e-ea671761.pth'),
    'cspnext_m.rsb_a1_in1k': _cfg('cspnext_m', 'cspnext-m_8xb256-rsb-a1-600e_in1k-ecb3bbd9.pth'),
    'cspnext_l.rsb_a1_in1k': _cfg('cspnext_l', 'cspnext-l_8xb256-rsb-a1-600e_in1k-6a760974.pth'),
    'cspnext_x.rsb_a1_in1k': _cfg('cspnext_x', 'cspnext-x_8xb256-rsb-a1-600e_in1k-b3f78edd.pth'),
})


@register_model
def cspnext_tiny(pretrained: bool = False, **kwargs) -> CspNext:
    """CSPNeXt-tiny (depth x0.167, width x0.375)."""
    model_args = dict(deepen_factor=0.167, widen_factor=0.375)
    return _create_cspnext('cspnext_tiny', pretrained, **dict(model_args, **kwargs))


@register_model
def cspnext_s(pretrained: bool = False, **kwargs) -> CspNext:
    """CSPNeXt-S (depth x0.33, width x0.5)."""
    model_args = dict(deepen_factor=0.33, widen_factor=0.5)
    return _create_cspnext('cspnext_s', pretrained, **dict(model_args, **kwargs))


@register_model
def cspnext_m(pretrained: bool = False, **kwargs) -> CspNext:
    """CSPNeXt-M (depth x0.67, width x0.75)."""
    model_args = dict(deepen_factor=0.67, widen_factor=0.75)
    return _create_cspnext('cspnext_m', pretrained, **dict(model_args, **kwargs))


@register_model
def cspnext_l(pretrained: bool = False, **kwargs) -> CspNext:
    """CSPNeXt-L (the base depths and widths)."""
    model_args = dict(deepen_factor=1.0, widen_factor=1.0)
    return _create_cspnext('cspnext_l', pretrained, **dict(model_args, **kwargs))


@register_model
def cspnext_x(pretrained: bool = False, **kwargs) -> CspNext:
    """CSPNeXt-X (depth x1.33, width x1.25)."""
    model_args = dict(deepen_factor=1.33, widen_factor=1.25)
    return _create_cspnext('cspnext_x', pretrained, **dict(model_args, **kwargs))
