"""RDNet: DenseNets revisited with modern (ConvNeXt-era) design choices.

Paper: "DenseNets Reloaded: Paradigm Shift Beyond ResNets and ViTs", Kim et al., ECCV 2024 (arXiv:2403.19588).
Each dense block computes `growth_rate` new channels from the concatenation of everything before it in its stage
(7x7 depthwise conv -> LayerNorm -> 1x1 expand (4x the *input* width) -> GELU -> 1x1 to the growth rate, optionally
followed by effective squeeze-excitation) and appends them; a learnable per-channel scale (`gamma`) plays the role of
layer scale. Between dense stages a transition (LayerNorm + conv) compresses the width by half (rounded down to a
multiple of 8), striding with a 2x2 conv where the resolution halves and a 1x1 conv elsewhere. The stem is a 4x4
patchify conv (or overlapping 3x3 convs); the head pools, normalises and classifies as ConvNeXt's does.

A feature level is the run of dense stages that share one resolution (its last stage's output).
"""
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import (
    ClassifierHead, DropPath, EffectiveSEModule, LayerType, get_act_layer, get_norm_layer, make_divisible,
)
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.norm_mlp_head import NormMlpClassifierHead
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint, named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['RDNet', 'DenseBlock', 'DenseStage']

NormFactory = Callable[..., nn.Module]


class MixerBlock(nn.Module):
    """The residual-free body of a dense block: dwconv 7x7 -> norm -> 1x1 -> act -> 1x1 [-> eSE].

    Args:
        in_chs: input channels (all features so far in the stage).
        inter_chs: width of the expansion.
        out_chs: new channels produced (the growth rate).
        norm_layer: NCHW norm.
        act_layer: activation.
        use_ese: effective squeeze-excitation on the new channels.
    """

    def __init__(self, in_chs: int, inter_chs: int, out_chs: int, norm_layer: NormFactory,
                 act_layer: Callable[..., nn.Module], use_ese: bool = False):
        super().__init__()
        layers = [
            nn.Conv2d(in_chs, in_chs, 7, padding=3, groups=in_chs),
            norm_layer(in_chs),
            nn.Conv2d(in_chs, inter_chs, 1),
            act_layer(),
            nn.Conv2d(inter_chs, out_chs, 1),
        ]
        if use_ese:
            layers.append(EffectiveSEModule(out_chs, gate_layer='hard_sigmoid'))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class DenseBlock(nn.Module):
    """Computes `growth_rate` new channels from the stage's features so far (scaled, dropped, not yet appended).

    Args:
        num_input_features: channels of the incoming features.
        growth_rate: channels produced.
        bottleneck_width_ratio: expansion width relative to the input channels.
        drop_path_rate: stochastic depth rate.
        drop_rate: dropout on the new channels.
        block_type: 'Block', or 'BlockESE' with effective squeeze-excitation.
        ls_init_value: initial per-channel scale (`gamma`); None / 0 disables it.
        norm_layer: NCHW norm.
        act_layer: activation.
    """

    def __init__(
            self,
            num_input_features: int = 64,
            growth_rate: int = 64,
            bottleneck_width_ratio: float = 4.0,
            drop_path_rate: float = 0.,
            drop_rate: float = 0.,
            block_type: str = 'Block',
            ls_init_value: Optional[float] = 1e-6,
            norm_layer: NormFactory = nn.LayerNorm,
            act_layer: Callable[..., nn.Module] = nn.GELU,
    ):
        super().__init__()
        if block_type not in ('Block', 'BlockESE'):
            raise ValueError(f"Unknown block_type {block_type!r}; use 'Block' or 'BlockESE'.")
        self.drop_rate = drop_rate
        self.gamma = nn.Parameter(torch.full((growth_rate,), ls_init_value)) if ls_init_value else None
        self.drop_path = DropPath(drop_path_rate)
        self.layers = MixerBlock(num_input_features, int(num_input_features * bottleneck_width_ratio), growth_rate,
                                 norm_layer, act_layer, use_ese=block_type == 'BlockESE')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(x)
        if self.gamma is not None:
            x = x * self.gamma.view(1, -1, 1, 1)
        x = self.drop_path(x)
        return F.dropout(x, p=self.drop_rate, training=self.training) if self.drop_rate > 0 else x


class DenseStage(nn.Sequential):
    """Dense blocks `dense_block{i}`; each appends its new channels to the running concatenation."""

    def __init__(self, num_block: int, num_input_features: int, drop_path_rates: Sequence[float], growth_rate: int,
                 **block_kwargs: Any):
        super().__init__()
        for i in range(num_block):
            self.add_module(f'dense_block{i}', DenseBlock(
                num_input_features + i * growth_rate, growth_rate, drop_path_rate=drop_path_rates[i],
                **block_kwargs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self:
            x = torch.cat((x, block(x)), dim=1)
        return x


class _CheckpointedStage(nn.Sequential):
    """(transition norm, transition conv,) dense stage; recomputed in backward when grad checkpointing is on."""
    grad_checkpointing = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return maybe_checkpoint(super().forward, x, enabled=self.grad_checkpointing)


def make_stages(
        in_chs: int,
        stem_stride: int,
        growth_rates: Sequence[int],
        num_blocks_list: Sequence[int],
        block_type: Sequence[str],
        is_downsample_block: Sequence[Optional[bool]],
        transition_compression_ratio: float,
        norm_layer: NormFactory,
        drop_path_rate: float = 0.,
        **block_kwargs: Any,
) -> Tuple[List[nn.Sequential], List[Dict[str, Any]], int]:
    """The dense stages with their transitions, the feature_info (one entry per resolution) and the final width."""
    rates = stagewise_drop_path_rates(drop_path_rate, num_blocks_list)
    stages, feature_info = [], []
    chs, reduction = in_chs, stem_stride
    num_stages = len(growth_rates)
    for i in range(num_stages):
        layers = []
        if i > 0:
            # the transition halves the width (rounded down to a multiple of 8) and strides where asked
            out_chs = int(chs * transition_compression_ratio / 8) * 8
            size = 2 if is_downsample_block[i] else 1
            reduction *= size
            layers += [norm_layer(chs), nn.Conv2d(chs, out_chs, size, stride=size)]
            chs = out_chs
        layers.append(DenseStage(num_blocks_list[i], chs, rates[i], growth_rates[i], block_type=block_type[i],
                                 norm_layer=norm_layer, **block_kwargs))
        chs += num_blocks_list[i] * growth_rates[i]
        stages.append(_CheckpointedStage(*layers))
        if i == num_stages - 1 or is_downsample_block[i + 1]:
            feature_info.append(dict(num_chs=chs, reduction=reduction, module=f'dense_stages.{i}',
                                     growth_rate=growth_rates[i]))
    return stages, feature_info, chs


class RDNet(ZooModel):
    """RDNet: stem, dense stages with transitions, pool -> norm -> classifier head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', or '' for unpooled maps.
        growth_rates: new channels per block, per dense stage.
        num_blocks_list: blocks per dense stage.
        block_type: 'Block' or 'BlockESE' per dense stage.
        is_downsample_block: per dense stage, whether its transition halves the resolution (the first is ignored).
        bottleneck_width_ratio: block expansion relative to its input width.
        transition_compression_ratio: width kept by each transition.
        ls_init_value: initial block scale (`gamma`); None disables it.
        stem_type: 'patch', 'overlap' or 'overlap_tiered'.
        patch_size: stride / kernel of the patch stem.
        num_init_features: stem width.
        head_init_scale: multiplier of the initial classifier weights.
        head_norm_first: norm before pooling and a plain classifier head.
        conv_bias: biases in the stem convs.
        act_layer: block activation.
        norm_layer: NCHW norm (name or class).
        norm_eps: eps of every norm (its default when None).
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout on each block's new channels.
        drop_path_rate: stochastic depth rate of the last block.
    """
    classifier_name = 'head.fc'
    groups = dict(stem=r'^stem', blocks=r'^dense_stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            growth_rates: Sequence[int] = (64, 104, 128, 128, 128, 128, 224),
            num_blocks_list: Sequence[int] = (3, 3, 3, 3, 3, 3, 3),
            block_type: Sequence[str] = ('Block', 'Block', 'BlockESE', 'BlockESE', 'BlockESE', 'BlockESE', 'BlockESE'),
            is_downsample_block: Sequence[Optional[bool]] = (None, True, True, False, False, False, True),
            bottleneck_width_ratio: float = 4.0,
            transition_compression_ratio: float = 0.5,
            ls_init_value: Optional[float] = 1e-6,
            stem_type: str = 'patch',
            patch_size: int = 4,
            num_init_features: int = 64,
            head_init_scale: float = 1.,
            head_norm_first: bool = False,
            conv_bias: bool = True,
            act_layer: LayerType = 'gelu',
            norm_layer: LayerType = 'layernorm2d',
            norm_eps: Optional[float] = None,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        if not len(growth_rates) == len(num_blocks_list) == len(block_type) == len(is_downsample_block):
            raise ValueError('growth_rates, num_blocks_list, block_type and is_downsample_block need one entry per '
                             'dense stage.')
        if stem_type not in ('patch', 'overlap', 'overlap_tiered'):
            raise ValueError(f"Unknown stem_type {stem_type!r}; use 'patch', 'overlap' or 'overlap_tiered'.")
        norm_layer = get_norm_layer(norm_layer)
        if norm_eps is not None:
            norm_layer = partial(norm_layer, eps=norm_eps)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate

        if stem_type == 'patch':
            self.stem = nn.Sequential(
                nn.Conv2d(in_chans, num_init_features, patch_size, stride=patch_size, bias=conv_bias),
                norm_layer(num_init_features),
            )
            stem_stride = patch_size
        else:
            mid_chs = make_divisible(num_init_features // 2) if stem_type == 'overlap_tiered' else num_init_features
            self.stem = nn.Sequential(
                nn.Conv2d(in_chans, mid_chs, 3, stride=2, padding=1, bias=conv_bias),
                nn.Conv2d(mid_chs, num_init_features, 3, stride=2, padding=1, bias=conv_bias),
                norm_layer(num_init_features),
            )
            stem_stride = 4

        stages, self.feature_info, self.num_features = make_stages(
            num_init_features, stem_stride, growth_rates, num_blocks_list, block_type, is_downsample_block,
            transition_compression_ratio, norm_layer,
            drop_path_rate=drop_path_rate,
            bottleneck_width_ratio=bottleneck_width_ratio,
            drop_rate=proj_drop_rate,
            ls_init_value=ls_init_value,
            act_layer=get_act_layer(act_layer),
        )
        self.dense_stages = nn.Sequential(*stages)
        # a level is the run of dense stages up to (and including) the stage its feature_info names
        ends = [int(info['module'].rsplit('.', 1)[1]) for info in self.feature_info]
        starts = [0] + [e + 1 for e in ends[:-1]]
        self.trunk = Trunk(stem=('stem',), final=('norm_pre',), levels=tuple(
            tuple(f'dense_stages.{j}' for j in range(s, e + 1)) for s, e in zip(starts, ends)))

        if head_norm_first:
            self.norm_pre = norm_layer(self.num_features)
            self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        else:
            self.norm_pre = nn.Identity()
            self.head = NormMlpClassifierHead(self.num_features, num_classes, pool_type=global_pool,
                                              drop_rate=drop_rate, norm_layer=norm_layer)
        self.head_hidden_size = getattr(self.head, 'num_features', self.num_features)
        named_apply(partial(_init_weights, head_init_scale=head_init_scale), self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm_pre(self.dense_stages(self.stem(x)))


def _init_weights(module: nn.Module, name: str = '', head_init_scale: float = 1.) -> None:
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight)
    elif isinstance(module, nn.Linear):
        nn.init.zeros_(module.bias)
        if 'head.' in name and head_init_scale != 1.:
            with torch.no_grad():
                module.weight.mul_(head_init_scale)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the official naver-ai/rdnet checkpoints, whose stem is nested one level deeper (`stem.stem.`)."""
    state_dict = state_dict.get('model', state_dict)
    return {(k.replace('stem.stem.', 'stem.', 1) if k.startswith('stem.stem.') else k): v
            for k, v in state_dict.items()}


def _create_rdnet(variant: str, pretrained: bool = False, **kwargs: Any) -> RDNet:
    return build_model_with_cfg(
        RDNet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(first_conv='stem.0', classifier='head.fc', pool_size=(7, 7), crop_pct=0.9, interpolation='bicubic',
               license='apache-2.0', origin_url='https://github.com/naver-ai/rdnet',
               paper_name='DenseNets Reloaded: Paradigm Shift Beyond ResNets and ViTs', paper_ids='arXiv:2403.19588')
    cfg.update(kwargs)
    return cfg


# weights published by the authors under naver-ai/ on the Hub
default_cfgs = generate_default_cfgs({
    'rdnet_tiny.nv_in1k': _cfg(hf_hub_id='naver-ai/rdnet_tiny.nv_in1k'),
    'rdnet_small.nv_in1k': _cfg(hf_hub_id='naver-ai/rdnet_small.nv_in1k'),
    'rdnet_base.nv_in1k': _cfg(hf_hub_id='naver-ai/rdnet_base.nv_in1k'),
    'rdnet_large.nv_in1k': _cfg(hf_hub_id='naver-ai/rdnet_large.nv_in1k'),
    'rdnet_large.nv_in1k_ft_in1k_384': _cfg(
        hf_hub_id='naver-ai/rdnet_large.nv_in1k_ft_in1k_384', input_size=(3, 384, 384), crop_pct=1.0,
        pool_size=(12, 12)),
})


def _rdnet_args(num_init_features: int, growth_rates: Sequence[int], downsample_at: Sequence[int],
                num_plain: int = 2) -> Dict[str, Any]:
    """Three blocks per dense stage; transitions into the stages in `downsample_at` halve the resolution; the first
    `num_plain` stages use plain blocks, the rest eSE blocks."""
    num_stages = len(growth_rates)
    return dict(
        num_init_features=num_init_features,
        growth_rates=tuple(growth_rates),
        num_blocks_list=(3,) * num_stages,
        is_downsample_block=(None,) + tuple(i in downsample_at for i in range(1, num_stages)),
        transition_compression_ratio=0.5,
        block_type=('Block',) * num_plain + ('BlockESE',) * (num_stages - num_plain),
    )


def _rdnet(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> RDNet:
    return _create_rdnet(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def rdnet_tiny(pretrained: bool = False, **kwargs) -> RDNet:
    return _rdnet('rdnet_tiny', pretrained, _rdnet_args(64, (64, 104) + (128,) * 4 + (224,), (1, 2, 6)), kwargs)


@register_model
def rdnet_small(pretrained: bool = False, **kwargs) -> RDNet:
    return _rdnet('rdnet_small', pretrained, _rdnet_args(72, (64, 128) + (128,) * 7 + (240,) * 2, (1, 2, 9)), kwargs)


@register_model
def rdnet_base(pretrained: bool = False, **kwargs) -> RDNet:
    return _rdnet('rdnet_base', pretrained, _rdnet_args(120, (96, 128) + (168,) * 7 + (336,) * 2, (1, 2, 9)), kwargs)


@register_model
def rdnet_large(pretrained: bool = False, **kwargs) -> RDNet:
    return _rdnet('rdnet_large', pretrained, _rdnet_args(144, (128, 192) + (256,) * 8 + (360,) * 2, (1, 2, 10)),
                  kwargs)
