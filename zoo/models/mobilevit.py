"""MobileViT (v1) and MobileViT v2: mobile CNNs with transformers as convolutions, built on ByobNet.

Papers:
- v1: "MobileViT: Light-weight, General-purpose, and Mobile-friendly Vision Transformer", Mehta & Rastegari, ICLR
  2022 (arXiv:2110.02178).
- v2: "Separable Self-attention for Mobile Vision Transformers", Mehta & Rastegari, 2022 (arXiv:2206.02680).

Both are ByobNets (`zoo.models.byobnet`): a 3x3 stem, MobileNetV2 inverted residuals (ByobNet's 'bottle' block sized
from its input, depthwise, without a final activation), and in the last three stages one MobileViT block after the
downsampling inverted residual. A MobileViT block encodes locally (kxk conv, then 1x1 to the transformer width),
unfolds the map into non-overlapping p x p patches and runs a transformer across patches separately for each of the
p * p pixel positions (v1 section 3.1, figure 1b), folds back, projects to the block width and (v1) fuses with the
block input by a kxk conv over their concatenation. v1 uses standard multi-head attention with LayerNorm; v2
replaces it with separable (linear-cost) self-attention over (B, C, P, N) maps normalised by one-group GroupNorm
(v2 section 3), drops the fusion conv, and scales all widths with one multiplier. A map whose side is not a multiple
of the patch size is bilinearly resized to the next multiple (v1 after the local convs, v2 before them, as the
released cvnets models do).
"""
import math
from typing import Any, Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath, make_divisible, to_2tuple
from zoo.layers.mlp import Mlp
from zoo.layers.norm import GroupNorm1
from zoo.models._builder import build_model_with_cfg
from zoo.models._features_fx import register_notrace_module
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model, register_model_deprecations
from zoo.models.byobnet import ByoBlockCfg, ByobNet, ByoModelCfg, LayerFn, num_groups, register_block
from zoo.models.vision_transformer import Block as TransformerBlock

__all__ = ['MobileVitBlock', 'MobileVitV2Block', 'LinearSelfAttention', 'LinearTransformerBlock']


def _padded_patch_grid(size: Tuple[int, int], patch: Tuple[int, int]) -> Tuple[int, int]:
    """Patches along each side once the map is resized up to a multiple of the patch size."""
    return math.ceil(size[0] / patch[0]), math.ceil(size[1] / patch[1])


# leaves for fx feature extraction: the patch grid (and whether to resize) depends on the input's real size
@register_notrace_module
class MobileVitBlock(nn.Module):
    """MobileViT v1 block: local kxk + 1x1 convs, a transformer across patches, 1x1 projection, kxk fusion.

    Args:
        in_chs: input channels.
        out_chs: output channels (defaults to in_chs).
        kernel_size: kernel of the local and the fusion conv.
        stride: stride of the local conv.
        bottle_ratio: transformer width / in_chs when `transformer_dim` is not given.
        group_size: channels per group of the local conv.
        dilation: (local conv dilation, unused).
        mlp_ratio: transformer MLP expansion.
        transformer_dim: transformer width.
        transformer_depth: transformer blocks.
        patch_size: side of the unfolded patches.
        num_heads: attention heads.
        attn_drop: attention dropout.
        drop: projection / MLP dropout.
        no_fusion: return the projection without fusing it with the block input.
        drop_path_rate: stochastic depth of the transformer blocks.
        layers: ByobNet layer constructors (conv-norm-act, activation).
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: Optional[int] = None,
            kernel_size: int = 3,
            stride: int = 1,
            bottle_ratio: float = 1.0,
            group_size: Optional[int] = None,
            dilation: Tuple[int, int] = (1, 1),
            mlp_ratio: float = 2.0,
            transformer_dim: Optional[int] = None,
            transformer_depth: int = 2,
            patch_size: int = 8,
            num_heads: int = 4,
            attn_drop: float = 0.,
            drop: float = 0.,
            no_fusion: bool = False,
            drop_path_rate: float = 0.,
            layers: Optional[LayerFn] = None,
    ):
        super().__init__()
        layers = layers or LayerFn()
        out_chs = out_chs or in_chs
        dim = transformer_dim or make_divisible(bottle_ratio * in_chs)
        self.conv_kxk = layers.conv_norm_act(in_chs, in_chs, kernel_size, stride=stride,
                                             groups=num_groups(group_size, in_chs), dilation=dilation[0])
        self.conv_1x1 = nn.Conv2d(in_chs, dim, 1, bias=False)
        self.transformer = nn.Sequential(*[
            TransformerBlock(dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=True, attn_drop=attn_drop,
                             proj_drop=drop, drop_path=drop_path_rate, act_layer=layers.act, norm_layer=nn.LayerNorm)
            for _ in range(transformer_depth)])
        self.norm = nn.LayerNorm(dim)
        self.conv_proj = layers.conv_norm_act(dim, out_chs, 1)
        self.conv_fusion = None if no_fusion else layers.conv_norm_act(in_chs + out_chs, out_chs, kernel_size)
        self.patch_size = to_2tuple(patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv_1x1(self.conv_kxk(x))
        b, c, h, w = x.shape
        ph, pw = self.patch_size
        nh, nw = _padded_patch_grid((h, w), self.patch_size)
        resized = (nh * ph, nw * pw) != (h, w)
        if resized:
            x = F.interpolate(x, size=(nh * ph, nw * pw), mode='bilinear', align_corners=False)
        # one token sequence (the nh * nw patches) per batch item and pixel position inside a patch
        x = x.reshape(b, c, nh, ph, nw, pw).permute(0, 3, 5, 2, 4, 1).reshape(b * ph * pw, nh * nw, c)
        x = self.norm(self.transformer(x))
        x = x.reshape(b, ph, pw, nh, nw, c).permute(0, 5, 3, 1, 4, 2).reshape(b, c, nh * ph, nw * pw)
        if resized:
            x = F.interpolate(x, size=(h, w), mode='bilinear', align_corners=False)
        x = self.conv_proj(x)
        if self.conv_fusion is not None:
            x = self.conv_fusion(torch.cat((shortcut, x), dim=1))
        return x


class LinearSelfAttention(nn.Module):
    """Separable self-attention (v2 section 3.2) on (B, C, P, N) maps, linear in the number of patches N.

    One projection gives a single-channel query, keys and values. The softmax of the query over N weighs the keys
    into one context vector per pixel position P; the output is ReLU(values) scaled by that context, projected.

    Args:
        embed_dim: channels C.
        attn_drop: dropout on the context scores.
        proj_drop: dropout after the output projection.
        bias: bias of the projections.
    """

    def __init__(self, embed_dim: int, attn_drop: float = 0., proj_drop: float = 0., bias: bool = True):
        super().__init__()
        self.embed_dim = embed_dim
        self.qkv_proj = nn.Conv2d(embed_dim, 1 + 2 * embed_dim, 1, bias=bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.out_proj = nn.Conv2d(embed_dim, embed_dim, 1, bias=bias)
        self.out_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        query, key, value = self.qkv_proj(x).split([1, self.embed_dim, self.embed_dim], dim=1)
        scores = self.attn_drop(query.softmax(dim=-1))
        context = (key * scores).sum(dim=-1, keepdim=True)
        return self.out_drop(self.out_proj(F.relu(value) * context))


class LinearTransformerBlock(nn.Module):
    """Pre-norm block on (B, C, P, N) maps: x + attn(norm(x)), then x + mlp(norm(x)), with 1x1-conv MLPs."""

    def __init__(self, embed_dim: int, mlp_ratio: float = 2.0, drop: float = 0., attn_drop: float = 0.,
                 drop_path: float = 0., act_layer: type = nn.SiLU, norm_layer: type = GroupNorm1):
        super().__init__()
        self.norm1 = norm_layer(embed_dim)
        self.attn = LinearSelfAttention(embed_dim, attn_drop=attn_drop, proj_drop=drop)
        self.drop_path1 = DropPath(drop_path)
        self.norm2 = norm_layer(embed_dim)
        self.mlp = Mlp(embed_dim, int(embed_dim * mlp_ratio), act_layer=act_layer, drop=drop, use_conv=True)
        self.drop_path2 = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.attn(self.norm1(x)))
        return x + self.drop_path2(self.mlp(self.norm2(x)))


@register_notrace_module
class MobileVitV2Block(nn.Module):
    """MobileViT v2 block: depthwise kxk + 1x1 convs, separable-attention transformer on (B, C, P, N), 1x1 projection.

    Args:
        in_chs: input channels.
        out_chs: output channels (defaults to in_chs).
        kernel_size: kernel of the local conv.
        bottle_ratio: transformer width / in_chs when `transformer_dim` is not given.
        group_size: channels per group of the local conv (1: depthwise).
        dilation: (local conv dilation, unused).
        mlp_ratio: transformer MLP expansion.
        transformer_dim: transformer width.
        transformer_depth: transformer blocks.
        patch_size: side of the unfolded patches.
        attn_drop: context-score dropout.
        drop: projection / MLP dropout.
        drop_path_rate: stochastic depth of the transformer blocks.
        layers: ByobNet layer constructors.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: Optional[int] = None,
            kernel_size: int = 3,
            bottle_ratio: float = 1.0,
            group_size: Optional[int] = 1,
            dilation: Tuple[int, int] = (1, 1),
            mlp_ratio: float = 2.0,
            transformer_dim: Optional[int] = None,
            transformer_depth: int = 2,
            patch_size: int = 8,
            attn_drop: float = 0.,
            drop: float = 0.,
            drop_path_rate: float = 0.,
            layers: Optional[LayerFn] = None,
    ):
        super().__init__()
        layers = layers or LayerFn()
        out_chs = out_chs or in_chs
        dim = transformer_dim or make_divisible(bottle_ratio * in_chs)
        self.conv_kxk = layers.conv_norm_act(in_chs, in_chs, kernel_size, groups=num_groups(group_size, in_chs),
                                             dilation=dilation[0])
        self.conv_1x1 = nn.Conv2d(in_chs, dim, 1, bias=False)
        self.transformer = nn.Sequential(*[
            LinearTransformerBlock(dim, mlp_ratio, drop=drop, attn_drop=attn_drop, drop_path=drop_path_rate,
                                   act_layer=layers.act) for _ in range(transformer_depth)])
        self.norm = GroupNorm1(dim)
        self.conv_proj = layers.conv_norm_act(dim, out_chs, 1, apply_act=False)
        self.patch_size = to_2tuple(patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        ph, pw = self.patch_size
        nh, nw = _padded_patch_grid((h, w), self.patch_size)
        if (nh * ph, nw * pw) != (h, w):
            x = F.interpolate(x, size=(nh * ph, nw * pw), mode='bilinear', align_corners=True)
        x = self.conv_1x1(self.conv_kxk(x))
        c = x.shape[1]
        # (B, C, P, N): pixel position inside the patch, then patch index
        x = x.reshape(b, c, nh, ph, nw, pw).permute(0, 1, 3, 5, 2, 4).reshape(b, c, ph * pw, nh * nw)
        x = self.norm(self.transformer(x))
        x = x.reshape(b, c, ph, pw, nh, nw).permute(0, 1, 4, 2, 5, 3).reshape(b, c, nh * ph, nw * pw)
        return self.conv_proj(x)


register_block('mobilevit', MobileVitBlock)
register_block('mobilevit2', MobileVitV2Block)


def _inverted_residual(d: int, c: int, s: int, br: float = 4.0) -> ByoBlockCfg:
    """MobileNetV2 inverted residual: expand by `br` from the input width, depthwise kxk, linear projection."""
    return ByoBlockCfg('bottle', d=d, c=c, s=s, gs=1, br=br, block_kwargs=dict(bottle_in=True, linear_out=True))


def _mobilevit_stage(d: int, c: int, s: int, transformer_dim: int, transformer_depth: int, patch_size: int = 4,
                     br: float = 4.0) -> Tuple[ByoBlockCfg, ByoBlockCfg]:
    return (_inverted_residual(d, c, s, br),
            ByoBlockCfg('mobilevit', d=1, c=c, s=1, block_kwargs=dict(
                transformer_dim=transformer_dim, transformer_depth=transformer_depth, patch_size=patch_size)))


def _mobilevitv2_stage(d: int, c: int, s: int, transformer_depth: int, patch_size: int = 2, br: float = 2.0,
                       transformer_br: float = 0.5) -> Tuple[ByoBlockCfg, ByoBlockCfg]:
    return (_inverted_residual(d, c, s, br),
            ByoBlockCfg('mobilevit2', d=1, c=c, s=1, br=transformer_br, gs=1, block_kwargs=dict(
                transformer_depth=transformer_depth, patch_size=patch_size)))


def _mobilevit_cfg(widths: Tuple[int, ...], dims: Tuple[int, int, int], num_features: int,
                   br: float = 4.0) -> ByoModelCfg:
    """v1 (paper table 4): widths of the five stages, transformer widths of the last three."""
    return ByoModelCfg(
        blocks=(
            _inverted_residual(1, widths[0], 1, br),
            _inverted_residual(3, widths[1], 2, br),
            _mobilevit_stage(1, widths[2], 2, dims[0], 2, patch_size=2, br=br),
            _mobilevit_stage(1, widths[3], 2, dims[1], 4, patch_size=2, br=br),
            _mobilevit_stage(1, widths[4], 2, dims[2], 3, patch_size=2, br=br),
        ),
        stem_chs=16, stem_type='3x3', stem_pool='', downsample='', act_layer='silu', num_features=num_features)


def _mobilevitv2_cfg(multiplier: float = 1.0) -> ByoModelCfg:
    """v2 (paper figure 6): every width is the base width times `multiplier`."""
    chs = tuple(int(c * multiplier) for c in (64, 128, 256, 384, 512))
    return ByoModelCfg(
        blocks=(
            _inverted_residual(1, chs[0], 1, 2.0),
            _inverted_residual(2, chs[1], 2, 2.0),
            _mobilevitv2_stage(1, chs[2], 2, transformer_depth=2),
            _mobilevitv2_stage(1, chs[3], 2, transformer_depth=4),
            _mobilevitv2_stage(1, chs[4], 2, transformer_depth=3),
        ),
        stem_chs=int(32 * multiplier), stem_type='3x3', stem_pool='', downsample='', act_layer='silu')


model_cfgs: Dict[str, ByoModelCfg] = dict(
    mobilevit_xxs=_mobilevit_cfg((16, 24, 48, 64, 80), (64, 80, 96), 320, br=2.0),
    mobilevit_xs=_mobilevit_cfg((32, 48, 64, 80, 96), (96, 120, 144), 384),
    mobilevit_s=_mobilevit_cfg((32, 64, 96, 128, 160), (144, 192, 240), 640),
    **{f'mobilevitv2_{round(m * 100):03d}': _mobilevitv2_cfg(m) for m in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)},
)


def _create_mobilevit(variant: str, pretrained: bool = False, **kwargs: Any) -> ByobNet:
    return build_model_with_cfg(ByobNet, variant, pretrained, model_cfg=model_cfgs[variant],
                                feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 256, 256), pool_size=(8, 8), crop_pct=0.9,
               interpolation='bicubic', mean=(0., 0., 0.), std=(1., 1., 1.), first_conv='stem.conv',
               classifier='head.fc', fixed_input_size=False, license='cvnets-license')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'mobilevit_xxs.cvnets_in1k': _cfg(),
    'mobilevit_xs.cvnets_in1k': _cfg(),
    'mobilevit_s.cvnets_in1k': _cfg(),
    **{f'mobilevitv2_{m}.cvnets_in1k': _cfg(crop_pct=0.888) for m in ('050', '075', '100', '125', '150', '175', '200')},
    **{f'mobilevitv2_{m}.cvnets_in22k_ft_in1k': _cfg(crop_pct=0.888) for m in ('150', '175', '200')},
    **{f'mobilevitv2_{m}.cvnets_in22k_ft_in1k_384': _cfg(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0)
       for m in ('150', '175', '200')},
})


@register_model
def mobilevit_xxs(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevit_xxs', pretrained, **kwargs)


@register_model
def mobilevit_xs(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevit_xs', pretrained, **kwargs)


@register_model
def mobilevit_s(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevit_s', pretrained, **kwargs)


@register_model
def mobilevitv2_050(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevitv2_050', pretrained, **kwargs)


@register_model
def mobilevitv2_075(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevitv2_075', pretrained, **kwargs)


@register_model
def mobilevitv2_100(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevitv2_100', pretrained, **kwargs)


@register_model
def mobilevitv2_125(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevitv2_125', pretrained, **kwargs)


@register_model
def mobilevitv2_150(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevitv2_150', pretrained, **kwargs)


@register_model
def mobilevitv2_175(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevitv2_175', pretrained, **kwargs)


@register_model
def mobilevitv2_200(pretrained: bool = False, **kwargs) -> ByobNet:
    return _create_mobilevit('mobilevitv2_200', pretrained, **kwargs)


register_model_deprecations(__name__, {
    'mobilevitv2_150_in22ft1k': 'mobilevitv2_150.cvnets_in22k_ft_in1k',
    'mobilevitv2_175_in22ft1k': 'mobilevitv2_175.cvnets_in22k_ft_in1k',
    'mobilevitv2_200_in22ft1k': 'mobilevitv2_200.cvnets_in22k_ft_in1k',
    'mobilevitv2_150_384_in22ft1k': 'mobilevitv2_150.cvnets_in22k_ft_in1k_384',
    'mobilevitv2_175_384_in22ft1k': 'mobilevitv2_175.cvnets_in22k_ft_in1k_384',
    'mobilevitv2_200_384_in22ft1k': 'mobilevitv2_200.cvnets_in22k_ft_in1k_384',
})
