"""DaViT: dual attention vision transformers, alternating spatial-window and channel attention.

Paper: "DaViT: Dual Attention Vision Transformers", Ding et al., ECCV 2022 (arXiv:2204.03645). Every block pair runs
- a spatial block: multi-head self-attention inside non-overlapping windows (maps padded at the bottom / right to whole
  windows), then an MLP;
- a channel block: attention between channels instead of tokens. Channels are split into groups; within a group the
  (C/g x C/g) attention map comes from keys and values over all tokens (softmax(k^T v), applied to the queries), so
  every channel sees a global summary of the image.
Both blocks are pre-norm with a depthwise 3x3 conv position encoding added before the attention and before the MLP.
Four stages over a 7x7 stride-4 conv stem; each later stage opens with LayerNorm + a stride-2 conv. The classifier
pools, normalises and projects (or, with `head_norm_first`, normalises the map first).

The `_fl` models are the Florence-2 image towers: 12x12 windows, 3x3 downsampling convs and the "v2" channel
attention (attention from softmax(q^T k) scaled by the token count, applied to the values), in named block pairs.
`checkpoint_filter_fn` converts the official DaViT and the Florence-2 checkpoints.
"""
import re
from collections import OrderedDict
from typing import Any, Dict, List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath, trunc_normal_
from zoo.layers.classifier import ClassifierHead
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.mlp import Mlp
from zoo.layers.norm import LayerNorm2d
from zoo.layers.norm_mlp_head import NormMlpClassifierHead
from zoo.layers.window import window_partition, window_reverse
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['DaVit', 'SpatialBlock', 'ChannelBlock']


def _pad_to_multiple(x: torch.Tensor, multiple: Sequence[int]) -> torch.Tensor:
    """Zero-pad an NCHW map at the bottom / right so its sides are multiples of `multiple` (h, w)."""
    pad_h, pad_w = -x.shape[-2] % multiple[0], -x.shape[-1] % multiple[1]
    return F.pad(x, (0, pad_w, 0, pad_h)) if pad_h or pad_w else x


class ConvPosEnc(nn.Module):
    """x + act(depthwise 3x3 conv(x)), the conditional position encoding."""

    def __init__(self, dim: int, kernel_size: int = 3, act: bool = False):
        super().__init__()
        self.proj = nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.act = nn.GELU() if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.act(self.proj(x))


class Stem(nn.Module):
    """7x7 stride-4 conv (input padded to a multiple of 4) + LayerNorm over channels."""

    def __init__(self, in_chs: int, out_chs: int, norm_layer: Any):
        super().__init__()
        self.stride = (4, 4)
        self.conv = nn.Conv2d(in_chs, out_chs, 7, stride=4, padding=3)
        self.norm = norm_layer(out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(_pad_to_multiple(x, self.stride)))


class Downsample(nn.Module):
    """LayerNorm over channels, then a stride-2 conv (a 2x2 patchify on an input padded to even sides, or a padded
    odd kernel)."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 2, norm_layer: Any = LayerNorm2d):
        super().__init__()
        self.even_k = kernel_size % 2 == 0
        self.norm = norm_layer(in_chs)
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride=2, padding=0 if self.even_k else kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x)
        if self.even_k:
            x = _pad_to_multiple(x, self.conv.kernel_size)
        return self.conv(x)


class WindowAttention(nn.Module):
    """Multi-head self-attention over the tokens of a window (B * windows, N, C)."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        return self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, c))


class ChannelAttention(nn.Module):
    """Attention between the channels of each group: softmax(k^T v / sqrt(C/g)) (channels x channels, over all tokens)
    mixes the query channels.

    With `v2` (Florence-2): softmax(q^T k / sqrt(N)) mixes the value channels, N being the token count.
    """

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False, v2: bool = False):
        super().__init__()
        self.num_heads = num_heads
        self.v2 = v2
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        # (B, groups, N, C/g) each
        q, k, v = self.qkv(x).view(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        if self.v2:
            weights, mixed = (q * n ** -0.5).transpose(-1, -2) @ k, v
        else:
            weights, mixed = (k * (c // self.num_heads) ** -0.5).transpose(-1, -2) @ v, q
        # (C/g x C/g) weights applied to the channels of every token
        x = mixed @ weights.softmax(dim=-1).transpose(-1, -2)
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class _DualBlock(nn.Module):
    """cpe1 -> x + attention(norm1(x)) on tokens -> cpe2 -> x + mlp(norm2(x)); NCHW in and out."""

    def __init__(self, dim: int, attn: nn.Module, mlp_ratio: float, drop_path: float, norm_layer: Any, ffn: bool,
                 cpe_act: bool):
        super().__init__()
        self.cpe1 = ConvPosEnc(dim, act=cpe_act)
        self.norm1 = norm_layer(dim)
        self.attn = attn
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.cpe2 = ConvPosEnc(dim, act=cpe_act)
        if ffn:
            self.norm2 = norm_layer(dim)
            self.mlp = Mlp(dim, int(dim * mlp_ratio))
            self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        else:
            self.norm2 = self.mlp = self.drop_path2 = None

    def _attend(self, x: torch.Tensor, hw: Sequence[int]) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        tokens = self.cpe1(x).flatten(2).transpose(1, 2)
        tokens = tokens + self.drop_path1(self._attend(self.norm1(tokens), (h, w)))
        x = self.cpe2(tokens.transpose(1, 2).reshape(b, c, h, w))
        if self.mlp is None:
            return x
        tokens = x.flatten(2).transpose(1, 2)
        tokens = tokens + self.drop_path2(self.mlp(self.norm2(tokens)))
        return tokens.transpose(1, 2).reshape(b, c, h, w)


class SpatialBlock(_DualBlock):
    """Window self-attention block."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4., qkv_bias: bool = True,
                 drop_path: float = 0., norm_layer: Any = nn.LayerNorm, ffn: bool = True, cpe_act: bool = False,
                 window_size: int = 7):
        super().__init__(dim, WindowAttention(dim, num_heads, qkv_bias), mlp_ratio, drop_path, norm_layer, ffn,
                         cpe_act)
        self.window_size = (window_size, window_size)

    def _attend(self, x: torch.Tensor, hw: Sequence[int]) -> torch.Tensor:
        (h, w), (wh, ww), c = hw, self.window_size, x.shape[-1]
        grid = _pad_to_multiple(x.view(-1, h, w, c).permute(0, 3, 1, 2), self.window_size).permute(0, 2, 3, 1)
        windows = window_partition(grid, self.window_size).reshape(-1, wh * ww, c)
        grid = window_reverse(self.attn(windows).view(-1, wh, ww, c), self.window_size, grid.shape[1:3])
        return grid[:, :h, :w].reshape(-1, h * w, c)


class ChannelBlock(_DualBlock):
    """Channel-group attention block."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4., qkv_bias: bool = False,
                 drop_path: float = 0., norm_layer: Any = nn.LayerNorm, ffn: bool = True, cpe_act: bool = False,
                 v2: bool = False):
        super().__init__(dim, ChannelAttention(dim, num_heads, qkv_bias, v2), mlp_ratio, drop_path, norm_layer, ffn,
                         cpe_act)

    def _attend(self, x: torch.Tensor, hw: Sequence[int]) -> torch.Tensor:
        return self.attn(x)


class DaVitStage(nn.Module):
    """Optional downsample, then `depth` block pairs (keys `downsample`, `blocks.<i>.<j>` or, with named blocks,
    `blocks.<i>.spatial_block` / `.channel_block`)."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, in_chs: int, out_chs: int, depth: int, downsample: bool, attn_types: Sequence[str],
                 num_heads: int, window_size: int, mlp_ratio: float, qkv_bias: bool, drop_path: Sequence[float],
                 norm_layer: Any, norm_layer_cl: Any, ffn: bool, cpe_act: bool, down_kernel_size: int,
                 channel_attn_v2: bool, named_blocks: bool):
        super().__init__()
        self.downsample = Downsample(in_chs, out_chs, down_kernel_size, norm_layer) if downsample else nn.Identity()
        common = dict(mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, norm_layer=norm_layer_cl, ffn=ffn, cpe_act=cpe_act)
        pairs = []
        for rate in drop_path[:depth]:
            pair = []
            for kind in attn_types:
                if kind == 'spatial':
                    pair.append(('spatial_block', SpatialBlock(out_chs, num_heads, drop_path=rate,
                                                               window_size=window_size, **common)))
                elif kind == 'channel':
                    pair.append(('channel_block', ChannelBlock(out_chs, num_heads, drop_path=rate,
                                                               v2=channel_attn_v2, **common)))
                else:
                    raise ValueError(f"Unknown DaViT attention type {kind!r}; use 'spatial' or 'channel'.")
            pairs.append(nn.Sequential(OrderedDict(pair)) if named_blocks else nn.Sequential(*[m for _, m in pair]))
        self.blocks = CheckpointSequential(*pairs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        return self.blocks(x)


class DaVit(ZooModel):
    """Dual Attention Vision Transformer.

    Args:
        in_chans: input image channels.
        depths: block pairs per stage.
        embed_dims: width of each stage.
        num_heads: attention heads (channel groups) of each stage.
        window_size: side of the spatial attention windows.
        mlp_ratio: MLP expansion.
        qkv_bias: bias on the qkv projections.
        norm_layer: 'layernorm2d' (the channels-first norm of stem, downsamples and head).
        norm_layer_cl: 'layernorm' (the token norm inside blocks).
        norm_eps: epsilon of both norms.
        attn_types: the attention blocks of a pair, in order.
        ffn: give every block an MLP.
        cpe_act: GELU on the position-encoding convs.
        down_kernel_size: kernel of the downsampling convs (2: patchify; odd: padded overlap).
        channel_attn_v2: the Florence-2 channel attention.
        named_blocks: name the blocks of a pair (`spatial_block`, `channel_block`) as the Florence-2 towers do.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block pair.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg' (or another width-preserving pool); '' with num_classes=0 for unpooled maps.
        head_norm_first: normalise the map before pooling (norm_pre + linear head) instead of after.
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm_pre',))
    classifier_name = 'head.fc'
    groups = dict(stem=r'^stem',
                  blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None),
                          (r'^norm_pre', (99999,))],
                  coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            depths: Sequence[int] = (1, 1, 3, 1),
            embed_dims: Sequence[int] = (96, 192, 384, 768),
            num_heads: Sequence[int] = (3, 6, 12, 24),
            window_size: int = 7,
            mlp_ratio: float = 4,
            qkv_bias: bool = True,
            norm_layer: str = 'layernorm2d',
            norm_layer_cl: str = 'layernorm',
            norm_eps: float = 1e-5,
            attn_types: Sequence[str] = ('spatial', 'channel'),
            ffn: bool = True,
            cpe_act: bool = False,
            down_kernel_size: int = 2,
            channel_attn_v2: bool = False,
            named_blocks: bool = False,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            head_norm_first: bool = False,
    ):
        super().__init__()
        if not len(embed_dims) == len(num_heads) == len(depths):
            raise ValueError(f'embed_dims, num_heads and depths need one entry per stage, got {len(embed_dims)}, '
                             f'{len(num_heads)} and {len(depths)}.')
        norms = {'layernorm2d': LayerNorm2d, 'layernorm': nn.LayerNorm}
        for name, value in (('norm_layer', norm_layer), ('norm_layer_cl', norm_layer_cl)):
            if value not in norms:
                raise ValueError(f'{name} must be one of {sorted(norms)}, got {value!r}.')

        def norm2d(dim: int) -> nn.Module:
            return norms[norm_layer](dim, eps=norm_eps)

        def norm_cl(dim: int) -> nn.Module:
            return norms[norm_layer_cl](dim, eps=norm_eps)

        self.num_classes = num_classes
        self.in_chans = in_chans
        self.num_features = embed_dims[-1]
        self.drop_rate = drop_rate
        self.stem = Stem(in_chans, embed_dims[0], norm2d)
        rates = stagewise_drop_path_rates(drop_path_rate, depths)
        stages: List[nn.Module] = []
        self.feature_info = []
        for i, depth in enumerate(depths):
            stages.append(DaVitStage(
                embed_dims[i - 1] if i else embed_dims[0], embed_dims[i], depth, i > 0, attn_types, num_heads[i],
                window_size, mlp_ratio, qkv_bias, rates[i], norm2d, norm_cl, ffn, cpe_act, down_kernel_size,
                channel_attn_v2, named_blocks))
            self.feature_info.append(dict(num_chs=embed_dims[i], reduction=2 ** (i + 2), module=f'stages.{i}'))
        self.stages = nn.Sequential(*stages)
        if head_norm_first:
            self.norm_pre = norm2d(self.num_features)
            self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        else:
            # DaViT's own order, as in ConvNeXt: pool, then normalise
            self.norm_pre = nn.Identity()
            self.head = NormMlpClassifierHead(self.num_features, num_classes, pool_type=global_pool,
                                              drop_rate=drop_rate, norm_layer=norm2d)
        self.head_hidden_size = self.num_features
        self.apply(_init_weights)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm_pre(self.stages(self.stem(x)))


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


# official DaViT layout -> zoo (timm) layout
_DAVIT_RENAMES = [
    (r'patch_embeds\.(\d+)', r'stages.\1.downsample'),
    (r'main_blocks\.(\d+)', r'stages.\1.blocks'),
    (r'downsample\.proj', 'downsample.conv'),
    (r'^stages\.0\.downsample', 'stem'),
    (r'^head\.', 'head.fc.'),
    (r'^norms\.', 'head.norm.'),
    (r'cpe\.0', 'cpe1'),
    (r'cpe\.1', 'cpe2'),
]
# Florence-2 vision tower (keys under `vision_tower.`) -> zoo layout
_FLORENCE_RENAMES = [
    (r'convs\.(\d+)', r'stages.\1.downsample'),
    (r'^blocks\.(\d+)', r'stages.\1.blocks'),
    (r'downsample\.proj', 'downsample.conv'),
    (r'^stages\.0\.downsample', 'stem'),
    (r'(window|channel)_attn\.norm\.', 'norm1.'),
    (r'(window|channel)_attn\.fn\.', 'attn.'),
    (r'ffn\.norm\.', 'norm2.'),
    (r'ffn\.fn\.net\.', 'mlp.'),
    (r'conv1\.fn\.dw', 'cpe1.proj'),
    (r'conv2\.fn\.dw', 'cpe2.proj'),
]


def _rename(key: str, rules: Sequence) -> str:
    for pattern, repl in rules:
        key = re.sub(pattern, repl, key)
    return key


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: DaVit) -> Dict[str, torch.Tensor]:
    """zoo / timm checkpoints pass through; official DaViT and Florence-2 (`vision_tower.*`) ones are renamed."""
    state_dict = state_dict.get('state_dict', state_dict)
    if 'stem.conv.weight' in state_dict:
        return state_dict
    if 'vision_tower.convs.0.proj.weight' in state_dict:
        prefix = 'vision_tower.'
        return {_rename(k[len(prefix):], _FLORENCE_RENAMES): v for k, v in state_dict.items() if k.startswith(prefix)}
    return {_rename(k, _DAVIT_RENAMES): v for k, v in state_dict.items()}


def _create_davit(variant: str, pretrained: bool = False, **kwargs: Any) -> DaVit:
    depths = kwargs.get('depths', (1, 1, 3, 1))
    # the Florence-2 towers ship without the head norm
    kwargs.setdefault('pretrained_strict', not variant.endswith('_fl'))
    return build_model_with_cfg(DaVit, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=tuple(range(len(depths))), flatten_sequential=True),
                                **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.95, interpolation='bicubic',
               first_conv='stem.conv', classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'davit_tiny.msft_in1k': _cfg(hf_hub_id='timm/'),
    'davit_small.msft_in1k': _cfg(hf_hub_id='timm/'),
    'davit_base.msft_in1k': _cfg(hf_hub_id='timm/'),
    'davit_large': _cfg(),
    'davit_huge': _cfg(),
    'davit_giant': _cfg(),
    'davit_base_fl.msft_florence2': _cfg(hf_hub_id='microsoft/Florence-2-base', num_classes=0,
                                         input_size=(3, 768, 768)),
    'davit_huge_fl.msft_florence2': _cfg(hf_hub_id='microsoft/Florence-2-large', num_classes=0,
                                         input_size=(3, 768, 768)),
})

# name -> (depths, first width, first heads); widths and heads double per stage
_SIZES = {
    'tiny': ((1, 1, 3, 1), 96, 3),
    'small': ((1, 1, 9, 1), 96, 3),
    'base': ((1, 1, 9, 1), 128, 4),
    'large': ((1, 1, 9, 1), 192, 6),
    'huge': ((1, 1, 9, 1), 256, 8),
    'giant': ((1, 1, 12, 3), 384, 12),
}
_FLORENCE = dict(window_size=12, down_kernel_size=3, channel_attn_v2=True, named_blocks=True)


def _davit(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> DaVit:
    depths, dim, heads = _SIZES[variant.split('_')[1]]
    args = dict(depths=depths, embed_dims=tuple(dim * 2 ** i for i in range(4)),
                num_heads=tuple(heads * 2 ** i for i in range(4)))
    if variant.endswith('_fl'):
        args.update(_FLORENCE)
    return _create_davit(variant, pretrained, **dict(args, **kwargs))


@register_model
def davit_tiny(pretrained: bool = False, **kwargs) -> DaVit:
    return _davit('davit_tiny', pretrained, kwargs)


@register_model
def davit_small(pretrained: bool = False, **kwargs) -> DaVit:
    return _davit('davit_small', pretrained, kwargs)


@register_model
def davit_base(pretrained: bool = False, **kwargs) -> DaVit:
    return _davit('davit_base', pretrained, kwargs)


@register_model
def davit_large(pretrained: bool = False, **kwargs) -> DaVit:
    return _davit('davit_large', pretrained, kwargs)


@register_model
def davit_huge(pretrained: bool = False, **kwargs) -> DaVit:
    return _davit('davit_huge', pretrained, kwargs)


@register_model
def davit_giant(pretrained: bool = False, **kwargs) -> DaVit:
    return _davit('davit_giant', pretrained, kwargs)


@register_model
def davit_base_fl(pretrained: bool = False, **kwargs) -> DaVit:
    return _davit('davit_base_fl', pretrained, kwargs)


@register_model
def davit_huge_fl(pretrained: bool = False, **kwargs) -> DaVit:
    return _davit('davit_huge_fl', pretrained, kwargs)
