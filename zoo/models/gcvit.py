"""GC ViT: Global Context Vision Transformer.

Paper: "Global Context Vision Transformers", Hatamizadeh et al., ICML 2023 (arXiv:2206.09959).

Window attention alternates between local and global blocks. A local block is plain windowed multi-head attention
with a learned relative position bias. A global block takes its keys and values from the window but its queries from
a *global* token map: the whole stage's feature map squeezed by a "feature block" (fused-MBConv-style blocks with SE,
each followed by a stride-2 max pool) down to exactly one window's size, so every window attends with the same global
queries of its image. Stages are joined by a downsampler (LayerNorm, MBConv, strided 3x3 conv, LayerNorm); the stem
is a strided 3x3 conv followed by one such downsampler (stride 4 in all).

Window sizes follow the input size (`img_size / window_ratio`), so a model is built for one input size
(`fixed_input_size` in the cfgs); the relative position tables then depend on `img_size` and timm does not resample
them on load, so neither does zoo.
"""
import math
from typing import Any, Dict, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers import DropPath, LayerType
from zoo.layers.activations import get_act_layer
from zoo.layers.attention import attend
from zoo.layers.classifier import ClassifierHead
from zoo.layers.config import use_fused_attn
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.helpers import to_2tuple, to_ntuple
from zoo.layers.layer_scale import LayerScale
from zoo.layers.mlp import Mlp
from zoo.layers.norm import LayerNorm2d
from zoo.layers.rel_pos_bias import RelPosBias
from zoo.layers.squeeze_excite import SEModule
from zoo.layers.window import window_partition, window_reverse
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['GlobalContextVit']

SizeT = Union[int, Tuple[int, int]]


class MbConvBlock(nn.Module):
    """x + PW(SE(act(DW(x)))): a norm-free inverted-residual block (expansion 1 by default)."""

    def __init__(self, in_chs: int, out_chs: Optional[int] = None, expand_ratio: float = 1.,
                 act_layer: LayerType = nn.GELU):
        super().__init__()
        mid_chs = int(expand_ratio * in_chs)
        self.conv_dw = nn.Conv2d(in_chs, mid_chs, 3, 1, 1, groups=in_chs, bias=False)
        self.act = get_act_layer(act_layer)()
        self.se = SEModule(mid_chs, rd_ratio=0.25, bias=False, act_layer=act_layer)
        self.conv_pw = nn.Conv2d(mid_chs, out_chs or in_chs, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_pw(self.se(self.act(self.conv_dw(x))))


class Downsample2d(nn.Module):
    """norm -> MBConv -> strided 3x3 conv -> norm, on NCHW maps."""

    def __init__(self, dim: int, dim_out: Optional[int] = None, act_layer: LayerType = nn.GELU,
                 norm_layer: type = LayerNorm2d):
        super().__init__()
        dim_out = dim_out or dim
        self.norm1 = norm_layer(dim)
        self.conv_block = MbConvBlock(dim, act_layer=act_layer)
        self.reduction = nn.Conv2d(dim, dim_out, 3, 2, 1, bias=False)
        self.norm2 = norm_layer(dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm2(self.reduction(self.conv_block(self.norm1(x))))


class FeatureBlock(nn.Module):
    """Global query generator: `levels` MBConv blocks each followed by a 3x3 stride-2 max pool (one MBConv and no
    pooling when the map already has the window's size)."""

    def __init__(self, dim: int, levels: int = 0, act_layer: LayerType = nn.GELU):
        super().__init__()
        self.blocks = nn.Sequential()
        for i in range(max(1, levels)):
            self.blocks.add_module(f'conv{i + 1}', MbConvBlock(dim, act_layer=act_layer))
            if i < levels:
                self.blocks.add_module(f'pool{i + 1}', nn.MaxPool2d(3, 2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class Stem(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, act_layer: LayerType, norm_layer: type):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chs, out_chs, 3, 2, 1)
        self.down = Downsample2d(out_chs, act_layer=act_layer, norm_layer=norm_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.conv1(x))


class WindowAttentionGlobal(nn.Module):
    """Window attention with a relative position bias; with `use_global` the queries come from the global token map
    (one window's worth per image, shared by all its windows) and the projection only makes keys and values."""

    def __init__(self, dim: int, num_heads: int, window_size: Tuple[int, int], use_global: bool = True,
                 qkv_bias: bool = True, attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        self.window_size = to_2tuple(window_size)
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.use_global = use_global
        self.fused_attn = use_fused_attn()
        self.rel_pos = RelPosBias(self.window_size, num_heads)
        self.qkv = nn.Linear(dim, dim * (2 if use_global else 3), bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor, q_global: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, n, c = x.shape
        heads, hd = self.num_heads, self.head_dim
        if self.use_global and q_global is not None:
            k, v = self.qkv(x).reshape(b, n, 2, heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
            images = q_global.shape[0]
            # windows are image-major, so each image's queries repeat over its consecutive windows
            q = q_global.reshape(images, 1, n, heads, hd).permute(0, 1, 3, 2, 4)
            q = q.expand(images, b // images, heads, n, hd).reshape(b, heads, n, hd)
        else:
            q, k, v = self.qkv(x).reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
        x = attend(q, k, v, attn_mask=self.rel_pos.get_bias().to(q.dtype), fused=self.fused_attn,
                   dropout_p=self.attn_drop.p if self.training else 0.)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(b, n, c)))


class GlobalContextVitBlock(nn.Module):
    """Pre-norm (global or local) window attention and MLP residuals on NHWC maps."""

    def __init__(self, dim: int, num_heads: int, window_size: Tuple[int, int], mlp_ratio: float = 4.,
                 use_global: bool = True, qkv_bias: bool = True, layer_scale: Optional[float] = None,
                 proj_drop: float = 0., attn_drop: float = 0., drop_path: float = 0., act_layer: LayerType = nn.GELU,
                 norm_layer: type = nn.LayerNorm):
        super().__init__()
        self.window_size = to_2tuple(window_size)
        self.norm1 = norm_layer(dim)
        self.attn = WindowAttentionGlobal(dim, num_heads, self.window_size, use_global, qkv_bias, attn_drop,
                                          proj_drop)
        self.ls1 = LayerScale(dim, layer_scale) if layer_scale is not None else nn.Identity()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.ls2 = LayerScale(dim, layer_scale) if layer_scale is not None else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def _window_attn(self, x: torch.Tensor, q_global: Optional[torch.Tensor]) -> torch.Tensor:
        b, h, w, c = x.shape
        windows = window_partition(x, self.window_size).flatten(1, 2)
        return window_reverse(self.attn(windows, q_global), self.window_size, (h, w))

    def forward(self, x: torch.Tensor, q_global: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = x + self.drop_path1(self.ls1(self._window_attn(self.norm1(x), q_global)))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class GlobalContextVitStage(nn.Module):
    """Optional downsampling, the global query map, then alternating local / global blocks (NCHW in and out)."""

    def __init__(
            self,
            dim: int,
            depth: int,
            num_heads: int,
            feat_size: Tuple[int, int],
            window_size: Tuple[int, int],
            downsample: bool,
            stage_norm: bool,
            mlp_ratio: float,
            qkv_bias: bool,
            layer_scale: Optional[float],
            proj_drop: float,
            attn_drop: float,
            drop_path: Sequence[float],
            act_layer: LayerType,
            norm_layer: type,
            norm_layer_cl: type,
    ):
        super().__init__()
        self.grad_checkpointing = False
        if downsample:
            self.downsample = Downsample2d(dim, dim * 2, act_layer, norm_layer)
            dim, feat_size = dim * 2, (feat_size[0] // 2, feat_size[1] // 2)
        else:
            self.downsample = nn.Identity()
        self.dim, self.feat_size = dim, feat_size
        # pool the map down to one window (each stride-2 pool halves it)
        levels = int(math.log2(min(feat_size) / min(window_size)))
        self.global_block = FeatureBlock(dim, levels, act_layer)
        self.global_norm = nn.Identity()  # the published models do not normalise the global queries
        self.blocks = nn.ModuleList([
            GlobalContextVitBlock(dim, num_heads, window_size, mlp_ratio, use_global=i % 2 == 1, qkv_bias=qkv_bias,
                                  layer_scale=layer_scale, proj_drop=proj_drop, attn_drop=attn_drop,
                                  drop_path=drop_path[i], act_layer=act_layer, norm_layer=norm_layer_cl)
            for i in range(depth)])
        self.norm = norm_layer_cl(dim) if stage_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        q_global = self.global_norm(self.global_block(x).permute(0, 2, 3, 1))
        x = x.permute(0, 2, 3, 1)
        for block in self.blocks:
            x = maybe_checkpoint(block, x, q_global, enabled=self.grad_checkpointing)
        return self.norm(x).permute(0, 3, 1, 2).contiguous()


class GlobalContextVit(ZooModel):
    """GC ViT.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: classifier pooling ('' with num_classes=0 for unpooled maps).
        img_size: the input size the windows are fitted to.
        window_ratio: per stage, img_size / window side (used when window_size is None).
        window_size: per-stage window sides (overrides window_ratio).
        embed_dim: width of the first stage (doubling per later stage).
        depths: blocks per stage.
        num_heads: heads per stage.
        mlp_ratio: MLP expansion.
        qkv_bias: bias on the qkv projection.
        layer_scale: LayerScale init; None disables it.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth of the last block.
        act_layer: activation.
        norm_eps: epsilon of every LayerNorm.
    """
    trunk = Trunk(stem=('stem',), levels='stages')
    classifier_name = 'head.fc'
    groups = dict(stem=r'^stem', blocks=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            img_size: SizeT = 224,
            window_ratio: Union[int, Sequence[int]] = (32, 32, 16, 32),
            window_size: Optional[Union[int, Sequence[int]]] = None,
            embed_dim: int = 64,
            depths: Sequence[int] = (3, 4, 19, 5),
            num_heads: Sequence[int] = (2, 4, 8, 16),
            mlp_ratio: float = 3.,
            qkv_bias: bool = True,
            layer_scale: Optional[float] = None,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            act_layer: LayerType = 'gelu',
            norm_eps: float = 1e-5,
    ):
        super().__init__()
        num_stages = len(depths)
        img_size = to_2tuple(img_size)
        if window_size is not None:
            windows = [to_2tuple(w) for w in to_ntuple(num_stages)(window_size)]
        else:
            windows = [(img_size[0] // r, img_size[1] // r) for r in to_ntuple(num_stages)(window_ratio)]
        act_layer = get_act_layer(act_layer)

        def norm_layer(dim: int) -> nn.Module:
            return LayerNorm2d(dim, eps=norm_eps)

        def norm_layer_cl(dim: int) -> nn.Module:
            return nn.LayerNorm(dim, eps=norm_eps)

        self.num_classes = num_classes
        self.in_chans = in_chans
        self.num_features = self.head_hidden_size = embed_dim * 2 ** (num_stages - 1)
        self.stem = Stem(in_chans, embed_dim, act_layer, norm_layer)
        feat_size = (img_size[0] // 4, img_size[1] // 4)
        rates = stagewise_drop_path_rates(drop_path_rate, depths)
        stages, self.feature_info = [], []
        for i in range(num_stages):
            scale = 2 ** max(i - 1, 0)
            stages.append(GlobalContextVitStage(
                embed_dim * scale, depths[i], num_heads[i], (feat_size[0] // scale, feat_size[1] // scale),
                windows[i], downsample=i > 0, stage_norm=i == num_stages - 1, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                layer_scale=layer_scale, proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, drop_path=rates[i],
                act_layer=act_layer, norm_layer=norm_layer, norm_layer_cl=norm_layer_cl))
            self.feature_info.append(dict(num_chs=stages[-1].dim, reduction=2 ** (i + 2), module=f'stages.{i}'))
        self.stages = nn.Sequential(*stages)
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        for module in self.modules():
            if isinstance(module, RelPosBias):
                module.init_weights()

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {n for n, _ in self.named_parameters() if 'relative_position_bias_table' in n}

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


def _create_gcvit(variant: str, pretrained: bool = False, **kwargs: Any) -> GlobalContextVit:
    return build_model_with_cfg(GlobalContextVit, variant, pretrained,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=.875,
               interpolation='bicubic', mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
               first_conv='stem.conv1', classifier='head.fc', fixed_input_size=True, license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_URL = 'https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-weights-morevit/gcvit_{}.pth'

default_cfgs = generate_default_cfgs({
    'gcvit_xxtiny.in1k': _cfg(url=_URL.format('xxtiny_224_nvidia-d1d86009')),
    'gcvit_xtiny.in1k': _cfg(url=_URL.format('xtiny_224_nvidia-274b92b7')),
    'gcvit_tiny.in1k': _cfg(url=_URL.format('tiny_224_nvidia-ac783954')),
    'gcvit_small.in1k': _cfg(url=_URL.format('small_224_nvidia-4e98afa2')),
    'gcvit_base.in1k': _cfg(url=_URL.format('base_224_nvidia-f009139b')),
})

_ARCHS: Dict[str, Dict[str, Any]] = dict(
    gcvit_xxtiny=dict(depths=(2, 2, 6, 2), num_heads=(2, 4, 8, 16)),
    gcvit_xtiny=dict(depths=(3, 4, 6, 5), num_heads=(2, 4, 8, 16)),
    gcvit_tiny=dict(depths=(3, 4, 19, 5), num_heads=(2, 4, 8, 16)),
    gcvit_small=dict(depths=(3, 4, 19, 5), num_heads=(3, 6, 12, 24), embed_dim=96, mlp_ratio=2, layer_scale=1e-5),
    gcvit_base=dict(depths=(3, 4, 19, 5), num_heads=(4, 8, 16, 32), embed_dim=128, mlp_ratio=2, layer_scale=1e-5),
)


def _gcvit(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> GlobalContextVit:
    return _create_gcvit(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def gcvit_xxtiny(pretrained: bool = False, **kwargs) -> GlobalContextVit:
    return _gcvit('gcvit_xxtiny', pretrained, kwargs)


@register_model
def gcvit_xtiny(pretrained: bool = False, **kwargs) -> GlobalContextVit:
    return _gcvit('gcvit_xtiny', pretrained, kwargs)


@register_model
def gcvit_tiny(pretrained: bool = False, **kwargs) -> GlobalContextVit:
    return _gcvit('gcvit_tiny', pretrained, kwargs)


@register_model
def gcvit_small(pretrained: bool = False, **kwargs) -> GlobalContextVit:
    return _gcvit('gcvit_small', pretrained, kwargs)


@register_model
def gcvit_base(pretrained: bool = False, **kwargs) -> GlobalContextVit:
    return _gcvit('gcvit_base', pretrained, kwargs)
