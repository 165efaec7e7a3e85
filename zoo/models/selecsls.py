"""SelecSLS: the real-time pose network's backbone with selective long and short range skip connections.

"XNect: Real-time Multi-Person 3D Motion Capture with a Single RGB Camera", Mehta et al., 2020 (arXiv:1907.00837).
A block chains 3x3 / 1x1 convs (conv1 ... conv5) and concatenates three of their outputs (short-range skips); every
block after the first of a stage also concatenates the first block's output (the long-range skip) before the 1x1
aggregation conv6. Stages end where the next block strides, so the long-range skip never crosses a feature level.
A plain conv head (two strided 3x3 convs) follows, and its outputs at reductions 32 and 64 are the last two levels.
"""
import dataclasses
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers.classifier import create_classifier
from zoo.layers.weight_init import he_normal_, init_by_type_
from zoo.models._base import Trunk, ZooModel, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['SelecSls', 'SelecSlsBlock', 'SelecSlsCfg']


def conv_bn(in_chs: int, out_chs: int, kernel_size: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """Conv (no bias) -> BatchNorm -> ReLU as a plain Sequential (keys `0.*`, `1.*`)."""
    padding = ((stride - 1) + dilation * (kernel_size - 1)) // 2
    conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, padding=padding, dilation=dilation, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(out_chs), nn.ReLU(inplace=True))


class SelecSlsBlock(nn.Module):
    """Takes (x, long-range skip) and returns (output, skip for the following blocks of the stage).

    Args:
        in_chs: input channels.
        skip_chs: channels of the long-range skip (0 for the first block of a stage, which starts the skip).
        mid_chs: width of conv1 / conv2 / conv4 (conv3 / conv5 are half as wide).
        out_chs: output channels of the aggregation conv6.
        is_first: first block of a stage: no long-range skip in, its output becomes the skip.
        stride: stride of conv1.
        dilation: dilation of conv1.
    """

    def __init__(self, in_chs: int, skip_chs: int, mid_chs: int, out_chs: int, is_first: bool, stride: int,
                 dilation: int = 1):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'SelecSLS blocks stride 1 or 2, got {stride}.')
        self.is_first = is_first
        self.conv1 = conv_bn(in_chs, mid_chs, 3, stride, dilation=dilation)
        self.conv2 = conv_bn(mid_chs, mid_chs, 1)
        self.conv3 = conv_bn(mid_chs, mid_chs // 2, 3)
        self.conv4 = conv_bn(mid_chs // 2, mid_chs, 1)
        self.conv5 = conv_bn(mid_chs, mid_chs // 2, 3)
        self.conv6 = conv_bn(2 * mid_chs + (0 if is_first else skip_chs), out_chs, 1)

    def forward(self, x: Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]],
                skip: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        if isinstance(x, (tuple, list)):  # chained as one Sequential (features wrappers): the previous block's pair
            x, skip = x
        d1 = self.conv1(x)
        d2 = self.conv3(self.conv2(d1))
        d3 = self.conv5(self.conv4(d2))
        if self.is_first:
            out = self.conv6(torch.cat([d1, d2, d3], 1))
            return out, out
        if skip is None:
            raise ValueError('A SelecSLS block after the first of its stage needs the stage\'s long-range skip.')
        return self.conv6(torch.cat([d1, d2, d3, skip], 1)), skip


class FirstOfPair(nn.Module):
    """The first element of a (tensor, ...) pair; a tensor passes through."""

    def forward(self, x: Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        return x[0] if isinstance(x, (tuple, list)) else x


@dataclasses.dataclass(frozen=True)
class SelecSlsCfg:
    """blocks: (in, skip, mid, out, is_first, stride) per block; head: (in, out, kernel, stride) per conv;
    level_ends: the blocks that end the feature levels at reductions 4, 8 and 16."""
    blocks: Tuple[Tuple[int, int, int, int, bool, int], ...]
    head: Tuple[Tuple[int, int, int, int], ...]
    level_ends: Tuple[int, ...]


def _stage(in_chs: int, mid_chs: int, widths: Sequence[int]) -> List[Tuple[int, int, int, int, bool, int]]:
    """A stage: a strided first block of width `mid_chs`, then blocks of output widths `widths` with its skip."""
    blocks = [(in_chs, 0, mid_chs, mid_chs, True, 2)]
    prev = mid_chs
    for out in widths:
        blocks.append((prev, mid_chs, mid_chs, out, False, 1))
        prev = out
    return blocks


def _head(in_chs: int, mid_chs: int, last: Tuple[int, int, int]) -> Tuple[Tuple[int, int, int, int], ...]:
    return ((in_chs, mid_chs, 3, 2), (mid_chs, 1024, 3, 1), (1024, last[0], 3, 2), (last[0], last[1], last[2], 1))


_BLOCKS_42 = tuple(_stage(32, 64, [128]) + _stage(128, 144, [288]) + _stage(288, 304, [480]))
_BLOCKS_60 = tuple(_stage(32, 64, [128]) + _stage(128, 128, [128, 288]) + _stage(288, 288, [288, 288, 416]))
_BLOCKS_84 = tuple(_stage(32, 64, [144]) + _stage(144, 144, [144] * 3 + [304]) + _stage(304, 304, [304] * 4 + [512]))

MODEL_CFGS: Dict[str, SelecSlsCfg] = dict(
    selecsls42=SelecSlsCfg(_BLOCKS_42, _head(480, 960, (1024, 1280, 1)), (1, 3, 5)),
    selecsls42b=SelecSlsCfg(_BLOCKS_42, _head(480, 960, (1280, 1024, 1)), (1, 3, 5)),
    selecsls60=SelecSlsCfg(_BLOCKS_60, _head(416, 756, (1024, 1280, 1)), (1, 4, 8)),
    selecsls60b=SelecSlsCfg(_BLOCKS_60, _head(416, 756, (1280, 1024, 1)), (1, 4, 8)),
    selecsls84=SelecSlsCfg(_BLOCKS_84, _head(512, 960, (1024, 1280, 3)), (1, 6, 12)),
)


class SelecSls(ZooModel):
    """SelecSLS: stride-2 stem, SelecSLS stages (reductions 4-16), conv head (to 64), pool -> linear classifier.

    Args:
        cfg: block / head table of the variant.
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        drop_rate: dropout before the classifier.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0) for unpooled maps.
    """
    classifier_name = 'fc'
    groups = dict(stem=r'^stem', blocks=r'^features\.(\d+)', blocks_head=r'^head')

    def __init__(self, cfg: SelecSlsCfg, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.0,
                 global_pool: str = 'avg'):
        super().__init__()
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.stem = conv_bn(in_chans, 32, stride=2)
        self.features = nn.Sequential(*[SelecSlsBlock(*args) for args in cfg.blocks])
        # the blocks hand on (activations, skip) pairs; a features wrapper that chains the top-level modules needs the
        # activations alone before the head (registered here, between the two, for that order)
        self.from_seq = FirstOfPair()
        self.head = nn.Sequential(*[conv_bn(*args) for args in cfg.head])
        self.num_features = cfg.head[-1][1]

        self.feature_info = [dict(num_chs=32, reduction=2, module='stem.2')]
        reduction = 2
        for i, (_, _, _, out_chs, _, stride) in enumerate(cfg.blocks):
            reduction *= stride
            if i in cfg.level_ends:
                self.feature_info.append(dict(num_chs=out_chs, reduction=reduction, module=f'features.{i}'))
        for i, (_, out_chs, _, stride) in enumerate(cfg.head):
            reduction *= stride
            if i % 2:
                self.feature_info.append(dict(num_chs=out_chs, reduction=reduction, module=f'head.{i}'))
        # a level after the stem always starts at the first block of a stage: no long-range skip enters a level
        positions = ['stem'] + [f'features.{i}' for i in range(len(cfg.blocks))] + \
                    [f'head.{i}' for i in range(len(cfg.head))]
        ends = [0] + [e + 1 for e in cfg.level_ends] + [len(cfg.blocks) + 2, len(cfg.blocks) + 4]
        self.trunk = Trunk(levels=split_levels(positions, ends))

        self.global_pool, self.head_drop, self.fc = create_classifier(self.num_features, num_classes, global_pool,
                                                                      drop_rate=drop_rate)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        init_by_type_(self, [(nn.Conv2d, partial(he_normal_, zero_bias=False))])

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> Dict[str, Any]:
        return dict(self.groups)

    def _run(self, paths: Sequence[str], x: torch.Tensor) -> torch.Tensor:
        # blocks pass the stage's long-range skip along besides the activations
        skip = None
        for path in paths:
            module = self._module(path)
            args = (x, skip) if isinstance(module, SelecSlsBlock) else (x,)
            out = maybe_checkpoint(module, *args, enabled=self.grad_checkpointing)
            x, skip = out if isinstance(module, SelecSlsBlock) else (out, skip)
        return x

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._run([path for level in self._level_paths() for path in level], x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.global_pool(x))
        return x if pre_logits else self.fc(x)


def _create_selecsls(variant: str, pretrained: bool = False, **kwargs: Any) -> SelecSls:
    return build_model_with_cfg(SelecSls, variant, pretrained, model_cfg=MODEL_CFGS[variant],
                                feature_cfg=dict(out_indices=(0, 1, 2, 3, 4), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', pool_size=(4, 4), crop_pct=0.875, interpolation='bicubic', first_conv='stem.0',
               classifier='fc', license='cc-by-4.0', paper_ids='arXiv:1907.00837',
               origin_url='https://github.com/mehtadushy/SelecSLS-Pytorch')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'selecsls42.untrained': _cfg(hf_hub_id=None),
    'selecsls42b.in1k': _cfg(),
    'selecsls60.in1k': _cfg(),
    'selecsls60b.in1k': _cfg(),
    'selecsls84.untrained': _cfg(hf_hub_id=None),
})


@register_model
def selecsls42(pretrained: bool = False, **kwargs) -> SelecSls:
    return _create_selecsls('selecsls42', pretrained, **kwargs)


@register_model
def selecsls42b(pretrained: bool = False, **kwargs) -> SelecSls:
    return _create_selecsls('selecsls42b', pretrained, **kwargs)


@register_model
def selecsls60(pretrained: bool = False, **kwargs) -> SelecSls:
    return _create_selecsls('selecsls60', pretrained, **kwargs)


@register_model
def selecsls60b(pretrained: bool = False, **kwargs) -> SelecSls:
    return _create_selecsls('selecsls60b', pretrained, **kwargs)


@register_model
def selecsls84(pretrained: bool = False, **kwargs) -> SelecSls:
    return _create_selecsls('selecsls84', pretrained, **kwargs)
