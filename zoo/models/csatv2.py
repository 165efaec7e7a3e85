"""CSATv2: a frequency-domain hybrid backbone (DCT stem, ConvNeXt V2 blocks with spatial attention, transformers).

From the MLPA Lab release (no paper yet; https://huggingface.co/timm/csatv2.r512_in1k). The image is not patchified
in pixel space: the stem converts the ImageNet-normalised input back to [0, 255] RGB, then to YCbCr (as JPEG does),
takes the 8x8 type-II DCT of every non-overlapping 8x8 patch (Ahmed et al., 1974), orders the 64 coefficients in
zigzag (low to high frequency), standardises each with statistics measured on ImageNet and maps each colour
channel's coefficients to features with its own 1x1 conv (Y gets 3/4 of the width, Cb and Cr 1/8 each). So the stem
has reduction 8 and the image side must be a multiple of 8.

Four stages follow (reductions 8, 16, 32, 64; each after the first opens with a 2x2 stride-2 conv). Their conv blocks
are ConvNeXt V2 blocks (depthwise 7x7, LayerNorm, MLP with global response normalisation; Woo et al., 2023,
arXiv:2301.00808) whose output is gated by a spatial attention map: the channel mean and max of the block output,
pooled to 7x7, a 7x7 conv to one channel and a tiny one-channel transformer over the 49 positions, upsampled
bilinearly. The last blocks of stages 3 and 4 are pre-norm transformers (8 heads of 32, convolutional position
encoding after the norm). All stages but the last end with a LayerNorm. The head is ConvNeXt's (pool, LayerNorm,
linear).
"""
import math
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers.attention import Attention
from zoo.layers.conv_pos_enc import ConvPosEnc
from zoo.layers.drop import DropPath
from zoo.layers.grn import GlobalResponseNorm
from zoo.layers.layer_scale import LayerScale, LayerScale2d
from zoo.layers.mlp import Mlp
from zoo.layers.norm import LayerNorm2d
from zoo.layers.norm_mlp_head import NormMlpClassifierHead
from zoo.layers.weight_init import trunc_normal_
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._features_fx import register_notrace_module
from zoo.models._manipulate import CheckpointSequential
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['CSATv2', 'DctStem', 'checkpoint_filter_fn']

# per-coefficient mean of the 8x8 DCT of Y, Cb, Cr (zigzag order), from the released model
_DCT_COEF_MEAN = (
    (
        932.42657, -0.0026, 0.33415, -0.0284, 3e-05, -0.02792, -0.00183, 6e-05,
        0.00032, 0.03402, -0.00571, 0.0002, 6e-05, -0.00038, -0.00558, -0.00116,
        -0.0, -0.00047, -8e-05, -0.0003, 0.00942, 0.00161, -9e-05, -6e-05,
        -0.00014, -0.00035, 1e-05, -0.0022, 0.00033, -2e-05, -3e-05, -0.0002,
        7e-05, -0.0, 5e-05, 0.00293, -4e-05, 6e-05, 0.00019, 4e-05,
        6e-05, -0.00015, -2e-05, 7e-05, 0.0001, -4e-05, 8e-05, 0.0,
        8e-05, -1e-05, 0.00015, 2e-05, 7e-05, 3e-05, 4e-05, -1e-05,
        4e-05, -0.0, 2e-05, -0.0, -8e-05, -0.0, -3e-05, 3e-05,
    ),
    (
        962.34735, -0.00428, 0.09835, 0.00152, -9e-05, 0.00312, -0.00141, -1e-05,
        -0.00013, 0.0105, 0.00065, 6e-05, -0.0, 3e-05, 0.00264, 0.0,
        1e-05, 7e-05, -6e-05, 3e-05, 0.00341, 0.00163, 4e-05, 3e-05,
        -1e-05, 8e-05, -0.0, 0.0009, 0.00018, -6e-05, -1e-05, 7e-05,
        -3e-05, -1e-05, 6e-05, 0.00084, -0.0, -1e-05, 0.0, 4e-05,
        -1e-05, -2e-05, 0.0, 1e-05, 2e-05, 1e-05, 4e-05, 0.00011,
        0.0, -3e-05, 0.00011, -2e-05, 1e-05, 1e-05, 1e-05, 1e-05,
        -7e-05, -3e-05, 1e-05, 0.0, 1e-05, 2e-05, 1e-05, 0.0,
    ),
    (
        1053.16101, -0.00213, -0.09207, 0.00186, 0.00013, 0.00034, -0.00119, 2e-05,
        0.00011, -0.00984, 0.00046, -7e-05, -1e-05, -5e-05, 0.0018, 0.00042,
        2e-05, -0.0001, 4e-05, 3e-05, -0.00301, 0.00125, -2e-05, -3e-05,
        -1e-05, -1e-05, -1e-05, 0.00056, 0.00021, 1e-05, -1e-05, 2e-05,
        -1e-05, -1e-05, 5e-05, -0.0007, -2e-05, -2e-05, 5e-05, -4e-05,
        -0.0, 2e-05, -2e-05, 1e-05, 0.0, -3e-05, 4e-05, 7e-05,
        1e-05, 0.0, 0.00013, -0.0, 0.0, 2e-05, -0.0, -1e-05,
        -4e-05, -3e-05, 0.0, 1e-05, -1e-05, 1e-05, -0.0, 0.0,
    ),
)

# per-coefficient variance, same layout
_DCT_COEF_VAR = (
    (
        270372.375, 6287.10645, 5974.94043, 1653.10889, 1463.91748, 1832.58997, 755.92468, 692.41528,
        648.57184, 641.46881, 285.79288, 301.621, 380.43405, 349.84027, 374.15891, 190.3096,
        190.76746, 221.64578, 200.82646, 145.87979, 126.92046, 62.14622, 67.75562, 102.42001,
        129.74922, 130.04631, 103.12189, 97.76417, 53.17402, 54.81048, 73.48712, 81.04342,
        69.351, 49.06024, 33.96053, 37.03279, 20.48858, 24.9483, 33.90822, 44.54912,
        47.56363, 40.0316, 30.43313, 22.63899, 26.53739, 26.57114, 21.84404, 17.41557,
        15.18253, 10.69678, 11.24111, 12.97229, 15.08971, 15.31646, 8.90409, 7.44213,
        6.66096, 6.97719, 4.17834, 3.83882, 4.51073, 2.36646, 2.41363, 1.48266,
    ),
    (
        18839.21094, 321.70932, 300.15259, 77.4783, 76.02293, 89.04748, 33.99642, 34.74807,
        32.12333, 28.19588, 12.04675, 14.26871, 18.45779, 16.59588, 15.67892, 7.37718,
        8.56312, 10.28946, 9.41013, 6.6909, 5.16453, 2.55186, 3.03073, 4.66765,
        5.85418, 5.74644, 4.33702, 3.66948, 1.95107, 2.26034, 3.0638, 3.50705,
        3.06359, 2.19284, 1.54454, 1.5786, 0.97078, 1.13941, 1.48653, 1.89996,
        1.95544, 1.6495, 1.24754, 0.93677, 1.09267, 1.09516, 0.94163, 0.78966,
        0.72489, 0.50841, 0.50909, 0.55664, 0.63111, 0.64125, 0.38847, 0.33378,
        0.30918, 0.33463, 0.20875, 0.19298, 0.21903, 0.1338, 0.13444, 0.09554,
    ),
    (
        17127.39844, 292.81421, 271.45209, 66.64056, 63.60253, 76.35437, 28.06587, 27.84831,
        25.96656, 23.6037, 9.99173, 11.34992, 14.46955, 12.92553, 12.69353, 5.91537,
        6.60187, 7.90891, 7.32825, 5.32785, 4.2966, 2.13459, 2.44135, 3.66021,
        4.50335, 4.38959, 3.34888, 2.97181, 1.60633, 1.7701, 2.35118, 2.69018,
        2.38189, 1.74596, 1.26014, 1.31684, 0.79327, 0.92046, 1.1767, 1.47609,
        1.50914, 1.28725, 0.99898, 0.74832, 0.85736, 0.858, 0.74663, 0.63508,
        0.58748, 0.41098, 0.41121, 0.44663, 0.50277, 0.51519, 0.31729, 0.27336,
        0.25399, 0.27241, 0.17353, 0.16255, 0.1844, 0.11602, 0.11511, 0.0845,
    ),
)


_PATCH = 8  # the DCT block of JPEG; the coefficient statistics above are for 8x8 blocks


def dct_matrix(n: int) -> torch.Tensor:
    """The orthonormal type-II DCT matrix (row u = frequency u): c_u cos(pi (2p + 1) u / 2n), c_0 = sqrt(1/n), else
    sqrt(2/n)."""
    p = torch.arange(n, dtype=torch.float64)
    u = p[:, None]
    scale = torch.full((n, 1), math.sqrt(2. / n), dtype=torch.float64)
    scale[0] = math.sqrt(1. / n)
    return (scale * torch.cos(math.pi * (2 * p[None, :] + 1) * u / (2 * n))).float()


def zigzag_order(n: int) -> List[int]:
    """Row-major indices of an n x n block in JPEG zigzag order: by anti-diagonal, alternating direction."""
    def key(k: int) -> Tuple[int, int]:
        row, col = divmod(k, n)
        diagonal = row + col
        return diagonal, row if diagonal % 2 else -row
    return sorted(range(n * n), key=key)


class _DctWeights(nn.Module):
    """Holds the 1-D DCT matrix as the persistent buffer `weights` (the key path of the released weights)."""

    def __init__(self, n: int):
        super().__init__()
        self.register_buffer('weights', dct_matrix(n))


class _DctTransform(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.transform = _DctWeights(n)


# an FX leaf: its input-size check is Python control flow on the traced shape
@register_notrace_module
class DctStem(nn.Module):
    """ImageNet-normalised RGB -> YCbCr -> zigzag 8x8 DCT per patch -> standardised -> a 1x1 conv per colour channel.

    Args:
        out_chs: output width, a multiple of 8 (Y : Cb : Cr = 6 : 1 : 1).
    """

    def __init__(self, out_chs: int):
        super().__init__()
        if out_chs % 8:
            raise ValueError(f'The DCT stem splits its width 6:1:1 over Y, Cb, Cr: dims[0] must be a multiple of 8, '
                             f'got {out_chs}.')
        unit = out_chs // 8
        coeffs = _PATCH * _PATCH
        self.transform = _DctTransform(_PATCH)
        self.conv_y = nn.Conv2d(coeffs, 6 * unit, 1)
        self.conv_cb = nn.Conv2d(coeffs, unit, 1)
        self.conv_cr = nn.Conv2d(coeffs, unit, 1)
        self.register_buffer('zigzag', torch.tensor(zigzag_order(_PATCH)), persistent=False)
        self.register_buffer('coef_mean', torch.tensor(_DCT_COEF_MEAN), persistent=False)
        self.register_buffer('coef_std', torch.tensor(_DCT_COEF_VAR).sqrt() + 1e-8, persistent=False)
        self.register_buffer('pixel_mean', torch.tensor(IMAGENET_DEFAULT_MEAN).view(3, 1, 1) * 255., persistent=False)
        self.register_buffer('pixel_std', torch.tensor(IMAGENET_DEFAULT_STD).view(3, 1, 1) * 255., persistent=False)

    def _ycbcr(self, x: torch.Tensor) -> torch.Tensor:
        """[0, 255] YCbCr (ITU-R BT.601, chroma centred on 128) of the un-normalised image."""
        rgb = x * self.pixel_std + self.pixel_mean
        r, g, b = rgb.unbind(1)
        y = 0.299 * r + 0.587 * g + 0.114 * b
        return torch.stack([y, 0.564 * (b - y) + 128., 0.713 * (r - y) + 128.], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        if height % _PATCH or width % _PATCH:
            raise ValueError(f'CSATv2 transforms 8x8 pixel blocks: the input size must be a multiple of 8, got '
                             f'{height}x{width}.')
        h, w = height // _PATCH, width // _PATCH
        patches = self._ycbcr(x).view(batch, 3, h, _PATCH, w, _PATCH).permute(0, 1, 2, 4, 3, 5)
        patches = patches.reshape(batch, 3, h, w, _PATCH * _PATCH)
        # the 2-D DCT of a block is the Kronecker product of the 1-D ones; its rows, zigzag-ordered, are the
        # coefficients from low to high frequency
        dct = self.transform.transform.weights
        basis = torch.kron(dct, dct)[self.zigzag]
        coeffs = (patches @ basis.t() - self.coef_mean[:, None, None]) / self.coef_std[:, None, None]
        coeffs = coeffs.permute(1, 0, 4, 2, 3)
        return torch.cat([self.conv_y(coeffs[0]), self.conv_cb(coeffs[1]), self.conv_cr(coeffs[2])], dim=1)


class SpatialTransformer(nn.Module):
    """A pre-norm transformer block on a one-channel map: single-head attention with scalar q, k, v, then an MLP.

    (A LayerNorm over one channel outputs its bias, so the attention input is the position encoding of that constant.)

    Reproduces timm 1.0.31, the reference: its scores contract q and k over the *positions* (q (B, N) @ k^T (N, B)),
    so the softmax runs over the batch and each sample's output is a mix of the batch's value maps (with batch 1 the
    attention returns v itself). Outputs therefore depend on the other images of a batch; this is kept so that the
    released weights give timm's outputs.
    """

    def __init__(self):
        super().__init__()
        self.pos_embed = ConvPosEnc(1)
        self.norm1 = nn.LayerNorm(1)
        self.qkv = nn.Linear(1, 3, bias=False)
        self.norm2 = nn.LayerNorm(1)
        self.mlp = Mlp(1, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        tokens = x.flatten(2).transpose(1, 2)
        q, k, v = self.qkv(self.pos_embed(self.norm1(tokens), (height, width))).unbind(-1)
        mixed = torch.softmax(q @ k.t(), dim=-1) @ v
        tokens = tokens + mixed.unsqueeze(-1)
        tokens = tokens + self.mlp(self.norm2(tokens))
        return tokens.transpose(1, 2).reshape(batch, 1, height, width)


class SpatialAttention(nn.Module):
    """A (B, 1, 7, 7) attention map from the channel mean and max, pooled to 7x7, a 7x7 conv and a transformer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 7, padding=3)
        self.attn = SpatialTransformer()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stats = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return self.attn(self.conv(F.adaptive_avg_pool2d(stats, 7)))


def _branch_end(dim: int, ls_init_value: Optional[float], drop_path: float,
                scale_layer: type = LayerScale) -> Tuple[nn.Module, nn.Module]:
    """What closes a residual branch: layer scale (when `ls_init_value` is set) and stochastic depth (when
    `drop_path` > 0), each an Identity otherwise."""
    scale = scale_layer(dim, ls_init_value) if ls_init_value else nn.Identity()
    return scale, DropPath(drop_path) if drop_path > 0. else nn.Identity()


def _inverted_bottleneck(dim: int, expand: int = 4) -> List[Tuple[str, nn.Module]]:
    """The ConvNeXt V2 layers, named as the checkpoints name them: 7x7 depthwise conv, LayerNorm (channels-last),
    `expand`-times wider linear, GELU, GRN, linear back."""
    hidden = expand * dim
    return [('dwconv', nn.Conv2d(dim, dim, 7, padding=3, groups=dim)), ('norm', nn.LayerNorm(dim, eps=1e-6)),
            ('pwconv1', nn.Linear(dim, hidden)), ('act', nn.GELU()),
            ('grn', GlobalResponseNorm(hidden, channels_last=True)), ('pwconv2', nn.Linear(hidden, dim))]


class ConvBlock(nn.Module):
    """ConvNeXt V2 block whose residual branch is gated by a spatial attention map (bilinearly upsampled)."""

    def __init__(self, dim: int, drop_path: float = 0., ls_init_value: Optional[float] = None):
        super().__init__()
        for name, layer in _inverted_bottleneck(dim):
            self.add_module(name, layer)
        self.ls, self.drop_path = _branch_end(dim, ls_init_value, drop_path, LayerScale2d)
        self.attn = SpatialAttention()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
        y = self.pwconv2(self.grn(self.act(self.pwconv1(y)))).permute(0, 3, 1, 2)
        gate = F.interpolate(self.attn(y), size=y.shape[-2:], mode='bilinear', align_corners=True)
        return x + self.drop_path(self.ls(y * gate))


class TransformerBlock(nn.Module):
    """Pre-norm transformer on the map's tokens: norm -> conv position encoding -> attention (8 heads of 32), MLP."""

    def __init__(self, dim: int, drop_path: float = 0., ls_init_value: Optional[float] = None,
                 num_heads: int = 8, head_dim: int = 32):
        super().__init__()
        self.pos_embed = ConvPosEnc(dim)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads=num_heads, attn_head_dim=head_dim)
        self.ls1, self.drop_path1 = _branch_end(dim, ls_init_value, drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, 4 * dim)
        self.ls2, self.drop_path2 = _branch_end(dim, ls_init_value, drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, dim, height, width = x.shape
        tokens = x.flatten(2).transpose(1, 2)
        attn_in = self.pos_embed(self.norm1(tokens), (height, width))
        tokens = tokens + self.drop_path1(self.ls1(self.attn(attn_in)))
        tokens = tokens + self.drop_path2(self.ls2(self.mlp(self.norm2(tokens))))
        return tokens.transpose(1, 2).reshape(batch, dim, height, width)


def _drop_path_rates(drop_path_rate: float, depths: Sequence[int], transformer_depths: Sequence[int],
                     transformer_drop_path: bool) -> List[List[float]]:
    """Per-block rates, rising linearly over the blocks that take stochastic depth (the transformer blocks only
    with `transformer_drop_path`; otherwise they get 0)."""
    takes = [[i < d - t or transformer_drop_path for i in range(d)] for d, t in zip(depths, transformer_depths)]
    total = sum(sum(stage) for stage in takes)
    step = drop_path_rate / (total - 1) if total > 1 else 0.
    rates, n = [], 0
    for stage in takes:
        stage_rates = []
        for take in stage:
            stage_rates.append(n * step if take else 0.)
            n += take
        rates.append(stage_rates)
    return rates


def _stages(dims: Sequence[int], depths: Sequence[int], transformer_depths: Sequence[int],
            rates: List[List[float]], ls_init_value: Optional[float]) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    stages, feature_info = [], [dict(num_chs=dims[0], reduction=_PATCH, module='stem_dct')]
    for i, (dim, depth, t_depth) in enumerate(zip(dims, depths, transformer_depths)):
        layers: List[nn.Module] = [nn.Conv2d(dims[i - 1], dim, 2, stride=2)] if i > 0 else []
        layers += [ConvBlock(dim, rates[i][j], ls_init_value) for j in range(depth - t_depth)]
        layers += [TransformerBlock(dim, rates[i][j], ls_init_value) for j in range(depth - t_depth, depth)]
        if i < len(dims) - 1:
            layers.append(LayerNorm2d(dim, eps=1e-6))
        stages.append(CheckpointSequential(*layers))
        feature_info.append(dict(num_chs=dim, reduction=_PATCH * 2 ** i, module=f'stages.{i}'))
    return nn.Sequential(*stages), feature_info


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


class CSATv2(ZooModel):
    """CSATv2. Feature levels: the DCT stem (reduction 8), then the four stages (8, 16, 32, 64).

    Args:
        num_classes: classes (0: the pooled, normalised features).
        in_chans: must be 3 (the stem converts RGB to YCbCr).
        dims: width of each stage (the first also the stem's; a multiple of 8).
        depths: blocks per stage, the transformer blocks included.
        transformer_depths: transformer blocks at the end of each stage.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth of the last block that takes it (linear from 0).
        transformer_drop_path: the transformer blocks take stochastic depth too.
        ls_init_value: LayerScale init of every residual branch (None: no LayerScale).
        global_pool: pooling of the head.
    """
    trunk = Trunk(levels=(('stem_dct',), ('stages.0',), ('stages.1',), ('stages.2',), ('stages.3',)))
    groups = dict(stem=r'^stem_dct', blocks=r'^stages\.(\d+)\.(\d+)', coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            num_classes: int = 1000,
            in_chans: int = 3,
            dims: Sequence[int] = (32, 72, 168, 386),
            depths: Sequence[int] = (2, 2, 8, 6),
            transformer_depths: Sequence[int] = (0, 0, 2, 2),
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            transformer_drop_path: bool = False,
            ls_init_value: Optional[float] = None,
            global_pool: str = 'avg',
    ):
        super().__init__()
        if in_chans != 3:
            raise ValueError(f'CSATv2 converts RGB to YCbCr in its DCT stem: in_chans must be 3, got {in_chans}.')
        if not len(dims) == len(depths) == len(transformer_depths) == 4 or any(
                t > d for d, t in zip(depths, transformer_depths)):
            raise ValueError(f'dims {tuple(dims)}, depths {tuple(depths)} and transformer_depths '
                             f'{tuple(transformer_depths)} need 4 entries each, with transformer_depths <= depths.')
        self.num_classes = check_num_classes(num_classes)
        self.num_features = dims[-1]
        self.stem_dct = DctStem(dims[0])
        rates = _drop_path_rates(drop_path_rate, depths, transformer_depths, transformer_drop_path)
        self.stages, self.feature_info = _stages(dims, depths, transformer_depths, rates, ls_init_value)
        self.head = NormMlpClassifierHead(dims[-1], num_classes, pool_type=global_pool, drop_rate=drop_rate)
        self.head_hidden_size = self.head.num_features
        self.apply(_init_weights)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem_dct(x))


# official sub-module names -> this layout: within each group the first matching rename applies
_OFFICIAL_RENAMES = (
    (('.Y_Conv.', '.conv_y.'),), (('.Cb_Conv.', '.conv_cb.'),), (('.Cr_Conv.', '.conv_cr.'),),
    (('.ff.net.0.', '.mlp.fc1.'), ('.ff.net.3.', '.mlp.fc2.'), ('.ff_norm.', '.norm2.'), ('.attn_norm.', '.norm1.')),
    # the spatial attention's transformer was nested as attention.attention(.attn)
    (('.attention.attention.attn.to_qkv.', '.attn.attn.qkv.'), ('.attention.attention.attn.', '.attn.attn.'),
     ('.attention.attention.', '.attn.attn.'), ('.attention.', '.attn.')),
    (('.attn.to_qkv.', '.attn.qkv.'), ('.attn.to_out.0.', '.attn.proj.')),
)


def _official_stage_key(key: str, model: CSATv2) -> str:
    """`stagesN.i.*` (1-based stages, each ending with its norm and the downsampling conv into the next stage) ->
    `stages.{N-1}.*`, where the downsampling conv opens the next stage."""
    match = re.match(r'^stages([1-4])\.(\d+)\.(.*)$', key)
    if match is None:
        return key
    stage, index, rest = int(match.group(1)) - 1, int(match.group(2)), match.group(3)
    # the official stage holds this stage's modules without the leading downsampling conv, then its own
    downsample_at = len(model.stages[stage]) - (1 if stage > 0 else 0)
    if index == downsample_at:
        return f'stages.{stage + 1}.0.{rest}'
    return f'stages.{stage}.{index + (1 if stage > 0 else 0)}.{rest}'


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: CSATv2) -> Dict[str, torch.Tensor]:
    """The official CSATv2 release layout -> this one (zoo / timm checkpoints pass through)."""
    if 'stages.0.0.grn.weight' in state_dict:
        return state_dict
    out = {}
    for k, v in state_dict.items():
        k = _official_stage_key(re.sub(r'^dct\.', 'stem_dct.', k), model)
        for group in _OFFICIAL_RENAMES:
            for old, new in group:
                if old in k:
                    k = k.replace(old, new)
                    break
        if '.grn.gamma' in k or '.grn.beta' in k:
            k, v = k.replace('.grn.gamma', '.grn.weight').replace('.grn.beta', '.grn.bias'), v.reshape(-1)
        # the transformer blocks' position encoding sat inside their attention module
        if '.attn.pos_embed.' in k and '.attn.attn.' not in k:
            k = k.replace('.attn.pos_embed.', '.pos_embed.')
        k = re.sub(r'^head\.', 'head.fc.', k)
        out[re.sub(r'^norm\.', 'head.norm.', k)] = v
    return out


def _create_csatv2(variant: str, pretrained: bool = False, **kwargs: Any) -> CSATv2:
    return build_model_with_cfg(CSATv2, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(1, 2, 3, 4), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 512, 512), pool_size=(8, 8),
               mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, interpolation='bilinear', crop_pct=1.,
               classifier='head.fc', first_conv=())
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'csatv2.r512_in1k': _cfg(),
    'csatv2_21m.sw_r640_in1k': _cfg(input_size=(3, 640, 640), interpolation='bicubic'),
    'csatv2_21m.sw_r512_in1k': _cfg(pool_size=(10, 10), interpolation='bicubic'),
})


@register_model
def csatv2(pretrained: bool = False, **kwargs) -> CSATv2:
    return _create_csatv2('csatv2', pretrained, **kwargs)


@register_model
def csatv2_21m(pretrained: bool = False, **kwargs) -> CSATv2:
    model_args = dict(dims=(48, 96, 224, 448), depths=(3, 3, 10, 8), transformer_depths=(0, 0, 4, 3))
    return _create_csatv2('csatv2_21m', pretrained, **dict(model_args, **kwargs))
