"""ResNet backbones for composed classifiers, built from the named ResNet family's blocks and stages.

Deep Residual Learning for Image Recognition, He et al., CVPR 2016 (https://arxiv.org/abs/1512.03385), with the
``deep_stem`` / ``avg_down`` tweaks of "Bag of Tricks for Image Classification", He et al., CVPR 2019
(https://arxiv.org/abs/1812.01187). Bottlenecks stride in the 3x3 conv ("ResNet v1.5", mmcls' 'pytorch' style).

This module only adds the mmcls-style configuration (``depth``, ``num_stages``, ``strides`` / ``dilations``,
``out_indices``, ``frozen_stages``, ``norm_eval``, ``with_cp``) and the tuple-of-stages output a neck expects. The
stages come from :func:`zoo.models.resnet.make_stages` and the blocks are the family's ``BasicBlock`` /
``Bottleneck``, so parameter names equal the named ResNets' (``conv1``, ``bn1``, ``layer1.0.bn2``,
``layer2.0.downsample.0``, ...) and their weights load without renaming. Checkpoints of the earlier composed layout,
which spelt ``bn`` as ``norm``, still load (see :meth:`ResNet._rename_legacy_keys`).

``ResNet_CIFAR`` differs only in the stem: one 3x3 stride-1 conv and no max-pool, for 32x32 inputs.
"""
import re
from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from zoo.compose.registry import register_backbone
from zoo.layers import LayerType, get_act_layer, get_norm_layer
from zoo.models.resnet import BasicBlock, Bottleneck, make_stages

__all__ = ['BasicBlock', 'Bottleneck', 'ResNet', 'ResNet_CIFAR', 'RESNET_ARCH_SETTINGS']

# depth -> (block type, blocks per stage); one table for every variant.
RESNET_ARCH_SETTINGS: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    18: ('basic', (2, 2, 2, 2)),
    34: ('basic', (3, 4, 6, 3)),
    50: ('bottleneck', (3, 4, 6, 3)),
    101: ('bottleneck', (3, 4, 23, 3)),
    152: ('bottleneck', (3, 8, 36, 3)),
}
_LEGACY_NORM = re.compile(r'(^|\.)norm(\d)(?=\.)')


def _stage_geometry(num_stages: int, stem_reduction: int, output_stride: int) -> tuple[list[int], list[int]]:
    """Per-stage (strides, dilations) that `make_stages` builds: the first stage keeps the resolution, each later one
    halves it until `output_stride` is reached, after which stages dilate by 2 instead."""
    strides, dilations = [], []
    net_stride, dilation = stem_reduction, 1
    for i in range(num_stages):
        stride = 1 if i == 0 else 2
        if net_stride >= output_stride:
            dilation *= stride
            stride = 1
        net_stride *= stride
        strides.append(stride)
        dilations.append(dilation)
    return strides, dilations


def _output_stride(strides: Sequence[int], dilations: Sequence[int], num_stages: int, stem_reduction: int) -> int:
    """The output stride the (strides, dilations) config describes; refuses a geometry the stages cannot build."""
    strides, dilations = list(strides[:num_stages]), list(dilations[:num_stages])
    output_stride = stem_reduction
    for s in strides:
        output_stride *= s
    if (strides, dilations) != _stage_geometry(num_stages, stem_reduction, output_stride):
        supported = {stem_reduction * 2 ** k: _stage_geometry(num_stages, stem_reduction, stem_reduction * 2 ** k)
                     for k in range(max(num_stages - 3, 0), num_stages)}
        options = '; '.join(f'strides={tuple(s)}, dilations={tuple(d)}' for s, d in supported.values())
        raise ValueError(f'strides {tuple(strides)} with dilations {tuple(dilations)} are not a ResNet stage '
                         f'geometry (stride 1 in the first stage, 2 in later ones, dilation replacing stride past '
                         f'the output stride); use one of: {options}')
    return output_stride


@register_backbone()
class ResNet(nn.Module):
    """ResNet backbone returning a tuple of stage outputs.

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: Input image channels.
        stem_channels: Output channels of the stem.
        base_channels: Width of the first stage (doubles every stage; bottleneck outputs are 4x wider).
        num_stages: How many of the four stages to build (1-4).
        strides: Stride of each stage: 1 for the first, 2 for the others, except 1 where a stage dilates.
        dilations: Dilation of each stage (e.g. ``(1, 1, 2, 4)`` with ``strides=(1, 2, 1, 1)`` for output stride 8).
        out_indices: Stages (0-based, negative counts from the end) whose outputs are returned, in order.
        style: 'pytorch' only (stride in the 3x3 conv of a bottleneck); kept so mmcls configs load unchanged.
        deep_stem: Replace the 7x7 stem conv by three 3x3 convs.
        avg_down: Pool instead of striding in the shortcut projections.
        frozen_stages: Freeze the stem (0) and stages 1..frozen_stages: no gradients, always in eval mode.
            -1 freezes nothing.
        norm_eval: Keep every normalisation layer in eval mode (running statistics frozen) during training.
        zero_init_residual: Zero the last norm of every residual branch.
        with_cp: Recompute each block in the backward pass (activation checkpointing) to save memory.
        norm_layer: Normalisation layer, as a class or a name such as 'batchnorm'.
        act_layer: Activation layer, as a class or a name such as 'relu'.
    """

    arch_settings = RESNET_ARCH_SETTINGS

    def __init__(
            self,
            depth: int,
            in_channels: int = 3,
            stem_channels: int = 64,
            base_channels: int = 64,
            num_stages: int = 4,
            strides: Sequence[int] = (1, 2, 2, 2),
            dilations: Sequence[int] = (1, 1, 1, 1),
            out_indices: Sequence[int] = (3,),
            style: Literal['pytorch'] = 'pytorch',
            deep_stem: bool = False,
            avg_down: bool = False,
            frozen_stages: int = -1,
            norm_eval: bool = False,
            zero_init_residual: bool = True,
            with_cp: bool = False,
            norm_layer: LayerType = nn.BatchNorm2d,
            act_layer: LayerType = nn.ReLU,
    ) -> None:
        super().__init__()
        norm_layer = get_norm_layer(norm_layer)
        act_layer = get_act_layer(act_layer)
        if depth not in self.arch_settings:
            raise ValueError(f'unsupported ResNet depth {depth}; choose one of {sorted(self.arch_settings)}')
        if not 1 <= num_stages <= 4:
            raise ValueError(f'num_stages must be in 1..4, got {num_stages}')
        if len(strides) < num_stages or len(dilations) < num_stages:
            raise ValueError(f'strides {tuple(strides)} and dilations {tuple(dilations)} need at least '
                             f'num_stages={num_stages} entries')
        if style != 'pytorch':
            raise ValueError(f"style must be 'pytorch' (bottlenecks stride in the 3x3 conv, as the named ResNets "
                             f"whose blocks these are), got {style!r}")
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'frozen_stages must be in -1..num_stages ({num_stages}), got {frozen_stages}')
        self.out_indices = self._normalize_out_indices(out_indices, num_stages)
        self.depth = depth
        self.num_stages = num_stages
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.deep_stem = deep_stem

        stem_reduction, pool_stride = self._make_stem(in_channels, stem_channels, deep_stem, norm_layer, act_layer)
        output_stride = _output_stride(strides, dilations, num_stages, stem_reduction * pool_stride)
        block_type, stage_blocks = self.arch_settings[depth]
        block = BasicBlock if block_type == 'basic' else Bottleneck
        stages, stage_info = make_stages(
            (block,) * num_stages, [base_channels * 2 ** i for i in range(num_stages)], stage_blocks[:num_stages],
            stem_channels, stem_reduction=stem_reduction * pool_stride, output_stride=output_stride,
            avg_down=avg_down, act_layer=act_layer, norm_layer=norm_layer)
        for name, stage in stages:
            self.add_module(name, stage)
        # Feature levels as named models count them: level 0 is the stem activation, level i + 1 is stage i.
        self.level_info: list[dict[str, Any]] = [
            dict(num_chs=stem_channels, reduction=stem_reduction, module='act1'), *stage_info]
        self.out_channels = tuple(int(self.level_info[i + 1]['num_chs']) for i in self.out_indices)

        self._init_weights(zero_init_residual)
        self._freeze_stages()
        self._register_load_state_dict_pre_hook(self._rename_legacy_keys)

    @staticmethod
    def _rename_legacy_keys(state_dict: dict[str, torch.Tensor], prefix: str, *args: Any) -> None:
        """Composed checkpoints written before the backbone used the family's blocks named norms ``norm<i>``."""
        for key in [k for k in state_dict if k.startswith(prefix)]:
            renamed = prefix + _LEGACY_NORM.sub(r'\1bn\2', key[len(prefix):])
            if renamed != key and renamed not in state_dict:
                state_dict[renamed] = state_dict.pop(key)

    @staticmethod
    def _normalize_out_indices(out_indices: Sequence[int], num_stages: int) -> tuple[int, ...]:
        if isinstance(out_indices, int):
            out_indices = (out_indices,)
        normalized = []
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(f'out_indices {tuple(out_indices)} has {index}, outside the {num_stages} stages '
                                 f'(valid: 0..{num_stages - 1} or negative from the end)')
            normalized.append(index % num_stages)
        if not normalized:
            raise ValueError('out_indices is empty; name at least one stage, e.g. out_indices=(3,)')
        return tuple(normalized)

    def _make_stem(
            self,
            in_channels: int,
            stem_channels: int,
            deep_stem: bool,
            norm_layer: type[nn.Module],
            act_layer: type[nn.Module],
    ) -> tuple[int, int]:
        """Build ``conv1``, ``bn1``, ``act1`` and ``maxpool``; returns (stride at ``act1``, stride of the pool)."""
        if deep_stem:
            mid = stem_channels // 2
            # The third conv has no norm of its own: ``bn1`` follows it, as in the named 'd' ResNets.
            self.conv1 = nn.Sequential(
                nn.Conv2d(in_channels, mid, 3, 2, padding=1, bias=False), norm_layer(mid), act_layer(inplace=True),
                nn.Conv2d(mid, mid, 3, 1, padding=1, bias=False), norm_layer(mid), act_layer(inplace=True),
                nn.Conv2d(mid, stem_channels, 3, 1, padding=1, bias=False))
        else:
            self.conv1 = nn.Conv2d(in_channels, stem_channels, 7, 2, padding=3, bias=False)
        self.bn1 = norm_layer(stem_channels)
        self.act1 = act_layer(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, padding=1)
        return 2, 2

    def _init_weights(self, zero_init_residual: bool) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)) and module.weight is not None:
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, (BasicBlock, Bottleneck)):
                    module.zero_init_last()

    def stages(self) -> list[nn.Module]:
        """The residual stages, in order."""
        return [getattr(self, f'layer{i + 1}') for i in range(self.num_stages)]

    def prune_levels(self, last_level: int) -> None:
        """Replace the stages after feature level ``last_level`` (0 is the stem) by identities."""
        for i in range(last_level, self.num_stages):
            setattr(self, f'layer{i + 1}', nn.Identity())

    def stem(self) -> list[nn.Module]:
        """The modules of the stem, in order."""
        return [self.conv1, self.bn1, self.act1, self.maxpool]

    def group_matcher(self, coarse: bool = False) -> dict[str, Any]:
        """Parameter groups for layer-wise lr decay: the stem, then each stage (coarse) or block."""
        return dict(stem=r'^(?:conv1|bn1)\.', blocks=r'^layer(\d+)' if coarse else r'^layer(\d+)\.(\d+)')

    def _frozen_modules(self) -> list[nn.Module]:
        if self.frozen_stages < 0:
            return []
        return self.stem() + self.stages()[:self.frozen_stages]

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet':
        """Set training mode, keeping frozen stages and (with ``norm_eval``) all norm layers in eval mode."""
        super().train(mode)
        if mode:
            for module in self._frozen_modules():
                module.eval()
            if self.norm_eval:
                for module in self.modules():
                    if isinstance(module, nn.modules.batchnorm._BatchNorm):
                        module.eval()
        return self

    @property
    def feature_info(self) -> list[dict[str, Any]]:
        """num_chs / reduction / module of every feature level: the stem (level 0), then each stage.

        ``out_indices`` counts stages (0 = first stage) as mmpretrain backbones do, while these levels count the stem
        too, as the named models' ``feature_info`` and ``features_only`` do.
        """
        return [dict(info) for info in self.level_info]

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute blocks in the backward pass to save activation memory."""
        self.with_cp = enable

    def _run_stage(self, stage: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and self.training and torch.is_grad_enabled() and isinstance(stage, nn.Sequential):
            for block in stage:
                x = checkpoint(block, x, use_reentrant=False)
            return x
        return stage(x)

    def forward_levels(self, x: torch.Tensor, stop: int | None = None) -> list[torch.Tensor]:
        """Outputs of feature levels 0..stop (every level by default): stem activation, then each stage."""
        last = self.num_stages if stop is None else stop
        x = self.act1(self.bn1(self.conv1(x)))
        levels = [x]
        x = self.maxpool(x)
        for stage in self.stages()[:last]:
            x = self._run_stage(stage, x)
            levels.append(x)
        return levels

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Run the stem and stages; returns the outputs of the stages in ``out_indices``."""
        stages = self.forward_levels(x, stop=max(self.out_indices) + 1)[1:]
        return tuple(stages[i] for i in self.out_indices)


@register_backbone()
class ResNet_CIFAR(ResNet):
    """ResNet for 32x32 inputs: a 3x3 stride-1 stem conv and no max-pool, so stage 1 runs at full resolution.

    Takes the same arguments as :class:`ResNet` except that ``deep_stem`` is refused: the stem is a single
    stride-1 conv here, and a deep stem would only add cost at full resolution.
    """

    def _make_stem(
            self,
            in_channels: int,
            stem_channels: int,
            deep_stem: bool,
            norm_layer: type[nn.Module],
            act_layer: type[nn.Module],
    ) -> tuple[int, int]:
        if deep_stem:
            raise ValueError('ResNet_CIFAR has a single 3x3 stride-1 stem conv and does not support deep_stem=True; '
                             "drop deep_stem or use type='ResNet' for a deep stem")
        self.conv1 = nn.Conv2d(in_channels, stem_channels, 3, 1, padding=1, bias=False)
        self.bn1 = norm_layer(stem_channels)
        self.act1 = act_layer(inplace=True)
        self.maxpool = nn.Identity()
        return 1, 1
