"""Res2Net and Res2NeXt: ResNets whose bottleneck 3x3 is a hierarchy of smaller 3x3s over channel groups.

Paper: "Res2Net: A New Multi-scale Backbone Architecture", Gao et al., 2019 (arXiv:1904.01169).

The bottleneck splits its 1x1 output into `scale` groups of `width` channels; group i (i >= 1) is convolved after
adding the previous group's output, so later groups see ever larger receptive fields (section 3.1 of the paper), and
the last group is passed through untouched. In the first block of a stage the groups are convolved independently
(there is no previous output at the new resolution yet) and the untouched group is 3x3 average-pooled to the stage
stride. Res2Net-D variants use ResNet-D's deep stem and average-pool shortcuts (He et al., 2018,
arXiv:1812.01187). The network around the block is zoo's ResNet, so the layout matches timm's Res2Net weights.
"""
import math
from typing import Any, Callable, Dict, List, Optional, Type

import torch
import torch.nn as nn

from zoo.layers import LayerType, create_attn
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.resnet import ResNet

__all__ = ['Bottle2neck']


class Bottle2neck(nn.Module):
    """Res2Net bottleneck: 1x1 -> hierarchical 3x3s over `scale` channel groups -> 1x1, with a shortcut.

    Args:
        inplanes: input channels.
        planes: bottleneck planes (output is `planes * 4`).
        stride: stride of the block (applied by each group's 3x3, and by the pool of the pass-through group).
        downsample: projection shortcut.
        cardinality: groups inside each 3x3 (Res2NeXt).
        base_width: width of one scale group per 64 planes.
        scale: number of channel groups (s in the paper).
        dilation: dilation of the 3x3s after the first block of a dilated stage.
        first_dilation: dilation of this block's 3x3s.
        act_layer: activation class.
        norm_layer: norm class.
        attn_layer: optional channel attention after the last norm.
        drop_block: factory of a DropBlock layer applied to the concatenated groups.
        drop_path: stochastic depth on the residual branch.
    """
    expansion = 4

    def __init__(
            self,
            inplanes: int,
            planes: int,
            stride: int = 1,
            downsample: Optional[nn.Module] = None,
            cardinality: int = 1,
            base_width: int = 26,
            scale: int = 4,
            dilation: int = 1,
            first_dilation: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.ReLU,
            norm_layer: Type[nn.Module] = nn.BatchNorm2d,
            attn_layer: Optional[LayerType] = None,
            drop_block: Optional[Callable[[], nn.Module]] = None,
            drop_path: Optional[nn.Module] = None,
    ):
        super().__init__()
        self.scale = scale
        self.is_first = stride > 1 or downsample is not None
        self.num_scales = max(1, scale - 1)
        self.width = width = int(math.floor(planes * (base_width / 64.0))) * cardinality
        outplanes = planes * self.expansion
        first_dilation = first_dilation or dilation

        self.conv1 = nn.Conv2d(inplanes, width * scale, kernel_size=1, bias=False)
        self.bn1 = norm_layer(width * scale)
        self.convs = nn.ModuleList([
            nn.Conv2d(width, width, 3, stride=stride, padding=first_dilation, dilation=first_dilation,
                      groups=cardinality, bias=False)
            for _ in range(self.num_scales)])
        self.bns = nn.ModuleList([norm_layer(width) for _ in range(self.num_scales)])
        self.drop_block = drop_block() if drop_block is not None else nn.Identity()
        # the original counts the zero padding in the average (count_include_pad=True); its weights assume that
        self.pool = nn.AvgPool2d(kernel_size=3, stride=stride, padding=1) if self.is_first else None
        self.conv3 = nn.Conv2d(width * scale, outplanes, kernel_size=1, bias=False)
        self.bn3 = norm_layer(outplanes)
        self.se = create_attn(attn_layer, outplanes)
        self.relu = act_layer(inplace=True)
        self.downsample = downsample
        self.drop_path = drop_path

    def zero_init_last(self) -> None:
        if getattr(self.bn3, 'weight', None) is not None:
            nn.init.zeros_(self.bn3.weight)

    def _multi_scale(self, x: torch.Tensor) -> torch.Tensor:
        groups = torch.split(x, self.width, 1)
        outs: List[torch.Tensor] = []
        y = groups[0]
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            y = groups[i] if i == 0 or self.is_first else y + groups[i]
            y = self.relu(bn(conv(y)))
            outs.append(y)
        if self.scale > 1:
            outs.append(self.pool(groups[-1]) if self.pool is not None else groups[-1])
        return torch.cat(outs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.drop_block(self._multi_scale(out))
        out = self.bn3(self.conv3(out))
        if self.se is not None:
            out = self.se(out)
        if self.drop_path is not None:
            out = self.drop_path(out)
        if self.downsample is not None:
            shortcut = self.downsample(x)
        return self.relu(out + shortcut)


def _create_res2net(variant: str, pretrained: bool = False, **kwargs) -> ResNet:
    return build_model_with_cfg(ResNet, variant, pretrained, **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='conv1', classifier='fc', pool_size=(7, 7), interpolation='bilinear',
               crop_pct=0.875, license='unknown', paper_ids='arXiv:1904.01169')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag> (the official weights).
default_cfgs = generate_default_cfgs({
    'res2net50_26w_4s.in1k': _cfg(),
    'res2net50_48w_2s.in1k': _cfg(),
    'res2net50_14w_8s.in1k': _cfg(),
    'res2net50_26w_6s.in1k': _cfg(),
    'res2net50_26w_8s.in1k': _cfg(),
    'res2net101_26w_4s.in1k': _cfg(),
    'res2next50.in1k': _cfg(),
    'res2net50d.in1k': _cfg(first_conv='conv1.0'),
    'res2net101d.in1k': _cfg(first_conv='conv1.0'),
})


def _res2net(variant: str, pretrained: bool, width: int, scale: int, kwargs: Dict[str, Any],
             **model_args: Any) -> ResNet:
    args = dict(block=Bottle2neck, layers=(3, 4, 6, 3), base_width=width, block_args=dict(scale=scale))
    args.update(model_args)
    return _create_res2net(variant, pretrained, **dict(args, **kwargs))


_D = dict(stem_type='deep', stem_width=32, avg_down=True)


@register_model
def res2net50_26w_4s(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2Net-50, 26 channels per group, 4 groups."""
    return _res2net('res2net50_26w_4s', pretrained, 26, 4, kwargs)


@register_model
def res2net50_26w_6s(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2Net-50, 26 channels per group, 6 groups."""
    return _res2net('res2net50_26w_6s', pretrained, 26, 6, kwargs)


@register_model
def res2net50_26w_8s(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2Net-50, 26 channels per group, 8 groups."""
    return _res2net('res2net50_26w_8s', pretrained, 26, 8, kwargs)


@register_model
def res2net50_48w_2s(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2Net-50, 48 channels per group, 2 groups."""
    return _res2net('res2net50_48w_2s', pretrained, 48, 2, kwargs)


@register_model
def res2net50_14w_8s(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2Net-50, 14 channels per group, 8 groups."""
    return _res2net('res2net50_14w_8s', pretrained, 14, 8, kwargs)


@register_model
def res2net101_26w_4s(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2Net-101, 26 channels per group, 4 groups."""
    return _res2net('res2net101_26w_4s', pretrained, 26, 4, kwargs, layers=(3, 4, 23, 3))


@register_model
def res2next50(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2NeXt-50: 4 groups of 8 x 4-channel grouped 3x3s."""
    return _res2net('res2next50', pretrained, 4, 4, kwargs, cardinality=8)


@register_model
def res2net50d(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2Net-50-D: deep stem and average-pool shortcuts."""
    return _res2net('res2net50d', pretrained, 26, 4, kwargs, **_D)


@register_model
def res2net101d(pretrained: bool = False, **kwargs) -> ResNet:
    """Res2Net-101-D: deep stem and average-pool shortcuts."""
    return _res2net('res2net101d', pretrained, 26, 4, kwargs, layers=(3, 4, 23, 3), **_D)
