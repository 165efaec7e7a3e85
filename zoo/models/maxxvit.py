"""MaxViT, CoAtNet and MaxxViT: hybrids of convolution blocks and relative-position attention on 2-D maps.

Papers:
- CoAtNet: "CoAtNet: Marrying Convolution and Attention for All Data Sizes", Dai et al., NeurIPS 2021
  (arXiv:2106.04803). Stages of MBConv blocks ('C') followed by stages of transformer blocks ('T') whose attention
  covers the whole feature map, with a learned relative position bias (section 2.1, eq. 3).
- MaxViT: "MaxViT: Multi-Axis Vision Transformer", Tu et al., ECCV 2022 (arXiv:2204.01697). Each block ('M') is an
  MBConv followed by *block* attention (inside non-overlapping windows) and *grid* attention (among tokens a fixed
  stride apart), each with its own MLP (section 3.2); partitions come from `zoo.layers.window`.
- ConvNeXt blocks in place of MBConv ("MaxxViT", "CoAtNeXt", timm experiments): "A ConvNet for the 2020s", Liu et
  al., 2022 (arXiv:2201.03545).
- MBConv / squeeze-excitation: MobileNetV2 (arXiv:1801.04381), "Squeeze-and-Excitation Networks" (arXiv:1709.01507).

Every model is one `MaxxVitCfg` (stage widths / depths / block types plus a conv-block and a transformer-block
config, one table, `model_cfgs`). Arguments `conv_<field>=` / `transformer_<field>=` given to the model override
single fields of those two configs. Windows and grids default to the input size / `partition_ratio` (32: 7x7 at
224 px), so models built for smaller inputs keep whole partitions at every stage.

Variants and deviations, all as in timm's published weights:
- `_tf` models follow the TensorFlow release: BatchNorm eps 1e-3, tanh-GELU, TF 'same' padding, heads interleaved
  per q / k / v in the qkv projection, and a (heads, 2h - 1, 2w - 1) bias table indexed by key minus query;
- `_rw` models (timm's own training) compute the MBConv expansion from the input width, use SiLU in the conv blocks,
  no bias in the MBConv output / shortcut convs, and pooled downsampling variants; `rmlp` models replace the bias
  table with a small MLP of log-spaced offsets, which needs no resampling for another window;
- 'PM' blocks (`maxvit_tiny_pm`) run block and grid attention in parallel on half the width each, sharing one MLP;
- ConvNeXt conv blocks always use a 7x7 depthwise kernel (the conv config's `kernel_size` applies to MBConv only).
Attention runs through `torch.nn.functional.scaled_dot_product_attention`.
"""
import dataclasses
import math
from collections import OrderedDict
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import (
    ClassifierHead, DropPath, LayerScale, LayerScale2d, create_attn, create_conv2d, get_act_layer,
    get_norm_act_layer, get_norm_layer, make_divisible, pad_same, to_2tuple, trunc_normal_,
)
from zoo.layers.padding import pad_same_traceable, use_traceable_pad
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.mlp import Mlp
from zoo.layers.norm_mlp_head import NormMlpClassifierHead
from zoo.layers.pos_embed_rel import resize_rel_pos_tables
from zoo.layers.rel_pos_bias import RelPosBias, RelPosBiasTf, RelPosMlp
from zoo.layers.window import (
    grid_partition, grid_partition_nchw, grid_reverse, grid_reverse_nchw, window_partition, window_partition_nchw,
    window_reverse, window_reverse_nchw,
)
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag, named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['MaxxVitCfg', 'MaxxVitConvCfg', 'MaxxVitTransformerCfg', 'MaxxVit']

SizeT = Union[int, Tuple[int, int]]
RelPosFactory = Optional[Callable[[int], nn.Module]]  # num_heads -> a module with get_bias()


# ---- configuration ------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class MaxxVitTransformerCfg:
    """The attention blocks ('T', and the attention half of 'M' / 'PM').

    dim_head: width per head. head_first: the qkv projection's channels are grouped per head (q, k, v of head 0, ...)
    rather than per q / k / v. expand_ratio: MLP expansion. expand_first: a widening block widens in its qkv
    projection rather than in its output projection. shortcut_bias / attn_bias: biases of the strided shortcut conv /
    of the attention projections. pool_type: downsampling pool of strided blocks. rel_pos_type: 'bias', 'bias_tf',
    'mlp' or '' (none); rel_pos_dim: hidden width of the 'mlp' bias. partition_ratio: windows and grids default to the
    input size divided by this; window_size / grid_size fix them instead (grid defaults to the window).
    no_block_attn: grid attention only. use_nchw_attn: keep 'M' blocks' attention on NCHW maps (1x1 convs) instead
    of channels-last linear layers. init_values: layer-scale init (None: no layer scale). act_layer / norm_layer
    (NCHW) / norm_layer_cl (channels-last) / norm_eps: the blocks' activation and norms.
    """
    dim_head: int = 32
    head_first: bool = True
    expand_ratio: float = 4.0
    expand_first: bool = True
    shortcut_bias: bool = True
    attn_bias: bool = True
    attn_drop: float = 0.
    proj_drop: float = 0.
    pool_type: str = 'avg2'
    rel_pos_type: str = 'bias'
    rel_pos_dim: int = 512
    partition_ratio: int = 32
    window_size: Optional[Tuple[int, int]] = None
    grid_size: Optional[Tuple[int, int]] = None
    no_block_attn: bool = False
    use_nchw_attn: bool = False
    init_values: Optional[float] = None
    act_layer: str = 'gelu'
    norm_layer: str = 'layernorm2d'
    norm_layer_cl: str = 'layernorm'
    norm_eps: float = 1e-6

    def __post_init__(self):
        if self.window_size is not None:
            self.window_size = to_2tuple(self.window_size)
        if self.grid_size is not None:
            self.grid_size = to_2tuple(self.grid_size)
        elif self.window_size is not None:
            self.grid_size = self.window_size


@dataclasses.dataclass
class MaxxVitConvCfg:
    """The convolution blocks ('C', and the conv half of 'M' / 'PM').

    block_type: 'mbconv' (inverted bottleneck) or 'convnext'. expand_ratio / expand_output: hidden width = ratio x
    the output (or input) width. kernel_size / group_size (1: depthwise): the MBConv spatial conv. pre_norm_act: an
    activation after the MBConv pre-norm. output_bias: bias of the output projection and shortcut. stride_mode: where
    a strided block downsamples: 'dw' (its spatial conv), '1x1' (its expansion conv) or 'pool' (a pool first).
    pool_type / downsample_pool_type: pools of the shortcut / of 'pool' striding. padding: '' or TF 'same'.
    attn_early: squeeze-excitation before the second norm instead of after it. attn_layer / attn_act_layer /
    attn_ratio: the channel attention. init_values: ConvNeXt layer-scale init. act_layer / norm_layer /
    norm_layer_cl / norm_eps: default to BatchNorm (eps 1e-5) for MBConv, LayerNorm (eps 1e-6) for ConvNeXt.
    """
    block_type: str = 'mbconv'
    expand_ratio: float = 4.0
    expand_output: bool = True
    kernel_size: int = 3
    group_size: int = 1
    pre_norm_act: bool = False
    output_bias: bool = True
    stride_mode: str = 'dw'
    pool_type: str = 'avg2'
    downsample_pool_type: str = 'avg2'
    padding: str = ''
    attn_early: bool = False
    attn_layer: str = 'se'
    attn_act_layer: str = 'silu'
    attn_ratio: float = 0.25
    init_values: Optional[float] = 1e-6
    act_layer: str = 'gelu'
    norm_layer: str = ''
    norm_layer_cl: str = ''
    norm_eps: Optional[float] = None

    def __post_init__(self):
        if self.block_type not in ('mbconv', 'convnext'):
            raise ValueError(f"conv block_type must be 'mbconv' or 'convnext', got {self.block_type!r}.")
        mbconv = self.block_type == 'mbconv'
        self.norm_layer = self.norm_layer or ('batchnorm2d' if mbconv else 'layernorm2d')
        if not mbconv:
            self.norm_layer_cl = self.norm_layer_cl or 'layernorm'
        if self.norm_eps is None:
            self.norm_eps = 1e-5 if mbconv else 1e-6
        self.downsample_pool_type = self.downsample_pool_type or self.pool_type


@dataclasses.dataclass
class MaxxVitCfg:
    """A whole model: per-stage widths, depths and block types ('C', 'T', 'M', 'PM', or a tuple per block, the last
    one repeated), the stem widths (one int, or (first conv, second conv)), the two block configs, an optional hidden
    layer in the head (which then also holds the final norm), and the weight-init scheme ('', 'normal',
    'trunc_normal', 'xavier_normal' or 'vit_eff')."""
    embed_dim: Tuple[int, ...] = (96, 192, 384, 768)
    depths: Tuple[int, ...] = (2, 3, 5, 2)
    block_type: Tuple[Union[str, Tuple[str, ...]], ...] = ('C', 'C', 'T', 'T')
    stem_width: Union[int, Tuple[int, int]] = 64
    stem_bias: bool = False
    conv_cfg: MaxxVitConvCfg = dataclasses.field(default_factory=MaxxVitConvCfg)
    transformer_cfg: MaxxVitTransformerCfg = dataclasses.field(default_factory=MaxxVitTransformerCfg)
    head_hidden_size: Optional[int] = None
    weight_init: str = 'vit_eff'


def _config_override_names() -> Set[str]:
    """Argument names that override a config field: `<field>=`, `conv_<field>=`, `transformer_<field>=`."""
    names = {f.name for f in dataclasses.fields(MaxxVitCfg)} - {'conv_cfg', 'transformer_cfg'}
    names.update('conv_' + f.name for f in dataclasses.fields(MaxxVitConvCfg))
    names.update('transformer_' + f.name for f in dataclasses.fields(MaxxVitTransformerCfg))
    return names


def _override_cfg(cfg: MaxxVitCfg, **kwargs: Any) -> MaxxVitCfg:
    """Lay `conv_<field>=` / `transformer_<field>=` / `<field>=` arguments over the model config."""
    unknown = sorted(set(kwargs) - _config_override_names())
    if unknown:
        raise TypeError(f'MaxxVit got unexpected argument(s) {unknown}: besides its own arguments it takes config '
                        f'fields as `<field>=`, `conv_<field>=` or `transformer_<field>=` (see MaxxVitCfg, '
                        f'MaxxVitConvCfg, MaxxVitTransformerCfg).')
    parts: Dict[str, Dict[str, Any]] = dict(conv_cfg={}, transformer_cfg={}, model={})
    for key, value in kwargs.items():
        for prefix in ('conv', 'transformer'):
            if key.startswith(prefix + '_'):
                parts[prefix + '_cfg'][key[len(prefix) + 1:]] = value
                break
        else:
            parts['model'][key] = value
    return dataclasses.replace(
        cfg,
        conv_cfg=dataclasses.replace(cfg.conv_cfg, **parts['conv_cfg']),
        transformer_cfg=dataclasses.replace(cfg.transformer_cfg, **parts['transformer_cfg']),
        **parts['model'])


def _partition_sizes(cfg: MaxxVitTransformerCfg, img_size: Tuple[int, int]) -> MaxxVitTransformerCfg:
    """Fill in window / grid sizes from the input size when the config leaves them open."""
    if cfg.window_size is not None:
        return cfg
    size = tuple(s // cfg.partition_ratio for s in img_size)
    return dataclasses.replace(cfg, window_size=size, grid_size=size)


def _learned_rel_pos(table_cls: type, window_size: Tuple[int, int], num_heads: int) -> RelPosBias:
    # tables start small and random whatever `weight_init` says (that scheme covers convs and linears only)
    rel_pos = table_cls(window_size, num_heads)
    rel_pos.init_weights()
    return rel_pos


def _rel_pos_factory(cfg: MaxxVitTransformerCfg, window_size: Tuple[int, int]) -> RelPosFactory:
    if cfg.rel_pos_type in ('bias', 'bias_tf'):
        return partial(_learned_rel_pos, RelPosBias if cfg.rel_pos_type == 'bias' else RelPosBiasTf, window_size)
    if cfg.rel_pos_type == 'mlp':
        return lambda num_heads: RelPosMlp(window_size, num_heads, hidden_dim=cfg.rel_pos_dim)
    if cfg.rel_pos_type in ('', 'none'):
        return None
    raise ValueError(f"Unknown rel_pos_type {cfg.rel_pos_type!r}; use 'bias', 'bias_tf', 'mlp' or ''.")


def _norm(name: str, eps: float) -> Callable[..., nn.Module]:
    return partial(get_norm_layer(name), eps=eps)


# ---- layers ------------------------------------------------------------------------------------------------------

# pool_type -> (kernel, stride, padding when not TF 'same')
_POOLS = dict(max=(3, 2, 1), max2=(2, 2, 0), avg=(3, 2, 1), avg2=(2, 2, 0))


class Downsample2d(nn.Module):
    """Halve a map with a pool ('max' / 'avg': 3x3 padded, 'max2' / 'avg2': 2x2), then widen with a 1x1 conv.

    Args:
        dim: input channels.
        dim_out: output channels (no conv when equal).
        pool_type: 'max', 'max2', 'avg' or 'avg2'.
        padding: '' (symmetric) or 'same' (TF, padded at run time for the actual input size).
        bias: bias of the widening conv.
    """

    def __init__(self, dim: int, dim_out: int, pool_type: str = 'avg2', padding: str = '', bias: bool = True):
        super().__init__()
        if pool_type not in _POOLS:
            raise ValueError(f'Unknown pool_type {pool_type!r}; choose one of {sorted(_POOLS)}.')
        kernel, stride, pad = _POOLS[pool_type]
        self.same_pad = padding == 'same'
        self.traceable_pad = use_traceable_pad()  # see zoo.layers.Conv2dSame
        self.is_max = pool_type.startswith('max')
        self.kernel, self.stride = kernel, stride
        pad = 0 if self.same_pad else pad
        if self.is_max:
            self.pool = nn.MaxPool2d(kernel, stride, padding=pad)
        else:
            # the padded 3x3 average ignores the padding, so border pixels are not dimmed
            self.pool = nn.AvgPool2d(kernel, stride, padding=pad, count_include_pad=False)
        self.expand = nn.Conv2d(dim, dim_out, 1, bias=bias) if dim != dim_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.same_pad:
            pad = pad_same_traceable if self.traceable_pad else pad_same
            x = pad(x, (self.kernel,) * 2, (self.stride,) * 2, value=-float('inf') if self.is_max else 0.)
        return self.expand(self.pool(x))


class RelPosAttention(nn.Module):
    """Multi-head self-attention over all positions of its input, with an optional relative position bias.

    Works on NCHW maps (projections as 1x1 convs) or on channels-last tensors (linear layers) of any number of
    spatial dims; either way the heads see the flattened positions.

    Args:
        dim: input channels.
        dim_out: output channels.
        dim_head: width per head.
        bias: biases of the projections.
        expand_first: a widening attention widens in its qkv projection (else in its output projection).
        head_first: qkv channels grouped per head rather than per q / k / v.
        rel_pos: builds the position bias for a head count.
        attn_drop: attention dropout.
        proj_drop: dropout after the output projection.
        channels_first: NCHW input / output.
    """

    def __init__(
            self,
            dim: int,
            dim_out: Optional[int] = None,
            dim_head: int = 32,
            bias: bool = True,
            expand_first: bool = True,
            head_first: bool = True,
            rel_pos: RelPosFactory = None,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            channels_first: bool = False,
    ):
        super().__init__()
        dim_out = dim_out or dim
        dim_attn = dim_out if expand_first and dim_out > dim else dim
        if dim_attn % dim_head:
            raise ValueError(f'Attention width {dim_attn} is not a multiple of dim_head {dim_head}.')
        self.num_heads = dim_attn // dim_head
        self.dim_head = dim_head
        self.head_first = head_first
        self.channels_first = channels_first
        linear = partial(nn.Conv2d, kernel_size=1) if channels_first else nn.Linear
        self.qkv = linear(dim, dim_attn * 3, bias=bias)
        self.rel_pos = rel_pos(self.num_heads) if rel_pos is not None else None
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = linear(dim_attn, dim_out, bias=bias)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        qkv = self.qkv(x)
        if self.channels_first:
            spatial = qkv.shape[2:]
            qkv = qkv.flatten(2).transpose(1, 2)
        else:
            spatial = qkv.shape[1:-1]
            qkv = qkv.reshape(b, -1, qkv.shape[-1])
        n = qkv.shape[1]
        if self.head_first:
            qkv = qkv.view(b, n, self.num_heads, 3, self.dim_head)
        else:
            qkv = qkv.view(b, n, 3, self.num_heads, self.dim_head).transpose(2, 3)
        q, k, v = qkv.permute(3, 0, 2, 1, 4).unbind(0)
        bias = self.rel_pos.get_bias().to(q.dtype) if self.rel_pos is not None else None
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=bias,
                                           dropout_p=self.attn_drop.p if self.training else 0.)
        x = x.transpose(1, 2).reshape(b, n, -1)
        if self.channels_first:
            x = x.transpose(1, 2).reshape(b, -1, *spatial)
        else:
            x = x.reshape(b, *spatial, -1)
        return self.proj_drop(self.proj(x))


# ---- blocks ------------------------------------------------------------------------------------------------------

class MbConvBlock(nn.Module):
    """Pre-norm inverted bottleneck: norm -> 1x1 expand -> kxk (depthwise) -> squeeze-excite -> 1x1 project.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: 1, or 2 to halve the map (where: `cfg.stride_mode`); the shortcut then pools and widens.
        cfg: conv block config.
        drop_path: stochastic depth rate.
    """

    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, cfg: MaxxVitConvCfg = MaxxVitConvCfg(),
                 drop_path: float = 0.):
        super().__init__()
        if cfg.stride_mode not in ('pool', '1x1', 'dw'):
            raise ValueError(f"MBConv stride_mode must be 'pool', '1x1' or 'dw', got {cfg.stride_mode!r}.")
        norm_act = partial(get_norm_act_layer(cfg.norm_layer, cfg.act_layer), eps=cfg.norm_eps)
        mid_chs = make_divisible((out_chs if cfg.expand_output else in_chs) * cfg.expand_ratio)
        groups = mid_chs // cfg.group_size if cfg.group_size else 1
        stride_pool, stride_1x1, stride_dw = (stride if cfg.stride_mode == m else 1 for m in ('pool', '1x1', 'dw'))

        self.shortcut = Downsample2d(in_chs, out_chs, cfg.pool_type, cfg.padding, cfg.output_bias) \
            if stride == 2 else nn.Identity()
        self.pre_norm = norm_act(in_chs, apply_act=cfg.pre_norm_act)
        self.down = Downsample2d(in_chs, in_chs, cfg.downsample_pool_type, cfg.padding) \
            if stride_pool > 1 else nn.Identity()
        self.conv1_1x1 = create_conv2d(in_chs, mid_chs, 1, stride=stride_1x1)
        self.norm1 = norm_act(mid_chs)
        self.conv2_kxk = create_conv2d(mid_chs, mid_chs, cfg.kernel_size, stride=stride_dw, groups=groups,
                                       padding=cfg.padding)
        attn_kwargs = {}
        if cfg.attn_layer == 'se':
            attn_kwargs = dict(act_layer=cfg.attn_act_layer,
                               rd_channels=int(cfg.attn_ratio * (out_chs if cfg.expand_output else mid_chs)))
        # two orders of channel attention and the second norm exist among the published weights
        attn = create_attn(cfg.attn_layer, mid_chs, **attn_kwargs)
        self.se_early = attn if cfg.attn_early else None
        self.norm2 = norm_act(mid_chs)
        self.se = None if cfg.attn_early else attn
        self.conv3_1x1 = create_conv2d(mid_chs, out_chs, 1, bias=cfg.output_bias)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.shortcut(x)
        x = self.norm1(self.conv1_1x1(self.down(self.pre_norm(x))))
        x = self.conv2_kxk(x)
        if self.se_early is not None:
            x = self.se_early(x)
        x = self.norm2(x)
        if self.se is not None:
            x = self.se(x)
        return self.drop_path(self.conv3_1x1(x)) + shortcut


class ConvNeXtBlock(nn.Module):
    """ConvNeXt block on NCHW maps: depthwise 7x7 -> norm -> 1x1 conv MLP -> layer scale, plus the shortcut.

    Args:
        in_chs: input channels.
        out_chs: output channels (a 1x1 conv or a pool + conv shortcut when they differ).
        kernel_size: depthwise kernel.
        stride: 1, or 2 ('dw': strided depthwise conv, 'pool': a pool first).
        cfg: conv block config.
        drop_path: stochastic depth rate.
    """

    def __init__(self, in_chs: int, out_chs: Optional[int] = None, kernel_size: int = 7, stride: int = 1,
                 cfg: MaxxVitConvCfg = MaxxVitConvCfg(), drop_path: float = 0.):
        super().__init__()
        out_chs = out_chs or in_chs
        if cfg.stride_mode not in ('pool', 'dw'):
            raise ValueError(f"ConvNeXt stride_mode must be 'pool' or 'dw', got {cfg.stride_mode!r}.")
        if stride == 2:
            self.shortcut = Downsample2d(in_chs, out_chs)
        elif in_chs != out_chs:
            self.shortcut = nn.Conv2d(in_chs, out_chs, 1, bias=cfg.output_bias)
        else:
            self.shortcut = nn.Identity()
        pool_stride = cfg.stride_mode == 'pool' and stride == 2
        self.down = Downsample2d(in_chs, in_chs, cfg.downsample_pool_type) if pool_stride else nn.Identity()
        self.conv_dw = create_conv2d(in_chs, out_chs, kernel_size, stride=1 if pool_stride else stride,
                                     depthwise=True, bias=cfg.output_bias)
        self.norm = _norm(cfg.norm_layer, cfg.norm_eps)(out_chs)
        self.mlp = Mlp(out_chs, int(cfg.expand_ratio * out_chs), bias=cfg.output_bias,
                       act_layer=get_act_layer(cfg.act_layer), use_conv=True)
        self.ls = LayerScale2d(out_chs, cfg.init_values) if cfg.init_values else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.shortcut(x)
        x = self.ls(self.mlp(self.norm(self.conv_dw(self.down(x)))))
        return self.drop_path(x) + shortcut


def _conv_block(in_chs: int, out_chs: int, stride: int, cfg: MaxxVitConvCfg, drop_path: float) -> nn.Module:
    block = ConvNeXtBlock if cfg.block_type == 'convnext' else MbConvBlock
    return block(in_chs, out_chs, stride=stride, cfg=cfg, drop_path=drop_path)


class TransformerBlock2d(nn.Module):
    """CoAtNet transformer block on NCHW maps: attention over the whole map and a 1x1-conv MLP, both pre-norm.

    A strided block pools before attention (and on the shortcut, which also widens): "pre-activation" downsampling,
    CoAtNet section 2.3.

    Args:
        dim: input channels.
        dim_out: output channels.
        stride: 1 or 2.
        rel_pos: position bias factory (its window is the block's output map).
        cfg: transformer block config.
        drop_path: stochastic depth rate.
    """

    def __init__(self, dim: int, dim_out: int, stride: int = 1, rel_pos: RelPosFactory = None,
                 cfg: MaxxVitTransformerCfg = MaxxVitTransformerCfg(), drop_path: float = 0.):
        super().__init__()
        norm_layer = _norm(cfg.norm_layer, cfg.norm_eps)
        if stride == 2:
            self.shortcut = Downsample2d(dim, dim_out, cfg.pool_type, bias=cfg.shortcut_bias)
            self.norm1 = nn.Sequential(OrderedDict([('norm', norm_layer(dim)),
                                                    ('down', Downsample2d(dim, dim, cfg.pool_type))]))
        else:
            if dim != dim_out:
                raise ValueError(f'A stride-1 transformer block keeps its width ({dim} != {dim_out}).')
            self.shortcut = nn.Identity()
            self.norm1 = norm_layer(dim)
        # this block always groups qkv channels per head, whatever the config says (published layout)
        self.attn = RelPosAttention(dim, dim_out, dim_head=cfg.dim_head, bias=cfg.attn_bias,
                                    expand_first=cfg.expand_first, rel_pos=rel_pos, attn_drop=cfg.attn_drop,
                                    proj_drop=cfg.proj_drop, channels_first=True)
        self.ls1 = LayerScale2d(dim_out, cfg.init_values) if cfg.init_values else nn.Identity()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim_out)
        self.mlp = Mlp(dim_out, int(dim_out * cfg.expand_ratio), act_layer=get_act_layer(cfg.act_layer),
                       drop=cfg.proj_drop, use_conv=True)
        self.ls2 = LayerScale2d(dim_out, cfg.init_values) if cfg.init_values else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def set_input_size(self, feat_size: Tuple[int, int], window_size: Optional[Tuple[int, int]] = None,
                       grid_size: Optional[Tuple[int, int]] = None) -> None:
        """The position bias covers the whole output map, so it follows `feat_size` (the partitions do not apply)."""
        if self.attn.rel_pos is not None:
            self.attn.rel_pos.set_window_size(feat_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.shortcut(x) + self.drop_path1(self.ls1(self.attn(self.norm1(x))))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


# partition type -> (split, merge) for channels-last and channels-first maps
_PARTITIONS = dict(
    block=((window_partition, window_reverse), (window_partition_nchw, window_reverse_nchw)),
    grid=((grid_partition, grid_reverse), (grid_partition_nchw, grid_reverse_nchw)),
)


class PartitionAttention(nn.Module):
    """Attention within block (window) or grid partitions, then an MLP, both pre-norm with residuals.

    Args:
        dim: channels.
        partition_type: 'block' (contiguous windows of `cfg.window_size`) or 'grid' (tokens `cfg.grid_size` apart).
        cfg: transformer block config (its `use_nchw_attn` picks NCHW maps over channels-last tensors).
        drop_path: stochastic depth rate.
    """

    def __init__(self, dim: int, partition_type: str = 'block', cfg: MaxxVitTransformerCfg = MaxxVitTransformerCfg(),
                 drop_path: float = 0.):
        super().__init__()
        self.partition_type = partition_type
        self.channels_first = cfg.use_nchw_attn
        self.partition_size = to_2tuple(cfg.window_size if partition_type == 'block' else cfg.grid_size)
        norm_layer = _norm(cfg.norm_layer if self.channels_first else cfg.norm_layer_cl, cfg.norm_eps)
        layer_scale = LayerScale2d if self.channels_first else LayerScale
        self.norm1 = norm_layer(dim)
        self.attn = RelPosAttention(dim, dim, dim_head=cfg.dim_head, bias=cfg.attn_bias, head_first=cfg.head_first,
                                    rel_pos=_rel_pos_factory(cfg, self.partition_size), attn_drop=cfg.attn_drop,
                                    proj_drop=cfg.proj_drop, channels_first=self.channels_first)
        self.ls1 = layer_scale(dim, cfg.init_values) if cfg.init_values else nn.Identity()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * cfg.expand_ratio), act_layer=get_act_layer(cfg.act_layer), drop=cfg.proj_drop,
                       use_conv=self.channels_first)
        self.ls2 = layer_scale(dim, cfg.init_values) if cfg.init_values else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def set_partition_size(self, partition_size: SizeT) -> None:
        self.partition_size = to_2tuple(partition_size)
        if self.attn.rel_pos is not None:
            self.attn.rel_pos.set_window_size(self.partition_size)

    def _partition_attn(self, x: torch.Tensor) -> torch.Tensor:
        split, merge = _PARTITIONS[self.partition_type][self.channels_first]
        hw = x.shape[2:] if self.channels_first else x.shape[1:3]
        return merge(self.attn(split(x, self.partition_size)), self.partition_size, hw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.ls1(self._partition_attn(self.norm1(x))))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class ParallelPartitionAttention(nn.Module):
    """Block and grid attention side by side on channels-last maps, each producing half the width, then one MLP.

    Args:
        dim: channels (even).
        cfg: transformer block config (window and grid must be equal).
        drop_path: stochastic depth rate.
    """

    def __init__(self, dim: int, cfg: MaxxVitTransformerCfg = MaxxVitTransformerCfg(), drop_path: float = 0.):
        super().__init__()
        if dim % 2 or cfg.window_size != cfg.grid_size:
            raise ValueError(f'Parallel partition attention needs an even width and window == grid, got {dim}, '
                             f'{cfg.window_size} vs {cfg.grid_size}.')
        norm_layer = _norm(cfg.norm_layer_cl, cfg.norm_eps)
        self.partition_size = to_2tuple(cfg.window_size)
        attn = partial(RelPosAttention, dim, dim // 2, dim_head=cfg.dim_head, bias=cfg.attn_bias,
                       head_first=cfg.head_first, rel_pos=_rel_pos_factory(cfg, self.partition_size),
                       attn_drop=cfg.attn_drop, proj_drop=cfg.proj_drop)
        self.norm1 = norm_layer(dim)
        self.attn_block = attn()
        self.attn_grid = attn()
        self.ls1 = LayerScale(dim, cfg.init_values) if cfg.init_values else nn.Identity()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * cfg.expand_ratio), out_features=dim, act_layer=get_act_layer(cfg.act_layer),
                       drop=cfg.proj_drop)
        self.ls2 = LayerScale(dim, cfg.init_values) if cfg.init_values else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def set_partition_size(self, partition_size: SizeT) -> None:
        self.partition_size = to_2tuple(partition_size)
        for attn in (self.attn_block, self.attn_grid):
            if attn.rel_pos is not None:
                attn.rel_pos.set_window_size(self.partition_size)

    def _partition_attn(self, x: torch.Tensor) -> torch.Tensor:
        hw, size = x.shape[1:3], self.partition_size
        x_block = window_reverse(self.attn_block(window_partition(x, size)), size, hw)
        x_grid = grid_reverse(self.attn_grid(grid_partition(x, size)), size, hw)
        return torch.cat([x_block, x_grid], dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.ls1(self._partition_attn(self.norm1(x))))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class MaxxVitBlock(nn.Module):
    """MaxViT block: a conv block, then block attention (unless `no_block_attn`) and grid attention.

    Args:
        dim: input channels.
        dim_out: output channels.
        stride: stride of the conv block.
        conv_cfg: conv block config.
        transformer_cfg: attention config.
        drop_path: stochastic depth rate (all three parts).
    """

    def __init__(self, dim: int, dim_out: int, stride: int = 1, conv_cfg: MaxxVitConvCfg = MaxxVitConvCfg(),
                 transformer_cfg: MaxxVitTransformerCfg = MaxxVitTransformerCfg(), drop_path: float = 0.):
        super().__init__()
        self.channels_last = not transformer_cfg.use_nchw_attn
        self.conv = _conv_block(dim, dim_out, stride, conv_cfg, drop_path)
        attn = partial(PartitionAttention, dim_out, cfg=transformer_cfg, drop_path=drop_path)
        self.attn_block = None if transformer_cfg.no_block_attn else attn(partition_type='block')
        self.attn_grid = attn(partition_type='grid')

    def set_input_size(self, feat_size: Tuple[int, int], window_size: Tuple[int, int],
                       grid_size: Tuple[int, int]) -> None:
        """Change the partitions (the map size itself does not matter to partition attention)."""
        if self.attn_block is not None:
            self.attn_block.set_partition_size(window_size)
        self.attn_grid.set_partition_size(grid_size)

    def _attend(self, x: torch.Tensor) -> torch.Tensor:
        if self.attn_block is not None:
            x = self.attn_block(x)
        return self.attn_grid(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if not self.channels_last:
            return self._attend(x)
        # the conv block works on NCHW, the channels-last attention layers on NHWC
        return self._attend(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ParallelMaxxVitBlock(nn.Module):
    """Two conv blocks (the first strided), then parallel block + grid attention with one MLP.

    Args:
        dim: input channels.
        dim_out: output channels.
        stride: stride of the first conv block.
        conv_cfg: conv block config.
        transformer_cfg: attention config.
        drop_path: stochastic depth rate.
    """

    def __init__(self, dim: int, dim_out: int, stride: int = 1, conv_cfg: MaxxVitConvCfg = MaxxVitConvCfg(),
                 transformer_cfg: MaxxVitTransformerCfg = MaxxVitTransformerCfg(), drop_path: float = 0.):
        super().__init__()
        self.conv = nn.Sequential(_conv_block(dim, dim_out, stride, conv_cfg, drop_path),
                                  _conv_block(dim_out, dim_out, 1, conv_cfg, drop_path))
        self.attn = ParallelPartitionAttention(dim_out, cfg=transformer_cfg, drop_path=drop_path)

    def set_input_size(self, feat_size: Tuple[int, int], window_size: Tuple[int, int],
                       grid_size: Tuple[int, int]) -> None:
        if to_2tuple(window_size) != to_2tuple(grid_size):
            raise ValueError(f'Parallel partition attention needs window == grid, got {window_size}, {grid_size}.')
        self.attn.set_partition_size(window_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return self.attn(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


# ---- stages and model --------------------------------------------------------------------------------------------

class MaxxVitStage(nn.Module):
    """A stage of blocks of the given types; the first block strides by 2.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: stride of the first block.
        depth: number of blocks.
        feat_size: (H, W) of the stage's output map (the window of 'T' blocks' position bias).
        block_types: 'C', 'T', 'M' or 'PM', or one per block (the last one repeated to `depth`).
        transformer_cfg: attention config.
        conv_cfg: conv block config.
        drop_path: per-block stochastic depth rates.
    """
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int = 2,
            depth: int = 4,
            feat_size: Tuple[int, int] = (14, 14),
            block_types: Union[str, Sequence[str]] = 'C',
            transformer_cfg: MaxxVitTransformerCfg = MaxxVitTransformerCfg(),
            conv_cfg: MaxxVitConvCfg = MaxxVitConvCfg(),
            drop_path: Sequence[float] = (),
    ):
        super().__init__()
        types = (block_types,) if isinstance(block_types, str) else tuple(block_types)
        types = (types + (types[-1],) * depth)[:depth]
        rates = list(drop_path) or [0.] * depth
        blocks = []
        for i, kind in enumerate(types):
            block_stride = stride if i == 0 else 1
            if kind == 'C':
                block = _conv_block(in_chs, out_chs, block_stride, conv_cfg, rates[i])
            elif kind == 'T':
                block = TransformerBlock2d(in_chs, out_chs, block_stride, _rel_pos_factory(transformer_cfg, feat_size),
                                           transformer_cfg, rates[i])
            elif kind in ('M', 'PM'):
                block_cls = MaxxVitBlock if kind == 'M' else ParallelMaxxVitBlock
                block = block_cls(in_chs, out_chs, block_stride, conv_cfg, transformer_cfg, rates[i])
            else:
                raise ValueError(f"Unknown block type {kind!r}; use 'C', 'T', 'M' or 'PM'.")
            blocks.append(block)
            in_chs = out_chs
        self.blocks = CheckpointSequential(*blocks)

    def set_input_size(self, feat_size: Tuple[int, int], window_size: Tuple[int, int],
                       grid_size: Tuple[int, int]) -> None:
        for block in self.blocks:
            if hasattr(block, 'set_input_size'):
                block.set_input_size(feat_size, window_size, grid_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class Stem(nn.Module):
    """3x3 stride-2 conv -> norm + act -> 3x3 conv.

    Args:
        in_chs: input channels.
        out_chs: width of both convs, or (first, second).
        kernel_size: conv kernel.
        padding: '' or TF 'same'.
        bias: conv biases.
        act_layer: activation after the first conv.
        norm_layer: norm after the first conv.
        norm_eps: its eps.
    """

    def __init__(self, in_chs: int, out_chs: Union[int, Tuple[int, int]], kernel_size: int = 3, padding: str = '',
                 bias: bool = False, act_layer: str = 'gelu', norm_layer: str = 'batchnorm2d', norm_eps: float = 1e-5):
        super().__init__()
        out_chs = to_2tuple(out_chs)
        self.out_chs = out_chs[-1]
        self.stride = 2
        self.conv1 = create_conv2d(in_chs, out_chs[0], kernel_size, stride=2, padding=padding, bias=bias)
        self.norm1 = partial(get_norm_act_layer(norm_layer, act_layer), eps=norm_eps)(out_chs[0])
        self.conv2 = create_conv2d(out_chs[0], out_chs[1], kernel_size, stride=1, padding=padding, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.norm1(self.conv1(x)))


def make_stages(
        cfg: MaxxVitCfg,
        transformer_cfg: MaxxVitTransformerCfg,
        in_chs: int,
        feat_size: Tuple[int, int],
        drop_path_rate: float,
) -> Tuple[List[MaxxVitStage], List[Dict[str, Any]]]:
    """The stages (each halving the map) and their feature_info entries (reductions counted from the stem's 2)."""
    if len(cfg.depths) != len(cfg.embed_dim):
        raise ValueError(f'One depth per stage width: {cfg.depths} vs {cfg.embed_dim}.')
    rates = stagewise_drop_path_rates(drop_path_rate, cfg.depths)
    stages, feature_info, reduction = [], [], 2
    for i, (depth, out_chs) in enumerate(zip(cfg.depths, cfg.embed_dim)):
        feat_size = tuple((r - 1) // 2 + 1 for r in feat_size)
        reduction *= 2
        stages.append(MaxxVitStage(in_chs, out_chs, depth=depth, block_types=cfg.block_type[i],
                                   transformer_cfg=transformer_cfg, conv_cfg=cfg.conv_cfg, feat_size=feat_size,
                                   drop_path=rates[i]))
        feature_info.append(dict(num_chs=out_chs, reduction=reduction, module=f'stages.{i}'))
        in_chs = out_chs
    return stages, feature_info


class MaxxVit(ZooModel):
    """CoAtNet / MaxViT / MaxxViT trunk + head, built from a `MaxxVitCfg`.

    Feature levels: the stem (stride 2), then each stage (strides 4 to 32).

    Args:
        cfg: the architecture.
        img_size: input size (sets the default windows / grids and the 'T' blocks' bias windows).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', or '' for unpooled maps.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        **kwargs: `conv_<field>`, `transformer_<field>` or `<field>` overrides of `cfg`.
    """
    groups = dict(stem=r'^stem', blocks=[(r'^stages\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            cfg: MaxxVitCfg,
            img_size: SizeT = 224,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            **kwargs: Any,
    ):
        super().__init__()
        if kwargs:
            cfg = _override_cfg(cfg, **kwargs)
        if cfg.weight_init not in _INIT_SCHEMES:
            raise ValueError(f'weight_init must be one of {_INIT_SCHEMES}, got {cfg.weight_init!r}.')
        img_size = to_2tuple(img_size)
        transformer_cfg = _partition_sizes(cfg.transformer_cfg, img_size)
        self.img_size = img_size
        self.partition_ratio = transformer_cfg.partition_ratio
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        self.num_features = self.embed_dim = cfg.embed_dim[-1]

        conv = cfg.conv_cfg
        self.stem = Stem(in_chans, cfg.stem_width, padding=conv.padding, bias=cfg.stem_bias, act_layer=conv.act_layer,
                         norm_layer=conv.norm_layer, norm_eps=conv.norm_eps)
        stages, stage_info = make_stages(cfg, transformer_cfg, self.stem.out_chs,
                                         tuple(s // self.stem.stride for s in img_size), drop_path_rate)
        self.stages = nn.Sequential(*stages)
        self.feature_info = [dict(num_chs=self.stem.out_chs, reduction=2, module='stem')] + stage_info
        self.trunk = Trunk(levels=(('stem',),) + tuple((f'stages.{i}',) for i in range(len(stages))),
                           final=('norm',))

        final_norm = _norm(cfg.transformer_cfg.norm_layer, cfg.transformer_cfg.norm_eps)
        if cfg.head_hidden_size:
            # the final norm runs after pooling, inside the head
            self.norm = nn.Identity()
            self.head = NormMlpClassifierHead(self.num_features, num_classes, hidden_size=cfg.head_hidden_size,
                                              pool_type=global_pool, drop_rate=drop_rate, norm_layer=final_norm)
        else:
            self.norm = final_norm(self.num_features)
            self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        self.head_hidden_size = getattr(self.head, 'num_features', self.num_features)
        if cfg.weight_init:
            _init_weights(self, cfg.weight_init)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {n for n, _ in self.named_parameters() if 'relative_position_bias_table' in n or 'rel_pos.mlp' in n}

    def set_input_size(
            self,
            img_size: Optional[SizeT] = None,
            window_size: Optional[SizeT] = None,
            grid_size: Optional[SizeT] = None,
            partition_ratio: Optional[int] = None,
    ) -> None:
        """Adapt to another input size and/or partitions, resampling the learned position biases.

        Args:
            img_size: new input size (the current one when None).
            window_size: block-attention window (default: input size // partition_ratio).
            grid_size: grid-attention grid (default: input size // partition_ratio).
            partition_ratio: new divisor for the default windows and grids.
        """
        if img_size is not None:
            self.img_size = to_2tuple(img_size)
        if partition_ratio is not None:
            self.partition_ratio = partition_ratio
        default = tuple(s // self.partition_ratio for s in self.img_size)
        window_size = to_2tuple(window_size) if window_size is not None else default
        grid_size = to_2tuple(grid_size) if grid_size is not None else default
        feat_size = tuple(s // self.stem.stride for s in self.img_size)
        for stage in self.stages:
            feat_size = tuple((r - 1) // 2 + 1 for r in feat_size)
            stage.set_input_size(feat_size, window_size, grid_size)
        self._record_input_size(self.img_size)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.stages(self.stem(x)))


# ---- weight init -------------------------------------------------------------------------------------------------

_INIT_SCHEMES = ('', 'normal', 'trunc_normal', 'xavier_normal', 'vit_eff')


def _init_layer(module: nn.Module, name: str, scheme: str, conv_part: bool) -> None:
    """Init one conv / linear layer: 'vit_eff' (the default) is Xavier-uniform for attention parts (MLP biases
    ~1e-6) and EfficientNet's fan-out normal for conv parts; the other schemes apply to both."""
    is_conv = isinstance(module, nn.Conv2d)
    if not (is_conv or (isinstance(module, nn.Linear) and not conv_part)):
        return
    if scheme == 'normal':
        nn.init.normal_(module.weight, std=.02)
    elif scheme == 'trunc_normal':
        trunc_normal_(module.weight, std=.02, a=-.04, b=.04)
    elif scheme == 'xavier_normal':
        nn.init.xavier_normal_(module.weight)
    elif conv_part:
        fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels // module.groups
        nn.init.normal_(module.weight, 0, math.sqrt(2.0 / fan_out))
    else:
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None and 'mlp' in name:
            nn.init.normal_(module.bias, std=1e-6)
            return
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def _init_weights(model: MaxxVit, scheme: str) -> None:
    """Init the stem, the conv and attention parts of the blocks; heads (and ConvNeXt blocks standing alone in a
    stage) keep PyTorch's init, as in the recipe the published weights were trained with."""
    conv_init = partial(_init_layer, scheme=scheme, conv_part=True)
    attn_init = partial(_init_layer, scheme=scheme, conv_part=False)
    named_apply(conv_init, model.stem)
    for stage in model.stages:
        for block in stage.blocks:
            if isinstance(block, MbConvBlock):
                named_apply(conv_init, block)
            elif isinstance(block, TransformerBlock2d):
                named_apply(attn_init, block)
            elif isinstance(block, (MaxxVitBlock, ParallelMaxxVitBlock)):
                for name, child in block.named_children():
                    if child is not None:
                        named_apply(conv_init if name == 'conv' else attn_init, child)


# ---- architectures -----------------------------------------------------------------------------------------------

def _coat_rw(stride_mode: str = 'pool', pool_type: str = 'avg2', conv_output_bias: bool = False,
             conv_attn_early: bool = False, conv_attn_act_layer: str = 'relu', conv_norm_layer: str = '',
             transformer_shortcut_bias: bool = True, transformer_norm_layer: str = 'layernorm2d',
             init_values: Optional[float] = None, rel_pos_type: str = 'bias',
             rel_pos_dim: int = 512) -> Dict[str, Any]:
    """timm's own CoAtNet recipe (trained before the official MaxViT code): activated pre-norm, expansion from the
    input width, no bias in the MBConv output, ReLU in SE, SiLU convs, widening in the attention output."""
    return dict(
        conv_cfg=MaxxVitConvCfg(stride_mode=stride_mode, pool_type=pool_type, pre_norm_act=True, expand_output=False,
                                output_bias=conv_output_bias, attn_early=conv_attn_early,
                                attn_act_layer=conv_attn_act_layer, act_layer='silu', norm_layer=conv_norm_layer),
        transformer_cfg=MaxxVitTransformerCfg(expand_first=False, shortcut_bias=transformer_shortcut_bias,
                                              pool_type=pool_type, init_values=init_values,
                                              norm_layer=transformer_norm_layer, rel_pos_type=rel_pos_type,
                                              rel_pos_dim=rel_pos_dim),
    )


def _max_rw(stride_mode: str = 'dw', conv_output_bias: bool = False, conv_attn_ratio: float = 1 / 16,
            init_values: Optional[float] = None, rel_pos_type: str = 'bias', rel_pos_dim: int = 512) -> Dict[str, Any]:
    """timm's own MaxViT recipe: expansion from the input width, SiLU convs, widening in the attention output."""
    return dict(
        conv_cfg=MaxxVitConvCfg(stride_mode=stride_mode, expand_output=False, output_bias=conv_output_bias,
                                attn_ratio=conv_attn_ratio, act_layer='silu'),
        transformer_cfg=MaxxVitTransformerCfg(expand_first=False, init_values=init_values,
                                              rel_pos_type=rel_pos_type, rel_pos_dim=rel_pos_dim),
    )


def _maxx(no_block_attn: bool = False, init_values: Tuple[Optional[float], Optional[float]] = (1e-6, 1e-6),
          rel_pos_type: str = 'mlp') -> Dict[str, Any]:
    """ConvNeXt conv blocks with MaxViT attention (timm experiments); init_values: (conv, attention) layer scale."""
    return dict(
        conv_cfg=MaxxVitConvCfg(block_type='convnext', expand_output=False, init_values=init_values[0]),
        transformer_cfg=MaxxVitTransformerCfg(expand_first=False, no_block_attn=no_block_attn,
                                              init_values=init_values[1], rel_pos_type=rel_pos_type),
    )


def _tf() -> Dict[str, Any]:
    """The TensorFlow MaxViT release: TF padding and BatchNorm eps, tanh-GELU, per-q/k/v qkv channel groups."""
    return dict(
        conv_cfg=MaxxVitConvCfg(norm_eps=1e-3, act_layer='gelu_tanh', padding='same'),
        transformer_cfg=MaxxVitTransformerCfg(norm_eps=1e-5, act_layer='gelu_tanh', head_first=False,
                                              rel_pos_type='bias_tf'),
    )


_M4 = ('M',) * 4
_W64 = (64, 128, 256, 512)
_W96 = (96, 192, 384, 768)

model_cfgs = dict(
    # timm CoAtNets (ImageNet-1k / 12k training), fixed bias tables
    coatnet_pico_rw=MaxxVitCfg(embed_dim=_W64, depths=(2, 3, 5, 2), stem_width=(32, 64),
                               **_max_rw(conv_output_bias=True, conv_attn_ratio=0.25)),
    coatnet_nano_rw=MaxxVitCfg(embed_dim=_W64, depths=(3, 4, 6, 3), stem_width=(32, 64),
                               **_max_rw(stride_mode='pool', conv_output_bias=True, conv_attn_ratio=0.25)),
    coatnet_0_rw=MaxxVitCfg(embed_dim=_W96, depths=(2, 3, 7, 2), stem_width=(32, 64),
                            **_coat_rw(conv_attn_early=True, transformer_shortcut_bias=False)),
    coatnet_1_rw=MaxxVitCfg(embed_dim=_W96, depths=(2, 6, 14, 2), stem_width=(32, 64),
                            **_coat_rw(stride_mode='dw', conv_attn_early=True, transformer_shortcut_bias=False)),
    coatnet_2_rw=MaxxVitCfg(embed_dim=(128, 256, 512, 1024), depths=(2, 6, 14, 2), stem_width=(64, 128),
                            **_coat_rw(stride_mode='dw', conv_attn_act_layer='silu')),
    coatnet_3_rw=MaxxVitCfg(embed_dim=(192, 384, 768, 1536), depths=(2, 6, 14, 2), stem_width=(96, 192),
                            **_coat_rw(stride_mode='dw', conv_attn_act_layer='silu', init_values=1e-6)),
    # experimental CoAtNets: BatchNorm attention blocks, MLP position bias
    coatnet_bn_0_rw=MaxxVitCfg(embed_dim=_W96, depths=(2, 3, 7, 2), stem_width=(32, 64),
                               **_coat_rw(stride_mode='dw', conv_attn_early=True, transformer_shortcut_bias=False,
                                          transformer_norm_layer='batchnorm2d')),
    coatnet_rmlp_nano_rw=MaxxVitCfg(embed_dim=_W64, depths=(3, 4, 6, 3), stem_width=(32, 64),
                                    **_max_rw(conv_output_bias=True, conv_attn_ratio=0.25, rel_pos_type='mlp',
                                              rel_pos_dim=384)),
    coatnet_rmlp_0_rw=MaxxVitCfg(embed_dim=_W96, depths=(2, 3, 7, 2), stem_width=(32, 64),
                                 **_coat_rw(stride_mode='dw', rel_pos_type='mlp')),
    coatnet_rmlp_1_rw=MaxxVitCfg(embed_dim=_W96, depths=(2, 6, 14, 2), stem_width=(32, 64),
                                 **_coat_rw(pool_type='max', conv_attn_early=True, transformer_shortcut_bias=False,
                                            rel_pos_type='mlp', rel_pos_dim=384)),
    coatnet_rmlp_1_rw2=MaxxVitCfg(embed_dim=_W96, depths=(2, 6, 14, 2), stem_width=(32, 64),
                                  **_coat_rw(stride_mode='dw', rel_pos_type='mlp')),
    coatnet_rmlp_2_rw=MaxxVitCfg(embed_dim=(128, 256, 512, 1024), depths=(2, 6, 14, 2), stem_width=(64, 128),
                                 **_coat_rw(stride_mode='dw', conv_attn_act_layer='silu', init_values=1e-6,
                                            rel_pos_type='mlp')),
    coatnet_rmlp_3_rw=MaxxVitCfg(embed_dim=(192, 384, 768, 1536), depths=(2, 6, 14, 2), stem_width=(96, 192),
                                 **_coat_rw(stride_mode='dw', conv_attn_act_layer='silu', init_values=1e-6,
                                            rel_pos_type='mlp')),
    coatnet_nano_cc=MaxxVitCfg(embed_dim=_W64, depths=(3, 4, 6, 3), stem_width=(32, 64),
                               block_type=('C', 'C', ('C', 'T'), ('C', 'T')), **_coat_rw()),
    coatnext_nano_rw=MaxxVitCfg(embed_dim=_W64, depths=(3, 4, 6, 3), stem_width=(32, 64), weight_init='normal',
                                **_maxx(rel_pos_type='bias', init_values=(1e-5, None))),
    # CoAtNet paper sizes (Dai et al., table 3); no published weights
    coatnet_0=MaxxVitCfg(embed_dim=_W96, depths=(2, 3, 5, 2), stem_width=64, head_hidden_size=768),
    coatnet_1=MaxxVitCfg(embed_dim=_W96, depths=(2, 6, 14, 2), stem_width=64, head_hidden_size=768),
    coatnet_2=MaxxVitCfg(embed_dim=(128, 256, 512, 1024), depths=(2, 6, 14, 2), stem_width=128,
                         head_hidden_size=1024),
    coatnet_3=MaxxVitCfg(embed_dim=(192, 384, 768, 1536), depths=(2, 6, 14, 2), stem_width=192,
                         head_hidden_size=1536),
    coatnet_4=MaxxVitCfg(embed_dim=(192, 384, 768, 1536), depths=(2, 12, 28, 2), stem_width=192,
                         head_hidden_size=1536),
    coatnet_5=MaxxVitCfg(embed_dim=(256, 512, 1280, 2048), depths=(2, 12, 28, 2), stem_width=192,
                         head_hidden_size=2048),
    # timm MaxViTs
    maxvit_pico_rw=MaxxVitCfg(embed_dim=(32, 64, 128, 256), depths=(2, 2, 5, 2), block_type=_M4,
                              stem_width=(24, 32), **_max_rw()),
    maxvit_nano_rw=MaxxVitCfg(embed_dim=_W64, depths=(1, 2, 3, 1), block_type=_M4, stem_width=(32, 64), **_max_rw()),
    maxvit_tiny_rw=MaxxVitCfg(embed_dim=_W64, depths=(2, 2, 5, 2), block_type=_M4, stem_width=(32, 64), **_max_rw()),
    maxvit_tiny_pm=MaxxVitCfg(embed_dim=_W64, depths=(2, 2, 5, 2), block_type=('PM',) * 4, stem_width=(32, 64),
                              **_max_rw()),
    maxvit_rmlp_pico_rw=MaxxVitCfg(embed_dim=(32, 64, 128, 256), depths=(2, 2, 5, 2), block_type=_M4,
                                   stem_width=(24, 32), **_max_rw(rel_pos_type='mlp')),
    maxvit_rmlp_nano_rw=MaxxVitCfg(embed_dim=_W64, depths=(1, 2, 3, 1), block_type=_M4, stem_width=(32, 64),
                                   **_max_rw(rel_pos_type='mlp')),
    maxvit_rmlp_tiny_rw=MaxxVitCfg(embed_dim=_W64, depths=(2, 2, 5, 2), block_type=_M4, stem_width=(32, 64),
                                   **_max_rw(rel_pos_type='mlp')),
    maxvit_rmlp_small_rw=MaxxVitCfg(embed_dim=_W96, depths=(2, 2, 5, 2), block_type=_M4, stem_width=(32, 64),
                                    **_max_rw(rel_pos_type='mlp', init_values=1e-6)),
    maxvit_rmlp_base_rw=MaxxVitCfg(embed_dim=_W96, depths=(2, 6, 14, 2), block_type=_M4, stem_width=(32, 64),
                                   head_hidden_size=768, **_max_rw(rel_pos_type='mlp')),
    # MaxxViT: ConvNeXt conv blocks; V2: grid attention only, wider
    maxxvit_rmlp_nano_rw=MaxxVitCfg(embed_dim=_W64, depths=(1, 2, 3, 1), block_type=_M4, stem_width=(32, 64),
                                    weight_init='normal', **_maxx()),
    maxxvit_rmlp_tiny_rw=MaxxVitCfg(embed_dim=_W64, depths=(2, 2, 5, 2), block_type=_M4, stem_width=(32, 64),
                                    **_maxx()),
    maxxvit_rmlp_small_rw=MaxxVitCfg(embed_dim=_W96, depths=(2, 2, 5, 2), block_type=_M4, stem_width=(48, 96),
                                     **_maxx()),
    maxxvitv2_nano_rw=MaxxVitCfg(embed_dim=_W96, depths=(1, 2, 3, 1), block_type=_M4, stem_width=(48, 96),
                                 weight_init='normal', **_maxx(no_block_attn=True, rel_pos_type='bias')),
    maxxvitv2_rmlp_base_rw=MaxxVitCfg(embed_dim=(128, 256, 512, 1024), depths=(2, 6, 12, 2), block_type=_M4,
                                      stem_width=(64, 128), **_maxx(no_block_attn=True)),
    maxxvitv2_rmlp_large_rw=MaxxVitCfg(embed_dim=(160, 320, 640, 1280), depths=(2, 6, 16, 2), block_type=_M4,
                                       stem_width=(80, 160), head_hidden_size=1280, **_maxx(no_block_attn=True)),
    # MaxViT paper sizes (Tu et al., table 1), in the layout of the TensorFlow release
    maxvit_tiny_tf=MaxxVitCfg(embed_dim=_W64, depths=(2, 2, 5, 2), block_type=_M4, stem_width=64, stem_bias=True,
                              head_hidden_size=512, **_tf()),
    maxvit_small_tf=MaxxVitCfg(embed_dim=_W96, depths=(2, 2, 5, 2), block_type=_M4, stem_width=64, stem_bias=True,
                               head_hidden_size=768, **_tf()),
    maxvit_base_tf=MaxxVitCfg(embed_dim=_W96, depths=(2, 6, 14, 2), block_type=_M4, stem_width=64, stem_bias=True,
                              head_hidden_size=768, **_tf()),
    maxvit_large_tf=MaxxVitCfg(embed_dim=(128, 256, 512, 1024), depths=(2, 6, 14, 2), block_type=_M4,
                               stem_width=128, stem_bias=True, head_hidden_size=1024, **_tf()),
    maxvit_xlarge_tf=MaxxVitCfg(embed_dim=(192, 384, 768, 1536), depths=(2, 6, 14, 2), block_type=_M4,
                                stem_width=192, stem_bias=True, head_hidden_size=1536, **_tf()),
    # tiny models for tests
    test_maxvit=MaxxVitCfg(embed_dim=(32, 64, 96, 128), depths=(1, 1, 1, 1), block_type=_M4, stem_width=(16, 32),
                           **_max_rw()),
    test_coatnet=MaxxVitCfg(embed_dim=(32, 64, 96, 128), depths=(1, 1, 2, 1), stem_width=(16, 32),
                            **_max_rw(stride_mode='pool', conv_output_bias=True, conv_attn_ratio=0.25)),
)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Fit a checkpoint to `model`: bias tables resampled to its windows (another input size or partition), and
    1x1-conv / linear weights reshaped into each other (the two attention layouts hold the same numbers)."""
    own = model.state_dict()
    out = {}
    for key, value in state_dict.items():
        target = own.get(key)
        if target is not None and value.ndim != target.ndim and value.numel() == target.numel() \
                and value.ndim in (2, 4):
            value = value.reshape(target.shape)
        out[key] = value
    return resize_rel_pos_tables(out, model)


def _create_maxxvit(variant: str, cfg_name: str, pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    return build_model_with_cfg(MaxxVit, variant, pretrained, model_cfg=model_cfgs[cfg_name],
                                pretrained_filter_fn=checkpoint_filter_fn, feature_cfg=dict(flatten_sequential=True),
                                **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(first_conv='stem.conv1', classifier='head.fc', input_size=(3, 224, 224), pool_size=(7, 7),
               crop_pct=0.95, interpolation='bicubic', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
               fixed_input_size=True, license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_IN_NORM = dict(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD)
_R256 = dict(input_size=(3, 256, 256), pool_size=(8, 8))
_R384 = dict(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0, crop_mode='squash')
_R512 = dict(input_size=(3, 512, 512), pool_size=(16, 16), crop_pct=1.0, crop_mode='squash')
_IN12K = dict(num_classes=11821)
_IN21K = dict(num_classes=21843)

# Tags of timm's weights (timm/<arch>.<tag> on the Hub); `untrained` tags have none. First tag = default.
default_cfgs = generate_default_cfgs({
    'coatnet_pico_rw_224.untrained': _cfg(),
    'coatnet_nano_rw_224.sw_in1k': _cfg(hf_hub_id='timm/', crop_pct=0.9),
    'coatnet_0_rw_224.sw_in1k': _cfg(hf_hub_id='timm/'),
    'coatnet_1_rw_224.sw_in1k': _cfg(hf_hub_id='timm/'),
    'coatnet_2_rw_224.sw_in12k_ft_in1k': _cfg(hf_hub_id='timm/'),
    'coatnet_2_rw_224.sw_in12k': _cfg(hf_hub_id='timm/', **_IN12K),
    'coatnet_rmlp_1_rw2_224.sw_in12k_ft_in1k': _cfg(hf_hub_id='timm/'),
    'coatnet_rmlp_1_rw2_224.sw_in12k': _cfg(hf_hub_id='timm/', **_IN12K),
    'coatnet_rmlp_2_rw_224.sw_in12k_ft_in1k': _cfg(hf_hub_id='timm/'),
    'coatnet_rmlp_2_rw_224.sw_in1k': _cfg(hf_hub_id='timm/'),
    'coatnet_rmlp_2_rw_224.sw_in12k': _cfg(hf_hub_id='timm/', **_IN12K),
    'coatnet_rmlp_2_rw_384.sw_in12k_ft_in1k': _cfg(hf_hub_id='timm/', **_R384),
    'coatnet_bn_0_rw_224.sw_in1k': _cfg(hf_hub_id='timm/', **_IN_NORM),
    'coatnet_rmlp_nano_rw_224.sw_in1k': _cfg(hf_hub_id='timm/', crop_pct=0.9),
    'coatnet_rmlp_0_rw_224.untrained': _cfg(),
    'coatnet_rmlp_1_rw_224.sw_in1k': _cfg(hf_hub_id='timm/'),
    'coatnet_rmlp_3_rw_224.untrained': _cfg(),
    'coatnet_nano_cc_224.untrained': _cfg(),
    'coatnext_nano_rw_224.sw_in1k': _cfg(hf_hub_id='timm/', crop_pct=0.9),
    'coatnet_3_rw_224.sw_in12k': _cfg(hf_hub_id='timm/', **_IN12K),
    'coatnet_0_224.untrained': _cfg(),
    'coatnet_1_224.untrained': _cfg(),
    'coatnet_2_224.untrained': _cfg(),
    'coatnet_3_224.untrained': _cfg(),
    'coatnet_4_224.untrained': _cfg(),
    'coatnet_5_224.untrained': _cfg(),
    'maxvit_pico_rw_256.untrained': _cfg(**_R256),
    'maxvit_nano_rw_256.sw_in1k': _cfg(hf_hub_id='timm/', **_R256),
    'maxvit_tiny_rw_224.sw_in1k': _cfg(hf_hub_id='timm/'),
    'maxvit_tiny_rw_256.untrained': _cfg(**_R256),
    'maxvit_tiny_pm_256.untrained': _cfg(**_R256),
    'maxvit_rmlp_pico_rw_256.sw_in1k': _cfg(hf_hub_id='timm/', **_R256),
    'maxvit_rmlp_nano_rw_256.sw_in1k': _cfg(hf_hub_id='timm/', **_R256),
    'maxvit_rmlp_tiny_rw_256.sw_in1k': _cfg(hf_hub_id='timm/', **_R256),
    'maxvit_rmlp_small_rw_224.sw_in1k': _cfg(hf_hub_id='timm/', crop_pct=0.9),
    'maxvit_rmlp_small_rw_256.untrained': _cfg(**_R256),
    'maxvit_rmlp_base_rw_224.sw_in12k_ft_in1k': _cfg(hf_hub_id='timm/'),
    'maxvit_rmlp_base_rw_224.sw_in12k': _cfg(hf_hub_id='timm/', **_IN12K),
    'maxvit_rmlp_base_rw_384.sw_in12k_ft_in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxxvit_rmlp_nano_rw_256.sw_in1k': _cfg(hf_hub_id='timm/', **_R256),
    'maxxvit_rmlp_tiny_rw_256.untrained': _cfg(**_R256),
    'maxxvit_rmlp_small_rw_256.sw_in1k': _cfg(hf_hub_id='timm/', **_R256),
    'maxxvitv2_nano_rw_256.sw_in1k': _cfg(hf_hub_id='timm/', **_R256),
    'maxxvitv2_rmlp_base_rw_224.sw_in12k_ft_in1k': _cfg(hf_hub_id='timm/'),
    'maxxvitv2_rmlp_base_rw_224.sw_in12k': _cfg(hf_hub_id='timm/', **_IN12K),
    'maxxvitv2_rmlp_base_rw_384.sw_in12k_ft_in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxxvitv2_rmlp_large_rw_224.untrained': _cfg(),
    'maxvit_tiny_tf_224.in1k': _cfg(hf_hub_id='timm/', **_IN_NORM),
    'maxvit_tiny_tf_384.in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxvit_tiny_tf_512.in1k': _cfg(hf_hub_id='timm/', **_R512),
    'maxvit_small_tf_224.in1k': _cfg(hf_hub_id='timm/', **_IN_NORM),
    'maxvit_small_tf_384.in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxvit_small_tf_512.in1k': _cfg(hf_hub_id='timm/', **_R512),
    'maxvit_base_tf_224.in1k': _cfg(hf_hub_id='timm/', **_IN_NORM),
    'maxvit_base_tf_224.in21k': _cfg(hf_hub_id='timm/', **_IN21K),
    'maxvit_base_tf_384.in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxvit_base_tf_384.in21k_ft_in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxvit_base_tf_512.in1k': _cfg(hf_hub_id='timm/', **_R512),
    'maxvit_base_tf_512.in21k_ft_in1k': _cfg(hf_hub_id='timm/', **_R512),
    'maxvit_large_tf_224.in1k': _cfg(hf_hub_id='timm/', **_IN_NORM),
    'maxvit_large_tf_224.in21k': _cfg(hf_hub_id='timm/', **_IN21K),
    'maxvit_large_tf_384.in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxvit_large_tf_384.in21k_ft_in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxvit_large_tf_512.in1k': _cfg(hf_hub_id='timm/', **_R512),
    'maxvit_large_tf_512.in21k_ft_in1k': _cfg(hf_hub_id='timm/', **dict(_R512, pool_size=(7, 7))),
    'maxvit_xlarge_tf_224.in21k': _cfg(hf_hub_id='timm/', **_IN21K),
    'maxvit_xlarge_tf_384.in21k_ft_in1k': _cfg(hf_hub_id='timm/', **_R384),
    'maxvit_xlarge_tf_512.in21k_ft_in1k': _cfg(hf_hub_id='timm/', **_R512),
    'test_maxvit.untrained': _cfg(input_size=(3, 160, 160), pool_size=(5, 5)),
    'test_coatnet.untrained': _cfg(input_size=(3, 160, 160), pool_size=(5, 5)),
})


@register_model
def coatnet_pico_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-pico, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_pico_rw_224', 'coatnet_pico_rw', pretrained, **kwargs)


@register_model
def coatnet_nano_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-nano, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_nano_rw_224', 'coatnet_nano_rw', pretrained, **kwargs)


@register_model
def coatnet_0_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-0, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_0_rw_224', 'coatnet_0_rw', pretrained, **kwargs)


@register_model
def coatnet_1_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-1, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_1_rw_224', 'coatnet_1_rw', pretrained, **kwargs)


@register_model
def coatnet_2_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-2, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_2_rw_224', 'coatnet_2_rw', pretrained, **kwargs)


@register_model
def coatnet_3_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-3, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_3_rw_224', 'coatnet_3_rw', pretrained, **kwargs)


@register_model
def coatnet_bn_0_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-0, BatchNorm attention blocks, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_bn_0_rw_224', 'coatnet_bn_0_rw', pretrained, **kwargs)


@register_model
def coatnet_rmlp_nano_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-nano, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_rmlp_nano_rw_224', 'coatnet_rmlp_nano_rw', pretrained, **kwargs)


@register_model
def coatnet_rmlp_0_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-0, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_rmlp_0_rw_224', 'coatnet_rmlp_0_rw', pretrained, **kwargs)


@register_model
def coatnet_rmlp_1_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-1, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_rmlp_1_rw_224', 'coatnet_rmlp_1_rw', pretrained, **kwargs)


@register_model
def coatnet_rmlp_1_rw2_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-1, MLP position bias, timm's recipe, v2, 224x224."""
    return _create_maxxvit('coatnet_rmlp_1_rw2_224', 'coatnet_rmlp_1_rw2', pretrained, **kwargs)


@register_model
def coatnet_rmlp_2_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-2, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_rmlp_2_rw_224', 'coatnet_rmlp_2_rw', pretrained, **kwargs)


@register_model
def coatnet_rmlp_2_rw_384(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-2, MLP position bias, timm's recipe, 384x384."""
    return _create_maxxvit('coatnet_rmlp_2_rw_384', 'coatnet_rmlp_2_rw', pretrained, **kwargs)


@register_model
def coatnet_rmlp_3_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-3, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('coatnet_rmlp_3_rw_224', 'coatnet_rmlp_3_rw', pretrained, **kwargs)


@register_model
def coatnet_nano_cc_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-nano, conv-then-transformer ('C', 'T') stages 3-4, 224x224."""
    return _create_maxxvit('coatnet_nano_cc_224', 'coatnet_nano_cc', pretrained, **kwargs)


@register_model
def coatnext_nano_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNeXt-nano, timm's recipe, 224x224."""
    return _create_maxxvit('coatnext_nano_rw_224', 'coatnext_nano_rw', pretrained, **kwargs)


@register_model
def coatnet_0_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-0, 224x224."""
    return _create_maxxvit('coatnet_0_224', 'coatnet_0', pretrained, **kwargs)


@register_model
def coatnet_1_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-1, 224x224."""
    return _create_maxxvit('coatnet_1_224', 'coatnet_1', pretrained, **kwargs)


@register_model
def coatnet_2_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-2, 224x224."""
    return _create_maxxvit('coatnet_2_224', 'coatnet_2', pretrained, **kwargs)


@register_model
def coatnet_3_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-3, 224x224."""
    return _create_maxxvit('coatnet_3_224', 'coatnet_3', pretrained, **kwargs)


@register_model
def coatnet_4_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-4, 224x224."""
    return _create_maxxvit('coatnet_4_224', 'coatnet_4', pretrained, **kwargs)


@register_model
def coatnet_5_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """CoAtNet-5, 224x224."""
    return _create_maxxvit('coatnet_5_224', 'coatnet_5', pretrained, **kwargs)


@register_model
def maxvit_pico_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-pico, timm's recipe, 256x256."""
    return _create_maxxvit('maxvit_pico_rw_256', 'maxvit_pico_rw', pretrained, **kwargs)


@register_model
def maxvit_nano_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-nano, timm's recipe, 256x256."""
    return _create_maxxvit('maxvit_nano_rw_256', 'maxvit_nano_rw', pretrained, **kwargs)


@register_model
def maxvit_tiny_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-tiny, timm's recipe, 224x224."""
    return _create_maxxvit('maxvit_tiny_rw_224', 'maxvit_tiny_rw', pretrained, **kwargs)


@register_model
def maxvit_tiny_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-tiny, timm's recipe, 256x256."""
    return _create_maxxvit('maxvit_tiny_rw_256', 'maxvit_tiny_rw', pretrained, **kwargs)


@register_model
def maxvit_rmlp_pico_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-pico, MLP position bias, timm's recipe, 256x256."""
    return _create_maxxvit('maxvit_rmlp_pico_rw_256', 'maxvit_rmlp_pico_rw', pretrained, **kwargs)


@register_model
def maxvit_rmlp_nano_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-nano, MLP position bias, timm's recipe, 256x256."""
    return _create_maxxvit('maxvit_rmlp_nano_rw_256', 'maxvit_rmlp_nano_rw', pretrained, **kwargs)


@register_model
def maxvit_rmlp_tiny_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-tiny, MLP position bias, timm's recipe, 256x256."""
    return _create_maxxvit('maxvit_rmlp_tiny_rw_256', 'maxvit_rmlp_tiny_rw', pretrained, **kwargs)


@register_model
def maxvit_rmlp_small_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-small, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('maxvit_rmlp_small_rw_224', 'maxvit_rmlp_small_rw', pretrained, **kwargs)


@register_model
def maxvit_rmlp_small_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-small, MLP position bias, timm's recipe, 256x256."""
    return _create_maxxvit('maxvit_rmlp_small_rw_256', 'maxvit_rmlp_small_rw', pretrained, **kwargs)


@register_model
def maxvit_rmlp_base_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-base, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('maxvit_rmlp_base_rw_224', 'maxvit_rmlp_base_rw', pretrained, **kwargs)


@register_model
def maxvit_rmlp_base_rw_384(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-base, MLP position bias, timm's recipe, 384x384."""
    return _create_maxxvit('maxvit_rmlp_base_rw_384', 'maxvit_rmlp_base_rw', pretrained, **kwargs)


@register_model
def maxvit_tiny_pm_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-tiny, parallel block + grid attention, 256x256."""
    return _create_maxxvit('maxvit_tiny_pm_256', 'maxvit_tiny_pm', pretrained, **kwargs)


@register_model
def maxxvit_rmlp_nano_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxxViT-nano, MLP position bias, timm's recipe, 256x256."""
    return _create_maxxvit('maxxvit_rmlp_nano_rw_256', 'maxxvit_rmlp_nano_rw', pretrained, **kwargs)


@register_model
def maxxvit_rmlp_tiny_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxxViT-tiny, MLP position bias, timm's recipe, 256x256."""
    return _create_maxxvit('maxxvit_rmlp_tiny_rw_256', 'maxxvit_rmlp_tiny_rw', pretrained, **kwargs)


@register_model
def maxxvit_rmlp_small_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxxViT-small, MLP position bias, timm's recipe, 256x256."""
    return _create_maxxvit('maxxvit_rmlp_small_rw_256', 'maxxvit_rmlp_small_rw', pretrained, **kwargs)


@register_model
def maxxvitv2_nano_rw_256(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxxViT-V2-nano, timm's recipe, 256x256."""
    return _create_maxxvit('maxxvitv2_nano_rw_256', 'maxxvitv2_nano_rw', pretrained, **kwargs)


@register_model
def maxxvitv2_rmlp_base_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxxViT-V2-base, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('maxxvitv2_rmlp_base_rw_224', 'maxxvitv2_rmlp_base_rw', pretrained, **kwargs)


@register_model
def maxxvitv2_rmlp_base_rw_384(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxxViT-V2-base, MLP position bias, timm's recipe, 384x384."""
    return _create_maxxvit('maxxvitv2_rmlp_base_rw_384', 'maxxvitv2_rmlp_base_rw', pretrained, **kwargs)


@register_model
def maxxvitv2_rmlp_large_rw_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxxViT-V2-large, MLP position bias, timm's recipe, 224x224."""
    return _create_maxxvit('maxxvitv2_rmlp_large_rw_224', 'maxxvitv2_rmlp_large_rw', pretrained, **kwargs)


@register_model
def maxvit_tiny_tf_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-tiny, TensorFlow release layout, 224x224."""
    return _create_maxxvit('maxvit_tiny_tf_224', 'maxvit_tiny_tf', pretrained, **kwargs)


@register_model
def maxvit_tiny_tf_384(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-tiny, TensorFlow release layout, 384x384."""
    return _create_maxxvit('maxvit_tiny_tf_384', 'maxvit_tiny_tf', pretrained, **kwargs)


@register_model
def maxvit_tiny_tf_512(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-tiny, TensorFlow release layout, 512x512."""
    return _create_maxxvit('maxvit_tiny_tf_512', 'maxvit_tiny_tf', pretrained, **kwargs)


@register_model
def maxvit_small_tf_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-small, TensorFlow release layout, 224x224."""
    return _create_maxxvit('maxvit_small_tf_224', 'maxvit_small_tf', pretrained, **kwargs)


@register_model
def maxvit_small_tf_384(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-small, TensorFlow release layout, 384x384."""
    return _create_maxxvit('maxvit_small_tf_384', 'maxvit_small_tf', pretrained, **kwargs)


@register_model
def maxvit_small_tf_512(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-small, TensorFlow release layout, 512x512."""
    return _create_maxxvit('maxvit_small_tf_512', 'maxvit_small_tf', pretrained, **kwargs)


@register_model
def maxvit_base_tf_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-base, TensorFlow release layout, 224x224."""
    return _create_maxxvit('maxvit_base_tf_224', 'maxvit_base_tf', pretrained, **kwargs)


@register_model
def maxvit_base_tf_384(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-base, TensorFlow release layout, 384x384."""
    return _create_maxxvit('maxvit_base_tf_384', 'maxvit_base_tf', pretrained, **kwargs)


@register_model
def maxvit_base_tf_512(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-base, TensorFlow release layout, 512x512."""
    return _create_maxxvit('maxvit_base_tf_512', 'maxvit_base_tf', pretrained, **kwargs)


@register_model
def maxvit_large_tf_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-large, TensorFlow release layout, 224x224."""
    return _create_maxxvit('maxvit_large_tf_224', 'maxvit_large_tf', pretrained, **kwargs)


@register_model
def maxvit_large_tf_384(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-large, TensorFlow release layout, 384x384."""
    return _create_maxxvit('maxvit_large_tf_384', 'maxvit_large_tf', pretrained, **kwargs)


@register_model
def maxvit_large_tf_512(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-large, TensorFlow release layout, 512x512."""
    return _create_maxxvit('maxvit_large_tf_512', 'maxvit_large_tf', pretrained, **kwargs)


@register_model
def maxvit_xlarge_tf_224(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-xlarge, TensorFlow release layout, 224x224."""
    return _create_maxxvit('maxvit_xlarge_tf_224', 'maxvit_xlarge_tf', pretrained, **kwargs)


@register_model
def maxvit_xlarge_tf_384(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-xlarge, TensorFlow release layout, 384x384."""
    return _create_maxxvit('maxvit_xlarge_tf_384', 'maxvit_xlarge_tf', pretrained, **kwargs)


@register_model
def maxvit_xlarge_tf_512(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """MaxViT-xlarge, TensorFlow release layout, 512x512."""
    return _create_maxxvit('maxvit_xlarge_tf_512', 'maxvit_xlarge_tf', pretrained, **kwargs)


@register_model
def test_maxvit(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """A tiny MaxViT for tests (160x160)."""
    return _create_maxxvit('test_maxvit', 'test_maxvit', pretrained, **kwargs)


@register_model
def test_coatnet(pretrained: bool = False, **kwargs: Any) -> MaxxVit:
    """A tiny CoAtNet for tests (160x160)."""
    return _create_maxxvit('test_coatnet', 'test_coatnet', pretrained, **kwargs)
