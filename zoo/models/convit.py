"""ConViT: vision transformers with gated positional self-attention.

Paper: "ConViT: Improving Vision Transformers with Soft Convolutional Inductive Biases", d'Ascoli et al., ICML 2021
(arXiv:2103.10697).

The first `local_up_to_layer` blocks use gated positional self-attention (GPSA): each head mixes ordinary content
attention with a positional attention computed from the relative offset (dx, dy, dx^2 + dy^2) of every key, through
a learned sigmoid gate; initialised as in the paper, the positional part makes each head attend like one tap of a
convolution kernel (section 3). The class token joins only after those blocks, and the remaining blocks are ordinary
multi-head self-attention. The token grid is square (the relative offsets assume it).

Loading a checkpoint made at another resolution resamples `pos_embed` (bicubic, as for ViT); timm's ConViT loader
does not. Deviation from timm: the hybrid-backbone patch embedding is not provided.
"""
from typing import Any, Dict, Optional, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerNorm, LayerType, get_norm_layer, stagewise_drop_path_rates, trunc_normal_
from zoo.layers.attention import Attention
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._steps import LevelStepsMixin
from zoo.models.cait import check_global_pool
from zoo.models.vision_transformer import pool_tokens

__all__ = ['ConVit', 'GPSA', 'Block', 'checkpoint_filter_fn']


def relative_offsets(num_tokens: int, device: Optional[torch.device] = None) -> torch.Tensor:
    """(N, N, 3) features (dx, dy, dx^2 + dy^2) from each query to each key of a square grid of N tokens."""
    side = int(round(num_tokens ** 0.5))
    if side * side != num_tokens:
        raise ValueError(f'Gated positional attention needs a square token grid, got {num_tokens} tokens.')
    pos = torch.arange(num_tokens, device=device)
    rows, cols = (pos // side).float(), (pos % side).float()
    dx = cols[None, :] - cols[:, None]
    dy = rows[None, :] - rows[:, None]
    return torch.stack([dx, dy, dx ** 2 + dy ** 2], dim=-1)


class GPSA(nn.Module):
    """Gated positional self-attention: (1 - g) softmax(q k^T) + g softmax(positional scores), g = sigmoid(gate)."""

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False, attn_drop: float = 0.,
                 proj_drop: float = 0., locality_strength: float = 1.):
        super().__init__()
        self.num_heads = num_heads
        self.dim = dim
        self.scale = (dim // num_heads) ** -0.5
        self.locality_strength = locality_strength
        self.qk = nn.Linear(dim, dim * 2, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.pos_proj = nn.Linear(3, num_heads)
        self.proj_drop = nn.Dropout(proj_drop)
        self.gating_param = nn.Parameter(torch.ones(num_heads))

    @torch.no_grad()
    def local_init(self) -> None:
        """Paper, section 3.2: values start as the identity and head h attends around offset (dx_h, dy_h) of a
        sqrt(heads) x sqrt(heads) kernel, with sharpness `locality_strength`."""
        self.v.weight.copy_(torch.eye(self.dim))
        kernel = int(self.num_heads ** .5)
        center = (kernel - 1) / 2
        for h1 in range(kernel):
            for h2 in range(kernel):
                head = h1 + kernel * h2
                # score = -|offset - centre_h|^2 up to a constant: weights (2 cx, 2 cy, -1) on (dx, dy, d^2)
                self.pos_proj.weight[head] = torch.tensor([2 * (h2 - center), 2 * (h1 - center), -1.])
        self.pos_proj.weight.mul_(self.locality_strength)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k = self.qk(x).view(b, n, 2, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4).unbind(0)
        v = self.v(x).view(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)
        content = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        rel = relative_offsets(n, device=x.device).to(x.dtype)
        positional = self.pos_proj(rel).permute(2, 0, 1).softmax(dim=-1)  # heads, N, N (the same for every image)
        gate = torch.sigmoid(self.gating_param).view(1, -1, 1, 1)
        attn = (1. - gate) * content + gate * positional
        attn = attn / attn.sum(dim=-1, keepdim=True)
        x = (self.attn_drop(attn) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj_drop(self.proj(x))


class Block(nn.Module):
    """Pre-norm transformer block with GPSA (`use_gpsa`) or MHSA attention."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4., qkv_bias: bool = False,
                 proj_drop: float = 0., attn_drop: float = 0., drop_path: float = 0., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = LayerNorm, use_gpsa: bool = True, locality_strength: float = 1.):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.use_gpsa = use_gpsa
        if use_gpsa:
            self.attn = GPSA(dim, num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop,
                             locality_strength=locality_strength)
        else:
            self.attn = Attention(dim, num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class ConVit(LevelStepsMixin, ZooModel):
    """ConViT: patch embedding, GPSA blocks, class token, MHSA blocks, norm, linear head.

    Args:
        img_size: input size (square: the positional attention assumes a square grid).
        patch_size: patch side.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'token' (class token), 'avg' (patch tokens) or '' (no pooling).
        embed_dim: width *per head* (the token width is embed_dim * num_heads, as in the paper's tables).
        depth: number of blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / token width.
        qkv_bias: bias on the qkv projections.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the position embedding.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last block (linear over all blocks).
        norm_layer: token norm (name or class); LayerNorm with eps 1e-6 by default.
        local_up_to_layer: number of GPSA blocks (the class token joins after them).
        locality_strength: sharpness of the initial positional attention.
        use_pos_embed: add a learned absolute position embedding to the patches.
    """
    trunk = Trunk(levels='blocks', final=('norm',), level_fmt='NLC')
    norm_levels = 'all'
    classifier_name = 'head'
    no_weight_decay_names = ('pos_embed', 'cls_token')
    groups = dict(stem=r'^cls_token|pos_embed|patch_embed', blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            img_size: Union[int, Tuple[int, int]] = 224,
            patch_size: int = 16,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'token',
            embed_dim: int = 48,
            depth: int = 12,
            num_heads: int = 12,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Optional[LayerType] = None,
            local_up_to_layer: int = 3,
            locality_strength: float = 1.,
            use_pos_embed: bool = True,
    ):
        super().__init__()
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        embed_dim *= num_heads
        self.num_classes = num_classes
        self.global_pool = check_global_pool(global_pool)
        self.local_up_to_layer = local_up_to_layer
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = 1
        self.grad_checkpointing = False

        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans,
                                      embed_dim=embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches, embed_dim)) \
            if use_pos_embed else None
        self.pos_drop = nn.Dropout(pos_drop_rate)
        rates = stagewise_drop_path_rates(drop_path_rate, [depth])[0]
        self.blocks = nn.ModuleList([
            Block(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, proj_drop=proj_drop_rate,
                  attn_drop=attn_drop_rate, drop_path=rates[i], norm_layer=norm_layer, use_gpsa=i < local_up_to_layer,
                  locality_strength=locality_strength)
            for i in range(depth)])
        self.norm = norm_layer(embed_dim)
        reduction = self.patch_embed.feat_ratio()
        self.feature_info = [dict(num_chs=embed_dim, reduction=reduction, module=f'blocks.{i}') for i in range(depth)]
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        self.init_weights()

    def init_weights(self) -> None:
        if self.pos_embed is not None:
            trunc_normal_(self.pos_embed, std=.02)
        trunc_normal_(self.cls_token, std=.02)
        self.apply(init_linear_trunc_normal_)
        for m in self.modules():
            if isinstance(m, GPSA):
                m.local_init()

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            if check_global_pool(global_pool) == 'token' and self.cls_token is None:
                raise ValueError("global_pool='token' needs the class token, which pruning removed.")
            self.global_pool = global_pool
        self.head = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    # ---- levels: block i; the class token joins before block `local_up_to_layer` ------------------------------

    def _num_levels(self) -> int:
        return len(self.blocks)

    def _start(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        return self.pos_drop(x)

    def _step(self, index: int, x: torch.Tensor) -> torch.Tensor:
        if index == self.local_up_to_layer and self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        return maybe_checkpoint(self.blocks[index], x, enabled=self.grad_checkpointing)

    def _level_output(self, index: int, x: torch.Tensor, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        if norm:
            x = self.norm(x)
        if index >= self.local_up_to_layer and self.cls_token is not None:
            x = x[:, 1:]
        if output_fmt == 'NLC':
            return x
        h, w = self.patch_embed.dynamic_feat_size(input_hw)
        x = x.reshape(x.shape[0], h, w, -1)
        return x.permute(0, 3, 1, 2).contiguous() if output_fmt == 'NCHW' else x

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)

    def _truncate(self, num_levels: int) -> None:
        self.blocks = self.blocks[:num_levels]

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        if max_index < self.local_up_to_layer:
            # the class token never joins: token pooling (and the head reading it) cannot stay
            self.cls_token = None
            self.num_prefix_tokens = 0
            prune_head = prune_head or self.global_pool == 'token'
        if prune_norm:
            self.norm = nn.Identity()
        if prune_head:
            self.num_classes = 0
            self._reset_head(0, '')

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._finish(self._run_steps(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(pool_tokens(x, self.global_pool, self.num_prefix_tokens))
        return x if pre_logits else self.head(x)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: ConVit) -> Dict[str, torch.Tensor]:
    """Unwrap training checkpoints and resample `pos_embed` (patch tokens only) to the model's grid."""
    if isinstance(state_dict.get('model'), dict):
        state_dict = state_dict['model']
    out = dict(state_dict)
    pos = out.get('pos_embed')
    if pos is not None and model.pos_embed is not None and pos.shape != model.pos_embed.shape:
        out['pos_embed'] = resample_abs_pos_embed(pos, model.patch_embed.grid_size, num_prefix_tokens=0, verbose=True)
    return out


def _create_convit(variant: str, pretrained: bool = False, **kwargs) -> ConVit:
    return build_model_with_cfg(ConVit, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), crop_pct=0.875, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='patch_embed.proj', classifier='head', license='apache-2.0', paper_ids='arXiv:2103.10697')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'convit_tiny.fb_in1k': _cfg(),
    'convit_small.fb_in1k': _cfg(),
    'convit_base.fb_in1k': _cfg(),
})


def _convit(variant: str, pretrained: bool, num_heads: int, kwargs: Dict[str, Any]) -> ConVit:
    # ten GPSA blocks of 48 channels per head (paper, table 1)
    model_args = dict(local_up_to_layer=10, locality_strength=1.0, embed_dim=48, num_heads=num_heads)
    return _create_convit(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def convit_tiny(pretrained: bool = False, **kwargs) -> ConVit:
    return _convit('convit_tiny', pretrained, 4, kwargs)


@register_model
def convit_small(pretrained: bool = False, **kwargs) -> ConVit:
    return _convit('convit_small', pretrained, 9, kwargs)


@register_model
def convit_base(pretrained: bool = False, **kwargs) -> ConVit:
    return _convit('convit_base', pretrained, 16, kwargs)
