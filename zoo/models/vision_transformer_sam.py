"""Segment Anything (SAM) image encoders: plain ViTs with windowed attention and decomposed relative positions.

Papers:
- SAM: "Segment Anything", Kirillov et al., 2023 (arXiv:2304.02643), image encoder section.
- ViTDet backbone design (windowed attention in most blocks, a few global blocks, a conv neck): "Exploring Plain
  Vision Transformer Backbones for Object Detection", Li et al., 2022 (arXiv:2203.16527).
- Decomposed relative position embedding (separate height and width terms computed from the query):
  "MViTv2: Improved Multiscale Vision Transformers for Classification and Detection", Li et al., 2021
  (arXiv:2112.01526), section 3.1.

Tokens stay in an NHWC grid. Window blocks pad the grid to a multiple of the window with zeros (after the norm, so
the padding tokens take part in attention as in the released encoders) and attend inside each window; global blocks
attend over the whole grid. Inputs of any size work: the absolute embedding is resampled to the input's grid
(bicubic), and the global blocks' relative tables are linearly interpolated to the grid's offsets. The neck (1x1
conv, LayerNorm2d, 3x3 conv, LayerNorm2d) maps to 256 channels; `forward_features` returns NCHW maps.

Loading a checkpoint made at another input size resamples `pos_embed` and the global blocks' `rel_pos_h/w` the same
way, so the loaded model equals the source model run at the new size. Deviations from timm: stochastic depth of
window blocks is drawn per image (timm draws it per window), and train-time patch dropout is not offered.
"""
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import ClassifierHead, LayerNorm2d, NormMlpClassifierHead, to_2tuple
from zoo.layers.attention_rope import AttentionRope, attend
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed import resample_abs_pos_embed_nhwc
from zoo.layers.residual_branch import prenorm_branch
from zoo.layers.rope import RotaryEmbedding, apply_rope
from zoo.layers.window import window_partition, window_reverse
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['VisionTransformerSAM', 'SamAttention', 'SamBlock', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]


def resize_rel_pos(rel_pos: torch.Tensor, length: int) -> torch.Tensor:
    """Linearly interpolate an (L, C) table of 1-D relative offsets to `length` offsets."""
    if rel_pos.shape[0] == length:
        return rel_pos
    return F.interpolate(rel_pos.t().unsqueeze(0), size=length, mode='linear').squeeze(0).t()


def _rel_pos_lookup(q_size: int, k_size: int, rel_pos: torch.Tensor) -> torch.Tensor:
    # (q_size, k_size, C): the embedding of each query-key offset; a shorter axis is stretched to the longer one
    rel_pos = resize_rel_pos(rel_pos, 2 * max(q_size, k_size) - 1)
    q_scale, k_scale = max(k_size / q_size, 1.0), max(q_size / k_size, 1.0)
    q_coords = torch.arange(q_size, device=rel_pos.device, dtype=torch.float32)[:, None] * q_scale
    k_coords = torch.arange(k_size, device=rel_pos.device, dtype=torch.float32)[None, :] * k_scale
    return rel_pos[(q_coords - k_coords + (k_size - 1) * k_scale).long()]


def decomposed_rel_pos_bias(
        q: torch.Tensor,
        rel_pos_h: torch.Tensor,
        rel_pos_w: torch.Tensor,
        q_size: Tuple[int, int],
        k_size: Tuple[int, int],
) -> torch.Tensor:
    """Attention bias (B, heads, q_h*q_w, k_h*k_w) = q . R_h[dy] + q . R_w[dx] for queries q (B, heads, N, C)."""
    (q_h, q_w), (k_h, k_w) = q_size, k_size
    r_h = _rel_pos_lookup(q_h, k_h, rel_pos_h)
    r_w = _rel_pos_lookup(q_w, k_w, rel_pos_w)
    q = q.reshape(*q.shape[:2], q_h, q_w, q.shape[-1])
    bias_h = torch.einsum('bnhwc,hkc->bnhwk', q, r_h)
    bias_w = torch.einsum('bnhwc,wkc->bnhwk', q, r_w)
    bias = bias_h[..., :, None] + bias_w[..., None, :]
    return bias.reshape(*q.shape[:2], q_h * q_w, k_h * k_w)


class SamAttention(AttentionRope):
    """Self-attention over an (B, H, W, C) grid with decomposed relative positions or a rotary embedding.

    Args:
        dim: token width.
        num_heads: attention heads.
        qkv_bias: bias on the qkv projection.
        qk_norm: normalise queries / keys per head.
        attn_drop, proj_drop: dropout rates.
        norm_layer: norm factory for qk_norm.
        use_rel_pos: learn decomposed relative position tables for an `input_size` grid.
        input_size: grid (h, w) the tables are sized for (the window, or the whole grid for global attention).
        rope: shared rotary embedding (mutually exclusive with `use_rel_pos`).
    """

    def __init__(
            self,
            dim: int,
            num_heads: int = 8,
            qkv_bias: bool = True,
            qk_norm: bool = False,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
            use_rel_pos: bool = False,
            input_size: Optional[Sequence[int]] = None,
            rope: Optional[RotaryEmbedding] = None,
    ):
        super().__init__(dim, num_heads=num_heads, qkv_bias=qkv_bias, num_prefix_tokens=0, qk_norm=qk_norm,
                         attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer)
        if use_rel_pos:
            if rope is not None:
                raise ValueError('Use either relative position tables or a rotary embedding, not both.')
            if input_size is None:
                raise ValueError('Relative position tables need the input_size they cover.')
            self.rel_pos_h = nn.Parameter(torch.zeros(2 * input_size[0] - 1, self.head_dim))
            self.rel_pos_w = nn.Parameter(torch.zeros(2 * input_size[1] - 1, self.head_dim))
        self.use_rel_pos = use_rel_pos
        self.rope = rope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        x = x.reshape(b, h * w, -1)
        q, k, v = self.project_qkv(x)
        bias = None
        if self.use_rel_pos:
            bias = decomposed_rel_pos_bias(q, self.rel_pos_h, self.rel_pos_w, (h, w), (h, w))
        elif self.rope is not None:
            rope = self.rope.get_embed((h, w), device=x.device)
            q, k = apply_rope(q, rope).type_as(v), apply_rope(k, rope).type_as(v)
        out = attend(q, k, v, bias, self.attn_drop.p if self.training else 0., self.fused_attn)
        return self.output(out, x).view(b, h, w, -1)


class SamBlock(nn.Module):
    """Pre-norm block over an NHWC grid; attention within `window_size` windows (0: global).

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / dim.
        qkv_bias: bias on the qkv projection.
        qk_norm: normalise queries / keys per head.
        proj_drop, attn_drop, drop_path: dropout rates.
        init_values: LayerScale init; None disables it.
        act_layer: MLP activation.
        norm_layer: norm factory.
        mlp_layer: MLP class.
        use_rel_pos: decomposed relative position tables.
        window_size: attention window side; 0 attends over the whole grid.
        input_size: the grid (sizes the relative tables of global blocks).
        rope: rotary embedding shared with the other blocks of the same kind.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = True,
            qk_norm: bool = False,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            init_values: Optional[float] = None,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
            mlp_layer: Type[nn.Module] = Mlp,
            use_rel_pos: bool = False,
            window_size: int = 0,
            input_size: Optional[Sequence[int]] = None,
            rope: Optional[RotaryEmbedding] = None,
    ):
        super().__init__()
        self.window_size = window_size
        # windowed blocks size their relative tables to the window, global blocks to the whole grid
        attn_grid = (window_size, window_size) if window_size else input_size
        attn = SamAttention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm, attn_drop=attn_drop,
                            proj_drop=proj_drop, norm_layer=norm_layer, use_rel_pos=use_rel_pos,
                            input_size=attn_grid, rope=rope)
        mlp = mlp_layer(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.norm1, self.attn, self.ls1, self.drop_path1 = prenorm_branch(dim, attn, norm_layer, init_values,
                                                                          drop_path)
        self.norm2, self.mlp, self.ls2, self.drop_path2 = prenorm_branch(dim, mlp, norm_layer, init_values,
                                                                         drop_path)

    def _windowed_attn(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        ws = self.window_size
        pad_h, pad_w = -h % ws, -w % ws
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        x = self.attn(window_partition(x, (ws, ws)))
        return window_reverse(x, (ws, ws), (h + pad_h, w + pad_w))[:, :h, :w].contiguous()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm1(x)
        y = self._windowed_attn(y) if self.window_size > 0 else self.attn(y)
        x = x + self.drop_path1(self.ls1(y))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class _Neck(nn.Sequential):
    """1x1 conv -> LayerNorm2d -> 3x3 conv -> LayerNorm2d (the SAM / ViTDet neck), on NCHW maps."""

    def __init__(self, in_chs: int, out_chs: int):
        super().__init__(
            nn.Conv2d(in_chs, out_chs, kernel_size=1, bias=False),
            LayerNorm2d(out_chs),
            nn.Conv2d(out_chs, out_chs, kernel_size=3, padding=1, bias=False),
            LayerNorm2d(out_chs),
        )


class VisionTransformerSAM(ZooModel):
    """SAM image encoder: windowed / global attention blocks on an NHWC grid, a conv neck, a classifier head.

    Args:
        img_size: input size the absolute embedding and global relative tables are built for.
        patch_size: patch side.
        in_chans: input channels.
        num_classes: classifier outputs (0: none; the published encoders have none).
        embed_dim: token width.
        depth: blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / embed_dim.
        qkv_bias: bias on the qkv projections.
        qk_norm: normalise queries / keys per head.
        init_values: LayerScale init; None disables it.
        pre_norm: norm the embedded tokens before the blocks (drops the patch-embedding bias).
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after the position embedding.
        proj_drop_rate, attn_drop_rate: dropout inside blocks.
        drop_path_rate: stochastic depth of the last block (linear in depth).
        norm_layer: norm factory (torch LayerNorm, eps 1e-5, as the released encoders).
        act_layer: MLP activation.
        block_fn: block class.
        mlp_layer: MLP class.
        use_abs_pos: learned absolute position embedding.
        use_rel_pos: decomposed relative position tables in every block.
        use_rope: rotary embedding (one for window blocks, one for global blocks) instead.
        window_size: attention window of the non-global blocks (0: all global).
        global_attn_indexes: blocks attending over the whole grid.
        neck_chans: output channels of the conv neck; None/0 for a LayerNorm2d instead (or none with
            `head_hidden_size`).
        global_pool: pooling of the classifier head.
        head_hidden_size: a norm + hidden layer head (`NormMlpClassifierHead`) of this width.
        ref_feat_shape: (global, window) grids the rotary coordinates are rescaled to.
    """
    grad_checkpointing = checkpoint_flag('blocks')
    trunk = Trunk(levels='blocks', final=('neck',), level_fmt='NHWC')
    norm_levels = 'all'
    classifier_name = 'head.fc'
    groups = dict(stem=r'^pos_embed|patch_embed', blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])
    no_weight_decay_names = ('pos_embed',)

    def __init__(
            self,
            img_size: SizeT = 1024,
            patch_size: SizeT = 16,
            in_chans: int = 3,
            num_classes: int = 768,
            embed_dim: int = 768,
            depth: int = 12,
            num_heads: int = 12,
            mlp_ratio: float = 4.,
            qkv_bias: bool = True,
            qk_norm: bool = False,
            init_values: Optional[float] = None,
            pre_norm: bool = False,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Optional[Callable[[int], nn.Module]] = nn.LayerNorm,
            act_layer: Optional[Type[nn.Module]] = nn.GELU,
            block_fn: Type[nn.Module] = SamBlock,
            mlp_layer: Type[nn.Module] = Mlp,
            use_abs_pos: bool = True,
            use_rel_pos: bool = False,
            use_rope: bool = False,
            window_size: int = 14,
            global_attn_indexes: Sequence[int] = (),
            neck_chans: Optional[int] = 256,
            global_pool: str = 'avg',
            head_hidden_size: Optional[int] = None,
            ref_feat_shape: Optional[Tuple[SizeT, SizeT]] = None,
    ):
        super().__init__()
        norm_layer = norm_layer or nn.LayerNorm
        act_layer = act_layer or nn.GELU
        if use_rope and use_rel_pos:
            raise ValueError('use_rope and use_rel_pos are mutually exclusive.')
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_features = self.embed_dim = embed_dim

        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans,
                                      embed_dim=embed_dim, bias=not pre_norm, output_fmt='NHWC', strict_img_size=False)
        grid = self.patch_embed.grid_size
        self.pos_embed = nn.Parameter(torch.zeros(1, grid[0], grid[1], embed_dim)) if use_abs_pos else None
        self.pos_drop = nn.Dropout(p=pos_drop_rate)
        self.norm_pre = norm_layer(embed_dim) if pre_norm else nn.Identity()
        if use_rope:
            ref_global, ref_window = (to_2tuple(r) for r in ref_feat_shape) if ref_feat_shape else (None, None)
            self.rope_global = RotaryEmbedding(embed_dim // num_heads, feat_shape=grid, ref_feat_shape=ref_global)
            self.rope_window = RotaryEmbedding(embed_dim // num_heads, feat_shape=to_2tuple(window_size),
                                               ref_feat_shape=ref_window)
        else:
            self.rope_global = self.rope_window = None

        dpr = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = CheckpointSequential(*[
            block_fn(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_norm=qk_norm,
                     proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, init_values=init_values, drop_path=dpr[i],
                     act_layer=act_layer, norm_layer=norm_layer, mlp_layer=mlp_layer, use_rel_pos=use_rel_pos,
                     window_size=0 if i in global_attn_indexes else window_size, input_size=grid,
                     rope=self.rope_global if i in global_attn_indexes else self.rope_window)
            for i in range(depth)])
        reduction = self.patch_embed.feat_ratio()
        self.feature_info = [dict(module=f'blocks.{i}', num_chs=embed_dim, num_chs_norm=neck_chans or embed_dim,
                                  reduction=reduction) for i in range(depth)]
        if neck_chans:
            self.neck = _Neck(embed_dim, neck_chans)
            self.num_features = neck_chans
        else:
            # without a conv neck the final norm sits here (unless the head brings its own)
            self.neck = nn.Identity() if head_hidden_size else LayerNorm2d(embed_dim)
        if head_hidden_size:
            self.head = NormMlpClassifierHead(self.num_features, num_classes, hidden_size=head_hidden_size,
                                              pool_type=global_pool, drop_rate=drop_rate)
            self.head_hidden_size = head_hidden_size
        else:
            self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
            self.head_hidden_size = self.num_features
        self.init_weights()

    def init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        if self.pos_embed is not None:
            nn.init.trunc_normal_(self.pos_embed, std=.02)

    def _run_stem(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        if self.pos_embed is not None:
            # the embedding follows the input's grid, so any input size works
            x = x + resample_abs_pos_embed_nhwc(self.pos_embed, x.shape[1:3])
        return self.norm_pre(self.pos_drop(x))

    def _run_final(self, x: torch.Tensor) -> torch.Tensor:
        return self.neck(x.permute(0, 3, 1, 2))

    def _format_level(self, x: torch.Tensor, index: int, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        # the neck is the "norm" of this family and changes the width; it runs on NCHW maps
        x = self._run_final(x) if norm else x.permute(0, 3, 1, 2)
        return x.contiguous() if output_fmt == 'NCHW' else x.permute(0, 2, 3, 1).contiguous()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self._run_stem(x)
        x = self.blocks(x)
        return self._run_final(x)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: VisionTransformerSAM) -> Dict[str, torch.Tensor]:
    """Adapt SAM checkpoints: the original release's `image_encoder.` keys (prompt encoder and mask decoder are
    dropped), and weights made at another input size (absolute embedding resampled bicubically, global blocks'
    relative tables linearly, as the encoder itself does for inputs of another size)."""
    original = 'image_encoder.patch_embed.proj.weight' in state_dict
    own = model.state_dict()
    out = {}
    for key, value in state_dict.items():
        if original:
            if not key.startswith('image_encoder.'):
                continue
            key = key[len('image_encoder.'):].replace('mlp.lin', 'mlp.fc')
        if key == 'pos_embed' and model.pos_embed is not None and value.shape != model.pos_embed.shape:
            value = resample_abs_pos_embed_nhwc(value, model.pos_embed.shape[1:3], verbose=True)
        elif key.endswith(('rel_pos_h', 'rel_pos_w')) and key in own and value.shape != own[key].shape:
            value = resize_rel_pos(value, own[key].shape[0])
        out[key] = value
    return out


def _create_vision_transformer_sam(variant: str, pretrained: bool = False, **kwargs) -> VisionTransformerSAM:
    # timm's features_only default for these models is the last three blocks
    return build_model_with_cfg(VisionTransformerSAM, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _sam(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> VisionTransformerSAM:
    return _create_vision_transformer_sam(variant, pretrained, **dict(model_args, **kwargs))


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 1024, 1024), fixed_input_size=True, interpolation='bicubic',
               crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, num_classes=0,
               first_conv='patch_embed.proj', classifier='head.fc', license='apache-2.0', paper_ids='arXiv:2304.02643')
    cfg.update(kwargs)
    return cfg


_FB = 'https://dl.fbaipublicfiles.com/segment_anything/'

# Tags and preprocessing of the weights published on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'samvit_base_patch16.sa1b': _cfg(url=_FB + 'sam_vit_b_01ec64.pth'),
    'samvit_large_patch16.sa1b': _cfg(url=_FB + 'sam_vit_l_0b3195.pth'),
    'samvit_huge_patch16.sa1b': _cfg(url=_FB + 'sam_vit_h_4b8939.pth'),
    'samvit_base_patch16_224': _cfg(hf_hub_id=None, input_size=(3, 224, 224), crop_pct=0.9, num_classes=1000,
                                    license=None),
})


@register_model
def samvit_base_patch16(pretrained: bool = False, **kwargs) -> VisionTransformerSAM:
    """SAM ViT-B/16 image encoder (global attention in blocks 2, 5, 8, 11)."""
    model_args = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, global_attn_indexes=[2, 5, 8, 11],
                      window_size=14, use_rel_pos=True, img_size=1024)
    return _sam('samvit_base_patch16', pretrained, model_args, kwargs)


@register_model
def samvit_large_patch16(pretrained: bool = False, **kwargs) -> VisionTransformerSAM:
    model_args = dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16, global_attn_indexes=[5, 11, 17, 23],
                      window_size=14, use_rel_pos=True, img_size=1024)
    return _sam('samvit_large_patch16', pretrained, model_args, kwargs)


@register_model
def samvit_huge_patch16(pretrained: bool = False, **kwargs) -> VisionTransformerSAM:
    model_args = dict(patch_size=16, embed_dim=1280, depth=32, num_heads=16, global_attn_indexes=[7, 15, 23, 31],
                      window_size=14, use_rel_pos=True, img_size=1024)
    return _sam('samvit_huge_patch16', pretrained, model_args, kwargs)


@register_model
def samvit_base_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformerSAM:
    """SAM ViT-B/16 layout at 224 px as an ImageNet classifier (no absolute embedding, no neck)."""
    model_args = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, global_attn_indexes=[2, 5, 8, 11],
                      window_size=14, use_rel_pos=True, use_abs_pos=False, img_size=224, neck_chans=None)
    return _sam('samvit_base_patch16_224', pretrained, model_args, kwargs)
