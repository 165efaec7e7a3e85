"""MobileNetV3, LCNet and FBNetV3: MBConv stages with the "efficient head" (pool first, then a 1x1 conv).

These reuse the EfficientNet block builder (`zoo.models._efficientnet_builder`, architecture strings documented
there) but end differently: global pooling comes before the head's 1x1 conv, which has no norm, only an activation,
so the head runs on a 1x1 map.

Papers:
- MobileNetV3: "Searching for MobileNetV3", Howard et al., 2019 (arXiv:1905.02244). Hard-swish activations,
  SE with a hard-sigmoid gate sized from the expanded width (rounded to a multiple of 8), ReLU inside the SE.
- LCNet: "PP-LCNet: A Lightweight CPU Convolutional Neural Network", Cui et al., 2021 (arXiv:2109.15099).
- FBNetV3: "FBNetV3: Joint Architecture-Recipe Search", Dai et al., 2020 (arXiv:2006.02049).

Deviations, matching timm so its weights load: `mobilenetv3_rw` is an early reading of the paper (plain-round SE
width, no head bias); the `tf_*` variants are ports of the TF checkpoints (TF 'same' padding, BN epsilon 1e-3);
the `minimal` variants drop SE and hard-swish and use 3x3 kernels only, as in the TF release.
"""
from functools import partial
from typing import Any, Callable, Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import LayerType, SelectAdaptivePool2d, create_conv2d_pad, get_act_layer
from zoo.layers.anti_alias import AaLayerType
from zoo.models._base import Trunk, ZooModel, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._efficientnet_blocks import SqueezeExcite
from zoo.models._efficientnet_builder import (
    BN_EPS_TF, BlockArgs, build_stages, decode_arch_def, stage_levels, init_weights_goog,
    pop_drop_path_rate, resolve_norm_layer, round_channels)
from zoo.models._manipulate import checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['MobileNetV3', 'PooledHeadMixin']


class PooledHeadMixin:
    """The "efficient" head of the mobile families: global pooling first, then a 1x1 conv (+ norm) + activation on the
    pooled 1x1 map, then the classifier.

    For `ZooModel` subclasses holding `global_pool`, `conv_head`, `norm_head`, `act2`, `flatten`, `classifier` and
    `drop_rate` as top-level attributes (the published key layout). `conv_head` may be an Identity (no head conv),
    and then `head_hidden_size` follows the pooled width.
    """
    num_features: int
    head_hidden_size: int
    drop_rate: float

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            pool = SelectAdaptivePool2d(pool_type=global_pool)
            if isinstance(self.conv_head, nn.Identity):
                self.head_hidden_size = self.num_features * pool.feat_mult()
            elif pool.feat_mult() != self.global_pool.feat_mult():
                raise ValueError(f'The head conv takes {self.conv_head.in_channels} pooled channels; '
                                 f'global_pool={global_pool!r} would change that. Keep a pooling of the same width '
                                 f'(e.g. avg / max) or build the model with this global_pool.')
            self.global_pool = pool
            self.flatten = nn.Flatten(1) if global_pool else nn.Identity()
        self.classifier = nn.Linear(self.head_hidden_size, num_classes) if num_classes > 0 else nn.Identity()

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.flatten(self.act2(self.norm_head(self.conv_head(self.global_pool(x)))))
        if self.drop_rate > 0.:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return x if pre_logits else self.classifier(x)

    def _replace_head(self, in_features: int) -> None:
        # the head conv belongs to the classifier head and is sized for the full network's output
        self.conv_head = nn.Identity()
        self.norm_head = nn.Identity()
        self.act2 = nn.Identity()
        self.head_hidden_size = in_features
        self._reset_head(0, '')


class MobileNetV3(PooledHeadMixin, ZooModel):
    """Conv stem -> MBConv-style stages -> pool -> 1x1 conv + act -> classifier.

    Args:
        block_args: decoded architecture (see `decode_arch_def`).
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        stem_size: stem width before width scaling.
        fix_stem: keep `stem_size` unscaled.
        num_features: width of the post-pooling 1x1 conv (the pre-logits width).
        head_bias: give that conv a bias (ignored with `head_norm`, whose norm has its own shift).
        head_norm: follow that conv with a norm+act instead of a bare activation (MobileNetV4).
        pad_type: '' for symmetric PyTorch padding, 'same' for TF's (the `tf_*` ports).
        act_layer: default activation (blocks may override it in their string).
        norm_layer: norm+act factory, `norm_layer(chs, act_layer=..., apply_act=...)`.
        aa_layer: anti-aliasing of strided blocks ('avg', 'blurpc', ... see `zoo.layers.anti_alias`).
        se_layer: squeeze-excite factory taking `(chs, rd_ratio=..., act_layer=...)`.
        se_from_exp: SE ratios are relative to the expanded width (True for MobileNetV3).
        round_chs_fn: width scaling and rounding of every channel count.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate reached by the last block.
        layer_scale_init_value: initial layer scale of the MobileNetV4 blocks (None disables layer scale).
        global_pool: pooling type for the head.
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
            fix_stem: bool = False,
            num_features: int = 1280,
            head_bias: bool = True,
            head_norm: bool = False,
            pad_type: str = '',
            act_layer: LayerType = nn.ReLU,
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
        norm_layer = norm_layer or resolve_norm_layer({})
        se_layer = se_layer or SqueezeExcite
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate

        if not fix_stem:
            stem_size = round_chs_fn(stem_size)
        self.conv_stem = create_conv2d_pad(in_chans, stem_size, 3, stride=2, padding=pad_type)
        self.bn1 = norm_layer(stem_size, act_layer=act_layer, inplace=True)

        stages, self.feature_info, head_chs = build_stages(
            block_args, stem_size, act_layer=act_layer, norm_layer=norm_layer, se_layer=se_layer,
            round_chs_fn=round_chs_fn, se_from_exp=se_from_exp, pad_type=pad_type, drop_path_rate=drop_path_rate,
            aa_layer=aa_layer, layer_scale_init_value=layer_scale_init_value)
        self.blocks = nn.Sequential(*stages)
        self.trunk = Trunk(levels=stage_levels([f['stage'] for f in self.feature_info]))
        self.num_features = head_chs  # what forward_features returns
        self.head_hidden_size = num_features  # what forward_head(pre_logits=True) returns

        self.global_pool = SelectAdaptivePool2d(pool_type=global_pool)
        self.conv_head = create_conv2d_pad(head_chs * self.global_pool.feat_mult(), num_features, 1,
                                           padding=pad_type, bias=head_bias and not head_norm)
        if head_norm:
            self.norm_head = norm_layer(num_features, act_layer=act_layer)
            self.act2 = nn.Identity()
        else:
            self.norm_head = nn.Identity()
            self.act2 = act_layer(inplace=True)
        self.flatten = nn.Flatten(1) if global_pool else nn.Identity()
        self.classifier = nn.Linear(num_features, num_classes) if num_classes > 0 else nn.Identity()
        init_weights_goog(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn1(self.conv_stem(x))
        return self.blocks(x)


def _create_mnv3(variant: str, pretrained: bool = False, **kwargs) -> MobileNetV3:
    pop_drop_path_rate(kwargs)
    return build_model_with_cfg(MobileNetV3, variant, pretrained,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3, 4), feature_cls='getter'),
                                **kwargs)


_ARCH_DEFS: Dict[str, List[List[str]]] = {
    # ReLU in the first three stages (`nre`), the default hard-swish after; `cn` is the last 1x1 conv before pooling
    'large': [
        ['ds_r1_k3_s1_e1_c16_nre'], ['ir_r1_k3_s2_e4_c24_nre', 'ir_r1_k3_s1_e3_c24_nre'],
        ['ir_r3_k5_s2_e3_c40_se0.25_nre'], ['ir_r1_k3_s2_e6_c80', 'ir_r1_k3_s1_e2.5_c80', 'ir_r2_k3_s1_e2.3_c80'],
        ['ir_r2_k3_s1_e6_c112_se0.25'], ['ir_r3_k5_s2_e6_c160_se0.25'], ['cn_r1_k1_s1_c960'],
    ],
    'large_minimal': [
        ['ds_r1_k3_s1_e1_c16'], ['ir_r1_k3_s2_e4_c24', 'ir_r1_k3_s1_e3_c24'], ['ir_r3_k3_s2_e3_c40'],
        ['ir_r1_k3_s2_e6_c80', 'ir_r1_k3_s1_e2.5_c80', 'ir_r2_k3_s1_e2.3_c80'], ['ir_r2_k3_s1_e6_c112'],
        ['ir_r3_k3_s2_e6_c160'], ['cn_r1_k1_s1_c960'],
    ],
    'small': [
        ['ds_r1_k3_s2_e1_c16_se0.25_nre'], ['ir_r1_k3_s2_e4.5_c24_nre', 'ir_r1_k3_s1_e3.67_c24_nre'],
        ['ir_r1_k5_s2_e4_c40_se0.25', 'ir_r2_k5_s1_e6_c40_se0.25'], ['ir_r2_k5_s1_e3_c48_se0.25'],
        ['ir_r3_k5_s2_e6_c96_se0.25'], ['cn_r1_k1_s1_c576'],
    ],
    'small_minimal': [
        ['ds_r1_k3_s2_e1_c16'], ['ir_r1_k3_s2_e4.5_c24', 'ir_r1_k3_s1_e3.67_c24'],
        ['ir_r1_k3_s2_e4_c40', 'ir_r2_k3_s1_e6_c40'], ['ir_r2_k3_s1_e3_c48'], ['ir_r3_k3_s2_e6_c96'],
        ['cn_r1_k1_s1_c576'],
    ],
    # the pre-release definition: like 'large' but the first block has no residual
    'rw': [
        ['ds_r1_k3_s1_e1_c16_nre_noskip'], ['ir_r1_k3_s2_e4_c24_nre', 'ir_r1_k3_s1_e3_c24_nre'],
        ['ir_r3_k5_s2_e3_c40_se0.25_nre'], ['ir_r1_k3_s2_e6_c80', 'ir_r1_k3_s1_e2.5_c80', 'ir_r2_k3_s1_e2.3_c80'],
        ['ir_r2_k3_s1_e6_c112_se0.25'], ['ir_r3_k5_s2_e6_c160_se0.25'], ['cn_r1_k1_s1_c960'],
    ],
    # LCNet: MobileNetV1-style blocks (activation after the pointwise conv), SE only at the end
    'lcnet': [
        ['dsa_r1_k3_s1_c32'], ['dsa_r2_k3_s2_c64'], ['dsa_r2_k3_s2_c128'],
        ['dsa_r1_k3_s2_c256', 'dsa_r1_k5_s1_c256'], ['dsa_r4_k5_s1_c256'], ['dsa_r2_k5_s2_c512_se0.25'],
    ],
    'fbnetv3_b': [
        ['ds_r2_k3_s1_e1_c16'], ['ir_r1_k5_s2_e4_c24', 'ir_r3_k5_s1_e2_c24'],
        ['ir_r1_k5_s2_e5_c40_se0.25', 'ir_r4_k5_s1_e3_c40_se0.25'], ['ir_r1_k5_s2_e5_c72', 'ir_r4_k3_s1_e3_c72'],
        ['ir_r1_k3_s1_e5_c120_se0.25', 'ir_r5_k5_s1_e3_c120_se0.25'],
        ['ir_r1_k3_s2_e6_c184_se0.25', 'ir_r5_k5_s1_e4_c184_se0.25', 'ir_r1_k5_s1_e6_c224_se0.25'],
        ['cn_r1_k1_s1_c1344'],
    ],
    'fbnetv3_d': [
        ['ds_r2_k3_s1_e1_c16'], ['ir_r1_k3_s2_e5_c24', 'ir_r5_k3_s1_e2_c24'],
        ['ir_r1_k5_s2_e4_c40_se0.25', 'ir_r4_k3_s1_e3_c40_se0.25'], ['ir_r1_k3_s2_e5_c72', 'ir_r4_k3_s1_e3_c72'],
        ['ir_r1_k3_s1_e5_c128_se0.25', 'ir_r6_k5_s1_e3_c128_se0.25'],
        ['ir_r1_k3_s2_e6_c208_se0.25', 'ir_r5_k5_s1_e5_c208_se0.25', 'ir_r1_k5_s1_e6_c240_se0.25'],
        ['cn_r1_k1_s1_c1440'],
    ],
    'fbnetv3_g': [
        ['ds_r3_k3_s1_e1_c24'], ['ir_r1_k5_s2_e4_c40', 'ir_r4_k5_s1_e2_c40'],
        ['ir_r1_k5_s2_e4_c56_se0.25', 'ir_r4_k5_s1_e3_c56_se0.25'], ['ir_r1_k5_s2_e5_c104', 'ir_r4_k3_s1_e3_c104'],
        ['ir_r1_k3_s1_e5_c160_se0.25', 'ir_r8_k5_s1_e3_c160_se0.25'],
        ['ir_r1_k3_s2_e6_c264_se0.25', 'ir_r6_k5_s1_e5_c264_se0.25', 'ir_r2_k5_s1_e6_c288_se0.25'],
        ['cn_r1_k1_s1_c1728'],
    ],
}


def _mnv4_hybrid_tail(mqa: str, blocks: List[str]) -> List[str]:
    """The attention part of a MobileNetV4 hybrid stage: each of `blocks` preceded by the Mobile MQA block `mqa`."""
    return [b for block in blocks for b in (mqa, block)]


# MobileNetV4 (arXiv:2404.10518, tables 11-13). `uir` kernels a / k: a0 k0 = FFN, a>0 k>0 = ExtraDW, a0 k>0 = IR,
# a>0 k0 = ConvNeXt-like. The last stage is the 1x1 conv to 960 channels before pooling.
_MNV4_ARCH_DEFS: Dict[str, List[List[str]]] = {
    'conv_small': [
        ['cn_r1_k3_s2_e1_c32', 'cn_r1_k1_s1_e1_c32'],
        ['cn_r1_k3_s2_e1_c96', 'cn_r1_k1_s1_e1_c64'],
        ['uir_r1_a5_k5_s2_e3_c96', 'uir_r4_a0_k3_s1_e2_c96', 'uir_r1_a3_k0_s1_e4_c96'],
        ['uir_r1_a3_k3_s2_e6_c128', 'uir_r1_a5_k5_s1_e4_c128', 'uir_r1_a0_k5_s1_e4_c128', 'uir_r1_a0_k5_s1_e3_c128',
         'uir_r2_a0_k3_s1_e4_c128'],
        ['cn_r1_k1_s1_c960'],
    ],
    'conv_medium': [
        ['er_r1_k3_s2_e4_c48'],
        ['uir_r1_a3_k5_s2_e4_c80', 'uir_r1_a3_k3_s1_e2_c80'],
        ['uir_r1_a3_k5_s2_e6_c160', 'uir_r2_a3_k3_s1_e4_c160', 'uir_r1_a3_k5_s1_e4_c160', 'uir_r1_a3_k3_s1_e4_c160',
         'uir_r1_a3_k0_s1_e4_c160', 'uir_r1_a0_k0_s1_e2_c160', 'uir_r1_a3_k0_s1_e4_c160'],
        ['uir_r1_a5_k5_s2_e6_c256', 'uir_r1_a5_k5_s1_e4_c256', 'uir_r2_a3_k5_s1_e4_c256', 'uir_r1_a0_k0_s1_e4_c256',
         'uir_r1_a3_k0_s1_e4_c256', 'uir_r1_a3_k5_s1_e2_c256', 'uir_r1_a5_k5_s1_e4_c256', 'uir_r2_a0_k0_s1_e4_c256',
         'uir_r1_a5_k0_s1_e2_c256'],
        ['cn_r1_k1_s1_c960'],
    ],
    'conv_large': [
        ['er_r1_k3_s2_e4_c48'],
        ['uir_r1_a3_k5_s2_e4_c96', 'uir_r1_a3_k3_s1_e4_c96'],
        ['uir_r1_a3_k5_s2_e4_c192', 'uir_r3_a3_k3_s1_e4_c192', 'uir_r1_a3_k5_s1_e4_c192', 'uir_r5_a5_k3_s1_e4_c192',
         'uir_r1_a3_k0_s1_e4_c192'],
        ['uir_r4_a5_k5_s2_e4_c512', 'uir_r1_a5_k0_s1_e4_c512', 'uir_r1_a5_k3_s1_e4_c512', 'uir_r2_a5_k0_s1_e4_c512',
         'uir_r1_a5_k3_s1_e4_c512', 'uir_r1_a5_k5_s1_e4_c512', 'uir_r3_a5_k0_s1_e4_c512'],
        ['cn_r1_k1_s1_c960'],
    ],
    # the hybrids add Mobile MQA blocks to the last two stages; `v2` computes keys / values at half resolution
    'hybrid_medium': [
        ['er_r1_k3_s2_e4_c48'],
        ['uir_r1_a3_k5_s2_e4_c80', 'uir_r1_a3_k3_s1_e2_c80'],
        ['uir_r1_a3_k5_s2_e6_c160', 'uir_r1_a0_k0_s1_e2_c160', 'uir_r1_a3_k3_s1_e4_c160', 'uir_r1_a3_k5_s1_e4_c160']
        + _mnv4_hybrid_tail('mqa_r1_k3_h4_s1_v2_d64_c160', [
            'uir_r1_a3_k3_s1_e4_c160', 'uir_r1_a3_k0_s1_e4_c160', 'uir_r1_a3_k3_s1_e4_c160',
            'uir_r1_a3_k0_s1_e4_c160']),
        ['uir_r1_a5_k5_s2_e6_c256', 'uir_r1_a5_k5_s1_e4_c256', 'uir_r2_a3_k5_s1_e4_c256', 'uir_r1_a0_k0_s1_e2_c256',
         'uir_r1_a3_k5_s1_e2_c256', 'uir_r1_a0_k0_s1_e2_c256', 'uir_r1_a0_k0_s1_e4_c256']
        + _mnv4_hybrid_tail('mqa_r1_k3_h4_s1_d64_c256', [
            'uir_r1_a3_k0_s1_e4_c256', 'uir_r1_a5_k5_s1_e4_c256', 'uir_r1_a5_k0_s1_e4_c256',
            'uir_r1_a5_k0_s1_e4_c256']),
        ['cn_r1_k1_s1_c960'],
    ],
    'hybrid_large': [
        ['er_r1_k3_s2_e4_c48'],
        ['uir_r1_a3_k5_s2_e4_c96', 'uir_r1_a3_k3_s1_e4_c96'],
        ['uir_r1_a3_k5_s2_e4_c192', 'uir_r3_a3_k3_s1_e4_c192', 'uir_r1_a3_k5_s1_e4_c192', 'uir_r2_a5_k3_s1_e4_c192']
        + _mnv4_hybrid_tail('mqa_r1_k3_h8_s1_v2_d48_c192', [
            'uir_r1_a5_k3_s1_e4_c192', 'uir_r1_a5_k3_s1_e4_c192', 'uir_r1_a5_k3_s1_e4_c192',
            'uir_r1_a3_k0_s1_e4_c192']),
        ['uir_r4_a5_k5_s2_e4_c512', 'uir_r1_a5_k0_s1_e4_c512', 'uir_r1_a5_k3_s1_e4_c512', 'uir_r2_a5_k0_s1_e4_c512',
         'uir_r1_a5_k3_s1_e4_c512', 'uir_r1_a5_k5_s1_e4_c512']
        + _mnv4_hybrid_tail('mqa_r1_k3_h8_s1_d64_c512', ['uir_r1_a5_k0_s1_e4_c512'] * 4),
        ['cn_r1_k1_s1_c960'],
    ],
}


def _tf_port(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """Ports of TF checkpoints: TF 'same' padding and BN epsilon 1e-3 unless the caller says otherwise."""
    kwargs.setdefault('pad_type', 'same')
    kwargs.setdefault('bn_eps', BN_EPS_TF)
    return kwargs


def _build(variant: str, pretrained: bool, arch: str, kwargs: Dict[str, Any], channel_multiplier: float = 1.0,
           depth_multiplier: float = 1.0, round_limit: float = 0.9, act_layer: LayerType = 'hard_swish',
           arch_defs: Optional[Dict[str, List[List[str]]]] = None, **model_args) -> MobileNetV3:
    """Decode `arch` (from `arch_defs`, default the MobileNetV3 table), bind the width scaling, resolve norm /
    activation; user kwargs override every default."""
    model_args.update(
        block_args=decode_arch_def((arch_defs or _ARCH_DEFS)[arch], depth_multiplier),
        round_chs_fn=partial(round_channels, multiplier=channel_multiplier, round_limit=round_limit),
        norm_layer=resolve_norm_layer(kwargs),
        act_layer=kwargs.pop('act_layer', act_layer),
    )
    return _create_mnv3(variant, pretrained, **dict(model_args, **kwargs))


def _mobilenet_v3(variant: str, pretrained: bool, kwargs: Dict[str, Any], cm: float = 1.0,
                  dm: float = 1.0) -> MobileNetV3:
    size = 'small' if 'small' in variant else 'large'
    minimal = 'minimal' in variant
    # SE width from the expanded width, rounded to a multiple of 8, always ReLU inside, hard-sigmoid gate
    se_layer = partial(SqueezeExcite, gate_layer='hard_sigmoid', force_act_layer=nn.ReLU, rd_round_fn=round_channels)
    return _build(variant, pretrained, f'{size}_minimal' if minimal else size, kwargs, cm, dm,
                  act_layer='relu' if minimal else 'hard_swish', se_layer=se_layer, stem_size=16,
                  fix_stem=cm < 0.75, num_features=1024 if size == 'small' else 1280)


def _mobilenet_v3_rw(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> MobileNetV3:
    kwargs.setdefault('bn_eps', BN_EPS_TF)
    return _build(variant, pretrained, 'rw', kwargs, head_bias=False,
                  se_layer=partial(SqueezeExcite, gate_layer='hard_sigmoid'))


def _lcnet(variant: str, pretrained: bool, kwargs: Dict[str, Any], cm: float) -> MobileNetV3:
    return _build(variant, pretrained, 'lcnet', kwargs, cm, stem_size=16, num_features=1280,
                  se_layer=partial(SqueezeExcite, gate_layer='hard_sigmoid', force_act_layer=nn.ReLU))


def _fbnetv3(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> MobileNetV3:
    # channel rounding never drops below 95% here, and SE widths use the same rounding
    round_chs_fn = partial(round_channels, round_limit=0.95)
    version = variant.split('_')[-1]
    return _build(variant, pretrained, variant, kwargs, round_limit=0.95, num_features=1984, head_bias=False,
                  stem_size={'b': 16, 'd': 24, 'g': 32}[version], se_from_exp=False,
                  se_layer=partial(SqueezeExcite, gate_layer='hard_sigmoid', rd_round_fn=round_chs_fn))


def _mobilenet_v4(variant: str, pretrained: bool, kwargs: Dict[str, Any], arch: str, cm: float = 1.0,
                  aa_layer: Optional[str] = None) -> MobileNetV3:
    """MobileNetV4: BN + ReLU (GELU for hybrid-large), a normed 1x1 head conv, layer scale in the hybrids."""
    hybrid = arch.startswith('hybrid')
    kwargs.setdefault('act_layer', 'gelu' if arch == 'hybrid_large' else 'relu')
    return _build(variant, pretrained, arch, kwargs, cm, arch_defs=_MNV4_ARCH_DEFS, num_features=1280,
                  head_bias=False, head_norm=True, stem_size=24 if arch.endswith('large') else 32, fix_stem=cm < 1.0,
                  layer_scale_init_value=1e-5 if hybrid else None, aa_layer=aa_layer)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='conv_stem', classifier='classifier', interpolation='bicubic',
               crop_pct=0.875, license='apache-2.0')
    cfg.update(kwargs)
    if 'pool_size' not in cfg:
        size = cfg.get('input_size', (3, 224, 224))
        cfg['pool_size'] = tuple(-(-s // 32) for s in size[1:])
    return cfg


# Tags and preprocessing of the weights timm publishes (Hub `timm/<arch>.<tag>`); the first tag is the default.
default_cfgs = generate_default_cfgs({
    'fbnetv3_b.ra2_in1k': _cfg(test_input_size=(3, 256, 256), crop_pct=0.95, interpolation='bilinear'),
    'fbnetv3_d.ra2_in1k': _cfg(test_input_size=(3, 256, 256), crop_pct=0.95, interpolation='bilinear'),
    'fbnetv3_g.ra2_in1k': _cfg(
        input_size=(3, 240, 240), test_input_size=(3, 288, 288), crop_pct=0.95, interpolation='bilinear'),
    'lcnet_035.untrained': _cfg(hf_hub_id=None, interpolation='bilinear'),
    'lcnet_050.ra2_in1k': _cfg(),
    'lcnet_075.ra2_in1k': _cfg(),
    'lcnet_100.ra2_in1k': _cfg(),
    'lcnet_150.untrained': _cfg(hf_hub_id=None, interpolation='bilinear'),
    'mobilenetv3_large_075.untrained': _cfg(hf_hub_id=None, interpolation='bilinear'),
    'mobilenetv3_large_100.ra_in1k': _cfg(),
    'mobilenetv3_large_100.ra4_e3600_r224_in1k': _cfg(
        test_input_size=(3, 256, 256), crop_pct=0.95, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv3_large_100.miil_in21k_ft_in1k': _cfg(
        interpolation='bilinear', mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'mobilenetv3_large_100.miil_in21k': _cfg(
        interpolation='bilinear', mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), num_classes=11221),
    'mobilenetv3_large_150d.ra4_e3600_r256_in1k': _cfg(
        input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0,
        interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv3_rw.rmsp_in1k': _cfg(),
    'mobilenetv3_small_050.lamb_in1k': _cfg(),
    'mobilenetv3_small_075.lamb_in1k': _cfg(),
    'mobilenetv3_small_100.lamb_in1k': _cfg(),
    'tf_mobilenetv3_large_075.in1k': _cfg(interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_mobilenetv3_large_100.in1k': _cfg(interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_mobilenetv3_large_minimal_100.in1k': _cfg(interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_mobilenetv3_small_075.in1k': _cfg(interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_mobilenetv3_small_100.in1k': _cfg(interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_mobilenetv3_small_minimal_100.in1k': _cfg(interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv4_conv_aa_large.e230_r448_in12k_ft_in1k': _cfg(
        input_size=(3, 448, 448), test_input_size=(3, 544, 544), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_conv_aa_large.e230_r384_in12k_ft_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_conv_aa_large.e600_r384_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_conv_aa_large.e230_r384_in12k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 448, 448), crop_pct=0.95, test_crop_pct=1.0, num_classes=11821),
    'mobilenetv4_conv_aa_medium.untrained': _cfg(hf_hub_id=None, input_size=(3, 256, 256), crop_pct=0.95),
    'mobilenetv4_conv_blur_medium.e500_r224_in1k': _cfg(
        test_input_size=(3, 256, 256), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_conv_large.e600_r384_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 448, 448), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_conv_large.e500_r256_in1k': _cfg(
        input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_conv_medium.e500_r256_in1k': _cfg(
        input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_conv_medium.e500_r224_in1k': _cfg(test_input_size=(3, 256, 256), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_conv_medium.e250_r384_in12k_ft_in1k': _cfg(input_size=(3, 384, 384), crop_pct=0.95),
    'mobilenetv4_conv_medium.e180_r384_in12k': _cfg(input_size=(3, 384, 384), crop_pct=1.0, num_classes=11821),
    'mobilenetv4_conv_medium.e180_ad_r384_in12k': _cfg(input_size=(3, 384, 384), crop_pct=1.0, num_classes=11821),
    'mobilenetv4_conv_medium.e250_r384_in12k': _cfg(input_size=(3, 384, 384), crop_pct=1.0, num_classes=11821),
    'mobilenetv4_conv_small.e2400_r224_in1k': _cfg(test_input_size=(3, 256, 256), test_crop_pct=0.95),
    'mobilenetv4_conv_small.e1200_r224_in1k': _cfg(test_input_size=(3, 256, 256), test_crop_pct=0.95),
    'mobilenetv4_conv_small.e3600_r256_in1k': _cfg(
        input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0,
        mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv4_conv_small_035.untrained': _cfg(
        hf_hub_id=None, test_input_size=(3, 256, 256), test_crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv4_conv_small_050.e3000_r224_in1k': _cfg(
        test_input_size=(3, 256, 256), test_crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv4_hybrid_large.ix_e600_r384_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 448, 448), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_hybrid_large.e600_r384_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 448, 448), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_hybrid_large_075.untrained': _cfg(hf_hub_id=None, input_size=(3, 256, 256), crop_pct=0.95),
    'mobilenetv4_hybrid_medium.e200_r256_in12k_ft_in1k': _cfg(
        input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_hybrid_medium.ix_e550_r256_in1k': _cfg(
        input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_hybrid_medium.ix_e550_r384_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 448, 448), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_hybrid_medium.e500_r224_in1k': _cfg(test_input_size=(3, 256, 256), crop_pct=0.95, test_crop_pct=1.0),
    'mobilenetv4_hybrid_medium.e200_r256_in12k': _cfg(
        input_size=(3, 256, 256), test_input_size=(3, 320, 320), crop_pct=0.95, test_crop_pct=1.0, num_classes=11821),
    'mobilenetv4_hybrid_medium_075.untrained': _cfg(hf_hub_id=None, crop_pct=0.95),
})


@register_model
def mobilenetv3_large_075(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('mobilenetv3_large_075', pretrained, kwargs, 0.75)


@register_model
def mobilenetv3_large_100(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV3-Large 1.0."""
    return _mobilenet_v3('mobilenetv3_large_100', pretrained, kwargs, 1.0)


@register_model
def mobilenetv3_large_150d(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV3-Large widened x1.5 and deepened x1.2 (timm)."""
    return _mobilenet_v3('mobilenetv3_large_150d', pretrained, kwargs, 1.5, dm=1.2)


@register_model
def mobilenetv3_small_050(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('mobilenetv3_small_050', pretrained, kwargs, 0.5)


@register_model
def mobilenetv3_small_075(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('mobilenetv3_small_075', pretrained, kwargs, 0.75)


@register_model
def mobilenetv3_small_100(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('mobilenetv3_small_100', pretrained, kwargs, 1.0)


@register_model
def mobilenetv3_rw(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3_rw('mobilenetv3_rw', pretrained, kwargs)


@register_model
def tf_mobilenetv3_large_075(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('tf_mobilenetv3_large_075', pretrained, _tf_port(kwargs), 0.75)


@register_model
def tf_mobilenetv3_large_100(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('tf_mobilenetv3_large_100', pretrained, _tf_port(kwargs), 1.0)


@register_model
def tf_mobilenetv3_large_minimal_100(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('tf_mobilenetv3_large_minimal_100', pretrained, _tf_port(kwargs), 1.0)


@register_model
def tf_mobilenetv3_small_075(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('tf_mobilenetv3_small_075', pretrained, _tf_port(kwargs), 0.75)


@register_model
def tf_mobilenetv3_small_100(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('tf_mobilenetv3_small_100', pretrained, _tf_port(kwargs), 1.0)


@register_model
def tf_mobilenetv3_small_minimal_100(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v3('tf_mobilenetv3_small_minimal_100', pretrained, _tf_port(kwargs), 1.0)


@register_model
def lcnet_035(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """PP-LCNet x0.35."""
    return _lcnet('lcnet_035', pretrained, kwargs, 0.35)


@register_model
def lcnet_050(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _lcnet('lcnet_050', pretrained, kwargs, 0.5)


@register_model
def lcnet_075(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _lcnet('lcnet_075', pretrained, kwargs, 0.75)


@register_model
def lcnet_100(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _lcnet('lcnet_100', pretrained, kwargs, 1.0)


@register_model
def lcnet_150(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _lcnet('lcnet_150', pretrained, kwargs, 1.5)


@register_model
def fbnetv3_b(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """FBNetV3-B."""
    return _fbnetv3('fbnetv3_b', pretrained, kwargs)


@register_model
def fbnetv3_d(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """FBNetV3-D."""
    return _fbnetv3('fbnetv3_d', pretrained, kwargs)


@register_model
def fbnetv3_g(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """FBNetV3-G."""
    return _fbnetv3('fbnetv3_g', pretrained, kwargs)


@register_model
def mobilenetv4_conv_small_035(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v4('mobilenetv4_conv_small_035', pretrained, kwargs, 'conv_small', 0.35)


@register_model
def mobilenetv4_conv_small_050(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v4('mobilenetv4_conv_small_050', pretrained, kwargs, 'conv_small', 0.5)


@register_model
def mobilenetv4_conv_small(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV4-Conv-S."""
    return _mobilenet_v4('mobilenetv4_conv_small', pretrained, kwargs, 'conv_small')


@register_model
def mobilenetv4_conv_medium(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV4-Conv-M."""
    return _mobilenet_v4('mobilenetv4_conv_medium', pretrained, kwargs, 'conv_medium')


@register_model
def mobilenetv4_conv_large(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV4-Conv-L."""
    return _mobilenet_v4('mobilenetv4_conv_large', pretrained, kwargs, 'conv_large')


@register_model
def mobilenetv4_hybrid_medium(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV4-Hybrid-M (Mobile MQA in the last two stages)."""
    return _mobilenet_v4('mobilenetv4_hybrid_medium', pretrained, kwargs, 'hybrid_medium')


@register_model
def mobilenetv4_hybrid_large(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV4-Hybrid-L."""
    return _mobilenet_v4('mobilenetv4_hybrid_large', pretrained, kwargs, 'hybrid_large')


@register_model
def mobilenetv4_conv_aa_medium(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV4-Conv-M with 2x2 average-pool anti-aliasing (timm)."""
    return _mobilenet_v4('mobilenetv4_conv_aa_medium', pretrained, kwargs, 'conv_medium', aa_layer='avg')


@register_model
def mobilenetv4_conv_blur_medium(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """MobileNetV4-Conv-M with blur-pool anti-aliasing (timm)."""
    return _mobilenet_v4('mobilenetv4_conv_blur_medium', pretrained, kwargs, 'conv_medium', aa_layer='blurpc')


@register_model
def mobilenetv4_conv_aa_large(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v4('mobilenetv4_conv_aa_large', pretrained, kwargs, 'conv_large', aa_layer='avg')


@register_model
def mobilenetv4_hybrid_medium_075(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v4('mobilenetv4_hybrid_medium_075', pretrained, kwargs, 'hybrid_medium', 0.75)


@register_model
def mobilenetv4_hybrid_large_075(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _mobilenet_v4('mobilenetv4_hybrid_large_075', pretrained, kwargs, 'hybrid_large', 0.75)
