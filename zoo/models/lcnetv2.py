"""PP-LCNetV2: a CPU-oriented mobile net of depthwise-separable blocks with re-parameterisable depthwise convs.

Reference: PaddleClas, "PP-LCNetV2" (docs/en/models/PP-LCNetV2_en.md, PaddleClas release 2.6); the SSLD weights come
from "Beyond Self-Supervision: A Simple Yet Effective Network Distillation Alternative to Improve Backbones", Cui et
al., 2021 (arXiv:2103.05959). Builds on PP-LCNet (`lcnet_*` in `zoo.models.mobilenetv3`).

Stages 3-4 train their depthwise conv as parallel conv+BN branches of kernels k, k-2, ..., 1 (the 1x1 branch is left
out when the conv strides, since it could not be folded); `reparameterize()` folds them into one conv with a bias,
exactly equal in eval mode (the idea of RepVGG, Ding et al., 2021, arXiv:2101.03697). SE and residuals are used
sparingly because they cost CPU latency. The head is PP-LCNet's: pool first, then a 1x1 conv + ReLU.
"""
from copy import deepcopy
from typing import Any, Dict, List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import LayerType, SEModule, SelectAdaptivePool2d, create_act_layer, create_conv2d, make_divisible
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.models._base import Trunk, ZooModel, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._fuse import fold_bn_into_conv
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.mobilenetv3 import PooledHeadMixin

__all__ = ['LCNetV2', 'RepDepthwiseSeparable']


class RepDepthwiseSeparable(nn.Module):
    """Depthwise conv (plain, or re-parameterisable multi-kernel) -> (SE) -> pointwise conv(s) -> (residual).

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: stride of the depthwise conv.
        dw_kernel_size: (largest) depthwise kernel.
        split_pw: two pointwise convs (to `out_chs * pw_ratio`, then `out_chs`) instead of one.
        use_rep: train the depthwise conv as parallel branches of kernels dw_kernel_size, -2, ..., 1.
        use_se: squeeze-excitation after the depthwise conv.
        use_shortcut: residual connection when the shapes allow it.
        pw_ratio: width of the first pointwise conv when split.
        se_ratio: SE bottleneck width relative to `in_chs`.
        act_layer: activation.
        norm_layer: norm of the conv units.
        inference_mode: build the re-parameterised form directly (one depthwise conv with bias).
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int = 1,
            dw_kernel_size: int = 3,
            split_pw: bool = False,
            use_rep: bool = False,
            use_se: bool = False,
            use_shortcut: bool = False,
            pw_ratio: float = 0.5,
            se_ratio: float = 0.25,
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
            inference_mode: bool = False,
    ):
        super().__init__()
        self.in_chs = in_chs
        self.stride = stride
        self.dw_kernel_size = dw_kernel_size
        self.use_shortcut = use_shortcut and stride == 1 and in_chs == out_chs
        self.dw_conv_list = None
        if not use_rep:
            self.dw_conv = ConvNormAct(in_chs, in_chs, dw_kernel_size, stride=stride, groups=in_chs,
                                       norm_layer=norm_layer, act_layer=act_layer)
            self.dw_act = nn.Identity()
        else:
            if inference_mode:
                self.dw_conv = self._folded_conv()
            else:
                self.dw_conv = None
                kernels = [k for k in range(dw_kernel_size, 0, -2) if not (k == 1 and stride > 1)]
                self.dw_conv_list = nn.ModuleList([
                    ConvNormAct(in_chs, in_chs, k, stride=stride, groups=in_chs, apply_act=False,
                                norm_layer=norm_layer, act_layer=act_layer) for k in kernels])
            # the branches are summed before the activation, so it cannot live inside them
            self.dw_act = create_act_layer(act_layer, inplace=True)
        self.se = SEModule(in_chs, rd_channels=int(in_chs * se_ratio), act_layer=act_layer) if use_se else nn.Identity()
        if split_pw:
            mid_chs = int(out_chs * pw_ratio)
            self.pw_conv = nn.Sequential(
                ConvNormAct(in_chs, mid_chs, 1, norm_layer=norm_layer, act_layer=act_layer),
                ConvNormAct(mid_chs, out_chs, 1, norm_layer=norm_layer, act_layer=act_layer))
        else:
            self.pw_conv = ConvNormAct(in_chs, out_chs, 1, norm_layer=norm_layer, act_layer=act_layer)

    def _folded_conv(self) -> nn.Conv2d:
        return create_conv2d(self.in_chs, self.in_chs, self.dw_kernel_size, stride=self.stride, groups=self.in_chs,
                             bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dw_conv_list is None:
            out = self.dw_conv(x)
        else:
            out = sum(branch(x) for branch in self.dw_conv_list)
        out = self.pw_conv(self.se(self.dw_act(out)))
        return out + x if self.use_shortcut else out

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the depthwise branches (each conv+BN, smaller kernels zero-padded to the largest) into one conv.

        Outputs are unchanged in eval mode (BN then uses its running statistics, which are what is folded).
        """
        if self.dw_conv_list is None:
            return
        folded = self._folded_conv().to(device=self.dw_conv_list[0].conv.weight.device,
                                        dtype=self.dw_conv_list[0].conv.weight.dtype)
        weight, bias = torch.zeros_like(folded.weight), torch.zeros_like(folded.bias)
        for branch in self.dw_conv_list:
            conv = deepcopy(branch.conv)
            fold_bn_into_conv(conv, branch.bn)
            pad = (self.dw_kernel_size - conv.kernel_size[0]) // 2
            weight += F.pad(conv.weight, [pad] * 4)
            bias += conv.bias
        folded.weight.copy_(weight)
        folded.bias.copy_(bias)
        self.dw_conv = folded
        self.dw_conv_list = None


# per stage: base width, depthwise kernel, split pointwise conv, re-parameterisable dw, SE, residual
_STAGE_CFGS: Tuple[Tuple[int, int, bool, bool, bool, bool], ...] = (
    (64, 3, False, False, False, False),
    (128, 3, False, False, False, False),
    (256, 5, True, True, True, False),
    (512, 5, False, True, False, True),
)


def _make_stages(prev_chs: int, scale: float, depths: Tuple[int, ...],
                 **block_kwargs: Any) -> Tuple[nn.Sequential, List[Dict[str, Any]], int]:
    """The four stages (each starts with a stride-2 block, output width 2x the base width, scaled)."""
    if len(depths) != len(_STAGE_CFGS):
        raise ValueError(f'depths must give {len(_STAGE_CFGS)} stage depths, got {depths}.')
    stages, feature_info, reduction = [], [], 2
    for i, ((chs, kernel, split_pw, use_rep, use_se, use_shortcut), depth) in enumerate(zip(_STAGE_CFGS, depths)):
        out_chs = make_divisible(chs * 2 * scale)
        blocks = []
        for j in range(depth):
            blocks.append(RepDepthwiseSeparable(
                prev_chs, out_chs, stride=2 if j == 0 else 1, dw_kernel_size=kernel, split_pw=split_pw,
                use_rep=use_rep, use_se=use_se, use_shortcut=use_shortcut, **block_kwargs))
            prev_chs = out_chs
        stages.append(CheckpointSequential(*blocks))
        reduction *= 2
        feature_info.append(dict(num_chs=out_chs, reduction=reduction, module=f'stages.{i}'))
    return nn.Sequential(*stages), feature_info, prev_chs


class LCNetV2(PooledHeadMixin, ZooModel):
    """Conv stem + one depthwise-separable block -> four stages -> pool -> 1x1 conv + act -> classifier.

    Args:
        scale: width multiplier.
        depths: blocks per stage.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: pooling type of the head (its width must stay that of 'avg': the head conv follows it).
        head_hidden_size: width of the post-pooling 1x1 conv; 0 / None removes that conv.
        act_layer: activation.
        norm_layer: norm of every conv unit.
        drop_rate: dropout before the classifier.
        inference_mode: build the re-parameterisable blocks already folded.
    """
    grad_checkpointing = checkpoint_flag('stages')
    trunk = Trunk(levels='stages', stem=('stem',))
    classifier_name = 'classifier'
    groups = dict(stem=r'^stem', blocks=r'^stages\.(\d+)\.(\d+)', coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            scale: float = 1.0,
            depths: Tuple[int, ...] = (2, 2, 6, 2),
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            head_hidden_size: int = 1280,
            act_layer: LayerType = nn.ReLU,
            norm_layer: LayerType = nn.BatchNorm2d,
            drop_rate: float = 0.,
            inference_mode: bool = False,
    ):
        super().__init__()
        check_pooled_head(global_pool, num_classes)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        block_kwargs = dict(act_layer=act_layer, norm_layer=norm_layer, inference_mode=inference_mode)
        stem_chs, prev_chs = make_divisible(32 * scale), make_divisible(64 * scale)
        self.stem = nn.Sequential(
            ConvNormAct(in_chans, stem_chs, 3, stride=2, norm_layer=norm_layer, act_layer=act_layer),
            RepDepthwiseSeparable(stem_chs, prev_chs, dw_kernel_size=3, **block_kwargs))
        self.stages, self.feature_info, self.num_features = _make_stages(prev_chs, scale, depths, **block_kwargs)

        self.global_pool = SelectAdaptivePool2d(pool_type=global_pool)
        if self.global_pool.feat_mult() != 1:
            raise ValueError(f'global_pool={global_pool!r} changes the pooled width, which the head conv cannot take; '
                             f'use avg or max.')
        self.head_hidden_size = head_hidden_size or self.num_features
        if head_hidden_size:
            self.conv_head = create_conv2d(self.num_features, head_hidden_size, 1)
            self.act2 = create_act_layer(act_layer, inplace=True)
        else:
            self.conv_head = nn.Identity()
            self.act2 = nn.Identity()
        self.norm_head = nn.Identity()
        self.flatten = nn.Flatten(1) if global_pool else nn.Identity()
        self.classifier = nn.Linear(self.head_hidden_size, num_classes) if num_classes > 0 else nn.Identity()
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        return self.stages(x)


def _create_lcnetv2(variant: str, pretrained: bool = False, **kwargs: Any) -> LCNetV2:
    return build_model_with_cfg(LCNetV2, variant, pretrained,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    return dict(hf_hub_id='timm/', pool_size=(7, 7), crop_pct=0.875, interpolation='bicubic',
                first_conv='stem.0.conv', classifier='classifier',
                origin_url='https://github.com/PaddlePaddle/PaddleClas', license='apache-2.0', **kwargs)


# Weights converted from PaddleClas; `ssld` = trained by SSLD distillation.
default_cfgs = generate_default_cfgs({
    'lcnetv2_small.paddle_in1k': _cfg(),
    'lcnetv2_base.ssld_in1k': _cfg(),
    'lcnetv2_base.paddle_in1k': _cfg(),
    'lcnetv2_large.paddle_in1k': _cfg(),
})


@register_model
def lcnetv2_small(pretrained: bool = False, **kwargs: Any) -> LCNetV2:
    """PP-LCNetV2 x0.75."""
    model_args = dict(scale=0.75, depths=(2, 2, 4, 2))
    return _create_lcnetv2('lcnetv2_small', pretrained, **dict(model_args, **kwargs))


@register_model
def lcnetv2_base(pretrained: bool = False, **kwargs: Any) -> LCNetV2:
    """PP-LCNetV2 x1.0."""
    model_args = dict(scale=1.0, depths=(2, 2, 6, 2))
    return _create_lcnetv2('lcnetv2_base', pretrained, **dict(model_args, **kwargs))


@register_model
def lcnetv2_large(pretrained: bool = False, **kwargs: Any) -> LCNetV2:
    """PP-LCNetV2 x1.25."""
    model_args = dict(scale=1.25, depths=(2, 2, 8, 2))
    return _create_lcnetv2('lcnetv2_large', pretrained, **dict(model_args, **kwargs))
