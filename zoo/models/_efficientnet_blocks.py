"""Blocks shared by the EfficientNet / MobileNet families (MBConv and relatives).

Every block takes `norm_layer` as a norm+activation factory called as `norm_layer(chs, act_layer=..., apply_act=...)`
(e.g. `BatchNormAct2d` with the family's eps / momentum bound), so the activation lives inside the norm module and
parameter names stay those of the published checkpoints (`bn1.weight`, `bn1.running_mean`, ...).

Strided blocks take an optional `aa_layer` (anti-aliasing, `zoo.layers.anti_alias`): their strided conv then runs at
stride 1 and the anti-aliasing layer downsamples after the norm+act. `s2d=1` (EfficientNet-X) starts a block with a
learned space-to-depth: a 2x2 stride-2 conv to 4x the channels (Li et al., "Searching for Fast Model Families on
Datacenter Accelerators", 2021, arXiv:2102.05610), after which a depthwise kernel of half the size covers the same
input area.
"""
from functools import partial
from typing import Callable, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath, LayerScale2d, LayerType, create_act_layer, create_conv2d_pad, make_divisible
from zoo.layers.anti_alias import AaLayerType, create_aa
from zoo.layers.attention2d import Attention2d, MultiQueryAttention2d
from zoo.layers.cond_conv2d import CondConv2d
from zoo.layers.mixed_conv2d import MixedConv2d

__all__ = [
    'KernelSize', 'SqueezeExcite', 'ConvBnAct', 'DepthwiseSeparableConv', 'InvertedResidual', 'CondConvResidual',
    'EdgeResidual', 'UniversalInvertedResidual', 'MobileAttention', 'ConvNormAa', 'create_block_conv', 'groups_for',
]

# an int kernel, or a list of kernels for a MixConv (MixNet)
KernelSize = Union[int, List[int]]
NormActFactory = Callable[..., nn.Module]


def groups_for(group_size: Optional[int], channels: int) -> int:
    """Conv groups for a per-group channel count: 0 / None is a dense conv, 1 is depthwise."""
    if not group_size:
        return 1
    if channels % group_size:
        raise ValueError(f'{channels} channels cannot be split into groups of {group_size}.')
    return channels // group_size


def create_block_conv(
        in_chs: int,
        out_chs: int,
        kernel_size: KernelSize,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        padding: Union[str, int] = '',
        bias: bool = False,
) -> nn.Module:
    """A plain conv (with '' / 'same' padding), or a MixedConv2d when `kernel_size` lists several kernels."""
    if isinstance(kernel_size, (list, tuple)):
        if groups not in (1, in_chs):
            raise ValueError('MixedConv2d supports only dense (groups=1) or depthwise convs.')
        return MixedConv2d(in_chs, out_chs, list(kernel_size), stride=stride, padding=padding, dilation=dilation,
                           depthwise=groups == in_chs and groups > 1, bias=bias)
    return create_conv2d_pad(in_chs, out_chs, kernel_size, stride=stride, dilation=dilation, groups=groups,
                             padding=padding, bias=bias)


def _drop_path(rate: float) -> nn.Module:
    return DropPath(rate) if rate > 0. else nn.Identity()


def _layer_scale(chs: int, init_value: Optional[float]) -> nn.Module:
    return LayerScale2d(chs, init_value) if init_value is not None else nn.Identity()


def _space_to_depth(block: nn.Module, s2d: int, in_chs: int, dw_kernel_size: KernelSize, pad_type: str,
                    norm_layer: NormActFactory, act_layer: LayerType) -> Tuple[int, KernelSize, str]:
    """Give `block` its space-to-depth entry (`conv_s2d`, `bn_s2d`) when `s2d == 1`.

    Returns the channels and the depthwise kernel / padding that follow it (unchanged without space-to-depth).
    """
    if s2d != 1:
        block.conv_s2d = None
        block.bn_s2d = None
        return in_chs, dw_kernel_size, pad_type
    block.conv_s2d = create_conv2d_pad(in_chs, in_chs * 4, 2, stride=2, padding='same')
    block.bn_s2d = norm_layer(in_chs * 4, act_layer=act_layer)
    dw_kernel_size = (dw_kernel_size + 1) // 2
    # an even kernel needs TF's asymmetric 'same' padding to keep the map size
    return in_chs * 4, dw_kernel_size, 'same' if dw_kernel_size == 2 else pad_type


class _SpaceToDepthEntry(nn.Module):
    """Base of the blocks that may start with space-to-depth (a method, not a function taking the block, so that
    TorchScript can compile it)."""

    def _run_s2d(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.conv_s2d is None else self.bn_s2d(self.conv_s2d(x))


class SqueezeExcite(nn.Module):
    """Squeeze-and-Excitation with the options the mobile families need.

    Args:
        in_chs: channels gated by the block.
        rd_ratio: reduced channels relative to `in_chs` (the builder rescales it when the ratio is defined
            relative to the block input rather than the expanded width).
        rd_channels: explicit reduced width, overriding `rd_ratio`.
        act_layer: activation between the two 1x1 convs (defaults to the block's).
        gate_layer: gating nonlinearity ('sigmoid', or 'hard_sigmoid' for MobileNetV3).
        force_act_layer: activation used regardless of the block's (MobileNetV3 always uses ReLU here).
        rd_round_fn: rounding of the reduced width; plain `round` for EfficientNet, `make_divisible` for MNV3.
    """

    def __init__(
            self,
            in_chs: int,
            rd_ratio: float = 0.25,
            rd_channels: Optional[int] = None,
            act_layer: LayerType = nn.ReLU,
            gate_layer: LayerType = 'sigmoid',
            force_act_layer: Optional[LayerType] = None,
            rd_round_fn: Optional[Callable[[float], int]] = None,
    ):
        super().__init__()
        if rd_channels is None:
            rd_channels = (rd_round_fn or round)(in_chs * rd_ratio)
        self.conv_reduce = nn.Conv2d(in_chs, rd_channels, 1, bias=True)
        self.act1 = create_act_layer(force_act_layer or act_layer, inplace=True)
        self.conv_expand = nn.Conv2d(rd_channels, in_chs, 1, bias=True)
        self.gate = create_act_layer(gate_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.conv_expand(self.act1(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return x * self.gate(s)


class ConvBnAct(nn.Module):
    """Conv -> norm+act, with an optional residual (`cn` in architecture strings)."""

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 0,
            pad_type: str = '',
            skip: bool = False,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            aa_layer: Optional[AaLayerType] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        self.has_skip = skip and stride == 1 and in_chs == out_chs
        use_aa = aa_layer is not None and stride > 1
        self.conv = create_block_conv(in_chs, out_chs, kernel_size, 1 if use_aa else stride, dilation,
                                      groups_for(group_size, in_chs), pad_type)
        self.bn1 = norm_layer(out_chs, act_layer=act_layer, inplace=True)
        self.aa = create_aa(aa_layer, out_chs, stride, enable=use_aa)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.aa(self.bn1(self.conv(x)))
        return self.drop_path(out) + x if self.has_skip else out


class DepthwiseSeparableConv(_SpaceToDepthEntry):
    """Depthwise conv -> (SE) -> pointwise conv: MobileNetV1's block, and MBConv with expansion 1 (`ds` / `dsa`).

    `pw_act` (the `dsa` form) puts an activation after the pointwise conv and never adds a residual.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dw_kernel_size: KernelSize = 3,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 1,
            pad_type: str = '',
            noskip: bool = False,
            pw_kernel_size: KernelSize = 1,
            pw_act: bool = False,
            s2d: int = 0,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            aa_layer: Optional[AaLayerType] = None,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        self.has_skip = stride == 1 and in_chs == out_chs and not noskip
        use_aa = aa_layer is not None and stride > 1 and s2d != 1
        in_chs, dw_kernel_size, dw_pad = _space_to_depth(self, s2d, in_chs, dw_kernel_size, pad_type, norm_layer,
                                                         act_layer)
        self.conv_dw = create_block_conv(in_chs, in_chs, dw_kernel_size, 1 if use_aa else stride, dilation,
                                         groups_for(group_size, in_chs), dw_pad)
        self.bn1 = norm_layer(in_chs, act_layer=act_layer, inplace=True)
        self.aa = create_aa(aa_layer, in_chs, stride, enable=use_aa)
        self.se = se_layer(in_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.conv_pw = create_block_conv(in_chs, out_chs, pw_kernel_size, padding=pad_type)
        self.bn2 = norm_layer(out_chs, act_layer=act_layer, apply_act=pw_act, inplace=True)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.se(self.aa(self.bn1(self.conv_dw(self._run_s2d(x)))))
        out = self.bn2(self.conv_pw(out))
        return self.drop_path(out) + x if self.has_skip else out


class InvertedResidual(_SpaceToDepthEntry):
    """MBConv: 1x1 expand -> depthwise -> (SE) -> 1x1 linear projection, residual when shapes allow (`ir`).

    Introduced by MobileNetV2 (arXiv:1801.04381); with SE it is the block of MnasNet, EfficientNet and MobileNetV3.
    Kernel lists turn the depthwise conv into a MixConv and the 1x1 convs into grouped ones (MixNet). `mid_chs`
    overrides the expanded width (channel-pruned nets).
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dw_kernel_size: KernelSize = 3,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 1,
            pad_type: str = '',
            noskip: bool = False,
            exp_ratio: float = 1.0,
            exp_kernel_size: KernelSize = 1,
            pw_kernel_size: KernelSize = 1,
            s2d: int = 0,
            mid_chs: Optional[int] = None,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            aa_layer: Optional[AaLayerType] = None,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        self.has_skip = in_chs == out_chs and stride == 1 and not noskip
        use_aa = aa_layer is not None and stride > 1 and s2d != 1
        in_chs, dw_kernel_size, dw_pad = _space_to_depth(self, s2d, in_chs, dw_kernel_size, pad_type, norm_layer,
                                                         act_layer)
        mid_chs = mid_chs or make_divisible(in_chs * exp_ratio)
        self.conv_pw = create_block_conv(in_chs, mid_chs, exp_kernel_size, padding=pad_type)
        self.bn1 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.conv_dw = create_block_conv(mid_chs, mid_chs, dw_kernel_size, 1 if use_aa else stride, dilation,
                                         groups_for(group_size, mid_chs), dw_pad)
        self.bn2 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.aa = create_aa(aa_layer, mid_chs, stride, enable=use_aa)
        self.se = se_layer(mid_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.conv_pwl = create_block_conv(mid_chs, out_chs, pw_kernel_size, padding=pad_type)
        self.bn3 = norm_layer(out_chs, act_layer=act_layer, apply_act=False)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn1(self.conv_pw(self._run_s2d(x)))
        out = self.se(self.aa(self.bn2(self.conv_dw(out))))
        out = self.bn3(self.conv_pwl(out))
        return self.drop_path(out) + x if self.has_skip else out


class CondConvResidual(nn.Module):
    """MBConv whose three convs are CondConvs sharing one routing: sigmoid(linear(global average of the input)).

    Paper: "CondConv: Conditionally Parameterized Convolutions for Efficient Inference", Yang et al., 2019
    (arXiv:1904.04971). Used by the EfficientNet-CondConv variants (`ir_..._cc4` in architecture strings).
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dw_kernel_size: int = 3,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 1,
            pad_type: str = '',
            noskip: bool = False,
            exp_ratio: float = 1.0,
            exp_kernel_size: int = 1,
            pw_kernel_size: int = 1,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            num_experts: int = 4,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        mid_chs = make_divisible(in_chs * exp_ratio)
        self.has_skip = in_chs == out_chs and stride == 1 and not noskip
        self.conv_pw = CondConv2d(in_chs, mid_chs, exp_kernel_size, padding=pad_type, num_experts=num_experts)
        self.bn1 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.conv_dw = CondConv2d(mid_chs, mid_chs, dw_kernel_size, stride, pad_type, dilation,
                                  groups=groups_for(group_size, mid_chs), num_experts=num_experts)
        self.bn2 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.se = se_layer(mid_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.conv_pwl = CondConv2d(mid_chs, out_chs, pw_kernel_size, padding=pad_type, num_experts=num_experts)
        self.bn3 = norm_layer(out_chs, act_layer=act_layer, apply_act=False)
        self.routing_fn = nn.Linear(in_chs, num_experts)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        routing = torch.sigmoid(self.routing_fn(F.adaptive_avg_pool2d(x, 1).flatten(1)))
        out = self.bn1(self.conv_pw(x, routing))
        out = self.se(self.bn2(self.conv_dw(out, routing)))
        out = self.bn3(self.conv_pwl(out, routing))
        return self.drop_path(out) + x if self.has_skip else out


class EdgeResidual(nn.Module):
    """Fused MBConv: one full kxk expansion conv -> (SE) -> 1x1 linear projection (`er`).

    From EfficientNet-EdgeTPU (Google AI blog, 2019); called FusedMBConv in EfficientNetV2 (arXiv:2104.00298).
    `force_in_chs` sizes the expansion from a width other than the input's, a quirk of the TF EdgeTPU definition.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            exp_kernel_size: KernelSize = 3,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 0,
            pad_type: str = '',
            force_in_chs: int = 0,
            noskip: bool = False,
            exp_ratio: float = 1.0,
            pw_kernel_size: KernelSize = 1,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            aa_layer: Optional[AaLayerType] = None,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        mid_chs = make_divisible((force_in_chs or in_chs) * exp_ratio)
        self.has_skip = in_chs == out_chs and stride == 1 and not noskip
        use_aa = aa_layer is not None and stride > 1
        # groups are counted on the expanded width, as in the TF EdgeTPU-v2 definition
        self.conv_exp = create_block_conv(in_chs, mid_chs, exp_kernel_size, 1 if use_aa else stride, dilation,
                                          groups_for(group_size, mid_chs), pad_type)
        self.bn1 = norm_layer(mid_chs, act_layer=act_layer, inplace=True)
        self.aa = create_aa(aa_layer, mid_chs, stride, enable=use_aa)
        self.se = se_layer(mid_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.conv_pwl = create_block_conv(mid_chs, out_chs, pw_kernel_size, padding=pad_type)
        self.bn2 = norm_layer(out_chs, act_layer=act_layer, apply_act=False)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.se(self.aa(self.bn1(self.conv_exp(x))))
        out = self.bn2(self.conv_pwl(out))
        return self.drop_path(out) + x if self.has_skip else out


class ConvNormAa(nn.Module):
    """Conv -> norm(+act) -> optional anti-aliased downsample; keys `conv`, `bn` (the sub-unit of UIR blocks)."""

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int,
            stride: int = 1,
            dilation: int = 1,
            groups: int = 1,
            pad_type: str = '',
            bias: bool = False,
            apply_act: bool = True,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            aa_layer: Optional[AaLayerType] = None,
    ):
        super().__init__()
        use_aa = aa_layer is not None and stride > 1
        self.conv = create_block_conv(in_chs, out_chs, kernel_size, 1 if use_aa else stride, dilation, groups,
                                      pad_type, bias=bias)
        self.bn = norm_layer(out_chs, act_layer=act_layer, apply_act=apply_act)
        self.aa = create_aa(aa_layer, out_chs, stride, enable=use_aa)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.aa(self.bn(self.conv(x)))


class UniversalInvertedResidual(nn.Module):
    """Universal Inverted Bottleneck (UIB) of MobileNetV4 (`uir`).

    Paper: "MobileNetV4: Universal Models for the Mobile Ecosystem", Qin et al., 2024 (arXiv:2404.10518).
    Optional depthwise conv at the start (`a` kernel) -> 1x1 expansion -> optional depthwise conv in the middle
    (`k` kernel) -> (SE) -> 1x1 projection -> optional depthwise conv at the end (`p` kernel) -> layer scale. The
    optional convs span the paper's variants: start + middle = ExtraDW, middle only = the MobileNetV2 inverted
    residual, start only = ConvNeXt-like, none = FFN. The stride goes to the first depthwise conv present after the
    expansion (middle), else the start, else the end one. Start and end depthwise convs have no activation.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            dw_kernel_size_start: int = 0,
            dw_kernel_size_mid: int = 3,
            dw_kernel_size_end: int = 0,
            stride: int = 1,
            dilation: int = 1,
            group_size: int = 1,
            pad_type: str = '',
            noskip: bool = False,
            exp_ratio: float = 1.0,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            aa_layer: Optional[AaLayerType] = None,
            se_layer: Optional[Callable[..., nn.Module]] = None,
            drop_path_rate: float = 0.,
            layer_scale_init_value: Optional[float] = 1e-5,
    ):
        super().__init__()
        if stride > 1 and not (dw_kernel_size_start or dw_kernel_size_mid or dw_kernel_size_end):
            raise ValueError('A strided UIR block needs at least one depthwise conv to carry the stride.')
        self.has_skip = in_chs == out_chs and stride == 1 and not noskip
        conv = partial(ConvNormAa, dilation=dilation, pad_type=pad_type, act_layer=act_layer, norm_layer=norm_layer)
        mid_chs = make_divisible(in_chs * exp_ratio)
        start_stride = 1 if dw_kernel_size_mid else stride
        end_stride = 1 if (dw_kernel_size_start or dw_kernel_size_mid) else stride
        if end_stride > 1 and aa_layer is not None:
            raise ValueError('Anti-aliasing is not supported on the end depthwise conv of a UIR block.')

        self.dw_start = conv(in_chs, in_chs, dw_kernel_size_start, start_stride, groups=groups_for(group_size, in_chs),
                             apply_act=False, aa_layer=aa_layer) if dw_kernel_size_start else nn.Identity()
        self.pw_exp = conv(in_chs, mid_chs, 1)
        # an Identity keeps the attribute in place so feature hooks find `dw_mid` in every variant
        self.dw_mid = conv(mid_chs, mid_chs, dw_kernel_size_mid, stride, groups=groups_for(group_size, mid_chs),
                           aa_layer=aa_layer) if dw_kernel_size_mid else nn.Identity()
        self.se = se_layer(mid_chs, act_layer=act_layer) if se_layer else nn.Identity()
        self.pw_proj = conv(mid_chs, out_chs, 1, apply_act=False)
        self.dw_end = conv(out_chs, out_chs, dw_kernel_size_end, end_stride, groups=groups_for(group_size, out_chs),
                           apply_act=False) if dw_kernel_size_end else nn.Identity()
        self.layer_scale = _layer_scale(out_chs, layer_scale_init_value)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pw_exp(self.dw_start(x))
        out = self.se(self.dw_mid(out))
        out = self.layer_scale(self.dw_end(self.pw_proj(out)))
        return self.drop_path(out) + x if self.has_skip else out


class MobileAttention(nn.Module):
    """Pre-norm self-attention block of MobileNetV4 hybrids: norm -> attention -> layer scale, with a residual.

    `use_multi_query=True` (`mqa` in architecture strings) is the paper's Mobile MQA: one shared key / value,
    optionally computed on a `kv_stride`-downsampled map (arXiv:2404.10518, sec. 3.3); otherwise (`mha`) plain
    multi-head attention with packed qkv. The stride argument only decides the residual; attention keeps the size.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int = 1,
            dw_kernel_size: int = 3,
            dilation: int = 1,
            pad_type: str = '',
            num_heads: int = 8,
            key_dim: int = 64,
            value_dim: int = 64,
            use_multi_query: bool = False,
            kv_stride: int = 1,
            noskip: bool = False,
            act_layer: LayerType = nn.ReLU,
            norm_layer: NormActFactory = nn.BatchNorm2d,
            drop_path_rate: float = 0.,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            layer_scale_init_value: Optional[float] = 1e-5,
            use_bias: bool = False,
    ):
        super().__init__()
        self.has_skip = stride == 1 and in_chs == out_chs and not noskip
        self.norm = norm_layer(in_chs, act_layer=act_layer, apply_act=False)
        if use_multi_query:
            self.attn = MultiQueryAttention2d(
                in_chs, dim_out=out_chs, num_heads=num_heads, key_dim=key_dim, value_dim=value_dim,
                kv_stride=kv_stride, dw_kernel_size=dw_kernel_size, dilation=dilation, padding=pad_type,
                attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=partial(norm_layer, apply_act=False))
        else:
            self.attn = Attention2d(in_chs, dim_out=out_chs, num_heads=num_heads, bias=use_bias, attn_drop=attn_drop,
                                    proj_drop=proj_drop)
        self.layer_scale = _layer_scale(out_chs, layer_scale_init_value)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layer_scale(self.attn(self.norm(x)))
        return self.drop_path(out) + x if self.has_skip else out
