"""ResNet backbones for composed classifiers.

Deep Residual Learning for Image Recognition, He et al., CVPR 2016 (https://arxiv.org/abs/1512.03385).
Options beyond the paper: the ``deep_stem`` / ``avg_down`` tweaks of "Bag of Tricks for Image Classification",
He et al., CVPR 2019 (https://arxiv.org/abs/1812.01187), and the 'caffe' style that strides in the first 1x1 conv
of a bottleneck as the original Caffe release did (the default 'pytorch' style strides in the 3x3 conv, "ResNet v1.5").

The backbone returns a tuple with the outputs of the stages in ``out_indices``; pooling and classification are the
neck's and head's job. Parameter names follow the named zoo/timm ResNets with ``bn`` spelt ``norm``
(``conv1``, ``norm1``, ``layer1.0.conv1``, ``layer1.0.norm1``, ``layer1.0.downsample.0``, ...), which keeps the
weight mapping in :mod:`zoo.compose.weights` a renaming only.

``ResNet_CIFAR`` differs only in the stem: one 3x3 stride-1 conv and no max-pool, for 32x32 inputs.
"""
from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from zoo.compose.registry import register_backbone
from zoo.layers import LayerType, get_act_layer, get_norm_layer

__all__ = ['BasicBlock', 'Bottleneck', 'ResNet', 'ResNet_CIFAR', 'RESNET_ARCH_SETTINGS']

# depth -> (block type, blocks per stage); one table for every variant.
RESNET_ARCH_SETTINGS: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    18: ('basic', (2, 2, 2, 2)),
    34: ('basic', (3, 4, 6, 3)),
    50: ('bottleneck', (3, 4, 6, 3)),
    101: ('bottleneck', (3, 4, 23, 3)),
    152: ('bottleneck', (3, 8, 36, 3)),
}


class BasicBlock(nn.Module):
    """Two 3x3 convs with an identity (or projected) shortcut.

    Args:
        in_channels: Input channels.
        channels: Output channels of the block.
        stride: Stride of the first conv.
        dilation: Dilation of both convs.
        downsample: Projection of the shortcut when shape changes.
        style: Ignored (only bottlenecks have a choice of where to stride); kept for a uniform block signature.
        norm_layer: Normalisation layer type.
        act_layer: Activation layer type.
    """

    expansion = 1

    def __init__(
            self,
            in_channels: int,
            channels: int,
            stride: int = 1,
            dilation: int = 1,
            downsample: nn.Module | None = None,
            style: str = 'pytorch',
            norm_layer: type[nn.Module] = nn.BatchNorm2d,
            act_layer: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, padding=dilation, dilation=dilation, bias=False)
        self.norm1 = norm_layer(channels)
        self.act1 = act_layer(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False)
        self.norm2 = norm_layer(channels)
        self.act2 = act_layer(inplace=True)
        self.downsample = downsample

    def zero_init_last(self) -> None:
        """Start the residual branch at zero so the block is an identity at init (Goyal et al. 2017)."""
        nn.init.zeros_(self.norm2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.act1(self.norm1(self.conv1(x)))
        x = self.norm2(self.conv2(x))
        return self.act2(x + shortcut)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 -> 1x1 expand (x4), with an identity (or projected) shortcut.

    Args:
        in_channels: Input channels.
        channels: Width of the 3x3 conv; the block outputs ``channels * 4``.
        stride: Stride of the block.
        dilation: Dilation of the 3x3 conv.
        downsample: Projection of the shortcut when shape changes.
        style: 'pytorch' strides in the 3x3 conv, 'caffe' in the first 1x1 conv.
        norm_layer: Normalisation layer type.
        act_layer: Activation layer type.
    """

    expansion = 4

    def __init__(
            self,
            in_channels: int,
            channels: int,
            stride: int = 1,
            dilation: int = 1,
            downsample: nn.Module | None = None,
            style: str = 'pytorch',
            norm_layer: type[nn.Module] = nn.BatchNorm2d,
            act_layer: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        stride_1x1, stride_3x3 = (stride, 1) if style == 'caffe' else (1, stride)
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, 1, stride_1x1, bias=False)
        self.norm1 = norm_layer(channels)
        self.act1 = act_layer(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride_3x3, padding=dilation, dilation=dilation, bias=False)
        self.norm2 = norm_layer(channels)
        self.act2 = act_layer(inplace=True)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.norm3 = norm_layer(out_channels)
        self.act3 = act_layer(inplace=True)
        self.downsample = downsample

    def zero_init_last(self) -> None:
        """Start the residual branch at zero so the block is an identity at init (Goyal et al. 2017)."""
        nn.init.zeros_(self.norm3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.act1(self.norm1(self.conv1(x)))
        x = self.act2(self.norm2(self.conv2(x)))
        x = self.norm3(self.conv3(x))
        return self.act3(x + shortcut)


def _make_downsample(
        in_channels: int,
        out_channels: int,
        stride: int,
        avg_down: bool,
        norm_layer: type[nn.Module],
) -> nn.Sequential:
    """Shortcut projection; ``avg_down`` pools before a stride-1 1x1 conv so no input pixel is skipped."""
    if avg_down:
        pool = nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
        return nn.Sequential(pool, nn.Conv2d(in_channels, out_channels, 1, bias=False), norm_layer(out_channels))
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), norm_layer(out_channels))


def _make_stage(
        block: type[BasicBlock] | type[Bottleneck],
        num_blocks: int,
        in_channels: int,
        channels: int,
        stride: int,
        dilation: int,
        style: str,
        avg_down: bool,
        norm_layer: type[nn.Module],
        act_layer: type[nn.Module],
) -> tuple[nn.Sequential, int]:
    """One stage of ``num_blocks`` blocks; the first block changes resolution/width. Returns (stage, out channels)."""
    out_channels = channels * block.expansion
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = _make_downsample(in_channels, out_channels, stride, avg_down, norm_layer)
    blocks = [block(in_channels, channels, stride, dilation, downsample, style, norm_layer, act_layer)]
    blocks += [block(out_channels, channels, 1, dilation, None, style, norm_layer, act_layer)
               for _ in range(num_blocks - 1)]
    return nn.Sequential(*blocks), out_channels


@register_backbone()
class ResNet(nn.Module):
    """ResNet backbone returning a tuple of stage outputs.

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: Input image channels.
        stem_channels: Output channels of the stem.
        base_channels: Width of the first stage (doubles every stage; bottleneck outputs are 4x wider).
        num_stages: How many of the four stages to build (1-4).
        strides: Stride of each stage.
        dilations: Dilation of each stage.
        out_indices: Stages (0-based, negative counts from the end) whose outputs are returned, in order.
        style: 'pytorch' (stride in the 3x3 conv of a bottleneck) or 'caffe' (in the first 1x1 conv).
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
            style: Literal['pytorch', 'caffe'] = 'pytorch',
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
        if style not in ('pytorch', 'caffe'):
            raise ValueError(f"style must be 'pytorch' or 'caffe', got {style!r}")
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
        block_type, stage_blocks = self.arch_settings[depth]
        block = BasicBlock if block_type == 'basic' else Bottleneck

        # Feature levels as named models count them: level 0 is the stem activation, level i + 1 is stage i.
        self.level_info: list[dict[str, int | str]] = [dict(num_chs=stem_channels, reduction=stem_reduction,
                                                             module='act1')]
        channels = stem_channels
        reduction = stem_reduction * pool_stride
        for i in range(num_stages):
            stage, channels = _make_stage(block, stage_blocks[i], channels, base_channels * 2 ** i, strides[i],
                                          dilations[i], style, avg_down, norm_layer, act_layer)
            self.add_module(f'layer{i + 1}', stage)
            # Dilation replaces striding in the dense-prediction variants, so only strides reduce.
            reduction *= strides[i]
            self.level_info.append(dict(num_chs=channels, reduction=reduction, module=f'layer{i + 1}'))
        self.out_channels = tuple(int(self.level_info[i + 1]['num_chs']) for i in self.out_indices)

        self._init_weights(zero_init_residual)
        self._freeze_stages()

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
        """Build ``conv1``, ``norm1``, ``act1`` and ``maxpool``; returns (stride at ``act1``, stride of the pool)."""
        if deep_stem:
            mid = stem_channels // 2
            # The third conv has no norm of its own: ``norm1`` follows it, matching the timm 'd' ResNets' layout.
            self.conv1 = nn.Sequential(
                nn.Conv2d(in_channels, mid, 3, 2, padding=1, bias=False), norm_layer(mid), act_layer(inplace=True),
                nn.Conv2d(mid, mid, 3, 1, padding=1, bias=False), norm_layer(mid), act_layer(inplace=True),
                nn.Conv2d(mid, stem_channels, 3, 1, padding=1, bias=False))
        else:
            self.conv1 = nn.Conv2d(in_channels, stem_channels, 7, 2, padding=3, bias=False)
        self.norm1 = norm_layer(stem_channels)
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

    def stages(self) -> list[nn.Sequential]:
        """The residual stages, in order."""
        return [getattr(self, f'layer{i + 1}') for i in range(self.num_stages)]

    def prune_levels(self, last_level: int) -> None:
        """Replace the stages after feature level ``last_level`` (0 is the stem) by identities."""
        for i in range(last_level, self.num_stages):
            setattr(self, f'layer{i + 1}', nn.Identity())

    def stem(self) -> list[nn.Module]:
        """The modules of the stem, in order."""
        return [self.conv1, self.norm1, self.act1, self.maxpool]

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
    def feature_info(self) -> list[dict[str, int | str]]:
        """num_chs / reduction / module of every feature level: the stem (level 0), then each stage.

        ``out_indices`` counts stages (0 = first stage) as mmpretrain backbones do, while these levels count the stem
        too, as the named models' ``feature_info`` and ``features_only`` do.
        """
        return [dict(info) for info in self.level_info]

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute blocks in the backward pass to save activation memory."""
        self.with_cp = enable

    def _run_stage(self, stage: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and self.training and torch.is_grad_enabled():
            for block in stage:
                x = checkpoint(block, x, use_reentrant=False)
            return x
        return stage(x)

    def forward_levels(self, x: torch.Tensor, stop: int | None = None) -> list[torch.Tensor]:
        """Outputs of feature levels 0..stop (every level by default): stem activation, then each stage."""
        last = self.num_stages if stop is None else stop
        x = self.act1(self.norm1(self.conv1(x)))
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
        self.norm1 = norm_layer(stem_channels)
        self.act1 = act_layer(inplace=True)
        self.maxpool = nn.Identity()
        return 1, 1
