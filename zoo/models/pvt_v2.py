"""PVT v2: Pyramid Vision Transformer v2.

Paper: "PVT v2: Improved Baselines with Pyramid Vision Transformer", Wang et al., 2021 (arXiv:2106.13797).

Four stages at strides 4-32, each opened by an overlapping patch embedding (`zoo.layers.overlap_patch_embed`). Blocks
use spatial-reduction attention (`zoo.layers.sr_attention`: keys and values from a grid shrunk by sr_ratio, or pooled
to 7x7 in the linear "li" variant) and an MLP with a depthwise 3x3 conv between its linears, which supplies the
position information (no position embedding), so any input size works. Each stage ends with a LayerNorm and hands
an NCHW map to the next.
"""
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerNorm, LayerType, get_norm_layer, stagewise_drop_path_rates, to_ntuple
from zoo.layers.overlap_patch_embed import OverlapPatchEmbed
from zoo.layers.sr_attention import SpatialReductionAttention
from zoo.layers.weight_init import init_trunc_normal_fan_out_
from zoo.models._base import Trunk, ZooModel, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag, maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['PyramidVisionTransformerV2', 'PyramidVisionTransformerStage', 'Block', 'checkpoint_filter_fn']

Size = Tuple[int, int]


def _check_pool(global_pool: str, num_classes: int) -> None:
    if global_pool not in ('avg', ''):
        raise ValueError(f"global_pool must be 'avg' or '', got {global_pool!r}.")
    check_pooled_head(global_pool, num_classes)


class MlpWithDepthwiseConv(nn.Module):
    """fc1 -> (ReLU, linear variant) -> depthwise 3x3 conv on the grid -> activation -> fc2."""

    def __init__(self, in_features: int, hidden_features: int, act_layer: LayerType = nn.GELU, drop: float = 0.,
                 extra_relu: bool = False):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.relu = nn.ReLU() if extra_relu else nn.Identity()
        self.dwconv = nn.Conv2d(hidden_features, hidden_features, 3, padding=1, groups=hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        x = self.fc1(x)
        b, n, c = x.shape
        grid = self.relu(x.transpose(1, 2).reshape(b, c, size[0], size[1]))
        x = self.drop(self.act(self.dwconv(grid).flatten(2).transpose(1, 2)))
        return self.drop(self.fc2(x))


class Block(nn.Module):
    """x + SRA(norm(x)), then x + dwconv-MLP(norm(x)) on (B, H * W, C) tokens of an (H, W) grid."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4., sr_ratio: int = 1, linear_attn: bool = False,
                 qkv_bias: bool = False, proj_drop: float = 0., attn_drop: float = 0., drop_path: float = 0.,
                 act_layer: LayerType = nn.GELU, norm_layer: LayerType = LayerNorm):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = SpatialReductionAttention(dim, num_heads, sr_ratio=sr_ratio, linear_attn=linear_attn,
                                              qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = MlpWithDepthwiseConv(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop,
                                        extra_relu=linear_attn)

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), size))
        return x + self.drop_path(self.mlp(self.norm2(x), size))


class PyramidVisionTransformerStage(nn.Module):
    """Optional overlapping 3x3/2 patch embedding, blocks, LayerNorm; NCHW output (NHWC input when not downsampling)."""

    def __init__(self, dim: int, dim_out: int, depth: int, downsample: bool = True, num_heads: int = 8,
                 sr_ratio: int = 1, linear_attn: bool = False, mlp_ratio: float = 4., qkv_bias: bool = True,
                 proj_drop: float = 0., attn_drop: float = 0., drop_path: Union[float, Sequence[float]] = 0.,
                 norm_layer: LayerType = LayerNorm):
        super().__init__()
        self.grad_checkpointing = False
        if downsample:
            self.downsample = OverlapPatchEmbed(patch_size=3, stride=2, in_chans=dim, embed_dim=dim_out)
        else:
            if dim != dim_out:
                raise ValueError(f'A stage without downsampling keeps its width ({dim} != {dim_out}).')
            self.downsample = None
        rates = list(drop_path) if isinstance(drop_path, (list, tuple)) else [drop_path] * depth
        self.blocks = nn.ModuleList([
            Block(dim_out, num_heads, mlp_ratio=mlp_ratio, sr_ratio=sr_ratio, linear_attn=linear_attn,
                  qkv_bias=qkv_bias, proj_drop=proj_drop, attn_drop=attn_drop, drop_path=rates[i],
                  norm_layer=norm_layer)
            for i in range(depth)])
        self.norm = norm_layer(dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.downsample is not None:
            x = self.downsample(x)
        b, h, w, c = x.shape
        x = x.reshape(b, h * w, c)
        for blk in self.blocks:
            x = maybe_checkpoint(blk, x, (h, w), enabled=self.grad_checkpointing)
        return self.norm(x).reshape(b, h, w, -1).permute(0, 3, 1, 2).contiguous()


class PyramidVisionTransformerV2(ZooModel):
    """PVT v2 trunk + average-pool linear head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg' or '' (no pooling).
        depths: blocks per stage.
        embed_dims: width per stage.
        num_heads: heads per stage.
        sr_ratios: key / value grid reduction per stage.
        mlp_ratios: MLP ratio per stage.
        qkv_bias: bias on the attention projections.
        linear: linear spatial-reduction attention (7x7 pooling) and an extra ReLU in the MLP ("li" models).
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last block (linear over all blocks).
        norm_layer: block / stage norm (name or class); LayerNorm with eps 1e-6 by default.
    """
    grad_checkpointing = checkpoint_flag('stages')
    trunk = Trunk(stem=('patch_embed',), levels='stages')
    classifier_name = 'head'
    groups = dict(stem=r'^patch_embed', blocks=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            depths: Sequence[int] = (3, 4, 6, 3),
            embed_dims: Sequence[int] = (64, 128, 256, 512),
            num_heads: Union[int, Sequence[int]] = (1, 2, 4, 8),
            sr_ratios: Union[int, Sequence[int]] = (8, 4, 2, 1),
            mlp_ratios: Union[float, Sequence[float]] = (8., 8., 4., 4.),
            qkv_bias: bool = True,
            linear: bool = False,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Optional[LayerType] = None,
    ):
        super().__init__()
        _check_pool(global_pool, num_classes)
        num_stages = len(depths)
        if len(embed_dims) != num_stages:
            raise ValueError(f'embed_dims {tuple(embed_dims)} needs one width per stage of depths {tuple(depths)}.')
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        heads, srs, mlps = (to_ntuple(num_stages)(v) for v in (num_heads, sr_ratios, mlp_ratios))
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.depths = tuple(depths)

        self.patch_embed = OverlapPatchEmbed(patch_size=7, stride=4, in_chans=in_chans, embed_dim=embed_dims[0])
        rates = stagewise_drop_path_rates(drop_path_rate, depths)
        stages, self.feature_info = [], []
        prev_dim = embed_dims[0]
        for i in range(num_stages):
            stages.append(PyramidVisionTransformerStage(
                prev_dim, embed_dims[i], depths[i], downsample=i > 0, num_heads=heads[i], sr_ratio=srs[i],
                linear_attn=linear, mlp_ratio=mlps[i], qkv_bias=qkv_bias, proj_drop=proj_drop_rate,
                attn_drop=attn_drop_rate, drop_path=rates[i], norm_layer=norm_layer))
            prev_dim = embed_dims[i]
            self.feature_info.append(dict(num_chs=prev_dim, reduction=4 * 2 ** i, module=f'stages.{i}'))
        self.stages = CheckpointSequential(*stages)
        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.apply(init_trunc_normal_fan_out_)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        global_pool = self.global_pool if global_pool is None else global_pool
        _check_pool(global_pool, num_classes)
        self.global_pool = global_pool
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def _replace_head(self, in_features: int) -> None:
        self._reset_head(0, '')

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        return self.stages(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self.head_drop(x.flatten(2).mean(-1) if self.global_pool else x)
        return pooled if pre_logits else self.head(pooled)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Map the official whai362/PVT layout (patch_embedN, blockN.M, normN, dwconv.dwconv) to this one."""
    if 'patch_embed.proj.weight' in state_dict:
        return state_dict
    out = {}
    for key, value in state_dict.items():
        if key.startswith('patch_embed'):
            stage = int(key[len('patch_embed')])
            rest = key.split('.', 1)[1]
            key = f'patch_embed.{rest}' if stage == 1 else f'stages.{stage - 1}.downsample.{rest}'
        key = key.replace('dwconv.dwconv', 'dwconv')
        if key.startswith('block'):
            stage, rest = key[len('block'):].split('.', 1)
            key = f'stages.{int(stage) - 1}.blocks.{rest}'
        elif key.startswith('norm') and key[4].isdigit():
            key = f'stages.{int(key[4]) - 1}.norm.{key.split(".", 1)[1]}'
        out[key] = value
    return out


def _create_pvt2(variant: str, pretrained: bool = False, **kwargs) -> PyramidVisionTransformerV2:
    return build_model_with_cfg(PyramidVisionTransformerV2, variant, pretrained,
                                pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.9, interpolation='bicubic',
               mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='patch_embed.proj', classifier='head',
               fixed_input_size=False, license='apache-2.0', paper_ids='arXiv:2106.13797')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'pvt_v2_b0.in1k': _cfg(),
    'pvt_v2_b1.in1k': _cfg(),
    'pvt_v2_b2.in1k': _cfg(),
    'pvt_v2_b3.in1k': _cfg(),
    'pvt_v2_b4.in1k': _cfg(),
    'pvt_v2_b5.in1k': _cfg(),
    'pvt_v2_b2_li.in1k': _cfg(),
})

_WIDE = dict(embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8))


def _pvt2(variant: str, pretrained: bool, model_args: Dict[str, Any],
          kwargs: Dict[str, Any]) -> PyramidVisionTransformerV2:
    return _create_pvt2(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def pvt_v2_b0(pretrained: bool = False, **kwargs) -> PyramidVisionTransformerV2:
    return _pvt2('pvt_v2_b0', pretrained, dict(depths=(2, 2, 2, 2), embed_dims=(32, 64, 160, 256),
                                               num_heads=(1, 2, 5, 8)), kwargs)


@register_model
def pvt_v2_b1(pretrained: bool = False, **kwargs) -> PyramidVisionTransformerV2:
    return _pvt2('pvt_v2_b1', pretrained, dict(depths=(2, 2, 2, 2), **_WIDE), kwargs)


@register_model
def pvt_v2_b2(pretrained: bool = False, **kwargs) -> PyramidVisionTransformerV2:
    return _pvt2('pvt_v2_b2', pretrained, dict(depths=(3, 4, 6, 3), **_WIDE), kwargs)


@register_model
def pvt_v2_b3(pretrained: bool = False, **kwargs) -> PyramidVisionTransformerV2:
    return _pvt2('pvt_v2_b3', pretrained, dict(depths=(3, 4, 18, 3), **_WIDE), kwargs)


@register_model
def pvt_v2_b4(pretrained: bool = False, **kwargs) -> PyramidVisionTransformerV2:
    return _pvt2('pvt_v2_b4', pretrained, dict(depths=(3, 8, 27, 3), **_WIDE), kwargs)


@register_model
def pvt_v2_b5(pretrained: bool = False, **kwargs) -> PyramidVisionTransformerV2:
    return _pvt2('pvt_v2_b5', pretrained, dict(depths=(3, 6, 40, 3), mlp_ratios=(4, 4, 4, 4), **_WIDE), kwargs)


@register_model
def pvt_v2_b2_li(pretrained: bool = False, **kwargs) -> PyramidVisionTransformerV2:
    return _pvt2('pvt_v2_b2_li', pretrained, dict(depths=(3, 4, 6, 3), linear=True, **_WIDE), kwargs)
