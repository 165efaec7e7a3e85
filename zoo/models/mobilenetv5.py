"""MobileNetV5: the vision encoder of Google's Gemma 3n, built from MobileNetV4 blocks plus a multi-scale fusion neck.

There is no MobileNetV5 paper; its blocks are those of "MobileNetV4: Universal Models for the Mobile Ecosystem", Qin
et al., 2024 (arXiv:2404.10518): fused inverted residuals early, universal inverted bottlenecks (UIB) and Mobile MQA
attention later, here with RMSNorm and tanh-GELU throughout and layer scale in every UIB / attention block. The
Multi-Scale Fusion Adapter (MSFA) concatenates the last two feature levels at the finer one's resolution, mixes them
with a UIB FFN, and resizes the result to a fixed grid (16x16), which is what the encoder hands to the language
model. The classification variants pool that map.

Deviation kept from timm so its weights load: the `mqa` blocks of `mobilenetv5_base` list a stride of 2 that has no
effect (only the first block of a stage strides); the architecture tables here write it as 1.
"""
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import LayerType, SelectAdaptivePool2d, create_conv2d, get_act_layer, to_2tuple
from zoo.layers.anti_alias import AaLayerType
from zoo.layers.norm_act_channel import RmsNormAct2d
from zoo.models._base import IndicesT, Trunk, ZooModel, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._efficientnet_blocks import ConvNormAa, SqueezeExcite, UniversalInvertedResidual
from zoo.models._efficientnet_builder import (
    BlockArgs, build_stages, decode_arch_def, init_weights_goog, pop_drop_path_rate, round_channels, stage_levels)
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.mobilenetv3 import PooledHeadMixin

__all__ = ['MobileNetV5', 'MobileNetV5Encoder', 'MobileNetV5MultiScaleFusionAdapter']


class MobileNetV5MultiScaleFusionAdapter(nn.Module):
    """MSFA neck: upsample the inputs to the finest one, concatenate, UIB FFN, resize to `output_resolution`, norm.

    Args:
        in_chs: channels of each input (or their sum).
        out_chs: output channels.
        output_resolution: output grid (int or (H, W)).
        expansion_ratio: expansion of the FFN.
        interpolation_mode: how coarser inputs are upsampled to the finest ('nearest').
        layer_scale_init_value: layer scale of the FFN (None: none).
        noskip: no residual around the FFN (its input and output widths differ anyway).
        act_layer: activation of the FFN.
        norm_layer: norm+act factory (`norm_layer(chs, act_layer=..., apply_act=...)`) of the FFN and the output.
    """

    def __init__(
            self,
            in_chs: Union[int, Sequence[int]],
            out_chs: int,
            output_resolution: Union[int, Tuple[int, int]],
            expansion_ratio: float = 2.0,
            interpolation_mode: str = 'nearest',
            layer_scale_init_value: Optional[float] = None,
            noskip: bool = True,
            act_layer: LayerType = 'gelu_tanh',
            norm_layer: Callable[..., nn.Module] = RmsNormAct2d,
    ):
        super().__init__()
        self.in_channels = sum(in_chs) if isinstance(in_chs, Sequence) else in_chs
        self.out_channels = out_chs
        self.output_resolution = to_2tuple(output_resolution)
        self.interpolation_mode = interpolation_mode
        act_layer = get_act_layer(act_layer)
        self.ffn = UniversalInvertedResidual(
            self.in_channels, out_chs, dw_kernel_size_mid=0, exp_ratio=expansion_ratio, act_layer=act_layer,
            norm_layer=norm_layer, noskip=noskip, layer_scale_init_value=layer_scale_init_value)
        self.norm = norm_layer(out_chs, act_layer=act_layer, apply_act=False)

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        size = inputs[0].shape[-2:]  # the first input is the finest level
        x = torch.cat([f if f.shape[-2:] == size else F.interpolate(f, size=size, mode=self.interpolation_mode)
                       for f in inputs], dim=1)
        x = self.ffn(x)
        out_h, out_w = self.output_resolution
        if (size[0], size[1]) != (out_h, out_w):
            if size[0] % out_h or size[1] % out_w:
                x = F.interpolate(x, size=(out_h, out_w), mode='bilinear', align_corners=False)
            else:
                # an integer ratio: average whole cells rather than interpolate
                kernel = (size[0] // out_h, size[1] // out_w)
                x = F.avg_pool2d(x, kernel_size=kernel, stride=kernel)
        return self.norm(x)


class MobileNetV5(PooledHeadMixin, ZooModel):
    """Conv stem -> MobileNetV4-block stages -> MSFA neck (or a MobileNetV4 head conv) -> pool -> classifier.

    Args:
        block_args: decoded architecture (see `decode_arch_def`).
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        stem_size: stem width (scaled by `round_chs_fn` unless `fix_stem`).
        stem_bias: bias on the stem conv.
        fix_stem: keep `stem_size` unscaled.
        num_features: MSFA output width (with `use_msfa`), else the width of the post-pooling head conv.
        pad_type: '' symmetric padding, 'same' TF's.
        use_msfa: fuse the `msfa_indices` levels with the MSFA neck; otherwise a MobileNetV4 head (pool, 1x1 conv,
            norm+act).
        msfa_indices: the feature levels the neck fuses (negative counts from the end).
        msfa_output_resolution: the neck's output grid.
        act_layer: activation.
        norm_layer: norm+act factory (`norm_layer(chs, act_layer=..., apply_act=...)`), default RMSNorm.
        aa_layer: anti-aliasing of strided blocks.
        se_layer: squeeze-excite factory for blocks with an SE ratio.
        se_from_exp: SE ratios are relative to the expanded width.
        round_chs_fn: width scaling and rounding.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        layer_scale_init_value: layer scale of the UIB / attention blocks (None: none).
        global_pool: pooling of the head.
    """
    grad_checkpointing = checkpoint_flag('blocks')
    classifier_name = 'classifier'
    groups = dict(stem=r'^conv_stem|bn1', blocks=r'^blocks\.(\d+)\.(\d+)', coarse=r'^blocks\.(\d+)')

    def __init__(
            self,
            block_args: BlockArgs,
            num_classes: int = 1000,
            in_chans: int = 3,
            stem_size: int = 16,
            stem_bias: bool = True,
            fix_stem: bool = False,
            num_features: int = 2048,
            pad_type: str = '',
            use_msfa: bool = True,
            msfa_indices: Sequence[int] = (-2, -1),
            msfa_output_resolution: int = 16,
            act_layer: LayerType = 'gelu_tanh',
            norm_layer: Optional[Callable[..., nn.Module]] = None,
            aa_layer: Optional[AaLayerType] = None,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            se_from_exp: bool = True,
            round_chs_fn: Callable[[float], int] = round_channels,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            layer_scale_init_value: Optional[float] = None,
            global_pool: str = 'avg',
    ):
        super().__init__()
        check_pooled_head(global_pool, num_classes)
        act_layer = get_act_layer(act_layer)
        norm_layer = norm_layer or RmsNormAct2d
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate

        if not fix_stem:
            stem_size = round_chs_fn(stem_size)
        self.conv_stem = ConvNormAa(in_chans, stem_size, 3, stride=2, pad_type=pad_type, bias=stem_bias,
                                    act_layer=act_layer, norm_layer=norm_layer)
        stages, self.feature_info, head_chs = build_stages(
            block_args, stem_size, act_layer=act_layer, norm_layer=norm_layer, se_layer=se_layer or SqueezeExcite,
            round_chs_fn=round_chs_fn, se_from_exp=se_from_exp, pad_type=pad_type, drop_path_rate=drop_path_rate,
            aa_layer=aa_layer, layer_scale_init_value=layer_scale_init_value, stem_feature_module='conv_stem')
        self.blocks = nn.Sequential(*stages)
        self.stage_ends = [f['stage'] for f in self.feature_info]
        self.trunk = Trunk(levels=stage_levels(self.stage_ends, stem=('conv_stem',)))

        self.global_pool = SelectAdaptivePool2d(pool_type=global_pool)
        self.norm_head = nn.Identity()
        self.act2 = nn.Identity()
        if use_msfa:
            self.msfa_indices = feature_take_indices(len(self.feature_info), msfa_indices)[0]
            self.msfa = MobileNetV5MultiScaleFusionAdapter(
                [self.feature_info[i]['num_chs'] for i in self.msfa_indices], num_features, msfa_output_resolution,
                act_layer=act_layer, norm_layer=norm_layer)
            self.num_features = num_features  # forward_features returns the fused map
            self.conv_head = nn.Identity()
            self.head_hidden_size = num_features * self.global_pool.feat_mult()
        else:
            self.msfa_indices = []
            self.msfa = None
            self.num_features = head_chs
            # MobileNetV4's head: 1x1 conv on the pooled features, then norm + act
            self.conv_head = create_conv2d(head_chs * self.global_pool.feat_mult(), num_features, 1,
                                           padding=pad_type)
            self.norm_head = norm_layer(num_features, act_layer=act_layer)
            self.head_hidden_size = num_features
        self.flatten = nn.Flatten(1) if global_pool else nn.Identity()
        self.classifier = nn.Linear(self.head_hidden_size, num_classes) if num_classes > 0 else nn.Identity()
        init_weights_goog(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_stem(x)
        if self.msfa is None:
            for stage in self.blocks:
                x = stage(x)
            return x
        # level i of feature_info ends at position stage_ends[i] of (stem, blocks.0, blocks.1, ...)
        taps = {self.stage_ends[i] for i in self.msfa_indices}
        fused = [x] if 0 in taps else []
        for pos, stage in enumerate(self.blocks, start=1):
            x = stage(x)
            if pos in taps:
                fused.append(x)
        return self.msfa(fused)

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """As `ZooModel.forward_intermediates`; the final features are the MSFA output, which needs the levels it
        fuses (with `stop_early` before the last level, the final features are that level's, as in the base)."""
        take, max_index = feature_take_indices(len(self.feature_info), indices)
        stopped = stop_early and max_index < len(self.feature_info) - 1
        if self.msfa is None or intermediates_only or stopped:
            return super().forward_intermediates(x, indices, norm, stop_early, output_fmt, intermediates_only)
        self._check_output_fmt(output_fmt)
        wanted = sorted(set(take) | set(self.msfa_indices))
        levels = super().forward_intermediates(x, wanted, output_fmt='NCHW', intermediates_only=True)
        by_index = dict(zip(wanted, levels))
        fused = self.msfa([by_index[i] for i in self.msfa_indices])
        if output_fmt == 'NHWC':
            return fused, [by_index[i].permute(0, 2, 3, 1).contiguous() for i in take]
        return fused, [by_index[i] for i in take]

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: IndicesT = 1, prune_norm: bool = False,
                                  prune_head: bool = True) -> List[int]:
        """As `ZooModel.prune_intermediate_layers`; the MSFA neck goes with the head (or with a level it fuses)."""
        take = super().prune_intermediate_layers(indices, prune_norm, prune_head)
        if self.msfa is not None and (prune_head or max(take) < len(self.feature_info) - 1):
            self.msfa = None
            self.msfa_indices = []
            self.num_features = self.feature_info[max(take)]['num_chs']
            self.num_classes = 0
            self._replace_head(self.num_features)
        return take


class MobileNetV5Encoder(MobileNetV5):
    """The Gemma 3n vision tower: MobileNetV5 stem, stages and MSFA neck, no classification head.

    `forward` returns the fused (N, 2048, 16, 16) map; there is no `forward_head`. Takes the arguments of
    `MobileNetV5` except the head ones (`num_classes`, `global_pool`, `use_msfa`, `num_features`).
    """

    def __init__(self, block_args: BlockArgs, stem_size: int = 64, num_classes: int = 0, **kwargs: Any):
        # num_classes is accepted only as 0: the factory passes the pretrained cfg's class count (0) to every model
        head_args = sorted({'global_pool', 'use_msfa', 'num_features'} & set(kwargs))
        if num_classes:
            head_args.append('num_classes')
        if head_args:
            raise TypeError(f'MobileNetV5Encoder has no classification head; {head_args} do not apply (use '
                            f'mobilenetv5_300m for a classifier).')
        super().__init__(block_args, num_classes=0, stem_size=stem_size, num_features=2048, use_msfa=True,
                         global_pool='', **kwargs)

    def reset_classifier(self, num_classes: int, global_pool: Optional[str] = None) -> None:
        if num_classes:
            raise ValueError('MobileNetV5Encoder has no classification head to reset; build mobilenetv5_300m '
                             f'(num_classes={num_classes}) to classify.')
        super().reset_classifier(0, global_pool)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        raise NotImplementedError('MobileNetV5Encoder has no classification head; use mobilenetv5_300m to classify.')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)


def checkpoint_filter_fn(state_dict: Dict[str, Any], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Unwrap `model` / `state_dict` containers and take the vision tower out of a full Gemma 3n checkpoint."""
    for key in ('model', 'state_dict'):
        if isinstance(state_dict.get(key), dict):
            state_dict = state_dict[key]
    prefix = 'model.vision_tower.timm_model.'
    if any(k.startswith(prefix) for k in state_dict):
        state_dict = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    return state_dict


def _stage(first: str, body: List[str], mqa: Optional[str] = None, ffn: Optional[str] = None,
           pairs: int = 0) -> List[str]:
    """A stage: its strided first block, `body`, then `pairs` x (Mobile MQA block, FFN block)."""
    return [first] + body + [b for _ in range(pairs) for b in (mqa, ffn)]


# Stages 0-1 are the same for both sizes: fused inverted residuals, then ConvNeXt-like UIBs (a>0, k0)
_STEM_STAGES = [
    ['er_r1_k3_s2_e4_c128', 'er_r2_k3_s1_e4_c128'],
    ['uir_r1_a3_k5_s2_e6_c256', 'uir_r1_a5_k0_s1_e4_c256', 'uir_r1_a3_k0_s1_e4_c256', 'uir_r1_a5_k0_s1_e4_c256',
     'uir_r1_a3_k0_s1_e4_c256'],
]
_MNV5_ARCH_DEFS: Dict[str, List[List[str]]] = {
    'base': _STEM_STAGES + [
        _stage('uir_r1_a5_k5_s2_e6_c512', ['uir_r2_a5_k0_s1_e4_c512', 'uir_r1_a0_k0_s1_e1_c512'],
               'mqa_r1_k3_h8_s1_d64_c512', 'uir_r1_a0_k0_s1_e2_c512', pairs=6),
        _stage('uir_r1_a5_k5_s2_e6_c1024', [], 'mqa_r1_k3_h16_s1_d64_c1024', 'uir_r1_a0_k0_s1_e2_c1024', pairs=7),
    ],
    # the Gemma 3n encoder; its stage-2 attention computes keys / values at half resolution (`v2`)
    '300m': _STEM_STAGES + [
        _stage('uir_r1_a5_k5_s2_e6_c640', ['uir_r7_a5_k0_s1_e4_c640', 'uir_r1_a0_k0_s1_e1_c640'],
               'mqa_r1_k3_h12_v2_s1_d64_c640', 'uir_r1_a0_k0_s1_e2_c640', pairs=14),
        _stage('uir_r1_a5_k5_s2_e6_c1280', [], 'mqa_r1_k3_h16_s1_d96_c1280', 'uir_r1_a0_k0_s1_e2_c1280', pairs=19),
    ],
}


def _create_mnv5(variant: str, pretrained: bool = False, encoder: bool = False, **kwargs: Any) -> MobileNetV5:
    pop_drop_path_rate(kwargs)
    return build_model_with_cfg(MobileNetV5Encoder if encoder else MobileNetV5, variant, pretrained,
                                pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3, 4), feature_cls='getter'), **kwargs)


def _mobilenet_v5(variant: str, pretrained: bool, kwargs: Dict[str, Any], size: str,
                  encoder: bool = False) -> MobileNetV5:
    cm = kwargs.pop('channel_multiplier', 1.0)
    model_args = dict(
        block_args=decode_arch_def(_MNV5_ARCH_DEFS[size]), stem_size=64, fix_stem=cm < 1.0,
        round_chs_fn=partial(round_channels, multiplier=cm), layer_scale_init_value=1e-5)
    return _create_mnv5(variant, pretrained, encoder=encoder, **dict(model_args, **kwargs))


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(input_size=(3, 256, 256), pool_size=(16, 16), crop_pct=1.0, interpolation='bicubic',
               mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), first_conv='conv_stem.conv', classifier='classifier')
    return dict(cfg, **kwargs)


default_cfgs = generate_default_cfgs({
    # the encoder for the Gemma 3n integration: inputs in [0, 1], 768 px, no classes
    'mobilenetv5_300m_enc': _cfg(input_size=(3, 768, 768), mean=(0., 0., 0.), std=(1., 1., 1.), num_classes=0),
    # the Gemma 3n encoder weights, for fine-tuning
    'mobilenetv5_300m.gemma3n': _cfg(
        hf_hub_id='timm/', input_size=(3, 768, 768), mean=(0., 0., 0.), std=(1., 1., 1.), num_classes=0,
        license='gemma'),
    'mobilenetv5_base.untrained': _cfg(num_classes=1000),
})


@register_model
def mobilenetv5_300m_enc(pretrained: bool = False, **kwargs: Any) -> MobileNetV5Encoder:
    """The Gemma 3n vision encoder (TF 'same' padding, as the Gemma release)."""
    kwargs.setdefault('pad_type', 'same')
    return _mobilenet_v5('mobilenetv5_300m_enc', pretrained, kwargs, '300m', encoder=True)


@register_model
def mobilenetv5_300m(pretrained: bool = False, **kwargs: Any) -> MobileNetV5:
    """The Gemma 3n encoder with a pooled classification head."""
    return _mobilenet_v5('mobilenetv5_300m', pretrained, kwargs, '300m')


@register_model
def mobilenetv5_base(pretrained: bool = False, **kwargs: Any) -> MobileNetV5:
    """A smaller MobileNetV5 (timm's classification config)."""
    return _mobilenet_v5('mobilenetv5_base', pretrained, kwargs, 'base')
