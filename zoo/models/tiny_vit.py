"""TinyViT: small hierarchical vision transformers distilled from large ones during pre-training.

Paper: "TinyViT: Fast Pretraining Distillation for Small Vision Transformers", Wu et al., ECCV 2022
(arXiv:2207.10666). The network has four stages over a stride-4 conv stem (two 3x3 stride-2 conv + BN, GELU between):
- stage 0 is convolutional: inverted-residual MBConv blocks (1x1 expand x4, 3x3 depthwise, 1x1 project, each with BN,
  GELU after each and after the residual sum);
- stages 1-3 open with a conv patch merging (1x1 conv, 3x3 depthwise stride-2 conv, 1x1 conv, all with BN) and run
  transformer blocks on channels-last maps. A block attends within non-overlapping windows (zero-padded at the bottom /
  right when the map is not a multiple of the window), adds the result to its input, mixes neighbours with a 3x3
  depthwise conv + BN, then adds a pre-norm MLP.
Attention (LeViT style) normalises its input itself and adds a learnable bias per head that depends only on the
absolute (dy, dx) offset between query and key inside the window. The classifier pools, applies a channels-first
LayerNorm and a linear layer.

Checkpoints trained with another window size load through `checkpoint_filter_fn`, which resamples the bias tables.
"""
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath, LayerType, get_act_layer, trunc_normal_
from zoo.layers.attention_bias import abs_offset_bias_index, gather_offset_bias, resize_attention_bias
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.format import nchw_to, nhwc_to
from zoo.layers.norm import LayerNorm2d
from zoo.layers.norm_mlp_head import NormMlpClassifierHead
from zoo.layers.window import window_partition, window_reverse
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['TinyVit', 'TinyVitBlock', 'MBConv']


class ConvNorm(nn.Sequential):
    """Bias-free conv followed by BatchNorm; keys `conv`, `bn`."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, stride: int = 1, groups: int = 1,
                 bn_weight_init: float = 1.):
        super().__init__()
        self.add_module('conv', nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups,
                                          bias=False))
        self.add_module('bn', nn.BatchNorm2d(out_chs))
        nn.init.constant_(self.bn.weight, bn_weight_init)


class _Expand1x1Dw3x3(nn.Module):
    """1x1 conv -> act -> 3x3 depthwise (strided) conv -> act -> 1x1 conv, each with BN: the body that the MBConv
    block and the patch merging share (keys conv1..3, act1, act2)."""

    def __init__(self, in_chs: int, mid_chs: int, out_chs: int, stride: int, act_layer: LayerType,
                 last_bn_init: float = 1.):
        super().__init__()
        self.conv1 = ConvNorm(in_chs, mid_chs)
        self.act1 = act_layer()
        self.conv2 = ConvNorm(mid_chs, mid_chs, 3, stride=stride, groups=mid_chs)
        self.act2 = act_layer()
        self.conv3 = ConvNorm(mid_chs, out_chs, bn_weight_init=last_bn_init)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(self.act2(self.conv2(self.act1(self.conv1(x)))))


class MBConv(_Expand1x1Dw3x3):
    """Inverted residual: the expand / depthwise / project body plus the input, then an activation."""

    def __init__(self, dim: int, expand_ratio: float, act_layer: LayerType, drop_path: float = 0.):
        super().__init__(dim, int(dim * expand_ratio), dim, 1, act_layer, last_bn_init=0.)
        self.act3 = act_layer()
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act3(x + self.drop_path(self.body(x)))


class PatchMerging(_Expand1x1Dw3x3):
    """Halve the resolution and change the width: 1x1 conv, 3x3 depthwise stride-2 conv, 1x1 conv (NCHW)."""

    def __init__(self, dim: int, out_dim: int, act_layer: LayerType):
        super().__init__(dim, out_dim, out_dim, 2, act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class WindowAttention(nn.Module):
    """Multi-head self-attention over the tokens of one window, with a per-head bias on the absolute (dy, dx) offset.

    The input is layer-normalised here (the block has no separate norm before attention). The qkv projection holds,
    per head, the query, key and value side by side.
    """

    def __init__(self, dim: int, num_heads: int, window_size: int):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.window_size = window_size
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, window_size * window_size))
        self.register_buffer('attention_bias_idxs', abs_offset_bias_index((window_size, window_size)),
                             persistent=False)

    @property
    def key_size(self) -> Tuple[int, int]:
        return self.window_size, self.window_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(self.norm(x)).view(b, n, self.num_heads, 3, self.head_dim).permute(3, 0, 2, 1, 4)
        bias = gather_offset_bias(self, self.attention_biases, self.attention_bias_idxs)
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class _NormMlp(nn.Module):
    """LayerNorm on the input, then fc1 -> act -> fc2 (keys norm, fc1, fc2, registered in that order)."""

    def __init__(self, dim: int, hidden: int, act_layer: LayerType, drop: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = act_layer()
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(self.norm(x))))))


class TinyVitBlock(nn.Module):
    """Window attention, a 3x3 depthwise conv + BN, and a pre-norm MLP, on a channels-last (B, H, W, C) map.

    Args:
        dim: channels.
        num_heads: attention heads.
        window_size: side of the attention windows.
        mlp_ratio: MLP hidden width relative to `dim`.
        drop: dropout inside the MLP.
        drop_path: stochastic depth rate of both residual branches.
        local_conv_size: kernel of the depthwise conv between attention and MLP.
        act_layer: MLP activation.
    """

    def __init__(self, dim: int, num_heads: int, window_size: int = 7, mlp_ratio: float = 4., drop: float = 0.,
                 drop_path: float = 0., local_conv_size: int = 3, act_layer: LayerType = nn.GELU):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'TinyVitBlock: {dim} channels do not split into {num_heads} heads.')
        self.window_size = window_size
        self.attn = WindowAttention(dim, num_heads, window_size)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.mlp = _NormMlp(dim, int(dim * mlp_ratio), act_layer, drop)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.local_conv = ConvNorm(dim, dim, local_conv_size, groups=dim)

    def _attend_in_windows(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        size = self.window_size
        # zero-pad the bottom / right up to whole windows; the padded tokens take part in attention, as trained
        pad_h, pad_w = -h % size, -w % size
        if pad_h or pad_w:
            x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        windows = window_partition(x, (size, size)).reshape(-1, size * size, c)
        x = window_reverse(self.attn(windows).view(-1, size, size, c), (size, size), (h + pad_h, w + pad_w))
        return x[:, :h, :w] if pad_h or pad_w else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self._attend_in_windows(x))
        x = self.local_conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return x + self.drop_path2(self.mlp(x))


class ConvStage(nn.Module):
    """Stage 0: MBConv blocks on NCHW maps (key `blocks`)."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, dim: int, depth: int, expand_ratio: float, act_layer: LayerType, drop_path: Sequence[float]):
        super().__init__()
        self.blocks = CheckpointSequential(*[MBConv(dim, expand_ratio, act_layer, dp) for dp in drop_path[:depth]])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class TinyVitStage(nn.Module):
    """Patch merging (NCHW), then transformer blocks on the channels-last map; returns NCHW."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, dim: int, out_dim: int, depth: int, num_heads: int, window_size: int, mlp_ratio: float,
                 drop: float, drop_path: Sequence[float], local_conv_size: int, act_layer: LayerType):
        super().__init__()
        self.downsample = PatchMerging(dim, out_dim, act_layer)
        self.blocks = CheckpointSequential(*[
            TinyVitBlock(out_dim, num_heads, window_size, mlp_ratio, drop, dp, local_conv_size, act_layer)
            for dp in drop_path[:depth]])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nhwc_to(self.blocks(nchw_to(self.downsample(x), 'NHWC')), 'NCHW')


class PatchEmbed(nn.Module):
    """Stride-4 stem: 3x3 stride-2 conv + BN, activation, 3x3 stride-2 conv + BN."""

    def __init__(self, in_chs: int, out_chs: int, act_layer: LayerType):
        super().__init__()
        self.stride = 4
        self.conv1 = ConvNorm(in_chs, out_chs // 2, 3, stride=2)
        self.act = act_layer()
        self.conv2 = ConvNorm(out_chs // 2, out_chs, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.act(self.conv1(x)))


class TinyVit(ZooModel):
    """TinyViT.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg' (or another width-preserving pool); '' with num_classes=0 for unpooled maps.
        embed_dims: width of each stage.
        depths: blocks per stage (the first stage's are MBConv blocks).
        num_heads: attention heads of each stage (the first is unused).
        window_sizes: attention window side of each stage (the first is unused).
        mlp_ratio: MLP expansion of the transformer blocks.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout inside the MLPs.
        drop_path_rate: stochastic depth rate of the last block.
        mbconv_expand_ratio: expansion of the MBConv blocks.
        local_conv_size: kernel of the depthwise conv inside the transformer blocks.
        act_layer: activation (name or class).
    """
    trunk = Trunk(stem=('patch_embed',), levels='stages')
    classifier_name = 'head.fc'
    groups = dict(stem=r'^patch_embed', coarse=r'^stages\.(\d+)',
                  blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+)\.\w+\.(\d+)', None)])

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dims: Sequence[int] = (96, 192, 384, 768),
            depths: Sequence[int] = (2, 2, 6, 2),
            num_heads: Sequence[int] = (3, 6, 12, 24),
            window_sizes: Sequence[int] = (7, 7, 14, 7),
            mlp_ratio: float = 4.,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.1,
            mbconv_expand_ratio: float = 4.,
            local_conv_size: int = 3,
            act_layer: LayerType = nn.GELU,
    ):
        super().__init__()
        if not len(embed_dims) == len(depths) == len(num_heads) == len(window_sizes):
            raise ValueError(f'embed_dims, depths, num_heads and window_sizes need one entry per stage, got '
                             f'{len(embed_dims)}, {len(depths)}, {len(num_heads)} and {len(window_sizes)}.')
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.patch_embed = PatchEmbed(in_chans, embed_dims[0], act_layer)
        rates = stagewise_drop_path_rates(drop_path_rate, depths)

        stages: List[nn.Module] = [ConvStage(embed_dims[0], depths[0], mbconv_expand_ratio, act_layer, rates[0])]
        reduction = self.patch_embed.stride
        self.feature_info = [dict(num_chs=embed_dims[0], reduction=reduction, module='stages.0')]
        for i in range(1, len(depths)):
            reduction *= 2
            stages.append(TinyVitStage(embed_dims[i - 1], embed_dims[i], depths[i], num_heads[i], window_sizes[i],
                                       mlp_ratio, proj_drop_rate, rates[i], local_conv_size, act_layer))
            self.feature_info.append(dict(num_chs=embed_dims[i], reduction=reduction, module=f'stages.{i}'))
        self.stages = nn.Sequential(*stages)

        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.head = NormMlpClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate,
                                          norm_layer=LayerNorm2d)
        self.apply(_init_weights)

    def no_weight_decay(self) -> Set[str]:
        # the offset-bias tables are position parameters, like position embeddings
        return {name for name, _ in self.named_parameters() if name.endswith('attention_biases')}

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.patch_embed(x))


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: TinyVit) -> Dict[str, torch.Tensor]:
    """Official checkpoints nest the weights under `model` and store the bias index buffers; a checkpoint trained
    with other window sizes gets its (heads, window^2) bias tables resampled to this model's windows."""
    if isinstance(state_dict.get('model'), dict):
        state_dict = state_dict['model']
    own = model.state_dict()
    out = {}
    for key, value in state_dict.items():
        if key.endswith('attention_bias_idxs'):
            continue
        if key.endswith('attention_biases') and key in own and value.shape != own[key].shape:
            value = resize_attention_bias(value, model.get_submodule(key.rsplit('.', 1)[0]).key_size)
        out[key] = value
    return out


def _create_tiny_vit(variant: str, pretrained: bool = False, **kwargs: Any) -> TinyVit:
    return build_model_with_cfg(TinyVit, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', num_classes=1000, first_conv='patch_embed.conv1.conv', classifier='head.fc',
               pool_size=(7, 7), input_size=(3, 224, 224), crop_pct=0.95, interpolation='bicubic',
               license='apache-2.0')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'tiny_vit_5m_224.dist_in22k': _cfg(num_classes=21841),
    'tiny_vit_5m_224.dist_in22k_ft_in1k': _cfg(),
    'tiny_vit_5m_224.in1k': _cfg(),
    'tiny_vit_11m_224.dist_in22k': _cfg(num_classes=21841),
    'tiny_vit_11m_224.dist_in22k_ft_in1k': _cfg(),
    'tiny_vit_11m_224.in1k': _cfg(),
    'tiny_vit_21m_224.dist_in22k': _cfg(num_classes=21841),
    'tiny_vit_21m_224.dist_in22k_ft_in1k': _cfg(),
    'tiny_vit_21m_224.in1k': _cfg(),
    'tiny_vit_21m_384.dist_in22k_ft_in1k': _cfg(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0),
    'tiny_vit_21m_512.dist_in22k_ft_in1k': _cfg(input_size=(3, 512, 512), pool_size=(16, 16), crop_pct=1.0,
                                                crop_mode='squash'),
})

# (embed_dims, num_heads, drop_path_rate) per width; every variant has depths (2, 2, 6, 2)
_WIDTHS = {
    '5m': ((64, 128, 160, 320), (2, 4, 5, 10), 0.0),
    '11m': ((64, 128, 256, 448), (2, 4, 8, 14), 0.1),
    '21m': ((96, 192, 384, 576), (3, 6, 12, 18), 0.2),
}


def _tiny_vit(variant: str, pretrained: bool, kwargs: Dict[str, Any], window_sizes: Tuple[int, ...] = (7, 7, 14, 7),
              drop_path_rate: Optional[float] = None) -> TinyVit:
    dims, heads, width_dpr = _WIDTHS[variant.split('_')[2]]
    model_args = dict(embed_dims=dims, depths=(2, 2, 6, 2), num_heads=heads, window_sizes=window_sizes,
                      drop_path_rate=width_dpr if drop_path_rate is None else drop_path_rate)
    return _create_tiny_vit(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def tiny_vit_5m_224(pretrained: bool = False, **kwargs) -> TinyVit:
    return _tiny_vit('tiny_vit_5m_224', pretrained, kwargs)


@register_model
def tiny_vit_11m_224(pretrained: bool = False, **kwargs) -> TinyVit:
    return _tiny_vit('tiny_vit_11m_224', pretrained, kwargs)


@register_model
def tiny_vit_21m_224(pretrained: bool = False, **kwargs) -> TinyVit:
    return _tiny_vit('tiny_vit_21m_224', pretrained, kwargs)


@register_model
def tiny_vit_21m_384(pretrained: bool = False, **kwargs) -> TinyVit:
    # windows grow with the input so each stage keeps the 224-px window count
    return _tiny_vit('tiny_vit_21m_384', pretrained, kwargs, window_sizes=(12, 12, 24, 12), drop_path_rate=0.1)


@register_model
def tiny_vit_21m_512(pretrained: bool = False, **kwargs) -> TinyVit:
    return _tiny_vit('tiny_vit_21m_512', pretrained, kwargs, window_sizes=(16, 16, 32, 16), drop_path_rate=0.1)
