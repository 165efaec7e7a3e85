"""ConvNeXt: a pure ConvNet modernised along the design choices of vision transformers.

Papers:
- ConvNeXt: "A ConvNet for the 2020s", Liu et al., CVPR 2022 (arXiv:2201.03545).
- Layer scale: "Going deeper with Image Transformers", Touvron et al., 2021 (arXiv:2103.17239).
- RMSNorm (the `_rms` variants): Zhang & Sennrich, 2019 (arXiv:1910.07467).
- CLIP-trained weights: "Reproducible scaling laws for contrastive language-image learning", Cherti et al., 2022
  (arXiv:2212.07143).
- ConvNeXt V2: "ConvNeXt V2: Co-designing and Scaling ConvNets with Masked Autoencoders", Woo et al., CVPR 2023
  (arXiv:2301.00808): global response normalisation (GRN) after the MLP activation replaces layer scale.

A stage is an optional downsample (norm + 2x2 stride-2 conv) followed by blocks of
7x7 depthwise conv -> norm -> 1x1 expand (4x) -> GELU -> 1x1 project -> layer scale, with a residual connection.
The stem is a 4x4 stride-4 "patchify" conv + norm, and the final norm is applied *after* global pooling, inside the
head (`NormMlpClassifierHead`), as in the paper's released models.

Deviations from the paper, all matching timm's published weights and layout: the atto / femto / pico / nano sizes,
the `_ols` overlapping 3x3-conv stems, `tiny_hnf` (norm before pooling, a plain classifier head), `large_mlp`
(a hidden layer in the head, for the CLIP towers), and the `_rms` / `zepto_rms` models that replace LayerNorm with
RMSNorm / SimpleNorm. Small models compute the pointwise MLP as 1x1 convs on NCHW maps (`conv_mlp`), large ones as
linear layers on NHWC tensors; the two are numerically equivalent and only the weight shapes differ.
The `test_convnext*` models are tiny configurations (tanh-GELU / SiLU, LayerNorm eps 1e-5) trained at 160 px for
fast tests. `output_stride` 8 or 16 trades the last strides for dilation (for dense prediction backbones).
"""
import re
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD
from zoo.layers import (
    ClassifierHead, DropPath, LayerNorm, LayerNorm2d, LayerType, create_conv2d, get_act_layer, get_norm_layer,
    make_divisible, to_ntuple, trunc_normal_,
)
from zoo.layers.grn import GlobalResponseNormMlp
from zoo.layers.mlp import Mlp
from zoo.layers.output_stride import stage_strides
from zoo.layers.norm_mlp_head import NormMlpClassifierHead
from zoo.layers.rms_norm import RmsNorm, RmsNorm2d, SimpleNorm, SimpleNorm2d
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag, named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['ConvNeXt', 'ConvNeXtBlock', 'ConvNeXtStage']

NormFactory = Callable[..., nn.Module]

# channels-first (NCHW) and channels-last forms of each norm a ConvNeXt can use
_NORM_PAIRS: Dict[str, Tuple[NormFactory, NormFactory]] = {
    'layernorm': (LayerNorm2d, LayerNorm),
    'layernorm2d': (LayerNorm2d, LayerNorm),
    'rmsnorm': (RmsNorm2d, RmsNorm),
    'rmsnorm2d': (RmsNorm2d, RmsNorm),
    'simplenorm': (SimpleNorm2d, SimpleNorm),
    'simplenorm2d': (SimpleNorm2d, SimpleNorm),
}


def _resolve_norms(
        norm_layer: Optional[LayerType],
        conv_mlp: bool,
        norm_eps: Optional[float],
) -> Tuple[NormFactory, NormFactory]:
    """(norm for NCHW maps, norm used inside the blocks) for a norm given by name or class."""
    norm_layer = norm_layer or 'layernorm'
    if isinstance(norm_layer, str) and norm_layer in _NORM_PAIRS:
        norm_2d, norm_cl = _NORM_PAIRS[norm_layer]
        norm_block = norm_2d if conv_mlp else norm_cl
    else:
        if not conv_mlp:
            raise ValueError('A custom norm_layer needs conv_mlp=True, so every norm sees NCHW input.')
        norm_2d = norm_block = get_norm_layer(norm_layer)
    if norm_eps is not None:
        norm_2d, norm_block = partial(norm_2d, eps=norm_eps), partial(norm_block, eps=norm_eps)
    return norm_2d, norm_block


class ConvNeXtBlock(nn.Module):
    """Depthwise conv -> norm -> pointwise MLP -> layer scale, plus the identity shortcut.

    Args:
        dim: channels (the block keeps them).
        kernel_size: depthwise kernel.
        dilation: depthwise dilation (output_stride < 32).
        mlp_ratio: MLP expansion.
        conv_mlp: run norm + MLP on NCHW with 1x1 convs instead of permuting to NHWC for linear layers.
        conv_bias: bias in the depthwise conv.
        ls_init_value: initial layer-scale value; None disables layer scale.
        use_grn: global response norm inside the MLP (ConvNeXt V2).
        act_layer: MLP activation.
        norm_layer: norm for the block's input layout (NCHW with conv_mlp, NHWC otherwise).
        drop_path: stochastic depth rate.
    """

    def __init__(
            self,
            dim: int,
            kernel_size: int = 7,
            dilation: int = 1,
            mlp_ratio: float = 4.,
            conv_mlp: bool = False,
            conv_bias: bool = True,
            ls_init_value: Optional[float] = 1e-6,
            use_grn: bool = False,
            act_layer: Callable[..., nn.Module] = nn.GELU,
            norm_layer: NormFactory = LayerNorm,
            drop_path: float = 0.,
    ):
        super().__init__()
        self.use_conv_mlp = conv_mlp
        self.conv_dw = create_conv2d(dim, dim, kernel_size, dilation=dilation, depthwise=True, bias=conv_bias)
        self.norm = norm_layer(dim)
        mlp_layer = GlobalResponseNormMlp if use_grn else Mlp
        self.mlp = mlp_layer(dim, int(mlp_ratio * dim), act_layer=act_layer, use_conv=conv_mlp)
        # the published key is `gamma`, a bare parameter (not a LayerScale module)
        self.gamma = nn.Parameter(ls_init_value * torch.ones(dim)) if ls_init_value is not None else None
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv_dw(x)
        if self.use_conv_mlp:
            x = self.mlp(self.norm(x))
        else:
            x = self.mlp(self.norm(x.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)
        if self.gamma is not None:
            x = x * self.gamma.reshape(1, -1, 1, 1)
        return self.drop_path(x) + shortcut


class ConvNeXtStage(nn.Module):
    """Optional downsample (norm + strided 2x2 conv) followed by `depth` ConvNeXt blocks.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: downsample stride (1 or 2).
        dilation: (dilation of the downsample conv, dilation of the blocks).
        depth: number of blocks.
        drop_path_rates: stochastic depth rate per block.
        norm_layer: NCHW norm used before the downsample conv.
        block_norm_layer: norm inside the blocks.
        **block_kwargs: passed to every ConvNeXtBlock.
    """
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int = 2,
            dilation: Tuple[int, int] = (1, 1),
            depth: int = 2,
            drop_path_rates: Optional[Sequence[float]] = None,
            conv_bias: bool = True,
            norm_layer: NormFactory = LayerNorm2d,
            block_norm_layer: NormFactory = LayerNorm,
            **block_kwargs: Any,
    ):
        super().__init__()
        changes_dilation = dilation[0] != dilation[1]
        if in_chs != out_chs or stride > 1 or changes_dilation:
            resamples = stride > 1 or changes_dilation
            self.downsample = nn.Sequential(
                norm_layer(in_chs),
                # a dilated stage keeps the 2x2 kernel but needs TF-'same' padding to keep its resolution
                create_conv2d(in_chs, out_chs, 2 if resamples else 1, stride=stride, dilation=dilation[0],
                              padding='same' if dilation[1] > 1 else 0, bias=conv_bias),
            )
        else:
            self.downsample = nn.Identity()
        drop_path_rates = drop_path_rates or [0.] * depth
        self.blocks = CheckpointSequential(*[
            ConvNeXtBlock(out_chs, dilation=dilation[1], conv_bias=conv_bias, norm_layer=block_norm_layer,
                          drop_path=drop_path_rates[i], **block_kwargs)
            for i in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


def _make_stem(stem_type: str, in_chans: int, out_chs: int, patch_size: int, conv_bias: bool,
               act_layer: Callable[..., nn.Module], norm_layer: NormFactory) -> Tuple[nn.Sequential, int]:
    if stem_type == 'patch':
        # a minimal ViT-style patch embedding: non-overlapping patch_size x patch_size conv
        return nn.Sequential(
            nn.Conv2d(in_chans, out_chs, patch_size, stride=patch_size, bias=conv_bias),
            norm_layer(out_chs),
        ), patch_size
    # overlapping stems: two 3x3 stride-2 convs (tiered: a half-width first conv; act: an activation between them)
    mid_chs = make_divisible(out_chs // 2) if 'tiered' in stem_type else out_chs
    layers = [nn.Conv2d(in_chans, mid_chs, 3, stride=2, padding=1, bias=conv_bias)]
    if 'act' in stem_type:
        layers.append(act_layer())
    layers += [nn.Conv2d(mid_chs, out_chs, 3, stride=2, padding=1, bias=conv_bias), norm_layer(out_chs)]
    return nn.Sequential(*layers), 4


def make_stages(
        depths: Sequence[int],
        dims: Sequence[int],
        stem_stride: int,
        output_stride: int = 32,
        kernel_sizes: Sequence[int] = (7, 7, 7, 7),
        drop_path_rate: float = 0.,
        **stage_kwargs: Any,
) -> Tuple[List[ConvNeXtStage], List[Dict[str, Any]]]:
    """Build the stages and their feature_info; past `output_stride` strides become dilation."""
    # stochastic depth grows linearly over all blocks (Huang et al., 2016), split per stage
    total = sum(depths)
    rates = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]
    # the first stage keeps the stem's resolution unless the stem only halves it
    strides = [2 if stem_stride == 2 or i > 0 else 1 for i in range(len(depths))]
    stages, feature_info = [], []
    prev_chs = dims[0]
    block_idx = 0
    for i, (depth, out_chs, res) in enumerate(zip(depths, dims, stage_strides(strides, stem_stride, output_stride))):
        stages.append(ConvNeXtStage(
            prev_chs, out_chs, stride=res.stride, dilation=(res.first_dilation, res.dilation), depth=depth,
            drop_path_rates=rates[block_idx:block_idx + depth], kernel_size=kernel_sizes[i], **stage_kwargs))
        block_idx += depth
        prev_chs = out_chs
        feature_info.append(dict(num_chs=out_chs, reduction=res.reduction, module=f'stages.{i}'))
    return stages, feature_info


class ConvNeXt(ZooModel):
    """ConvNeXt trunk + head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', or '' for unpooled maps.
        output_stride: 32, 16 or 8; later stages dilate instead of striding.
        depths: blocks per stage.
        dims: channels per stage.
        kernel_sizes: depthwise kernel per stage (one int for all).
        ls_init_value: layer-scale initial value; None disables layer scale.
        use_grn: global response norm in the block MLPs (ConvNeXt V2).
        stem_type: 'patch', 'overlap', 'overlap_tiered' or 'overlap_act'.
        patch_size: patch stem stride / kernel.
        head_init_scale: multiplier of the initial classifier weights.
        head_norm_first: norm before pooling and a plain classifier head (instead of the paper's pool -> norm).
        head_hidden_size: width of a hidden layer in the head (pool -> norm -> fc -> GELU -> classifier).
        conv_mlp: 1x1 conv MLP on NCHW (faster for small models) instead of linear layers on NHWC.
        conv_bias: biases in all convs.
        act_layer: block activation.
        norm_layer: 'layernorm', 'rmsnorm', 'simplenorm', or an NCHW norm class (with conv_mlp).
        norm_eps: eps for all norms (their default when None).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm_pre',))
    # a stage's downsample joins its first block's group; norm_pre joins the last group
    groups = dict(
        stem=r'^stem',
        coarse=r'^stages\.(\d+)',
        blocks=[(r'^stages\.(\d+)\.downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None), (r'^norm_pre', (99999,))],
    )

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            output_stride: int = 32,
            depths: Sequence[int] = (3, 3, 9, 3),
            dims: Sequence[int] = (96, 192, 384, 768),
            kernel_sizes: Union[int, Sequence[int]] = 7,
            ls_init_value: Optional[float] = 1e-6,
            use_grn: bool = False,
            stem_type: str = 'patch',
            patch_size: int = 4,
            head_init_scale: float = 1.,
            head_norm_first: bool = False,
            head_hidden_size: Optional[int] = None,
            conv_mlp: bool = False,
            conv_bias: bool = True,
            act_layer: LayerType = 'gelu',
            norm_layer: Optional[LayerType] = None,
            norm_eps: Optional[float] = None,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        if stem_type not in ('patch', 'overlap', 'overlap_tiered', 'overlap_act'):
            raise ValueError(f"Unknown stem_type {stem_type!r}; use 'patch', 'overlap', 'overlap_tiered' or "
                             f"'overlap_act'.")
        if head_norm_first and head_hidden_size:
            raise ValueError('head_hidden_size needs the default pool -> norm head (head_norm_first=False).')
        norm_2d, norm_block = _resolve_norms(norm_layer, conv_mlp, norm_eps)
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate

        self.stem, stem_stride = _make_stem(stem_type, in_chans, dims[0], patch_size, conv_bias, act_layer, norm_2d)
        stages, self.feature_info = make_stages(
            depths, dims, stem_stride,
            output_stride=output_stride,
            kernel_sizes=to_ntuple(4)(kernel_sizes),
            drop_path_rate=drop_path_rate,
            conv_bias=conv_bias,
            norm_layer=norm_2d,
            block_norm_layer=norm_block,
            ls_init_value=ls_init_value,
            use_grn=use_grn,
            conv_mlp=conv_mlp,
            act_layer=act_layer,
        )
        self.stages = nn.Sequential(*stages)
        self.num_features = dims[-1]

        if head_norm_first:
            self.norm_pre = norm_2d(self.num_features)
            self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        else:
            self.norm_pre = nn.Identity()
            self.head = NormMlpClassifierHead(
                self.num_features, num_classes, hidden_size=head_hidden_size, pool_type=global_pool,
                drop_rate=drop_rate, norm_layer=norm_2d, act_layer='gelu')
        self.head_hidden_size = getattr(self.head, 'num_features', self.num_features)
        named_apply(partial(_init_weights, head_init_scale=head_init_scale), self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.norm_pre(x)


def _init_weights(module: nn.Module, name: str = '', head_init_scale: float = 1.) -> None:
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.Linear) and 'head.' in name and head_init_scale != 1.:
            # a smaller initial classifier for fine-tuning from a different head (ConvNeXt paper, appendix A)
            with torch.no_grad():
                module.weight.mul_(head_init_scale)
                module.bias.mul_(head_init_scale)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the official facebookresearch/ConvNeXt and OpenCLIP layouts besides timm's own.

    The official checkpoints (a `model` entry) name stages `downsample_layers.N` / `stages.N.M`, the MLP
    `pwconv1/2`, GRN's parameters `grn.gamma/beta` (V2), the final norm `norm` and the classifier `head`; 1x1-conv
    MLP models need the linear weights reshaped to conv kernels. OpenCLIP image towers keep a timm trunk under `visual.trunk.` and a bias-free
    projection (`visual.head.proj`, or a two-layer `visual.head.mlp`) that becomes the classifier.
    """
    state_dict = state_dict.get('model', state_dict)
    if 'head.norm.weight' in state_dict or 'norm_pre.weight' in state_dict:
        return state_dict
    if 'visual.trunk.stem.0.weight' in state_dict:
        return _open_clip_to_timm(state_dict)
    own = model.state_dict()
    out = {}
    for key, value in state_dict.items():
        if key.startswith(('projectors.', 'norms.')):
            continue  # EUPE distillation projectors and feature norms are not part of the classifier
        key = key.replace('downsample_layers.0.', 'stem.')
        key = re.sub(r'^stages\.(\d+)\.(\d+)\.', r'stages.\1.blocks.\2.', key)
        key = re.sub(r'^downsample_layers\.(\d+)\.(\d+)\.', r'stages.\1.downsample.\2.', key)
        key = key.replace('dwconv', 'conv_dw').replace('pwconv', 'mlp.fc')
        if '.grn.' in key:
            # ConvNeXt V2 stores GRN's gamma / beta as (1, 1, 1, C) tensors
            key = key.replace('grn.gamma', 'mlp.grn.weight').replace('grn.beta', 'mlp.grn.bias')
            value = value.reshape(-1)
        key = re.sub(r'^head\.', 'head.fc.', key)
        key = re.sub(r'^norm\.', 'head.norm.', key)
        if value.ndim == 2 and not key.startswith('head') and key in own:
            value = value.reshape(own[key].shape)
        out[key] = value
    return out


def _open_clip_to_timm(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    prefix = 'visual.trunk.'
    out = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if 'visual.head.proj.weight' in state_dict:
        proj = state_dict['visual.head.proj.weight']
        out['head.fc.weight'] = proj
        out['head.fc.bias'] = torch.zeros(proj.shape[0], dtype=proj.dtype)
    elif 'visual.head.mlp.fc1.weight' in state_dict:
        out['head.pre_logits.fc.weight'] = state_dict['visual.head.mlp.fc1.weight']
        out['head.pre_logits.fc.bias'] = state_dict['visual.head.mlp.fc1.bias']
        proj = state_dict['visual.head.mlp.fc2.weight']
        out['head.fc.weight'] = proj
        out['head.fc.bias'] = torch.zeros(proj.shape[0], dtype=proj.dtype)
    return out


def _create_convnext(variant: str, pretrained: bool = False, **kwargs) -> ConvNeXt:
    return build_model_with_cfg(
        ConvNeXt, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _ccfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='stem.0', classifier='head.fc', pool_size=(7, 7), crop_pct=0.875,
               interpolation='bicubic', license='apache-2.0', paper_ids='arXiv:2201.03545')
    cfg.update(kwargs)
    return cfg


_CLIP = dict(mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD)
_T288 = dict(test_input_size=(3, 288, 288))
_R256 = dict(input_size=(3, 256, 256), pool_size=(8, 8), crop_pct=1.0)
_R320 = dict(input_size=(3, 320, 320), pool_size=(10, 10), crop_pct=1.0)
_R384 = dict(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0)
_TEST = dict(input_size=(3, 160, 160), pool_size=(5, 5), crop_pct=0.95, mean=IMAGENET_INCEPTION_MEAN,
             std=IMAGENET_INCEPTION_STD, paper_ids=None)


_V2_SOURCE = dict(
    license='cc-by-nc-4.0', origin_url='https://github.com/facebookresearch/ConvNeXt-V2',
    paper_name='ConvNeXt V2: Co-designing and Scaling ConvNets with Masked Autoencoders', paper_ids='arXiv:2301.00808')


def _v2cfg(**kwargs) -> Dict[str, Any]:
    return _ccfg(**{**_V2_SOURCE, **kwargs})

# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>; the first tag of an
# architecture is its default.
default_cfgs = generate_default_cfgs({
    'convnext_atto.d2_in1k': _ccfg(**_T288, test_crop_pct=0.95),
    'convnext_atto_ols.a2_in1k': _ccfg(**_T288, test_crop_pct=0.95),
    'convnext_atto_rms.untrained': _ccfg(hf_hub_id=None, test_input_size=(3, 256, 256), test_crop_pct=0.95),
    'convnext_base.fb_in22k_ft_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_base.fb_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_base.fb_in22k_ft_in1k_384': _ccfg(crop_mode='squash', **_R384),
    'convnext_base.fb_in22k': _ccfg(num_classes=21841),
    'convnext_base.clip_laion2b_augreg_ft_in12k_in1k': _ccfg(**_R256, **_CLIP),
    'convnext_base.clip_laion2b_augreg_ft_in12k_in1k_384': _ccfg(crop_mode='squash', **_R384, **_CLIP),
    'convnext_base.clip_laion2b_augreg_ft_in1k': _ccfg(**_R256, **_CLIP),
    'convnext_base.clip_laiona_augreg_ft_in1k_384': _ccfg(**_R384, **_CLIP),
    'convnext_base.clip_laion2b_augreg_ft_in12k': _ccfg(num_classes=11821, **_R256, **_CLIP),
    'convnext_base.clip_laion2b': _ccfg(num_classes=640, **_R256, **_CLIP),
    'convnext_base.clip_laion2b_augreg': _ccfg(num_classes=640, **_R256, **_CLIP),
    'convnext_base.clip_laiona': _ccfg(num_classes=640, **_R256, **_CLIP),
    'convnext_base.clip_laiona_320': _ccfg(num_classes=640, **_R320, **_CLIP),
    'convnext_base.clip_laiona_augreg_320': _ccfg(num_classes=640, **_R320, **_CLIP),
    'convnext_base.dinov3_lvd1689m': _ccfg(crop_pct=1.0, num_classes=0, license='dinov3-license'),
    'convnext_base.eupe_lvd1689m': _ccfg(num_classes=0, **_R256, license='fair-noncommercial-research-license'),
    'convnext_femto.d1_in1k': _ccfg(**_T288, test_crop_pct=0.95),
    'convnext_femto_ols.d1_in1k': _ccfg(**_T288, test_crop_pct=0.95),
    'convnext_large.fb_in22k_ft_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_large.fb_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_large.fb_in22k_ft_in1k_384': _ccfg(crop_mode='squash', **_R384),
    'convnext_large.fb_in22k': _ccfg(num_classes=21841),
    'convnext_large.dinov3_lvd1689m': _ccfg(crop_pct=1.0, num_classes=0, license='dinov3-license'),
    'convnext_large_mlp.clip_laion2b_soup_ft_in12k_in1k_320': _ccfg(**_R320, **_CLIP),
    'convnext_large_mlp.clip_laion2b_soup_ft_in12k_in1k_384': _ccfg(crop_mode='squash', **_R384, **_CLIP),
    'convnext_large_mlp.clip_laion2b_augreg_ft_in1k': _ccfg(**_R256, **_CLIP),
    'convnext_large_mlp.clip_laion2b_augreg_ft_in1k_384': _ccfg(crop_mode='squash', **_R384, **_CLIP),
    'convnext_large_mlp.clip_laion2b_soup_ft_in12k_320': _ccfg(num_classes=11821, **_R320, **_CLIP),
    'convnext_large_mlp.clip_laion2b_augreg_ft_in12k_384': _ccfg(
        crop_mode='squash', num_classes=11821, **_R384, **_CLIP),
    'convnext_large_mlp.clip_laion2b_soup_ft_in12k_384': _ccfg(crop_mode='squash', num_classes=11821, **_R384, **_CLIP),
    'convnext_large_mlp.clip_laion2b_augreg': _ccfg(num_classes=768, **_R256, **_CLIP),
    'convnext_large_mlp.clip_laion2b_ft_320': _ccfg(num_classes=768, **_R320, **_CLIP),
    'convnext_large_mlp.clip_laion2b_ft_soup_320': _ccfg(num_classes=768, **_R320, **_CLIP),
    'convnext_nano.in12k_ft_in1k': _ccfg(**_T288, crop_pct=0.95, test_crop_pct=1.0),
    'convnext_nano.d1h_in1k': _ccfg(**_T288, crop_pct=0.95, test_crop_pct=1.0),
    'convnext_nano.r384_in12k_ft_in1k': _ccfg(**_R384),
    'convnext_nano.in12k': _ccfg(crop_pct=0.95, num_classes=11821),
    'convnext_nano.r384_in12k': _ccfg(num_classes=11821, **_R384),
    'convnext_nano.r384_ad_in12k': _ccfg(num_classes=11821, **_R384),
    'convnext_nano_ols.d1h_in1k': _ccfg(**_T288, crop_pct=0.95, test_crop_pct=1.0),
    'convnext_pico.d1_in1k': _ccfg(**_T288, test_crop_pct=0.95),
    'convnext_pico_ols.d1_in1k': _ccfg(**_T288, crop_pct=0.95, test_crop_pct=1.0),
    'convnext_small.in12k_ft_in1k': _ccfg(**_T288, crop_pct=0.95, test_crop_pct=1.0),
    'convnext_small.in12k_ft_in1k_384': _ccfg(crop_mode='squash', **_R384),
    'convnext_small.in12k': _ccfg(crop_pct=0.95, num_classes=11821),
    'convnext_small.fb_in22k_ft_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_small.fb_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_small.fb_in22k_ft_in1k_384': _ccfg(crop_mode='squash', **_R384),
    'convnext_small.fb_in22k': _ccfg(num_classes=21841),
    'convnext_small.dinov3_lvd1689m': _ccfg(crop_pct=1.0, num_classes=0, license='dinov3-license'),
    'convnext_small.eupe_lvd1689m': _ccfg(num_classes=0, **_R256, license='fair-noncommercial-research-license'),
    'convnext_tiny.in12k_ft_in1k': _ccfg(**_T288, crop_pct=0.95, test_crop_pct=1.0),
    'convnext_tiny.in12k_ft_in1k_384': _ccfg(crop_mode='squash', **_R384),
    'convnext_tiny.in12k': _ccfg(crop_pct=0.95, num_classes=11821),
    'convnext_tiny.fb_in22k_ft_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_tiny.fb_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_tiny.fb_in22k_ft_in1k_384': _ccfg(crop_mode='squash', **_R384),
    'convnext_tiny.fb_in22k': _ccfg(num_classes=21841),
    'convnext_tiny.dinov3_lvd1689m': _ccfg(crop_pct=1.0, num_classes=0, license='dinov3-license'),
    'convnext_tiny.eupe_lvd1689m': _ccfg(num_classes=0, **_R256, license='fair-noncommercial-research-license'),
    'convnext_tiny_hnf.a2h_in1k': _ccfg(**_T288, crop_pct=0.95, test_crop_pct=1.0),
    'convnext_xlarge.fb_in22k_ft_in1k': _ccfg(**_T288, test_crop_pct=1.0),
    'convnext_xlarge.fb_in22k_ft_in1k_384': _ccfg(crop_mode='squash', **_R384),
    'convnext_xlarge.fb_in22k': _ccfg(num_classes=21841),
    'convnext_xxlarge.clip_laion2b_soup_ft_in1k': _ccfg(**_R256, **_CLIP),
    'convnext_xxlarge.clip_laion2b_soup_ft_in12k': _ccfg(num_classes=11821, **_R256, **_CLIP),
    'convnext_xxlarge.clip_laion2b_soup': _ccfg(num_classes=1024, **_R256, **_CLIP),
    'convnext_xxlarge.clip_laion2b_rewind': _ccfg(num_classes=1024, **_R256, **_CLIP),
    'convnext_zepto_rms.ra4_e3600_r224_in1k': _ccfg(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'convnext_zepto_rms_ols.ra4_e3600_r224_in1k': _ccfg(crop_pct=0.9, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    'convnextv2_atto.fcmae_ft_in1k': _v2cfg(**_T288, test_crop_pct=0.95),
    'convnextv2_atto.fcmae': _v2cfg(num_classes=0),
    'convnextv2_base.fcmae_ft_in22k_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_base.fcmae_ft_in22k_in1k_384': _v2cfg(crop_mode='squash', **_R384),
    'convnextv2_base.fcmae_ft_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_base.fcmae': _v2cfg(num_classes=0),
    'convnextv2_femto.fcmae_ft_in1k': _v2cfg(**_T288, test_crop_pct=0.95),
    'convnextv2_femto.fcmae': _v2cfg(num_classes=0),
    'convnextv2_huge.fcmae_ft_in22k_in1k_384': _v2cfg(crop_mode='squash', **_R384),
    'convnextv2_huge.fcmae_ft_in22k_in1k_512': _v2cfg(
        crop_mode='squash', input_size=(3, 512, 512), pool_size=(15, 15), crop_pct=1.0),
    'convnextv2_huge.fcmae_ft_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_huge.fcmae': _v2cfg(num_classes=0),
    'convnextv2_large.fcmae_ft_in22k_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_large.fcmae_ft_in22k_in1k_384': _v2cfg(crop_mode='squash', **_R384),
    'convnextv2_large.fcmae_ft_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_large.fcmae': _v2cfg(num_classes=0),
    'convnextv2_nano.fcmae_ft_in22k_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_nano.fcmae_ft_in22k_in1k_384': _v2cfg(crop_mode='squash', **_R384),
    'convnextv2_nano.fcmae_ft_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_nano.fcmae': _v2cfg(num_classes=0),
    'convnextv2_pico.fcmae_ft_in1k': _v2cfg(**_T288, test_crop_pct=0.95),
    'convnextv2_pico.fcmae': _v2cfg(num_classes=0),
    'convnextv2_small.untrained': _ccfg(hf_hub_id=None, paper_ids=None),
    'convnextv2_tiny.fcmae_ft_in22k_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_tiny.fcmae_ft_in22k_in1k_384': _v2cfg(crop_mode='squash', **_R384),
    'convnextv2_tiny.fcmae_ft_in1k': _v2cfg(**_T288, test_crop_pct=1.0),
    'convnextv2_tiny.fcmae': _v2cfg(num_classes=0),

    'test_convnext.r160_in1k': _ccfg(**_TEST),
    'test_convnext2.r160_in1k': _ccfg(**_TEST),
    'test_convnext3.r160_in1k': _ccfg(**_TEST),
})


def _convnext(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> ConvNeXt:
    return _create_convnext(variant, pretrained, **dict(model_args, **kwargs))


# depths / widths of each size; the small (timm-original) sizes use the 1x1-conv MLP
_ATTO = dict(depths=(2, 2, 6, 2), dims=(40, 80, 160, 320), conv_mlp=True)
_FEMTO = dict(depths=(2, 2, 6, 2), dims=(48, 96, 192, 384), conv_mlp=True)
_PICO = dict(depths=(2, 2, 6, 2), dims=(64, 128, 256, 512), conv_mlp=True)
_NANO = dict(depths=(2, 2, 8, 2), dims=(80, 160, 320, 640), conv_mlp=True)
_ZEPTO = dict(depths=(2, 2, 4, 2), dims=(32, 64, 128, 256), conv_mlp=True)
_TINY = dict(depths=(3, 3, 9, 3), dims=(96, 192, 384, 768))
_SMALL = dict(depths=(3, 3, 27, 3), dims=(96, 192, 384, 768))
_BASE = dict(depths=(3, 3, 27, 3), dims=(128, 256, 512, 1024))
_LARGE = dict(depths=(3, 3, 27, 3), dims=(192, 384, 768, 1536))
_XLARGE = dict(depths=(3, 3, 27, 3), dims=(256, 512, 1024, 2048))
_XXLARGE = dict(depths=(3, 4, 30, 3), dims=(384, 768, 1536, 3072))
_HUGE = dict(depths=(3, 3, 27, 3), dims=(352, 704, 1408, 2816))


@register_model
def convnext_zepto_rms(pretrained: bool = False, **kwargs) -> ConvNeXt:
    """ConvNeXt-Zepto with SimpleNorm (x / std) in place of LayerNorm."""
    return _convnext('convnext_zepto_rms', pretrained, dict(_ZEPTO, norm_layer='simplenorm'), kwargs)


@register_model
def convnext_zepto_rms_ols(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_zepto_rms_ols', pretrained,
                     dict(_ZEPTO, norm_layer='simplenorm', stem_type='overlap_act'), kwargs)


@register_model
def convnext_atto(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_atto', pretrained, _ATTO, kwargs)


@register_model
def convnext_atto_ols(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_atto_ols', pretrained, dict(_ATTO, stem_type='overlap_tiered'), kwargs)


@register_model
def convnext_atto_rms(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_atto_rms', pretrained, dict(_ATTO, norm_layer='rmsnorm2d'), kwargs)


@register_model
def convnext_femto(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_femto', pretrained, _FEMTO, kwargs)


@register_model
def convnext_femto_ols(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_femto_ols', pretrained, dict(_FEMTO, stem_type='overlap_tiered'), kwargs)


@register_model
def convnext_pico(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_pico', pretrained, _PICO, kwargs)


@register_model
def convnext_pico_ols(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_pico_ols', pretrained, dict(_PICO, stem_type='overlap_tiered'), kwargs)


@register_model
def convnext_nano(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_nano', pretrained, _NANO, kwargs)


@register_model
def convnext_nano_ols(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_nano_ols', pretrained, dict(_NANO, stem_type='overlap'), kwargs)


@register_model
def convnext_tiny_hnf(pretrained: bool = False, **kwargs) -> ConvNeXt:
    """ConvNeXt-T with the norm before pooling ("head norm first") and a plain classifier head."""
    return _convnext('convnext_tiny_hnf', pretrained, dict(_TINY, head_norm_first=True, conv_mlp=True), kwargs)


@register_model
def convnext_tiny(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_tiny', pretrained, _TINY, kwargs)


@register_model
def convnext_small(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_small', pretrained, _SMALL, kwargs)


@register_model
def convnext_base(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_base', pretrained, _BASE, kwargs)


@register_model
def convnext_large(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_large', pretrained, _LARGE, kwargs)


@register_model
def convnext_large_mlp(pretrained: bool = False, **kwargs) -> ConvNeXt:
    """ConvNeXt-L with a hidden layer in the head (the OpenCLIP image tower layout)."""
    return _convnext('convnext_large_mlp', pretrained, dict(_LARGE, head_hidden_size=1536), kwargs)


@register_model
def convnext_xlarge(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnext_xlarge', pretrained, _XLARGE, kwargs)


@register_model
def convnext_xxlarge(pretrained: bool = False, **kwargs) -> ConvNeXt:
    """ConvNeXt-XXL (OpenCLIP), trained with LayerNorm eps 1e-5."""
    return _convnext('convnext_xxlarge', pretrained, dict(_XXLARGE, norm_eps=kwargs.pop('norm_eps', 1e-5)), kwargs)


# ConvNeXt V2: GRN in every block MLP and no layer scale (GRN takes over its role)
_V2 = dict(use_grn=True, ls_init_value=None)


@register_model
def convnextv2_atto(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_atto', pretrained, dict(_ATTO, **_V2), kwargs)


@register_model
def convnextv2_femto(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_femto', pretrained, dict(_FEMTO, **_V2), kwargs)


@register_model
def convnextv2_pico(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_pico', pretrained, dict(_PICO, **_V2), kwargs)


@register_model
def convnextv2_nano(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_nano', pretrained, dict(_NANO, **_V2), kwargs)


@register_model
def convnextv2_tiny(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_tiny', pretrained, dict(_TINY, **_V2), kwargs)


@register_model
def convnextv2_small(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_small', pretrained, dict(_SMALL, **_V2), kwargs)


@register_model
def convnextv2_base(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_base', pretrained, dict(_BASE, **_V2), kwargs)


@register_model
def convnextv2_large(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_large', pretrained, dict(_LARGE, **_V2), kwargs)


@register_model
def convnextv2_huge(pretrained: bool = False, **kwargs) -> ConvNeXt:
    return _convnext('convnextv2_huge', pretrained, dict(_HUGE, **_V2), kwargs)


def _test_convnext(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> ConvNeXt:
    # the test models were trained with LayerNorm eps 1e-5
    return _convnext(variant, pretrained, dict(model_args, norm_eps=kwargs.pop('norm_eps', 1e-5)), kwargs)


@register_model
def test_convnext(pretrained: bool = False, **kwargs) -> ConvNeXt:
    """A tiny ConvNeXt (~0.3M parameters) for fast tests."""
    model_args = dict(depths=(1, 2, 4, 2), dims=(24, 32, 48, 64), act_layer='gelu_tanh')
    return _test_convnext('test_convnext', pretrained, model_args, kwargs)


@register_model
def test_convnext2(pretrained: bool = False, **kwargs) -> ConvNeXt:
    model_args = dict(depths=(1, 1, 1, 1), dims=(32, 64, 96, 128), act_layer='gelu_tanh')
    return _test_convnext('test_convnext2', pretrained, model_args, kwargs)


@register_model
def test_convnext3(pretrained: bool = False, **kwargs) -> ConvNeXt:
    model_args = dict(depths=(1, 1, 1, 1), dims=(32, 64, 96, 128), kernel_sizes=(7, 5, 5, 3), act_layer='silu')
    return _test_convnext('test_convnext3', pretrained, model_args, kwargs)
