"""EdgeNeXt: a ConvNeXt-style hybrid with split depth-wise transposed attention for mobile devices.

Papers:
- "EdgeNeXt: Efficiently Amalgamated CNN-Transformer Architecture for Mobile Vision Applications", Maaz et al.,
  ECCV-W 2022 (arXiv:2206.10589).
- edgenext_small / edgenext_base `usi_in1k` weights: "Solving ImageNet: a Unified Scheme for Training any Backbone to
  Top Results", Ridnik et al., 2022 (arXiv:2204.03475).

Four stages (stride 4, 8, 16, 32) of ConvNeXt blocks (depthwise kxk conv, LayerNorm, MLP, layer scale) whose kernel
grows per stage (3, 5, 7, 9), with the last block of stages 1-3 replaced by a split depth-wise transposed attention
(SDTA) block (section 3.2): the channels are split into s groups, each group but the last runs a depthwise 3x3 conv
on itself plus the previous group's output (a Res2Net-style hierarchy of receptive fields), then cross-covariance
attention across channels (XCiT) with a Fourier position encoding in stage 1, and an MLP. The head is LayerNorm ->
pooling -> linear (ConvNeXt's). `edgenext_small_rw` is timm's variant: strided first blocks instead of patchify
downsampling layers, an overlapping 9x9 stem and no conv biases.
"""
import math
from functools import partial
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import (
    ClassifierHead,
    DropPath,
    LayerType,
    NormMlpClassifierHead,
    create_conv2d,
    get_act_layer,
    trunc_normal_,
)
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.mlp import Mlp
from zoo.layers.norm import LayerNorm2d
from zoo.layers.pos_embed_fourier import FourierPosEmbed
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._key_rules import rename_keys
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag, named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.xcit import XCA

__all__ = ['EdgeNeXt', 'ConvBlock', 'SplitTransposeBlock', 'checkpoint_filter_fn']

_norm_cl = partial(nn.LayerNorm, eps=1e-6)


def _layer_scale(dim: int, init_value: float) -> Optional[nn.Parameter]:
    """The per-channel scale of a branch (stored as a bare `gamma` vector); None when disabled (init 0)."""
    return nn.Parameter(torch.full((dim,), init_value)) if init_value > 0 else None


class _ChannelsLastMlpBlock(nn.Module):
    """Base of both EdgeNeXt blocks: they end in the same channels-last branch, LayerNorm -> MLP -> `gamma`, added to
    the block's shortcut through stochastic depth (keys `norm`, `mlp`, `gamma`)."""

    norm: nn.Module
    mlp: nn.Module
    gamma: Optional[nn.Parameter]
    drop_path: nn.Module

    def _init_mlp_branch(self, dim: int, expand_ratio: float, ls_init_value: float, act_layer: LayerType,
                         drop_path: float) -> None:
        self.norm = _norm_cl(dim)
        self.mlp = Mlp(dim, int(expand_ratio * dim), act_layer=act_layer)
        self.gamma = _layer_scale(dim, ls_init_value)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def _add_mlp_branch(self, x_nhwc: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        """shortcut (NCHW) + drop_path(gamma * mlp(norm(x))) for an NHWC `x`."""
        x = self.mlp(self.norm(x_nhwc))
        if self.gamma is not None:
            x = x * self.gamma
        return shortcut + self.drop_path(x.permute(0, 3, 1, 2))


class ConvBlock(_ChannelsLastMlpBlock):
    """ConvNeXt block: depthwise kxk conv -> LayerNorm -> MLP -> layer scale, residual.

    A strided / widening block (edgenext_small_rw's downsampling) takes its shortcut after the depthwise conv.

    Args:
        dim: input channels.
        dim_out: output channels (a multiple of dim).
        kernel_size: depthwise kernel.
        stride: depthwise stride.
        conv_bias: bias on the depthwise conv.
        expand_ratio: MLP expansion.
        ls_init_value: layer-scale init (0 disables layer scale).
        act_layer: MLP activation.
        drop_path: stochastic depth rate.
    """

    def __init__(self, dim: int, dim_out: Optional[int] = None, kernel_size: int = 7, stride: int = 1,
                 conv_bias: bool = True, expand_ratio: float = 4, ls_init_value: float = 1e-6,
                 act_layer: LayerType = nn.GELU, drop_path: float = 0.):
        super().__init__()
        width = dim_out or dim
        # a block that strides or widens cannot add its input: the shortcut is taken after the depthwise conv instead
        self.shortcut_after_dw = stride > 1 or width != dim
        self.conv_dw = create_conv2d(dim, width, kernel_size, stride=stride, depthwise=True, bias=conv_bias)
        self._init_mlp_branch(width, expand_ratio, ls_init_value, act_layer, drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv_dw(x)
        if self.shortcut_after_dw:
            shortcut = x
        return self._add_mlp_branch(x.permute(0, 2, 3, 1), shortcut)


class SplitTransposeBlock(_ChannelsLastMlpBlock):
    """SDTA block: hierarchical depthwise 3x3 convs over channel groups, channel attention (XCA), MLP.

    Args:
        dim: channels.
        num_scales: channel groups s (s - 1 of them get a conv).
        num_heads: XCA heads.
        expand_ratio: MLP expansion.
        use_pos_emb: add a Fourier position encoding before the attention.
        conv_bias: bias on the depthwise convs.
        qkv_bias: bias on the qkv projection.
        ls_init_value: layer-scale init (0 disables layer scale).
        act_layer: MLP activation.
        drop_path: stochastic depth rate of both branches.
        attn_drop: attention dropout.
        proj_drop: projection dropout.
    """

    def __init__(self, dim: int, num_scales: int = 1, num_heads: int = 8, expand_ratio: float = 4,
                 use_pos_emb: bool = True, conv_bias: bool = True, qkv_bias: bool = True, ls_init_value: float = 1e-6,
                 act_layer: LayerType = nn.GELU, drop_path: float = 0., attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        width = math.ceil(dim / num_scales)
        self.width = width
        self.num_scales = max(1, num_scales - 1)
        self.convs = nn.ModuleList([create_conv2d(width, width, 3, depthwise=True, bias=conv_bias)
                                    for _ in range(self.num_scales)])
        self.pos_embd = FourierPosEmbed(dim=dim) if use_pos_emb else None
        self.norm_xca = _norm_cl(dim)
        self.gamma_xca = _layer_scale(dim, ls_init_value)
        self.xca = XCA(dim, num_heads=num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self._init_mlp_branch(dim, expand_ratio, ls_init_value, act_layer, drop_path)

    def _multi_scale(self, x: torch.Tensor) -> torch.Tensor:
        groups = x.chunk(len(self.convs) + 1, dim=1)
        outs, prev = [], None
        for group, conv in zip(groups, self.convs):
            prev = conv(group if prev is None else prev + group)
            outs.append(prev)
        outs.append(groups[-1])  # the last group passes through unchanged
        return torch.cat(outs, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self._multi_scale(x)
        b, c, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)
        if self.pos_embd is not None:
            x = x + self.pos_embd(h, w).reshape(1, h * w, c)
        attn = self.xca(self.norm_xca(x))
        if self.gamma_xca is not None:
            attn = attn * self.gamma_xca
        x = x + self.drop_path(attn)
        return self._add_mlp_branch(x.reshape(b, h, w, c), shortcut)


class EdgeNeXtStage(nn.Module):
    """Downsampling (LayerNorm + 2x2 stride-2 conv, unless the first block strides), conv blocks, then SDTA blocks."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, in_chs: int, out_chs: int, stride: int = 2, depth: int = 2, num_global_blocks: int = 1,
                 num_heads: int = 4, scales: int = 2, kernel_size: int = 7, expand_ratio: float = 4,
                 use_pos_emb: bool = False, downsample_block: bool = False, conv_bias: bool = True,
                 ls_init_value: float = 1.0, drop_path_rates: Optional[Sequence[float]] = None,
                 act_layer: LayerType = nn.GELU):
        super().__init__()
        drop_path_rates = drop_path_rates or [0.] * depth
        if downsample_block or stride == 1:
            self.downsample = nn.Identity()
        else:
            self.downsample = nn.Sequential(LayerNorm2d(in_chs, eps=1e-6),
                                            nn.Conv2d(in_chs, out_chs, 2, stride=2, bias=conv_bias))
            in_chs = out_chs
        blocks: List[nn.Module] = []
        for i in range(depth):
            if i < depth - num_global_blocks:
                blocks.append(ConvBlock(
                    in_chs, out_chs, kernel_size, stride=stride if downsample_block and i == 0 else 1,
                    conv_bias=conv_bias, expand_ratio=expand_ratio, ls_init_value=ls_init_value,
                    act_layer=act_layer, drop_path=drop_path_rates[i]))
            else:
                blocks.append(SplitTransposeBlock(
                    in_chs, num_scales=scales, num_heads=num_heads, expand_ratio=expand_ratio,
                    use_pos_emb=use_pos_emb, conv_bias=conv_bias, ls_init_value=ls_init_value, act_layer=act_layer,
                    drop_path=drop_path_rates[i]))
            in_chs = out_chs
        self.blocks = CheckpointSequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class EdgeNeXt(ZooModel):
    """EdgeNeXt: a stride-4 stem, four stages of conv + SDTA blocks, and a LayerNorm -> pool -> linear head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: head pooling ('avg', 'max', ...; '' with num_classes=0 for unpooled maps).
        dims: stage widths.
        depths: blocks per stage.
        global_block_counts: SDTA blocks at the end of each stage.
        kernel_sizes: depthwise kernel of each stage's conv blocks.
        heads: attention heads per stage.
        d2_scales: channel groups of each stage's SDTA blocks.
        use_pos_emb: Fourier position encoding in each stage's SDTA blocks.
        ls_init_value: layer-scale init.
        head_init_scale: scale of the classifier's initial weights.
        expand_ratio: MLP expansion.
        downsample_block: downsample with a strided first conv block instead of a patchify layer.
        conv_bias: biases on the convs.
        stem_type: 'patch' (4x4 stride 4) or 'overlap' (9x9 stride 4).
        head_norm_first: apply the head's LayerNorm as `norm_pre` in forward_features (plain classifier head).
        act_layer: MLP activation.
        drop_path_rate: stochastic depth rate (per-stage linear schedule).
        drop_rate: dropout before the classifier.
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm_pre',))
    groups = dict(
        stem=r'^stem',
        blocks=[(r'^stages\.(\d+)\.downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None),
                (r'^norm_pre', (99999,))],
        coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            dims: Sequence[int] = (24, 48, 88, 168),
            depths: Sequence[int] = (3, 3, 9, 3),
            global_block_counts: Sequence[int] = (0, 1, 1, 1),
            kernel_sizes: Sequence[int] = (3, 5, 7, 9),
            heads: Sequence[int] = (8, 8, 8, 8),
            d2_scales: Sequence[int] = (2, 2, 3, 4),
            use_pos_emb: Sequence[bool] = (False, True, False, False),
            ls_init_value: float = 1e-6,
            head_init_scale: float = 1.,
            expand_ratio: float = 4,
            downsample_block: bool = False,
            conv_bias: bool = True,
            stem_type: str = 'patch',
            head_norm_first: bool = False,
            act_layer: LayerType = nn.GELU,
            drop_path_rate: float = 0.,
            drop_rate: float = 0.,
    ):
        super().__init__()
        if stem_type not in ('patch', 'overlap'):
            raise ValueError(f"stem_type must be 'patch' or 'overlap', got {stem_type!r}.")
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.drop_rate = drop_rate
        kernel, padding = (4, 0) if stem_type == 'patch' else (9, 4)
        self.stem = nn.Sequential(nn.Conv2d(in_chans, dims[0], kernel, stride=4, padding=padding, bias=conv_bias),
                                  LayerNorm2d(dims[0], eps=1e-6))

        dp_rates = stagewise_drop_path_rates(drop_path_rate, depths)
        stages, self.feature_info = [], []
        in_chs, reduction = dims[0], 4
        for i in range(len(dims)):
            stride = 1 if i == 0 else 2
            reduction *= stride
            stages.append(EdgeNeXtStage(
                in_chs, dims[i], stride=stride, depth=depths[i], num_global_blocks=global_block_counts[i],
                num_heads=heads[i], scales=d2_scales[i], kernel_size=kernel_sizes[i], expand_ratio=expand_ratio,
                use_pos_emb=use_pos_emb[i], downsample_block=downsample_block, conv_bias=conv_bias,
                ls_init_value=ls_init_value, drop_path_rates=dp_rates[i], act_layer=act_layer))
            in_chs = dims[i]
            self.feature_info.append(dict(num_chs=in_chs, reduction=reduction, module=f'stages.{i}'))
        self.stages = nn.Sequential(*stages)
        self.num_features = dims[-1]
        if head_norm_first:
            self.norm_pre = LayerNorm2d(self.num_features, eps=1e-6)
            self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        else:
            self.norm_pre = nn.Identity()
            self.head = NormMlpClassifierHead(self.num_features, num_classes, pool_type=global_pool,
                                              drop_rate=drop_rate, norm_layer=partial(LayerNorm2d, eps=1e-6))
        self.head_hidden_size = getattr(self.head, 'num_features', self.num_features)
        named_apply(partial(_init_weights, head_init_scale=head_init_scale), self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        # each stage checkpoints its own blocks when grad checkpointing is on
        x = self.stages(self.stem(x))
        return self.norm_pre(x)


def _init_weights(module: nn.Module, name: str = '', head_init_scale: float = 1.0) -> None:
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.Linear) and 'head.' in name:
            module.weight.data.mul_(head_init_scale)
            module.bias.data.mul_(head_init_scale)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: EdgeNeXt) -> Dict[str, torch.Tensor]:
    """Map the official EdgeNeXt release layout (ConvNeXt-style `downsample_layers`, `dwconv` / `pwconv`, a final
    `norm` and a plain `head`) to this model's; timm-layout checkpoints pass through."""
    if 'head.norm.weight' in state_dict or 'norm_pre.weight' in state_dict:
        return state_dict
    for wrapper in ('model_ema', 'model', 'state_dict'):
        if isinstance(state_dict.get(wrapper), dict):
            state_dict = state_dict[wrapper]
            break
    own = model.state_dict()
    renames = [
        (r'^downsample_layers\.0\.', 'stem.'),
        (r'^stages\.(\d+)\.(\d+)\.', r'stages.\1.blocks.\2.'),
        (r'^downsample_layers\.(\d+)\.(\d+)', r'stages.\1.downsample.\2'),
        (r'dwconv', 'conv_dw'),
        (r'pwconv', 'mlp.fc'),
        (r'^head\.', 'head.fc.'),
        (r'^norm\.', 'head.norm.'),
    ]
    out = rename_keys(state_dict, renames)
    for key, value in out.items():
        # the release stores the layer scales and position projections in other shapes (same numbers)
        if key in own and not key.startswith('head.') and value.shape != own[key].shape:
            out[key] = value.reshape(own[key].shape)
    return out


def _create_edgenext(variant: str, pretrained: bool = False, **kwargs: Any) -> EdgeNeXt:
    return build_model_with_cfg(EdgeNeXt, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 256, 256), pool_size=(8, 8), crop_pct=0.9,
               interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='stem.0',
               classifier='head.fc', license='mit')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'edgenext_xx_small.in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=1.0),
    'edgenext_x_small.in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=1.0),
    'edgenext_small.usi_in1k': _cfg(crop_pct=0.95, test_input_size=(3, 320, 320), test_crop_pct=1.0),
    'edgenext_base.usi_in1k': _cfg(crop_pct=0.95, test_input_size=(3, 320, 320), test_crop_pct=1.0),
    'edgenext_base.in21k_ft_in1k': _cfg(crop_pct=0.95, test_input_size=(3, 320, 320), test_crop_pct=1.0),
    'edgenext_small_rw.sw_in1k': _cfg(test_input_size=(3, 320, 320), test_crop_pct=1.0),
})

# paper table 1 (xx_small, x_small, small), the USI base model, and timm's small_rw
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    edgenext_xx_small=dict(depths=(2, 2, 6, 2), dims=(24, 48, 88, 168), heads=(4, 4, 4, 4)),
    edgenext_x_small=dict(depths=(3, 3, 9, 3), dims=(32, 64, 100, 192), heads=(4, 4, 4, 4)),
    edgenext_small=dict(depths=(3, 3, 9, 3), dims=(48, 96, 160, 304)),
    edgenext_base=dict(depths=(3, 3, 9, 3), dims=(80, 160, 288, 584)),
    edgenext_small_rw=dict(depths=(3, 3, 9, 3), dims=(48, 96, 192, 384), downsample_block=True, conv_bias=False,
                           stem_type='overlap'),
)


def _edgenext(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> EdgeNeXt:
    return _create_edgenext(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def edgenext_xx_small(pretrained: bool = False, **kwargs) -> EdgeNeXt:
    return _edgenext('edgenext_xx_small', pretrained, kwargs)


@register_model
def edgenext_x_small(pretrained: bool = False, **kwargs) -> EdgeNeXt:
    return _edgenext('edgenext_x_small', pretrained, kwargs)


@register_model
def edgenext_small(pretrained: bool = False, **kwargs) -> EdgeNeXt:
    return _edgenext('edgenext_small', pretrained, kwargs)


@register_model
def edgenext_base(pretrained: bool = False, **kwargs) -> EdgeNeXt:
    return _edgenext('edgenext_base', pretrained, kwargs)


@register_model
def edgenext_small_rw(pretrained: bool = False, **kwargs) -> EdgeNeXt:
    return _edgenext('edgenext_small_rw', pretrained, kwargs)
