"""HieraDet: the Hiera image encoder of SAM 2.

Papers: "SAM 2: Segment Anything in Images and Videos", Ravi et al., 2024 (arXiv:2408.00714); "Hiera: A Hierarchical
Vision Transformer without the Bells-and-Whistles", Ryali et al., 2023 (arXiv:2306.00989); "Window Attention is
Bugged: How not to Interpolate Position Embeddings", Bolya et al., 2023 (arXiv:2311.05613).

SAM 2's Hiera keeps the architecture of `zoo.models.hiera` (widths and heads doubling per stage, 2x2 query pooling
at the first blocks of stages 2-4, a projected and max-pooled residual there) but runs on NHWC maps instead of
unrolled tokens: attention is windowed (zero-padded to whole windows; the window size of each stage lags one block,
and with query pooling the output windows are half as wide), and a few blocks per model attend globally. Position
embeddings are a global table resized bicubically to the token grid plus a window table tiled over it.
"""
import math
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath
from zoo.layers.activations import get_act_layer
from zoo.layers.attention import attend
from zoo.layers.cl_norm_mlp_head import ClNormMlpClassifierHead
from zoo.layers.config import use_fused_attn
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.helpers import to_2tuple
from zoo.layers.layer_scale import LayerScale
from zoo.layers.mlp import Mlp
from zoo.layers.norm import get_norm_layer
from zoo.layers.window import window_partition, window_reverse
from zoo.models._base import Trunk, ZooModel, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.hiera import IndicesT, init_hiera_weights_, prune_blocks_, take_block_indices

__all__ = ['HieraDet']


def _padded(h: int, w: int, window: Tuple[int, int]) -> Tuple[int, int]:
    return math.ceil(h / window[0]) * window[0], math.ceil(w / window[1]) * window[1]


class MultiScaleAttention(nn.Module):
    """Self-attention over (B, H, W, C) maps (windows or whole maps), with optional max-pooled queries."""

    def __init__(self, dim: int, dim_out: int, num_heads: int, q_stride: Optional[Tuple[int, int]] = None):
        super().__init__()
        self.dim, self.dim_out, self.num_heads = dim, dim_out, num_heads
        self.fused_attn = use_fused_attn()
        self.q_pool = nn.MaxPool2d(q_stride, q_stride) if q_stride else None
        self.qkv = nn.Linear(dim, dim_out * 3)
        self.proj = nn.Linear(dim_out, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, h * w, 3, self.num_heads, -1).unbind(2)
        if self.q_pool is not None:
            q = self.q_pool(q.reshape(b, h, w, -1).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            h, w = q.shape[1:3]
            q = q.reshape(b, h * w, self.num_heads, -1)
        x = attend(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), fused=self.fused_attn)
        return self.proj(x.transpose(1, 2).reshape(b, h, w, -1))


class MultiScaleBlock(nn.Module):
    """Pre-norm (windowed or global) attention and MLP residuals on NHWC maps; a widening block projects and pools its
    residual from the normalised input.

    Args:
        dim: input width.
        dim_out: output width.
        num_heads: attention heads.
        mlp_ratio: MLP expansion.
        q_stride: query / residual pooling stride (stage transitions), None for none.
        norm_layer: norm factory.
        act_layer: MLP activation.
        window_size: attention window side; 0 for global attention.
        init_values: LayerScale init; None for none.
        drop_path: stochastic depth rate.
    """

    def __init__(self, dim: int, dim_out: int, num_heads: int, mlp_ratio: float = 4.,
                 q_stride: Optional[Tuple[int, int]] = None, norm_layer: type = nn.LayerNorm,
                 act_layer: type = nn.GELU, window_size: int = 0, init_values: Optional[float] = None,
                 drop_path: float = 0.):
        super().__init__()
        self.dim, self.dim_out, self.q_stride = dim, dim_out, q_stride
        self.window_size = to_2tuple(window_size)
        self.is_windowed = any(self.window_size)
        self.proj = nn.Linear(dim, dim_out) if dim != dim_out else nn.Identity()
        self.pool = nn.MaxPool2d(q_stride, q_stride) if q_stride else None
        self.norm1 = norm_layer(dim)
        self.attn = MultiScaleAttention(dim, dim_out, num_heads, q_stride)
        self.ls1 = LayerScale(dim_out, init_values) if init_values is not None else nn.Identity()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim_out)
        self.mlp = Mlp(dim_out, int(dim_out * mlp_ratio), act_layer=act_layer)
        self.ls2 = LayerScale(dim_out, init_values) if init_values is not None else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def _attend(self, x: torch.Tensor, out_hw: Tuple[int, int]) -> torch.Tensor:
        if not self.is_windowed:
            return self.attn(x)
        h, w = x.shape[1:3]
        hp, wp = _padded(h, w, self.window_size)
        x = F.pad(x, (0, 0, 0, wp - w, 0, hp - h))
        x = self.attn(window_partition(x, self.window_size))
        window = self.window_size
        if self.q_stride is not None:
            # pooled queries make every window (and so the padded map) smaller by the stride
            window = (window[0] // self.q_stride[0], window[1] // self.q_stride[1])
        hp, wp = _padded(out_hw[0], out_hw[1], window)
        return window_reverse(x, window, (hp, wp))[:, :out_hw[0], :out_hw[1]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm1(x)
        if self.dim != self.dim_out:
            shortcut = self.proj(x)
            if self.pool is not None:
                shortcut = self.pool(shortcut.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        x = self._attend(x, (shortcut.shape[1], shortcut.shape[2]))
        x = shortcut + self.drop_path1(self.ls1(x))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class HieraPatchEmbed(nn.Module):
    """Overlapping strided conv -> NHWC map."""

    def __init__(self, kernel_size: Tuple[int, int], stride: Tuple[int, int], padding: Tuple[int, int],
                 in_chans: int, embed_dim: int):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size, stride, padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).permute(0, 2, 3, 1)


class HieraDet(ZooModel):
    """SAM 2 Hiera image encoder (with an optional classifier head).

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 for features only (the SAM 2 weights).
        global_pool: head pooling ('avg', 'max', 'avgmax', '').
        embed_dim: width of the first stage.
        num_heads: heads of the first stage.
        patch_kernel: patch embedding kernel.
        patch_stride: patch embedding stride.
        patch_padding: patch embedding padding.
        q_pool: number of stage transitions that pool.
        q_stride: pooling stride.
        stages: blocks per stage.
        dim_mul: width multiplier per stage.
        head_mul: head-count multiplier per stage.
        global_pos_size: size of the global position table.
        window_spec: attention window per stage.
        global_att_blocks: blocks that attend globally.
        init_values: LayerScale init; None disables it.
        weight_init: '' (truncated normal), 'jax' or 'skip'.
        fix_init: scale block output projections by 1 / sqrt(2 * block index) at init.
        head_init_scale: scale of the initial classifier weights.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth of the last block.
        norm_layer: norm (name or class).
        act_layer: MLP activation (name or class).
    """
    classifier_name = 'head.fc'
    groups = dict(stem=r'^pos_embed|pos_embed_window|patch_embed', blocks=[(r'^blocks\.(\d+)', None)])
    output_fmt = 'NHWC'

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dim: int = 96,
            num_heads: int = 1,
            patch_kernel: Tuple[int, int] = (7, 7),
            patch_stride: Tuple[int, int] = (4, 4),
            patch_padding: Tuple[int, int] = (3, 3),
            q_pool: int = 3,
            q_stride: Tuple[int, int] = (2, 2),
            stages: Sequence[int] = (2, 3, 16, 3),
            dim_mul: float = 2.,
            head_mul: float = 2.,
            global_pos_size: Tuple[int, int] = (7, 7),
            window_spec: Sequence[int] = (8, 4, 14, 7),
            global_att_blocks: Sequence[int] = (12, 16, 20),
            init_values: Optional[float] = None,
            weight_init: str = '',
            fix_init: bool = True,
            head_init_scale: float = 0.001,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Union[str, type] = 'layernorm',
            act_layer: Union[str, type] = 'gelu',
    ):
        super().__init__()
        if len(stages) != len(window_spec):
            raise ValueError(f'window_spec needs one window per stage ({len(stages)}), got {tuple(window_spec)}.')
        if not 0 <= q_pool < len(stages):
            raise ValueError(f'q_pool must be in [0, {len(stages) - 1}], got {q_pool}.')
        norm_layer, act_layer = get_norm_layer(norm_layer), get_act_layer(act_layer)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.grad_checkpointing = False
        self.stage_ends = [sum(stages[:i + 1]) - 1 for i in range(len(stages))]
        q_pool_blocks = [end + 1 for end in self.stage_ends[:-1]][:q_pool]
        self.patch_embed = HieraPatchEmbed(patch_kernel, patch_stride, patch_padding, in_chans, embed_dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, embed_dim, *global_pos_size))
        self.pos_embed_window = nn.Parameter(torch.zeros(1, embed_dim, window_spec[0], window_spec[0]))
        rates = stagewise_drop_path_rates(drop_path_rate, [sum(stages)])[0]
        self.blocks = nn.Sequential()
        self.feature_info = []
        stage = 0
        for i in range(sum(stages)):
            dim_out = embed_dim
            # the first block of a stage still uses the previous stage's window
            window = 0 if i in global_att_blocks else window_spec[stage]
            if i - 1 in self.stage_ends:
                dim_out, num_heads, stage = int(embed_dim * dim_mul), int(num_heads * head_mul), stage + 1
            self.blocks.append(MultiScaleBlock(
                embed_dim, dim_out, num_heads, q_stride=tuple(q_stride) if i in q_pool_blocks else None,
                window_size=window, norm_layer=norm_layer, act_layer=act_layer, init_values=init_values,
                drop_path=rates[i]))
            embed_dim = dim_out
            if i in self.stage_ends:
                self.feature_info.append(dict(num_chs=dim_out, reduction=2 ** (stage + 2), module=f'blocks.{i}'))
        self.num_features = self.head_hidden_size = embed_dim
        self.head = ClNormMlpClassifierHead(embed_dim, num_classes, pool_type=global_pool, drop_rate=drop_rate,
                                            norm_layer=norm_layer)
        self.trunk = Trunk(stem=('patch_embed',), level_fmt='NHWC',
                           levels=split_levels([f'blocks.{i}' for i in range(len(self.blocks))], self.stage_ends))
        init_hiera_weights_(self, (self.pos_embed, self.pos_embed_window), weight_init, fix_init, head_init_scale)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {'pos_embed', 'pos_embed_window'}

    def _pos_embed(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[1:3]
        pos = F.interpolate(self.pos_embed, size=(h, w), mode='bicubic')
        win = self.pos_embed_window
        pos = pos + win.tile((h // win.shape[-2], w // win.shape[-1]))
        return x + pos.permute(0, 2, 3, 1)

    def _run_block(self, i: int, x: torch.Tensor) -> torch.Tensor:
        return maybe_checkpoint(self.blocks[i], x, enabled=self.grad_checkpointing)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self._pos_embed(self.patch_embed(x))
        for i in range(len(self.blocks)):
            x = self._run_block(i, x)
        return x

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = True,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
            coarse: bool = True,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """Outputs of the stages (or with `coarse=False`, of the blocks) in `indices`, as 'NCHW' or 'NHWC' maps.

        `norm` is not supported: the only norm follows pooling in the head.
        """
        if norm:
            raise ValueError('HieraDet has no feature norm (its norm follows pooling in the head); use norm=False.')
        if output_fmt not in ('NCHW', 'NHWC'):
            raise ValueError(f"HieraDet intermediates are 'NCHW' or 'NHWC', not {output_fmt!r}.")
        take, max_index = take_block_indices(self.stage_ends, len(self.blocks), indices, coarse)
        x = self._pos_embed(self.patch_embed(x))
        last = max_index if stop_early else len(self.blocks) - 1
        intermediates = []
        for i in range(last + 1):
            x = self._run_block(i, x)
            if i in take:
                intermediates.append(x.permute(0, 3, 1, 2) if output_fmt == 'NCHW' else x)
        if intermediates_only:
            return intermediates
        return x, intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: IndicesT = 1, prune_norm: bool = False, prune_head: bool = True,
                                  coarse: bool = True) -> List[int]:
        """Drop the blocks after the last requested level; the head goes with a truncated trunk or on request."""
        return prune_blocks_(self, indices, prune_head, coarse)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: HieraDet, prefix: str = '') -> Dict[str, torch.Tensor]:
    """SAM 2 checkpoints: keys under `prefix` (e.g. 'image_encoder.trunk.'), MLP layers as `mlp.layers.{0,1}`."""
    state_dict = state_dict.get('model', state_dict)
    out = {}
    for key, value in state_dict.items():
        if not key.startswith(prefix):
            continue
        key = key[len(prefix):].replace('mlp.layers.0', 'mlp.fc1').replace('mlp.layers.1', 'mlp.fc2')
        out[key] = value
    return out


def _create_hiera_det(variant: str, pretrained: bool = False, **kwargs: Any) -> HieraDet:
    return build_model_with_cfg(HieraDet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=4, feature_cls='getter'), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', num_classes=0, input_size=(3, 896, 896), pool_size=(28, 28), crop_pct=1.,
               interpolation='bicubic', min_input_size=(3, 224, 224), mean=(0.485, 0.456, 0.406),
               std=(0.229, 0.224, 0.225), first_conv='patch_embed.proj', classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_R1024 = dict(min_input_size=(3, 256, 256), input_size=(3, 1024, 1024), pool_size=(32, 32))

default_cfgs = generate_default_cfgs({
    'sam2_hiera_tiny.fb_r896': _cfg(),
    'sam2_hiera_tiny.fb_r896_2pt1': _cfg(),
    'sam2_hiera_small.fb_r896': _cfg(),
    'sam2_hiera_small.fb_r896_2pt1': _cfg(),
    'sam2_hiera_base_plus.fb_r896': _cfg(),
    'sam2_hiera_base_plus.fb_r896_2pt1': _cfg(),
    'sam2_hiera_large.fb_r1024': _cfg(**_R1024),
    'sam2_hiera_large.fb_r1024_2pt1': _cfg(**_R1024),
    'hieradet_small.untrained': _cfg(hf_hub_id=None, num_classes=1000, input_size=(3, 256, 256), pool_size=(8, 8)),
})

_ARCHS: Dict[str, Dict[str, Any]] = dict(
    sam2_hiera_tiny=dict(stages=(1, 2, 7, 2), global_att_blocks=(5, 7, 9)),
    sam2_hiera_small=dict(stages=(1, 2, 11, 2), global_att_blocks=(7, 10, 13)),
    sam2_hiera_base_plus=dict(embed_dim=112, num_heads=2, global_pos_size=(14, 14)),
    sam2_hiera_large=dict(embed_dim=144, num_heads=2, stages=(2, 6, 36, 4), global_att_blocks=(23, 33, 43),
                          window_spec=(8, 4, 16, 8)),
    hieradet_small=dict(stages=(1, 2, 11, 2), global_att_blocks=(7, 10, 13), window_spec=(8, 4, 16, 8),
                        init_values=1e-5),
)


def _hiera_det(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> HieraDet:
    return _create_hiera_det(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def sam2_hiera_tiny(pretrained: bool = False, **kwargs) -> HieraDet:
    return _hiera_det('sam2_hiera_tiny', pretrained, kwargs)


@register_model
def sam2_hiera_small(pretrained: bool = False, **kwargs) -> HieraDet:
    return _hiera_det('sam2_hiera_small', pretrained, kwargs)


@register_model
def sam2_hiera_base_plus(pretrained: bool = False, **kwargs) -> HieraDet:
    return _hiera_det('sam2_hiera_base_plus', pretrained, kwargs)


@register_model
def sam2_hiera_large(pretrained: bool = False, **kwargs) -> HieraDet:
    return _hiera_det('sam2_hiera_large', pretrained, kwargs)


@register_model
def hieradet_small(pretrained: bool = False, **kwargs) -> HieraDet:
    return _hiera_det('hieradet_small', pretrained, kwargs)
