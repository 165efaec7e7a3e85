"""CPUBone: a vision backbone for devices with little parallelism (CPUs).

Paper: "CPUBone: Efficient Vision Backbone Design for Devices with Low Parallelization Capabilities", Nottebaum,
Dunnhofer and Micheloni, CVPR Findings 2026 (arXiv:2603.26425); reference code https://github.com/altair199797/CPUBone.

The macro design follows EfficientViT: a stride-2 conv stem with optional residual blocks, two stages of (fused)
MBConv blocks, and two stages that start with a stride-2 MBConv and continue with hybrid blocks. The paper's point is
that on a CPU the count of multiply-adds, not the parallel width, sets the latency, so it spends them where they
pay: fused MBConvs (a full conv replaces 1x1 expand + depthwise), grouped expansion convs (`expand_groups`), 2x2
instead of 3x3 kernels in the late stages (`small_kernels`), and attention computed on a strided map.

A hybrid block is three residual branches: conv attention (GroupNorm -> a strided depthwise conv-BN and a 1x1 give q,
k, v on the reduced map -> softmax attention per head -> output projection -> upsampling back to the input size),
a GroupNorm -> 1x1 MLP, and a local (fused) MBConv. The classifier is a 1x1 conv-BN-act -> average pooling ->
linear-LayerNorm-act -> linear (`head.classifier.linear`).

The released weights use the paper's fastest settings (fused blocks, grouped expansion, 2x2 kernels, nearest
upsampling after attention, the output projection folded into the upsampling); the other settings stay available as
arguments. Deviation from the paper code: none in outputs; `checkpoint_filter_fn` maps its checkpoint layout (and
folds the biases of its normalised convs into the norms' running means).
"""
import re
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import LayerType, get_act_layer
from zoo.layers.attention import attend
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.norm import GroupNorm1, get_norm_layer
from zoo.layers.residual_branch import Residual
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._key_rules import rename_keys
from zoo.models._manipulate import CheckpointSequential
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['CPUBone', 'ConvAttention', 'CPUBoneBlock']

# where the unfused local MBConv of a hybrid block has norms: (expand, depthwise, project)
_LOCAL_NORMS = {'proj': (False, False, True), 'depth_proj': (False, True, True), 'all': (True, True, True)}


def _check_pool(global_pool: str) -> None:
    if global_pool not in ('', 'avg'):
        raise ValueError(f"CPUBone pools by averaging: global_pool must be 'avg' or '' (per-position logits), "
                         f"got {global_pool!r}.")


class ConvLayer(nn.Module):
    """Conv -> optional norm -> optional activation (keys `conv`, `norm`).

    Odd kernels are padded to keep the size at stride 1. A 2x2 kernel tiles a stride-2 input exactly; at stride 1 it
    is padded by one row / column at the top / left only (then `conv` is a ZeroPad2d -> Conv2d sequence).
    """

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 3, stride: int = 1, groups: int = 1,
                 bias: bool = False, norm_layer: Optional[LayerType] = nn.BatchNorm2d,
                 act_layer: Optional[LayerType] = None):
        super().__init__()
        if kernel_size == 2:
            conv = nn.Conv2d(in_chs, out_chs, 2, stride, 0, groups=groups, bias=bias)
            self.conv = conv if stride == 2 else nn.Sequential(nn.ZeroPad2d((1, 0, 1, 0)), conv)
        elif kernel_size % 2:
            self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups, bias=bias)
        else:
            raise ValueError(f'CPUBone convs take odd kernels or 2, got kernel_size={kernel_size}.')
        self.norm = norm_layer(out_chs) if norm_layer is not None else nn.Identity()
        self.act = act_layer() if act_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class MBConv(nn.Module):
    """1x1 expand (grouped) -> depthwise kxk -> 1x1 project; `norms` / `biases` say which of the three have them."""

    def __init__(self, in_chs: int, out_chs: int, expand_ratio: float, norm_layer: LayerType, act_layer: LayerType,
                 stride: int = 1, kernel_size: int = 3, expand_groups: int = 1,
                 norms: Tuple[bool, bool, bool] = (False, False, True),
                 biases: Tuple[bool, bool, bool] = (False, False, False)):
        super().__init__()
        mid = round(in_chs * expand_ratio)
        norm = [norm_layer if n else None for n in norms]
        self.inverted_conv = ConvLayer(in_chs, mid, 1, groups=expand_groups, bias=biases[0], norm_layer=norm[0],
                                       act_layer=act_layer)
        self.depth_conv = ConvLayer(mid, mid, kernel_size, stride, groups=mid, bias=biases[1], norm_layer=norm[1],
                                    act_layer=act_layer)
        self.point_conv = ConvLayer(mid, out_chs, 1, bias=biases[2], norm_layer=norm[2])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point_conv(self.depth_conv(self.inverted_conv(x)))


class FusedMBConv(nn.Module):
    """kxk expand (grouped, a full conv in place of 1x1 + depthwise) -> 1x1 project, both normalised."""

    def __init__(self, in_chs: int, out_chs: int, expand_ratio: float, norm_layer: LayerType, act_layer: LayerType,
                 stride: int = 1, kernel_size: int = 3, expand_groups: int = 1, expand_bias: bool = False):
        super().__init__()
        mid = round(in_chs * expand_ratio)
        self.spatial_conv = ConvLayer(in_chs, mid, kernel_size, stride, groups=expand_groups, bias=expand_bias,
                                      norm_layer=norm_layer, act_layer=act_layer)
        self.point_conv = ConvLayer(mid, out_chs, 1, norm_layer=norm_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point_conv(self.spatial_conv(x))


class ConvAttention(nn.Module):
    """Softmax attention on a strided map, upsampled back to the input size.

    q, k, v of every head come from a depthwise conv-BN (stride `stride`) and a 1x1 conv; each head has
    `dim // heads * head_dim_mul` channels, with one head per 30 channels of `dim * head_dim_mul`. The heads' output
    is projected back to `dim` (a 1x1 conv, or folded into the upsampling when `fuse_out_proj`) and upsampled by
    `stride` (nearest, or a learned transposed conv), then cropped to the input size.

    Args:
        dim: input and output channels.
        head_dim_mul: head width factor.
        stride: stride of the q/k/v projection (and upsampling factor).
        kernel_size: kernel of the depthwise projection conv (2 with `small_kernels`).
        fuse_out_proj: no separate output projection; the upsampling maps the heads' width to `dim`.
        small_kernels: a 2x2 projection kernel; odd sizes are padded up to a multiple of the stride first.
        upsample: 'nearest' or 'transpose'.
    """

    def __init__(self, dim: int, head_dim_mul: float = 1., stride: int = 4, kernel_size: int = 7,
                 fuse_out_proj: bool = False, small_kernels: bool = False, upsample: str = 'transpose'):
        super().__init__()
        if upsample not in ('nearest', 'transpose'):
            raise ValueError(f"attn_upsample must be 'nearest' or 'transpose', got {upsample!r}.")
        self.num_heads = max(1, int(dim * head_dim_mul // 30))
        self.head_dim = int(dim // self.num_heads * head_dim_mul)
        self.stride = stride
        self.pad_to_stride = small_kernels and stride > 1
        attn_dim = self.head_dim * self.num_heads
        self.conv_proj = ConvLayer(dim, dim, 2 if small_kernels else kernel_size, stride, groups=dim)
        self.pwise = nn.Conv2d(dim, 3 * attn_dim, 1, bias=False)
        self.o_proj = nn.Identity() if fuse_out_proj else nn.Conv2d(attn_dim, dim, 1)
        up_in, up_groups = (attn_dim, 1) if fuse_out_proj else (dim, dim)
        if upsample == 'nearest':
            resize = nn.Upsample(scale_factor=stride, mode='nearest') if stride > 1 else nn.Identity()
            self.upsampling = nn.Sequential(nn.Conv2d(attn_dim, dim, 1), resize) if fuse_out_proj else \
                nn.Sequential(resize)
        elif stride == 1:
            self.upsampling = nn.ConvTranspose2d(up_in, dim, 3, 1, 1, groups=up_groups)
        else:
            self.upsampling = nn.ConvTranspose2d(up_in, dim, 2 * stride, stride, stride // 2, groups=up_groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h_in, w_in = x.shape[-2:]
        if self.pad_to_stride:
            # a 2x2 stride-s conv drops trailing rows / columns of an odd map, the upsampled output would not cover it
            x = F.pad(x, (0, (-w_in) % self.stride, 0, (-h_in) % self.stride))
        qkv = self.pwise(self.conv_proj(x))
        b, _, h, w = qkv.shape
        # channels are grouped per head as [q | k | v]
        q, k, v = qkv.reshape(b, self.num_heads, 3 * self.head_dim, h * w).transpose(-1, -2).chunk(3, dim=-1)
        out = attend(q, k, v)
        out = out.transpose(-1, -2).reshape(b, self.num_heads * self.head_dim, h, w)
        return self.upsampling(self.o_proj(out))[..., :h_in, :w_in]


def local_block(in_chs: int, out_chs: int, stride: int, expand_ratio: float, fused: bool, expand_groups: int,
                norm_layer: LayerType, act_layer: LayerType) -> nn.Module:
    """The 3x3 (fused) MBConv of the stem, the conv stages and the downsampling blocks (norm only after the
    projection when unfused)."""
    if fused:
        return FusedMBConv(in_chs, out_chs, expand_ratio, norm_layer, act_layer, stride, 3, expand_groups)
    return MBConv(in_chs, out_chs, expand_ratio, norm_layer, act_layer, stride, 3, expand_groups)


class CPUBoneBlock(nn.Module):
    """Residual conv attention -> residual GroupNorm-MLP -> residual local (fused) MBConv (keys under `total`).

    Args:
        dim: channels.
        expand_ratio: expansion of the local MBConv.
        norm_layer: norm of the local MBConv.
        act_layer: activation of the local MBConv.
        fused_conv: fused local MBConv (below 256 channels) and the attention output projection folded into its
            upsampling.
        expand_groups: groups of the local expansion conv.
        attn_stride: stride of the attention's q/k/v map.
        mlp_ratio: MLP expansion.
        small_kernels: 2x2 kernels in the attention projection and the local MBConv.
        attn_upsample: 'nearest' or 'transpose'.
        proj_drop: dropout after the MLP.
        drop_path: stochastic depth of the three branches.
        local_mbconv_norm: norms of the unfused local MBConv: 'proj', 'depth_proj' or 'all' (a conv without a norm
            has a bias).
    """

    def __init__(self, dim: int, expand_ratio: float = 4, norm_layer: LayerType = nn.BatchNorm2d,
                 act_layer: LayerType = nn.Hardswish, fused_conv: bool = False, expand_groups: int = 1,
                 attn_stride: int = 1, mlp_ratio: int = 4, small_kernels: bool = False,
                 attn_upsample: str = 'transpose', proj_drop: float = 0.1, drop_path: float = 0.,
                 local_mbconv_norm: str = 'proj'):
        super().__init__()
        if local_mbconv_norm not in _LOCAL_NORMS:
            raise ValueError(f'local_mbconv_norm must be one of {tuple(_LOCAL_NORMS)}, got {local_mbconv_norm!r}.')
        attn = ConvAttention(dim, 0.5, attn_stride, 5 if attn_stride > 1 else 3, fused_conv, small_kernels,
                             attn_upsample)
        mlp = nn.Sequential(GroupNorm1(dim), nn.Conv2d(dim, dim * mlp_ratio, 1), nn.GELU(),
                            nn.Conv2d(dim * mlp_ratio, dim, 1), nn.Dropout(proj_drop))
        kernel_size = 2 if small_kernels else 3
        if fused_conv and dim < 256:
            local = FusedMBConv(dim, dim, expand_ratio, norm_layer, act_layer, 1, kernel_size, expand_groups,
                                expand_bias=True)
        else:
            norms = _LOCAL_NORMS[local_mbconv_norm]
            local = MBConv(dim, dim, expand_ratio, norm_layer, act_layer, 1, kernel_size, expand_groups, norms,
                           biases=tuple(not n for n in norms))
        self.total = nn.Sequential(
            nn.Sequential(Residual(nn.Sequential(GroupNorm1(dim), attn), drop_path=drop_path),
                          Residual(mlp, drop_path=drop_path)),
            Residual(local, drop_path=drop_path))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.total(x)


class LinearLayer(nn.Module):
    """Optional dropout -> linear (key `linear`) -> optional LayerNorm (key `norm`) -> optional activation."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dropout: float = 0.,
                 norm: bool = False, act_layer: Optional[LayerType] = None):
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.linear = nn.Linear(in_features, out_features, bias=bias)
        self.norm = nn.LayerNorm(out_features) if norm else nn.Identity()
        self.act = act_layer() if act_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.linear(self.dropout(x))))


class CPUBoneHead(nn.Module):
    """1x1 conv-norm-act (`in_conv`) -> average pooling -> linear-LayerNorm-act (`pre_classifier`) -> linear
    (`classifier`).

    Without pooling (`pool_type=''`) the linear layers apply at every position and the output is an NCHW map.
    """

    def __init__(self, in_chs: int, widths: Sequence[int], num_classes: int, pool_type: str, dropout: float,
                 norm_layer: LayerType, act_layer: LayerType):
        super().__init__()
        _check_pool(pool_type)
        self.in_features = in_chs
        self.num_features = widths[-1]
        self.pool_type = pool_type
        self.dropout = dropout
        self.in_conv = ConvLayer(in_chs, widths[0], 1, norm_layer=norm_layer, act_layer=act_layer)
        self.pre_classifier = LinearLayer(widths[0], widths[1], bias=False, norm=True, act_layer=act_layer)
        self.classifier = self._classifier(num_classes)

    def _classifier(self, num_classes: int) -> nn.Module:
        return LinearLayer(self.num_features, num_classes, dropout=self.dropout) if num_classes > 0 else nn.Identity()

    def reset(self, num_classes: int, pool_type: Optional[str] = None, reset_other: bool = False,
              in_features: Optional[int] = None) -> None:
        """A new classifier; `reset_other` also removes `in_conv` and `pre_classifier` (the head then takes the
        trunk's features, `in_features` wide, directly)."""
        if pool_type is not None:
            _check_pool(pool_type)
            self.pool_type = pool_type
        if reset_other:
            self.in_conv = nn.Identity()
            self.pre_classifier = nn.Identity()
            self.num_features = self.in_features
        if in_features is not None and in_features != self.in_features:
            if not isinstance(self.in_conv, nn.Identity):
                raise ValueError('The head input width can only change once in_conv is removed (reset_other=True).')
            self.in_features = self.num_features = in_features
        self.classifier = self._classifier(num_classes)
        self.classifier.train(self.training)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.in_conv(x)
        x = x.mean((2, 3)) if self.pool_type else x.permute(0, 2, 3, 1)
        x = self.pre_classifier(x)
        if not pre_logits:
            x = self.classifier(x)
        return x if self.pool_type else x.permute(0, 3, 1, 2).contiguous()


class CPUBone(ZooModel):
    """CPUBone: stem, two (fused) MBConv stages, two hybrid attention stages, conv-MLP head.

    Args:
        width_list: width of the stem and of the four stages.
        depth_list: residual blocks of the stem and of the four stages (the hybrid stages count their hybrid blocks,
            after one downsampling block).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', or '' for per-position logits.
        head_widths: widths of the head's 1x1 conv and hidden linear layer.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after the hybrid blocks' MLPs.
        drop_path_rate: stochastic depth of the last block (linear from 0 over all residual blocks).
        expand_ratio: expansion of the (fused) MBConvs.
        norm_layer: norm of the conv layers.
        act_layer: activation of the conv layers and the head.
        fused_conv: fused MBConvs in the stem, conv stages and hybrid blocks, attention projection in its upsampling.
        fused_downsample: fused MBConv for the downsampling block of the hybrid stages.
        attn_mlp_ratio: MLP expansion of the hybrid blocks.
        stem_expand_ratio: expansion of the stem blocks.
        downsample_expand_ratios: expansion of each stage's stride-2 block (default `expand_ratio`).
        expand_groups: groups of the expansion convs.
        small_kernels: 2x2 kernels in the hybrid blocks.
        attn_upsample: 'nearest' or 'transpose' upsampling after attention.
        local_mbconv_norm: norms of the hybrid blocks' unfused MBConvs: 'proj', 'depth_proj' or 'all'.
    """
    trunk = Trunk(stem=('stem',), levels='stages')
    classifier_name = 'head.classifier'
    groups = dict(stem=r'^stem', blocks=r'^stages\.(\d+)')

    def __init__(
            self,
            width_list: Sequence[int],
            depth_list: Sequence[int],
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            head_widths: Tuple[int, int] = (1536, 1600),
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.1,
            drop_path_rate: float = 0.,
            expand_ratio: float = 4,
            norm_layer: LayerType = nn.BatchNorm2d,
            act_layer: LayerType = nn.Hardswish,
            fused_conv: bool = False,
            fused_downsample: bool = False,
            attn_mlp_ratio: int = 2,
            stem_expand_ratio: float = 2,
            downsample_expand_ratios: Optional[Sequence[float]] = None,
            expand_groups: int = 1,
            small_kernels: bool = False,
            attn_upsample: str = 'transpose',
            local_mbconv_norm: str = 'proj',
    ):
        super().__init__()
        _check_pool(global_pool)
        if len(width_list) != len(depth_list) or len(width_list) < 2:
            raise ValueError(f'width_list and depth_list need the stem and each stage, got {len(width_list)} and '
                             f'{len(depth_list)} entries.')
        num_stages = len(width_list) - 1
        down_ratios = tuple(downsample_expand_ratios or (expand_ratio,) * num_stages)
        if len(down_ratios) != num_stages:
            raise ValueError(f'downsample_expand_ratios needs one value per stage ({num_stages}), got {down_ratios}.')
        if local_mbconv_norm not in _LOCAL_NORMS:
            raise ValueError(f'local_mbconv_norm must be one of {tuple(_LOCAL_NORMS)}, got {local_mbconv_norm!r}.')
        norm_layer, act_layer = get_norm_layer(norm_layer), get_act_layer(act_layer)
        self.num_classes = check_num_classes(num_classes)
        self.global_pool = global_pool
        self.local_mbconv_norm = local_mbconv_norm
        dprs = stagewise_drop_path_rates(drop_path_rate, depth_list)

        def local(in_chs: int, out_chs: int, stride: int, ratio: float, fused: bool = fused_conv) -> nn.Module:
            return local_block(in_chs, out_chs, stride, ratio, fused, expand_groups, norm_layer, act_layer)

        stem_width = width_list[0]
        self.stem = nn.Sequential(
            ConvLayer(in_chans, stem_width, 3, 2, norm_layer=norm_layer, act_layer=act_layer),
            *[Residual(local(stem_width, stem_width, 1, stem_expand_ratio), drop_path=dp) for dp in dprs[0]])

        stages, self.feature_info = [], []
        in_chs = stem_width
        for i, (width, dpr) in enumerate(zip(width_list[1:], dprs[1:])):
            if i < 2:  # MBConv stages, the first block downsamples
                blocks = [Residual(local(in_chs, width, 2, down_ratios[i]), shortcut=False)] if dpr else []
                blocks += [Residual(local(width, width, 1, expand_ratio), drop_path=dp) for dp in dpr[1:]]
            else:  # hybrid stages: a downsampling block, then hybrid blocks
                blocks = [Residual(local(in_chs, width, 2, down_ratios[i], fused_downsample), shortcut=False)]
                blocks += [CPUBoneBlock(
                    width, expand_ratio, norm_layer, act_layer, fused_conv, expand_groups,
                    attn_stride=2 if i == 2 else 1, mlp_ratio=attn_mlp_ratio, small_kernels=small_kernels,
                    attn_upsample=attn_upsample, proj_drop=proj_drop_rate, drop_path=dp,
                    local_mbconv_norm=local_mbconv_norm) for dp in dpr]
            stages.append(CheckpointSequential(*blocks))
            in_chs = width if blocks else in_chs
            self.feature_info.append(dict(num_chs=in_chs, reduction=2 ** (i + 2), module=f'stages.{i}'))
        self.stages = nn.Sequential(*stages)

        self.num_features = width_list[-1]
        self.head = CPUBoneHead(self.num_features, head_widths, num_classes, global_pool, drop_rate, norm_layer,
                                act_layer)
        self.head_hidden_size = self.head.num_features

    def reset_classifier(self, num_classes: int, global_pool: Optional[str] = None, reset_other: bool = False) -> None:
        """A new classifier for `num_classes` (0 removes it); `reset_other` also removes the head's 1x1 conv and
        hidden linear layer, so pre-logits are the pooled trunk features."""
        self.num_classes = check_num_classes(num_classes)
        self.head.reset(num_classes, global_pool, reset_other=reset_other, in_features=self.num_features)
        self.global_pool = self.head.pool_type
        self.head_hidden_size = self.head.num_features

    def _replace_head(self, in_features: int) -> None:
        self.head.reset(0, reset_other=True, in_features=in_features)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


# paper-code checkpoint layout -> this layout, in order (its containers kept their modules under `op_list`)
_ORIGINAL_KEYS = (
    (r'\.conv_proj\.0\.', '.conv_proj.conv.'),
    (r'\.conv_proj\.1\.', '.conv_proj.norm.'),
    (r'\.pwise\.0\.', '.pwise.'),
    (r'^head\.op_list\.0\.', 'head.in_conv.'),
    (r'^head\.op_list\.2\.', 'head.pre_classifier.'),
    (r'^head\.op_list\.3\.', 'head.classifier.'),
    (r'^backbone\.input_stem\.', 'stem.'),
    (r'^backbone\.stages\.', 'stages.'),
    (r'\.op_list\.', '.'),
)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Map a checkpoint of the paper code to zoo's keys.

    Its 'all'-norm local MBConvs have biased expand / depthwise convs followed by a norm; this layout has no such
    biases, so each one is folded into the norm's running mean: BN(Wx + b) with mean m equals BN(Wx) with mean m - b.
    """
    if 'stem.0.conv.weight' in state_dict:
        return state_dict
    out = rename_keys(state_dict, _ORIGINAL_KEYS)
    if getattr(model, 'local_mbconv_norm', None) != 'all':
        return out
    folded = re.compile(r'^(.*\.(inverted_conv|depth_conv))\.conv(\.1)?\.bias$')
    for key in [k for k in out if folded.match(k)]:
        mean_key = folded.match(key).group(1) + '.norm.running_mean'
        bias = out.pop(key)
        if mean_key in out:
            out[mean_key] = out[mean_key] - bias
    return out


def _create_cpubone(variant: str, pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return build_model_with_cfg(CPUBone, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7),
               crop_pct=0.95, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='stem.0.conv', classifier='head.classifier.linear')
    return {**cfg, **kwargs}


_R256 = dict(input_size=(3, 256, 256), pool_size=(8, 8))

default_cfgs = generate_default_cfgs({
    'cpubone_nano.r224_in1k': _cfg(),
    'cpubone_t0.r224_in1k': _cfg(),
    'cpubone_s0.r224_in1k': _cfg(),
    'cpubone_b3.r224_in1k': _cfg(),
    'cpubone_b0_bfrobust.r224_in1k': _cfg(),
    'cpubone_b1_bfrobust.r224_in1k': _cfg(),
    'cpubone_b2_bfrobust.r224_in1k': _cfg(),
    'cpubone_b1_dwnorm.timm_r256_in1k': _cfg(**_R256),
    'cpubone_b2pt5_dwnorm.timm_r256_in1k': _cfg(**_R256),
})

# every released model: fused blocks, grouped expansion, 2x2 late kernels, nearest upsampling, MLP ratio 4
_RELEASED = dict(fused_conv=True, fused_downsample=True, attn_mlp_ratio=4, expand_groups=2, small_kernels=True,
                 attn_upsample='nearest')
_WIDE_DOWNSAMPLE = dict(downsample_expand_ratios=(6, 6, 6, 6))

# (widths, depths, other arguments) of each model
_ARCHS: Dict[str, Tuple[Tuple[int, ...], Tuple[int, ...], Dict[str, Any]]] = dict(
    cpubone_nano=((12, 24, 48, 96, 192), (0, 1, 1, 1, 2), {}),
    cpubone_t0=((12, 24, 48, 96, 192), (0, 1, 1, 2, 3), {}),
    cpubone_s0=((14, 28, 56, 112, 224), (0, 1, 1, 2, 3), {}),
    cpubone_b0_bfrobust=((16, 32, 64, 128, 256), (0, 1, 1, 3, 4), dict(local_mbconv_norm='all')),
    cpubone_b1_bfrobust=((16, 32, 64, 128, 256), (0, 1, 1, 5, 5), dict(_WIDE_DOWNSAMPLE, local_mbconv_norm='all')),
    cpubone_b1_dwnorm=((16, 32, 64, 128, 256), (0, 1, 1, 5, 5), dict(_WIDE_DOWNSAMPLE, local_mbconv_norm='depth_proj')),
    cpubone_b2_bfrobust=((20, 40, 80, 160, 320), (0, 1, 1, 6, 6), dict(
        _WIDE_DOWNSAMPLE, head_widths=(2304, 2560), drop_path_rate=0.1, local_mbconv_norm='all')),
    cpubone_b2pt5_dwnorm=((24, 48, 96, 192, 384), (0, 1, 1, 6, 6), dict(
        _WIDE_DOWNSAMPLE, head_widths=(2304, 2560), local_mbconv_norm='depth_proj')),
    cpubone_b3=((32, 64, 128, 256, 512), (1, 2, 3, 6, 6), dict(_WIDE_DOWNSAMPLE, stem_expand_ratio=4)),
)


def _cpubone(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> CPUBone:
    widths, depths, extra = _ARCHS[variant]
    model_args = dict(_RELEASED, width_list=widths, depth_list=depths, **extra)
    return _create_cpubone(variant, pretrained, **{**model_args, **kwargs})


@register_model
def cpubone_nano(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_nano', pretrained, kwargs)


@register_model
def cpubone_t0(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_t0', pretrained, kwargs)


@register_model
def cpubone_s0(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_s0', pretrained, kwargs)


@register_model
def cpubone_b0_bfrobust(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_b0_bfrobust', pretrained, kwargs)


@register_model
def cpubone_b1_bfrobust(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_b1_bfrobust', pretrained, kwargs)


@register_model
def cpubone_b1_dwnorm(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_b1_dwnorm', pretrained, kwargs)


@register_model
def cpubone_b2_bfrobust(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_b2_bfrobust', pretrained, kwargs)


@register_model
def cpubone_b2pt5_dwnorm(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_b2pt5_dwnorm', pretrained, kwargs)


@register_model
def cpubone_b3(pretrained: bool = False, **kwargs: Any) -> CPUBone:
    return _cpubone('cpubone_b3', pretrained, kwargs)
