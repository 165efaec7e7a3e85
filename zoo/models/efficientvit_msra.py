"""EfficientViT (MSRA): memory-efficient vision transformers with cascaded group attention.

Paper: "EfficientViT: Memory Efficient Vision Transformer with Cascaded Group Attention", Liu et al., CVPR 2023
(arXiv:2305.07027).

Each block is a "sandwich" (section 3.1): depthwise conv -> FFN -> one attention layer -> depthwise conv -> FFN, all
residual, so most of the compute is in memory-efficient FFNs. The attention is cascaded group attention (section
3.2): the channels are split into one chunk per head, each head attends on its chunk plus the previous head's output
(the cascade), its query passes through a depthwise conv, and the head outputs are concatenated, activated and
projected. Attention runs in local windows (7x7, smaller when the map is smaller) with a LeViT-style learned bias per
(|dy|, |dx|) offset, so the bias tables depend on the input size: `img_size` fixes it (`fixed_input_size`), and
loading weights made at another size resamples the tables (`checkpoint_filter_fn`).
Stages are joined by an inverted-residual patch merging unit with squeeze-excitation, wrapped in residual
depthwise conv + FFN pairs.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers.attention_bias import abs_offset_bias_index, gather_offset_bias, resize_attention_bias
from zoo.layers.classifier import create_classifier
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.helpers import to_2tuple
from zoo.layers.pool import adaptive_pool_feat_mult
from zoo.layers.squeeze_excite import SEModule
from zoo.layers.window import window_partition_nchw, window_reverse_nchw
from zoo.models._base import Trunk, ZooModel, check_num_classes, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import BatchNormLinear

# LeViT's filter: drop stored bias indices, resample each bias table to its module's `key_size` (bicubic)
from zoo.models.levit import checkpoint_filter_fn

__all__ = ['EfficientVitMsra', 'CascadedGroupAttention', 'ConvMlp', 'PatchMerging', 'PooledClassifierMixin', 'Residual',
           'checkpoint_filter_fn', 'dw_ffn']


def _conv_bn(in_chs: int, out_chs: int, kernel_size: int = 1, stride: int = 1, groups: int = 1) -> ConvNormAct:
    """Conv (no bias) -> BN, no activation (keys `conv`, `bn`)."""
    return ConvNormAct(in_chs, out_chs, kernel_size, stride=stride, groups=groups, apply_act=False, act_layer=None)


class Residual(nn.Module):
    """x + m(x) (key `m`)."""

    def __init__(self, m: nn.Module):
        super().__init__()
        self.m = m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.m(x)


# (in_chs, out_chs, kernel_size=1, stride=1, groups=1) -> conv-BN module; SHViT passes one with other key names
ConvBnFn = Callable[..., nn.Module]


class ConvMlp(nn.Module):
    """1x1 conv-BN -> ReLU -> 1x1 conv-BN."""

    def __init__(self, dim: int, hidden: int, conv_bn: ConvBnFn = _conv_bn):
        super().__init__()
        self.pw1 = conv_bn(dim, hidden)
        self.act = nn.ReLU()
        self.pw2 = conv_bn(hidden, dim)
        nn.init.zeros_(self.pw2.bn.weight)  # the residual FFN starts as the identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw2(self.act(self.pw1(x)))


def dw_ffn(dim: int, conv_bn: ConvBnFn = _conv_bn) -> List[nn.Module]:
    """The residual depthwise conv + FFN pair around patch merging."""
    return [Residual(conv_bn(dim, dim, 3, 1, dim)), Residual(ConvMlp(dim, dim * 2, conv_bn))]


class PatchMerging(nn.Module):
    """1x1 expand (x4) -> ReLU -> stride-2 depthwise 3x3 -> ReLU -> SE -> 1x1 project (section 3.1)."""

    def __init__(self, dim: int, out_dim: int, conv_bn: ConvBnFn = _conv_bn):
        super().__init__()
        hidden = dim * 4
        self.conv1 = conv_bn(dim, hidden)
        self.act = nn.ReLU()
        self.conv2 = conv_bn(hidden, hidden, 3, 2, hidden)
        self.se = SEModule(hidden, rd_ratio=0.25)
        self.conv3 = conv_bn(hidden, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.conv2(self.act(self.conv1(x))))
        return self.conv3(self.se(x))


class CascadedGroupAttention(nn.Module):
    """Cascaded group attention on a `resolution` x `resolution` map (section 3.2).

    Args:
        dim: channels (split evenly over the heads).
        key_dim: query / key channels per head.
        num_heads: heads.
        attn_ratio: value channels per head / key_dim (dim / num_heads in the released models, so the cascade can
            add a head's output to the next head's input).
        resolution: side of the (square) map the bias tables are made for.
        kernels: depthwise kernel of each head's query conv.
    """
    attention_bias_idxs: torch.Tensor

    def __init__(self, dim: int, key_dim: int, num_heads: int = 8, attn_ratio: float = 4, resolution: int = 14,
                 kernels: Sequence[int] = (5, 5, 5, 5)):
        super().__init__()
        self.num_heads = num_heads
        self.scale = key_dim ** -0.5
        self.key_dim = key_dim
        self.val_dim = int(attn_ratio * key_dim)
        self.resolution = resolution
        self.key_size = (resolution, resolution)  # the key grid of the bias table, for checkpoint_filter_fn
        if dim % num_heads or self.val_dim != dim // num_heads:
            raise ValueError(f'The cascade adds each head output to the next head input: dim ({dim}) / num_heads '
                             f'({num_heads}) must equal attn_ratio * key_dim ({self.val_dim}).')
        chunk = dim // num_heads
        self.qkvs = nn.ModuleList([_conv_bn(chunk, 2 * key_dim + self.val_dim) for _ in range(num_heads)])
        self.dws = nn.ModuleList([_conv_bn(key_dim, key_dim, kernels[i], groups=key_dim) for i in range(num_heads)])
        self.proj = nn.Sequential(nn.ReLU(), _conv_bn(self.val_dim * num_heads, dim))
        nn.init.zeros_(self.proj[1].bn.weight)  # the residual attention starts as the identity
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, resolution * resolution))
        self.register_buffer('attention_bias_idxs', abs_offset_bias_index((resolution, resolution)),
                             persistent=False)

    def init_non_persistent_buffers(self) -> None:
        self.attention_bias_idxs = abs_offset_bias_index((self.resolution, self.resolution),
                                                         device=self.attention_biases.device)

    def set_resolution(self, resolution: int) -> None:
        """Attend on a `resolution` x `resolution` map: the bias tables are resampled (bicubic) to the new grid."""
        if resolution == self.resolution:
            return
        with torch.no_grad():
            table = resize_attention_bias(self.attention_biases, (resolution, resolution),
                                          (self.resolution, self.resolution))
        self.attention_biases = nn.Parameter(table.contiguous(), requires_grad=self.attention_biases.requires_grad)
        self.resolution = resolution
        self.key_size = (resolution, resolution)
        self.init_non_persistent_buffers()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        bias = gather_offset_bias(self, self.attention_biases, self.attention_bias_idxs)  # (heads, N, N)
        outs = []
        feat = None
        for i, chunk in enumerate(x.chunk(self.num_heads, dim=1)):
            # the cascade: the previous head's output refines this one (added to it, not it to the slice, so the sum
            # keeps the contiguous layout of the head output rather than taking the strided slice's)
            feat = chunk if feat is None else feat + chunk
            q, k, v = self.qkvs[i](feat).split([self.key_dim, self.key_dim, self.val_dim], dim=1)
            q = self.dws[i](q)
            attn = (q.flatten(2).transpose(-2, -1) @ k.flatten(2)) * self.scale + bias[i]
            feat = (v.flatten(2) @ attn.softmax(dim=-1).transpose(-2, -1)).reshape(b, self.val_dim, h, w)
            outs.append(feat)
        return self.proj(torch.cat(outs, dim=1))


class LocalWindowAttention(nn.Module):
    """Cascaded group attention in non-overlapping `window_resolution` windows (zero-padded at the bottom / right).

    A map no larger than the window is attended to as a whole; the window then shrinks to the map
    (`min(window_resolution, resolution)`), as do the bias tables.
    """

    def __init__(self, dim: int, key_dim: int, num_heads: int = 8, attn_ratio: float = 4, resolution: int = 14,
                 window_resolution: int = 7, kernels: Sequence[int] = (5, 5, 5, 5)):
        super().__init__()
        self.window_resolution = window_resolution
        self.window = min(window_resolution, resolution)
        self.attn = CascadedGroupAttention(dim, key_dim, num_heads, attn_ratio, self.window, kernels)

    def set_resolution(self, resolution: int) -> None:
        """Follow a new map size: the window is `min(window_resolution, resolution)` again."""
        self.window = min(self.window_resolution, resolution)
        self.attn.set_resolution(self.window)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ws = self.window
        if h == ws and w == ws:
            return self.attn(x)
        pad_b, pad_r = (ws - h % ws) % ws, (ws - w % ws) % ws
        x = nn.functional.pad(x, (0, pad_r, 0, pad_b))
        hw = (h + pad_b, w + pad_r)
        x = window_reverse_nchw(self.attn(window_partition_nchw(x, (ws, ws))), (ws, ws), hw)
        return x[:, :, :h, :w].contiguous()


class EfficientVitBlock(nn.Module):
    """The sandwich: residual dw conv -> FFN -> windowed cascaded group attention -> dw conv -> FFN."""

    def __init__(self, dim: int, key_dim: int, num_heads: int, attn_ratio: float, resolution: int,
                 window_resolution: int, kernels: Sequence[int]):
        super().__init__()
        self.dw0 = Residual(_conv_bn(dim, dim, 3, groups=dim))
        self.ffn0 = Residual(ConvMlp(dim, dim * 2))
        self.mixer = Residual(LocalWindowAttention(dim, key_dim, num_heads, attn_ratio, resolution,
                                                   window_resolution, kernels))
        self.dw1 = Residual(_conv_bn(dim, dim, 3, groups=dim))
        self.ffn1 = Residual(ConvMlp(dim, dim * 2))
        for dw in (self.dw0, self.dw1):  # the residual branches of a block start as the identity
            nn.init.zeros_(dw.m.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffn1(self.dw1(self.mixer(self.ffn0(self.dw0(x)))))


class EfficientVitStage(nn.Module):
    """Optional downsampling (dw/FFN pair, patch merging, dw/FFN pair), then sandwich blocks."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, in_dim: int, out_dim: int, key_dim: int, num_heads: int, depth: int, resolution: int,
                 window_resolution: int, kernels: Sequence[int], downsample: bool):
        super().__init__()
        if downsample:
            self.downsample: nn.Module = nn.Sequential()
            self.downsample.add_module('res1', nn.Sequential(*dw_ffn(in_dim)))
            self.downsample.add_module('patchmerge', PatchMerging(in_dim, out_dim))
            self.downsample.add_module('res2', nn.Sequential(*dw_ffn(out_dim)))
        else:
            if in_dim != out_dim:
                raise ValueError(f'A stage without downsampling keeps its width: {in_dim} != {out_dim}.')
            self.downsample = nn.Identity()
        self.blocks = CheckpointSequential(*[
            EfficientVitBlock(out_dim, key_dim, num_heads, out_dim / (key_dim * num_heads), resolution,
                              window_resolution, kernels) for _ in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class PooledClassifierMixin:
    """global pool -> dropout (`drop_pooled`) -> classifier (`head`, an Identity without classes).

    For `ZooModel`s holding `global_pool`, `drop_pooled` and `head` at the top level (EfficientViT-M, SHViT); the
    family gives its classifier in `_classifier`. (Named `drop_pooled`, not `head_drop`: torchvision's FX feature
    extraction failed to name its nodes with a `head_drop` module beside `head` in EfficientViT-M.)
    """
    num_features: int

    def _classifier(self, in_features: int, num_classes: int) -> nn.Module:
        raise NotImplementedError

    def _check_head_pool(self, global_pool: str, num_classes: int) -> None:
        check_pooled_head(global_pool, num_classes)  # the BN-linear classifier needs pooled vectors
        if adaptive_pool_feat_mult(global_pool) != 1:
            raise ValueError(f'The classifier is sized for one pooled vector of the trunk width; global_pool='
                             f'{global_pool!r} doubles it. Use e.g. avg / max.')

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        self._check_head_pool(self.global_pool.pool_type if global_pool is None else global_pool, num_classes)
        if global_pool is not None:
            self.global_pool, _ = create_classifier(self.num_features, 0, pool_type=global_pool)
        self.head = self._classifier(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def _replace_head(self, in_features: int) -> None:
        self.global_pool, _ = create_classifier(in_features, 0, pool_type='')
        self.head = nn.Identity()

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop_pooled(self.global_pool(x))
        return x if pre_logits else self.head(x)


class EfficientVitMsra(PooledClassifierMixin, ZooModel):
    """EfficientViT-M: stride-16 conv stem, three stages of sandwich blocks, average pooling and a BN-linear head.

    Args:
        img_size: input size the attention-bias tables are made for.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 leaves pooled features.
        embed_dim: width of each stage.
        key_dim: query / key channels per head, per stage.
        depth: blocks per stage.
        num_heads: heads per stage.
        window_size: attention window per stage.
        kernels: query depthwise kernel of each head.
        down_ops: ('subsample', 2) for a stage starting with patch merging, ('', 1) for none.
        global_pool: pooling before the classifier ('' keeps maps from `forward_head(pre_logits=True)`).
        drop_rate: dropout before the classifier.
    """
    trunk = Trunk(stem=('patch_embed',), levels='stages')
    classifier_name = 'head.linear'
    groups = dict(
        stem=r'^patch_embed',
        blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+)\.\w+\.(\d+)', None)],
        coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            img_size: Union[int, Tuple[int, int]] = 224,
            in_chans: int = 3,
            num_classes: int = 1000,
            embed_dim: Sequence[int] = (64, 128, 192),
            key_dim: Sequence[int] = (16, 16, 16),
            depth: Sequence[int] = (1, 2, 3),
            num_heads: Sequence[int] = (4, 4, 4),
            window_size: Sequence[int] = (7, 7, 7),
            kernels: Sequence[int] = (5, 5, 5, 5),
            down_ops: Sequence[Tuple[str, int]] = (('', 1), ('subsample', 2), ('subsample', 2)),
            global_pool: str = 'avg',
            drop_rate: float = 0.,
    ):
        super().__init__()
        self.num_classes = check_num_classes(num_classes)
        self._check_head_pool(global_pool, num_classes)
        self.drop_rate = drop_rate
        self.img_size = to_2tuple(img_size)
        e0 = embed_dim[0]
        self.patch_embed = nn.Sequential()
        for i, (cin, cout) in enumerate(zip((in_chans, e0 // 8, e0 // 4, e0 // 2), (e0 // 8, e0 // 4, e0 // 2, e0))):
            self.patch_embed.add_module(f'conv{i + 1}', _conv_bn(cin, cout, 3, stride=2))
            if i < 3:
                self.patch_embed.add_module(f'relu{i + 1}', nn.ReLU())
        self._stage_strides = [op[1] if op[0] == 'subsample' else 1 for op in down_ops]
        stride = 16
        stages, self.feature_info = [], []
        in_dim = e0
        specs = zip(embed_dim, key_dim, depth, num_heads, window_size, self._stage_strides, self._stage_resolutions())
        for i, (dim, kd, d, nh, ws, step, resolution) in enumerate(specs):
            stride *= step
            stages.append(EfficientVitStage(in_dim, dim, kd, nh, d, resolution, ws, kernels, downsample=step > 1))
            self.feature_info.append(dict(num_chs=dim, reduction=stride, module=f'stages.{i}'))
            in_dim = dim
        self.stages = nn.Sequential(*stages)
        self.num_features = self.head_hidden_size = in_dim
        self.global_pool, _ = create_classifier(in_dim, 0, pool_type=global_pool)
        self.drop_pooled = nn.Identity()  # timm's dropout sits inside the classifier, after its norm
        self.head: nn.Module = self._classifier(in_dim, num_classes) if num_classes > 0 else nn.Identity()

    def _classifier(self, in_features: int, num_classes: int) -> nn.Module:
        return BatchNormLinear(in_features, num_classes, drop=self.drop_rate)

    def _stage_resolutions(self) -> List[int]:
        """Map side of each stage for `img_size`: the bias grids are square, so the short side sets them."""
        resolution, out = min(self.img_size) // 16, []
        for step in self._stage_strides:
            resolution = (resolution - 1) // step + 1
            out.append(resolution)
        return out

    def set_input_size(self, img_size: Optional[Union[int, Tuple[int, int]]] = None) -> None:
        """Re-size every attention window (and its bias tables) for `img_size` (None: the current size).

        The short side decides each stage's map size, so the windows of late stages grow or shrink with it; weights
        already loaded are resampled, as `checkpoint_filter_fn` does at load time.
        """
        if img_size is not None:
            self.img_size = to_2tuple(img_size)
        for stage, resolution in zip(self.stages, self._stage_resolutions()):
            for block in stage.blocks:
                block.mixer.m.set_resolution(resolution)
        self._record_input_size(self.img_size)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.patch_embed(x))


def _create_efficientvit_msra(variant: str, pretrained: bool = False, **kwargs: Any) -> EfficientVitMsra:
    out_indices = kwargs.pop('out_indices', (0, 1, 2))
    return build_model_with_cfg(EfficientVitMsra, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(flatten_sequential=True, out_indices=out_indices), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(4, 4),
               fixed_input_size=True, crop_pct=.875, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN,
               std=IMAGENET_DEFAULT_STD, first_conv='patch_embed.conv1.conv', classifier='head.linear',
               license='mit')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'efficientvit_m0.r224_in1k': _cfg(),
    'efficientvit_m1.r224_in1k': _cfg(),
    'efficientvit_m2.r224_in1k': _cfg(),
    'efficientvit_m3.r224_in1k': _cfg(),
    'efficientvit_m4.r224_in1k': _cfg(),
    'efficientvit_m5.r224_in1k': _cfg(),
})

# (embed_dim, depth, num_heads, kernels) of each model (paper table 9)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    efficientvit_m0=dict(embed_dim=(64, 128, 192), depth=(1, 2, 3), num_heads=(4, 4, 4), kernels=(5, 5, 5, 5)),
    efficientvit_m1=dict(embed_dim=(128, 144, 192), depth=(1, 2, 3), num_heads=(2, 3, 3), kernels=(7, 5, 3, 3)),
    efficientvit_m2=dict(embed_dim=(128, 192, 224), depth=(1, 2, 3), num_heads=(4, 3, 2), kernels=(7, 5, 3, 3)),
    efficientvit_m3=dict(embed_dim=(128, 240, 320), depth=(1, 2, 3), num_heads=(4, 3, 4), kernels=(5, 5, 5, 5)),
    efficientvit_m4=dict(embed_dim=(128, 256, 384), depth=(1, 2, 3), num_heads=(4, 4, 4), kernels=(7, 5, 3, 3)),
    efficientvit_m5=dict(embed_dim=(192, 288, 384), depth=(1, 3, 4), num_heads=(3, 3, 4), kernels=(7, 5, 3, 3)),
)


def _efficientvit_msra(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> EfficientVitMsra:
    return _create_efficientvit_msra(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def efficientvit_m0(pretrained: bool = False, **kwargs) -> EfficientVitMsra:
    return _efficientvit_msra('efficientvit_m0', pretrained, kwargs)


@register_model
def efficientvit_m1(pretrained: bool = False, **kwargs) -> EfficientVitMsra:
    return _efficientvit_msra('efficientvit_m1', pretrained, kwargs)


@register_model
def efficientvit_m2(pretrained: bool = False, **kwargs) -> EfficientVitMsra:
    return _efficientvit_msra('efficientvit_m2', pretrained, kwargs)


@register_model
def efficientvit_m3(pretrained: bool = False, **kwargs) -> EfficientVitMsra:
    return _efficientvit_msra('efficientvit_m3', pretrained, kwargs)


@register_model
def efficientvit_m4(pretrained: bool = False, **kwargs) -> EfficientVitMsra:
    return _efficientvit_msra('efficientvit_m4', pretrained, kwargs)


@register_model
def efficientvit_m5(pretrained: bool = False, **kwargs) -> EfficientVitMsra:
    return _efficientvit_msra('efficientvit_m5', pretrained, kwargs)
