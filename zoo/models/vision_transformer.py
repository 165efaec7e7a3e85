"""Vision Transformer (ViT) and the variants that share its plain isotropic token pipeline.

Papers:
- ViT: "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale", Dosovitskiy et al., 2020
  (arXiv:2010.11929).
- AugReg weights: "How to train your ViT? Data, Augmentation, and Regularization in Vision Transformers",
  Steiner et al., 2021 (arXiv:2106.10270).
- CLIP image towers (pre-norm, no patch bias, QuickGELU for OpenAI weights): "Learning Transferable Visual Models
  From Natural Language Supervision", Radford et al., 2021 (arXiv:2103.00020).
- DINOv2 (LayerScale, 518 px): Oquab et al., 2023 (arXiv:2304.07193); register tokens: "Vision Transformers Need
  Registers", Darcet et al., 2023 (arXiv:2309.16588).
- SigLIP (attention-pool 'map' head): Zhai et al., 2023 (arXiv:2303.15343).
- LayerScale: "Going deeper with Image Transformers", Touvron et al., 2021 (arXiv:2103.17239).
- Residual post-norm blocks ("rpn"): "Swin Transformer V2", Liu et al., 2021 (arXiv:2111.09883), section 3.1.
- Parallel attention + MLP with fused input projection, RMSNorm and qk-norm ("xp"): "Scaling Vision Transformers
  to 22 Billion Parameters", Dehghani et al., 2023 (arXiv:2302.05442).
- Parallel blocks ("18x2"): "Three things everyone should know about Vision Transformers", Touvron et al., 2022
  (arXiv:2203.09795).
- TIPSv2 image towers: "TIPS: Text-Image Pretraining with Spatial Awareness", Maninis et al., 2024
  (arXiv:2410.16512). RADIO: "AM-RADIO: Agglomerative Vision Foundation Model", Ranzinger et al., 2023
  (arXiv:2312.06709); these checkpoints have no final norm.

Deviations from the papers, all matching the published timm weights: the token order is [class, registers,
patches]; the position embedding covers the class/register tokens unless `no_embed_class` (DeiT-III / big_vision
style, where it covers the patches only); global-average-pool models ("gap") keep the final norm before pooling
unless `fc_norm` moves it after. Attention always runs through `torch.nn.functional.scaled_dot_product_attention`.

Module and parameter names (`patch_embed.proj`, `cls_token`, `reg_token`, `pos_embed`, `norm_pre`, `blocks.N.{norm1,
attn.qkv, attn.proj, ls1.gamma, norm2, mlp.fc1, mlp.fc2, ls2.gamma}`, `norm`, `fc_norm`, `attn_pool`, `head`) follow
the published checkpoints so they load unchanged.
"""
import logging
from collections import OrderedDict
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import (
    IMAGENET_DEFAULT_MEAN,
    IMAGENET_DEFAULT_STD,
    IMAGENET_INCEPTION_MEAN,
    IMAGENET_INCEPTION_STD,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
)
from zoo.layers import DropPath, LayerNorm, LayerType, get_act_layer, get_norm_layer
from zoo.layers.attention import Attention
from zoo.layers.attention_pool import AttentionPoolLatent
from zoo.layers.layer_scale import LayerScale
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.rms_norm import RmsNorm
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import checkpoint_seq, named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['VisionTransformer', 'Block', 'ResPostBlock', 'ParallelThingsBlock', 'ParallelScalingBlock',
           'checkpoint_filter_fn']

_logger = logging.getLogger(__name__)

_GLOBAL_POOLS = ('', 'avg', 'avgmax', 'max', 'token', 'map')
SizeT = Union[int, Tuple[int, int]]


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)), each branch optionally LayerScaled.

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / dim.
        qkv_bias: bias on the qkv projection.
        qk_norm: per-head query/key norm.
        proj_bias: bias on the attention output projection and MLP linears.
        init_values: LayerScale init; None disables LayerScale.
        proj_drop: dropout after projections.
        attn_drop: dropout on attention probabilities.
        drop_path: stochastic depth rate of both branches.
        act_layer: MLP activation.
        norm_layer: norm factory.
        mlp_layer: MLP class (Mlp-compatible signature).
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            mlp_layer: Type[nn.Module] = Mlp,
    ):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = Attention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm, proj_bias=proj_bias,
                              attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer)
        self.ls1 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = mlp_layer(dim, int(dim * mlp_ratio), act_layer=act_layer, bias=proj_bias, drop=proj_drop)
        self.ls2 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.ls1(self.attn(self.norm1(x))))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class ResPostBlock(nn.Module):
    """Residual post-norm block: x + norm(attn(x)), then x + norm(mlp(x)).

    The norms sit at the end of each branch (Swin V2's "res-post-norm"), and `init_values` initialises their
    scales, which then play the role of LayerScale. Arguments as for `Block`.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            mlp_layer: Type[nn.Module] = Mlp,
    ):
        super().__init__()
        self.init_values = init_values
        self.attn = Attention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm, proj_bias=proj_bias,
                              attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer)
        self.norm1 = norm_layer(dim)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.mlp = mlp_layer(dim, int(dim * mlp_ratio), act_layer=act_layer, bias=proj_bias, drop=proj_drop)
        self.norm2 = norm_layer(dim)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def init_weights(self) -> None:
        if self.init_values is not None:
            nn.init.constant_(self.norm1.weight, self.init_values)
            nn.init.constant_(self.norm2.weight, self.init_values)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.norm1(self.attn(x)))
        return x + self.drop_path2(self.norm2(self.mlp(x)))


class ParallelThingsBlock(nn.Module):
    """`num_parallel` attention branches summed into the residual, then `num_parallel` MLP branches.

    "Three things everyone should know about Vision Transformers", Touvron et al., 2022 (arXiv:2203.09795):
    running pairs of blocks in parallel halves the sequential depth at equal parameters. Each branch is a
    Sequential (`norm`, `attn`/`mlp`, `ls`, `drop_path`), the layout of the published checkpoints. Other arguments
    as for `Block`.
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            num_parallel: int = 2,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            mlp_layer: Type[nn.Module] = Mlp,
    ):
        super().__init__()
        self.num_parallel = num_parallel

        def branch(inner: nn.Module, name: str) -> nn.Sequential:
            return nn.Sequential(OrderedDict([
                ('norm', norm_layer(dim)),
                (name, inner),
                ('ls', LayerScale(dim, init_values) if init_values else nn.Identity()),
                ('drop_path', DropPath(drop_path) if drop_path > 0. else nn.Identity()),
            ]))

        self.attns = nn.ModuleList([
            branch(Attention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm, proj_bias=proj_bias,
                             attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer), 'attn')
            for _ in range(num_parallel)])
        self.ffns = nn.ModuleList([
            branch(mlp_layer(dim, int(dim * mlp_ratio), act_layer=act_layer, bias=proj_bias, drop=proj_drop), 'mlp')
            for _ in range(num_parallel)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + torch.stack([attn(x) for attn in self.attns]).sum(dim=0)
        return x + torch.stack([ffn(x) for ffn in self.ffns]).sum(dim=0)


class ParallelScalingBlock(nn.Module):
    """Attention and MLP in parallel off one norm, with their input projections fused into one linear.

    "Scaling Vision Transformers to 22 Billion Parameters", Dehghani et al., 2023 (arXiv:2302.05442), section 2:
    y = x + attn(norm(x)) + mlp(norm(x)), computed with one `in_proj` producing [mlp hidden, q, k, v]. When the
    fused projection has no bias the MLP keeps its own (`mlp_bias`), as in the published "xp" checkpoints.
    Arguments as for `Block`; `mlp_layer` is accepted for a uniform block signature but unused (the MLP is fused).
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            mlp_layer: Optional[Type[nn.Module]] = None,
    ):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim ({dim}) must be divisible by num_heads ({num_heads}).')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        mlp_hidden = int(mlp_ratio * dim)
        self.in_split = [mlp_hidden, dim, dim, dim]
        self.in_norm = norm_layer(dim)
        self.in_proj = nn.Linear(dim, mlp_hidden + 3 * dim, bias=qkv_bias)
        self.mlp_bias = None if qkv_bias else nn.Parameter(torch.zeros(mlp_hidden))
        self.q_norm = norm_layer(self.head_dim) if qk_norm else nn.Identity()
        self.k_norm = norm_layer(self.head_dim) if qk_norm else nn.Identity()
        self.attn_drop = nn.Dropout(attn_drop)
        self.mlp_drop = nn.Dropout(proj_drop)
        self.mlp_act = act_layer()
        self.attn_out_proj = nn.Linear(dim, dim, bias=proj_bias)
        self.mlp_out_proj = nn.Linear(mlp_hidden, dim, bias=proj_bias)
        self.ls = LayerScale(dim, init_values) if init_values is not None else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def init_weights(self) -> None:
        if self.mlp_bias is not None:
            nn.init.zeros_(self.mlp_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        x_mlp, q, k, v = torch.split(self.in_proj(self.in_norm(x)), self.in_split, dim=-1)
        if self.mlp_bias is not None:
            x_mlp = x_mlp + self.mlp_bias
        q = self.q_norm(q.view(b, n, self.num_heads, self.head_dim)).transpose(1, 2)
        k = self.k_norm(k.view(b, n, self.num_heads, self.head_dim)).transpose(1, 2)
        v = v.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)
        x_attn = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        x_attn = x_attn.transpose(1, 2).reshape(b, n, c)
        x_mlp = self.mlp_drop(self.mlp_act(x_mlp))
        return x + self.drop_path(self.ls(self.attn_out_proj(x_attn) + self.mlp_out_proj(x_mlp)))


def _init_vit_module(module: nn.Module, name: str = '') -> None:
    # truncated normal (std .02) linears with zero bias: the BERT / original ViT PyTorch recipe
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif hasattr(module, 'init_weights') and not isinstance(module, VisionTransformer):
        module.init_weights()


def pool_tokens(x: torch.Tensor, pool_type: str, num_prefix_tokens: int) -> torch.Tensor:
    """Reduce (B, N, C) tokens to (B, C): 'token' takes the first (class) token, the others reduce the patches."""
    if pool_type == 'token':
        return x[:, 0]
    if not pool_type:
        return x
    patches = x[:, num_prefix_tokens:]
    if pool_type == 'avg':
        return patches.mean(1)
    if pool_type == 'max':
        return patches.amax(1)
    if pool_type == 'avgmax':
        return 0.5 * (patches.mean(1) + patches.amax(1))
    raise ValueError(f'Unknown pool type {pool_type!r}.')


class VisionTransformer(ZooModel):
    """Isotropic transformer over patch tokens with optional class / register tokens.

    Args:
        img_size: input size the position embedding is built for.
        patch_size: patch side.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'token' (class token), 'avg' / 'max' / 'avgmax' over patch tokens, 'map' (attention pool),
            '' (no pooling; forward_head returns the tokens).
        embed_dim: token width.
        depth: number of blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / embed_dim.
        qkv_bias: bias on the qkv projections.
        qk_norm: per-head query/key norm.
        proj_bias: bias on attention output projections and MLP linears.
        init_values: LayerScale init; None disables LayerScale.
        class_token: prepend a learned class token.
        no_embed_class: the position embedding covers patch tokens only (prefix tokens get none).
        reg_tokens: number of learned register tokens.
        pre_norm: norm the embedded tokens before the blocks (CLIP); also drops the patch-embedding bias.
        final_norm: norm after the blocks (or after pooling, see fc_norm).
        fc_norm: put the final norm after pooling instead of before; None chooses it for avg/max pooling.
        dynamic_img_size: accept any input size, resampling the position embedding on the fly.
        dynamic_img_pad: pad inputs to a multiple of the patch size.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the position embedding.
        proj_drop_rate: dropout after projections inside blocks.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last block (linear in depth).
        weight_init: '' for the default init, 'skip' to leave modules as constructed.
        norm_layer: norm (name or factory); LayerNorm with eps 1e-6 by default.
        act_layer: MLP activation (name or class); GELU by default.
        block_fn: block class (Block or ResPostBlock).
        mlp_layer: MLP class used inside blocks.
    """
    trunk = Trunk(levels='blocks', final=('norm',), level_fmt='NLC')
    norm_levels = 'all'
    classifier_name = 'head'
    # one group per block (coarse and fine are the same for an isotropic net); the final norm joins the last
    groups = dict(stem=r'^cls_token|reg_token|dist_token|pos_embed|patch_embed|norm_pre',
                  blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])
    no_weight_decay_names = ('pos_embed', 'cls_token', 'reg_token', 'dist_token')

    def __init__(
            self,
            img_size: SizeT = 224,
            patch_size: SizeT = 16,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'token',
            embed_dim: int = 768,
            depth: int = 12,
            num_heads: int = 12,
            mlp_ratio: float = 4.,
            qkv_bias: bool = True,
            qk_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            class_token: bool = True,
            no_embed_class: bool = False,
            reg_tokens: int = 0,
            pre_norm: bool = False,
            final_norm: bool = True,
            fc_norm: Optional[bool] = None,
            dynamic_img_size: bool = False,
            dynamic_img_pad: bool = False,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            weight_init: str = '',
            norm_layer: Optional[LayerType] = None,
            act_layer: Optional[LayerType] = None,
            block_fn: Type[nn.Module] = Block,
            mlp_layer: Type[nn.Module] = Mlp,
    ):
        super().__init__()
        if global_pool not in _GLOBAL_POOLS:
            raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
        if global_pool == 'token' and not class_token:
            raise ValueError("global_pool='token' needs the class token (class_token=True).")
        if weight_init not in ('', 'skip'):
            raise ValueError(f"weight_init must be '' or 'skip', got {weight_init!r}.")
        use_fc_norm = global_pool in ('avg', 'avgmax', 'max') if fc_norm is None else fc_norm
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        act_layer = get_act_layer(act_layer) or nn.GELU

        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_reg_tokens = reg_tokens
        self.has_class_token = class_token
        self.num_prefix_tokens = int(class_token) + reg_tokens + self._extra_prefix_tokens()
        self.no_embed_class = no_embed_class
        self.dynamic_img_size = dynamic_img_size
        self.grad_checkpointing = False

        embed_args: Dict[str, Any] = {}
        if dynamic_img_size:
            # keep the token grid (NHWC) until the position embedding has been resampled to it
            embed_args.update(strict_img_size=False, output_fmt='NHWC')
        # CLIP towers normalise right after embedding, which makes a patch-embedding bias redundant
        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans,
                                      embed_dim=embed_dim, bias=not pre_norm, dynamic_img_pad=dynamic_img_pad,
                                      **embed_args)
        num_patches = self.patch_embed.num_patches
        reduction = self.patch_embed.feat_ratio()

        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.reg_token = nn.Parameter(torch.zeros(1, reg_tokens, embed_dim)) if reg_tokens else None
        self._init_extra_tokens(embed_dim)
        embed_len = num_patches if no_embed_class else num_patches + self.num_prefix_tokens
        self.pos_embed = nn.Parameter(torch.zeros(1, embed_len, embed_dim))
        self.pos_drop = nn.Dropout(p=pos_drop_rate)
        self.norm_pre = norm_layer(embed_dim) if pre_norm else nn.Identity()

        # stochastic depth grows linearly with depth (Huang et al., 2016)
        dpr = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.Sequential(*[
            block_fn(
                dim=embed_dim,
                num_heads=num_heads,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                qk_norm=qk_norm,
                proj_bias=proj_bias,
                init_values=init_values,
                proj_drop=proj_drop_rate,
                attn_drop=attn_drop_rate,
                drop_path=dpr[i],
                norm_layer=norm_layer,
                act_layer=act_layer,
                mlp_layer=mlp_layer,
            )
            for i in range(depth)])
        self.feature_info = [dict(module=f'blocks.{i}', num_chs=embed_dim, reduction=reduction) for i in range(depth)]
        self.norm = norm_layer(embed_dim) if final_norm and not use_fc_norm else nn.Identity()

        if global_pool == 'map':
            self.attn_pool = AttentionPoolLatent(embed_dim, num_heads=num_heads, mlp_ratio=mlp_ratio,
                                                 norm_layer=norm_layer, act_layer=act_layer)
        else:
            self.attn_pool = None
        self.fc_norm = norm_layer(embed_dim) if final_norm and use_fc_norm else nn.Identity()
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()

        if weight_init != 'skip':
            self.init_weights()

    # hooks for subclasses that add prefix tokens (DeiT's distillation token)
    def _extra_prefix_tokens(self) -> int:
        return 0

    def _init_extra_tokens(self, embed_dim: int) -> None:
        pass

    def _prefix_tokens(self, batch_size: int) -> List[torch.Tensor]:
        tokens = []
        if self.cls_token is not None:
            tokens.append(self.cls_token.expand(batch_size, -1, -1))
        if self.reg_token is not None:
            tokens.append(self.reg_token.expand(batch_size, -1, -1))
        return tokens

    def init_weights(self) -> None:
        nn.init.trunc_normal_(self.pos_embed, std=.02)
        for name in ('cls_token', 'reg_token', 'dist_token'):
            token = getattr(self, name, None)
            if token is not None:
                nn.init.normal_(token, std=1e-6)
        named_apply(_init_vit_module, self)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            if global_pool not in _GLOBAL_POOLS:
                raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
            if global_pool == 'token' and not self.has_class_token:
                raise ValueError("global_pool='token' needs the class token.")
            if global_pool == 'map' and self.attn_pool is None:
                raise ValueError("Attention pooling ('map') cannot be added after construction.")
            if global_pool != 'map':
                self.attn_pool = None
            self.global_pool = global_pool
        self.head = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    def set_input_size(self, img_size: Optional[SizeT] = None) -> None:
        """Rebuild for a new input size, resampling the position embedding to the new patch grid."""
        prev_grid = self.patch_embed.grid_size
        self.patch_embed.set_input_size(img_size)
        new_grid = self.patch_embed.grid_size
        if new_grid != prev_grid:
            num_prefix = 0 if self.no_embed_class else self.num_prefix_tokens
            with torch.no_grad():
                pos_embed = resample_abs_pos_embed(self.pos_embed, new_grid, old_size=prev_grid,
                                                   num_prefix_tokens=num_prefix, verbose=True)
            self.pos_embed = nn.Parameter(pos_embed, requires_grad=self.pos_embed.requires_grad)
        cfg = getattr(self, 'pretrained_cfg', None)
        if isinstance(cfg, dict) and self.patch_embed.img_size is not None:
            cfg['input_size'] = (cfg.get('input_size', (3,))[0], *self.patch_embed.img_size)

    def _pos_embed(self, x: torch.Tensor) -> torch.Tensor:
        prefix = self._prefix_tokens(x.shape[0])
        pos_embed = self.pos_embed
        if self.dynamic_img_size:
            b, h, w, c = x.shape
            pos_embed = resample_abs_pos_embed(
                pos_embed, (h, w), old_size=self.patch_embed.grid_size,
                num_prefix_tokens=0 if self.no_embed_class else self.num_prefix_tokens)
            x = x.reshape(b, h * w, c)
        if self.no_embed_class:
            x = x + pos_embed
            if prefix:
                x = torch.cat(prefix + [x], dim=1)
        else:
            if prefix:
                x = torch.cat(prefix + [x], dim=1)
            x = x + pos_embed
        return self.pos_drop(x)

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm_pre(self._pos_embed(self.patch_embed(x)))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self._embed(x)
        if self.grad_checkpointing and not torch.jit.is_scripting():
            x = checkpoint_seq(self.blocks, x)
        else:
            x = self.blocks(x)
        return self.norm(x)

    def pool(self, x: torch.Tensor, pool_type: Optional[str] = None) -> torch.Tensor:
        if self.attn_pool is not None:
            return self.attn_pool(x[:, self.num_prefix_tokens:])
        return pool_tokens(x, self.global_pool if pool_type is None else pool_type, self.num_prefix_tokens)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.fc_norm(self.pool(x)))
        return x if pre_logits else self.head(x)

    # ---- hooks of the shared intermediates API ----
    def _run_stem(self, x: torch.Tensor) -> torch.Tensor:
        return self._embed(x)

    def _level_tokens(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.num_prefix_tokens:]

    def _tokens_to_map(self, x: torch.Tensor, input_hw: Tuple[int, int]) -> torch.Tensor:
        h, w = self.patch_embed.dynamic_feat_size(input_hw)
        return x.reshape(x.shape[0], h, w, -1).permute(0, 3, 1, 2).contiguous()

    def _replace_head(self, in_features: int) -> None:
        self.fc_norm = nn.Identity()
        self.attn_pool = None
        self._reset_head(0, '')


def _square_grid(num_tokens: int) -> Optional[Tuple[int, int]]:
    side = int(round(num_tokens ** 0.5))
    return (side, side) if side * side == num_tokens else None


def checkpoint_filter_fn(
        state_dict: Dict[str, torch.Tensor],
        model: VisionTransformer,
        interpolation: str = 'bicubic',
        antialias: bool = True,
) -> Dict[str, torch.Tensor]:
    """Adapt a ViT checkpoint to `model`: unwrap training-script containers and resample the position embedding.

    A checkpoint trained at another resolution (e.g. 224 loaded into a 384 model) carries a position embedding
    for a different patch grid; it is interpolated (bicubic, antialiased, as the published fine-tunes were) to the
    model's grid. The source grid is taken to be square.
    """
    for container in ('model', 'state_dict'):
        if isinstance(state_dict.get(container), dict):
            state_dict = state_dict[container]
    out = {}
    num_prefix = 0 if model.no_embed_class else model.num_prefix_tokens
    for key, value in state_dict.items():
        if key == 'pos_embed' and value.shape != model.pos_embed.shape:
            old_grid = _square_grid(value.shape[1] - num_prefix)
            if old_grid is None:
                raise ValueError(f'Cannot resample a pos_embed of {value.shape[1]} tokens ({num_prefix} prefix): '
                                 f'its patch grid is not square.')
            value = resample_abs_pos_embed(value, model.patch_embed.grid_size, old_size=old_grid,
                                           num_prefix_tokens=num_prefix, interpolation=interpolation,
                                           antialias=antialias, verbose=True)
        out[key] = value
    return out


def _create_vision_transformer(variant: str, pretrained: bool = False, **kwargs) -> VisionTransformer:
    # timm's features_only default for ViTs is the last three blocks
    return build_model_with_cfg(VisionTransformer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3), **kwargs)


def _vit(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> VisionTransformer:
    return _create_vision_transformer(variant, pretrained, **dict(model_args, **kwargs))


def _vcfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), fixed_input_size=True, interpolation='bicubic',
               crop_pct=0.9, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='patch_embed.proj',
               classifier='head', license='apache-2.0', paper_ids='arXiv:2010.11929')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'vit_tiny_patch16_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_tiny_patch16_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_tiny_patch16_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_small_patch8_224.dino': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_small_patch16_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_small_patch16_224.augreg_in1k': _vcfg(),
    'vit_small_patch16_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_small_patch16_224.dino': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_small_patch16_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_small_patch16_384.augreg_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_small_patch32_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_small_patch32_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_small_patch32_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_small_patch16_36x1_224.untrained': _vcfg(hf_hub_id=None),
    'vit_base_patch8_224.augreg2_in21k_ft_in1k': _vcfg(),
    'vit_base_patch8_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_base_patch8_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_base_patch8_224.dino': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch16_224.augreg2_in21k_ft_in1k': _vcfg(),
    'vit_base_patch16_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_base_patch16_224.orig_in21k_ft_in1k': _vcfg(),
    'vit_base_patch16_224.augreg_in1k': _vcfg(),
    'vit_base_patch16_224.orig_in21k': _vcfg(num_classes=0),
    'vit_base_patch16_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_base_patch16_224.sam_in1k': _vcfg(),
    'vit_base_patch16_224.bamboo': _vcfg(num_classes=115217, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license=None),
    'vit_base_patch16_224.dino': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch16_224.mae': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch16_384.orig_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch16_384.augreg_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch32_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_base_patch32_224.augreg_in1k': _vcfg(),
    'vit_base_patch32_224.orig_in21k': _vcfg(num_classes=0),
    'vit_base_patch32_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_base_patch32_224.sam_in1k': _vcfg(),
    'vit_base_patch32_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch32_384.augreg_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch16_224_miil.in21k': _vcfg(num_classes=11221, interpolation='bilinear', crop_pct=0.875, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_base_patch16_224_miil.in21k_ft_in1k': _vcfg(interpolation='bilinear', crop_pct=0.875, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_base_patch16_plus_240.untrained': _vcfg(hf_hub_id=None, input_size=(3, 240, 240), crop_pct=0.95),
    'vit_base_patch32_plus_256.untrained': _vcfg(hf_hub_id=None, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_base_patch16_rpn_224.sw_in1k': _vcfg(),
    'vit_large_patch14_224.untrained': _vcfg(hf_hub_id=None),
    'vit_large_patch16_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_large_patch16_224.orig_in21k': _vcfg(num_classes=0),
    'vit_large_patch16_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_large_patch16_224.mae': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_large_patch16_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_large_patch32_224.orig_in21k': _vcfg(num_classes=0),
    'vit_large_patch32_384.orig_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_huge_patch14_224.orig_in21k': _vcfg(num_classes=0),
    'vit_huge_patch14_224.untrained': _vcfg(hf_hub_id=None),
    'vit_huge_patch14_224.mae': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_gap_224.untrained': _vcfg(hf_hub_id=None),
    'vit_huge_patch14_gap_224.in1k_ijepa': _vcfg(hf_hub_id=None, url='https://dl.fbaipublicfiles.com/ijepa/IN1K-vit.h.14-300e.pth.tar', num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_gap_224.in22k_ijepa': _vcfg(hf_hub_id=None, url='https://dl.fbaipublicfiles.com/ijepa/IN22K-vit.h.14-900e.pth.tar', num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch16_gap_448.in1k_ijepa': _vcfg(hf_hub_id=None, url='https://dl.fbaipublicfiles.com/ijepa/IN1K-vit.h.16-448px-300e.pth.tar', num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_reg4_gap_256.untrained': _vcfg(hf_hub_id=None, input_size=(3, 256, 256)),
    'vit_base_patch16_clip_224.laion2b_ft_in12k_in1k': _vcfg(crop_pct=0.95, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_224.openai_ft_in12k_in1k': _vcfg(crop_pct=0.95, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_224.laion2b_ft_in1k': _vcfg(crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_224.openai_ft_in1k': _vcfg(mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_224.laion2b_ft_in12k': _vcfg(num_classes=11821, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_224.openai_ft_in12k': _vcfg(num_classes=11821, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_224.laion2b': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_224.laion400m_e32': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_base_patch16_clip_224.datacompxl': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_224.dfn2b': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_base_patch16_clip_224.metaclip_2pt5b': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_clip_224.metaclip_400m': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_clip_224.openai': _vcfg(num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_384.laion2b_ft_in12k_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_384.openai_ft_in12k_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=0.95, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_384.laion2b_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_384.openai_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch16_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_base_patch16_clip_224.metaclip_2pt5b', num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_clip_quickgelu_224.metaclip_400m': _vcfg(hf_hub_id='timm/vit_base_patch16_clip_224.metaclip_400m', num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_clip_quickgelu_224.openai': _vcfg(hf_hub_id='timm/vit_base_patch16_clip_224.openai', num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_224.laion2b_ft_in12k_in1k': _vcfg(mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_224.openai_ft_in12k_in1k': _vcfg(hf_hub_id=None, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_224.laion2b_ft_in1k': _vcfg(mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_224.openai_ft_in1k': _vcfg(mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_224.laion2b': _vcfg(num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_224.laion400m_e32': _vcfg(num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_base_patch32_clip_224.datacompxl': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_224.metaclip_2pt5b': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch32_clip_224.metaclip_400m': _vcfg(num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch32_clip_224.openai': _vcfg(num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_256.datacompxl': _vcfg(num_classes=512, input_size=(3, 256, 256), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_384.laion2b_ft_in12k_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_384.openai_ft_in12k_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=0.95, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_448.laion2b_ft_in12k_in1k': _vcfg(input_size=(3, 448, 448), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_quickgelu_224.laion400m_e32': _vcfg(hf_hub_id='timm/vit_base_patch32_clip_224.laion400m_e32', num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_base_patch32_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_base_patch32_clip_224.metaclip_2pt5b', num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch32_clip_quickgelu_224.metaclip_400m': _vcfg(hf_hub_id='timm/vit_base_patch32_clip_224.metaclip_400m', num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch32_clip_quickgelu_224.openai': _vcfg(hf_hub_id='timm/vit_base_patch32_clip_224.openai', num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_224.laion2b_ft_in12k_in1k': _vcfg(crop_pct=1.0),
    'vit_large_patch14_clip_224.openai_ft_in12k_in1k': _vcfg(crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_224.laion2b_ft_in1k': _vcfg(crop_pct=1.0),
    'vit_large_patch14_clip_224.openai_ft_in1k': _vcfg(crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_224.laion2b_ft_in12k': _vcfg(num_classes=11821, crop_pct=1.0),
    'vit_large_patch14_clip_224.openai_ft_in12k': _vcfg(num_classes=11821, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_224.laion2b': _vcfg(num_classes=768, crop_pct=1.0),
    'vit_large_patch14_clip_224.laion400m_e32': _vcfg(num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_large_patch14_clip_224.datacompxl': _vcfg(num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_224.dfn2b_s39b': _vcfg(num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_large_patch14_clip_224.dfn2b': _vcfg(num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_large_patch14_clip_224.metaclip_2pt5b': _vcfg(num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_large_patch14_clip_224.metaclip_400m': _vcfg(num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_large_patch14_clip_224.openai': _vcfg(num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_224.apple_mclip2_dfndr2b': _vcfg(num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-amlr'),
    'vit_large_patch14_clip_336.laion2b_ft_in12k_in1k': _vcfg(input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash'),
    'vit_large_patch14_clip_336.openai_ft_in12k_in1k': _vcfg(input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_336.laion2b_ft_in1k': _vcfg(input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash'),
    'vit_large_patch14_clip_336.openai': _vcfg(num_classes=768, input_size=(3, 336, 336), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_quickgelu_224.dfn2b': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_224.dfn2b', num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_large_patch14_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_224.metaclip_2pt5b', num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_large_patch14_clip_quickgelu_224.metaclip_400m': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_224.metaclip_400m', num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_large_patch14_clip_quickgelu_224.openai': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_224.openai', num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_quickgelu_336.openai': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_336.openai', num_classes=768, input_size=(3, 336, 336), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.laion2b_ft_in12k_in1k': _vcfg(crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.laion2b_ft_in1k': _vcfg(crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.laion2b_ft_in12k': _vcfg(num_classes=11821, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.laion2b': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.dfn5b': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_huge_patch14_clip_224.metaclip2_worldwide': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_224.metaclip_2pt5b': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_224.metaclip_altogether': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_336.laion2b_ft_in12k_in1k': _vcfg(input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_336.laion2b_ft_in1k': _vcfg(hf_hub_id='', input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_378.dfn5b': _vcfg(num_classes=1024, input_size=(3, 378, 378), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_huge_patch14_clip_378.metaclip2_worldwide': _vcfg(num_classes=1024, input_size=(3, 378, 378), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_quickgelu_224.dfn5b': _vcfg(hf_hub_id='timm/vit_huge_patch14_clip_224.dfn5b', num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_huge_patch14_clip_quickgelu_224.metaclip2_worldwide': _vcfg(hf_hub_id='timm/vit_huge_patch14_clip_224.metaclip2_worldwide', num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_huge_patch14_clip_224.metaclip_2pt5b', num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_quickgelu_378.dfn5b': _vcfg(hf_hub_id='timm/vit_huge_patch14_clip_378.dfn5b', num_classes=1024, input_size=(3, 378, 378), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_base_patch16_plus_clip_240.laion400m_e32': _vcfg(num_classes=640, input_size=(3, 240, 240), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_small_patch14_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch14_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_large_patch14_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_small_patch14_reg4_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch14_reg4_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_large_patch14_reg4_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch16_siglip_224.v2_webli': _vcfg(num_classes=0),
    'vit_base_patch16_siglip_224.webli': _vcfg(num_classes=0),
    'vit_base_patch16_siglip_gap_224.v2_webli': _vcfg(num_classes=0),
    'vit_base_patch16_siglip_gap_224.webli': _vcfg(num_classes=0),
    'vit_base_patch16_siglip_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_256.webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_256.webli_i18n': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_gap_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_gap_256.webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_gap_256.webli_i18n': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch16_siglip_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch16_siglip_gap_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch16_siglip_gap_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch16_siglip_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_base_patch16_siglip_512.webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_base_patch16_siglip_gap_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_base_patch16_siglip_gap_512.webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_base_patch32_siglip_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch32_siglip_gap_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_256.webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_gap_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_gap_256.webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_large_patch16_siglip_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_large_patch16_siglip_gap_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_large_patch16_siglip_gap_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_large_patch16_siglip_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_large_patch16_siglip_gap_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_small_patch16_18x2_224.untrained': _vcfg(hf_hub_id=None),
    'vit_base_patch16_18x2_224.untrained': _vcfg(hf_hub_id=None),
    'vit_base_patch14_reg1_tipsv2.webli': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_large_patch14_reg1_tipsv2.webli': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_base_patch16_radio_v3.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_large_patch16_radio_v3.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_huge_patch16_radio_v3.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_huge_patch16_radio_v4.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_base_patch16_xp_224.untrained': _vcfg(hf_hub_id=None),
    'vit_large_patch14_xp_224.untrained': _vcfg(hf_hub_id=None),
    'vit_huge_patch14_xp_224.untrained': _vcfg(hf_hub_id=None),
})

# CLIP image towers: pre-norm, LayerNorm eps 1e-5 (PyTorch's default, which the OpenAI / OpenCLIP weights use)
_CLIP = dict(pre_norm=True, norm_layer=partial(nn.LayerNorm, eps=1e-5))
_CLIP_QG = dict(_CLIP, act_layer='quick_gelu')
_GAP = dict(class_token=False, global_pool='avg', fc_norm=False)
_SIGLIP = dict(class_token=False, global_pool='map')
_DINOV2 = dict(init_values=1e-5)
_DINOV2_REG = dict(init_values=1e-5, reg_tokens=4, no_embed_class=True)
_TIPS = dict(init_values=1.0, reg_tokens=1, no_embed_class=True)
_RADIO = dict(no_embed_class=True, final_norm=False)
_XP = dict(pre_norm=True, no_embed_class=True, norm_layer=RmsNorm, block_fn=ParallelScalingBlock, qkv_bias=False,
           qk_norm=True)

_T = dict(embed_dim=192, depth=12, num_heads=3)
_S = dict(embed_dim=384, depth=12, num_heads=6)
_B = dict(embed_dim=768, depth=12, num_heads=12)
_L = dict(embed_dim=1024, depth=24, num_heads=16)
_H = dict(embed_dim=1280, depth=32, num_heads=16)

@register_model
def vit_tiny_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_tiny_patch16_224', pretrained, dict(patch_size=16, **_T), kwargs)


@register_model
def vit_tiny_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_tiny_patch16_384', pretrained, dict(patch_size=16, **_T), kwargs)


@register_model
def vit_small_patch8_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_small_patch8_224', pretrained, dict(patch_size=8, **_S), kwargs)


@register_model
def vit_small_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_small_patch16_224', pretrained, dict(patch_size=16, **_S), kwargs)


@register_model
def vit_small_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_small_patch16_384', pretrained, dict(patch_size=16, **_S), kwargs)


@register_model
def vit_small_patch32_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_small_patch32_224', pretrained, dict(patch_size=32, **_S), kwargs)


@register_model
def vit_small_patch32_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_small_patch32_384', pretrained, dict(patch_size=32, **_S), kwargs)


@register_model
def vit_small_patch16_36x1_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_small_patch16_36x1_224', pretrained,
                dict(patch_size=16, embed_dim=384, depth=36, num_heads=6, init_values=1e-5), kwargs)


@register_model
def vit_base_patch8_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch8_224', pretrained, dict(patch_size=8, **_B), kwargs)


@register_model
def vit_base_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_224', pretrained, dict(patch_size=16, **_B), kwargs)


@register_model
def vit_base_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_384', pretrained, dict(patch_size=16, **_B), kwargs)


@register_model
def vit_base_patch32_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_224', pretrained, dict(patch_size=32, **_B), kwargs)


@register_model
def vit_base_patch32_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_384', pretrained, dict(patch_size=32, **_B), kwargs)


@register_model
def vit_base_patch16_224_miil(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_224_miil', pretrained, dict(patch_size=16, qkv_bias=False, **_B), kwargs)


@register_model
def vit_base_patch16_plus_240(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_plus_240', pretrained,
                dict(patch_size=16, embed_dim=896, depth=12, num_heads=14, init_values=1e-5), kwargs)


@register_model
def vit_base_patch32_plus_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_plus_256', pretrained,
                dict(patch_size=32, embed_dim=896, depth=12, num_heads=14, init_values=1e-5), kwargs)


@register_model
def vit_base_patch16_rpn_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """ViT-B/16 with residual post-norm blocks, no class token, average pooling."""
    model_args = dict(patch_size=16, qkv_bias=False, init_values=1e-5, class_token=False, block_fn=ResPostBlock,
                      global_pool='avg', **_B)
    return _vit('vit_base_patch16_rpn_224', pretrained, model_args, kwargs)


@register_model
def vit_large_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_224', pretrained, dict(patch_size=14, **_L), kwargs)


@register_model
def vit_large_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_224', pretrained, dict(patch_size=16, **_L), kwargs)


@register_model
def vit_large_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_384', pretrained, dict(patch_size=16, **_L), kwargs)


@register_model
def vit_large_patch32_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch32_224', pretrained, dict(patch_size=32, **_L), kwargs)


@register_model
def vit_large_patch32_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch32_384', pretrained, dict(patch_size=32, **_L), kwargs)


@register_model
def vit_huge_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch14_224', pretrained, dict(patch_size=14, **_H), kwargs)


@register_model
def vit_base_patch16_gap_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_gap_224', pretrained,
                dict(patch_size=16, embed_dim=768, depth=12, num_heads=16, **_GAP), kwargs)


@register_model
def vit_huge_patch14_gap_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch14_gap_224', pretrained, dict(patch_size=14, **_H, **_GAP), kwargs)


@register_model
def vit_huge_patch16_gap_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch16_gap_448', pretrained, dict(patch_size=16, **_H, **_GAP), kwargs)


@register_model
def vit_base_patch16_reg4_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    model_args = dict(patch_size=16, class_token=False, no_embed_class=True, global_pool='avg', reg_tokens=4, **_B)
    return _vit('vit_base_patch16_reg4_gap_256', pretrained, model_args, kwargs)


@register_model
def vit_base_patch16_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_clip_224', pretrained, dict(patch_size=16, **_B, **_CLIP), kwargs)


@register_model
def vit_base_patch16_clip_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_clip_384', pretrained, dict(patch_size=16, **_B, **_CLIP), kwargs)


@register_model
def vit_base_patch16_clip_quickgelu_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_clip_quickgelu_224', pretrained, dict(patch_size=16, **_B, **_CLIP_QG), kwargs)


@register_model
def vit_base_patch32_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_clip_224', pretrained, dict(patch_size=32, **_B, **_CLIP), kwargs)


@register_model
def vit_base_patch32_clip_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_clip_256', pretrained, dict(patch_size=32, **_B, **_CLIP), kwargs)


@register_model
def vit_base_patch32_clip_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_clip_384', pretrained, dict(patch_size=32, **_B, **_CLIP), kwargs)


@register_model
def vit_base_patch32_clip_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_clip_448', pretrained, dict(patch_size=32, **_B, **_CLIP), kwargs)


@register_model
def vit_base_patch32_clip_quickgelu_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_clip_quickgelu_224', pretrained, dict(patch_size=32, **_B, **_CLIP_QG), kwargs)


@register_model
def vit_large_patch14_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_clip_224', pretrained, dict(patch_size=14, **_L, **_CLIP), kwargs)


@register_model
def vit_large_patch14_clip_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_clip_336', pretrained, dict(patch_size=14, **_L, **_CLIP), kwargs)


@register_model
def vit_large_patch14_clip_quickgelu_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_clip_quickgelu_224', pretrained, dict(patch_size=14, **_L, **_CLIP_QG), kwargs)


@register_model
def vit_large_patch14_clip_quickgelu_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_clip_quickgelu_336', pretrained, dict(patch_size=14, **_L, **_CLIP_QG), kwargs)


@register_model
def vit_huge_patch14_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch14_clip_224', pretrained, dict(patch_size=14, **_H, **_CLIP), kwargs)


@register_model
def vit_huge_patch14_clip_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch14_clip_336', pretrained, dict(patch_size=14, **_H, **_CLIP), kwargs)


@register_model
def vit_huge_patch14_clip_378(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch14_clip_378', pretrained, dict(patch_size=14, **_H, **_CLIP), kwargs)


@register_model
def vit_huge_patch14_clip_quickgelu_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch14_clip_quickgelu_224', pretrained, dict(patch_size=14, **_H, **_CLIP_QG), kwargs)


@register_model
def vit_huge_patch14_clip_quickgelu_378(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch14_clip_quickgelu_378', pretrained, dict(patch_size=14, **_H, **_CLIP_QG), kwargs)


@register_model
def vit_base_patch16_plus_clip_240(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_plus_clip_240', pretrained,
                dict(patch_size=16, embed_dim=896, depth=12, num_heads=14, **_CLIP), kwargs)


@register_model
def vit_small_patch14_dinov2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_small_patch14_dinov2', pretrained, dict(patch_size=14, **_S, **_DINOV2), kwargs)


@register_model
def vit_base_patch14_dinov2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch14_dinov2', pretrained, dict(patch_size=14, **_B, **_DINOV2), kwargs)


@register_model
def vit_large_patch14_dinov2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_dinov2', pretrained, dict(patch_size=14, **_L, **_DINOV2), kwargs)


@register_model
def vit_small_patch14_reg4_dinov2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_small_patch14_reg4_dinov2', pretrained, dict(patch_size=14, **_S, **_DINOV2_REG), kwargs)


@register_model
def vit_base_patch14_reg4_dinov2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch14_reg4_dinov2', pretrained, dict(patch_size=14, **_B, **_DINOV2_REG), kwargs)


@register_model
def vit_large_patch14_reg4_dinov2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_reg4_dinov2', pretrained, dict(patch_size=14, **_L, **_DINOV2_REG), kwargs)


@register_model
def vit_base_patch16_siglip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_siglip_224', pretrained, dict(patch_size=16, **_B, **_SIGLIP), kwargs)


@register_model
def vit_base_patch16_siglip_gap_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_siglip_gap_224', pretrained, dict(patch_size=16, **_B, **_GAP), kwargs)


@register_model
def vit_base_patch16_siglip_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_siglip_256', pretrained, dict(patch_size=16, **_B, **_SIGLIP), kwargs)


@register_model
def vit_base_patch16_siglip_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_siglip_gap_256', pretrained, dict(patch_size=16, **_B, **_GAP), kwargs)


@register_model
def vit_base_patch16_siglip_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_siglip_384', pretrained, dict(patch_size=16, **_B, **_SIGLIP), kwargs)


@register_model
def vit_base_patch16_siglip_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_siglip_gap_384', pretrained, dict(patch_size=16, **_B, **_GAP), kwargs)


@register_model
def vit_base_patch16_siglip_512(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_siglip_512', pretrained, dict(patch_size=16, **_B, **_SIGLIP), kwargs)


@register_model
def vit_base_patch16_siglip_gap_512(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_siglip_gap_512', pretrained, dict(patch_size=16, **_B, **_GAP), kwargs)


@register_model
def vit_base_patch32_siglip_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_siglip_256', pretrained,
                dict(patch_size=32, **_B, **_SIGLIP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_base_patch32_siglip_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch32_siglip_gap_256', pretrained,
                dict(patch_size=32, **_B, **_GAP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_large_patch16_siglip_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_siglip_256', pretrained, dict(patch_size=16, **_L, **_SIGLIP), kwargs)


@register_model
def vit_large_patch16_siglip_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_siglip_gap_256', pretrained, dict(patch_size=16, **_L, **_GAP), kwargs)


@register_model
def vit_large_patch16_siglip_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_siglip_384', pretrained, dict(patch_size=16, **_L, **_SIGLIP), kwargs)


@register_model
def vit_large_patch16_siglip_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_siglip_gap_384', pretrained, dict(patch_size=16, **_L, **_GAP), kwargs)


@register_model
def vit_large_patch16_siglip_512(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_siglip_512', pretrained,
                dict(patch_size=16, **_L, **_SIGLIP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_large_patch16_siglip_gap_512(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_siglip_gap_512', pretrained,
                dict(patch_size=16, **_L, **_GAP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_small_patch16_18x2_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    model_args = dict(patch_size=16, embed_dim=384, depth=18, num_heads=6, init_values=1e-5,
                      block_fn=ParallelThingsBlock)
    return _vit('vit_small_patch16_18x2_224', pretrained, model_args, kwargs)


@register_model
def vit_base_patch16_18x2_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    model_args = dict(patch_size=16, embed_dim=768, depth=18, num_heads=12, init_values=1e-5,
                      block_fn=ParallelThingsBlock)
    return _vit('vit_base_patch16_18x2_224', pretrained, model_args, kwargs)


@register_model
def vit_base_patch14_reg1_tipsv2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch14_reg1_tipsv2', pretrained, dict(patch_size=14, **_B, **_TIPS), kwargs)


@register_model
def vit_large_patch14_reg1_tipsv2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_reg1_tipsv2', pretrained, dict(patch_size=14, **_L, **_TIPS), kwargs)


@register_model
def vit_base_patch16_radio_v3(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_radio_v3', pretrained,
                dict(img_size=512, patch_size=16, **_B, init_values=1e-5, **_RADIO, reg_tokens=7), kwargs)


@register_model
def vit_large_patch16_radio_v3(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch16_radio_v3', pretrained,
                dict(img_size=512, patch_size=16, **_L, init_values=1e-5, **_RADIO, reg_tokens=7), kwargs)


@register_model
def vit_huge_patch16_radio_v3(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch16_radio_v3', pretrained,
                dict(img_size=512, patch_size=16, **_H, **_RADIO, reg_tokens=7), kwargs)


@register_model
def vit_huge_patch16_radio_v4(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch16_radio_v4', pretrained,
                dict(img_size=512, patch_size=16, **_H, **_RADIO, reg_tokens=9), kwargs)


@register_model
def vit_base_patch16_xp_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_base_patch16_xp_224', pretrained, dict(patch_size=16, **_B, **_XP), kwargs)


@register_model
def vit_large_patch14_xp_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_large_patch14_xp_224', pretrained, dict(patch_size=14, **_L, **_XP), kwargs)


@register_model
def vit_huge_patch14_xp_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_huge_patch14_xp_224', pretrained, dict(patch_size=14, **_H, **_XP), kwargs)
