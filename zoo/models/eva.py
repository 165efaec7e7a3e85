"""EVA / EVA-02 and the rotary-position ViTs built on the same trunk (RoPE-ViT, Perception Encoder, DINOv3,
LingBot-Vision, Sapiens2, timm's SBB RoPE ViTs).

Papers:
- EVA: "EVA: Exploring the Limits of Masked Visual Representation Learning at Scale", Fang et al., 2022
  (arXiv:2211.07636); EVA-CLIP: Sun et al., 2023 (arXiv:2303.15389).
- EVA-02: "EVA-02: A Visual Representation for Neon Genesis", Fang et al., 2023 (arXiv:2303.11331): rotary position
  embedding, SwiGLU MLPs with a norm on the hidden activations ("sub-LN"), no key bias.
- RoPE-ViT: "Rotary Position Embedding for Vision Transformer", Heo et al., 2024 (arXiv:2403.13298): axial and
  learned mixed-frequency RoPE, optionally with an absolute embedding ('ape').
- Perception Encoder: "Perception Encoder: The best visual embeddings are not at the output of the network", Bolya
  et al., 2025 (arXiv:2504.13181): RoPE plus absolute embedding, pre-norm, attention-pool head for the CLIP towers.
- DINOv3: Simeoni et al., 2025 (arXiv:2508.10104): RoPE on centred coordinates, register tokens, LayerScale.
- LingBot-Vision: "Vision Pretraining for Dense Spatial Perception", Fu et al., 2026 (arXiv:2607.05247).
- Sapiens2: Khirodkar et al., 2026 (arXiv:2604.21681): grouped-query attention in the middle blocks, qk-norm,
  RMSNorm, LayerScale on the attention branch only.
- Patch dropout (train-time token subsampling): Liu et al., 2022 (arXiv:2208.07220).

Token order is [class, registers, patches]. The rotary embedding rotates patch tokens only. Pooling defaults to the
average of the patch tokens with a norm after pooling (`fc_norm`), the EVA fine-tuning recipe; the class-token and
attention-pool ('map') models keep the final norm before pooling. Parameter names (`patch_embed.proj`, `cls_token`,
`reg_token`, `pos_embed`, `rope.freqs`, `blocks.N.{norm1, attn.{qkv, q_bias, v_bias, q_proj, k_proj, v_proj, q_norm,
k_norm, norm, proj}, gamma_1, norm2, mlp.{fc1, fc1_g, fc1_x, norm, fc2}, gamma_2}`, `norm`, `attn_pool`, `fc_norm`,
`head`) follow the published checkpoints. Deviation from timm: the multimodal 'mrope' rotary type (used by no model
registered here) is not implemented.
"""
from functools import partial
from typing import Any, Callable, Dict, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import (
    IMAGENET_DEFAULT_MEAN,
    IMAGENET_DEFAULT_STD,
    IMAGENET_INCEPTION_MEAN,
    IMAGENET_INCEPTION_STD,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
)
from zoo.layers import DropPath, LayerNorm, get_norm_layer, to_2tuple
from zoo.layers.attention_pool import AttentionPoolLatent
from zoo.layers.attention_rope import AttentionRope
from zoo.layers.mlp import GluMlp, Mlp
from zoo.layers.patch_dropout import PatchDropout
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.rms_norm import RmsNorm
from zoo.layers.rope import MixedRotaryEmbedding, create_rope_embed, gather_rope
from zoo.layers.swiglu import SwiGLU
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._token_transformer import TokenTransformer, source_grid

__all__ = ['Eva', 'EvaBlock', 'EvaBlockPostNorm', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]


def _eva_mlp(
        dim: int,
        mlp_ratio: float,
        swiglu_mlp: bool,
        swiglu_align_to: int,
        scale_mlp: bool,
        act_layer: Callable[[], nn.Module],
        norm_layer: Callable[[int], nn.Module],
        drop: float,
        swiglu_packed: bool = True,
        bias: bool = True,
) -> nn.Module:
    hidden = int(dim * mlp_ratio)
    norm = norm_layer if scale_mlp else None
    if not swiglu_mlp:
        return Mlp(dim, hidden, act_layer=act_layer, norm_layer=norm, bias=bias, drop=drop)
    if scale_mlp or swiglu_align_to or not swiglu_packed:
        # separate gate / value projections: the layout of checkpoints with a hidden norm or a padded hidden width
        return SwiGLU(dim, hidden, norm_layer=norm, bias=bias, drop=drop, align_to=swiglu_align_to)
    # one packed projection, gate first
    return GluMlp(dim, hidden * 2, act_layer=nn.SiLU, gate_last=False, bias=bias, drop=drop)


class EvaBlock(nn.Module):
    """Pre-norm block x + g1 * attn(norm1(x)), x + g2 * mlp(norm2(x)) with optional LayerScale vectors g1 / g2.

    Args:
        dim: token width.
        num_heads: query heads.
        num_kv_heads: key/value heads (grouped query, 'rope' attention only); None for one per query head.
        qkv_bias: query/key/value biases.
        qkv_fused: one packed qkv projection.
        mlp_ratio: MLP hidden width / dim.
        swiglu_mlp: SwiGLU MLP (else GELU MLP).
        swiglu_align_to: round the SwiGLU hidden width up to a multiple of this.
        scale_mlp: norm on the MLP hidden activations.
        scale_attn_inner: norm on the attention output before its projection.
        attn_type: 'eva' (no key bias, EVA layout) or 'rope' (plain biases, grouped query allowed).
        num_prefix_tokens: class/register tokens the rotary embedding skips.
        rotate_half: rotary pairs are head halves (else interleaved).
        qk_norm: normalise queries / keys per head.
        init_values: LayerScale init; None disables it.
        attn_only_layer_scale: LayerScale on the attention branch only.
        proj_drop, attn_drop, drop_path: dropout rates.
        act_layer: MLP activation (non-SwiGLU).
        norm_layer: norm factory.
        attn_layer: attention class taking `AttentionRope`'s arguments (a subclass adding e.g. a position bias).
        swiglu_packed: a SwiGLU without hidden norm or padding uses one packed projection (EVA); False keeps the
            separate gate / value projections (BEiT).
        mlp_bias: biases on the MLP projections (the DeepSeek vision tower has none).
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            num_kv_heads: Optional[int] = None,
            qkv_bias: bool = True,
            qkv_fused: bool = True,
            mlp_ratio: float = 4.,
            swiglu_mlp: bool = False,
            swiglu_align_to: int = 0,
            scale_mlp: bool = False,
            scale_attn_inner: bool = False,
            attn_type: str = 'eva',
            num_prefix_tokens: int = 1,
            rotate_half: bool = False,
            qk_norm: bool = False,
            init_values: Optional[float] = None,
            attn_only_layer_scale: bool = False,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Callable[[], nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            attn_layer: Callable[..., nn.Module] = AttentionRope,
            swiglu_packed: bool = True,
            mlp_bias: bool = True,
    ):
        super().__init__()
        if attn_type not in ('eva', 'rope'):
            raise ValueError(f"attn_type must be 'eva' or 'rope', got {attn_type!r}.")
        if attn_type == 'eva' and num_kv_heads not in (None, num_heads):
            raise ValueError("Grouped-query attention (num_kv_heads) needs attn_type='rope'.")
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(
            dim, num_heads=num_heads, num_kv_heads=num_kv_heads, qkv_bias=qkv_bias, key_bias=attn_type == 'rope',
            qkv_fused=qkv_fused, num_prefix_tokens=num_prefix_tokens, qk_norm=qk_norm, scale_norm=scale_attn_inner,
            rotate_half=rotate_half, attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer)
        self.gamma_1 = nn.Parameter(torch.full((dim,), float(init_values))) if init_values is not None else None
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = _eva_mlp(dim, mlp_ratio, swiglu_mlp, swiglu_align_to, scale_mlp, act_layer, norm_layer, proj_drop,
                            swiglu_packed, mlp_bias)
        use_mlp_scale = init_values is not None and not attn_only_layer_scale
        self.gamma_2 = nn.Parameter(torch.full((dim,), float(init_values))) if use_mlp_scale else None
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor, **attn_kwargs: Any) -> torch.Tensor:
        """`attn_kwargs` (the rotary embedding `rope`, a shared position bias, ...) go to the attention."""
        y = self.attn(self.norm1(x), **attn_kwargs)
        x = x + self.drop_path1(y if self.gamma_1 is None else self.gamma_1 * y)
        y = self.mlp(self.norm2(x))
        return x + self.drop_path2(y if self.gamma_2 is None else self.gamma_2 * y)


class EvaBlockPostNorm(nn.Module):
    """Residual post-norm block x + norm1(attn(x)), x + norm2(mlp(x)) (EVA-02-CLIP-E). Arguments as for `EvaBlock`;
    LayerScale, qk-norm and grouped query are not available in this layout."""

    def __init__(
            self,
            dim: int,
            num_heads: int,
            qkv_bias: bool = True,
            qkv_fused: bool = True,
            mlp_ratio: float = 4.,
            swiglu_mlp: bool = False,
            swiglu_align_to: int = 0,
            scale_mlp: bool = False,
            scale_attn_inner: bool = False,
            attn_type: str = 'eva',
            num_prefix_tokens: int = 1,
            rotate_half: bool = False,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Callable[[], nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
    ):
        super().__init__()
        self.attn = AttentionRope(
            dim, num_heads=num_heads, qkv_bias=qkv_bias, key_bias=attn_type == 'rope', qkv_fused=qkv_fused,
            num_prefix_tokens=num_prefix_tokens, scale_norm=scale_attn_inner, rotate_half=rotate_half,
            attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer)
        self.norm1 = norm_layer(dim)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        # this layout pads the SwiGLU hidden width only in its normalised-hidden (separate projection) form
        self.mlp = _eva_mlp(dim, mlp_ratio, swiglu_mlp, swiglu_align_to if scale_mlp else 0, scale_mlp, act_layer,
                            norm_layer, proj_drop)
        self.norm2 = norm_layer(dim)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor, rope: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = x + self.drop_path1(self.norm1(self.attn(x, rope=rope)))
        return x + self.drop_path2(self.norm2(self.mlp(x)))


class Eva(TokenTransformer):
    """ViT with optional absolute and/or rotary position embedding, register tokens, SwiGLU MLPs and patch dropout.

    Args:
        img_size: input size the position embeddings are built for.
        patch_size: patch side.
        in_chans: input channels.
        num_classes: classifier outputs (0: no classifier).
        global_pool: '', 'avg', 'avgmax', 'max', 'token' or 'map' (attention pool).
        embed_dim: token width.
        depth: blocks.
        num_heads: attention heads.
        num_kv_heads: key/value heads (grouped query, needs attn_type='rope' and qkv_fused=False); an int for every
            block or one value per block.
        qkv_bias, qkv_fused, qk_norm, mlp_ratio, swiglu_mlp, swiglu_align_to, scale_mlp, scale_attn_inner,
            attn_type, init_values, attn_only_layer_scale: block options, see `EvaBlock`.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after the position embedding.
        patch_drop_rate: fraction of patch tokens dropped in training.
        proj_drop_rate, attn_drop_rate: dropout inside blocks.
        drop_path_rate: stochastic depth of the last block (linear in depth).
        norm_layer: norm (class, factory or name).
        class_token: prepend a class token.
        num_reg_tokens: register tokens after the class token.
        no_embed_class: the absolute embedding covers patch tokens only.
        use_abs_pos_emb: learned absolute position embedding.
        use_rot_pos_emb: rotary position embedding.
        rope_type: 'cat' (axial on patch indices), 'dinov3' (axial on centred coordinates) or 'mixed' (learned).
        rope_grid_offset: added to the rotary grid indices.
        rope_grid_indexing: 'ij' or 'xy' rotary coordinate order.
        rope_temperature: rotary frequency base.
        rope_rotate_half: rotary pairs are head halves (else interleaved).
        rope_shift_coords, rope_jitter_coords, rope_rescale_coords: train-time rotary coordinate augmentation.
        use_post_norm: residual post-norm blocks (`EvaBlockPostNorm`).
        use_pre_transformer_norm: norm before the blocks (drops the patch-embedding bias).
        use_post_transformer_norm: norm after the blocks; None: when no `fc_norm`.
        use_fc_norm: norm after pooling; None: for 'avg' pooling.
        attn_pool_num_heads, attn_pool_mlp_ratio: attention-pool options (default: the blocks').
        dynamic_img_size: accept any input size (position embeddings follow the input grid).
        dynamic_img_pad: pad inputs to a multiple of the patch size.
        ref_feat_shape: grid the 'cat' rotary coordinates are rescaled to.
        head_init_scale: the classifier's initial weights are scaled by this.
    """
    global_pools = ('', 'avg', 'avgmax', 'max', 'token', 'map')
    groups = dict(stem=r'^cls_token|reg_token|pos_embed|patch_embed|norm_pre',
                  blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])
    no_weight_decay_names = ('pos_embed', 'cls_token', 'reg_token')

    def __init__(
            self,
            img_size: SizeT = 224,
            patch_size: SizeT = 16,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dim: int = 768,
            depth: int = 12,
            num_heads: int = 12,
            num_kv_heads: Optional[Union[int, Sequence[int]]] = None,
            qkv_bias: bool = True,
            qkv_fused: bool = True,
            qk_norm: bool = False,
            mlp_ratio: float = 4.,
            swiglu_mlp: bool = False,
            swiglu_align_to: int = 0,
            scale_mlp: bool = False,
            scale_attn_inner: bool = False,
            attn_type: str = 'eva',
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            patch_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Optional[Union[str, Callable[[int], nn.Module]]] = None,
            init_values: Optional[float] = None,
            attn_only_layer_scale: bool = False,
            class_token: bool = True,
            num_reg_tokens: int = 0,
            no_embed_class: bool = False,
            use_abs_pos_emb: bool = True,
            use_rot_pos_emb: bool = False,
            rope_type: str = 'cat',
            rope_grid_offset: float = 0.,
            rope_grid_indexing: str = 'ij',
            rope_temperature: float = 10000.,
            rope_rotate_half: bool = False,
            rope_shift_coords: Optional[float] = None,
            rope_jitter_coords: Optional[float] = None,
            rope_rescale_coords: Optional[float] = None,
            use_post_norm: bool = False,
            use_pre_transformer_norm: bool = False,
            use_post_transformer_norm: Optional[bool] = None,
            use_fc_norm: Optional[bool] = None,
            attn_pool_num_heads: Optional[int] = None,
            attn_pool_mlp_ratio: Optional[float] = None,
            dynamic_img_size: bool = False,
            dynamic_img_pad: bool = False,
            ref_feat_shape: Optional[SizeT] = None,
            head_init_scale: float = 0.001,
    ):
        super().__init__()
        self._check_pool(global_pool, class_token)
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        fc_norm = global_pool == 'avg' if use_fc_norm is None else use_fc_norm
        post_norm = not fc_norm if use_post_transformer_norm is None else use_post_transformer_norm
        if num_kv_heads is None or isinstance(num_kv_heads, int):
            num_kv_heads = (num_kv_heads,) * depth
        if len(num_kv_heads) != depth:
            raise ValueError(f'num_kv_heads needs one entry per block ({depth}), got {len(num_kv_heads)}.')
        if use_post_norm and (qk_norm or attn_only_layer_scale or any(h is not None for h in num_kv_heads)):
            raise ValueError('qk_norm, num_kv_heads and attn_only_layer_scale need pre-norm blocks '
                             '(use_post_norm=False).')

        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = int(class_token) + num_reg_tokens
        self.no_embed_class = no_embed_class
        self.dynamic_img_size = dynamic_img_size
        self.grad_checkpointing = False

        embed_args: Dict[str, Any] = dict(strict_img_size=False, output_fmt='NHWC') if dynamic_img_size else {}
        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim,
                                      bias=not use_pre_transformer_norm, dynamic_img_pad=dynamic_img_pad, **embed_args)
        grid = self.patch_embed.grid_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.reg_token = nn.Parameter(torch.zeros(1, num_reg_tokens, embed_dim)) if num_reg_tokens else None
        embed_len = self.patch_embed.num_patches + (0 if no_embed_class else self.num_prefix_tokens)
        self.pos_embed = nn.Parameter(torch.zeros(1, embed_len, embed_dim)) if use_abs_pos_emb else None
        self.pos_drop = nn.Dropout(p=pos_drop_rate)
        self.patch_drop = PatchDropout(patch_drop_rate, self.num_prefix_tokens) if patch_drop_rate > 0 else None

        if use_rot_pos_emb:
            self.rope = create_rope_embed(
                rope_type, embed_dim, num_heads, depth=depth, temperature=rope_temperature,
                feat_shape=None if dynamic_img_size else grid, grid_offset=rope_grid_offset,
                ref_feat_shape=to_2tuple(ref_feat_shape) if ref_feat_shape is not None else None,
                grid_indexing=rope_grid_indexing, rotate_half=rope_rotate_half, shift_coords=rope_shift_coords,
                jitter_coords=rope_jitter_coords, rescale_coords=rope_rescale_coords)
        else:
            self.rope = None
        self.norm_pre = norm_layer(embed_dim) if use_pre_transformer_norm else nn.Identity()

        dpr = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        common = dict(
            dim=embed_dim, num_heads=num_heads, qkv_bias=qkv_bias, qkv_fused=qkv_fused, mlp_ratio=mlp_ratio,
            swiglu_mlp=swiglu_mlp, swiglu_align_to=swiglu_align_to, scale_mlp=scale_mlp,
            scale_attn_inner=scale_attn_inner, attn_type=attn_type, num_prefix_tokens=self.num_prefix_tokens,
            rotate_half=rope_rotate_half, proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, norm_layer=norm_layer)
        if use_post_norm:
            blocks = [EvaBlockPostNorm(drop_path=dpr[i], **common) for i in range(depth)]
        else:
            blocks = [EvaBlock(drop_path=dpr[i], num_kv_heads=num_kv_heads[i], qk_norm=qk_norm,
                               init_values=init_values, attn_only_layer_scale=attn_only_layer_scale, **common)
                      for i in range(depth)]
        self.blocks = nn.ModuleList(blocks)
        reduction = self.patch_embed.feat_ratio()
        self.feature_info = [dict(module=f'blocks.{i}', num_chs=embed_dim, reduction=reduction) for i in range(depth)]
        self.norm = norm_layer(embed_dim) if post_norm else nn.Identity()

        if global_pool == 'map':
            self.attn_pool = AttentionPoolLatent(embed_dim, num_heads=attn_pool_num_heads or num_heads,
                                                 mlp_ratio=attn_pool_mlp_ratio or mlp_ratio, norm_layer=norm_layer)
        else:
            self.attn_pool = None
        self.fc_norm = norm_layer(embed_dim) if fc_norm else nn.Identity()
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        self.init_weights(head_init_scale)

    def init_weights(self, head_init_scale: float = 0.001) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        for p in (self.pos_embed, self.cls_token, self.reg_token):
            if p is not None:
                nn.init.trunc_normal_(p, std=.02)
        self._rescale_residual_init()
        self._init_head(head_init_scale)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        names = super().no_weight_decay()
        if isinstance(self.rope, MixedRotaryEmbedding):
            names |= {f'rope.{n}' for n in self.rope.no_weight_decay()}
        return names

    def set_input_size(self, img_size: Optional[SizeT] = None) -> None:
        """Rebuild for a new input size: the absolute embedding is resampled and the rotary grid recomputed."""
        prev_grid, grid = self._set_grid(img_size)
        if self.pos_embed is not None and grid != prev_grid:
            with torch.no_grad():
                pos_embed = resample_abs_pos_embed(self.pos_embed, grid, old_size=prev_grid,
                                                   num_prefix_tokens=self._embed_prefix_len(), verbose=True)
            self.pos_embed = nn.Parameter(pos_embed, requires_grad=self.pos_embed.requires_grad)
        if self.rope is not None and self.rope.feat_shape is not None:
            self.rope.set_feat_shape(grid)

    def _embed_prefix_len(self) -> int:
        return 0 if self.no_embed_class else self.num_prefix_tokens

    def _embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        x = self.patch_embed(x)
        pos_embed = self.pos_embed
        if self.dynamic_img_size:
            b, h, w, c = x.shape
            if pos_embed is not None:
                pos_embed = resample_abs_pos_embed(pos_embed, (h, w), old_size=self.patch_embed.grid_size,
                                                   num_prefix_tokens=self._embed_prefix_len())
            rope = self.rope.get_embed((h, w), device=x.device) if self.rope is not None else None
            x = x.reshape(b, h * w, c)
        else:
            rope = self.rope.get_embed() if self.rope is not None else None
        x = self._add_prefix_and_pos(x, pos_embed)
        x = self.pos_drop(x)
        if self.patch_drop is not None:
            x, keep = self.patch_drop(x)
            if rope is not None and keep is not None:
                # one embedding row set per sample: (B, [depth,] heads or 1, kept, 2d)
                rope = gather_rope(rope, keep)
                rope = rope.transpose(0, 1) if isinstance(self.rope, MixedRotaryEmbedding) else rope.unsqueeze(1)
        return self.norm_pre(x), rope

    def _add_prefix_and_pos(self, x: torch.Tensor, pos_embed: Optional[torch.Tensor]) -> torch.Tensor:
        prefix = [t.expand(x.shape[0], -1, -1) for t in (self.cls_token, self.reg_token) if t is not None]
        if self.no_embed_class and pos_embed is not None:
            x = x + pos_embed
        if prefix:
            x = torch.cat(prefix + [x], dim=1)
        if not self.no_embed_class and pos_embed is not None:
            x = x + pos_embed
        return x

    def _block_kwargs(self, context: Optional[torch.Tensor], index: int) -> Dict[str, Any]:
        if context is not None and isinstance(self.rope, MixedRotaryEmbedding):
            return dict(rope=context[index])
        return dict(rope=context)


def _rename_original_keys(key: str) -> str:
    # EVA's original (BAAI) checkpoints name the sub-LN norms and SwiGLU projections differently
    for old, new in (('mlp.ffn_ln', 'mlp.norm'), ('attn.inner_attn_ln', 'attn.norm'), ('mlp.w12', 'mlp.fc1'),
                     ('mlp.w1', 'mlp.fc1_g'), ('mlp.w2', 'mlp.fc1_x'), ('mlp.w3', 'mlp.fc2')):
        key = key.replace(old, new)
    return key


def _convert_dinov3(state_dict: Dict[str, torch.Tensor], model: Eva) -> Dict[str, torch.Tensor]:
    """Meta's DINOv3 release: registers are 'storage tokens', LayerScale sits in `ls1/ls2`, and the packed qkv bias
    includes a (zero) key part. Pre-training-only parts are dropped."""
    params = dict(model.named_parameters())
    out = {}
    for key, value in state_dict.items():
        if key.endswith(('.periods', '.bias_mask', 'mask_token')) or key.startswith(('projectors.', 'local_cls_norm')):
            continue
        if key.endswith('qkv.bias'):
            q_key = key.replace('qkv.bias', 'q_bias')
            # some distilled releases carry all-zero biases; the matching zoo model then has none
            if q_key in params:
                out[q_key], _, out[key.replace('qkv.bias', 'v_bias')] = value.chunk(3, dim=-1)
            continue
        for old, new in (('ls1.gamma', 'gamma_1'), ('ls2.gamma', 'gamma_2'), ('storage_tokens', 'reg_token')):
            key = key.replace(old, new)
        out[key] = value
    return out


_SAPIENS2_RENAMES = (('storage_tokens', 'reg_token'), ('patch_embed.projection.', 'patch_embed.proj.'),
                     ('attn.wq.', 'attn.q_proj.'), ('attn.wk.', 'attn.k_proj.'), ('attn.wv.', 'attn.v_proj.'),
                     ('attn.gamma.weight', 'gamma_1'), ('.ffn.', '.mlp.'), ('.ln1.', '.norm1.'), ('.ln2.', '.norm2.'))


def _convert_sapiens2(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Meta's Sapiens2 release: its own attention / MLP / norm names; LayerScale lives inside the attention."""
    out = {}
    for key, value in state_dict.items():
        if key == 'mask_token':
            continue
        for old, new in _SAPIENS2_RENAMES:
            key = key.replace(old, new)
        out['norm.' + key[len('ln1.'):] if key.startswith('ln1.') else key] = value
    return out


_PE_RENAMES = (('conv1', 'patch_embed.proj'), ('positional_embedding', 'pos_embed'),
               ('transformer.resblocks.', 'blocks.'), ('ln_pre', 'norm_pre'), ('ln_post', 'norm'), ('ln_', 'norm'),
               ('ls_1.gamma', 'gamma_1'), ('ls_2.gamma', 'gamma_2'), ('in_proj_', 'qkv.'), ('out_proj', 'proj'),
               ('mlp.c_fc', 'mlp.fc1'), ('mlp.c_proj', 'mlp.fc2'), ('attn_pool.attn', 'attn_pool'),
               ('attn_pool.layernorm', 'attn_pool.norm'), ('attn_pool.probe', 'attn_pool.latent'))


def _convert_perception_encoder(state_dict: Dict[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    """Meta's Perception Encoder release (OpenCLIP layout): renamed modules, a fused attention-pool input projection
    split into query and key/value parts, and the output projection `proj` becoming the (bias-free) head."""
    out = {}
    for key, value in state_dict.items():
        if not key.startswith(prefix):
            continue
        key = key[len(prefix):].replace('module.', '')
        for old, new in _PE_RENAMES:
            key = key.replace(old, new)
        if key.startswith('attn_pool.qkv.'):
            dim = value.shape[0] // 3
            kind = key.rsplit('.', 1)[1]
            out[f'attn_pool.q.{kind}'], out[f'attn_pool.kv.{kind}'] = value[:dim], value[dim:]
            continue
        if key == 'proj':
            out['head.weight'] = value.t()
            out['head.bias'] = value.new_zeros(value.shape[1])
            continue
        if key == 'class_embedding':
            key, value = 'cls_token', value.reshape(1, 1, -1)
        elif key == 'pos_embed':
            value = value.unsqueeze(0)
        out[key] = value
    return out


def checkpoint_filter_fn(
        state_dict: Dict[str, torch.Tensor],
        model: Eva,
        interpolation: str = 'bicubic',
        antialias: bool = True,
) -> Dict[str, torch.Tensor]:
    """Adapt an EVA-family checkpoint to `model`.

    Unwraps training-script containers, converts the original releases (EVA's BAAI keys, Meta's DINOv3, Sapiens2 and
    Perception Encoder layouts, OpenCLIP prefixes), drops masked-image-modelling heads (a MIM checkpoint's final norm
    becomes the fine-tuning `fc_norm`) and resamples the absolute position embedding when the checkpoint was trained
    on another grid. Rotary embeddings are computed, not learned (except 'mixed' frequencies, which do not depend on
    the grid), so they need no resampling.
    """
    for container in ('model_ema', 'model', 'module', 'state_dict'):
        if isinstance(state_dict.get(container), dict):
            state_dict = state_dict[container]
    if 'visual.conv1.weight' in state_dict or 'conv1.weight' in state_dict:
        state_dict = _convert_perception_encoder(state_dict, 'visual.' if 'visual.conv1.weight' in state_dict else '')
    elif 'blocks.0.attn.wq.weight' in state_dict and 'blocks.0.ffn.w12.weight' in state_dict:
        state_dict = _convert_sapiens2(state_dict)
    elif 'storage_tokens' in state_dict:
        state_dict = _convert_dinov3(state_dict, model)
    prefix = next((p for p in ('visual.trunk.', 'visual.') if f'{p}pos_embed' in state_dict), '')
    is_mim = f'{prefix}mask_token' in state_dict
    separate_qkv = f'{prefix}blocks.0.attn.q_proj.weight' in state_dict
    out = {}
    for key, value in state_dict.items():
        if not key.startswith(prefix):
            continue
        key = key[len(prefix):]
        if 'rope' in key and key != 'rope.freqs':
            continue  # computed buffers of other implementations
        if is_mim and key in ('mask_token', 'lm_head.weight', 'lm_head.bias'):
            continue
        if is_mim and key in ('norm.weight', 'norm.bias') and isinstance(model.norm, nn.Identity):
            key = 'fc_' + key
        key = _rename_original_keys(key)
        if separate_qkv:
            key = key.replace('attn.q_bias', 'attn.q_proj.bias').replace('attn.v_bias', 'attn.v_proj.bias')
        if key == 'pos_embed' and model.pos_embed is not None:
            num_prefix = model._embed_prefix_len()
            patch_weight = state_dict.get(f'{prefix}patch_embed.proj.weight')
            old_grid = source_grid(model, patch_weight, value.shape[1] - num_prefix)
            grid = model.patch_embed.grid_size
            if value.shape != model.pos_embed.shape or (old_grid is not None and old_grid != grid):
                if old_grid is None:
                    raise ValueError(f'Cannot resample a pos_embed of {value.shape[1]} tokens ({num_prefix} prefix) '
                                     f'to the {grid} grid: its source grid is unknown (not square).')
                value = resample_abs_pos_embed(value, grid, old_size=old_grid,
                                               num_prefix_tokens=num_prefix, interpolation=interpolation,
                                               antialias=antialias, verbose=True)
        out[key] = value
    return out


def _create_eva(variant: str, pretrained: bool = False, **kwargs) -> Eva:
    # timm's features_only default for these models is the last three blocks
    return build_model_with_cfg(Eva, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _eva(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> Eva:
    return _create_eva(variant, pretrained, **dict(model_args, **kwargs))


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), fixed_input_size=True, interpolation='bicubic',
               crop_pct=0.9, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, num_classes=1000,
               first_conv='patch_embed.proj', classifier='head', license='mit')
    cfg.update(kwargs)
    return cfg


def _pe_cfg(**kwargs) -> Dict[str, Any]:
    return _cfg(**dict(dict(crop_pct=1.0, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, num_classes=0,
                            license='apache-2.0'), **kwargs))


def _dinov3_cfg(**kwargs) -> Dict[str, Any]:
    return _cfg(**dict(dict(input_size=(3, 256, 256), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN,
                            std=IMAGENET_DEFAULT_STD, num_classes=0, license='dinov3-license'), **kwargs))


def _lingbot_cfg(**kwargs) -> Dict[str, Any]:
    return _cfg(**dict(dict(
        input_size=(3, 512, 512), crop_pct=1.0, crop_mode='squash', interpolation='bilinear',
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, num_classes=0, license='apache-2.0',
        origin_url='https://github.com/robbyant/lingbot-vision', paper_ids='arXiv:2607.05247'), **kwargs))


def _sapiens2_cfg(**kwargs) -> Dict[str, Any]:
    return _cfg(**dict(dict(
        input_size=(3, 1024, 768), min_input_size=(3, 256, 192), fixed_input_size=False, crop_pct=1.0,
        crop_mode='squash', interpolation='bilinear', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
        num_classes=0, license='sapiens2-license', origin_url='https://github.com/facebookresearch/sapiens2',
        paper_ids='arXiv:2604.21681'), **kwargs))


_SAT_MEAN, _SAT_STD = (0.43, 0.411, 0.296), (0.213, 0.156, 0.143)  # DINOv3 satellite-imagery weights
_EUPE_LICENSE = 'fair-noncommercial-research-license'

# Tags and preprocessing of the weights published on the Hub (timm/<arch>.<tag> unless stated).
default_cfgs = generate_default_cfgs({
    'eva02_base_patch14_224.mim_in22k': _cfg(num_classes=0),
    'eva02_base_patch14_448.mim_in22k_ft_in22k_in1k': _cfg(input_size=(3, 448, 448), crop_pct=1.0, crop_mode='squash'),
    'eva02_base_patch14_448.mim_in22k_ft_in1k': _cfg(input_size=(3, 448, 448), crop_pct=1.0),
    'eva02_base_patch14_448.mim_in22k_ft_in22k': _cfg(
        input_size=(3, 448, 448), crop_pct=1.0, crop_mode='squash', num_classes=21841),
    'eva02_base_patch16_clip_224.merged2b': _cfg(num_classes=512),
    'eva02_enormous_patch14_clip_224.laion2b': _cfg(num_classes=1024),
    'eva02_enormous_patch14_clip_224.laion2b_plus': _cfg(num_classes=1024),
    'eva02_enormous_patch14_clip_224.pretrain': _cfg(hf_hub_id=None, num_classes=0),
    'eva02_large_patch14_224.mim_in22k': _cfg(num_classes=0),
    'eva02_large_patch14_224.mim_m38m': _cfg(num_classes=0),
    'eva02_large_patch14_448.mim_in22k_ft_in22k_in1k': _cfg(input_size=(3, 448, 448), crop_pct=1.0, crop_mode='squash'),
    'eva02_large_patch14_448.mim_m38m_ft_in22k_in1k': _cfg(input_size=(3, 448, 448), crop_pct=1.0, crop_mode='squash'),
    'eva02_large_patch14_448.mim_in22k_ft_in1k': _cfg(input_size=(3, 448, 448), crop_pct=1.0),
    'eva02_large_patch14_448.mim_m38m_ft_in1k': _cfg(input_size=(3, 448, 448), crop_pct=1.0),
    'eva02_large_patch14_448.mim_in22k_ft_in22k': _cfg(
        input_size=(3, 448, 448), crop_pct=1.0, crop_mode='squash', num_classes=21841),
    'eva02_large_patch14_448.mim_m38m_ft_in22k': _cfg(
        input_size=(3, 448, 448), crop_pct=1.0, crop_mode='squash', num_classes=21841),
    'eva02_large_patch14_clip_224.merged2b': _cfg(num_classes=768),
    'eva02_large_patch14_clip_336.merged2b': _cfg(input_size=(3, 336, 336), crop_pct=1.0, num_classes=768),
    'eva02_small_patch14_224.mim_in22k': _cfg(num_classes=0),
    'eva02_small_patch14_336.mim_in22k_ft_in1k': _cfg(input_size=(3, 336, 336), crop_pct=1.0),
    'eva02_tiny_patch14_224.mim_in22k': _cfg(num_classes=0),
    'eva02_tiny_patch14_336.mim_in22k_ft_in1k': _cfg(input_size=(3, 336, 336), crop_pct=1.0),
    'eva_giant_patch14_224.clip_ft_in1k': _cfg(),
    'eva_giant_patch14_336.clip_ft_in1k': _cfg(input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash'),
    'eva_giant_patch14_336.m30m_ft_in22k_in1k': _cfg(
        input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash', mean=IMAGENET_DEFAULT_MEAN,
        std=IMAGENET_DEFAULT_STD),
    'eva_giant_patch14_560.m30m_ft_in22k_in1k': _cfg(
        input_size=(3, 560, 560), crop_pct=1.0, crop_mode='squash', mean=IMAGENET_DEFAULT_MEAN,
        std=IMAGENET_DEFAULT_STD),
    'eva_giant_patch14_clip_224.laion400m': _cfg(num_classes=1024),
    'eva_giant_patch14_clip_224.merged2b': _cfg(num_classes=1024),
    'vit_5b_patch16_sapiens2.fb': _sapiens2_cfg(),
    'vit_7b_patch16_dinov3.lvd1689m': _dinov3_cfg(),
    'vit_7b_patch16_dinov3.sat493m': _dinov3_cfg(mean=_SAT_MEAN, std=_SAT_STD),
    'vit_base_patch16_dinov3.lvd1689m': _dinov3_cfg(),
    'vit_base_patch16_dinov3_qkvb.lvd1689m': _dinov3_cfg(),
    'vit_base_patch16_dinov3_qkvb.eupe_lvd1689m': _dinov3_cfg(license=_EUPE_LICENSE),
    'vit_base_patch16_lingbot.robbyant': _lingbot_cfg(hf_hub_id='belfner/vit_base_patch16_lingbot.robbyant'),
    'vit_base_patch16_rope_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_base_patch16_rope_ape_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_base_patch16_rope_mixed_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_base_patch16_rope_mixed_ape_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_base_patch16_rope_reg1_gap_256.sbb_in1k': _cfg(
        input_size=(3, 256, 256), crop_pct=0.95, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD),
    'vit_base_patch16_sapiens2.fb': _sapiens2_cfg(),
    'vit_betwixt_patch16_rope_reg4_gap_256.sbb_in1k': _cfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_giant_patch16_lingbot.robbyant': _lingbot_cfg(hf_hub_id='belfner/vit_giant_patch16_lingbot.robbyant'),
    'vit_giant_patch16_sapiens2.fb': _sapiens2_cfg(),
    'vit_huge_patch16_sapiens2.fb': _sapiens2_cfg(),
    'vit_huge_plus_patch16_dinov3.lvd1689m': _dinov3_cfg(),
    'vit_huge_plus_patch16_dinov3_qkvb.lvd1689m': _dinov3_cfg(),
    'vit_large_patch16_dinov3.lvd1689m': _dinov3_cfg(),
    'vit_large_patch16_dinov3.sat493m': _dinov3_cfg(mean=_SAT_MEAN, std=_SAT_STD),
    'vit_large_patch16_dinov3_qkvb.lvd1689m': _dinov3_cfg(),
    'vit_large_patch16_dinov3_qkvb.sat493m': _dinov3_cfg(mean=_SAT_MEAN, std=_SAT_STD),
    'vit_large_patch16_lingbot.robbyant': _lingbot_cfg(hf_hub_id='belfner/vit_large_patch16_lingbot.robbyant'),
    'vit_large_patch16_rope_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_large_patch16_rope_ape_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_large_patch16_rope_mixed_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_large_patch16_rope_mixed_ape_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_large_patch16_sapiens2.fb': _sapiens2_cfg(),
    'vit_medium_patch16_rope_reg1_gap_256.sbb_in1k': _cfg(
        input_size=(3, 256, 256), crop_pct=0.95, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD),
    'vit_mediumd_patch16_rope_reg1_gap_256.sbb_in1k': _cfg(
        input_size=(3, 256, 256), crop_pct=0.95, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD),
    'vit_pe_core_base_patch16_224.fb': _pe_cfg(num_classes=1024),
    'vit_pe_core_gigantic_patch14_448.fb': _pe_cfg(input_size=(3, 448, 448), num_classes=1280),
    'vit_pe_core_large_patch14_336.fb': _pe_cfg(input_size=(3, 336, 336), num_classes=1024),
    'vit_pe_core_small_patch16_384.fb': _pe_cfg(input_size=(3, 384, 384), num_classes=512),
    'vit_pe_core_tiny_patch16_384.fb': _pe_cfg(input_size=(3, 384, 384), num_classes=512),
    'vit_pe_lang_gigantic_patch14_448.fb': _pe_cfg(input_size=(3, 448, 448)),
    'vit_pe_lang_gigantic_patch14_448.fb_tiling': _pe_cfg(input_size=(3, 448, 448)),
    'vit_pe_lang_large_patch14_448.fb': _pe_cfg(input_size=(3, 448, 448)),
    'vit_pe_lang_large_patch14_448.fb_tiling': _pe_cfg(input_size=(3, 448, 448)),
    'vit_pe_spatial_base_patch16_512.fb': _pe_cfg(input_size=(3, 512, 512)),
    'vit_pe_spatial_gigantic_patch14_448.fb': _pe_cfg(input_size=(3, 448, 448)),
    'vit_pe_spatial_large_patch14_448.fb': _pe_cfg(input_size=(3, 448, 448)),
    'vit_pe_spatial_small_patch16_512.fb': _pe_cfg(input_size=(3, 512, 512)),
    'vit_pe_spatial_tiny_patch16_512.fb': _pe_cfg(input_size=(3, 512, 512)),
    'vit_small_patch16_dinov3.lvd1689m': _dinov3_cfg(),
    'vit_small_patch16_dinov3_qkvb.lvd1689m': _dinov3_cfg(),
    'vit_small_patch16_dinov3_qkvb.eupe_lvd1689m': _dinov3_cfg(license=_EUPE_LICENSE),
    'vit_small_patch16_lingbot.robbyant': _lingbot_cfg(hf_hub_id='belfner/vit_small_patch16_lingbot.robbyant'),
    'vit_small_patch16_rope_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_small_patch16_rope_ape_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_small_patch16_rope_mixed_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_small_patch16_rope_mixed_ape_224.naver_in1k': _cfg(
        mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='apache-2.0'),
    'vit_small_plus_patch16_dinov3.lvd1689m': _dinov3_cfg(),
    'vit_small_plus_patch16_dinov3_qkvb.lvd1689m': _dinov3_cfg(),
    'vit_tiny_patch16_dinov3_qkvb.eupe_lvd1689m': _dinov3_cfg(license=_EUPE_LICENSE),
})

# Architecture settings shared by the variants of each lineage; the factories add the sizes.
_EVA02 = dict(mlp_ratio=4 * 2 / 3, swiglu_mlp=True, use_rot_pos_emb=True, ref_feat_shape=(16, 16))
# base and larger EVA-02: separate q/k/v projections and the hidden-activation norm in the SwiGLU MLP
_EVA02_BL = dict(_EVA02, qkv_fused=False, scale_mlp=True)
_EVA02_CLIP = dict(_EVA02_BL, scale_attn_inner=True, global_pool='token')
_EVA_GIANT = dict(patch_size=14, embed_dim=1408, depth=40, num_heads=16, mlp_ratio=6144 / 1408)
_SBB_ROPE = dict(img_size=256, patch_size=16, qkv_fused=True, init_values=1e-5, class_token=False,
                 use_rot_pos_emb=True, use_abs_pos_emb=False, ref_feat_shape=(16, 16))
_PE = dict(attn_type='rope', use_pre_transformer_norm=True, use_rot_pos_emb=True, rope_grid_indexing='xy',
           norm_layer=partial(LayerNorm, eps=1e-5))
_PE_CORE = dict(_PE, global_pool='map', attn_pool_num_heads=8, attn_pool_mlp_ratio=4.)
_PE_DENSE = dict(_PE, use_post_transformer_norm=False, use_fc_norm=False)  # language / spatial towers
_ROPE_VIT = dict(patch_size=16, mlp_ratio=4, attn_type='rope', qkv_bias=True, init_values=1e-5, class_token=True,
                 global_pool='token', use_rot_pos_emb=True, rope_grid_indexing='xy')
_ROPE_AXIAL = dict(_ROPE_VIT, use_abs_pos_emb=False, rope_temperature=100.)
_ROPE_AXIAL_APE = dict(_ROPE_VIT, no_embed_class=True, use_abs_pos_emb=True, rope_temperature=100.)
_ROPE_MIXED = dict(_ROPE_VIT, use_abs_pos_emb=False, rope_temperature=10., rope_type='mixed')
_ROPE_MIXED_APE = dict(_ROPE_VIT, no_embed_class=True, use_abs_pos_emb=True, rope_temperature=10., rope_type='mixed')
_DINOV3 = dict(patch_size=16, dynamic_img_size=True, init_values=1e-5, rope_type='dinov3', rope_temperature=100,
               rope_rotate_half=True, use_rot_pos_emb=True, use_abs_pos_emb=False, num_reg_tokens=4, use_fc_norm=False,
               norm_layer=partial(LayerNorm, eps=1e-5))
_DINOV3_SWIGLU = dict(_DINOV3, swiglu_mlp=True, swiglu_align_to=8)
_LINGBOT = dict(_DINOV3, global_pool='token')
_SAPIENS2 = dict(img_size=(1024, 768), patch_size=16, dynamic_img_size=True, attn_type='rope', qkv_fused=False,
                 qkv_bias=True, qk_norm=True, global_pool='token', swiglu_mlp=True, mlp_ratio=4.0, init_values=1.0,
                 attn_only_layer_scale=True, rope_type='dinov3', rope_temperature=100, rope_rotate_half=True,
                 rope_rescale_coords=2.0, use_rot_pos_emb=True, use_abs_pos_emb=False, class_token=True,
                 num_reg_tokens=8, use_fc_norm=False, norm_layer=partial(RmsNorm, eps=1e-6))


def _sapiens2(depth: int, num_heads: int, embed_dim: int) -> Dict[str, Any]:
    # Sapiens2 halves the key/value heads of every block but the first and last eight
    kv_heads = tuple(num_heads // 2 if 8 <= i < depth - 8 else num_heads for i in range(depth))
    return dict(_SAPIENS2, depth=depth, num_heads=num_heads, embed_dim=embed_dim, num_kv_heads=kv_heads)


@register_model
def eva_giant_patch14_224(pretrained: bool = False, **kwargs) -> Eva:
    """EVA-g/14 (EVA-CLIP image tower fine-tuned on ImageNet-1k)."""
    return _eva('eva_giant_patch14_224', pretrained, _EVA_GIANT, kwargs)


@register_model
def eva_giant_patch14_336(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('eva_giant_patch14_336', pretrained, _EVA_GIANT, kwargs)


@register_model
def eva_giant_patch14_560(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('eva_giant_patch14_560', pretrained, _EVA_GIANT, kwargs)


@register_model
def eva02_tiny_patch14_224(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02, img_size=224, patch_size=14, embed_dim=192, depth=12, num_heads=3)
    return _eva('eva02_tiny_patch14_224', pretrained, model_args, kwargs)


@register_model
def eva02_small_patch14_224(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02, img_size=224, patch_size=14, embed_dim=384, depth=12, num_heads=6)
    return _eva('eva02_small_patch14_224', pretrained, model_args, kwargs)


@register_model
def eva02_base_patch14_224(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02_BL, img_size=224, patch_size=14, embed_dim=768, depth=12, num_heads=12)
    return _eva('eva02_base_patch14_224', pretrained, model_args, kwargs)


@register_model
def eva02_large_patch14_224(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02_BL, img_size=224, patch_size=14, embed_dim=1024, depth=24, num_heads=16)
    return _eva('eva02_large_patch14_224', pretrained, model_args, kwargs)


@register_model
def eva02_tiny_patch14_336(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02, img_size=336, patch_size=14, embed_dim=192, depth=12, num_heads=3)
    return _eva('eva02_tiny_patch14_336', pretrained, model_args, kwargs)


@register_model
def eva02_small_patch14_336(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02, img_size=336, patch_size=14, embed_dim=384, depth=12, num_heads=6)
    return _eva('eva02_small_patch14_336', pretrained, model_args, kwargs)


@register_model
def eva02_base_patch14_448(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02_BL, img_size=448, patch_size=14, embed_dim=768, depth=12, num_heads=12)
    return _eva('eva02_base_patch14_448', pretrained, model_args, kwargs)


@register_model
def eva02_large_patch14_448(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02_BL, img_size=448, patch_size=14, embed_dim=1024, depth=24, num_heads=16)
    return _eva('eva02_large_patch14_448', pretrained, model_args, kwargs)


@register_model
def eva_giant_patch14_clip_224(pretrained: bool = False, **kwargs) -> Eva:
    """EVA-g/14 CLIP image tower (class-token pooling, projection as the head)."""
    return _eva('eva_giant_patch14_clip_224', pretrained, dict(_EVA_GIANT, global_pool='token'), kwargs)


@register_model
def eva02_base_patch16_clip_224(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02_CLIP, img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12)
    return _eva('eva02_base_patch16_clip_224', pretrained, model_args, kwargs)


@register_model
def eva02_large_patch14_clip_224(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02_CLIP, img_size=224, patch_size=14, embed_dim=1024, depth=24, num_heads=16)
    return _eva('eva02_large_patch14_clip_224', pretrained, model_args, kwargs)


@register_model
def eva02_large_patch14_clip_336(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_EVA02_CLIP, img_size=336, patch_size=14, embed_dim=1024, depth=24, num_heads=16)
    return _eva('eva02_large_patch14_clip_336', pretrained, model_args, kwargs)


@register_model
def eva02_enormous_patch14_clip_224(pretrained: bool = False, **kwargs) -> Eva:
    """EVA-02-CLIP-E/14 image tower: residual post-norm blocks, no rotary embedding."""
    model_args = dict(img_size=224, patch_size=14, embed_dim=1792, depth=64, num_heads=16, mlp_ratio=15360 / 1792,
                      use_post_norm=True, global_pool='token')
    return _eva('eva02_enormous_patch14_clip_224', pretrained, model_args, kwargs)


@register_model
def vit_medium_patch16_rope_reg1_gap_256(pretrained: bool = False, **kwargs) -> Eva:
    """timm's ViT-M/16 with RoPE and one register token, average pooling."""
    model_args = dict(_SBB_ROPE, embed_dim=512, depth=12, num_heads=8, qkv_bias=True, num_reg_tokens=1)
    return _eva('vit_medium_patch16_rope_reg1_gap_256', pretrained, model_args, kwargs)


@register_model
def vit_mediumd_patch16_rope_reg1_gap_256(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_SBB_ROPE, embed_dim=512, depth=20, num_heads=8, qkv_bias=False, num_reg_tokens=1)
    return _eva('vit_mediumd_patch16_rope_reg1_gap_256', pretrained, model_args, kwargs)


@register_model
def vit_betwixt_patch16_rope_reg4_gap_256(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_SBB_ROPE, embed_dim=640, depth=12, num_heads=10, qkv_bias=True, num_reg_tokens=4)
    return _eva('vit_betwixt_patch16_rope_reg4_gap_256', pretrained, model_args, kwargs)


@register_model
def vit_base_patch16_rope_reg1_gap_256(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_SBB_ROPE, embed_dim=768, depth=12, num_heads=12, qkv_bias=True, num_reg_tokens=1)
    return _eva('vit_base_patch16_rope_reg1_gap_256', pretrained, model_args, kwargs)


@register_model
def vit_pe_core_tiny_patch16_384(pretrained: bool = False, **kwargs) -> Eva:
    """Perception Encoder core (CLIP) image tower, T/16 at 384."""
    model_args = dict(_PE_CORE, patch_size=16, embed_dim=192, depth=12, num_heads=3, mlp_ratio=4.0,
                      ref_feat_shape=(24, 24), rope_grid_offset=1.0)
    return _eva('vit_pe_core_tiny_patch16_384', pretrained, model_args, kwargs)


@register_model
def vit_pe_core_small_patch16_384(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_CORE, patch_size=16, embed_dim=384, depth=12, num_heads=6, mlp_ratio=4.0,
                      ref_feat_shape=(24, 24), rope_grid_offset=1.0)
    return _eva('vit_pe_core_small_patch16_384', pretrained, model_args, kwargs)


@register_model
def vit_pe_core_base_patch16_224(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_CORE, patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0,
                      ref_feat_shape=(14, 14), rope_grid_offset=1.0)
    return _eva('vit_pe_core_base_patch16_224', pretrained, model_args, kwargs)


@register_model
def vit_pe_core_large_patch14_336(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_CORE, patch_size=14, embed_dim=1024, depth=24, num_heads=16, mlp_ratio=4.0,
                      ref_feat_shape=(24, 24), rope_grid_offset=1.0)
    return _eva('vit_pe_core_large_patch14_336', pretrained, model_args, kwargs)


@register_model
def vit_pe_core_gigantic_patch14_448(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_CORE, patch_size=14, embed_dim=1536, depth=50, num_heads=16, mlp_ratio=8960 / 1536,
                      class_token=False, ref_feat_shape=(32, 32))
    return _eva('vit_pe_core_gigantic_patch14_448', pretrained, model_args, kwargs)


@register_model
def vit_pe_lang_large_patch14_448(pretrained: bool = False, **kwargs) -> Eva:
    """Perception Encoder language-aligned tower (features for a language model; no final norm, no head)."""
    model_args = dict(_PE_DENSE, patch_size=14, embed_dim=1024, depth=23, num_heads=16, mlp_ratio=4.0,
                      class_token=True, ref_feat_shape=(32, 32), rope_grid_offset=1.0, init_values=0.1)
    return _eva('vit_pe_lang_large_patch14_448', pretrained, model_args, kwargs)


@register_model
def vit_pe_lang_gigantic_patch14_448(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_DENSE, patch_size=14, embed_dim=1536, depth=47, num_heads=16, mlp_ratio=8960 / 1536,
                      class_token=False, ref_feat_shape=(32, 32), init_values=0.1)
    return _eva('vit_pe_lang_gigantic_patch14_448', pretrained, model_args, kwargs)


@register_model
def vit_pe_spatial_tiny_patch16_512(pretrained: bool = False, **kwargs) -> Eva:
    """Perception Encoder spatial tower (dense features)."""
    model_args = dict(_PE_DENSE, patch_size=16, embed_dim=192, depth=12, num_heads=3, mlp_ratio=4.0,
                      ref_feat_shape=(32, 32), rope_grid_offset=1.0)
    return _eva('vit_pe_spatial_tiny_patch16_512', pretrained, model_args, kwargs)


@register_model
def vit_pe_spatial_small_patch16_512(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_DENSE, patch_size=16, embed_dim=384, depth=12, num_heads=6, mlp_ratio=4.0,
                      ref_feat_shape=(32, 32), rope_grid_offset=1.0)
    return _eva('vit_pe_spatial_small_patch16_512', pretrained, model_args, kwargs)


@register_model
def vit_pe_spatial_base_patch16_512(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_DENSE, patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0,
                      ref_feat_shape=(32, 32), rope_grid_offset=1.0)
    return _eva('vit_pe_spatial_base_patch16_512', pretrained, model_args, kwargs)


@register_model
def vit_pe_spatial_large_patch14_448(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_DENSE, patch_size=14, embed_dim=1024, depth=24, num_heads=16, mlp_ratio=4.0,
                      ref_feat_shape=(32, 32), rope_grid_offset=1.0)
    return _eva('vit_pe_spatial_large_patch14_448', pretrained, model_args, kwargs)


@register_model
def vit_pe_spatial_gigantic_patch14_448(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_PE_DENSE, patch_size=14, embed_dim=1536, depth=50, num_heads=16, mlp_ratio=8960 / 1536,
                      class_token=False, ref_feat_shape=(32, 32), init_values=0.1)
    return _eva('vit_pe_spatial_gigantic_patch14_448', pretrained, model_args, kwargs)


@register_model
def vit_small_patch16_rope_224(pretrained: bool = False, **kwargs) -> Eva:
    """RoPE-ViT-S/16, axial rotary embedding only."""
    return _eva('vit_small_patch16_rope_224', pretrained,
                dict(_ROPE_AXIAL, embed_dim=384, depth=12, num_heads=6), kwargs)


@register_model
def vit_base_patch16_rope_224(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_base_patch16_rope_224', pretrained,
                dict(_ROPE_AXIAL, embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_large_patch16_rope_224(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_large_patch16_rope_224', pretrained,
                dict(_ROPE_AXIAL, embed_dim=1024, depth=24, num_heads=16), kwargs)


@register_model
def vit_small_patch16_rope_mixed_224(pretrained: bool = False, **kwargs) -> Eva:
    """RoPE-ViT-S/16 with learned per-block, per-head (mixed) rotary frequencies."""
    return _eva('vit_small_patch16_rope_mixed_224', pretrained,
                dict(_ROPE_MIXED, embed_dim=384, depth=12, num_heads=6), kwargs)


@register_model
def vit_base_patch16_rope_mixed_224(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_base_patch16_rope_mixed_224', pretrained,
                dict(_ROPE_MIXED, embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_large_patch16_rope_mixed_224(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_large_patch16_rope_mixed_224', pretrained,
                dict(_ROPE_MIXED, embed_dim=1024, depth=24, num_heads=16), kwargs)


@register_model
def vit_small_patch16_rope_ape_224(pretrained: bool = False, **kwargs) -> Eva:
    """RoPE-ViT-S/16, axial rotary plus absolute position embedding."""
    return _eva('vit_small_patch16_rope_ape_224', pretrained,
                dict(_ROPE_AXIAL_APE, embed_dim=384, depth=12, num_heads=6), kwargs)


@register_model
def vit_base_patch16_rope_ape_224(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_base_patch16_rope_ape_224', pretrained,
                dict(_ROPE_AXIAL_APE, embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_large_patch16_rope_ape_224(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_large_patch16_rope_ape_224', pretrained,
                dict(_ROPE_AXIAL_APE, embed_dim=1024, depth=24, num_heads=16), kwargs)


@register_model
def vit_small_patch16_rope_mixed_ape_224(pretrained: bool = False, **kwargs) -> Eva:
    """RoPE-ViT-S/16, mixed rotary plus absolute position embedding."""
    return _eva('vit_small_patch16_rope_mixed_ape_224', pretrained,
                dict(_ROPE_MIXED_APE, embed_dim=384, depth=12, num_heads=6), kwargs)


@register_model
def vit_base_patch16_rope_mixed_ape_224(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_base_patch16_rope_mixed_ape_224', pretrained,
                dict(_ROPE_MIXED_APE, embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def vit_large_patch16_rope_mixed_ape_224(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_large_patch16_rope_mixed_ape_224', pretrained,
                dict(_ROPE_MIXED_APE, embed_dim=1024, depth=24, num_heads=16), kwargs)


@register_model
def vit_tiny_patch16_dinov3_qkvb(pretrained: bool = False, **kwargs) -> Eva:
    """DINOv3-distilled ViT-T/16 (EUPE weights), with query/value biases."""
    return _eva('vit_tiny_patch16_dinov3_qkvb', pretrained,
                dict(_DINOV3, embed_dim=192, depth=12, num_heads=3, qkv_bias=True), kwargs)


@register_model
def vit_small_patch16_dinov3(pretrained: bool = False, **kwargs) -> Eva:
    """DINOv3 ViT-S/16 (distilled from the 7B teacher)."""
    return _eva('vit_small_patch16_dinov3', pretrained,
                dict(_DINOV3, embed_dim=384, depth=12, num_heads=6, qkv_bias=False), kwargs)


@register_model
def vit_small_patch16_dinov3_qkvb(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_small_patch16_dinov3_qkvb', pretrained,
                dict(_DINOV3, embed_dim=384, depth=12, num_heads=6, qkv_bias=True), kwargs)


@register_model
def vit_small_plus_patch16_dinov3(pretrained: bool = False, **kwargs) -> Eva:
    """DINOv3 ViT-S+/16: SwiGLU MLP."""
    return _eva('vit_small_plus_patch16_dinov3', pretrained,
                dict(_DINOV3_SWIGLU, embed_dim=384, depth=12, num_heads=6, qkv_bias=False), kwargs)


@register_model
def vit_small_plus_patch16_dinov3_qkvb(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_small_plus_patch16_dinov3_qkvb', pretrained,
                dict(_DINOV3_SWIGLU, embed_dim=384, depth=12, num_heads=6, qkv_bias=True), kwargs)


@register_model
def vit_base_patch16_dinov3(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_base_patch16_dinov3', pretrained,
                dict(_DINOV3, embed_dim=768, depth=12, num_heads=12, qkv_bias=False), kwargs)


@register_model
def vit_base_patch16_dinov3_qkvb(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_base_patch16_dinov3_qkvb', pretrained,
                dict(_DINOV3, embed_dim=768, depth=12, num_heads=12, qkv_bias=True), kwargs)


@register_model
def vit_large_patch16_dinov3(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_large_patch16_dinov3', pretrained,
                dict(_DINOV3, embed_dim=1024, depth=24, num_heads=16, qkv_bias=False), kwargs)


@register_model
def vit_large_patch16_dinov3_qkvb(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_large_patch16_dinov3_qkvb', pretrained,
                dict(_DINOV3, embed_dim=1024, depth=24, num_heads=16, qkv_bias=True), kwargs)


@register_model
def vit_huge_plus_patch16_dinov3(pretrained: bool = False, **kwargs) -> Eva:
    """DINOv3 ViT-H+/16: SwiGLU MLP."""
    return _eva('vit_huge_plus_patch16_dinov3', pretrained,
                dict(_DINOV3_SWIGLU, embed_dim=1280, depth=32, num_heads=20, qkv_bias=False), kwargs)


@register_model
def vit_huge_plus_patch16_dinov3_qkvb(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_huge_plus_patch16_dinov3_qkvb', pretrained,
                dict(_DINOV3_SWIGLU, embed_dim=1280, depth=32, num_heads=20, qkv_bias=True), kwargs)


@register_model
def vit_7b_patch16_dinov3(pretrained: bool = False, **kwargs) -> Eva:
    """DINOv3 ViT-7B/16 teacher: SwiGLU MLP with a hidden width padded to a multiple of 64."""
    model_args = dict(_DINOV3, embed_dim=4096, depth=40, num_heads=32, qkv_bias=False, mlp_ratio=2, swiglu_mlp=True,
                      swiglu_align_to=64)
    return _eva('vit_7b_patch16_dinov3', pretrained, model_args, kwargs)


@register_model
def vit_small_patch16_lingbot(pretrained: bool = False, **kwargs) -> Eva:
    """LingBot-Vision ViT-S/16 (DINOv3-style trunk, class-token features)."""
    return _eva('vit_small_patch16_lingbot', pretrained,
                dict(_LINGBOT, embed_dim=384, depth=12, num_heads=6, qkv_bias=True), kwargs)


@register_model
def vit_base_patch16_lingbot(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_base_patch16_lingbot', pretrained,
                dict(_LINGBOT, embed_dim=768, depth=12, num_heads=12, qkv_bias=True), kwargs)


@register_model
def vit_large_patch16_lingbot(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_large_patch16_lingbot', pretrained,
                dict(_LINGBOT, embed_dim=1024, depth=24, num_heads=16, qkv_bias=True), kwargs)


@register_model
def vit_giant_patch16_lingbot(pretrained: bool = False, **kwargs) -> Eva:
    model_args = dict(_LINGBOT, embed_dim=1536, depth=40, num_heads=24, qkv_bias=False, mlp_ratio=4 * 2 / 3,
                      swiglu_mlp=True, swiglu_align_to=8)
    return _eva('vit_giant_patch16_lingbot', pretrained, model_args, kwargs)


@register_model
def vit_base_patch16_sapiens2(pretrained: bool = False, **kwargs) -> Eva:
    """Sapiens2 ViT-B/16 (human-centric, 1024x768 portrait input)."""
    return _eva('vit_base_patch16_sapiens2', pretrained, _sapiens2(12, 12, 768), kwargs)


@register_model
def vit_large_patch16_sapiens2(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_large_patch16_sapiens2', pretrained, _sapiens2(24, 16, 1024), kwargs)


@register_model
def vit_huge_patch16_sapiens2(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_huge_patch16_sapiens2', pretrained, _sapiens2(32, 16, 1280), kwargs)


@register_model
def vit_giant_patch16_sapiens2(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_giant_patch16_sapiens2', pretrained, _sapiens2(40, 24, 1536), kwargs)


@register_model
def vit_5b_patch16_sapiens2(pretrained: bool = False, **kwargs) -> Eva:
    return _eva('vit_5b_patch16_sapiens2', pretrained, _sapiens2(56, 32, 2432), kwargs)
