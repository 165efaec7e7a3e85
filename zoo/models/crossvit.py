"""CrossViT: dual-branch vision transformer with cross-attention fusion of the class tokens.

Paper: "CrossViT: Cross-Attention Multi-Scale Vision Transformer for Image Classification", Chen et al., ICCV 2021
(arXiv:2103.14899).

Two ViT branches see the image at two patch sizes (small patches on the full image, large patches on a rescaled
copy). Each multi-scale block runs a few transformer blocks per branch, then fuses: every branch's class token is
projected to the other branch's width, attends over that branch's patch tokens (cross-attention, linear in the
number of tokens, section 3.3) and is projected back. The classifier averages the two branches' logits. "Dagger"
models embed patches with a small conv stack instead of one strided conv.

Feature levels are ordered branch-major as in timm: with D multi-scale blocks, levels 0..D-1 are the small-patch
branch after each block and D..2D-1 the large-patch branch (patch tokens, class token removed).
`forward_features` returns one token sequence per branch.
"""
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerNorm, LayerType, get_norm_layer, stagewise_drop_path_rates, to_2tuple
from zoo.layers import trunc_normal_
from zoo.layers.class_attn import ClassAttn
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import IndicesT, Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.vision_transformer import Block

__all__ = ['CrossVit', 'CrossAttentionBlock', 'MultiScaleBlock', 'checkpoint_filter_fn']

_GLOBAL_POOLS = ('token', 'avg')


class PatchEmbed(nn.Module):
    """Patch embedding of one branch: a strided conv, or (`multi_conv`) a 7x7/4 conv then two 3x3 convs with ReLUs."""

    def __init__(self, img_size: Tuple[int, int], patch_size: int, in_chans: int, embed_dim: int,
                 multi_conv: bool = False):
        super().__init__()
        self.img_size = img_size
        self.grid_size = (img_size[0] // patch_size, img_size[1] // patch_size)
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        if not multi_conv:
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        elif patch_size in (12, 16):
            # stride 4, then 3 (patch 12) or 2 x 2 (patch 16)
            second, third = ((3, 0), (1, 1)) if patch_size == 12 else ((2, 1), (2, 1))
            self.proj = nn.Sequential(
                nn.Conv2d(in_chans, embed_dim // 4, kernel_size=7, stride=4, padding=3),
                nn.ReLU(inplace=True),
                nn.Conv2d(embed_dim // 4, embed_dim // 2, kernel_size=3, stride=second[0], padding=second[1]),
                nn.ReLU(inplace=True),
                nn.Conv2d(embed_dim // 2, embed_dim, kernel_size=3, stride=third[0], padding=third[1]),
            )
        else:
            raise ValueError(f'The conv patch embedding (multi_conv) supports patch sizes 12 and 16, got {patch_size}.')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class CrossAttentionBlock(nn.Module):
    """The class token (first) attends over the class token and the other branch's patches: x0 + attn(norm(x))."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = False, proj_drop: float = 0.,
                 attn_drop: float = 0., drop_path: float = 0., norm_layer: LayerType = LayerNorm):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = ClassAttn(dim, num_heads=num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop,
                              qkv_names=('wq', 'wk', 'wv'))
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :1] + self.drop_path(self.attn(self.norm1(x)))


def _norm_act_linear(in_dim: int, out_dim: int, norm_layer: LayerType, act_layer: LayerType) -> nn.Sequential:
    return nn.Sequential(norm_layer(in_dim), act_layer(), nn.Linear(in_dim, out_dim))


class MultiScaleBlock(nn.Module):
    """Per-branch transformer blocks, then class-token cross-attention fusion between the branches.

    Args:
        dims: width of each branch.
        depth: blocks per branch, followed by the number of cross-attention layers per fusion (0 means one,
            unwrapped: the layout of the published weights).
        num_heads: heads per branch.
        mlp_ratio: MLP ratio per branch.
        drop_path: per-layer stochastic depth rates (branch blocks by index, the fusion takes the last).
    """

    def __init__(
            self,
            dims: Sequence[int],
            depth: Sequence[int],
            num_heads: Sequence[int],
            mlp_ratio: Sequence[float],
            qkv_bias: bool = False,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: Sequence[float] = (0.,),
            act_layer: LayerType = nn.GELU,
            norm_layer: LayerType = LayerNorm,
    ):
        super().__init__()
        self.num_branches = nb = len(dims)
        self.blocks = nn.ModuleList([
            nn.Sequential(*[
                Block(dims[b], num_heads[b], mlp_ratio=mlp_ratio[b], qkv_bias=qkv_bias, proj_drop=proj_drop,
                      attn_drop=attn_drop, drop_path=drop_path[i], norm_layer=norm_layer)
                for i in range(depth[b])])
            for b in range(nb) if depth[b]])
        # branch b's class token goes to branch b + 1 (cyclically) and back
        self.projs = nn.ModuleList([
            _norm_act_linear(dims[b], dims[(b + 1) % nb], norm_layer, act_layer) for b in range(nb)])

        def fusion(b: int) -> nn.Module:
            other = (b + 1) % nb
            layers = [CrossAttentionBlock(dims[other], num_heads[other], qkv_bias=qkv_bias, proj_drop=proj_drop,
                                          attn_drop=attn_drop, drop_path=drop_path[-1], norm_layer=norm_layer)
                      for _ in range(max(depth[-1], 1))]
            return layers[0] if depth[-1] == 0 else nn.Sequential(*layers)
        self.fusion = nn.ModuleList([fusion(b) for b in range(nb)])
        self.revert_projs = nn.ModuleList([
            _norm_act_linear(dims[(b + 1) % nb], dims[b], norm_layer, act_layer) for b in range(nb)])

    def forward(self, xs: List[torch.Tensor]) -> List[torch.Tensor]:
        xs = [blocks(x) for blocks, x in zip(self.blocks, xs)]
        outs = []
        for b, (proj, fusion, revert) in enumerate(zip(self.projs, self.fusion, self.revert_projs)):
            other = xs[(b + 1) % self.num_branches]
            cls = fusion(torch.cat([proj(xs[b][:, :1]), other[:, 1:]], dim=1))
            outs.append(torch.cat([revert(cls), xs[b][:, 1:]], dim=1))
        return outs


def _scale_image(x: torch.Tensor, size: Tuple[int, int], crop: bool) -> torch.Tensor:
    """Resize (bicubic) or, with `crop` and a smaller target, centre-crop an image batch to `size`."""
    h, w = x.shape[-2:]
    if (h, w) == tuple(size):
        return x
    if crop and size[0] <= h and size[1] <= w:
        top, left = int(round((h - size[0]) / 2.)), int(round((w - size[1]) / 2.))
        return x[:, :, top:top + size[0], left:left + size[1]]
    return F.interpolate(x, size=size, mode='bicubic', align_corners=False)


class CrossVit(ZooModel):
    """CrossViT: two ViT branches at different patch sizes fused by class-token cross-attention.

    Inputs of any size are resized (bicubic) to each branch's size, as the published models do for their second branch.

    Args:
        img_size: input size.
        img_scale: per-branch scale of the input (the second branch of the published models sees 224 of 240 px).
        patch_size: patch side per branch.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifiers.
        embed_dim: width per branch.
        depth: per multi-scale block, (blocks of branch 0, blocks of branch 1, cross-attention layers).
        num_heads: heads per branch.
        mlp_ratio: MLP ratio per branch (and a last entry for the fusion, unused: fusion has no MLP).
        multi_conv: conv-stack patch embedding ("dagger" models).
        crop_scale: centre-crop instead of resizing for the scaled branch.
        qkv_bias: bias on qkv projections.
        drop_rate: dropout before the classifiers.
        pos_drop_rate: dropout after adding the position embeddings.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last layer (linear over the branch depth).
        norm_layer: token norm (name or class); LayerNorm with eps 1e-6 by default.
        global_pool: 'token' (class tokens) or 'avg' (patch tokens).
    """
    trunk = Trunk(levels='blocks', level_fmt='NLC')
    classifier_name = 'head'
    groups = dict(stem=r'^cls_token|pos_embed|patch_embed', blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            img_size: Union[int, Tuple[int, int]] = 224,
            img_scale: Sequence[float] = (1.0, 1.0),
            patch_size: Sequence[int] = (8, 16),
            in_chans: int = 3,
            num_classes: int = 1000,
            embed_dim: Sequence[int] = (192, 384),
            depth: Sequence[Sequence[int]] = ((1, 3, 1), (1, 3, 1), (1, 3, 1)),
            num_heads: Sequence[int] = (6, 12),
            mlp_ratio: Sequence[float] = (2., 2., 4.),
            multi_conv: bool = False,
            crop_scale: bool = False,
            qkv_bias: bool = True,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Optional[LayerType] = None,
            global_pool: str = 'token',
    ):
        super().__init__()
        if global_pool not in _GLOBAL_POOLS:
            raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.img_size = to_2tuple(img_size)
        self.img_size_scaled = [tuple(int(s * scale) for s in self.img_size) for scale in to_2tuple(img_scale)]
        self.crop_scale = crop_scale
        self.num_branches = len(patch_size)
        self.embed_dim = tuple(embed_dim)
        self.num_features = self.head_hidden_size = sum(embed_dim)
        self.drop_rate = drop_rate
        self.grad_checkpointing = False

        self.patch_embed = nn.ModuleList([
            PatchEmbed(size, p, in_chans, d, multi_conv=multi_conv)
            for size, p, d in zip(self.img_size_scaled, patch_size, embed_dim)])
        for i, (embed, d) in enumerate(zip(self.patch_embed, embed_dim)):
            self.register_parameter(f'pos_embed_{i}', nn.Parameter(torch.zeros(1, 1 + embed.num_patches, d)))
            self.register_parameter(f'cls_token_{i}', nn.Parameter(torch.zeros(1, 1, d)))
        self.pos_drop = nn.Dropout(pos_drop_rate)

        # one linear schedule over the branch depth of all multi-scale blocks (branch blocks + fusion)
        block_depths = [max(cfg[:-1]) + cfg[-1] for cfg in depth]
        rates = stagewise_drop_path_rates(drop_path_rate, [sum(cfg[-2:]) for cfg in depth])
        flat = [r for stage in rates for r in stage]
        self.blocks = nn.ModuleList()
        start = 0
        for cfg, count in zip(depth, block_depths):
            self.blocks.append(MultiScaleBlock(
                embed_dim, cfg, num_heads=num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, drop_path=flat[start:start + count],
                norm_layer=norm_layer))
            start += count
        self.feature_info = [
            dict(num_chs=embed_dim[b], reduction=round(patch_size[b] / to_2tuple(img_scale)[b]), module=f'blocks.{i}')
            for b in range(self.num_branches) for i in range(len(depth))]
        self.norm = nn.ModuleList([norm_layer(d) for d in embed_dim])
        self.head_drop = nn.Dropout(drop_rate)
        self.head = self._make_heads(num_classes)
        self.init_weights()

    def _make_heads(self, num_classes: int) -> nn.ModuleList:
        return nn.ModuleList([nn.Linear(d, num_classes) if num_classes > 0 else nn.Identity() for d in self.embed_dim])

    def init_weights(self) -> None:
        for i in range(self.num_branches):
            trunc_normal_(getattr(self, f'pos_embed_{i}'), std=.02)
            trunc_normal_(getattr(self, f'cls_token_{i}'), std=.02)
        self.apply(init_linear_trunc_normal_)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        # every branch's class token, and its position embedding unless that is frozen
        tokens = {f'cls_token_{i}' for i in range(self.num_branches)}
        trained = {name for name, p in self.named_parameters() if name.startswith('pos_embed_') and p.requires_grad}
        return tokens | trained

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            if global_pool not in _GLOBAL_POOLS:
                raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
            self.global_pool = global_pool
        self.head = self._make_heads(num_classes)

    def _replace_head(self, in_features: int) -> None:
        self.head = self._make_heads(0)

    def _embed(self, x: torch.Tensor) -> List[torch.Tensor]:
        xs = []
        for i, embed in enumerate(self.patch_embed):
            tokens = embed(_scale_image(x, self.img_size_scaled[i], self.crop_scale))
            cls = getattr(self, f'cls_token_{i}').expand(x.shape[0], -1, -1)
            xs.append(self.pos_drop(torch.cat([cls, tokens], dim=1) + getattr(self, f'pos_embed_{i}')))
        return xs

    def forward_features(self, x: torch.Tensor) -> List[torch.Tensor]:
        xs = self._embed(x)
        for blk in self.blocks:
            xs = maybe_checkpoint(blk, xs, enabled=self.grad_checkpointing)
        return [norm(x) for norm, x in zip(self.norm, xs)]

    def forward_head(self, xs: List[torch.Tensor], pre_logits: bool = False) -> torch.Tensor:
        pooled = [x[:, 1:].mean(dim=1) if self.global_pool == 'avg' else x[:, 0] for x in xs]
        pooled = [self.head_drop(x) for x in pooled]
        if pre_logits or isinstance(self.head[0], nn.Identity):
            return torch.cat(pooled, dim=1)
        return torch.stack([head(x) for head, x in zip(self.head, pooled)]).mean(dim=0)

    # ---- intermediates: levels are branch-major, so the shared sequential-level implementation does not apply ----

    def _num_blocks(self) -> int:
        return len(self.feature_info) // self.num_branches

    def _format_tokens(self, x: torch.Tensor, branch: int, output_fmt: str) -> torch.Tensor:
        x = x[:, 1:]
        if output_fmt == 'NLC':
            return x
        h, w = self.patch_embed[branch].grid_size
        x = x.reshape(x.shape[0], h, w, -1)
        return x.permute(0, 3, 1, 2).contiguous() if output_fmt == 'NCHW' else x

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[List[torch.Tensor], List[torch.Tensor]]]:
        """Patch tokens of each branch after the multi-scale blocks in `indices` (branch-major, see the module doc).

        Args as for `ZooModel.forward_intermediates`; the final features are a list with one sequence per branch.
        """
        self._check_output_fmt(output_fmt)
        num_blocks = self._num_blocks()
        take, _ = feature_take_indices(len(self.feature_info), indices)
        last = len(self.blocks) - 1
        stop = max(i % num_blocks for i in take) if (stop_early or intermediates_only) else last
        per_branch: List[List[torch.Tensor]] = [[] for _ in range(self.num_branches)]
        xs = self._embed(x)
        for i in range(stop + 1):
            xs = self.blocks[i](xs)
            for b in range(self.num_branches):
                if b * num_blocks + i in take:
                    y = self.norm[b](xs[b]) if norm else xs[b]
                    per_branch[b].append(self._format_tokens(y, b, output_fmt))
        intermediates = [t for branch in per_branch for t in branch]
        if intermediates_only:
            return intermediates
        if stop == last:
            xs = [n(t) for n, t in zip(self.norm, xs)]
        return xs, intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: IndicesT = 1, prune_norm: bool = False,
                                  prune_head: bool = True) -> List[int]:
        """Drop the multi-scale blocks after the last one `indices` needs (both branches run in every block)."""
        take, _ = feature_take_indices(len(self.feature_info), indices)
        self.blocks = self.blocks[:max(i % self._num_blocks() for i in take) + 1]
        if prune_norm:
            self.norm = nn.ModuleList([nn.Identity() for _ in range(self.num_branches)])
        if prune_head:
            self.num_classes = 0
            self._replace_head(self.num_features)
        return take


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: CrossVit) -> Dict[str, torch.Tensor]:
    """Rename the official `pos_embed.N` / `cls_token.N` keys and resample position embeddings to the model's grids."""
    if isinstance(state_dict.get('model'), dict):
        state_dict = state_dict['model']
    out = {}
    for key, value in state_dict.items():
        if key.startswith(('pos_embed.', 'cls_token.')):
            key = key.replace('.', '_')
        if key.startswith('pos_embed_'):
            branch = int(key.rsplit('_', 1)[1])
            target = getattr(model, key)
            if value.shape != target.shape:
                value = resample_abs_pos_embed(value, model.patch_embed[branch].grid_size, num_prefix_tokens=1,
                                               verbose=True)
        out[key] = value
    return out


def _create_crossvit(variant: str, pretrained: bool = False, **kwargs) -> CrossVit:
    num_blocks = len(kwargs.get('depth', ((1, 3, 1),) * 3))
    # timm's features_only default: the last block of each branch
    return build_model_with_cfg(CrossVit, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(feature_cls='getter', out_indices=(num_blocks - 1, 2 * num_blocks - 1)),
                                **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 240, 240), crop_pct=0.875, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv=('patch_embed.0.proj', 'patch_embed.1.proj'), classifier=('head.0', 'head.1'),
               license='apache-2.0', paper_ids='arXiv:2103.14899')
    cfg.update(kwargs)
    return cfg


_DAGGER = dict(first_conv=('patch_embed.0.proj.0', 'patch_embed.1.proj.0'))
_R408 = dict(input_size=(3, 408, 408), crop_pct=1.0, **_DAGGER)

default_cfgs = generate_default_cfgs({
    'crossvit_15_240.in1k': _cfg(),
    'crossvit_15_dagger_240.in1k': _cfg(**_DAGGER),
    'crossvit_15_dagger_408.in1k': _cfg(**_R408),
    'crossvit_18_240.in1k': _cfg(),
    'crossvit_18_dagger_240.in1k': _cfg(**_DAGGER),
    'crossvit_18_dagger_408.in1k': _cfg(**_R408),
    'crossvit_9_240.in1k': _cfg(),
    'crossvit_9_dagger_240.in1k': _cfg(**_DAGGER),
    'crossvit_base_240.in1k': _cfg(),
    'crossvit_small_240.in1k': _cfg(),
    'crossvit_tiny_240.in1k': _cfg(),
})


def _crossvit(variant: str, pretrained: bool, embed_dim: Tuple[int, int], depth: int, num_heads: int,
              mlp_ratio: Tuple[float, float, float], kwargs: Dict[str, Any], multi_conv: bool = False,
              scale: float = 224 / 240) -> CrossVit:
    # three multi-scale blocks of (1 small-branch block, `depth` large-branch blocks, one cross-attention layer)
    model_args = dict(img_scale=(1.0, scale), patch_size=(12, 16), embed_dim=embed_dim,
                      depth=((1, depth, 0),) * 3, num_heads=(num_heads, num_heads), mlp_ratio=mlp_ratio,
                      multi_conv=multi_conv)
    return _create_crossvit(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def crossvit_tiny_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_tiny_240', pretrained, (96, 192), 4, 3, (4, 4, 1), kwargs)


@register_model
def crossvit_small_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_small_240', pretrained, (192, 384), 4, 6, (4, 4, 1), kwargs)


@register_model
def crossvit_base_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_base_240', pretrained, (384, 768), 4, 12, (4, 4, 1), kwargs)


@register_model
def crossvit_9_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_9_240', pretrained, (128, 256), 3, 4, (3, 3, 1), kwargs)


@register_model
def crossvit_15_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_15_240', pretrained, (192, 384), 5, 6, (3, 3, 1), kwargs)


@register_model
def crossvit_18_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_18_240', pretrained, (224, 448), 6, 7, (3, 3, 1), kwargs)


@register_model
def crossvit_9_dagger_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_9_dagger_240', pretrained, (128, 256), 3, 4, (3, 3, 1), kwargs, multi_conv=True)


@register_model
def crossvit_15_dagger_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_15_dagger_240', pretrained, (192, 384), 5, 6, (3, 3, 1), kwargs, multi_conv=True)


@register_model
def crossvit_15_dagger_408(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_15_dagger_408', pretrained, (192, 384), 5, 6, (3, 3, 1), kwargs, multi_conv=True,
                     scale=384 / 408)


@register_model
def crossvit_18_dagger_240(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_18_dagger_240', pretrained, (224, 448), 6, 7, (3, 3, 1), kwargs, multi_conv=True)


@register_model
def crossvit_18_dagger_408(pretrained: bool = False, **kwargs) -> CrossVit:
    return _crossvit('crossvit_18_dagger_408', pretrained, (224, 448), 6, 7, (3, 3, 1), kwargs, multi_conv=True,
                     scale=384 / 408)
