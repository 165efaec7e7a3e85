"""NesT: nested hierarchical transformers that attend only within image blocks and aggregate between levels.

Paper: "Nested Hierarchical Transformer: Towards Accurate, Data-Efficient and Interpretable Visual Understanding"
(published as "Aggregating Nested Transformers"), Zhang et al., AAAI 2022 (arXiv:2105.12723).

A stride-4 patch embedding turns the image into a map that is cut into square blocks of `block_size` x `block_size`
patches: 16 blocks at the first level, 4 at the second, 1 at the third. Each level adds a position embedding per block
(shape (1, blocks, tokens per block, C)) and runs standard pre-norm transformer layers independently inside every
block. Between levels, "block aggregation" puts the blocks back into one map and applies a 3x3 conv, a LayerNorm over
channels and a 3x3 stride-2 max pool, which halves the map so four blocks become one with the same token count.
A LayerNorm over channels closes the trunk, followed by global pooling and a linear classifier.

The `_jx` variants are the ones ported from the official JAX code, whose max pools use TensorFlow 'SAME' padding.
"""
import math
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from zoo.layers import LayerType, create_classifier, get_act_layer, trunc_normal_
from zoo.layers.attention import Attention, attend
from zoo.layers.conv2d_same import create_conv2d_pad
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pool2d_same import MaxPool2dSame
from zoo.layers.pos_embed import resample_abs_pos_embed_nhwc
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.vision_transformer import Block

__all__ = ['Nest', 'NestLevel']


def _norm(dim: int) -> nn.LayerNorm:
    return nn.LayerNorm(dim, eps=1e-6)


def _channel_norm(norm: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A LayerNorm over the channels of an NCHW map."""
    return norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def blocks_of(x: torch.Tensor, block_size: int) -> torch.Tensor:
    """(B, H, W, C) -> (B, blocks, block_size^2, C); blocks in row-major order, tokens row-major inside a block."""
    b, h, w, c = x.shape
    if h % block_size or w % block_size:
        raise ValueError(f'NesT: a {h}x{w} map does not split into {block_size}x{block_size} blocks; use the input '
                         f'size the model was built for (img_size).')
    x = x.view(b, h // block_size, block_size, w // block_size, block_size, c).transpose(2, 3)
    return x.reshape(b, -1, block_size * block_size, c)


def map_of(x: torch.Tensor, block_size: int) -> torch.Tensor:
    """Inverse of `blocks_of` for a square grid of blocks: (B, blocks, block_size^2, C) -> (B, H, W, C)."""
    b, t, _, c = x.shape
    grid = math.isqrt(t)
    x = x.view(b, grid, grid, block_size, block_size, c).transpose(2, 3)
    return x.reshape(b, grid * block_size, grid * block_size, c)


class HeadMinorAttention(Attention):
    """Self-attention whose per-head outputs are interleaved channel by channel before the projection.

    The NesT checkpoints feed the projection the concatenation in (channel-in-head, head) order, i.e. input feature
    `c * num_heads + h`, instead of the usual head-major `h * head_dim + c`; the qkv layout is the usual one.
    """

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        x = attend(q, k, v, fused=self.fused_attn, attn_mask=attn_mask,
                   dropout_p=self.attn_drop.p if self.training else 0., scale=self.scale)
        x = x.permute(0, 2, 3, 1).reshape(b, n, self.attn_dim)
        return self.proj_drop(self.proj(x))


class ConvPool(nn.Module):
    """Block aggregation: 3x3 conv, LayerNorm over channels, 3x3 stride-2 max pool (NCHW in and out).

    Args:
        in_channels: channels of the previous level.
        out_channels: channels of this level.
        pad_type: '' for symmetric padding, 'same' for TensorFlow 'SAME' (the JAX-ported weights).
    """

    def __init__(self, in_channels: int, out_channels: int, pad_type: str = ''):
        super().__init__()
        self.conv = create_conv2d_pad(in_channels, out_channels, 3, padding=pad_type, bias=True)
        self.norm = _norm(out_channels)
        # 'SAME' for a strided pool depends on the input size, so it pads at run time
        self.pool = MaxPool2dSame(3, 2) if pad_type == 'same' else nn.MaxPool2d(3, 2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] % 2 or x.shape[-1] % 2:
            raise ValueError(f'NesT block aggregation halves the map and needs even sides, got {tuple(x.shape[-2:])}.')
        return self.pool(_channel_norm(self.norm, self.conv(x)))


class NestLevel(nn.Module):
    """One level: optional block aggregation, per-block position embedding, transformer layers inside each block.

    Takes and returns NCHW maps; the transformer layers see (B * blocks, tokens, C).
    """
    grad_checkpointing = checkpoint_flag('transformer_encoder')

    def __init__(self, num_blocks: int, block_size: int, embed_dim: int, depth: int, num_heads: int,
                 prev_embed_dim: Optional[int], mlp_ratio: float, qkv_bias: bool, proj_drop: float, attn_drop: float,
                 drop_path: Sequence[float], act_layer: LayerType, pad_type: str):
        super().__init__()
        self.block_size = block_size
        self.pos_embed = nn.Parameter(torch.zeros(1, num_blocks, block_size * block_size, embed_dim))
        self.pool = nn.Identity() if prev_embed_dim is None else ConvPool(prev_embed_dim, embed_dim, pad_type)
        self.transformer_encoder = CheckpointSequential(*[
            Block(embed_dim, num_heads, mlp_ratio, qkv_bias=qkv_bias, proj_drop=proj_drop, attn_drop=attn_drop,
                  drop_path=rate, act_layer=act_layer, norm_layer=_norm, attn_layer=HeadMinorAttention)
            for rate in drop_path[:depth]])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = blocks_of(self.pool(x).permute(0, 2, 3, 1), self.block_size) + self.pos_embed
        b, t, n, c = x.shape
        x = x.reshape(b * t, n, c)
        x = self.transformer_encoder(x)
        return map_of(x.view(b, t, n, c), self.block_size).permute(0, 3, 1, 2)


class Nest(ZooModel):
    """Nested Transformer.

    Args:
        img_size: square input size (the block grid is fixed by it).
        in_chans: input image channels.
        patch_size: side of the patches of the embedding.
        num_levels: levels of the hierarchy (4^(levels-1) blocks at the first).
        embed_dims: width of each level.
        num_heads: attention heads of each level.
        depths: transformer layers of each level.
        num_classes: classifier outputs; 0 removes the classifier.
        mlp_ratio: MLP expansion.
        qkv_bias: bias on the qkv projections.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after attention / MLP projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last layer.
        act_layer: MLP activation.
        pad_type: '' (symmetric) or 'same' (TensorFlow 'SAME', the JAX-ported weights) for the aggregation.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0) for unpooled maps.
    """
    trunk = Trunk(stem=('patch_embed',), levels='levels', final=('norm',))
    classifier_name = 'head'
    groups = dict(stem=r'^patch_embed',
                  blocks=[(r'^levels\.(\d+)\.transformer_encoder\.(\d+)', None),
                          (r'^levels\.(\d+)\.(?:pool|pos_embed)', (0,)), (r'^norm', (99999,))],
                  coarse=[(r'^levels\.(\d+)', None), (r'^levels\.(\d+)\.(?:pool|pos_embed)', (0,)),
                          (r'^norm', (99999,))])

    def __init__(
            self,
            img_size: int = 224,
            in_chans: int = 3,
            patch_size: int = 4,
            num_levels: int = 3,
            embed_dims: Sequence[int] = (128, 256, 512),
            num_heads: Sequence[int] = (4, 8, 16),
            depths: Sequence[int] = (2, 2, 20),
            num_classes: int = 1000,
            mlp_ratio: float = 4.,
            qkv_bias: bool = True,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.5,
            act_layer: LayerType = nn.GELU,
            pad_type: str = '',
            global_pool: str = 'avg',
    ):
        super().__init__()
        if not num_levels == len(embed_dims) == len(num_heads) == len(depths):
            raise ValueError(f'embed_dims, num_heads and depths need num_levels={num_levels} entries, got '
                             f'{len(embed_dims)}, {len(num_heads)} and {len(depths)}.')
        if pad_type not in ('', 'same'):
            raise ValueError(f"pad_type must be '' (symmetric) or 'same' (TensorFlow), got {pad_type!r}.")
        if isinstance(img_size, (tuple, list)):
            if img_size[0] != img_size[1]:
                raise ValueError(f'NesT takes square inputs only, got img_size={tuple(img_size)}.')
            img_size = img_size[0]
        grid = img_size // patch_size
        blocks_per_side = 2 ** (num_levels - 1)
        if img_size % patch_size or grid % blocks_per_side:
            raise ValueError(f'img_size {img_size} with patch_size {patch_size} gives a {grid}x{grid} patch grid, '
                             f'which does not split into {blocks_per_side}x{blocks_per_side} first-level blocks.')
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        self.patch_size = patch_size
        self.block_size = grid // blocks_per_side
        self.num_blocks = [4 ** (num_levels - 1 - i) for i in range(num_levels)]

        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, embed_dims[0], flatten=False)
        rates = stagewise_drop_path_rates(drop_path_rate, depths)
        levels: List[nn.Module] = []
        self.feature_info = []
        for i in range(num_levels):
            levels.append(NestLevel(self.num_blocks[i], self.block_size, embed_dims[i], depths[i], num_heads[i],
                                    embed_dims[i - 1] if i else None, mlp_ratio, qkv_bias, proj_drop_rate,
                                    attn_drop_rate, rates[i], act_layer, pad_type))
            self.feature_info.append(dict(num_chs=embed_dims[i], reduction=patch_size * 2 ** i, module=f'levels.{i}'))
        self.levels = nn.Sequential(*levels)
        self.num_features = embed_dims[-1]
        self.norm = _norm(self.num_features)
        self.global_pool, self.head = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        self._init_weights()

    def _init_weights(self) -> None:
        for level in self.levels:
            trunc_normal_(level.pos_embed, std=.02, a=-2, b=2)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                trunc_normal_(module.weight, std=.02, a=-2, b=2)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def no_weight_decay(self) -> set:
        return {f'levels.{i}.pos_embed' for i in range(len(self.levels))}

    def _run_final(self, x: torch.Tensor) -> torch.Tensor:
        # the final LayerNorm normalises channels of the NCHW map
        return _channel_norm(self.norm, x)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return _channel_norm(self.norm, self.levels(self.patch_embed(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self._pooled(x)
        return pooled if pre_logits else self.head(pooled)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: Nest) -> Dict[str, torch.Tensor]:
    """Resample per-block position embeddings of a checkpoint trained with another block size (input size): each
    block's (tokens, C) table is resized as a (block, block) grid."""
    out = dict(state_dict)
    own = model.state_dict()
    for key, value in state_dict.items():
        if key.endswith('pos_embed') and key in own and value.shape != own[key].shape:
            _, blocks, tokens, chans = value.shape
            side, new_side = math.isqrt(tokens), model.block_size
            grids = value.reshape(blocks, side, side, chans)
            resized = torch.cat([resample_abs_pos_embed_nhwc(g, [new_side, new_side]) for g in grids.split(1)])
            out[key] = resized.reshape(1, blocks, new_side * new_side, chans)
    return out


def _create_nest(variant: str, pretrained: bool = False, **kwargs: Any) -> Nest:
    return build_model_with_cfg(Nest, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(num_classes=1000, input_size=(3, 224, 224), pool_size=(14, 14), crop_pct=.875,
               interpolation='bicubic', fixed_input_size=True, first_conv='patch_embed.proj', classifier='head',
               license='apache-2.0')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'nest_base.untrained': _cfg(),
    'nest_small.untrained': _cfg(),
    'nest_tiny.untrained': _cfg(),
    'nest_base_jx.goog_in1k': _cfg(hf_hub_id='timm/'),
    'nest_small_jx.goog_in1k': _cfg(hf_hub_id='timm/'),
    'nest_tiny_jx.goog_in1k': _cfg(hf_hub_id='timm/'),
})

# (embed_dims, num_heads, depths) of the paper's three sizes
_SIZES = {
    'base': ((128, 256, 512), (4, 8, 16), (2, 2, 20)),
    'small': ((96, 192, 384), (3, 6, 12), (2, 2, 20)),
    'tiny': ((96, 192, 384), (3, 6, 12), (2, 2, 8)),
}


def _nest(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> Nest:
    dims, heads, depths = _SIZES[variant.split('_')[1]]
    if variant.endswith('_jx'):
        kwargs.setdefault('pad_type', 'same')
    return _create_nest(variant, pretrained, **dict(dict(embed_dims=dims, num_heads=heads, depths=depths), **kwargs))


@register_model
def nest_base(pretrained: bool = False, **kwargs) -> Nest:
    return _nest('nest_base', pretrained, kwargs)


@register_model
def nest_small(pretrained: bool = False, **kwargs) -> Nest:
    return _nest('nest_small', pretrained, kwargs)


@register_model
def nest_tiny(pretrained: bool = False, **kwargs) -> Nest:
    return _nest('nest_tiny', pretrained, kwargs)


@register_model
def nest_base_jx(pretrained: bool = False, **kwargs) -> Nest:
    return _nest('nest_base_jx', pretrained, kwargs)


@register_model
def nest_small_jx(pretrained: bool = False, **kwargs) -> Nest:
    return _nest('nest_small_jx', pretrained, kwargs)


@register_model
def nest_tiny_jx(pretrained: bool = False, **kwargs) -> Nest:
    return _nest('nest_tiny_jx', pretrained, kwargs)
