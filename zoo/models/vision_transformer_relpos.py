"""Vision Transformers with relative instead of absolute position information (timm's "relpos" ViTs).

Papers:
- ViT: "An Image is Worth 16x16 Words", Dosovitskiy et al., 2020 (arXiv:2010.11929).
- Relative position from an MLP of log-spaced coordinates: "Swin Transformer V2", Liu et al., 2021
  (arXiv:2111.09883), section 3.3; these models use the 'cr' variant (sign(d) * log(1 + |d|) inputs, no output
  sigmoid). A learned bias table ('bias', Swin V1 / BEiT style) is available too.
- Residual post-norm blocks ("rpn"): Swin V2, section 3.1.

No absolute position embedding; no class token by default (average pooling), LayerScale on both branches. The bias
is computed in every block, or once and shared by all blocks ("srelpos"). Because the MLP bias is a function of the
relative coordinates, a model runs at another input size by rebuilding the coordinates (`set_input_size`); a
'bias'-table checkpoint trained at another size has its tables resampled on load. Parameter names
(`patch_embed.proj`, `cls_token`, `shared_rel_pos.mlp`, `blocks.N.{norm1, attn.{qkv, q_norm, k_norm, rel_pos, proj},
ls1.gamma, norm2, mlp.{fc1, fc2}, ls2.gamma}`, `norm`, `fc_norm`, `head`) follow the published checkpoints.
"""
from functools import partial
from typing import Any, Callable, Dict, Optional, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers import LayerNorm, LayerType, get_act_layer, get_norm_layer
from zoo.layers.attention_rope import AttentionRope
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.rel_pos_bias import RelPosBias, RelPosMlp
from zoo.layers.residual_branch import prenorm_branch
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._token_transformer import TokenTransformer
from zoo.models.beit import resize_rel_pos_table
from zoo.models.vision_transformer import init_post_norm_gains_

__all__ = ['VisionTransformerRelPos', 'RelPosAttention', 'RelPosBlock', 'ResPostRelPosBlock', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]


class RelPosAttention(AttentionRope):
    """Self-attention plus a relative position bias from its own `rel_pos` module or a shared one.

    Args:
        dim: token width.
        num_heads: attention heads.
        qkv_bias: bias on the packed qkv projection.
        qk_norm: normalise queries / keys per head.
        rel_pos_cls: factory of the bias module (called with `num_heads`); None when the bias is shared.
        attn_drop, proj_drop: dropout rates.
        norm_layer: norm factory for qk_norm.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int = 8,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            rel_pos_cls: Optional[Callable[..., nn.Module]] = None,
            attn_drop: float = 0.,
            proj_drop: float = 0.,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
    ):
        super().__init__(dim, num_heads=num_heads, qkv_bias=qkv_bias, num_prefix_tokens=0, qk_norm=qk_norm,
                         attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer)
        self.rel_pos = rel_pos_cls(num_heads=num_heads) if rel_pos_cls else None

    def forward(self, x: torch.Tensor, shared_rel_pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        bias = self.rel_pos.get_bias() if self.rel_pos is not None else shared_rel_pos
        return super().forward(x, attn_mask=bias)


class RelPosBlock(nn.Module):
    """Pre-norm block with LayerScale: x + ls1(attn(norm1(x))), x + ls2(mlp(norm2(x))).

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / dim.
        qkv_bias: bias on the qkv projection.
        qk_norm: normalise queries / keys per head.
        rel_pos_cls: factory of the per-block bias module, None when shared.
        init_values: LayerScale init; None / 0 disables it.
        proj_drop, attn_drop, drop_path: dropout rates.
        act_layer: MLP activation.
        norm_layer: norm factory.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            rel_pos_cls: Optional[Callable[..., nn.Module]] = None,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
    ):
        super().__init__()
        attn = RelPosAttention(dim, num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm, rel_pos_cls=rel_pos_cls,
                               attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer)
        mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)
        self.norm1, self.attn, self.ls1, self.drop_path1 = prenorm_branch(dim, attn, norm_layer, init_values,
                                                                          drop_path)
        self.norm2, self.mlp, self.ls2, self.drop_path2 = prenorm_branch(dim, mlp, norm_layer, init_values,
                                                                         drop_path)

    def _attn_branch(self, x: torch.Tensor, shared_rel_pos: Optional[torch.Tensor]) -> torch.Tensor:
        return self.ls1(self.attn(self.norm1(x), shared_rel_pos=shared_rel_pos))

    def _mlp_branch(self, x: torch.Tensor) -> torch.Tensor:
        return self.ls2(self.mlp(self.norm2(x)))

    def forward(self, x: torch.Tensor, shared_rel_pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        # the two residual updates; subclasses change where the norms sit by overriding the branches
        x = x + self.drop_path1(self._attn_branch(x, shared_rel_pos))
        return x + self.drop_path2(self._mlp_branch(x))


class ResPostRelPosBlock(RelPosBlock):
    """Residual post-norm block: x + norm1(attn(x)), x + norm2(mlp(x)); `init_values` initialises the norm scales,
    which then act as LayerScale (there is no separate LayerScale). Arguments as for `RelPosBlock`."""

    def __init__(self, dim: int, num_heads: int, init_values: Optional[float] = None, **kwargs: Any):
        super().__init__(dim, num_heads, init_values=None, **kwargs)
        self.init_values = init_values
        self.init_weights()

    def init_weights(self) -> None:
        init_post_norm_gains_(self)

    def _attn_branch(self, x: torch.Tensor, shared_rel_pos: Optional[torch.Tensor]) -> torch.Tensor:
        return self.norm1(self.attn(x, shared_rel_pos=shared_rel_pos))

    def _mlp_branch(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm2(self.mlp(x))


def _init_module(module: nn.Module, name: str = '') -> None:
    # truncated normal (std .02) linears with zero bias, the ViT recipe; blocks and bias tables init themselves
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif hasattr(module, 'init_weights') and not isinstance(module, VisionTransformerRelPos):
        module.init_weights()


class VisionTransformerRelPos(TokenTransformer):
    """ViT whose attention gets a relative position bias (MLP of log coordinates or a learned table).

    Args:
        img_size: input size (fixes the grid of the bias).
        patch_size: patch side.
        in_chans: input channels.
        num_classes: classifier outputs (0: no classifier).
        global_pool: 'avg', 'token' (needs class_token) or ''.
        embed_dim: token width.
        depth: blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / embed_dim.
        qkv_bias: bias on the qkv projections.
        qk_norm: normalise queries / keys per head.
        init_values: LayerScale init (None / 0 disables it).
        class_token: prepend a class token (it gets zero relative bias).
        fc_norm: norm after pooling instead of before.
        rel_pos_type: 'mlp' ('cr' log coordinates), 'mlp_swin' (Swin V2 coordinates) or 'bias' (learned table).
        rel_pos_dim: hidden width of the bias MLP (default 128).
        shared_rel_pos: one bias module for all blocks.
        drop_rate: dropout before the classifier.
        proj_drop_rate, attn_drop_rate: dropout inside blocks.
        drop_path_rate: stochastic depth of the last block (linear in depth).
        weight_init: '' for the default init, 'skip' to leave modules as constructed.
        fix_init: divide the residual output projections by sqrt(2 * block index) after init.
        norm_layer: norm (name or factory); LayerNorm with eps 1e-6 by default.
        act_layer: MLP activation (name or class); GELU by default.
        block_fn: `RelPosBlock` or `ResPostRelPosBlock`.
    """
    groups = dict(stem=r'^cls_token|patch_embed', blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])
    no_weight_decay_names = ('cls_token',)

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
            mlp_ratio: float = 4.,
            qkv_bias: bool = True,
            qk_norm: bool = False,
            init_values: Optional[float] = 1e-6,
            class_token: bool = False,
            fc_norm: bool = False,
            rel_pos_type: str = 'mlp',
            rel_pos_dim: Optional[int] = None,
            shared_rel_pos: bool = False,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            weight_init: str = '',
            fix_init: bool = False,
            norm_layer: Optional[LayerType] = None,
            act_layer: Optional[LayerType] = None,
            block_fn: Type[nn.Module] = RelPosBlock,
    ):
        super().__init__()
        self._check_pool(global_pool, class_token)
        if weight_init not in ('', 'skip'):
            raise ValueError(f"weight_init must be '' or 'skip', got {weight_init!r}.")
        if not rel_pos_type.startswith('mlp') and rel_pos_type != 'bias':
            raise ValueError(f"rel_pos_type must be 'mlp', 'mlp_swin' or 'bias', got {rel_pos_type!r}.")
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        act_layer = get_act_layer(act_layer) or nn.GELU
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = int(class_token)
        self.grad_checkpointing = False

        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim)
        rel_pos_args: Dict[str, Any] = dict(window_size=self.patch_embed.grid_size,
                                            prefix_tokens=self.num_prefix_tokens)
        if rel_pos_type.startswith('mlp'):
            if rel_pos_dim:
                rel_pos_args['hidden_dim'] = rel_pos_dim
            rel_pos_cls = partial(RelPosMlp, mode='swin' if 'swin' in rel_pos_type else 'cr', **rel_pos_args)
        else:
            rel_pos_cls = partial(RelPosBias, **rel_pos_args)
        self.shared_rel_pos = rel_pos_cls(num_heads=num_heads) if shared_rel_pos else None
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None

        dpr = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.ModuleList([
            block_fn(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_norm=qk_norm,
                     rel_pos_cls=None if shared_rel_pos else rel_pos_cls, init_values=init_values,
                     proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, drop_path=dpr[i], act_layer=act_layer,
                     norm_layer=norm_layer)
            for i in range(depth)])
        reduction = self.patch_embed.feat_ratio()
        self.feature_info = [dict(module=f'blocks.{i}', num_chs=embed_dim, reduction=reduction) for i in range(depth)]
        self.norm = norm_layer(embed_dim) if not fc_norm else nn.Identity()
        self.attn_pool = None
        self.fc_norm = norm_layer(embed_dim) if fc_norm else nn.Identity()
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        if weight_init != 'skip':
            self.init_weights(fix_init)

    def init_weights(self, fix_init: bool = False) -> None:
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=1e-6)
        named_apply(_init_module, self)
        if fix_init:
            self._rescale_residual_init()

    def set_input_size(self, img_size: Optional[SizeT] = None) -> None:
        """Rebuild for a new input size: bias coordinates are recomputed (MLP) or tables resampled ('bias')."""
        _, grid = self._set_grid(img_size)
        modules = [self.shared_rel_pos] + [block.attn.rel_pos for block in self.blocks]
        for module in modules:
            if module is not None:
                module.set_window_size(grid)

    def _embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        x = self.patch_embed(x)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        return x, self.shared_rel_pos.get_bias() if self.shared_rel_pos is not None else None

    def _block_kwargs(self, context: Optional[torch.Tensor], index: int) -> Dict[str, Any]:
        return dict(shared_rel_pos=context)


def checkpoint_filter_fn(
        state_dict: Dict[str, torch.Tensor],
        model: VisionTransformerRelPos,
) -> Dict[str, torch.Tensor]:
    """Resample learned relative position bias tables to the model's grid ('bias' models trained at another size);
    MLP biases need nothing, they are computed from the model's own coordinates."""
    for container in ('model', 'state_dict'):
        if isinstance(state_dict.get(container), dict):
            state_dict = state_dict[container]
    return {k: resize_rel_pos_table(model, k, v) if k.endswith('relative_position_bias_table') else v
            for k, v in state_dict.items()}


def _create_vision_transformer_relpos(variant: str, pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    # timm's features_only default for these models is the last three blocks
    return build_model_with_cfg(VisionTransformerRelPos, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _relpos(variant: str, pretrained: bool, model_args: Dict[str, Any],
            kwargs: Dict[str, Any]) -> VisionTransformerRelPos:
    return _create_vision_transformer_relpos(variant, pretrained, **dict(model_args, **kwargs))


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), fixed_input_size=True, interpolation='bicubic',
               crop_pct=0.9, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='patch_embed.proj',
               classifier='head', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_RW = 'https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-tpu-weights/'

# Tags and preprocessing of the weights published on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'test_vit_relpos.untrained': _cfg(hf_hub_id=None, input_size=(3, 160, 160), crop_pct=0.95),
    'vit_relpos_base_patch16_224.sw_in1k': _cfg(url=_RW + 'vit_relpos_base_patch16_224-sw-49049aed.pth'),
    'vit_relpos_base_patch16_cls_224.untrained': _cfg(hf_hub_id=None),
    'vit_relpos_base_patch16_clsgap_224.sw_in1k': _cfg(url=_RW + 'vit_relpos_base_patch16_gapcls_224-sw-1a341d6c.pth'),
    'vit_relpos_base_patch16_plus_240.untrained': _cfg(hf_hub_id=None, input_size=(3, 240, 240)),
    'vit_relpos_base_patch16_rpn_224.untrained': _cfg(hf_hub_id=None),
    'vit_relpos_base_patch32_plus_rpn_256.sw_in1k': _cfg(
        url=_RW + 'vit_replos_base_patch32_plus_rpn_256-sw-dd486f51.pth', input_size=(3, 256, 256)),
    'vit_relpos_medium_patch16_224.sw_in1k': _cfg(url=_RW + 'vit_relpos_medium_patch16_224-sw-11c174af.pth'),
    'vit_relpos_medium_patch16_cls_224.sw_in1k': _cfg(url=_RW + 'vit_relpos_medium_patch16_cls_224-sw-cfe8e259.pth'),
    'vit_relpos_medium_patch16_rpn_224.sw_in1k': _cfg(url=_RW + 'vit_relpos_medium_patch16_rpn_224-sw-5d2befd8.pth'),
    'vit_relpos_small_patch16_224.sw_in1k': _cfg(url=_RW + 'vit_relpos_small_patch16_224-sw-ec2778b4.pth'),
    'vit_relpos_small_patch16_rpn_224.untrained': _cfg(hf_hub_id=None),
    'vit_srelpos_medium_patch16_224.sw_in1k': _cfg(url=_RW + 'vit_srelpos_medium_patch16_224-sw-ad702b8c.pth'),
    'vit_srelpos_small_patch16_224.sw_in1k': _cfg(url=_RW + 'vit_srelpos_small_patch16_224-sw-6cdb8849.pth'),
})


@register_model
def vit_relpos_base_patch32_plus_rpn_256(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    """ViT-B/32+ with log-coordinate relative position and residual post-norm, no class token."""
    model_args = dict(patch_size=32, embed_dim=896, depth=12, num_heads=14, block_fn=ResPostRelPosBlock)
    return _relpos('vit_relpos_base_patch32_plus_rpn_256', pretrained, model_args, kwargs)


@register_model
def vit_relpos_base_patch16_plus_240(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    """ViT-B/16+ with log-coordinate relative position, no class token."""
    model_args = dict(patch_size=16, embed_dim=896, depth=12, num_heads=14)
    return _relpos('vit_relpos_base_patch16_plus_240', pretrained, model_args, kwargs)


@register_model
def vit_relpos_small_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    model_args = dict(patch_size=16, embed_dim=384, depth=12, num_heads=6, qkv_bias=False, fc_norm=True)
    return _relpos('vit_relpos_small_patch16_224', pretrained, model_args, kwargs)


@register_model
def vit_relpos_medium_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    model_args = dict(patch_size=16, embed_dim=512, depth=12, num_heads=8, qkv_bias=False, fc_norm=True)
    return _relpos('vit_relpos_medium_patch16_224', pretrained, model_args, kwargs)


@register_model
def vit_relpos_base_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    model_args = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, qkv_bias=False, fc_norm=True)
    return _relpos('vit_relpos_base_patch16_224', pretrained, model_args, kwargs)


@register_model
def vit_srelpos_small_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    """ViT-S/16 with one relative position MLP shared by all blocks."""
    model_args = dict(patch_size=16, embed_dim=384, depth=12, num_heads=6, qkv_bias=False, fc_norm=False,
                      rel_pos_dim=384, shared_rel_pos=True)
    return _relpos('vit_srelpos_small_patch16_224', pretrained, model_args, kwargs)


@register_model
def vit_srelpos_medium_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    model_args = dict(patch_size=16, embed_dim=512, depth=12, num_heads=8, qkv_bias=False, fc_norm=False,
                      rel_pos_dim=512, shared_rel_pos=True)
    return _relpos('vit_srelpos_medium_patch16_224', pretrained, model_args, kwargs)


@register_model
def vit_relpos_medium_patch16_cls_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    """ViT-M/16 with a class token (zero relative bias to and from it)."""
    model_args = dict(patch_size=16, embed_dim=512, depth=12, num_heads=8, qkv_bias=False, fc_norm=False,
                      rel_pos_dim=256, class_token=True, global_pool='token')
    return _relpos('vit_relpos_medium_patch16_cls_224', pretrained, model_args, kwargs)


@register_model
def vit_relpos_base_patch16_cls_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    model_args = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, qkv_bias=False, class_token=True,
                      global_pool='token')
    return _relpos('vit_relpos_base_patch16_cls_224', pretrained, model_args, kwargs)


@register_model
def vit_relpos_base_patch16_clsgap_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    """Class token present but average pooling with fc_norm, as the published weights were trained."""
    model_args = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, qkv_bias=False, fc_norm=True,
                      class_token=True)
    return _relpos('vit_relpos_base_patch16_clsgap_224', pretrained, model_args, kwargs)


@register_model
def vit_relpos_small_patch16_rpn_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    model_args = dict(patch_size=16, embed_dim=384, depth=12, num_heads=6, qkv_bias=False,
                      block_fn=ResPostRelPosBlock)
    return _relpos('vit_relpos_small_patch16_rpn_224', pretrained, model_args, kwargs)


@register_model
def vit_relpos_medium_patch16_rpn_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    model_args = dict(patch_size=16, embed_dim=512, depth=12, num_heads=8, qkv_bias=False,
                      block_fn=ResPostRelPosBlock)
    return _relpos('vit_relpos_medium_patch16_rpn_224', pretrained, model_args, kwargs)


@register_model
def vit_relpos_base_patch16_rpn_224(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    model_args = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, qkv_bias=False,
                      block_fn=ResPostRelPosBlock)
    return _relpos('vit_relpos_base_patch16_rpn_224', pretrained, model_args, kwargs)


@register_model
def test_vit_relpos(pretrained: bool = False, **kwargs) -> VisionTransformerRelPos:
    """Tiny model for tests."""
    model_args = dict(patch_size=16, embed_dim=96, depth=9, num_heads=3, mlp_ratio=2, qkv_bias=False, fc_norm=True)
    return _relpos('test_vit_relpos', pretrained, model_args, kwargs)
