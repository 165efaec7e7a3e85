"""HardCoRe-NAS: MobileNetV3-style networks found by latency-constrained differentiable search.

Paper: "HardCoRe-NAS: Hard Constrained diffeRentiable Neural Architecture Search", Nayman et al., 2021
(arXiv:2102.11646). The search space is MobileNetV3-Large's: five searched stages of fixed width and stride (ReLU in
the first two, hard-swish after), where each stage picks its depth and each block its depthwise kernel (3 or 5),
expansion ratio (3, 4 or 6) and whether it has squeeze-excitation. Variants A-F are the nets found for increasing
latency budgets. They are built by the MobileNetV3 model (`zoo.models.mobilenetv3`), so they share its head (pool,
then a 1x1 conv + hard-swish) and API.
"""
from functools import partial
from typing import Any, Dict, List

import torch.nn as nn

from zoo.models._builder import build_model_with_cfg
from zoo.models._efficientnet_blocks import SqueezeExcite
from zoo.models._efficientnet_builder import decode_arch_def, pop_drop_path_rate, resolve_norm_layer, round_channels
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.mobilenetv3 import MobileNetV3

__all__: List[str] = []

# (output channels, stride of the first block, activation option) of the five searched stages
_STAGES = ((24, 2, '_nre'), (40, 2, '_nre'), (80, 2, ''), (112, 1, ''), (192, 2, ''))

# The blocks each variant picked, one string per searched stage: `k<kernel>e<expansion>`, `se` = with SE.
_CHOICES: Dict[str, List[str]] = {
    'a': ['k5e3 k5e3se', 'k5e3 k5e6se', 'k5e6se k5e6se', 'k5e6se k5e6se', 'k5e6se k5e6se'],
    'b': ['k5e3 k5e3se k3e3', 'k5e3 k5e3 k5e3', 'k5e3 k5e3 k3e3 k3e3', 'k5e3 k3e3 k3e3 k3e3',
          'k5e6se k5e6se k3e3se'],
    'c': ['k5e3 k5e3se', 'k5e3 k5e3 k5e3 k5e3', 'k5e4 k5e6se k3e3 k3e3', 'k5e6se k3e3 k3e3 k3e3',
          'k5e6se k5e6se k3e3se'],
    'd': ['k5e3se k5e3se', 'k5e3se k5e4se k3e3se', 'k5e4se k3e3se k3e3se k3e3se', 'k3e4se k5e4se k3e3se k5e3se',
          'k5e6se k5e6se k5e6se k3e6se'],
    'e': ['k5e3se k5e3se', 'k5e6se k5e4se k5e4se k3e3se', 'k5e4se k3e6se', 'k5e6se k5e6se k5e6se k5e3se',
          'k5e6se k5e6se k5e6se k3e6se'],
    'f': ['k5e3se k5e3se', 'k5e6se k5e6se', 'k5e6se k5e6se k3e3se k3e3se', 'k3e6se k5e6se k5e6se k3e3se',
          'k5e6se k5e6se k3e6se k3e6se'],
}


def _arch_def(choices: List[str]) -> List[List[str]]:
    """The searched choices -> the MobileNetV3 architecture strings, with the fixed first and last stages."""
    arch = [['ds_r1_k3_s1_e1_c16_nre']]
    for (chs, stride, act), stage in zip(_STAGES, choices):
        blocks = []
        for i, choice in enumerate(stage.split()):
            kernel, exp = choice[1], choice[3]
            se = '_se0.25' if choice.endswith('se') else ''
            blocks.append(f'ir_r1_k{kernel}_s{stride if i == 0 else 1}_e{exp}_c{chs}{act}{se}')
        arch.append(blocks)
    arch.append(['cn_r1_k1_s1_c960'])
    return arch


def _create_hardcorenas(variant: str, pretrained: bool = False, **kwargs) -> MobileNetV3:
    pop_drop_path_rate(kwargs)
    model_args = dict(
        block_args=decode_arch_def(_arch_def(_CHOICES[variant[-1]])),
        num_features=1280,
        stem_size=32,
        norm_layer=resolve_norm_layer(kwargs),
        act_layer=kwargs.pop('act_layer', 'hard_swish'),
        # MobileNetV3's SE: width from the expanded channels rounded to 8, ReLU inside, hard-sigmoid gate
        se_layer=partial(SqueezeExcite, gate_layer='hard_sigmoid', force_act_layer=nn.ReLU,
                         rd_round_fn=round_channels),
    )
    return build_model_with_cfg(MobileNetV3, variant, pretrained,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3, 4), feature_cls='getter'),
                                **dict(model_args, **kwargs))


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    return dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.875,
                interpolation='bilinear', first_conv='conv_stem', classifier='classifier', license='apache-2.0',
                **kwargs)


# The weights timm publishes (Alibaba MIIL, trained with their "green" recipe).
default_cfgs = generate_default_cfgs({
    'hardcorenas_a.miil_green_in1k': _cfg(),
    'hardcorenas_b.miil_green_in1k': _cfg(),
    'hardcorenas_c.miil_green_in1k': _cfg(),
    'hardcorenas_d.miil_green_in1k': _cfg(),
    'hardcorenas_e.miil_green_in1k': _cfg(),
    'hardcorenas_f.miil_green_in1k': _cfg(),
})


@register_model
def hardcorenas_a(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """HardCoRe-NAS A (the lowest latency budget)."""
    return _create_hardcorenas('hardcorenas_a', pretrained, **kwargs)


@register_model
def hardcorenas_b(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _create_hardcorenas('hardcorenas_b', pretrained, **kwargs)


@register_model
def hardcorenas_c(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _create_hardcorenas('hardcorenas_c', pretrained, **kwargs)


@register_model
def hardcorenas_d(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _create_hardcorenas('hardcorenas_d', pretrained, **kwargs)


@register_model
def hardcorenas_e(pretrained: bool = False, **kwargs) -> MobileNetV3:
    return _create_hardcorenas('hardcorenas_e', pretrained, **kwargs)


@register_model
def hardcorenas_f(pretrained: bool = False, **kwargs) -> MobileNetV3:
    """HardCoRe-NAS F (the highest latency budget)."""
    return _create_hardcorenas('hardcorenas_f', pretrained, **kwargs)
