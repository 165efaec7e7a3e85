"""LeViT: a hybrid vision transformer built for fast inference.

Paper: "LeViT: a Vision Transformer in ConvNet's Clothing for Faster Inference", Graham et al., ICCV 2021
(arXiv:2104.01136).

A stride-16 (or 8) stack of 3x3 conv-BN layers, then three stages of attention + MLP blocks whose every linear map is
followed by a BatchNorm (so it folds away at inference, see `Levit.fuse`). Attention has small keys (key_dim) and
wider values (attn_ratio x key_dim), an activation before the output projection, and a learned per-head bias for each
absolute (|dy|, |dx|) offset instead of position embeddings (section 4.2). Between stages an attention block with
subsampled queries halves the resolution ("shrink attention", section 4.3).

The same weights run in two layouts: tokens (B, N, C) with linear layers (`levit_*`) or maps (B, C, H, W) with 1x1
convs (`levit_conv_*`). The released models are trained with distillation and carry a second classifier,
`head_dist`; `forward` returns the average of both heads' logits (how the paper evaluates), and
`forward_head_distilled` both of them for training with a teacher. Deviation from timm: the return type never depends
on a flag (timm returns the pair when `distilled_training` is set in training mode).
"""
import copy
import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerType, get_act_layer, to_2tuple, to_ntuple
from zoo.layers.attention import attend
from zoo.layers.attention_bias import abs_offset_bias_index, gather_offset_bias, resize_attention_bias
from zoo.models._base import Trunk, ZooModel, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._fuse import fold_bn_into_conv
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import BatchNormLinear

__all__ = ['Levit', 'LevitDistilled', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]


class ProjNorm(nn.Module):
    """Bias-free projection -> BatchNorm, on (B, C, H, W) maps (a conv) or on (B, N, C) tokens (a linear layer).

    LeViT's two modes differ only in this layer: the conv mode projects with 1x1 convs, the token mode with linear
    layers normalised over all tokens of the batch. Keys are `linear` and `bn` in both. A zero `bn_weight_init`
    starts a residual branch as the identity.
    """

    def __init__(self, in_chs: int, out_chs: int, use_conv: bool = True, kernel_size: int = 1, stride: int = 1,
                 padding: int = 0, bn_weight_init: float = 1.):
        super().__init__()
        self.use_conv = use_conv
        if use_conv:
            self.linear = nn.Conv2d(in_chs, out_chs, kernel_size, stride, padding, bias=False)
        else:
            if (kernel_size, stride, padding) != (1, 1, 0):
                raise ValueError('A token projection (use_conv=False) has no kernel, stride or padding.')
            self.linear = nn.Linear(in_chs, out_chs, bias=False)
        self.bn = (nn.BatchNorm2d if use_conv else nn.BatchNorm1d)(out_chs)
        nn.init.constant_(self.bn.weight, bn_weight_init)

    @torch.no_grad()
    def fuse(self) -> nn.Module:
        """The projection with the eval-mode norm folded into its weight and (new) bias."""
        fused = copy.deepcopy(self.linear)
        fold_bn_into_conv(fused, self.bn)
        return fused

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(x)
        if self.use_conv:
            return self.bn(x)
        return self.bn(x.flatten(0, 1)).view_as(x)


def _check_pool(global_pool: str, num_classes: int) -> None:
    if global_pool not in ('', 'avg'):
        raise ValueError(f"global_pool must be 'avg' or '', got {global_pool!r}.")
    check_pooled_head(global_pool, num_classes)


def _norm_proj(use_conv: bool, in_chs: int, out_chs: int, bn_weight_init: float = 1.) -> ProjNorm:
    return ProjNorm(in_chs, out_chs, use_conv=use_conv, bn_weight_init=bn_weight_init)


def _stem(in_chs: int, out_chs: int, act_layer: LayerType, stride: int) -> nn.Sequential:
    """log2(stride) stride-2 3x3 conv-BN layers doubling the width up to `out_chs`, activations between them."""
    num_convs = int(math.log2(stride))
    layers = OrderedDict()
    prev = in_chs
    for i in range(num_convs):
        width = out_chs // 2 ** (num_convs - 1 - i)
        if i:
            layers[f'act{i}'] = act_layer()
        layers[f'conv{i + 1}'] = ProjNorm(prev, width, kernel_size=3, stride=2, padding=1)
        prev = width
    return nn.Sequential(layers)


class _OffsetBias(nn.Module):
    """A (heads, H * W) learned bias table and the (Nq, Nk) index that expands it to attention logits."""

    def _init_bias(self, num_heads: int, key_size: Tuple[int, int], stride: int) -> None:
        self.key_size = key_size
        self.bias_stride = stride
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, key_size[0] * key_size[1]))
        # a function of the geometry only: computed here, never loaded
        self.register_buffer('attention_bias_idxs', abs_offset_bias_index(key_size, stride), persistent=False)

    def _bias(self) -> torch.Tensor:
        return gather_offset_bias(self, self.attention_biases, self.attention_bias_idxs)


class Attention(_OffsetBias):
    """Multi-head attention with key width `key_dim`, value width `attn_ratio * key_dim` and offset biases.

    Works on (B, N, C) tokens (linear projections) or (B, C, H, W) maps (1x1 conv projections, `use_conv`).
    """

    def __init__(self, dim: int, key_dim: int, num_heads: int = 8, attn_ratio: float = 4., resolution: SizeT = 14,
                 use_conv: bool = False, act_layer: LayerType = nn.SiLU):
        super().__init__()
        self.use_conv = use_conv
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.val_dim = int(attn_ratio * key_dim)
        self.val_attn_dim = self.val_dim * num_heads
        self.qkv = _norm_proj(use_conv, dim, self.val_attn_dim + 2 * key_dim * num_heads)
        self.proj = nn.Sequential(OrderedDict([
            ('act', act_layer()),
            ('ln', _norm_proj(use_conv, self.val_attn_dim, dim, bn_weight_init=0.)),
        ]))
        self._init_bias(num_heads, to_2tuple(resolution), stride=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        split = [self.key_dim, self.key_dim, self.val_dim]
        if self.use_conv:
            b, _, h, w = x.shape
            # per head: [q | k | v] channels, tokens along the last axis
            q, k, v = self.qkv(x).view(b, self.num_heads, -1, h * w).transpose(-2, -1).split(split, dim=-1)
        else:
            b, n, _ = x.shape
            q, k, v = self.qkv(x).view(b, n, self.num_heads, -1).transpose(1, 2).split(split, dim=-1)
        x = attend(q, k, v, attn_mask=self._bias())
        if self.use_conv:
            x = x.transpose(-2, -1).reshape(b, self.val_attn_dim, h, w)
        else:
            x = x.transpose(1, 2).reshape(b, n, self.val_attn_dim)
        return self.proj(x)


class Subsample(nn.Module):
    """Keep every `stride`-th token of each row and column of a (B, H * W, C) sequence."""

    def __init__(self, stride: int, resolution: SizeT):
        super().__init__()
        self.stride = stride
        self.resolution = to_2tuple(resolution)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, c = x.shape
        x = x.view(b, self.resolution[0], self.resolution[1], c)[:, ::self.stride, ::self.stride]
        return x.reshape(b, -1, c)


class AttentionDownsample(_OffsetBias):
    """Attention whose queries come from a subsampled grid: halves the resolution and changes the width."""

    def __init__(self, in_dim: int, out_dim: int, key_dim: int, num_heads: int = 8, attn_ratio: float = 2.,
                 stride: int = 2, resolution: SizeT = 14, use_conv: bool = False, act_layer: LayerType = nn.SiLU):
        super().__init__()
        resolution = to_2tuple(resolution)
        self.use_conv = use_conv
        self.stride = stride
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.val_dim = int(attn_ratio * key_dim)
        self.val_attn_dim = self.val_dim * num_heads
        # a 1x1 average pool with stride is the conv-layout form of the token subsampling
        down = nn.AvgPool2d(1, stride=stride, count_include_pad=False) if use_conv else Subsample(stride, resolution)
        self.kv = _norm_proj(use_conv, in_dim, self.val_attn_dim + key_dim * num_heads)
        self.q = nn.Sequential(OrderedDict([('down', down), ('ln', _norm_proj(use_conv, in_dim, key_dim * num_heads))]))
        self.proj = nn.Sequential(OrderedDict([
            ('act', act_layer()),
            ('ln', _norm_proj(use_conv, self.val_attn_dim, out_dim)),
        ]))
        self._init_bias(num_heads, resolution, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_conv:
            b, _, h, w = x.shape
            k, v = self.kv(x).view(b, self.num_heads, -1, h * w).transpose(-2, -1).split(
                [self.key_dim, self.val_dim], dim=-1)
            q = self.q(x)
            out_hw = q.shape[-2:]
            q = q.view(b, self.num_heads, self.key_dim, -1).transpose(-2, -1)
        else:
            b, n, _ = x.shape
            k, v = self.kv(x).view(b, n, self.num_heads, -1).transpose(1, 2).split([self.key_dim, self.val_dim], -1)
            q = self.q(x).view(b, -1, self.num_heads, self.key_dim).transpose(1, 2)
        x = attend(q, k, v, attn_mask=self._bias())
        if self.use_conv:
            x = x.transpose(-2, -1).reshape(b, self.val_attn_dim, *out_hw)
        else:
            x = x.transpose(1, 2).reshape(b, -1, self.val_attn_dim)
        return self.proj(x)


class LevitMlp(nn.Module):
    """Norm-projected MLP: ln1 -> act -> dropout -> ln2 (ln2's BN starts at zero)."""

    def __init__(self, in_features: int, hidden_features: int, use_conv: bool = False,
                 act_layer: LayerType = nn.SiLU, drop: float = 0.):
        super().__init__()
        self.ln1 = _norm_proj(use_conv, in_features, hidden_features)
        self.act = act_layer()
        self.drop = nn.Dropout(drop)
        self.ln2 = _norm_proj(use_conv, hidden_features, in_features, bn_weight_init=0.)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln2(self.drop(self.act(self.ln1(x))))


def _stochastic_depth(rate: float, count: int) -> List[nn.Module]:
    return [DropPath(rate) if rate > 0. else nn.Identity() for _ in range(count)]


class LevitDownsample(nn.Module):
    """Shrink attention, then a residual MLP at the new width."""

    def __init__(self, in_dim: int, out_dim: int, key_dim: int, num_heads: int, resolution: Tuple[int, int],
                 use_conv: bool, act_layer: LayerType, attn_act_layer: LayerType, drop_path: float = 0.):
        super().__init__()
        self.attn_downsample = AttentionDownsample(
            in_dim, out_dim, key_dim, num_heads=num_heads, attn_ratio=4., resolution=resolution, use_conv=use_conv,
            act_layer=attn_act_layer)
        self.mlp = LevitMlp(out_dim, 2 * out_dim, use_conv=use_conv, act_layer=act_layer)
        (self.drop_path,) = _stochastic_depth(drop_path, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.attn_downsample(x)
        return x + self.drop_path(self.mlp(x))


class LevitBlock(nn.Module):
    """x + attention(x), then x + mlp(x) (no layer norms: the BatchNorms inside the projections normalise)."""

    def __init__(self, dim: int, key_dim: int, num_heads: int, attn_ratio: float, mlp_ratio: float,
                 resolution: Tuple[int, int], use_conv: bool, act_layer: LayerType, attn_act_layer: LayerType,
                 drop_path: float = 0.):
        super().__init__()
        attn_kwargs = dict(num_heads=num_heads, attn_ratio=attn_ratio, resolution=resolution, use_conv=use_conv)
        self.attn = Attention(dim, key_dim, act_layer=attn_act_layer, **attn_kwargs)
        self.mlp = LevitMlp(dim, int(dim * mlp_ratio), use_conv=use_conv, act_layer=act_layer)
        # one stochastic-depth module per residual branch (attention, MLP)
        self.drop_path1, self.drop_path2 = _stochastic_depth(drop_path, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.attn(x))
        return x + self.drop_path2(self.mlp(x))


class LevitStage(nn.Module):
    """Optional shrink-attention downsampling (to half the resolution), then `depth` LeViT blocks."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, in_dim: int, out_dim: int, key_dim: int, depth: int, num_heads: int, attn_ratio: float,
                 mlp_ratio: float, resolution: Tuple[int, int], downsample: bool, use_conv: bool,
                 act_layer: LayerType, attn_act_layer: LayerType, drop_path: float = 0.):
        super().__init__()
        if downsample:
            self.downsample = LevitDownsample(
                in_dim, out_dim, key_dim, num_heads=in_dim // key_dim, resolution=resolution, use_conv=use_conv,
                act_layer=act_layer, attn_act_layer=attn_act_layer, drop_path=drop_path)
            resolution = tuple(math.ceil(r / 2) for r in resolution)
        else:
            if in_dim != out_dim:
                raise ValueError(f'A stage without downsampling keeps its width ({in_dim} != {out_dim}).')
            self.downsample = nn.Identity()
        self.blocks = CheckpointSequential(*[
            LevitBlock(out_dim, key_dim, num_heads, attn_ratio, mlp_ratio, resolution, use_conv, act_layer,
                       attn_act_layer, drop_path=drop_path)
            for _ in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class Levit(ZooModel):
    """LeViT trunk + BN-linear head.

    Args:
        img_size: input size (the attention-bias geometry is built for it; inputs must match).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        embed_dim: width of each stage.
        key_dim: query / key width per head.
        depth: blocks per stage.
        num_heads: heads per stage (int or per stage).
        attn_ratio: value width / key_dim (per stage).
        mlp_ratio: MLP hidden width / stage width (per stage).
        stem_type: 's16' (four stride-2 convs) or 's8' (three).
        down_op: how stages downsample; 'subsample' (shrink attention with subsampled queries) is the only one.
        act_layer: activation (name or class); hard-swish by default.
        attn_act_layer: activation before the attention output projection (defaults to `act_layer`).
        use_conv: run on (B, C, H, W) maps with 1x1 convs instead of tokens with linear layers.
        global_pool: 'avg' or '' (no pooling).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate, the same for every block.
    """
    grad_checkpointing = checkpoint_flag('stages')
    classifier_name = 'head'
    groups = dict(stem=r'^stem',
                  blocks=[(r'^stages\.(\d+)\.downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None)],
                  coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            img_size: SizeT = 224,
            in_chans: int = 3,
            num_classes: int = 1000,
            embed_dim: Sequence[int] = (192,),
            key_dim: int = 64,
            depth: Sequence[int] = (12,),
            num_heads: Union[int, Sequence[int]] = (3,),
            attn_ratio: Union[float, Sequence[float]] = 2.,
            mlp_ratio: Union[float, Sequence[float]] = 2.,
            stem_type: str = 's16',
            down_op: str = 'subsample',
            act_layer: LayerType = 'hard_swish',
            attn_act_layer: Optional[LayerType] = None,
            use_conv: bool = False,
            global_pool: str = 'avg',
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        _check_pool(global_pool, num_classes)
        if stem_type not in ('s16', 's8'):
            raise ValueError(f"stem_type must be 's16' or 's8', got {stem_type!r}.")
        if down_op != 'subsample':
            raise ValueError(f"down_op must be 'subsample' (the only downsampling LeViT has), got {down_op!r}.")
        num_stages = len(embed_dim)
        if len(depth) != num_stages:
            raise ValueError(f'depth {tuple(depth)} needs one entry per stage of embed_dim {tuple(embed_dim)}.')
        act_layer = get_act_layer(act_layer)
        attn_act_layer = get_act_layer(attn_act_layer) or act_layer
        self.use_conv = use_conv
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.embed_dim = tuple(embed_dim)
        self.num_features = self.head_hidden_size = embed_dim[-1]
        self.drop_rate = drop_rate
        self.trunk = Trunk(stem=('stem',), levels='stages', level_fmt='NCHW' if use_conv else 'NLC')

        stride = 16 if stem_type == 's16' else 8
        self.stem = _stem(in_chans, embed_dim[0], act_layer, stride)
        resolution = tuple(s // stride for s in to_2tuple(img_size))
        heads, attn_ratios, mlp_ratios = (to_ntuple(num_stages)(v) for v in (num_heads, attn_ratio, mlp_ratio))
        stages, self.feature_info = [], []
        in_dim = embed_dim[0]
        for i in range(num_stages):
            stages.append(LevitStage(
                in_dim, embed_dim[i], key_dim, depth=depth[i], num_heads=heads[i], attn_ratio=attn_ratios[i],
                mlp_ratio=mlp_ratios[i], resolution=resolution, downsample=i > 0, use_conv=use_conv,
                act_layer=act_layer, attn_act_layer=attn_act_layer, drop_path=drop_path_rate))
            if i > 0:
                stride *= 2
                resolution = tuple(math.ceil(r / 2) for r in resolution)
            self.feature_info.append(dict(num_chs=embed_dim[i], reduction=stride, module=f'stages.{i}'))
            in_dim = embed_dim[i]
        self.stages = CheckpointSequential(*stages)
        self.head = self._make_head(num_classes)

    def _make_head(self, num_classes: int) -> nn.Module:
        if num_classes <= 0:
            return nn.Identity()
        return BatchNormLinear(self.num_features, num_classes, drop=self.drop_rate)

    @torch.jit.ignore
    def no_weight_decay(self) -> set:
        return {k for k in self.state_dict() if 'attention_biases' in k}

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        global_pool = self.global_pool if global_pool is None else global_pool
        _check_pool(global_pool, num_classes)
        self.global_pool = global_pool
        self.head = self._make_head(num_classes)

    def _replace_head(self, in_features: int) -> None:
        self._reset_head(0, '')

    def _run_stem(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        return x if self.use_conv else x.flatten(2).transpose(1, 2)

    def _tokens_to_map(self, x: torch.Tensor, input_hw: Tuple[int, int]) -> torch.Tensor:
        # every stride-2 layer maps a side s to ceil(s / 2): halve the input size until the token count matches
        h, w = input_hw
        while h * w > x.shape[1]:
            h, w = math.ceil(h / 2), math.ceil(w / 2)
        return x.reshape(x.shape[0], h, w, -1).permute(0, 3, 1, 2).contiguous()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self._run_stem(x))

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        if self.global_pool == 'avg':
            return x.mean(dim=(-2, -1)) if self.use_conv else x.mean(dim=1)
        return x

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.pool(x)
        return x if pre_logits else self.head(x)

    @torch.no_grad()
    def fuse(self) -> 'Levit':
        """Fold every BatchNorm into its neighbouring linear / conv (eval-mode outputs unchanged), in place.

        The result is for inference only: its parameters no longer follow the published layout.
        """
        if self.training:
            raise RuntimeError('fuse() folds eval-mode BatchNorm statistics: call model.eval() first.')
        for name, module in list(self.named_modules()):
            if isinstance(module, (ProjNorm, BatchNormLinear)):
                self._set_module(name, module.fuse())
        return self


class LevitDistilled(Levit):
    """LeViT with a second (distillation) classifier `head_dist`; `forward` averages the two heads' logits."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.head_dist = self._make_head(self.num_classes)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        super()._reset_head(num_classes, global_pool)
        self.head_dist = self._make_head(num_classes)

    def forward_head_distilled(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Logits of the class head and of the distillation head, for training against a teacher."""
        x = self.pool(x)
        return self.head(x), self.head_dist(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if pre_logits:
            return self.pool(x)
        x_cls, x_dist = self.forward_head_distilled(x)
        return (x_cls + x_dist) / 2


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: Levit) -> Dict[str, torch.Tensor]:
    """Drop the index buffers older checkpoints stored, and resample attention biases to the model's resolution.

    A checkpoint trained at another input size has bias tables for other grids; each (heads, H * W) table is resized
    like an image (bicubic, as TinyViT / LeViT fine-tuning does).
    """
    if isinstance(state_dict.get('model'), dict):
        state_dict = state_dict['model']
    own = model.state_dict()
    out = {}
    for key, value in state_dict.items():
        if 'attention_bias_idxs' in key:
            continue
        if key.endswith('attention_biases') and key in own and value.shape != own[key].shape:
            key_size = model.get_submodule(key.rsplit('.', 1)[0]).key_size
            value = resize_attention_bias(value, key_size)
        out[key] = value
    return out


# (embed_dim, key_dim, num_heads, depth) and activation / stem of each architecture (paper, table 2)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    levit_128s=dict(embed_dim=(128, 256, 384), key_dim=16, num_heads=(4, 6, 8), depth=(2, 3, 4)),
    levit_128=dict(embed_dim=(128, 256, 384), key_dim=16, num_heads=(4, 8, 12), depth=(4, 4, 4)),
    levit_192=dict(embed_dim=(192, 288, 384), key_dim=32, num_heads=(3, 5, 6), depth=(4, 4, 4)),
    levit_256=dict(embed_dim=(256, 384, 512), key_dim=32, num_heads=(4, 6, 8), depth=(4, 4, 4)),
    levit_384=dict(embed_dim=(384, 512, 768), key_dim=32, num_heads=(6, 9, 12), depth=(4, 4, 4)),
    # timm experiments: stride-8 stems, wider and deeper models, SiLU
    levit_384_s8=dict(embed_dim=(384, 512, 768), key_dim=32, num_heads=(6, 9, 12), depth=(4, 4, 4),
                      act_layer='silu', stem_type='s8'),
    levit_512_s8=dict(embed_dim=(512, 640, 896), key_dim=64, num_heads=(8, 10, 14), depth=(4, 4, 4),
                      act_layer='silu', stem_type='s8'),
    levit_512=dict(embed_dim=(512, 768, 1024), key_dim=64, num_heads=(8, 12, 16), depth=(4, 4, 4),
                   act_layer='silu'),
    levit_256d=dict(embed_dim=(256, 384, 512), key_dim=32, num_heads=(4, 6, 8), depth=(4, 8, 6), act_layer='silu'),
    levit_512d=dict(embed_dim=(512, 640, 768), key_dim=64, num_heads=(8, 10, 12), depth=(4, 8, 6),
                    act_layer='silu'),
)


def _create_levit(variant: str, pretrained: bool = False, distilled: bool = True, **kwargs) -> Levit:
    # token stages (the linear LeViT) are read through forward_intermediates by default; conv stages are a plain run
    # of modules
    features = dict(flatten_sequential=True) if kwargs.get('use_conv') else dict(flatten_sequential=True,
                                                                                 feature_cls='getter')
    return build_model_with_cfg(LevitDistilled if distilled else Levit, variant, pretrained,
                                pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2), **features), **kwargs)


def _levit(variant: str, pretrained: bool, kwargs: Dict[str, Any], distilled: bool = True) -> Levit:
    use_conv = variant.startswith('levit_conv_')
    arch = _ARCHS[variant.replace('levit_conv_', 'levit_')]
    return _create_levit(variant, pretrained, distilled=distilled, **dict(arch, use_conv=use_conv, **kwargs))


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), crop_pct=.9, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='stem.conv1.linear', classifier=('head.linear', 'head_dist.linear'), license='apache-2.0',
               paper_ids='arXiv:2104.01136')
    cfg.update(kwargs)
    return cfg


_UNTRAINED = dict(hf_hub_id=None, classifier='head.linear')

default_cfgs = generate_default_cfgs({
    # weights of the token (linear) layout
    'levit_128s.fb_dist_in1k': _cfg(),
    'levit_128.fb_dist_in1k': _cfg(),
    'levit_192.fb_dist_in1k': _cfg(),
    'levit_256.fb_dist_in1k': _cfg(),
    'levit_384.fb_dist_in1k': _cfg(),
    # the same weights in the conv layout
    'levit_conv_128s.fb_dist_in1k': _cfg(pool_size=(4, 4)),
    'levit_conv_128.fb_dist_in1k': _cfg(pool_size=(4, 4)),
    'levit_conv_192.fb_dist_in1k': _cfg(pool_size=(4, 4)),
    'levit_conv_256.fb_dist_in1k': _cfg(pool_size=(4, 4)),
    'levit_conv_384.fb_dist_in1k': _cfg(pool_size=(4, 4)),
    'levit_384_s8.untrained': _cfg(**_UNTRAINED),
    'levit_512_s8.untrained': _cfg(**_UNTRAINED),
    'levit_512.untrained': _cfg(**_UNTRAINED),
    'levit_256d.untrained': _cfg(**_UNTRAINED),
    'levit_512d.untrained': _cfg(**_UNTRAINED),
    'levit_conv_384_s8.untrained': _cfg(**_UNTRAINED),
    'levit_conv_512_s8.untrained': _cfg(**_UNTRAINED),
    'levit_conv_512.untrained': _cfg(**_UNTRAINED),
    'levit_conv_256d.untrained': _cfg(**_UNTRAINED),
    'levit_conv_512d.untrained': _cfg(**_UNTRAINED),
})


@register_model
def levit_128s(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_128s', pretrained, kwargs)


@register_model
def levit_128(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_128', pretrained, kwargs)


@register_model
def levit_192(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_192', pretrained, kwargs)


@register_model
def levit_256(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_256', pretrained, kwargs)


@register_model
def levit_384(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_384', pretrained, kwargs)


@register_model
def levit_384_s8(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_384_s8', pretrained, kwargs)


@register_model
def levit_512_s8(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_512_s8', pretrained, kwargs, distilled=False)


@register_model
def levit_512(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_512', pretrained, kwargs, distilled=False)


@register_model
def levit_256d(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_256d', pretrained, kwargs, distilled=False)


@register_model
def levit_512d(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_512d', pretrained, kwargs, distilled=False)


@register_model
def levit_conv_128s(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_128s', pretrained, kwargs)


@register_model
def levit_conv_128(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_128', pretrained, kwargs)


@register_model
def levit_conv_192(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_192', pretrained, kwargs)


@register_model
def levit_conv_256(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_256', pretrained, kwargs)


@register_model
def levit_conv_384(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_384', pretrained, kwargs)


@register_model
def levit_conv_384_s8(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_384_s8', pretrained, kwargs)


@register_model
def levit_conv_512_s8(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_512_s8', pretrained, kwargs, distilled=False)


@register_model
def levit_conv_512(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_512', pretrained, kwargs, distilled=False)


@register_model
def levit_conv_256d(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_256d', pretrained, kwargs, distilled=False)


@register_model
def levit_conv_512d(pretrained: bool = False, **kwargs) -> Levit:
    return _levit('levit_conv_512d', pretrained, kwargs, distilled=False)
