"""LowFormer: hardware-efficient convolutional transformer backbones.

Papers: "LowFormer: Hardware Efficient Design for Convolutional Transformer Backbones", Nottebaum et al., WACV 2025
(arXiv:2409.03460); the edge-GPU models E1-E3 are from the journal extension "Beyond MACs: Hardware Efficient
Architecture Design for Vision Backbones", Nottebaum et al., IJCV 2026 (arXiv:2603.26551).

The macro design is EfficientViT's (MIT): a stride-2 conv stem with residual (fused) MBConvs, two stages of (fused)
MBConvs, then two attention stages that open with a stride-2 (fused) MBConv. The LowFormer block (section 3.2) puts
its attention on a downsampled map: a depthwise conv (5x5 stride 2 in the first attention stage, 3x3 stride 1 in the
last) and a pointwise conv give q, k, v for a few heads of half the usual width, plain softmax attention runs at the
lower resolution, and a transposed conv brings the result back to the input size (and, in the fused variant used by
every released model, projects to the block width at the same time). Attention and MLP each have a GroupNorm(1)
pre-norm and a residual, followed by a residual (fused) MBConv. The head is a 1x1 conv-BN-act, global pooling, a
linear-LayerNorm-act and the classifier. The E models drop the MLP (E1 also the attention) from the blocks.
"""
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers.attention import attend
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.norm import GroupNorm1
from zoo.layers.pool import SelectAdaptivePool2d
from zoo.layers.residual_branch import Residual
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.efficientvit_mit import ConvLayer

__all__ = ['LowFormer', 'ConvAttention', 'checkpoint_filter_fn']


class MBConv(nn.Module):
    """1x1 expand (act) -> depthwise kxk (act) -> 1x1 project (BN): only the projection is normalised."""

    def __init__(self, in_chs: int, out_chs: int, expand_ratio: float, act_layer: type, stride: int = 1,
                 bias: bool = False, expand_groups: int = 1):
        super().__init__()
        mid = round(in_chs * expand_ratio)
        self.inverted_conv = ConvLayer(in_chs, mid, 1, groups=expand_groups, bias=bias, norm_eps=None,
                                       act_layer=act_layer)
        self.depth_conv = ConvLayer(mid, mid, 3, stride, groups=mid, bias=bias, norm_eps=None, act_layer=act_layer)
        self.point_conv = ConvLayer(mid, out_chs, 1, groups=expand_groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point_conv(self.depth_conv(self.inverted_conv(x)))


class FusedMBConv(nn.Module):
    """kxk expand (BN, act) -> 1x1 project (BN)."""

    def __init__(self, in_chs: int, out_chs: int, expand_ratio: float, act_layer: type, stride: int = 1,
                 bias: bool = False, expand_groups: int = 1):
        super().__init__()
        mid = round(in_chs * expand_ratio)
        self.spatial_conv = ConvLayer(in_chs, mid, 3, stride, groups=expand_groups, bias=bias, act_layer=act_layer)
        self.point_conv = ConvLayer(mid, out_chs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point_conv(self.spatial_conv(x))


class ConvAttention(nn.Module):
    """Softmax attention on a conv-downsampled map, upsampled back by a transposed conv.

    Heads: one per 30 channels of half the width (at least one), each half the per-head width of a standard split.

    Args:
        dim: channels in and out.
        att_stride: downsampling of the attended map (1 or 2 in the released models).
        att_kernel: kernel of the depthwise downsampling conv.
        fuse_out_proj: the transposed conv also projects to `dim` (no separate 1x1 output projection).
    """

    def __init__(self, dim: int, att_stride: int = 1, att_kernel: int = 3, fuse_out_proj: bool = True):
        super().__init__()
        self.num_heads = max(1, int(dim * .5 // 30))
        self.head_dim = int(dim // self.num_heads * .5)
        inner = self.head_dim * self.num_heads
        self.conv_proj = ConvLayer(dim, dim, att_kernel, att_stride, groups=dim)
        self.pwise = nn.Conv2d(dim, 3 * inner, 1, bias=False)
        self.o_proj = nn.Identity() if fuse_out_proj else nn.Conv2d(inner, dim, 1)
        up_in, up_groups = (inner, 1) if fuse_out_proj else (dim, dim)
        if att_stride == 1:
            self.upsampling = nn.ConvTranspose2d(up_in, dim, 3, padding=1, groups=up_groups)
        else:
            self.upsampling = nn.ConvTranspose2d(up_in, dim, 2 * att_stride, att_stride, padding=att_stride // 2,
                                                 groups=up_groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        qkv = self.pwise(self.conv_proj(x))
        batch, _, h, w = qkv.shape
        # channels are grouped per head as [q | k | v] of head_dim each
        qkv = qkv.view(batch, self.num_heads, 3 * self.head_dim, h * w).transpose(2, 3)
        q, k, v = qkv.chunk(3, dim=-1)
        out = attend(q, k, v)
        out = self.o_proj(out.transpose(2, 3).reshape(batch, -1, h, w))
        # a transposed conv of an odd-sized map overshoots by a pixel: crop to the input size
        return self.upsampling(out)[..., :height, :width]


def _conv_block(fused: bool, in_chs: int, out_chs: int, expand_ratio: float, act_layer: type, stride: int = 1,
                bias: bool = False, expand_groups: int = 1) -> nn.Module:
    block_cls = FusedMBConv if fused else MBConv
    return block_cls(in_chs, out_chs, expand_ratio, act_layer, stride, bias, expand_groups)


class LowFormerBlock(nn.Module):
    """Residual pre-norm attention -> residual pre-norm MLP -> residual (fused) MBConv (keys `attn`, `mlp`, `local`).

    Without `attn_mlp` the attention has no pre-norm and there is no MLP; without `attn` there is no attention.
    """

    def __init__(self, dim: int, expand_ratio: float, act_layer: type, fused_conv: bool = True,
                 expand_groups: int = 1, attn: bool = True, attn_mlp: bool = True, attn_mlp_ratio: int = 4,
                 att_stride: int = 1, proj_drop: float = 0., drop_path: float = 0.):
        super().__init__()
        self.attn: nn.Module = nn.Identity()
        if attn:
            mixer: nn.Module = ConvAttention(dim, att_stride, 5 if att_stride > 1 else 3, fuse_out_proj=fused_conv)
            if attn_mlp:
                mixer = nn.Sequential(GroupNorm1(dim), mixer)
            self.attn = Residual(mixer, drop_path=drop_path)
        self.mlp: nn.Module = nn.Identity()
        if attn_mlp:
            hidden = dim * attn_mlp_ratio
            self.mlp = Residual(nn.Sequential(
                GroupNorm1(dim), nn.Conv2d(dim, hidden, 1), nn.GELU(), nn.Conv2d(hidden, dim, 1), nn.Dropout(proj_drop),
            ), drop_path=drop_path)
        # full 3x3 convs get expensive at high widths: the fused form only below 256 channels
        self.local = Residual(_conv_block(fused_conv and dim < 256, dim, dim, expand_ratio, act_layer, bias=True,
                                          expand_groups=expand_groups), drop_path=drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.local(self.mlp(self.attn(x)))


def _stages(width_list: Sequence[int], depth_list: Sequence[int], act_layer: type, fused_conv: bool,
            expand_ratio: float, downsample_ratios: Sequence[float], expand_groups: int,
            block_kwargs: Dict[str, Any], rates: List[List[float]]) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    """Stages 1-4 after the stem: two conv stages (first block strided), two attention stages (strided MBConv
    first)."""
    stages, feature_info = [], []
    in_chs, reduction = width_list[0], 2
    for i, (width, depth) in enumerate(zip(width_list[1:], depth_list[1:])):
        blocks: List[nn.Module] = []
        if i >= 2:
            blocks.append(Residual(_conv_block(fused_conv, in_chs, width, downsample_ratios[i], act_layer, 2,
                                               expand_groups=expand_groups), shortcut=False))
            blocks += [LowFormerBlock(width, expand_ratio, act_layer, fused_conv, expand_groups,
                                      att_stride=2 if i == 2 else 1, drop_path=rates[i + 1][j], **block_kwargs)
                       for j in range(depth)]
        else:
            for j in range(depth):
                ratio = downsample_ratios[i] if j == 0 else expand_ratio
                block = _conv_block(fused_conv, in_chs if j == 0 else width, width, ratio, act_layer,
                                    2 if j == 0 else 1, expand_groups=expand_groups)
                blocks.append(Residual(block, shortcut=j > 0, drop_path=rates[i + 1][j]))
        if blocks:
            in_chs, reduction = width, reduction * 2
        stages.append(CheckpointSequential(*blocks))
        feature_info.append(dict(num_chs=in_chs, reduction=reduction, module=f'stages.{i}'))
    return nn.Sequential(*stages), feature_info


class LowFormer(ZooModel):
    """LowFormer with its conv + MLP head.

    Args:
        width_list: widths of the stem and the four stages.
        depth_list: blocks of the stem and the four stages.
        in_chans: input channels.
        num_classes: classes (0: pre-logits of the head MLP).
        global_pool: pooling type ('' applies the head per pixel and returns maps).
        head_widths: widths of the head's 1x1 conv and of its linear layer.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout at the end of the attention-block MLPs.
        drop_path_rate: stochastic depth of the last block (linear from 0; strided blocks have no shortcut).
        expand_ratio: expansion of the (fused) MBConvs.
        act_layer: activation of the convs and the head.
        fused_conv: fused MBConvs (and the attention output projection fused into the upsampling).
        attn: attention in the LowFormer blocks.
        attn_mlp: MLP (and the attention pre-norm) in the LowFormer blocks.
        attn_mlp_ratio: expansion of those MLPs.
        stem_expand_ratio: expansion of the stem's blocks.
        downsample_expand_ratios: expansion of each stage's strided block (default `expand_ratio`).
        expand_groups: groups of the expanding convs.
    """
    trunk = Trunk(stem=('stem',), levels='stages')
    classifier_name = 'classifier'
    groups = dict(stem=r'^stem\.\d+', blocks=[(r'^stages\.(\d+)\.(\d+)', None)], coarse=[(r'^stages\.(\d+)', None)])

    def __init__(
            self,
            width_list: Sequence[int],
            depth_list: Sequence[int],
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            head_widths: Tuple[int, int] = (1536, 1600),
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            expand_ratio: float = 4,
            act_layer: type = nn.Hardswish,
            fused_conv: bool = True,
            attn: bool = True,
            attn_mlp: bool = True,
            attn_mlp_ratio: int = 4,
            stem_expand_ratio: float = 2,
            downsample_expand_ratios: Optional[Sequence[float]] = None,
            expand_groups: int = 1,
    ):
        super().__init__()
        if len(width_list) != 5 or len(depth_list) != 5:
            raise ValueError(f'width_list {list(width_list)} and depth_list {list(depth_list)} need 5 entries '
                             '(the stem and four stages).')
        downsample_ratios = tuple(downsample_expand_ratios or (expand_ratio,) * 4)
        if len(downsample_ratios) != 4:
            raise ValueError(f'downsample_expand_ratios needs one entry per stage (4), got {downsample_ratios}.')
        self.num_classes = check_num_classes(num_classes)
        self.drop_rate = drop_rate
        rates = stagewise_drop_path_rates(drop_path_rate, depth_list)
        stem_width = width_list[0]
        self.stem = nn.Sequential(
            ConvLayer(in_chans, stem_width, 3, 2, act_layer=act_layer),
            *[Residual(_conv_block(fused_conv, stem_width, stem_width, stem_expand_ratio, act_layer,
                                   expand_groups=expand_groups), drop_path=rates[0][i]) for i in range(depth_list[0])])
        block_kwargs = dict(attn=attn, attn_mlp=attn_mlp, attn_mlp_ratio=attn_mlp_ratio, proj_drop=proj_drop_rate)
        self.stages, self.feature_info = _stages(width_list, depth_list, act_layer, fused_conv, expand_ratio,
                                                 downsample_ratios, expand_groups, block_kwargs, rates)
        self.num_features = width_list[-1]
        self.head_hidden_size = head_widths[1]
        self.global_pool = self._pool(global_pool)
        self.in_conv = ConvLayer(self.num_features, head_widths[0], 1, act_layer=act_layer)
        self.pre_classifier = nn.Sequential(nn.Linear(head_widths[0], head_widths[1], bias=False),
                                            nn.LayerNorm(head_widths[1]), act_layer())
        self.classifier = nn.Linear(head_widths[1], num_classes) if num_classes > 0 else nn.Identity()
        self.apply(init_linear_trunc_normal_)

    @staticmethod
    def _pool(global_pool: str) -> SelectAdaptivePool2d:
        pool = SelectAdaptivePool2d(global_pool, flatten=True)
        if pool.feat_mult() != 1:
            raise ValueError(f'The head MLP takes one vector per image of the trunk width: global_pool={global_pool!r} '
                             "changes that width; use 'avg', 'max', 'avgmax' or ''.")
        return pool

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            self.global_pool = self._pool(global_pool)
        self.classifier = nn.Linear(self.head_hidden_size, num_classes) if num_classes > 0 else nn.Identity()

    def _replace_head(self, in_features: int) -> None:
        self.in_conv, self.pre_classifier, self.classifier = nn.Identity(), nn.Identity(), nn.Identity()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.global_pool(self.in_conv(x))
        per_pixel = self.global_pool.is_identity()
        if per_pixel:  # the head's linear layers then run on every pixel (channels last)
            x = x.permute(0, 2, 3, 1)
        x = self.pre_classifier(x)
        if self.drop_rate:
            x = F.dropout(x, self.drop_rate, self.training)
        if not pre_logits:
            x = self.classifier(x)
        return x.permute(0, 3, 1, 2).contiguous() if per_pixel else x


# the official (EfficientViT-derived) module names -> this layout, applied in order
_OFFICIAL_RENAMES = (
    (r'^backbone\.input_stem\.', 'stem.'),
    (r'^backbone\.stages\.', 'stages.'),
    (r'^head\.opseq\.', 'head.'),
    (r'^head\.op_list\.0\.', 'in_conv.'),
    (r'^head\.op_list\.2\.linear\.', 'pre_classifier.0.'),
    (r'^head\.op_list\.2\.norm\.', 'pre_classifier.1.'),
    (r'^head\.op_list\.3\.linear\.', 'classifier.'),
    (r'\.op_list\.', '.'),
    (r'\.total\.0\.0\.', '.attn.'),
    (r'\.total\.0\.1\.', '.mlp.'),
    (r'\.total\.0\.', '.attn.'),
    (r'\.total\.1\.', '.local.'),
    (r'\.conv_proj\.0\.', '.conv_proj.conv.'),
    (r'\.conv_proj\.1\.', '.conv_proj.norm.'),
    (r'\.pwise\.0\.', '.pwise.'),
)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: LowFormer) -> Dict[str, torch.Tensor]:
    """Official LowFormer checkpoints (a backbone / head of OpSequentials, optionally under 'state_dict') -> this
    layout; zoo / timm checkpoints pass through."""
    if 'stem.0.conv.weight' in state_dict:
        return state_dict
    state_dict = state_dict.get('state_dict', state_dict)
    out = {}
    for k, v in state_dict.items():
        for pattern, repl in _OFFICIAL_RENAMES:
            k = re.sub(pattern, repl, k)
        out[k] = v
    return out


def _create_lowformer(variant: str, pretrained: bool = False, **kwargs: Any) -> LowFormer:
    return build_model_with_cfg(LowFormer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=.95,
               interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='stem.0.conv', classifier='classifier',
               origin_url='https://github.com/altair199797/LowFormer', license='apache-2.0')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'lowformer_b0.in1k': _cfg(),
    'lowformer_b1.in1k': _cfg(),
    'lowformer_b15.in1k': _cfg(),
    'lowformer_b2.untrained': _cfg(hf_hub_id=None),
    'lowformer_b3.in1k': _cfg(),
    'lowformer_e1.in1k': _cfg(),
    'lowformer_e2.in1k': _cfg(),
    'lowformer_e3.in1k': _cfg(),
})

_WIDE_HEAD = dict(head_widths=(2304, 2560))
_DS6 = dict(downsample_expand_ratios=(6, 6, 6, 6))
# widths / depths of the stem and the four stages (paper table 1; E models: journal table 2)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    lowformer_b0=dict(width_list=(16, 32, 64, 128, 256), depth_list=(0, 1, 1, 3, 4)),
    lowformer_b1=dict(width_list=(16, 32, 64, 128, 256), depth_list=(0, 1, 1, 5, 5), **_DS6),
    lowformer_b15=dict(width_list=(20, 40, 80, 160, 320), depth_list=(0, 1, 1, 6, 6), **_WIDE_HEAD, **_DS6),
    lowformer_b2=dict(width_list=(24, 48, 96, 192, 384), depth_list=(0, 1, 1, 6, 6), **_WIDE_HEAD, **_DS6),
    lowformer_b3=dict(width_list=(32, 64, 128, 256, 512), depth_list=(1, 2, 3, 6, 6), stem_expand_ratio=4, **_DS6),
    lowformer_e1=dict(width_list=(20, 40, 80, 160, 320), depth_list=(0, 1, 1, 4, 4), attn=False, attn_mlp=False,
                      **_WIDE_HEAD, **_DS6),
    lowformer_e2=dict(width_list=(32, 64, 128, 256, 512), depth_list=(1, 2, 3, 4, 4), attn=False, attn_mlp=False,
                      stem_expand_ratio=4, **_DS6),
    lowformer_e3=dict(width_list=(32, 64, 128, 256, 512), depth_list=(1, 2, 3, 6, 6), attn_mlp=False,
                      stem_expand_ratio=4, **_DS6),
)


def _lowformer(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> LowFormer:
    return _create_lowformer(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def lowformer_b0(pretrained: bool = False, **kwargs) -> LowFormer:
    return _lowformer('lowformer_b0', pretrained, kwargs)


@register_model
def lowformer_b1(pretrained: bool = False, **kwargs) -> LowFormer:
    return _lowformer('lowformer_b1', pretrained, kwargs)


@register_model
def lowformer_b15(pretrained: bool = False, **kwargs) -> LowFormer:
    return _lowformer('lowformer_b15', pretrained, kwargs)


@register_model
def lowformer_b2(pretrained: bool = False, **kwargs) -> LowFormer:
    return _lowformer('lowformer_b2', pretrained, kwargs)


@register_model
def lowformer_b3(pretrained: bool = False, **kwargs) -> LowFormer:
    return _lowformer('lowformer_b3', pretrained, kwargs)


@register_model
def lowformer_e1(pretrained: bool = False, **kwargs) -> LowFormer:
    return _lowformer('lowformer_e1', pretrained, kwargs)


@register_model
def lowformer_e2(pretrained: bool = False, **kwargs) -> LowFormer:
    return _lowformer('lowformer_e2', pretrained, kwargs)


@register_model
def lowformer_e3(pretrained: bool = False, **kwargs) -> LowFormer:
    return _lowformer('lowformer_e3', pretrained, kwargs)
