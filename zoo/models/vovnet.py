"""VoVNet V1 and V2 (One-Shot Aggregation networks).

Papers:
- VoVNet (V1): "An Energy and GPU-Computation Efficient Backbone Network for Real-Time Object Detection", Lee et al.,
  2019 (arXiv:1904.09730). An OSA block runs a chain of 3x3 convs and concatenates the block input with *every*
  intermediate output once, at the end, followed by a 1x1 aggregation conv.
- VoVNet-V2: "CenterMask: Real-Time Anchor-Free Instance Segmentation", Lee & Park, 2019 (arXiv:1911.06667), adds
  an identity residual around OSA blocks (all but the first of a stage) and effective SE (eSE) attention on the
  last block of each stage. The "_dw" variants use depthwise-separable convs, "_slim" variants narrower stages,
  "eca_" swaps eSE for ECA (arXiv:1910.03151).

Deviations: none in the arithmetic; each stage after the first (or each stage, with a stride-2 stem) starts with a
3x3 stride-2 ceil-mode max-pool as in the reference. Module names follow timm so its checkpoints load unchanged.
There is no dilated variant: only output_stride=32 is available.
"""
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

import zoo.layers.effective_se  # noqa: F401  (registers the 'ese' attention with create_attn)
from zoo.layers import ClassifierHead, DropPath, LayerType, create_attn
from zoo.layers.conv_bn_act import ConvNormAct, SeparableConvNormAct
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.weight_init import he_normal_, init_by_type_, zero_bias_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['VovNet', 'VovNetCfg']


@dataclass(frozen=True)
class VovNetCfg:
    """Architecture of one VoVNet.

    Attributes:
        stem_chs: output channels of the three stem convs (strides 2, 1, 2).
        stage_conv_chs: width of the 3x3 convs inside the OSA blocks of each stage.
        stage_out_chs: output (aggregation) width of each stage.
        layer_per_block: 3x3 convs per OSA block.
        block_per_stage: OSA blocks per stage.
        residual: identity shortcut around every OSA block but a stage's first (V2).
        depthwise: depthwise-separable 3x3 convs (and stem convs after the first).
        attn: attention on each stage's last block: '' none, 'ese' or 'eca'.
        stem_stride: 4 (stem downsamples twice, first stage keeps resolution) or 2.
    """
    stem_chs: Tuple[int, int, int] = (64, 64, 128)
    stage_conv_chs: Tuple[int, ...] = (128, 160, 192, 224)
    stage_out_chs: Tuple[int, ...] = (256, 512, 768, 1024)
    layer_per_block: int = 5
    block_per_stage: Tuple[int, ...] = (1, 1, 2, 2)
    residual: bool = True
    depthwise: bool = False
    attn: str = 'ese'
    stem_stride: int = 4


_SLIM = dict(stage_conv_chs=(64, 80, 96, 112), stage_out_chs=(112, 256, 384, 512))

MODEL_CFGS: Dict[str, VovNetCfg] = dict(
    vovnet39a=VovNetCfg(residual=False, attn=''),
    vovnet57a=VovNetCfg(block_per_stage=(1, 1, 4, 3), residual=False, attn=''),
    ese_vovnet19b_slim_dw=VovNetCfg(stem_chs=(64, 64, 64), layer_per_block=3, block_per_stage=(1, 1, 1, 1),
                                    depthwise=True, **_SLIM),
    ese_vovnet19b_dw=VovNetCfg(stem_chs=(64, 64, 64), layer_per_block=3, block_per_stage=(1, 1, 1, 1), depthwise=True),
    ese_vovnet19b_slim=VovNetCfg(layer_per_block=3, block_per_stage=(1, 1, 1, 1), **_SLIM),
    ese_vovnet39b=VovNetCfg(),
    ese_vovnet57b=VovNetCfg(block_per_stage=(1, 1, 4, 3)),
    ese_vovnet99b=VovNetCfg(block_per_stage=(1, 3, 9, 3)),
    eca_vovnet39b=VovNetCfg(attn='eca'),
    ese_vovnet39b_evos=VovNetCfg(),
)


class OsaBlock(nn.Module):
    """One-shot aggregation: a chain of 3x3 convs whose outputs, with the input, are concatenated once.

    Args:
        in_chs: input channels.
        mid_chs: width of the 3x3 convs.
        out_chs: output channels of the 1x1 aggregation conv.
        layer_per_block: number of 3x3 convs.
        residual: add the block input to the output.
        depthwise: depthwise-separable 3x3 convs (a 1x1 reduction first when in_chs != mid_chs).
        attn: attention after the aggregation ('' for none).
        norm_layer: normalisation.
        act_layer: activation.
        drop_path: stochastic-depth module for the residual branch.
    """

    def __init__(
            self,
            in_chs: int,
            mid_chs: int,
            out_chs: int,
            layer_per_block: int,
            residual: bool = False,
            depthwise: bool = False,
            attn: str = '',
            norm_layer: LayerType = nn.BatchNorm2d,
            act_layer: LayerType = nn.ReLU,
            drop_path: Optional[nn.Module] = None,
    ):
        super().__init__()
        self.residual = residual
        layer_kw = dict(norm_layer=norm_layer, act_layer=act_layer)
        if depthwise and in_chs != mid_chs:
            if residual:
                raise ValueError('A depthwise OSA block with a channel reduction cannot be residual.')
            self.conv_reduction = ConvNormAct(in_chs, mid_chs, 1, **layer_kw)
        else:
            self.conv_reduction = None
        convs = []
        chs = in_chs
        for _ in range(layer_per_block):
            if depthwise:
                convs.append(SeparableConvNormAct(mid_chs, mid_chs, **layer_kw))
            else:
                convs.append(ConvNormAct(chs, mid_chs, 3, **layer_kw))
            chs = mid_chs
        self.conv_mid = nn.Sequential(*convs)
        self.conv_concat = ConvNormAct(in_chs + layer_per_block * mid_chs, out_chs, 1, **layer_kw)
        self.attn = create_attn(attn, out_chs) if attn else None
        self.drop_path = drop_path

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the concatenation takes the un-reduced input, whatever the first conv consumes
        outputs = [x]
        y = self.conv_reduction(x) if self.conv_reduction is not None else x
        for conv in self.conv_mid:
            y = conv(y)
            outputs.append(y)
        y = self.conv_concat(torch.cat(outputs, dim=1))
        if self.attn is not None:
            y = self.attn(y)
        if self.drop_path is not None:
            y = self.drop_path(y)
        if self.residual:
            y = y + x
        return y


class OsaStage(nn.Module):
    """Optional stride-2 max-pool, then OSA blocks; only the last block has attention, all but the first residual.

    Args:
        in_chs: input channels.
        mid_chs: width of the blocks' 3x3 convs.
        out_chs: output channels.
        block_per_stage: number of OSA blocks.
        layer_per_block: 3x3 convs per block.
        downsample: start with a 3x3 stride-2 max-pool.
        residual: residual blocks (except the first).
        depthwise: depthwise-separable convs.
        attn: attention type of the last block.
        norm_layer: normalisation.
        act_layer: activation.
        drop_path_rates: per-block stochastic depth rates.
    """
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(
            self,
            in_chs: int,
            mid_chs: int,
            out_chs: int,
            block_per_stage: int,
            layer_per_block: int,
            downsample: bool = True,
            residual: bool = True,
            depthwise: bool = False,
            attn: str = 'ese',
            norm_layer: LayerType = nn.BatchNorm2d,
            act_layer: LayerType = nn.ReLU,
            drop_path_rates: Optional[Sequence[float]] = None,
    ):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True) if downsample else None
        blocks = []
        for i in range(block_per_stage):
            dpr = drop_path_rates[i] if drop_path_rates is not None else 0.
            blocks.append(OsaBlock(
                in_chs if i == 0 else out_chs, mid_chs, out_chs, layer_per_block,
                residual=residual and i > 0,
                depthwise=depthwise,
                attn=attn if i == block_per_stage - 1 else '',
                norm_layer=norm_layer,
                act_layer=act_layer,
                drop_path=DropPath(dpr) if dpr > 0. else None,
            ))
        self.blocks = CheckpointSequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool is not None:
            x = self.pool(x)
        return self.blocks(x)


def make_stages(
        cfg: VovNetCfg,
        drop_path_rate: float,
        norm_layer: LayerType,
        act_layer: LayerType,
) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    """The four OSA stages and their feature_info."""
    dprs = stagewise_drop_path_rates(drop_path_rate, cfg.block_per_stage)
    in_chs = cfg.stem_chs[-1]
    stride = cfg.stem_stride
    stages, feature_info = [], []
    for i, (mid_chs, out_chs, depth) in enumerate(zip(cfg.stage_conv_chs, cfg.stage_out_chs, cfg.block_per_stage)):
        # with a stride-4 stem the first stage keeps the resolution
        downsample = cfg.stem_stride == 2 or i > 0
        stages.append(OsaStage(
            in_chs, mid_chs, out_chs, depth, cfg.layer_per_block,
            downsample=downsample, residual=cfg.residual, depthwise=cfg.depthwise, attn=cfg.attn,
            norm_layer=norm_layer, act_layer=act_layer, drop_path_rates=dprs[i],
        ))
        in_chs = out_chs
        stride *= 2 if downsample else 1
        feature_info.append(dict(num_chs=out_chs, reduction=stride, module=f'stages.{i}'))
    return nn.Sequential(*stages), feature_info


class VovNet(ZooModel):
    """VoVNet: three-conv stem, four OSA stages, pooled linear head.

    Args:
        cfg: architecture (see `VovNetCfg`).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: pooling type of the head.
        norm_layer: normalisation.
        act_layer: activation.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        stem_stride: override of the cfg's stem stride (2 or 4).
    """

    # level 0 is read before the last stem conv; that conv runs with the first stage
    trunk = Trunk(levels=(('stem.0', 'stem.1'), ('stem.2', 'stages.0'), ('stages.1',), ('stages.2',), ('stages.3',)))
    groups = dict(stem=r'^stem', blocks=r'^stages\.(\d+).blocks\.(\d+)', coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            cfg: VovNetCfg,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            norm_layer: LayerType = nn.BatchNorm2d,
            act_layer: LayerType = nn.ReLU,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            stem_stride: Optional[int] = None,
    ):
        super().__init__()
        # no **kwargs on purpose: the builder then refuses output_stride != 32 with a clear message
        if stem_stride is not None:
            cfg = replace(cfg, stem_stride=stem_stride)
        if cfg.stem_stride not in (2, 4):
            raise ValueError(f'stem_stride must be 2 or 4, got {cfg.stem_stride}.')
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        layer_kw = dict(norm_layer=norm_layer, act_layer=act_layer)

        stem_chs = cfg.stem_chs
        conv_type = SeparableConvNormAct if cfg.depthwise else ConvNormAct
        self.stem = nn.Sequential(
            ConvNormAct(in_chans, stem_chs[0], 3, stride=2, **layer_kw),
            conv_type(stem_chs[0], stem_chs[1], 3, stride=1, **layer_kw),
            conv_type(stem_chs[1], stem_chs[2], 3, stride=cfg.stem_stride // 2, **layer_kw),
        )
        # level 0 is the stride-2 map before the last stem conv
        self.feature_info = [dict(num_chs=stem_chs[1], reduction=2, module=f'stem.{1 if cfg.stem_stride == 4 else 2}')]
        self.stages, stage_info = make_stages(cfg, drop_path_rate, norm_layer, act_layer)
        self.feature_info += stage_info
        self.num_features = self.head_hidden_size = cfg.stage_out_chs[-1]
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)

        init_by_type_(self, [(nn.Conv2d, partial(he_normal_, zero_bias=False)), (nn.Linear, zero_bias_)])

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


def _create_vovnet(variant: str, pretrained: bool = False, **kwargs) -> VovNet:
    return build_model_with_cfg(VovNet, variant, pretrained, model_cfg=MODEL_CFGS[variant],
                                feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.875, interpolation='bicubic',
               first_conv='stem.0.conv', classifier='head.fc', license='apache-2.0',
               paper_ids=('arXiv:1904.09730', 'arXiv:1911.06667'))
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'vovnet39a.untrained': _cfg(hf_hub_id=None),
    'vovnet57a.untrained': _cfg(hf_hub_id=None),
    'ese_vovnet19b_slim_dw.untrained': _cfg(hf_hub_id=None),
    'ese_vovnet19b_dw.ra_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'ese_vovnet19b_slim.untrained': _cfg(hf_hub_id=None),
    'ese_vovnet39b.ra_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'ese_vovnet57b.ra4_e3600_r256_in1k': _cfg(input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95,
                                               test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
                                               pool_size=(8, 8)),
    'ese_vovnet99b.untrained': _cfg(hf_hub_id=None),
    'eca_vovnet39b.untrained': _cfg(hf_hub_id=None),
    'ese_vovnet39b_evos.untrained': _cfg(hf_hub_id=None),
})


@register_model
def vovnet39a(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-39 (V1: no residual, no attention)."""
    return _create_vovnet('vovnet39a', pretrained, **kwargs)


@register_model
def vovnet57a(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-57 (V1)."""
    return _create_vovnet('vovnet57a', pretrained, **kwargs)


@register_model
def ese_vovnet19b_slim_dw(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-V2-19, slim stages, depthwise-separable convs."""
    return _create_vovnet('ese_vovnet19b_slim_dw', pretrained, **kwargs)


@register_model
def ese_vovnet19b_dw(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-V2-19 with depthwise-separable convs; 1024 pooled features."""
    return _create_vovnet('ese_vovnet19b_dw', pretrained, **kwargs)


@register_model
def ese_vovnet19b_slim(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-V2-19, slim stages."""
    return _create_vovnet('ese_vovnet19b_slim', pretrained, **kwargs)


@register_model
def ese_vovnet39b(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-V2-39."""
    return _create_vovnet('ese_vovnet39b', pretrained, **kwargs)


@register_model
def ese_vovnet57b(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-V2-57."""
    return _create_vovnet('ese_vovnet57b', pretrained, **kwargs)


@register_model
def ese_vovnet99b(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-V2-99."""
    return _create_vovnet('ese_vovnet99b', pretrained, **kwargs)


@register_model
def eca_vovnet39b(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-V2-39 with ECA instead of eSE."""
    return _create_vovnet('eca_vovnet39b', pretrained, **kwargs)


@register_model
def ese_vovnet39b_evos(pretrained: bool = False, **kwargs) -> VovNet:
    """VoVNet-V2-39 with EvoNorm-S0 (its own sigmoid-gated nonlinearity) in place of every BatchNorm + ReLU."""
    return _create_vovnet('ese_vovnet39b_evos', pretrained, **dict(dict(norm_layer='evonorms0'), **kwargs))
