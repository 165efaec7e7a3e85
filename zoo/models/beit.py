"""BEiT and BEiT v2: ViTs with a learned relative position bias, fine-tuned from masked-image-modelling pre-training.

Papers:
- BEiT: "BEiT: BERT Pre-Training of Image Transformers", Bao et al., 2021 (arXiv:2106.08254). Section 2.5: every
  block has its own relative position bias table over the patch grid, with three extra entries for the class
  token (class-to-patch, patch-to-class, class-to-class); LayerScale on both residual branches; the query and value
  projections carry biases, the key projection none.
- BEiT v2: "BEiT v2: Masked Image Modeling with Vector-Quantized Visual Tokenizers", Peng et al., 2022
  (arXiv:2208.06366): same backbone, new pre-training targets.

Fine-tuned models average the patch tokens and normalise after pooling (`fc_norm`). A checkpoint trained at another
resolution has its bias tables resampled with BEiT's geometric interpolation (`zoo.layers.pos_embed_rel`). Parameter
names (`cls_token`, `pos_embed`, `rel_pos_bias`, `blocks.N.{norm1, attn.{qkv, q_bias, v_bias,
relative_position_bias_table, proj}, gamma_1, norm2, mlp.{fc1, fc2}, gamma_2}`, `fc_norm`, `head`) follow the
published checkpoints.
"""
from functools import partial
from typing import Any, Callable, Dict, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD, IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers import LayerNorm, get_norm_layer, to_2tuple
from zoo.layers.attention_rope import AttentionRope
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.pos_embed_rel import resize_rel_pos_bias_table
from zoo.layers.rel_pos_bias import RelPosBias, gather_rel_pos_bias, rel_pos_index_with_cls
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._token_transformer import TokenTransformer
from zoo.models.eva import EvaBlock

__all__ = ['Beit', 'BeitAttention', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]


def _num_rel_entries(window_size: Tuple[int, int]) -> int:
    return (2 * window_size[0] - 1) * (2 * window_size[1] - 1) + 3


class BeitAttention(AttentionRope):
    """Attention with BEiT's per-block relative position bias (class token included) plus an optional shared bias.

    Args:
        window_size: patch grid the bias table covers; None for no per-block table.
        Other arguments as for `AttentionRope`.
    """

    def __init__(self, *args, window_size: Optional[Sequence[int]] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.window_size = to_2tuple(window_size) if window_size is not None else None
        if self.window_size is not None:
            self.relative_position_bias_table = nn.Parameter(
                torch.zeros(_num_rel_entries(self.window_size), self.num_heads))
            self.register_buffer('relative_position_index', rel_pos_index_with_cls(*self.window_size),
                                 persistent=False)
        else:
            self.relative_position_bias_table = None

    def set_window_size(self, window_size: Sequence[int]) -> None:
        """Resample the bias table to a new patch grid and rebuild its index."""
        window_size = to_2tuple(window_size)
        if self.window_size is None or window_size == self.window_size:
            return
        table = self.relative_position_bias_table
        with torch.no_grad():
            new_table = resize_rel_pos_bias_table(table, window_size, (_num_rel_entries(window_size), self.num_heads),
                                                  old_window_size=self.window_size)
        self.relative_position_bias_table = nn.Parameter(new_table, requires_grad=table.requires_grad)
        self.relative_position_index = rel_pos_index_with_cls(*window_size,
                                                              device=self.relative_position_index.device)
        self.window_size = window_size

    def forward(self, x: torch.Tensor, shared_rel_pos_bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        bias = shared_rel_pos_bias
        if self.relative_position_bias_table is not None:
            own = gather_rel_pos_bias(self.relative_position_bias_table, self.relative_position_index)
            bias = own if bias is None else own + bias
        return super().forward(x, attn_mask=bias)


class Beit(TokenTransformer):
    """ViT with relative position bias (per block and/or shared) and LayerScale.

    Args:
        img_size: input size.
        patch_size: patch side.
        in_chans: input channels.
        num_classes: classifier outputs (0: no classifier).
        global_pool: 'avg' (patch tokens), 'token' (class token) or '' (no pooling).
        embed_dim: token width.
        depth: blocks.
        num_heads: attention heads.
        qkv_bias: query and value biases (never a key bias).
        mlp_ratio: MLP hidden width / embed_dim.
        swiglu_mlp: SwiGLU MLP (separate gate / value projections).
        scale_mlp: norm on the MLP hidden activations.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after the position embedding.
        proj_drop_rate, attn_drop_rate: dropout inside blocks.
        drop_path_rate: stochastic depth of the last block (linear in depth).
        norm_layer: norm (class, factory or name).
        init_values: LayerScale init; None or 0 disables it.
        use_abs_pos_emb: learned absolute position embedding.
        use_rel_pos_bias: a relative position bias table in every block.
        use_shared_rel_pos_bias: one bias table shared by all blocks.
        head_init_scale: the classifier's initial weights are scaled by this.
        use_fc_norm: norm after pooling instead of before; None: for 'avg' pooling.
    """
    groups = dict(stem=r'^cls_token|pos_embed|patch_embed|rel_pos_bias',
                  blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])
    no_weight_decay_names = ('pos_embed', 'cls_token')

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
            qkv_bias: bool = True,
            mlp_ratio: float = 4.,
            swiglu_mlp: bool = False,
            scale_mlp: bool = False,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Optional[Union[str, Callable[[int], nn.Module]]] = None,
            init_values: Optional[float] = None,
            use_abs_pos_emb: bool = True,
            use_rel_pos_bias: bool = False,
            use_shared_rel_pos_bias: bool = False,
            head_init_scale: float = 0.001,
            use_fc_norm: Optional[bool] = None,
    ):
        super().__init__()
        self._check_pool(global_pool, True)
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        fc_norm = global_pool == 'avg' if use_fc_norm is None else use_fc_norm
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = 1
        self.grad_checkpointing = False

        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim)
        grid = self.patch_embed.grid_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches + 1, embed_dim)) \
            if use_abs_pos_emb else None
        self.pos_drop = nn.Dropout(p=pos_drop_rate)
        self.rel_pos_bias = RelPosBias(grid, num_heads, prefix_tokens=1) if use_shared_rel_pos_bias else None

        dpr = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        attn_layer = partial(BeitAttention, window_size=grid if use_rel_pos_bias else None)
        self.blocks = nn.ModuleList([
            EvaBlock(embed_dim, num_heads, qkv_bias=qkv_bias, mlp_ratio=mlp_ratio, swiglu_mlp=swiglu_mlp,
                     scale_mlp=scale_mlp, init_values=init_values or None, proj_drop=proj_drop_rate,
                     attn_drop=attn_drop_rate, drop_path=dpr[i], norm_layer=norm_layer, attn_layer=attn_layer,
                     swiglu_packed=False)
            for i in range(depth)])
        reduction = self.patch_embed.feat_ratio()
        self.feature_info = [dict(module=f'blocks.{i}', num_chs=embed_dim, reduction=reduction) for i in range(depth)]
        self.norm = nn.Identity() if fc_norm else norm_layer(embed_dim)
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
        for p in (self.pos_embed, self.cls_token):
            if p is not None:
                nn.init.trunc_normal_(p, std=.02)
        # the bias tables start at zero: attention is position-agnostic until trained
        for name, p in self.named_parameters():
            if name.endswith('relative_position_bias_table'):
                nn.init.zeros_(p)
        self._rescale_residual_init()
        self._init_head(head_init_scale)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        tables = {n for n, _ in self.named_parameters() if 'relative_position_bias_table' in n}
        return super().no_weight_decay() | tables

    def set_input_size(self, img_size: Optional[SizeT] = None) -> None:
        """Rebuild for a new input size: the absolute embedding and every bias table are resampled."""
        prev_grid, grid = self._set_grid(img_size)
        if grid == prev_grid:
            return
        if self.pos_embed is not None:
            with torch.no_grad():
                pos_embed = resample_abs_pos_embed(self.pos_embed, grid, old_size=prev_grid, num_prefix_tokens=1,
                                                   verbose=True)
            self.pos_embed = nn.Parameter(pos_embed, requires_grad=self.pos_embed.requires_grad)
        if self.rel_pos_bias is not None:
            self.rel_pos_bias.set_window_size(grid)
        for block in self.blocks:
            block.attn.set_window_size(grid)

    def _embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        shared_bias = self.rel_pos_bias.get_bias() if self.rel_pos_bias is not None else None
        return self.pos_drop(x), shared_bias

    def _block_kwargs(self, context: Optional[torch.Tensor], index: int) -> Dict[str, Any]:
        return dict(shared_rel_pos_bias=context)


def resize_rel_pos_table(model: nn.Module, key: str, value: torch.Tensor) -> torch.Tensor:
    """Resample a checkpoint's `...relative_position_bias_table` to the window of the module that owns it in
    `model` (BEiT's geometric interpolation); non-square windows are always rebuilt from the (square) source."""
    owner = model.get_submodule(key.rsplit('.', 1)[0])
    target = owner.relative_position_bias_table
    if value.shape != target.shape or owner.window_size[0] != owner.window_size[1]:
        value = resize_rel_pos_bias_table(value, owner.window_size, target.shape)
    return value


def checkpoint_filter_fn(
        state_dict: Dict[str, torch.Tensor],
        model: Beit,
        interpolation: str = 'bicubic',
        antialias: bool = True,
) -> Dict[str, torch.Tensor]:
    """Adapt a BEiT checkpoint to `model`: unwrap training containers, drop computed indices, and resample the
    absolute position embedding and the relative position bias tables when it was trained on another grid."""
    for container in ('model', 'module'):
        if isinstance(state_dict.get(container), dict):
            state_dict = state_dict[container]
    out = {}
    for key, value in state_dict.items():
        if 'relative_position_index' in key:
            continue
        if key == 'pos_embed' and model.pos_embed is not None and value.shape != model.pos_embed.shape:
            value = resample_abs_pos_embed(value, model.patch_embed.grid_size, num_prefix_tokens=1,
                                           interpolation=interpolation, antialias=antialias, verbose=True)
        elif key.endswith('relative_position_bias_table'):
            value = resize_rel_pos_table(model, key, value)
        out[key] = value
    return out


def _create_beit(variant: str, pretrained: bool = False, **kwargs) -> Beit:
    # timm's features_only default for these models is the last three blocks
    return build_model_with_cfg(Beit, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _beit(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> Beit:
    return _create_beit(variant, pretrained, **dict(model_args, **kwargs))


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), fixed_input_size=True, interpolation='bicubic',
               crop_pct=0.9, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='patch_embed.proj',
               classifier='head', license='apache-2.0', paper_ids='arXiv:2106.08254')
    cfg.update(kwargs)
    return cfg


_V2 = dict(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, paper_ids='arXiv:2208.06366')

# Tags and preprocessing of the weights published on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'beit_base_patch16_224.in22k_ft_in22k_in1k': _cfg(),
    'beit_base_patch16_224.in22k_ft_in22k': _cfg(num_classes=21841),
    'beit_base_patch16_384.in22k_ft_in22k_in1k': _cfg(input_size=(3, 384, 384), crop_pct=1.0),
    'beit_large_patch16_224.in22k_ft_in22k_in1k': _cfg(),
    'beit_large_patch16_224.in22k_ft_in22k': _cfg(num_classes=21841),
    'beit_large_patch16_384.in22k_ft_in22k_in1k': _cfg(input_size=(3, 384, 384), crop_pct=1.0),
    'beit_large_patch16_512.in22k_ft_in22k_in1k': _cfg(input_size=(3, 512, 512), crop_pct=1.0),
    'beitv2_base_patch16_224.in1k_ft_in22k_in1k': _cfg(**_V2),
    'beitv2_base_patch16_224.in1k_ft_in1k': _cfg(**_V2),
    'beitv2_base_patch16_224.in1k_ft_in22k': _cfg(**_V2, num_classes=21841),
    'beitv2_large_patch16_224.in1k_ft_in22k_in1k': _cfg(**_V2, crop_pct=0.95),
    'beitv2_large_patch16_224.in1k_ft_in1k': _cfg(**_V2, crop_pct=0.95),
    'beitv2_large_patch16_224.in1k_ft_in22k': _cfg(**_V2, num_classes=21841),
})


@register_model
def beit_base_patch16_224(pretrained: bool = False, **kwargs) -> Beit:
    model_args = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4, use_abs_pos_emb=False,
                      use_rel_pos_bias=True, init_values=0.1)
    return _beit('beit_base_patch16_224', pretrained, model_args, kwargs)


@register_model
def beit_base_patch16_384(pretrained: bool = False, **kwargs) -> Beit:
    model_args = dict(img_size=384, patch_size=16, embed_dim=768, depth=12, num_heads=12, use_abs_pos_emb=False,
                      use_rel_pos_bias=True, init_values=0.1)
    return _beit('beit_base_patch16_384', pretrained, model_args, kwargs)


@register_model
def beit_large_patch16_224(pretrained: bool = False, **kwargs) -> Beit:
    model_args = dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16, use_abs_pos_emb=False,
                      use_rel_pos_bias=True, init_values=1e-5)
    return _beit('beit_large_patch16_224', pretrained, model_args, kwargs)


@register_model
def beit_large_patch16_384(pretrained: bool = False, **kwargs) -> Beit:
    model_args = dict(img_size=384, patch_size=16, embed_dim=1024, depth=24, num_heads=16, use_abs_pos_emb=False,
                      use_rel_pos_bias=True, init_values=1e-5)
    return _beit('beit_large_patch16_384', pretrained, model_args, kwargs)


@register_model
def beit_large_patch16_512(pretrained: bool = False, **kwargs) -> Beit:
    model_args = dict(img_size=512, patch_size=16, embed_dim=1024, depth=24, num_heads=16, use_abs_pos_emb=False,
                      use_rel_pos_bias=True, init_values=1e-5)
    return _beit('beit_large_patch16_512', pretrained, model_args, kwargs)


@register_model
def beitv2_base_patch16_224(pretrained: bool = False, **kwargs) -> Beit:
    model_args = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4, use_abs_pos_emb=False,
                      use_rel_pos_bias=True, init_values=1e-5)
    return _beit('beitv2_base_patch16_224', pretrained, model_args, kwargs)


@register_model
def beitv2_large_patch16_224(pretrained: bool = False, **kwargs) -> Beit:
    model_args = dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16, use_abs_pos_emb=False,
                      use_rel_pos_bias=True, init_values=1e-5)
    return _beit('beitv2_large_patch16_224', pretrained, model_args, kwargs)
