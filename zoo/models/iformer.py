"""iFormer: a mobile hybrid of ConvNeXt-style conv blocks and single-head modulation attention.

Paper: "iFormer: Integrating ConvNet and Transformer for Mobile Application", Chuanyang Zheng, ICLR 2025
(arXiv:2501.15369); reference code https://github.com/ChuanyangZheng/iFormer.

The network starts from a "streamlined" ConvNeXt (section 3.1): a stem of two stride-2 5x5 convs and a 1x1
projection, four stages separated by stride-2 3x3 conv-BN downsamplings, and blocks of depthwise 7x7 -> 1x1 expand ->
GELU -> 1x1 project, every conv followed by a BatchNorm so that it folds away at inference. In the last two stages
some blocks are replaced by groups of three (section 3.2): a residual depthwise 3x3 (conditional position encoding),
single-head modulation attention (SHMA) and a 1x1 FFN. SHMA computes one softmax attention head with a reduced q/k
width and multiplies its output by a sigmoid gate computed from the same input (the "modulation"); the values are
the sigmoid of a projection as well. The classifier is pooled BN -> linear, with a second (distillation) head in the
`_distilled` models whose logits are averaged with the first.

At inference `reparameterize_model` folds every conv -> BN into one conv, each position-encoding branch with its
identity into one depthwise conv, and the head's BN (and both distilled heads) into one linear layer; the folded
state_dict is timm's `fuse()` layout. Deviation from timm: `forward` never returns a tuple (timm returns both heads'
logits in training mode when `distilled_training` is set); `forward_head_distilled` gives both. timm's SHMA also has
an unused windowed mode that no model configuration reaches; it is not implemented here.
"""
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerType, get_act_layer, trunc_normal_
from zoo.layers.attention import attend
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._key_rules import rename_keys
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import identity_kernel
from zoo.models.repvit import ConvNorm, RepVitClassifier, RepVitHeadMixin

__all__ = ['IFormer', 'SHMA']


class ScaledResidual(nn.Module):
    """`x + gamma * drop_path(module(x))`; `gamma` (per channel, key `gamma`) only when `init_values` > 0."""

    def __init__(self, module: nn.Module, dim: int, drop_path: float = 0., init_values: float = 0.):
        super().__init__()
        self.module = module
        self.init_values = init_values
        self.gamma = nn.Parameter(torch.full((1, dim, 1, 1), float(init_values))) if init_values > 0 else None
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def reset_parameters(self) -> None:
        if self.gamma is not None:
            nn.init.constant_(self.gamma, self.init_values)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.module(x)
        if self.gamma is not None:
            branch = branch * self.gamma
        return x + self.drop_path(branch)


class MixerBlock(nn.Module):
    """One residual branch under the released weights' key `mixer` (conv block, SHMA block or FFN)."""

    def __init__(self, branch: nn.Module, dim: int, drop_path: float, init_values: float):
        super().__init__()
        self.mixer = ScaledResidual(branch, dim, drop_path, init_values)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mixer(x)


def conv_block(dim: int, ratio: int, act_layer: LayerType, drop_path: float, init_values: float,
               kernel_size: int = 7) -> MixerBlock:
    """Depthwise kxk -> 1x1 expand by `ratio` -> activation -> 1x1 project, each conv with a BN."""
    body = nn.Sequential(ConvNorm(dim, dim, kernel_size, groups=dim), ConvNorm(dim, dim * ratio), act_layer(),
                         ConvNorm(dim * ratio, dim))
    return MixerBlock(body, dim, drop_path, init_values)


def ffn_block(dim: int, ratio: int, act_layer: LayerType, drop_path: float, init_values: float) -> MixerBlock:
    """1x1 expand by `ratio` -> activation -> 1x1 project, each conv with a BN."""
    body = nn.Sequential(ConvNorm(dim, dim * ratio), act_layer(), ConvNorm(dim * ratio, dim))
    return MixerBlock(body, dim, drop_path, init_values)


class PositionConv(nn.Module):
    """Conditional position encoding: `x + BN(depthwise conv(x))` (key `cpe`); folds into one depthwise conv."""

    def __init__(self, dim: int, kernel_size: int = 3):
        super().__init__()
        self.cpe = ScaledResidual(ConvNorm(dim, dim, kernel_size, groups=dim), dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cpe(x)

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        """One biased depthwise conv equal to the branch plus its identity in eval mode."""
        conv = self.cpe.module.fuse()
        conv.weight.add_(identity_kernel(conv.out_channels, conv.groups, conv.kernel_size, conv.weight))
        return conv


class SHMA(nn.Module):
    """Single-head modulation attention (section 3.2).

    One attention head over all positions with q, k of width `dim // head_dim_reduction`; the values and a gate of
    width `dim * ratio` are the two halves of one sigmoid-activated 1x1 projection, and the attention output is
    multiplied by the gate before the output projection.

    Args:
        dim: input and output channels.
        ratio: value / gate width relative to `dim`.
        head_dim_reduction: q / k width is `dim // head_dim_reduction`.
    """

    def __init__(self, dim: int, ratio: int = 1, head_dim_reduction: int = 2):
        super().__init__()
        value_dim = int(dim * ratio)
        qk_dim = dim // head_dim_reduction
        self.q = ConvNorm(dim, qk_dim)
        self.k = ConvNorm(dim, qk_dim)
        self.v_gate = ConvNorm(dim, 2 * value_dim)
        self.gate_act = nn.Sigmoid()
        self.proj = ConvNorm(value_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        value, gate = self.gate_act(self.v_gate(x)).chunk(2, dim=1)

        def tokens(t: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> one head of (B, 1, HW, C)
            return t.flatten(2).transpose(1, 2).unsqueeze(1)

        out = attend(tokens(self.q(x)), tokens(self.k(x)), tokens(value))
        out = out.squeeze(1).transpose(1, 2).reshape(b, -1, h, w)
        return self.proj(out * gate)


class IFormerStem(nn.Module):
    """5x5 stride-2 conv -> act -> 5x5 stride-2 conv to 2x width -> act -> 1x1 projection (stride 4)."""

    def __init__(self, in_chans: int, out_chs: int, act_layer: LayerType):
        super().__init__()
        half = out_chs // 2
        self.conv1 = ConvNorm(in_chans, half, 5, stride=2)
        self.act1 = act_layer()
        self.conv2 = ConvNorm(half, half * 4, 5, stride=2)
        self.act2 = act_layer()
        self.conv3 = ConvNorm(half * 4, out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(self.act2(self.conv2(self.act1(self.conv1(x)))))


def stage_blocks(dim: int, depth: int, attn_groups: int, head_dim_reduction: int, conv_ratio: int, ffn_ratio: int,
                 attn_ratio: int, act_layer: LayerType, dpr: Sequence[float], init_values: float) -> List[nn.Module]:
    """The blocks of one stage: conv blocks only, or (conv blocks, attention groups, one last conv block).

    An attention group (position conv, SHMA, FFN) takes the place of three blocks, and its members take the drop-path
    rates of those positions (the position conv has none).
    """
    if depth < 3 * attn_groups:
        raise ValueError(f'A stage of depth {depth} cannot hold {attn_groups} attention groups of three blocks each.')

    def conv(i: int) -> nn.Module:
        return conv_block(dim, conv_ratio, act_layer, dpr[i], init_values)

    if not attn_groups:
        return [conv(i) for i in range(depth)]
    num_conv = depth - 3 * attn_groups
    lead = max(num_conv - 1, 0)
    blocks = [conv(i) for i in range(lead)]
    for g in range(attn_groups):
        pos = lead + 3 * g
        blocks += [
            PositionConv(dim),
            MixerBlock(SHMA(dim, attn_ratio, head_dim_reduction), dim, dpr[pos + 1], init_values),
            ffn_block(dim, ffn_ratio, act_layer, dpr[pos + 2], init_values),
        ]
    if num_conv:
        blocks.append(conv(depth - 1))
    return blocks


class IFormerStage(nn.Module):
    """A stride-2 conv-BN downsampling when the width changes (key `downsample`), then the blocks (`blocks`)."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, in_dim: int, dim: int, blocks: Sequence[nn.Module]):
        super().__init__()
        self.downsample = nn.Identity() if in_dim == dim else ConvNorm(in_dim, dim, 3, stride=2)
        self.blocks = CheckpointSequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


def _init_conv_linear(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


class IFormer(RepVitHeadMixin, ZooModel):
    """iFormer: conv stem, four stages of conv blocks (attention groups in the later ones), pooled BN-linear head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', or '' (with num_classes=0) to return unpooled maps.
        dims: width of each stage.
        depths: blocks per stage, counting each attention group as three.
        attn_groups: attention groups (position conv, SHMA, FFN) per stage.
        attn_head_dim_reduction: per stage, SHMA q / k width is `dim // reduction`.
        conv_ratio: expansion of the conv blocks.
        ffn_ratio: expansion of the FFNs of the attention groups.
        attn_ratio: SHMA value / gate width relative to the stage width.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth of the last block (linear from 0 over all blocks).
        layer_scale_init_value: init of the per-channel residual scales; 0 for none.
        act_layer: activation of the stem and the blocks.
        distillation: add the distillation head `head.head_dist`.
    """
    trunk = Trunk(stem=('stem',), levels='stages')
    classifier_name = 'head'
    groups = dict(
        stem=r'^stem',
        blocks=[(r'^stages\.(\d+)\.downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None),
                (r'^head', (99999,))],
        coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            dims: Sequence[int] = (32, 64, 128, 256),
            depths: Sequence[int] = (2, 2, 16, 6),
            attn_groups: Sequence[int] = (0, 0, 3, 2),
            attn_head_dim_reduction: Sequence[int] = (0, 0, 2, 4),
            conv_ratio: int = 3,
            ffn_ratio: int = 2,
            attn_ratio: int = 1,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            layer_scale_init_value: float = 0.,
            act_layer: LayerType = nn.GELU,
            distillation: bool = False,
    ):
        super().__init__()
        if not len(dims) == len(depths) == len(attn_groups) == len(attn_head_dim_reduction):
            raise ValueError(f'dims, depths, attn_groups and attn_head_dim_reduction need one entry per stage, got '
                             f'{len(dims)}, {len(depths)}, {len(attn_groups)} and {len(attn_head_dim_reduction)}.')
        self._check_pool(global_pool, num_classes)
        act_layer = get_act_layer(act_layer)
        self.num_classes = check_num_classes(num_classes)
        self.global_pool = global_pool
        self.drop_rate = drop_rate

        self.stem = IFormerStem(in_chans, dims[0], act_layer)
        stages, self.feature_info = [], []
        in_dim = dims[0]
        for i, (dim, dpr) in enumerate(zip(dims, stagewise_drop_path_rates(drop_path_rate, depths))):
            blocks = stage_blocks(dim, depths[i], attn_groups[i], attn_head_dim_reduction[i], conv_ratio, ffn_ratio,
                                  attn_ratio, act_layer, dpr, layer_scale_init_value)
            stages.append(IFormerStage(in_dim, dim, blocks))
            self.feature_info.append(dict(num_chs=dim, reduction=2 ** (i + 2), module=f'stages.{i}'))
            in_dim = dim
        self.stages = nn.Sequential(*stages)
        self.num_features = self.head_hidden_size = dims[-1]
        self.head_drop = nn.Dropout(drop_rate)
        self.head = RepVitClassifier(self.num_features, num_classes, distillation)
        self.apply(_init_conv_linear)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


# original release layout -> this layout, applied in order (the released files name the stem / downsampling convs
# `downsample_layers`, the per-block branch `token_channel_mixer` / `channel_mixer` and the residual body `m`)
_ORIGINAL_KEYS = (
    (r'^classifier\.classifier_dist\.', 'head.head_dist.'),
    (r'^classifier\.(classifier\.)?', 'head.head.'),
    (r'^downsample_layers\.0\.0\.', 'stem.conv1.'),
    (r'^downsample_layers\.0\.2\.conv_exp_bn1\.', 'stem.conv2.'),
    (r'^downsample_layers\.0\.2\.conv_pwl_bn2\.', 'stem.conv3.'),
    (r'^downsample_layers\.(\d+)\.(0\.)?', r'stages.\1.downsample.'),
    (r'^stages\.(\d+)\.(\d+)\.(block\.)?', r'stages.\1.blocks.\2.'),
    (r'(token_channel_mixer|channel_mixer)', 'mixer'),
    (r'\.m\.', '.module.'),
)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Map a checkpoint of the original iFormer release (optionally under 'model' / 'state_dict') to zoo's keys."""
    for wrapper in ('model', 'state_dict'):
        if isinstance(state_dict.get(wrapper), dict):
            state_dict = state_dict[wrapper]
    if 'stem.conv1.c.weight' in state_dict:
        return state_dict
    return rename_keys(state_dict, _ORIGINAL_KEYS)


def _create_iformer(variant: str, pretrained: bool = False, **kwargs: Any) -> IFormer:
    return build_model_with_cfg(IFormer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


_RELEASES = 'https://github.com/ChuanyangZheng/iFormer/releases/download/v0.9/'


def _cfg(file: Optional[str] = None, **kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url=_RELEASES + file if file else '', num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7),
               crop_pct=0.875, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='stem.conv1.c', classifier='head.head.l', paper_ids='arXiv:2501.15369',
               paper_name='iFormer: Integrating ConvNet and Transformer for Mobile Application',
               origin_url='https://github.com/ChuanyangZheng/iFormer', license='mit')
    if file:
        cfg['hf_hub_id'] = 'timm/'
    return {**cfg, **kwargs}


_DISTILLED = dict(classifier=('head.head.l', 'head.head_dist.l'))

default_cfgs = generate_default_cfgs({
    'iformer_t.in1k': _cfg('iFormer_t.pth'),
    'iformer_s.in1k': _cfg('iFormer_s.pth'),
    'iformer_m.in1k': _cfg('iFormer_m.pth'),
    'iformer_l.in1k': _cfg('iFormer_l.pth'),
    'iformer_l2.untrained': _cfg(),
    'iformer_h.in1k': _cfg('iFormer_h.pth'),
    'iformer_m_distilled.in1k': _cfg('iFormer_m_distill.pth', **_DISTILLED),
    'iformer_l_distilled.in1k': _cfg('iFormer_l_distill.pth', **_DISTILLED),
    'iformer_l2_distilled.in1k': _cfg('iFormer_l2_distill.pth', **_DISTILLED),
})

# (dims, depths, attention groups, SHMA q/k reduction, conv ratio, FFN ratio) of each size (paper table 1, appendix)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    t=dict(dims=(32, 64, 128, 256), depths=(2, 2, 16, 6), attn_groups=(0, 0, 3, 2),
           attn_head_dim_reduction=(0, 0, 2, 4), conv_ratio=3, ffn_ratio=2),
    s=dict(dims=(32, 64, 176, 320), depths=(2, 2, 19, 6), attn_groups=(0, 0, 3, 2),
           attn_head_dim_reduction=(0, 0, 2, 4), conv_ratio=4, ffn_ratio=3),
    m=dict(dims=(48, 96, 192, 384), depths=(2, 2, 22, 6), attn_groups=(0, 0, 4, 2),
           attn_head_dim_reduction=(0, 0, 2, 4), conv_ratio=4, ffn_ratio=3),
    l=dict(dims=(48, 96, 256, 384), depths=(2, 2, 33, 6), attn_groups=(0, 0, 8, 2),
           attn_head_dim_reduction=(0, 0, 2, 4), conv_ratio=4, ffn_ratio=3),
    l2=dict(dims=(64, 128, 256, 512), depths=(3, 3, 46, 9), attn_groups=(0, 0, 11, 3),
            attn_head_dim_reduction=(0, 0, 2, 4), conv_ratio=4, ffn_ratio=3),
    h=dict(dims=(96, 192, 384, 768), depths=(5, 5, 60, 18), attn_groups=(0, 0, 15, 6),
           attn_head_dim_reduction=(0, 0, 1, 1), conv_ratio=4, ffn_ratio=4, layer_scale_init_value=1e-6),
)


def _iformer(variant: str, size: str, pretrained: bool, kwargs: Dict[str, Any], **extra: Any) -> IFormer:
    return _create_iformer(variant, pretrained, **{**_ARCHS[size], **extra, **kwargs})


@register_model
def iformer_t(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_t', 't', pretrained, kwargs)


@register_model
def iformer_s(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_s', 's', pretrained, kwargs)


@register_model
def iformer_m(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_m', 'm', pretrained, kwargs)


@register_model
def iformer_l(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_l', 'l', pretrained, kwargs)


@register_model
def iformer_l2(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_l2', 'l2', pretrained, kwargs)


@register_model
def iformer_h(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_h', 'h', pretrained, kwargs)


@register_model
def iformer_m_distilled(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_m_distilled', 'm', pretrained, kwargs, distillation=True)


@register_model
def iformer_l_distilled(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_l_distilled', 'l', pretrained, kwargs, distillation=True)


@register_model
def iformer_l2_distilled(pretrained: bool = False, **kwargs: Any) -> IFormer:
    return _iformer('iformer_l2_distilled', 'l2', pretrained, kwargs, distillation=True)
