"""ResNeSt: ResNet-D with split-attention bottlenecks.

Paper: "ResNeSt: Split-Attention Networks", Zhang et al., 2020 (arXiv:2004.08955).

The network is zoo's `ResNet` (deep stem, average-pool shortcuts) with its bottleneck replaced by
`ResNestBottleneck`, whose 3x3 conv is a split-attention conv (`zoo.layers.split_attn.SplitAttn`). Where a block
strides, the stride moves to a 3x3 average pool ("avd") placed after the split-attention conv, or before it for the
ablation variants with `avd_first` (paper section 4, "Average Downsampling"). The "e" variants widen the deep stem
to 64 channels. Layer names follow timm so its (GluonCV-ported) checkpoints load unchanged.

Deviation from timm: stochastic depth drops the residual branch (as the paper intends) rather than the block input.
"""
from typing import Any, Callable, Dict, Optional, Tuple, Type

import torch
import torch.nn as nn

from zoo.layers import LayerType
from zoo.layers.split_attn import SplitAttn
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.resnet import ResNet

__all__ = ['ResNestBottleneck']


def _avd_strides(stride: int, avd: bool, is_first: bool) -> Tuple[int, int]:
    """(stride of the 3x3 conv, stride of the average pool); pool stride 0 means no pool.

    With average downsampling (paper section 4) the 3x3 conv always runs at stride 1 and a 3x3 average pool carries
    the block's stride, which keeps the conv from skipping three quarters of its input positions.
    """
    if not avd or (stride == 1 and not is_first):
        return stride, 0
    return 1, stride


def _avd_pool(pool_stride: int) -> Optional[nn.Module]:
    return nn.AvgPool2d(3, pool_stride, padding=1) if pool_stride else None


def _grouped_3x3(width: int, stride: int, dilation: int, cardinality: int, radix: int, act_layer: Type[nn.Module],
                 norm_layer: Type[nn.Module], drop_block: Optional[Callable[[], nn.Module]]) -> Tuple[nn.Module, ...]:
    """The block's middle conv as (conv2, bn2, drop_block, act2).

    With radix >= 1 it is a split-attention conv that owns its norm, DropBlock and activation, so the three slots
    after it are identities; radix 0 is the plain ResNeXt grouped conv of the paper's baseline.
    """
    if radix >= 1:
        splat = SplitAttn(width, width, kernel_size=3, stride=stride, padding=dilation, dilation=dilation,
                          groups=cardinality, radix=radix, act_layer=act_layer, norm_layer=norm_layer,
                          drop_layer=drop_block)
        return splat, nn.Identity(), nn.Identity(), nn.Identity()
    conv = nn.Conv2d(width, width, 3, stride, padding=dilation, dilation=dilation, groups=cardinality, bias=False)
    drop = drop_block() if drop_block is not None else nn.Identity()
    return conv, norm_layer(width), drop, act_layer(inplace=True)


class ResNestBottleneck(nn.Module):
    """1x1 reduce -> split-attention 3x3 (with average-pool downsampling) -> 1x1 expand, plus shortcut.

    Args:
        inplanes: input channels.
        planes: bottleneck base width; the output has planes * 4 channels.
        stride: block stride, applied by the avd pool when `avd` is set, else by the 3x3 conv.
        downsample: shortcut projection.
        radix: splits per cardinal group; 0 uses a plain grouped conv instead of split attention.
        cardinality: groups of the 3x3 conv.
        base_width: per-group width factor.
        avd: downsample with a 3x3 average pool instead of a strided conv.
        avd_first: put the avd pool before the 3x3 conv instead of after it.
        is_first: apply avd even at stride 1 (kept for parity with the reference; the ResNet builder never sets it).
        reduce_first: must be 1 (no reduction of the first conv is supported).
        dilation: dilation of the 3x3 conv after the first block.
        first_dilation: dilation of the 3x3 conv of this block.
        act_layer: activation.
        norm_layer: normalisation.
        attn_layer: must be None; split attention is the block's attention.
        drop_block: constructor of a DropBlock layer after the 3x3 conv's norm.
        drop_path: stochastic-depth module for the residual branch.
    """
    expansion = 4

    def __init__(
            self,
            inplanes: int,
            planes: int,
            stride: int = 1,
            downsample: Optional[nn.Module] = None,
            radix: int = 1,
            cardinality: int = 1,
            base_width: int = 64,
            avd: bool = False,
            avd_first: bool = False,
            is_first: bool = False,
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
        if reduce_first != 1:
            raise ValueError('ResNestBottleneck does not support reduce_first != 1.')
        if attn_layer is not None:
            raise ValueError('ResNestBottleneck has split attention built in; attn_layer must be None.')
        width = int(planes * (base_width / 64.)) * cardinality
        out_chs = planes * self.expansion
        conv_stride, pool_stride = _avd_strides(stride, avd, is_first)
        self.radix = radix

        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = norm_layer(width)
        self.act1 = act_layer(inplace=True)
        self.avd_first = _avd_pool(pool_stride) if avd_first else None
        self.conv2, self.bn2, self.drop_block, self.act2 = _grouped_3x3(
            width, conv_stride, first_dilation or dilation, cardinality, radix, act_layer, norm_layer, drop_block)
        self.avd_last = None if avd_first else _avd_pool(pool_stride)
        self.conv3 = nn.Conv2d(width, out_chs, 1, bias=False)
        self.bn3 = norm_layer(out_chs)
        self.act3 = act_layer(inplace=True)
        self.downsample = downsample
        self.drop_path = drop_path

    def zero_init_last(self) -> None:
        if getattr(self.bn3, 'weight', None) is not None:
            nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        out = self.act1(self.bn1(self.conv1(x)))
        if self.avd_first is not None:
            out = self.avd_first(out)
        out = self.act2(self.drop_block(self.bn2(self.conv2(out))))
        if self.avd_last is not None:
            out = self.avd_last(out)
        out = self.bn3(self.conv3(out))
        if self.drop_path is not None:
            out = self.drop_path(out)
        if self.downsample is not None:
            shortcut = self.downsample(x)
        return self.act3(out + shortcut)


def _create_resnest(variant: str, pretrained: bool = False, **kwargs) -> ResNet:
    return build_model_with_cfg(ResNet, variant, pretrained, **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.875, interpolation='bilinear',
               first_conv='conv1.0', classifier='fc', license='apache-2.0', paper_ids='arXiv:2004.08955')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'resnest14d.gluon_in1k': _cfg(),
    'resnest26d.gluon_in1k': _cfg(),
    'resnest50d.in1k': _cfg(),
    'resnest101e.in1k': _cfg(input_size=(3, 256, 256), pool_size=(8, 8)),
    'resnest200e.in1k': _cfg(input_size=(3, 320, 320), crop_pct=0.909, interpolation='bicubic', pool_size=(10, 10)),
    'resnest269e.in1k': _cfg(input_size=(3, 416, 416), crop_pct=0.928, interpolation='bicubic', pool_size=(13, 13)),
    'resnest50d_4s2x40d.in1k': _cfg(interpolation='bicubic'),
    'resnest50d_1s4x24d.in1k': _cfg(interpolation='bicubic'),
})


def _resnest(variant: str, pretrained: bool, layers: tuple, kwargs: Dict[str, Any], stem_width: int = 32,
             cardinality: int = 1, base_width: int = 64, radix: int = 2, avd_first: bool = False) -> ResNet:
    """All ResNeSts: deep stem, avg-pool shortcuts, split-attention blocks with average-pool downsampling."""
    model_args = dict(block=ResNestBottleneck, layers=layers, stem_type='deep', stem_width=stem_width, avg_down=True,
                      cardinality=cardinality, base_width=base_width,
                      block_args=dict(radix=radix, avd=True, avd_first=avd_first))
    return _create_resnest(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def resnest14d(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNeSt-14d (GluonCV weights)."""
    return _resnest('resnest14d', pretrained, (1, 1, 1, 1), kwargs)


@register_model
def resnest26d(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNeSt-26d (GluonCV weights); feature maps of 64/256/512/1024/2048 channels at strides 2..32."""
    return _resnest('resnest26d', pretrained, (2, 2, 2, 2), kwargs)


@register_model
def resnest50d(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNeSt-50 of the paper (deep stem of width 32)."""
    return _resnest('resnest50d', pretrained, (3, 4, 6, 3), kwargs)


@register_model
def resnest101e(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNeSt-101 of the paper (deep stem of width 64)."""
    return _resnest('resnest101e', pretrained, (3, 4, 23, 3), kwargs, stem_width=64)


@register_model
def resnest200e(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNeSt-200 of the paper."""
    return _resnest('resnest200e', pretrained, (3, 24, 36, 3), kwargs, stem_width=64)


@register_model
def resnest269e(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNeSt-269 of the paper."""
    return _resnest('resnest269e', pretrained, (3, 30, 48, 8), kwargs, stem_width=64)


@register_model
def resnest50d_4s2x40d(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNeSt-50 ablation: radix 4, cardinality 2, width 40, avd before the 3x3."""
    return _resnest('resnest50d_4s2x40d', pretrained, (3, 4, 6, 3), kwargs, cardinality=2, base_width=40, radix=4,
                    avd_first=True)


@register_model
def resnest50d_1s4x24d(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNeSt-50 ablation: radix 1, cardinality 4, width 24, avd before the 3x3."""
    return _resnest('resnest50d_1s4x24d', pretrained, (3, 4, 6, 3), kwargs, cardinality=4, base_width=24, radix=1,
                    avd_first=True)
