"""Visformer: the vision-friendly transformer.

Paper: "Visformer: The Vision-friendly Transformer", Chen et al., ICCV 2021 (arXiv:2104.12533).

A ResNet-like stem and three stages at strides 8, 16 and 32, each opened by a non-overlapping patch embedding with a
BatchNorm and a learned position embedding. Blocks work on NCHW maps with BatchNorm: the first stage uses no
attention, only a convolutional MLP with a grouped 3x3 conv (section 4, "stage-wise design"); the later stages add
multi-head attention computed with 1x1 convs (half the head width in stage 1 when it has attention).

Loading a checkpoint made at another resolution resamples the position embeddings (bicubic); timm's Visformer has no
loader filter. Deviation from timm: the ViT-style single-stage stem (`vit_stem`) is not provided.
"""
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import (
    DropPath,
    LayerNorm2d,
    LayerType,
    get_norm_layer,
    stagewise_drop_path_rates,
    to_2tuple,
    trunc_normal_,
)
from zoo.layers.attention import attend
from zoo.layers.classifier import create_classifier
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed import resample_abs_pos_embed_nhwc
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._steps import LevelStepsMixin

__all__ = ['Visformer', 'Block', 'Attention', 'SpatialMlp', 'checkpoint_filter_fn']


class SpatialMlp(nn.Module):
    """1x1 conv -> act -> (grouped 3x3 conv -> act) -> 1x1 conv on NCHW maps (no biases)."""

    def __init__(self, in_features: int, hidden_features: int, act_layer: LayerType = nn.GELU, drop: float = 0.,
                 group: int = 8, spatial_conv: bool = False):
        super().__init__()
        if spatial_conv:
            # the paper's widths for the spatial-conv MLP (5/6 when ungrouped, 2x with groups)
            hidden_features = in_features * 5 // 6 if group < 2 else in_features * 2
        self.conv1 = nn.Conv2d(in_features, hidden_features, 1, bias=False)
        self.act1 = act_layer()
        self.drop1 = nn.Dropout(drop)
        if spatial_conv:
            self.conv2 = nn.Conv2d(hidden_features, hidden_features, 3, padding=1, groups=group, bias=False)
            self.act2 = act_layer()
        else:
            self.conv2 = self.act2 = None
        self.conv3 = nn.Conv2d(hidden_features, in_features, 1, bias=False)
        self.drop3 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act1(self.conv1(x)))
        if self.conv2 is not None:
            x = self.act2(self.conv2(x))
        return self.drop3(self.conv3(x))


class Attention(nn.Module):
    """Multi-head self-attention over the positions of an NCHW map, projections as bias-free 1x1 convs."""

    def __init__(self, dim: int, num_heads: int = 8, head_dim_ratio: float = 1., attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = round(dim // num_heads * head_dim_ratio)
        attn_dim = self.head_dim * num_heads
        self.qkv = nn.Conv2d(dim, attn_dim * 3, 1, bias=False)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Conv2d(attn_dim, dim, 1, bias=False)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        q, k, v = self.qkv(x).view(b, 3, self.num_heads, self.head_dim, h * w).transpose(-2, -1).unbind(1)
        x = attend(q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        return self.proj_drop(self.proj(x.transpose(-2, -1).reshape(b, -1, h, w)))


class Block(nn.Module):
    """x + attn(norm1(x)) (unless `attn_disabled`), then x + mlp(norm2(x)), on NCHW maps."""

    def __init__(self, dim: int, num_heads: int, head_dim_ratio: float = 1., mlp_ratio: float = 4.,
                 proj_drop: float = 0., attn_drop: float = 0., drop_path: float = 0., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = LayerNorm2d, group: int = 8, attn_disabled: bool = False,
                 spatial_conv: bool = False):
        super().__init__()
        # attention-free blocks (the paper's first stage) keep only the MLP branch, and no norm1
        branches = dict(
            attn=None if attn_disabled else Attention(dim, num_heads, head_dim_ratio=head_dim_ratio,
                                                      attn_drop=attn_drop, proj_drop=proj_drop),
            mlp=SpatialMlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop, group=group,
                           spatial_conv=spatial_conv))
        for i, (name, layer) in enumerate(branches.items(), start=1):
            setattr(self, f'norm{i}', None if layer is None else norm_layer(dim))
            setattr(self, name, layer)
        # one stochastic-depth module serves both branches
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.attn is not None:
            x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class Visformer(LevelStepsMixin, ZooModel):
    """Visformer: conv stem, three (patch embedding + position embedding + blocks) stages, norm, pooled head.

    Args:
        img_size: input size (the position embeddings cover its grids).
        patch_size: total stride of stem and first patch embedding times two (16: stages at strides 8, 16, 32).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        init_channels: stem width; None for no stem (the first patch embedding then takes the image).
        embed_dim: width of stage 2 (stage 1 has half, stage 3 twice).
        depth: blocks per stage (or a total split 1/3, 1/3, 1/3).
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / stage width.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the position embeddings.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last block (linear over all blocks).
        norm_layer: block / final norm (name or class); LayerNorm2d by default.
        attn_stage: per stage, '1' for attention blocks, '0' for MLP-only blocks.
        use_pos_embed: add learned position embeddings.
        spatial_conv: per stage, '1' for the grouped 3x3 conv in the MLP.
        group: groups of that conv.
        global_pool: pooling before the classifier ('avg', 'max', 'avgmax', 'catavgmax', '').
        conv_init: He (fan-out) init for convs instead of truncated normal.
        embed_norm: norm after each patch embedding (name or class; None for none).
    """
    grad_checkpointing = checkpoint_flag('stage1', 'stage2', 'stage3')
    trunk = Trunk(levels=(('stage1',), ('stage2',), ('stage3',)), final=('norm',))
    classifier_name = 'head'
    groups = dict(stem=r'^patch_embed1|pos_embed1|stem',
                  blocks=[(r'^stage(\d+)\.(\d+)', None), (r'^(?:patch_embed|pos_embed)(\d+)', (0,)),
                          (r'^norm', (99999,))])

    def __init__(
            self,
            img_size: Union[int, Tuple[int, int]] = 224,
            patch_size: int = 16,
            in_chans: int = 3,
            num_classes: int = 1000,
            init_channels: Optional[int] = 32,
            embed_dim: int = 384,
            depth: Union[int, Sequence[int]] = 12,
            num_heads: int = 6,
            mlp_ratio: float = 4.,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: LayerType = LayerNorm2d,
            attn_stage: str = '111',
            use_pos_embed: bool = True,
            spatial_conv: str = '111',
            group: int = 8,
            global_pool: str = 'avg',
            conv_init: bool = False,
            embed_norm: Optional[LayerType] = None,
    ):
        super().__init__()
        norm_layer = get_norm_layer(norm_layer)
        embed_norm = get_norm_layer(embed_norm)
        img_size = to_2tuple(img_size)
        self.num_classes = num_classes
        self.embed_dim = embed_dim
        self.conv_init = conv_init
        self.drop_rate = drop_rate
        if isinstance(depth, (list, tuple)):
            depths = tuple(depth)
        else:
            depths = (depth // 3, depth - 2 * (depth // 3), depth // 3)
        rates = stagewise_drop_path_rates(drop_path_rate, depths)

        if init_channels is not None:
            self.stem = nn.Sequential(
                nn.Conv2d(in_chans, init_channels, 7, stride=2, padding=3, bias=False),
                nn.BatchNorm2d(init_channels),
                nn.ReLU(inplace=True))
            stem_stride, first_patch, first_in = 2, patch_size // 4, init_channels
        else:
            self.stem = None
            stem_stride, first_patch, first_in = 1, patch_size // 2, in_chans
        grid = [s // stem_stride for s in img_size]
        widths = (embed_dim // 2, embed_dim, embed_dim * 2)
        patch_sizes = (first_patch, patch_size // 8, patch_size // 8)
        in_chs = (first_in, widths[0], widths[1])
        reduction = stem_stride
        self.feature_info = []
        for i in range(3):
            n = i + 1
            setattr(self, f'patch_embed{n}', PatchEmbed(img_size=grid, patch_size=patch_sizes[i], in_chans=in_chs[i],
                                                        embed_dim=widths[i], norm_layer=embed_norm, flatten=False))
            grid = [g // patch_sizes[i] for g in grid]
            reduction *= patch_sizes[i]
            setattr(self, f'pos_embed{n}', nn.Parameter(torch.zeros(1, widths[i], *grid)) if use_pos_embed else None)
            setattr(self, f'stage{n}', CheckpointSequential(*[
                Block(widths[i], num_heads, head_dim_ratio=0.5 if i == 0 else 1., mlp_ratio=mlp_ratio,
                      proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, drop_path=rates[i][j],
                      norm_layer=norm_layer, group=group, attn_disabled=attn_stage[i] == '0',
                      spatial_conv=spatial_conv[i] == '1')
                for j in range(depths[i])]))
            self.feature_info.append(dict(num_chs=widths[i], reduction=reduction, module=f'stage{n}'))
        self.pos_drop = nn.Dropout(pos_drop_rate)
        self.num_features = widths[-1]
        self.norm = norm_layer(self.num_features)
        self.global_pool, self.head = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        self.head_drop = nn.Dropout(drop_rate)
        self.init_weights()

    def init_weights(self) -> None:
        for i in range(1, 4):
            pos = getattr(self, f'pos_embed{i}')
            if pos is not None:
                trunc_normal_(pos, std=.02)
        for m in self.modules():
            if isinstance(m, nn.Linear) or (isinstance(m, nn.Conv2d) and not self.conv_init):
                trunc_normal_(m.weight, std=.02)
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            if isinstance(m, (nn.Linear, nn.Conv2d)) and m.bias is not None:
                nn.init.zeros_(m.bias)

    # ---- levels: stage i is patch_embed{i}, pos_embed{i} and stage{i} ------------------------------------------

    def _num_levels(self) -> int:
        return sum(1 for i in range(1, 4) if getattr(self, f'patch_embed{i}') is not None)

    def _start(self, x: torch.Tensor) -> torch.Tensor:
        return self.stem(x) if self.stem is not None else x

    def _step(self, index: int, x: torch.Tensor) -> torch.Tensor:
        n = index + 1
        x = getattr(self, f'patch_embed{n}')(x)
        pos = getattr(self, f'pos_embed{n}')
        if pos is not None:
            x = self.pos_drop(x + pos)
        return getattr(self, f'stage{n}')(x)

    def _level_output(self, index: int, x: torch.Tensor, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        if norm and index == self._num_levels() - 1:
            x = self.norm(x)  # sized for the last stage only
        return x if output_fmt == 'NCHW' else x.permute(0, 2, 3, 1)

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)

    def _truncate(self, num_levels: int) -> None:
        for n in range(num_levels + 1, 4):
            setattr(self, f'patch_embed{n}', None)
            setattr(self, f'pos_embed{n}', None)
            setattr(self, f'stage{n}', None)

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        if prune_norm or truncated:
            self.norm = nn.Identity()
        if prune_head or truncated:
            self._reset_head(0, '')

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._finish(self._run_steps(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.global_pool(x))
        return x if pre_logits else self.head(x)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: Visformer) -> Dict[str, torch.Tensor]:
    """Resample the (1, C, H, W) position embeddings to the model's grids (bicubic)."""
    out = dict(state_dict)
    for i in range(1, 4):
        key = f'pos_embed{i}'
        target = getattr(model, key, None)
        if key in out and target is not None and out[key].shape != target.shape:
            grid = resample_abs_pos_embed_nhwc(out[key].permute(0, 2, 3, 1), target.shape[-2:], verbose=True)
            out[key] = grid.permute(0, 3, 1, 2)
    return out


def _create_visformer(variant: str, pretrained: bool = False, **kwargs) -> Visformer:
    return build_model_with_cfg(Visformer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2), feature_cls='getter'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=.9, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='stem.0',
               classifier='head', license='apache-2.0', paper_ids='arXiv:2104.12533')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'visformer_tiny.in1k': _cfg(),
    'visformer_small.in1k': _cfg(),
})

# BatchNorm everywhere, MLP-only first stage with a grouped 3x3 conv (paper, table 5)
_VISFORMER = dict(depth=(7, 4, 4), mlp_ratio=4., group=8, attn_stage='011', spatial_conv='100',
                  norm_layer=nn.BatchNorm2d, conv_init=True, embed_norm=nn.BatchNorm2d)


def _visformer(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> Visformer:
    return _create_visformer(variant, pretrained, **dict(_VISFORMER, **model_args, **kwargs))


@register_model
def visformer_tiny(pretrained: bool = False, **kwargs) -> Visformer:
    return _visformer('visformer_tiny', pretrained, dict(init_channels=16, embed_dim=192, num_heads=3), kwargs)


@register_model
def visformer_small(pretrained: bool = False, **kwargs) -> Visformer:
    return _visformer('visformer_small', pretrained, dict(init_channels=32, embed_dim=384, num_heads=6), kwargs)
