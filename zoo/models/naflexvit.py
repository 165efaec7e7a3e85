"""NaFlex Vision Transformer: a ViT that reads a batch of patch sequences of any resolution and aspect ratio.

Papers:
- ViT: "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale", Dosovitskiy et al., 2020
  (arXiv:2010.11929).
- NaViT: "Patch n' Pack: NaViT, a Vision Transformer for any Aspect Ratio and Resolution", Dehghani et al., 2023
  (arXiv:2307.06304): images keep their aspect ratio, their patches are packed into sequences with padding, and
  attention / pooling ignore the padding. Factorized (separate row and column) position embeddings, section 3.1.
- FlexiViT: "FlexiViT: One Model for All Patch Sizes", Beyer et al., 2022 (arXiv:2212.08013).
- SigLIP 2 NaFlex towers: "SigLIP 2: Multilingual Vision-Language Encoders with Improved Semantic Understanding,
  Localization, and Dense Features", Tschannen et al., 2025 (arXiv:2502.14786): the learned position embedding is a
  fixed grid resized (bilinear) to each image's patch grid.
- C-RADIO towers: "AM-RADIO: Agglomerative Vision Foundation Model", Ranzinger et al., 2023 (arXiv:2312.06709),
  C-RADIOv3 (arXiv:2412.07679), C-RADIOv4 (arXiv:2601.17237): a 128x128 embedding grid resized to a square of the
  largest side and cropped top-left (aspect preserving), extra summary tokens kept as registers, no final norm.

Two inputs, one model:
- images (B, C, H, W): the linear patch projection reads them patchified in (patch_h, patch_w, C) order (what the
  patch-sequence data pipeline produces), so the same weights serve both inputs;
- a patch batch `dict(patches=(B, N, P*P*C), patch_coord=(B, N, 2) (row, col), patch_valid=(B, N) bool)`, or the
  three given as arguments. Each sample's valid patches come first, in row-major order of its own grid; the rest is
  padding, which attention never reads and the average / max / attention pooling skip. `forward_features` then
  returns `dict(patches=tokens, patch_valid=mask)`.
`zoo.data.naflex` builds such batches from images (resize to a token budget, patchify, pad); validate.py and
inference.py use it with `--naflex-loader`.

Rotary position embeddings (axial EVA-02 style, DINOv3's centred grid, or RoPE-Mixed's learned frequencies) and
the EVA block options (SwiGLU, grouped-query attention, unfused qkv) are available through the config, as in timm;
no registered model uses them.

Deviations from timm's NaFlexVit (none change the outputs of the models it builds): the multimodal ('mrope') rotary
type, gated attention, the patch-size interpolator, the grid_sample position-embedding path and the 'jax' / 'moco'
inits are not built (their config fields are refused, not ignored); `forward_intermediates` has no `output_dict` /
prefix-token options (as the other zoo ViTs); converting original NVIDIA RADIO checkpoints is not included (timm's
remapped Hub weights load directly).
"""
import dataclasses
import math
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD
from zoo.layers import LayerNorm, get_act_layer, get_norm_layer
from zoo.layers.attention_pool import AttentionPoolLatent
from zoo.layers.patch_dropout import PatchDropout
from zoo.layers.patchify import batch_patchify
from zoo.layers.rope import MixedRotaryEmbedding, create_rope_embed, gather_rope
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.eva import EvaBlock
from zoo.models.vision_transformer import Block, VisionTransformer, pool_tokens

__all__ = ['NaFlexVitCfg', 'NaFlexVit', 'NaFlexEmbeds', 'batch_patchify', 'create_attention_mask', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]
_GLOBAL_POOLS = ('', 'avg', 'avgmax', 'max', 'token', 'map')
_MASKED_POOLS = ('avg', 'max', 'avgmax')


@dataclasses.dataclass
class NaFlexVitCfg:
    """Architecture of a NaFlexVit (the constructor's `in_chans`, `num_classes`, `img_size` stay separate).

    Args:
        patch_size: patch side (or (h, w)).
        embed_dim: token width.
        depth: number of blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / embed_dim.
        scale_mlp_norm: norm the MLP hidden activations before fc2.
        qkv_bias: bias on the qkv projections.
        qk_norm: per-head query / key norm.
        proj_bias: bias on attention output projections and MLP linears.
        attn_drop_rate: dropout on attention probabilities.
        scale_attn_inner_norm: norm the attention output before its projection.
        use_key_only_attn_mask: mask padding only as keys ((B, 1, 1, N) mask) instead of as keys and queries.
        init_values: LayerScale init; None disables LayerScale.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after the embedding.
        patch_drop_rate: fraction of patch tokens dropped in training (PatchDropout).
        proj_drop_rate: dropout after projections inside blocks.
        drop_path_rate: stochastic depth rate of the last block (linear in depth).
        class_token: prepend a class token.
        reg_tokens: number of register tokens.
        pos_embed: 'learned' (a 2-D grid), 'factorized' (row + column tables) or 'none'.
        pos_embed_grid_size: grid of the learned tables; None derives it from `img_size` // `patch_size`.
        pos_embed_interp_mode: interpolation of the learned grid to other grids.
        pos_embed_ar_preserving: resize the tables to a square of the larger grid side, then crop (keeps the
            aspect ratio of the embedding).
        pos_embed_antialias: antialias when shrinking the learned grid.
        pos_embed_align_corners: align corners when resizing the learned grid.
        dynamic_img_pad: pad image inputs to a multiple of the patch size.
        patchify_channels_last: flat patch layout (patch_h, patch_w, C) if True, else (C, patch_h, patch_w).
        pre_norm: norm the tokens before the blocks (also drops the projection bias).
        final_norm: a final norm (after the blocks, or after pooling when `fc_norm`).
        fc_norm: put the final norm after pooling; None chooses it for 'avg' pooling.
        global_pool: '', 'avg', 'avgmax', 'max', 'token' (class token) or 'map' (attention pool).
        pool_include_prefix: pooling also reads the class / register tokens.
        attn_pool_num_heads: heads of the attention pool (default num_heads).
        attn_pool_mlp_ratio: MLP ratio of the attention pool (default mlp_ratio).
        weight_init: '' for the default init, 'skip' to leave modules as constructed.
        fix_init: scale each block's output projections by 1 / sqrt(2 * layer) at init.
        embed_proj_type: 'linear' (patch sequences or images) or 'conv' (images only).
        embed_norm_layer: norm applied to the projected patches (None for none).
        norm_layer: norm name (LayerNorm, eps 1e-6, by default).
        act_layer: MLP activation name (GELU by default).
        num_kv_heads: key / value heads (grouped-query attention, 'rope' attention), one value or one per block.
        rope_type: rotary position embedding: '' / 'none', 'axial' (index grid, EVA-02), 'dinov3' (centred grid) or
            'mixed' (learned per block and head); any of them switches to EVA blocks with rotary attention.
        rope_temperature: rotary frequency base.
        rope_ref_feat_shape: 'axial' grids are rescaled to span this grid.
        rope_grid_offset: added to the grid indices.
        rope_grid_indexing: 'ij' or 'xy' coordinate order.
        rope_rotate_half: rotary pairs are head halves (else interleaved neighbours).
        rope_shift_coords / rope_jitter_coords / rope_rescale_coords: train-time coordinate augmentations.
        attn_type: 'standard', 'eva' (EVA attention layout) or 'rope'.
        swiglu_mlp: SwiGLU MLPs (EVA blocks).
        swiglu_align_to: round the SwiGLU hidden width up to a multiple of this (0: off).
        qkv_fused: one packed qkv projection (EVA blocks).
        attn_only_layer_scale: LayerScale on the attention branch only (EVA blocks).
    """
    patch_size: SizeT = 16
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    scale_mlp_norm: bool = False
    qkv_bias: bool = True
    qk_norm: bool = False
    proj_bias: bool = True
    attn_drop_rate: float = 0.0
    scale_attn_inner_norm: bool = False
    use_key_only_attn_mask: bool = False
    init_values: Optional[float] = None
    drop_rate: float = 0.0
    pos_drop_rate: float = 0.0
    patch_drop_rate: float = 0.0
    proj_drop_rate: float = 0.0
    drop_path_rate: float = 0.0
    class_token: bool = False
    reg_tokens: int = 0
    pos_embed: str = 'learned'
    pos_embed_grid_size: Optional[Tuple[int, int]] = (16, 16)
    pos_embed_interp_mode: str = 'bicubic'
    pos_embed_ar_preserving: bool = False
    pos_embed_antialias: bool = True
    pos_embed_align_corners: bool = False
    dynamic_img_pad: bool = False
    patchify_channels_last: bool = True
    pre_norm: bool = False
    final_norm: bool = True
    fc_norm: Optional[bool] = None
    global_pool: str = 'map'
    pool_include_prefix: bool = False
    attn_pool_num_heads: Optional[int] = None
    attn_pool_mlp_ratio: Optional[float] = None
    weight_init: str = ''
    fix_init: bool = True
    embed_proj_type: str = 'linear'
    embed_norm_layer: Optional[str] = None
    norm_layer: Optional[str] = None
    act_layer: Optional[str] = None
    num_kv_heads: Optional[Union[int, Tuple[int, ...]]] = None
    rope_type: str = ''
    rope_temperature: float = 10000.0
    rope_ref_feat_shape: Optional[Tuple[int, int]] = None
    rope_grid_offset: float = 0.
    rope_grid_indexing: str = 'ij'
    rope_rotate_half: bool = False
    rope_shift_coords: Optional[float] = None
    rope_jitter_coords: Optional[float] = None
    rope_rescale_coords: Optional[float] = None
    attn_type: str = 'standard'
    swiglu_mlp: bool = False
    swiglu_align_to: int = 0
    qkv_fused: bool = True
    attn_only_layer_scale: bool = False

    @property
    def uses_eva_blocks(self) -> bool:
        """Rotary embeddings, SwiGLU, grouped queries or branch-specific LayerScale need EVA blocks."""
        return (self.attn_type in ('eva', 'rope') or self.rope_type not in ('', 'none') or self.swiglu_mlp
                or self.attn_only_layer_scale or self.num_kv_heads is not None)


# timm's rope_type names -> zoo.layers.rope.create_rope_embed's
_ROPE_TYPES = {'axial': 'cat', 'dinov3': 'dinov3', 'mixed': 'mixed'}


def _make_block(cfg: NaFlexVitCfg, index: int, drop_path: float, norm_layer: Any, act_layer: Any) -> nn.Module:
    common = dict(dim=cfg.embed_dim, num_heads=cfg.num_heads, mlp_ratio=cfg.mlp_ratio, qkv_bias=cfg.qkv_bias,
                  qk_norm=cfg.qk_norm, init_values=cfg.init_values, proj_drop=cfg.proj_drop_rate,
                  attn_drop=cfg.attn_drop_rate, drop_path=drop_path, norm_layer=norm_layer, act_layer=act_layer)
    if not cfg.uses_eva_blocks:
        return NaFlexBlock(scale_attn_norm=cfg.scale_attn_inner_norm, scale_mlp_norm=cfg.scale_mlp_norm,
                           proj_bias=cfg.proj_bias, depth=index, **common)
    if not cfg.proj_bias:
        raise ValueError('EVA blocks (rope / swiglu / grouped-query options) always have projection biases; '
                         'keep proj_bias=True.')
    kv_heads = cfg.num_kv_heads
    if kv_heads is not None and not isinstance(kv_heads, int):
        if len(kv_heads) != cfg.depth:
            raise ValueError(f'num_kv_heads needs one entry per block ({cfg.depth}), got {len(kv_heads)}.')
        kv_heads = kv_heads[index]
    rotary = cfg.attn_type == 'rope' or (cfg.attn_type == 'standard' and cfg.rope_type not in ('', 'none'))
    return EvaBlock(num_kv_heads=kv_heads, qkv_fused=cfg.qkv_fused, swiglu_mlp=cfg.swiglu_mlp,
                    swiglu_align_to=cfg.swiglu_align_to, scale_mlp=cfg.scale_mlp_norm,
                    scale_attn_inner=cfg.scale_attn_inner_norm, attn_type='rope' if rotary else 'eva',
                    num_prefix_tokens=int(cfg.class_token) + cfg.reg_tokens, rotate_half=cfg.rope_rotate_half,
                    attn_only_layer_scale=cfg.attn_only_layer_scale, **common)


def _pair(size: SizeT) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def _grid_sizes(patch_coord: torch.Tensor) -> List[Tuple[int, int]]:
    """Each sample's patch grid (rows, cols): one past its largest coordinates."""
    extent = patch_coord.amax(dim=1) + 1
    return [(int(h), int(w)) for h, w in extent.tolist()]


def _group_by_size(sizes: Sequence[Tuple[int, int]]) -> Dict[Tuple[int, int], List[int]]:
    groups: Dict[Tuple[int, int], List[int]] = {}
    for i, size in enumerate(sizes):
        groups.setdefault(size, []).append(i)
    return groups


def create_attention_mask(
        patch_valid: torch.Tensor,
        num_prefix_tokens: int = 0,
        symmetric: bool = True,
        dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Additive attention mask of a padded patch batch: 0 where attention is allowed, the dtype's minimum elsewhere.

    A large finite negative (not -inf) keeps the softmax of a padding query (whose keys are all masked) finite.

    Args:
        patch_valid: (B, N) True for real patches.
        num_prefix_tokens: leading class / register tokens, always valid.
        symmetric: mask padding as keys and as queries ((B, 1, L, L)); False masks keys only ((B, 1, 1, L)).
        dtype: mask dtype (the activations' dtype).
    """
    valid = patch_valid.bool()
    if num_prefix_tokens:
        valid = torch.cat([valid.new_ones(valid.shape[0], num_prefix_tokens), valid], dim=1)
    allowed = valid[:, None, None, :]
    if symmetric:
        allowed = allowed & valid[:, None, :, None]
    mask = torch.zeros(allowed.shape, dtype=dtype, device=valid.device)
    return mask.masked_fill_(~allowed, torch.finfo(dtype).min)


class NaFlexEmbeds(nn.Module):
    """Patch projection, position embedding and prefix tokens, for images or padded patch sequences.

    Args:
        patch_size: patch side (or (h, w)).
        in_chans: image channels.
        embed_dim: token width.
        proj_type: 'linear' (flattened patches) or 'conv' (images only).
        proj_bias: bias on the projection.
        class_token: prepend a class token.
        reg_tokens: number of register tokens.
        dynamic_img_pad: pad images to a multiple of the patch size.
        default_img_size: image size giving the table grid when `pos_embed_grid_size` is None.
        pos_embed: 'learned', 'factorized' or 'none'.
        pos_embed_grid_size: grid of the learned tables.
        pos_embed_interp_mode: interpolation of the learned grid.
        pos_embed_ar_preserving: resize to a square of the larger side, then crop.
        pos_embed_antialias: antialias when shrinking the learned grid.
        pos_embed_align_corners: align corners when resizing the learned grid.
        proj_norm_layer: norm class applied after the projection (None for none).
        pos_drop_rate: dropout after the embedding.
        channels_last: flat patch layout (ph, pw, C) if True, else (C, ph, pw).
    """

    def __init__(
            self,
            patch_size: SizeT = 16,
            in_chans: int = 3,
            embed_dim: int = 768,
            proj_type: str = 'linear',
            proj_bias: bool = True,
            class_token: bool = True,
            reg_tokens: int = 0,
            dynamic_img_pad: bool = False,
            default_img_size: Optional[SizeT] = None,
            pos_embed: str = 'learned',
            pos_embed_grid_size: Optional[Tuple[int, int]] = (14, 14),
            pos_embed_interp_mode: str = 'bicubic',
            pos_embed_ar_preserving: bool = False,
            pos_embed_antialias: bool = True,
            pos_embed_align_corners: bool = False,
            proj_norm_layer: Optional[Any] = None,
            pos_drop_rate: float = 0.,
            channels_last: bool = True,
    ):
        super().__init__()
        if proj_type not in ('linear', 'conv'):
            raise ValueError(f"embed_proj_type must be 'linear' or 'conv', got {proj_type!r}.")
        if pos_embed not in ('', 'none', 'learned', 'factorized'):
            raise ValueError(f"pos_embed must be 'learned', 'factorized' or 'none', got {pos_embed!r}.")
        self.patch_size = _pair(patch_size)
        self.embed_dim = embed_dim
        self.dynamic_img_pad = dynamic_img_pad
        self.channels_last = channels_last
        self.interp_mode = pos_embed_interp_mode
        self.ar_preserving = pos_embed_ar_preserving
        self.antialias = pos_embed_antialias
        self.align_corners = pos_embed_align_corners
        self.num_prefix_tokens = int(class_token) + reg_tokens

        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.reg_token = nn.Parameter(torch.zeros(1, reg_tokens, embed_dim)) if reg_tokens else None
        self.is_linear = proj_type == 'linear'
        if self.is_linear:
            self.proj = nn.Linear(self.patch_size[0] * self.patch_size[1] * in_chans, embed_dim, bias=proj_bias)
        else:
            self.proj = nn.Conv2d(in_chans, embed_dim, self.patch_size, stride=self.patch_size, bias=proj_bias)
        self.norm = proj_norm_layer(embed_dim) if proj_norm_layer else nn.Identity()

        if pos_embed_grid_size is None and default_img_size is not None:
            pos_embed_grid_size = tuple(s // p for s, p in zip(_pair(default_img_size), self.patch_size))
        self.pos_embed_type = pos_embed if pos_embed in ('learned', 'factorized') else 'none'
        if self.pos_embed_type != 'none' and pos_embed_grid_size is None:
            raise ValueError('A learned position embedding needs pos_embed_grid_size or img_size for its grid.')
        self.pos_embed: Optional[nn.Parameter] = None
        self.pos_embed_y: Optional[nn.Parameter] = None
        self.pos_embed_x: Optional[nn.Parameter] = None
        if self.pos_embed_type == 'learned':
            self.pos_embed = nn.Parameter(torch.zeros(1, *pos_embed_grid_size, embed_dim))
        elif self.pos_embed_type == 'factorized':
            self.pos_embed_y = nn.Parameter(torch.zeros(1, pos_embed_grid_size[0], embed_dim))
            self.pos_embed_x = nn.Parameter(torch.zeros(1, pos_embed_grid_size[1], embed_dim))
        self.pos_embed_grid_size = pos_embed_grid_size
        self.pos_drop = nn.Dropout(p=pos_drop_rate)
        self.init_weights()

    def init_weights(self) -> None:
        for table in (self.pos_embed, self.pos_embed_y, self.pos_embed_x):
            if table is not None:
                nn.init.normal_(table, std=.02)
        for token in (self.cls_token, self.reg_token):
            if token is not None:
                nn.init.normal_(token, std=1e-6)

    def feat_ratio(self, as_scalar: bool = True) -> Union[int, Tuple[int, int]]:
        return max(self.patch_size) if as_scalar else self.patch_size

    def dynamic_feat_size(self, img_size: Tuple[int, int]) -> Tuple[int, int]:
        """Token grid of an image of `img_size` (rounded up when inputs are padded)."""
        if self.dynamic_img_pad:
            return tuple(math.ceil(s / p) for s, p in zip(img_size, self.patch_size))
        return tuple(s // p for s, p in zip(img_size, self.patch_size))

    def _resized_1d(self, table: torch.Tensor, length: int) -> torch.Tensor:
        if table.shape[1] == length:
            return table
        # the row / column tables are always resized linearly, as NaViT's factorized embeddings
        return F.interpolate(table.transpose(1, 2).float(), size=length, mode='linear',
                             align_corners=False).transpose(1, 2)

    def grid_pos_embed(self, grid: Tuple[int, int]) -> torch.Tensor:
        """The position embedding of a (rows, cols) patch grid, row-major, as (1, rows * cols, embed_dim)."""
        h, w = grid
        side = max(h, w)
        if self.pos_embed_type == 'factorized':
            rows = self._resized_1d(self.pos_embed_y, side if self.ar_preserving else h)[:, :h]
            cols = self._resized_1d(self.pos_embed_x, side if self.ar_preserving else w)[:, :w]
            return (rows[:, :, None] + cols[:, None, :]).flatten(1, 2)
        table = self.pos_embed
        if tuple(table.shape[1:3]) != (h, w):
            size = (side, side) if self.ar_preserving else (h, w)
            table = self.resize_grid(table, size)[:, :h, :w]
        return table.reshape(1, h * w, -1)

    def resize_grid(self, table: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        """A (1, H, W, C) learned grid resized (in float32) to `size` with this embedding's interpolation."""
        smooth = self.interp_mode in ('linear', 'bilinear', 'bicubic', 'trilinear')
        resized = F.interpolate(table.permute(0, 3, 1, 2).float(), size=size, mode=self.interp_mode,
                                align_corners=self.align_corners if smooth else None,
                                antialias=self.antialias and self.interp_mode in ('bilinear', 'bicubic'))
        return resized.permute(0, 2, 3, 1)

    def _sequence_pos_embed(self, x: torch.Tensor, patch_coord: torch.Tensor) -> torch.Tensor:
        """Per-sample embeddings of a padded batch: sample i's first rows*cols tokens take its grid's embedding
        (its valid patches, row-major); padding after them takes none."""
        pos = torch.zeros_like(x)
        for grid, index in _group_by_size(_grid_sizes(patch_coord)).items():
            table = self.grid_pos_embed(grid).to(x.dtype)
            n = min(x.shape[1], table.shape[1])
            pos[index, :n] = table[:, :n]
        return pos

    def forward(
            self,
            x: torch.Tensor,
            patch_coord: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, Optional[Tuple[int, int]]]:
        """Tokens (B, prefix + N, embed_dim) and the patch grid (None for patch sequences, whose grids vary).

        Args:
            x: images (B, C, H, W), or patch sequences (B, N, P*P*C) / (B, N, ph, pw, C) with `patch_coord`.
            patch_coord: (B, N, 2) (row, col) of each patch; marks `x` as patch sequences.
        """
        grid: Optional[Tuple[int, int]] = None
        if self.is_linear:
            if patch_coord is None:
                if x.ndim != 4:
                    raise ValueError(f'Expected images (B, C, H, W) or patches with patch_coord, got {x.ndim}-D input.')
                x, grid = batch_patchify(x, self.patch_size, pad=self.dynamic_img_pad, channels_last=self.channels_last)
            elif x.ndim not in (3, 5):
                raise ValueError(f'Patch sequences are (B, N, P*P*C) or (B, N, ph, pw, C), got shape {tuple(x.shape)}.')
            x = self.proj(x.flatten(2))
        else:
            if x.ndim != 4:
                raise ValueError("A conv patch embedding takes images (B, C, H, W); build with embed_proj_type="
                                 f"'linear' for patch sequences (got shape {tuple(x.shape)}).")
            if self.dynamic_img_pad:
                ph, pw = self.patch_size
                x = F.pad(x, (0, -x.shape[-1] % pw, 0, -x.shape[-2] % ph))
            x = self.proj(x)
            grid = (x.shape[-2], x.shape[-1])
            x = x.flatten(2).transpose(1, 2)
        x = self.norm(x)

        if self.pos_embed_type != 'none':
            if grid is not None:
                x = x + self.grid_pos_embed(grid).to(x.dtype)
            else:
                x = x + self._sequence_pos_embed(x, patch_coord)
        prefix = [t.expand(x.shape[0], -1, -1) for t in (self.cls_token, self.reg_token) if t is not None]
        if prefix:
            x = torch.cat(prefix + [x], dim=1)
        return self.pos_drop(x), grid


class NaFlexBlock(Block):
    """The ViT block, taking the attention mask of a padded patch batch."""

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = x + self.drop_path1(self.ls1(self.attn(self.norm1(x), attn_mask=attn_mask)))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


def _masked_pool(x: torch.Tensor, valid: torch.Tensor, pool_type: str) -> torch.Tensor:
    """avg / max / avgmax over the tokens of (B, N, C) where `valid` (B, N) is True."""
    keep = valid.to(x.dtype).unsqueeze(-1)
    avg = (x * keep).sum(1) / keep.sum(1).clamp(min=1)
    if pool_type == 'avg':
        return avg
    peak = x.masked_fill(~valid.bool().unsqueeze(-1), torch.finfo(x.dtype).min).amax(1)
    return peak if pool_type == 'max' else 0.5 * (avg + peak)


class NaFlexVit(ZooModel):
    """Vision transformer over images or padded batches of variable-resolution patch sequences.

    Args:
        cfg: architecture (NaFlexVitCfg); its fields may also be given as keyword arguments, which override it.
        in_chans: image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        img_size: image size giving the embedding grid when `cfg.pos_embed_grid_size` is None.
    """
    trunk = Trunk(levels='blocks', final=('norm',), level_fmt='NLC')
    norm_levels = 'all'
    classifier_name = 'head'
    groups = dict(stem=r'^embeds', blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            cfg: Optional[NaFlexVitCfg] = None,
            in_chans: int = 3,
            num_classes: int = 1000,
            img_size: Optional[SizeT] = None,
            **kwargs: Any,
    ):
        super().__init__()
        cfg = cfg or NaFlexVitCfg()
        unknown = sorted(set(kwargs) - {f.name for f in dataclasses.fields(NaFlexVitCfg)})
        if unknown:
            raise TypeError(f'NaFlexVit got unknown argument(s) {unknown}; the architecture arguments are the fields '
                            f'of NaFlexVitCfg.')
        cfg = dataclasses.replace(cfg, **kwargs)
        if cfg.global_pool not in _GLOBAL_POOLS:
            raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {cfg.global_pool!r}.')
        if cfg.global_pool == 'token' and not cfg.class_token:
            raise ValueError("global_pool='token' needs class_token=True.")
        if cfg.weight_init not in ('', 'skip'):
            raise ValueError(f"weight_init must be '' or 'skip', got {cfg.weight_init!r}.")
        self.cfg = cfg
        norm_layer = get_norm_layer(cfg.norm_layer) or LayerNorm
        act_layer = get_act_layer(cfg.act_layer) or nn.GELU

        self.num_classes = num_classes
        self.in_chans = in_chans
        self.global_pool = cfg.global_pool
        self.num_features = self.head_hidden_size = self.embed_dim = cfg.embed_dim
        self.num_prefix_tokens = int(cfg.class_token) + cfg.reg_tokens
        self.num_reg_tokens = cfg.reg_tokens
        self.has_class_token = cfg.class_token
        self.pool_include_prefix = cfg.pool_include_prefix
        self.use_key_only_attn_mask = cfg.use_key_only_attn_mask

        self.embeds = NaFlexEmbeds(
            patch_size=cfg.patch_size,
            in_chans=in_chans,
            embed_dim=cfg.embed_dim,
            proj_type=cfg.embed_proj_type,
            proj_bias=not cfg.pre_norm,  # a norm right after the projection makes its bias redundant (CLIP)
            class_token=cfg.class_token,
            reg_tokens=cfg.reg_tokens,
            dynamic_img_pad=cfg.dynamic_img_pad,
            default_img_size=img_size,
            pos_embed=cfg.pos_embed,
            pos_embed_grid_size=cfg.pos_embed_grid_size,
            pos_embed_interp_mode=cfg.pos_embed_interp_mode,
            pos_embed_ar_preserving=cfg.pos_embed_ar_preserving,
            pos_embed_antialias=cfg.pos_embed_antialias,
            pos_embed_align_corners=cfg.pos_embed_align_corners,
            proj_norm_layer=get_norm_layer(cfg.embed_norm_layer),
            pos_drop_rate=cfg.pos_drop_rate,
            channels_last=cfg.patchify_channels_last,
        )
        self.norm_pre = norm_layer(cfg.embed_dim) if cfg.pre_norm else nn.Identity()
        self.rope: Optional[nn.Module] = None
        if cfg.rope_type not in ('', 'none'):
            if cfg.rope_type not in _ROPE_TYPES:
                raise ValueError(f"rope_type must be one of {sorted(_ROPE_TYPES)} (or ''), got {cfg.rope_type!r}.")
            self.rope = create_rope_embed(
                _ROPE_TYPES[cfg.rope_type], cfg.embed_dim, cfg.num_heads, depth=cfg.depth,
                temperature=cfg.rope_temperature, ref_feat_shape=cfg.rope_ref_feat_shape,
                grid_offset=cfg.rope_grid_offset, grid_indexing=cfg.rope_grid_indexing,
                rotate_half=cfg.rope_rotate_half, shift_coords=cfg.rope_shift_coords,
                jitter_coords=cfg.rope_jitter_coords, rescale_coords=cfg.rope_rescale_coords)
        self.rope_is_mixed = isinstance(self.rope, MixedRotaryEmbedding)
        self.patch_drop = (PatchDropout(cfg.patch_drop_rate, num_prefix_tokens=self.num_prefix_tokens, ordered=True)
                           if cfg.patch_drop_rate > 0 else None)

        # stochastic depth grows linearly with depth (Huang et al., 2016)
        dpr = [cfg.drop_path_rate * i / max(cfg.depth - 1, 1) for i in range(cfg.depth)]
        self.blocks = nn.Sequential(*[_make_block(cfg, i, dpr[i], norm_layer, act_layer) for i in range(cfg.depth)])
        reduction = self.embeds.feat_ratio()
        self.feature_info = [dict(module=f'blocks.{i}', num_chs=cfg.embed_dim, reduction=reduction)
                             for i in range(cfg.depth)]

        use_fc_norm = cfg.global_pool == 'avg' if cfg.fc_norm is None else cfg.fc_norm
        self.norm = norm_layer(cfg.embed_dim) if cfg.final_norm and not use_fc_norm else nn.Identity()
        self.attn_pool = AttentionPoolLatent(
            cfg.embed_dim, num_heads=cfg.attn_pool_num_heads or cfg.num_heads,
            mlp_ratio=cfg.attn_pool_mlp_ratio or cfg.mlp_ratio, norm_layer=norm_layer, act_layer=act_layer,
        ) if cfg.global_pool == 'map' else None
        self.fc_norm = norm_layer(cfg.embed_dim) if cfg.final_norm and use_fc_norm else nn.Identity()
        self.head_drop = nn.Dropout(cfg.drop_rate)
        self.head = nn.Linear(cfg.embed_dim, num_classes) if num_classes > 0 else nn.Identity()

        if cfg.weight_init != 'skip':
            self.init_weights()

    def init_weights(self) -> None:
        # truncated-normal linears (std .02) with zero bias; tokens / tables / latent queries init themselves
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif m is not self and hasattr(m, 'init_weights'):
                m.init_weights()
        if self.cfg.fix_init:
            # each residual branch's output shrinks with depth, so the residual stream's variance stays bounded
            with torch.no_grad():
                for layer, block in enumerate(self.blocks, start=1):
                    for proj in (block.attn.proj, getattr(block.mlp, 'fc2', None)):
                        if proj is not None:
                            proj.weight.div_(math.sqrt(2.0 * layer))

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {'embeds.pos_embed', 'embeds.cls_token', 'embeds.reg_token'}

    @torch.jit.ignore
    def get_patch_size(self) -> Tuple[int, int]:
        """The (h, w) patch size, for building patch batches."""
        return self.embeds.patch_size

    # the head is VisionTransformer's (attn_pool / fc_norm / head_drop / head), so is its reset
    _reset_head = VisionTransformer._reset_head
    _replace_head = VisionTransformer._replace_head

    # ---- embedding and blocks ----

    def _embed(
            self,
            x: torch.Tensor,
            patch_coord: Optional[torch.Tensor],
            patch_valid: Optional[torch.Tensor],
            attn_mask: Optional[torch.Tensor],
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Tokens, the validity of their patches (after patch dropout), the blocks' attention mask and rotary
        embedding (image grid: (N, 2d) / mixed (depth, heads, N, 2d); patch batch: (B, 1, N, 2d) / mixed
        (depth, B, heads, N, 2d))."""
        x, grid = self.embeds(x, patch_coord=patch_coord)
        rope = None
        if self.rope is not None:
            rope = self.rope.get_embed(grid, device=x.device) if patch_coord is None else \
                self._sequence_rope(patch_coord, x.shape[1] - self.num_prefix_tokens, x)
        if self.patch_drop is not None:
            x, keep = self.patch_drop(x)
            if keep is not None and patch_valid is not None:
                patch_valid = patch_valid.gather(1, keep)
            if keep is not None and rope is not None:
                rope = self._kept_rope(rope, keep, batched=patch_coord is not None)
        if attn_mask is None and patch_valid is not None:
            attn_mask = create_attention_mask(patch_valid, self.num_prefix_tokens,
                                              symmetric=not self.use_key_only_attn_mask, dtype=x.dtype)
        return self.norm_pre(x), patch_valid, attn_mask, rope

    def _sequence_rope(self, patch_coord: torch.Tensor, num_patches: int, x: torch.Tensor) -> torch.Tensor:
        """Per-sample rotary embeddings of a padded batch: sample i's first rows*cols patches take its grid's
        embedding, padding takes zeros (it is masked)."""
        out: Optional[torch.Tensor] = None
        groups = _group_by_size(_grid_sizes(patch_coord))
        for grid, index in groups.items():
            emb = self.rope.get_embed(grid, device=x.device).to(x.dtype)
            n = min(num_patches, emb.shape[-2])
            if self.rope_is_mixed:  # (depth, heads, hw, 2d) -> (depth, B, heads, N, 2d)
                if out is None:
                    out = x.new_zeros(emb.shape[0], x.shape[0], emb.shape[1], num_patches, emb.shape[-1])
                out[:, index, :, :n] = emb[:, None, :, :n]
            else:  # (hw, 2d) -> (B, 1, N, 2d)
                if out is None:
                    out = x.new_zeros(x.shape[0], 1, num_patches, emb.shape[-1])
                out[index, :, :n] = emb[None, None, :n]
        return out

    def _kept_rope(self, rope: torch.Tensor, keep: torch.Tensor, batched: bool) -> torch.Tensor:
        """The rotary rows of the patches patch dropout kept, in the batched layout."""
        if not batched:
            rope = gather_rope(rope, keep)
            return rope.transpose(0, 1) if self.rope_is_mixed else rope.unsqueeze(1)
        index = keep[:, None, :, None]
        index = index[None] if self.rope_is_mixed else index
        return rope.gather(-2, index.expand(*rope.shape[:-2], keep.shape[1], rope.shape[-1]))

    def _run_blocks(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor], rope: Optional[torch.Tensor],
                    blocks: nn.Module, take: Sequence[int] = (),
                    norm: bool = False) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        taken = []
        for i, block in enumerate(blocks):
            kwargs = dict(attn_mask=attn_mask)
            if rope is not None:
                kwargs['rope'] = rope[i] if self.rope_is_mixed else rope
            x = maybe_checkpoint(block, x, enabled=self.grad_checkpointing, **kwargs)
            if i in take:
                taken.append(self.norm(x) if norm else x)
        return x, taken

    def forward_features(
            self,
            patches: torch.Tensor,
            patch_coord: Optional[torch.Tensor] = None,
            patch_valid: Optional[torch.Tensor] = None,
            attn_mask: Optional[torch.Tensor] = None,
    ) -> Union[torch.Tensor, Dict[str, torch.Tensor]]:
        """Normalised tokens of images (B, L, C), or for patch sequences (`patch_coord` given)
        `dict(patches=tokens, patch_valid=validity of the patch tokens)`."""
        x, patch_valid, attn_mask, rope = self._embed(patches, patch_coord, patch_valid, attn_mask)
        x, _ = self._run_blocks(x, attn_mask, rope, self.blocks)
        x = self.norm(x)
        if patch_coord is not None:
            return {'patches': x, 'patch_valid': patch_valid}
        return x

    def _pool(self, x: torch.Tensor, pool_type: Optional[str] = None,
              patch_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        npt = self.num_prefix_tokens
        if self.attn_pool is not None:
            mask = None
            if patch_valid is not None:
                mask = create_attention_mask(patch_valid, npt if self.pool_include_prefix else 0, symmetric=False,
                                             dtype=x.dtype)
            return self.attn_pool(x if self.pool_include_prefix else x[:, npt:], attn_mask=mask)
        pool_type = self.global_pool if pool_type is None else pool_type
        if patch_valid is None or pool_type not in _MASKED_POOLS:
            return pool_tokens(x, pool_type, npt, include_prefix=self.pool_include_prefix)
        if self.pool_include_prefix:
            patch_valid = torch.cat([patch_valid.new_ones(x.shape[0], npt), patch_valid.bool()], dim=1)
        else:
            x = x[:, npt:]
        return _masked_pool(x, patch_valid, pool_type)

    def forward_head(self, patches: torch.Tensor, pre_logits: bool = False,
                     patch_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Pool (skipping padding when `patch_valid` is given), norm, classify."""
        x = self.head_drop(self.fc_norm(self._pool(patches, patch_valid=patch_valid)))
        return x if pre_logits else self.head(x)

    def forward(
            self,
            x: Union[torch.Tensor, Dict[str, torch.Tensor]],
            patch_coord: Optional[torch.Tensor] = None,
            patch_valid: Optional[torch.Tensor] = None,
            attn_mask: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Logits (or pooled features) of images (B, C, H, W) or of a patch batch.

        Args:
            x: images, patch sequences (with `patch_coord` and `patch_valid`), or a dict with `patches`,
                `patch_coord`, `patch_valid` (and optionally `attn_mask`), whose entries take precedence.
            patch_coord: (B, N, 2) (row, col) of each patch.
            patch_valid: (B, N) True for real patches.
            attn_mask: replaces the mask built from `patch_valid`.
        """
        if isinstance(x, dict):
            patch_coord = x.get('patch_coord', patch_coord)
            patch_valid = x.get('patch_valid', patch_valid)
            attn_mask = x.get('attn_mask', attn_mask)
            x = x['patches']
        elif patch_coord is None:
            return self.forward_head(self.forward_features(x))
        if patch_coord is None or patch_valid is None:
            raise ValueError('A patch batch needs patch_coord and patch_valid (see zoo.data.naflex.patchify_images).')
        features = self.forward_features(x, patch_coord=patch_coord, patch_valid=patch_valid, attn_mask=attn_mask)
        return self.forward_head(features['patches'], patch_valid=features['patch_valid'])

    # ---- intermediates (own loop: the blocks take the attention mask and rotary embedding) ----

    def _tokens_to_map(self, x: torch.Tensor, input_hw: Tuple[int, int]) -> torch.Tensor:
        h, w = self.embeds.dynamic_feat_size(input_hw)
        return x.reshape(x.shape[0], h, w, -1).permute(0, 3, 1, 2).contiguous()

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: Union[torch.Tensor, Dict[str, torch.Tensor]],
            indices: Optional[Union[int, Sequence[int]]] = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[Any, List[torch.Tensor]]]:
        """Block outputs (patch tokens) of images as maps or tokens, or of a patch batch dict as (B, N, C) tokens
        ('NLC' only: each sample has its own grid), whose final features are then `forward_features`' dict.

        Args:
            x: images (B, C, H, W) or a patch batch dict.
            indices: None for every block, n for the last n, or block indices.
            norm: apply the final norm to the intermediates.
            stop_early: stop after the last requested block (the final features are then its output).
            output_fmt: 'NCHW', 'NHWC' or 'NLC'.
            intermediates_only: return only the intermediates.
        """
        self._check_output_fmt(output_fmt)
        is_batch = isinstance(x, dict)
        if is_batch and output_fmt != 'NLC':
            raise ValueError("Patch batches have one grid per sample; use output_fmt='NLC' (and patch_coord to "
                             "place the tokens).")
        take, max_index = feature_take_indices(len(self.blocks), indices)
        if is_batch:
            tokens, patch_valid, attn_mask, rope = self._embed(x['patches'], x['patch_coord'], x.get('patch_valid'),
                                                               x.get('attn_mask'))
        else:
            input_hw = (x.shape[-2], x.shape[-1])
            tokens, patch_valid, attn_mask, rope = self._embed(x, None, None, None)
        stop = max_index + 1 if (stop_early or intermediates_only) else len(self.blocks)
        tokens, taken = self._run_blocks(tokens, attn_mask, rope, self.blocks[:stop], take=take, norm=norm)
        taken = [t[:, self.num_prefix_tokens:] for t in taken]
        if output_fmt != 'NLC':
            taken = [self._tokens_to_map(t, input_hw) for t in taken]
            if output_fmt == 'NHWC':
                taken = [t.permute(0, 2, 3, 1).contiguous() for t in taken]
        if intermediates_only:
            return taken
        if stop == len(self.blocks):
            tokens = self.norm(tokens)
        return ({'patches': tokens, 'patch_valid': patch_valid} if is_batch else tokens), taken


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: NaFlexVit) -> Dict[str, torch.Tensor]:
    """Adapt a checkpoint to `model`: NaFlexVit checkpoints pass through (with their learned grid resized to the
    model's when it differs); plain ViT checkpoints (`pos_embed` (1, N, C), `patch_embed.proj` conv, `cls_token`,
    `reg_token`) are moved into `embeds`."""
    for container in ('model', 'state_dict'):
        if isinstance(state_dict.get(container), dict):
            state_dict = state_dict[container]
    embeds = model.embeds
    num_cls = state_dict['cls_token'].shape[1] if 'cls_token' in state_dict else 0
    num_reg = state_dict['reg_token'].shape[1] if 'reg_token' in state_dict else 0
    out = {}
    for key, value in state_dict.items():
        if key == 'pos_embed' and value.ndim == 3:
            value, prefix = _vit_pos_embed_to_grid(value, num_cls + num_reg)
            if prefix is not None:  # a table that also covered the prefix tokens: fold those rows into the tokens
                for name, rows in (('cls_token', prefix[:, :num_cls]), ('reg_token', prefix[:, num_cls:])):
                    if rows.numel():
                        out['embeds.' + name] = state_dict[name] + rows
            key = 'embeds.pos_embed'
        elif key in ('cls_token', 'reg_token'):
            key = 'embeds.' + key
            if key in out:
                continue
        elif key.startswith('patch_embed.'):
            if key == 'patch_embed.proj.weight' and value.ndim == 4 and embeds.is_linear:
                value = value.permute(0, 2, 3, 1).flatten(1)  # conv kernel -> (ph, pw, C) flattened patches
            key = 'embeds.' + key[len('patch_embed.'):]
        if key == 'embeds.pos_embed' and embeds.pos_embed is not None and value.shape != embeds.pos_embed.shape:
            value = embeds.resize_grid(value, tuple(embeds.pos_embed.shape[1:3])).to(value.dtype)
        out[key] = value
    return out


def _vit_pos_embed_to_grid(pos_embed: torch.Tensor,
                           num_prefix: int) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """A ViT's (1, N, C) table as a square (1, h, w, C) grid, and its prefix rows if it had them (else None)."""
    num = pos_embed.shape[1]
    side, side_without = math.isqrt(num), math.isqrt(max(num - num_prefix, 0))
    prefix = None
    if side * side != num and side_without * side_without == num - num_prefix:
        prefix, pos_embed, side = pos_embed[:, :num_prefix], pos_embed[:, num_prefix:], side_without
    if side * side != pos_embed.shape[1]:
        raise ValueError(f'A pos_embed of {num} tokens ({num_prefix} prefix) is not a square grid.')
    return pos_embed.reshape(1, side, side, -1), prefix


def _create_naflexvit(variant: str, pretrained: bool = False, cfg: Optional[NaFlexVitCfg] = None,
                      **kwargs: Any) -> NaFlexVit:
    # timm's features_only default for ViTs is the last three blocks
    return build_model_with_cfg(NaFlexVit, variant, pretrained, model_cfg=cfg or NaFlexVitCfg(),
                                pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(num_classes=1000, input_size=(3, 384, 384), crop_pct=1.0, interpolation='bicubic',
               mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='embeds.proj', classifier='head',
               license='apache-2.0')
    cfg.update(kwargs)
    return cfg


def _radio_cfg(paper_ids: str) -> Dict[str, Any]:
    return _cfg(hf_hub_id='timm/', num_classes=0, input_size=(3, 512, 512), mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD,
                license='nvidia-open-model-license', origin_url='https://github.com/NVlabs/RADIO', paper_ids=paper_ids)


default_cfgs = generate_default_cfgs({
    'naflexvit_base_patch16_gap.e300_s576_in1k': _cfg(hf_hub_id='timm/'),
    'naflexvit_base_patch16_par_gap.e300_s576_in1k': _cfg(hf_hub_id='timm/'),
    'naflexvit_base_patch16_parfac_gap.e300_s576_in1k': _cfg(hf_hub_id='timm/'),
    'naflexvit_base_patch16_map.untrained': _cfg(),
    'naflexvit_so150m2_patch16_reg1_gap.untrained': _cfg(),
    'naflexvit_so150m2_patch16_reg1_map.untrained': _cfg(),
    # SigLIP 2 NaFlex image towers
    'naflexvit_base_patch16_siglip.v2_webli': _cfg(hf_hub_id='timm/', num_classes=0),
    'naflexvit_so400m_patch16_siglip.v2_webli': _cfg(hf_hub_id='timm/', num_classes=0),
    # NVIDIA C-RADIO backbones, remapped by timm from NVIDIA's releases
    'naflexvit_base_patch16_radio_v3.c_radio': _radio_cfg('arXiv:2412.07679'),
    'naflexvit_large_patch16_radio_v3.c_radio': _radio_cfg('arXiv:2412.07679'),
    'naflexvit_huge_patch16_radio_v3.c_radio': _radio_cfg('arXiv:2412.07679'),
    'naflexvit_giant_patch16_radio_v3.c_radio': _radio_cfg('arXiv:2412.07679'),
    'naflexvit_so400m_patch16_radio_v4.c_radio': _radio_cfg('arXiv:2601.17237'),
    'naflexvit_huge_patch16_radio_v4.c_radio': _radio_cfg('arXiv:2601.17237'),
})

# ViT-B/16 with LayerScale and registers, the in1k NaFlex recipes
_BASE = dict(embed_dim=768, depth=12, num_heads=12, init_values=1e-5)
# shape-optimised 150M tower (Alabdulmohsin et al., 2023) with one register
_SO150M2 = dict(embed_dim=832, depth=21, num_heads=13, mlp_ratio=34 / 13, init_values=1e-5, qkv_bias=False,
                reg_tokens=1)
# SigLIP 2: tanh-GELU, attention-pool head, bilinear-resized embedding grid
_SIGLIP = dict(act_layer='gelu_tanh', global_pool='map', pos_embed_interp_mode='bilinear')


def _radio(**kwargs: Any) -> Dict[str, Any]:
    """C-RADIO: class token readout, no final norm, a 128x128 grid (2048 px) resized bilinearly (no antialias) to a
    square of the larger side and cropped; align_corners follows each checkpoint's original code."""
    return dict(class_token=True, global_pool='token', final_norm=False, pos_embed_grid_size=(128, 128),
                pos_embed_interp_mode='bilinear', pos_embed_ar_preserving=True, pos_embed_antialias=False, **kwargs)


def _naflex(variant: str, pretrained: bool, arch: Dict[str, Any], kwargs: Dict[str, Any]) -> NaFlexVit:
    return _create_naflexvit(variant, pretrained, cfg=NaFlexVitCfg(patch_size=16, **arch), **kwargs)


@register_model
def naflexvit_base_patch16_gap(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = dict(_BASE, global_pool='avg', reg_tokens=4, fc_norm=True)
    return _naflex('naflexvit_base_patch16_gap', pretrained, arch, kwargs)


@register_model
def naflexvit_base_patch16_par_gap(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = dict(_BASE, pos_embed_ar_preserving=True, global_pool='avg', reg_tokens=4, fc_norm=True)
    return _naflex('naflexvit_base_patch16_par_gap', pretrained, arch, kwargs)


@register_model
def naflexvit_base_patch16_parfac_gap(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = dict(_BASE, pos_embed_ar_preserving=True, pos_embed='factorized', global_pool='avg', reg_tokens=4,
                fc_norm=True)
    return _naflex('naflexvit_base_patch16_parfac_gap', pretrained, arch, kwargs)


@register_model
def naflexvit_base_patch16_map(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = dict(_BASE, global_pool='map', reg_tokens=1)
    return _naflex('naflexvit_base_patch16_map', pretrained, arch, kwargs)


@register_model
def naflexvit_so150m2_patch16_reg1_gap(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = dict(_SO150M2, global_pool='avg', fc_norm=True)
    return _naflex('naflexvit_so150m2_patch16_reg1_gap', pretrained, arch, kwargs)


@register_model
def naflexvit_so150m2_patch16_reg1_map(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = dict(_SO150M2, global_pool='map')
    return _naflex('naflexvit_so150m2_patch16_reg1_map', pretrained, arch, kwargs)


@register_model
def naflexvit_base_patch16_siglip(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = dict(_SIGLIP, embed_dim=768, depth=12, num_heads=12)
    return _naflex('naflexvit_base_patch16_siglip', pretrained, arch, kwargs)


@register_model
def naflexvit_so400m_patch16_siglip(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = dict(_SIGLIP, embed_dim=1152, depth=27, num_heads=16, mlp_ratio=3.7362)
    return _naflex('naflexvit_so400m_patch16_siglip', pretrained, arch, kwargs)


@register_model
def naflexvit_base_patch16_radio_v3(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = _radio(embed_dim=768, depth=12, num_heads=12, init_values=1e-5, reg_tokens=7, pos_embed_align_corners=True)
    return _naflex('naflexvit_base_patch16_radio_v3', pretrained, arch, kwargs)


@register_model
def naflexvit_large_patch16_radio_v3(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = _radio(embed_dim=1024, depth=24, num_heads=16, init_values=1e-5, reg_tokens=7)
    return _naflex('naflexvit_large_patch16_radio_v3', pretrained, arch, kwargs)


@register_model
def naflexvit_huge_patch16_radio_v3(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = _radio(embed_dim=1280, depth=32, num_heads=16, reg_tokens=7, pos_embed_align_corners=True)
    return _naflex('naflexvit_huge_patch16_radio_v3', pretrained, arch, kwargs)


@register_model
def naflexvit_giant_patch16_radio_v3(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = _radio(embed_dim=1536, depth=40, num_heads=24, reg_tokens=7)
    return _naflex('naflexvit_giant_patch16_radio_v3', pretrained, arch, kwargs)


@register_model
def naflexvit_so400m_patch16_radio_v4(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = _radio(embed_dim=1152, depth=27, num_heads=16, mlp_ratio=4304 / 1152, reg_tokens=9)
    return _naflex('naflexvit_so400m_patch16_radio_v4', pretrained, arch, kwargs)


@register_model
def naflexvit_huge_patch16_radio_v4(pretrained: bool = False, **kwargs) -> NaFlexVit:
    arch = _radio(embed_dim=1280, depth=32, num_heads=16, reg_tokens=9)
    return _naflex('naflexvit_huge_patch16_radio_v4', pretrained, arch, kwargs)
