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
- Larger towers: ViT-g / G, "Scaling Vision Transformers", Zhai et al., 2021 (arXiv:2106.04560); shape-optimised
  SoViT-400m / 150m, "Getting ViT in Shape", Alabdulmohsin et al., 2023 (arXiv:2305.13035); SigLIP 2, Tschannen
  et al., 2025 (arXiv:2502.14786).
- AIMv2 (SwiGLU MLPs, RMSNorm, norm inside the patch embedding): "Multimodal Autoregressive Pre-training of Large
  Vision Encoders", Fini et al., 2024 (arXiv:2411.14402). DINOv2-g uses SwiGLU with packed gate / value weights.
- FlexiViT (patch-size resampling): Beyer et al., 2022 (arXiv:2212.08013).
- BEiT-3 towers (sub-LayerNorm inside attention and MLP): "Image as a Foreign Language", Wang et al., 2022
  (arXiv:2208.10442).
- Differential attention ("d*" models): "Differential Transformer", Ye et al., 2024 (arXiv:2410.05258).
- EVA-L, TinyCLIP, InternViT-300M and I-JEPA weights reuse the plain blocks with the switches below.

Deviations from the papers, all matching the published timm weights: the token order is [class, registers,
patches]; the position embedding covers the class/register tokens unless `no_embed_class` (DeiT-III / big_vision
style, where it covers the patches only); global-average-pool models ("gap") keep the final norm before pooling
unless `fc_norm` moves it after. Attention runs through the fused `F.scaled_dot_product_attention` by default;
every attention module also has an explicit (matmul / softmax) path, chosen with its `fused_attn` attribute or
the process default in `zoo.layers.config`.

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

from zoo.constants import (
    IMAGENET_DEFAULT_MEAN,
    IMAGENET_DEFAULT_STD,
    IMAGENET_INCEPTION_MEAN,
    IMAGENET_INCEPTION_STD,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
)
from zoo.layers import DropPath, LayerNorm, LayerType, get_act_layer, get_norm_layer
from zoo.layers.attention import Attention, attend
from zoo.layers.attention_pool import AttentionPoolLatent
from zoo.layers.config import use_fused_attn
from zoo.layers.diff_attention import DiffAttention, DiffLambdaMixin
from zoo.layers.layer_scale import LayerScale
from zoo.layers.mlp import Mlp, SwiGLUPacked
from zoo.layers.swiglu import SwiGLU
from zoo.layers.patch_embed import PatchEmbed, resample_patch_embed
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.rms_norm import RmsNorm
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag, named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

# the position embedding is resampled to the input's grid with Python branches on its size: symbolic tracing
# (feature_cls='fx') records the call instead of stepping in
torch.fx.wrap('resample_abs_pos_embed')

__all__ = ['VisionTransformer', 'Block', 'ResPostBlock', 'ParallelThingsBlock', 'ParallelScalingBlock',
           'DiffParallelScalingBlock', 'checkpoint_filter_fn']

_logger = logging.getLogger(__name__)

_GLOBAL_POOLS = ('', 'avg', 'avgmax', 'max', 'token', 'map')
# attention layers selectable by name through `attn_layer`
_ATTN_LAYERS: Dict[str, Type[nn.Module]] = {'': Attention, 'attn': Attention, 'diff': DiffAttention}
SizeT = Union[int, Tuple[int, int]]


def _make_attn(
        attn_layer: Union[str, Type[nn.Module]],
        dim: int,
        num_heads: int,
        qkv_bias: bool,
        qk_norm: bool,
        scale_norm: bool,
        proj_bias: bool,
        attn_drop: float,
        proj_drop: float,
        norm_layer: Callable[[int], nn.Module],
        depth: int,
) -> nn.Module:
    if isinstance(attn_layer, str):
        if attn_layer not in _ATTN_LAYERS:
            raise ValueError(f'Unknown attn_layer {attn_layer!r}; use one of {sorted(_ATTN_LAYERS)} or a class.')
        attn_layer = _ATTN_LAYERS[attn_layer]
    # only depth-dependent layers (differential attention) take the block index
    extra = dict(depth=depth) if isinstance(attn_layer, type) and issubclass(attn_layer, DiffLambdaMixin) else {}
    return attn_layer(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm, scale_norm=scale_norm,
                      proj_bias=proj_bias, attn_drop=attn_drop, proj_drop=proj_drop, norm_layer=norm_layer, **extra)


def _make_mlp(mlp_layer: Type[nn.Module], dim: int, mlp_ratio: float, act_layer: Type[nn.Module],
              norm_layer: Optional[Callable[[int], nn.Module]], proj_bias: bool, proj_drop: float) -> nn.Module:
    return mlp_layer(dim, int(dim * mlp_ratio), act_layer=act_layer, norm_layer=norm_layer, bias=proj_bias,
                     drop=proj_drop)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)), each branch optionally LayerScaled.

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / dim.
        qkv_bias: bias on the qkv projection.
        qk_norm: per-head query/key norm.
        scale_attn_norm: norm the attention output before its projection (BEiT-3's sub-LayerNorm).
        scale_mlp_norm: norm the MLP hidden activations before fc2 (likewise).
        proj_bias: bias on the attention output projection and MLP linears.
        init_values: LayerScale init; None disables LayerScale.
        proj_drop: dropout after projections.
        attn_drop: dropout on attention probabilities.
        drop_path: stochastic depth rate of both branches.
        act_layer: MLP activation.
        norm_layer: norm factory.
        mlp_layer: MLP class (Mlp-compatible signature).
        attn_layer: attention class or name ('' / 'attn': softmax attention, 'diff': differential attention).
        depth: index of the block in the network (depth-dependent attention layers use it).
    """

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            scale_attn_norm: bool = False,
            scale_mlp_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            mlp_layer: Type[nn.Module] = Mlp,
            attn_layer: Union[str, Type[nn.Module]] = Attention,
            depth: int = 0,
    ):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = _make_attn(attn_layer, dim, num_heads, qkv_bias, qk_norm, scale_attn_norm, proj_bias, attn_drop,
                               proj_drop, norm_layer, depth)
        self.ls1 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = _make_mlp(mlp_layer, dim, mlp_ratio, act_layer, norm_layer if scale_mlp_norm else None, proj_bias,
                             proj_drop)
        self.ls2 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.ls1(self.attn(self.norm1(x))))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


def init_post_norm_gains_(block: nn.Module) -> None:
    """A residual post-norm block has no LayerScale: its two norms' gains start at `block.init_values` instead."""
    if block.init_values is None:
        return
    with torch.no_grad():
        for norm in (block.norm1, block.norm2):
            norm.weight.fill_(block.init_values)


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
            scale_attn_norm: bool = False,
            scale_mlp_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            mlp_layer: Type[nn.Module] = Mlp,
            attn_layer: Union[str, Type[nn.Module]] = Attention,
            depth: int = 0,
    ):
        super().__init__()
        self.init_values = init_values
        self.attn = _make_attn(attn_layer, dim, num_heads, qkv_bias, qk_norm, scale_attn_norm, proj_bias, attn_drop,
                               proj_drop, norm_layer, depth)
        self.norm1 = norm_layer(dim)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.mlp = _make_mlp(mlp_layer, dim, mlp_ratio, act_layer, norm_layer if scale_mlp_norm else None, proj_bias,
                             proj_drop)
        self.norm2 = norm_layer(dim)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def init_weights(self) -> None:
        init_post_norm_gains_(self)

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
            scale_attn_norm: bool = False,
            scale_mlp_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            mlp_layer: Type[nn.Module] = Mlp,
            attn_layer: Union[str, Type[nn.Module]] = Attention,
            depth: int = 0,
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
            branch(_make_attn(attn_layer, dim, num_heads, qkv_bias, qk_norm, scale_attn_norm, proj_bias, attn_drop,
                              proj_drop, norm_layer, depth), 'attn')
            for _ in range(num_parallel)])
        self.ffns = nn.ModuleList([
            branch(_make_mlp(mlp_layer, dim, mlp_ratio, act_layer, norm_layer if scale_mlp_norm else None, proj_bias,
                             proj_drop), 'mlp')
            for _ in range(num_parallel)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + torch.stack([attn(x) for attn in self.attns]).sum(dim=0)
        return x + torch.stack([ffn(x) for ffn in self.ffns]).sum(dim=0)


class ParallelScalingBlock(nn.Module):
    """Attention and MLP in parallel off one norm, with their input projections fused into one linear.

    "Scaling Vision Transformers to 22 Billion Parameters", Dehghani et al., 2023 (arXiv:2302.05442), section 2:
    y = x + attn(norm(x)) + mlp(norm(x)), computed with one `in_proj` producing [mlp hidden, q, k, v]. When the
    fused projection has no bias the MLP keeps its own (`mlp_bias`), as in the published "xp" checkpoints.
    `fuse_out_proj` also fuses the two output projections into one linear over [attention out, mlp hidden].
    Arguments as for `Block`; the scale norms are not supported (the branches share their projections), and
    `mlp_layer` / `attn_layer` only accept the defaults (both are fused here; the arguments keep the block signature
    uniform).
    """
    # query/key heads per attention head: differential attention (subclass) splits each head's queries in two
    qk_split = 1

    def __init__(
            self,
            dim: int,
            num_heads: int,
            mlp_ratio: float = 4.,
            qkv_bias: bool = False,
            qk_norm: bool = False,
            scale_attn_norm: bool = False,
            scale_mlp_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            proj_drop: float = 0.,
            attn_drop: float = 0.,
            drop_path: float = 0.,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Callable[[int], nn.Module] = LayerNorm,
            mlp_layer: Optional[Type[nn.Module]] = None,
            attn_layer: Optional[Union[str, Type[nn.Module]]] = None,
            depth: int = 0,
            fuse_out_proj: bool = False,
    ):
        super().__init__()
        if dim % (num_heads * self.qk_split):
            raise ValueError(f'dim ({dim}) must be divisible by {num_heads * self.qk_split} (heads x query splits).')
        if scale_attn_norm or scale_mlp_norm:
            raise ValueError(f'{type(self).__name__} does not support scale_attn_norm / scale_mlp_norm.')
        if mlp_layer not in (None, Mlp) or attn_layer not in (None, '', 'attn', Attention):
            raise ValueError(f'{type(self).__name__} computes its own fused attention and MLP; mlp_layer / '
                             f'attn_layer cannot replace them (use block_fn=Block for custom layers).')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads // self.qk_split
        self.fused_attn = use_fused_attn()
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
        if fuse_out_proj:
            self.out_proj = nn.Linear(dim + mlp_hidden, dim, bias=proj_bias)
            self.attn_out_proj = self.mlp_out_proj = None
        else:
            self.out_proj = None
            self.attn_out_proj = nn.Linear(dim, dim, bias=proj_bias)
            self.mlp_out_proj = nn.Linear(mlp_hidden, dim, bias=proj_bias)
        self.ls = LayerScale(dim, init_values) if init_values is not None else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def init_weights(self) -> None:
        if self.mlp_bias is not None:
            nn.init.zeros_(self.mlp_bias)

    def _attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Multi-head attention of (B, N, C) queries / keys / values, returned as (B, N, C)."""
        b, n, c = q.shape
        q = self.q_norm(q.view(b, n, self.num_heads, self.head_dim)).transpose(1, 2)
        k = self.k_norm(k.view(b, n, self.num_heads, self.head_dim)).transpose(1, 2)
        v = v.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)
        x = attend(q, k, v, fused=self.fused_attn, dropout_p=self.attn_drop.p if self.training else 0.)
        return x.transpose(1, 2).reshape(b, n, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_mlp, q, k, v = torch.split(self.in_proj(self.in_norm(x)), self.in_split, dim=-1)
        if self.mlp_bias is not None:
            x_mlp = x_mlp + self.mlp_bias
        x_attn = self._attention(q, k, v)
        x_mlp = self.mlp_drop(self.mlp_act(x_mlp))
        if self.out_proj is not None:
            y = self.out_proj(torch.cat((x_attn, x_mlp), dim=-1))
        else:
            y = self.attn_out_proj(x_attn) + self.mlp_out_proj(x_mlp)
        return x + self.drop_path(self.ls(y))


class DiffParallelScalingBlock(DiffLambdaMixin, ParallelScalingBlock):
    """`ParallelScalingBlock` whose attention is differential ("Differential Transformer", Ye et al., 2024,
    arXiv:2410.05258), with one fused output projection, as in the published "dpwee" weights.

    Arguments as for `ParallelScalingBlock`; `depth` (the block index) sets the lambda initialisation.
    """
    qk_split = 2

    def __init__(self, dim: int, num_heads: int, depth: int = 0, **kwargs: Any):
        kwargs['fuse_out_proj'] = True
        super().__init__(dim, num_heads, depth=depth, **kwargs)
        self.sub_norm = RmsNorm(2 * self.head_dim, eps=1e-5)
        self._init_lambda(self.head_dim, depth)

    def _attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return self._differential_heads(q, k, v)


def _init_vit_module(module: nn.Module, name: str = '') -> None:
    # truncated normal (std .02) linears with zero bias: the BERT / original ViT PyTorch recipe
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif hasattr(module, 'init_weights') and not isinstance(module, VisionTransformer):
        module.init_weights()


def pool_tokens(x: torch.Tensor, pool_type: str, num_prefix_tokens: int, include_prefix: bool = False) -> torch.Tensor:
    """Reduce (B, N, C) tokens to (B, C): 'token' takes the first (class) token, the others reduce the patches
    (and the prefix tokens too when `include_prefix`)."""
    if pool_type == 'token':
        return x[:, 0]
    if not pool_type:
        return x
    tokens = x if include_prefix else x[:, num_prefix_tokens:]
    if pool_type == 'avg':
        return tokens.mean(1)
    if pool_type == 'max':
        return tokens.amax(1)
    if pool_type == 'avgmax':
        return 0.5 * (tokens.mean(1) + tokens.amax(1))
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
        scale_attn_norm: norm the attention output before its projection in every block (BEiT-3).
        scale_mlp_norm: norm the MLP hidden activations in every block (BEiT-3).
        proj_bias: bias on attention output projections and MLP linears.
        init_values: LayerScale init; None disables LayerScale.
        class_token: prepend a learned class token.
        pos_embed: 'learn' for a learned absolute position embedding, 'none' (or '') for none.
        no_embed_class: the position embedding covers patch tokens only (prefix tokens get none).
        reg_tokens: number of learned register tokens.
        pre_norm: norm the embedded tokens before the blocks (CLIP); also drops the patch-embedding bias.
        final_norm: norm after the blocks (or after pooling, see fc_norm).
        fc_norm: put the final norm after pooling instead of before; None chooses it for avg/max pooling.
        pool_include_prefix: pooling (average or attention) also reads the class / register tokens.
        dynamic_img_size: accept any input size, resampling the position embedding on the fly.
        dynamic_img_pad: pad inputs to a multiple of the patch size.
        drop_rate: dropout before the classifier.
        pos_drop_rate: dropout after adding the position embedding.
        proj_drop_rate: dropout after projections inside blocks.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth rate of the last block (linear in depth).
        weight_init: '' for the default init, 'skip' to leave modules as constructed.
        embed_layer: patch embedding class (`PatchEmbed`, or a `HybridEmbed` partial with its backbone).
        embed_norm_layer: norm applied to the patch tokens inside the embedding (AIMv2).
        norm_layer: norm (name or factory); LayerNorm with eps 1e-6 by default.
        act_layer: MLP activation (name or class); GELU by default.
        block_fn: block class (Block, ResPostBlock, ParallelThingsBlock, ParallelScalingBlock, ...).
        mlp_layer: MLP class used inside blocks.
        attn_layer: attention class or name ('attn', 'diff') used inside blocks.
    """
    trunk = Trunk(levels='blocks', final=('norm',), level_fmt='NLC')
    norm_levels = 'all'
    classifier_name = 'head'
    # one group per block (coarse and fine are the same for an isotropic net); the final norm joins the last
    groups = dict(stem=r'^cls_token|reg_token|dist_token|pos_embed|patch_embed|norm_pre',
                  blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])
    no_weight_decay_names = ('pos_embed', 'cls_token', 'reg_token', 'dist_token')
    grad_checkpointing = checkpoint_flag('blocks')

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
            scale_attn_norm: bool = False,
            scale_mlp_norm: bool = False,
            proj_bias: bool = True,
            init_values: Optional[float] = None,
            class_token: bool = True,
            pos_embed: str = 'learn',
            no_embed_class: bool = False,
            reg_tokens: int = 0,
            pre_norm: bool = False,
            final_norm: bool = True,
            fc_norm: Optional[bool] = None,
            pool_include_prefix: bool = False,
            dynamic_img_size: bool = False,
            dynamic_img_pad: bool = False,
            drop_rate: float = 0.,
            pos_drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            weight_init: str = '',
            embed_layer: Callable[..., nn.Module] = PatchEmbed,
            embed_norm_layer: Optional[LayerType] = None,
            norm_layer: Optional[LayerType] = None,
            act_layer: Optional[LayerType] = None,
            block_fn: Type[nn.Module] = Block,
            mlp_layer: Type[nn.Module] = Mlp,
            attn_layer: Union[str, Type[nn.Module]] = Attention,
    ):
        super().__init__()
        if global_pool not in _GLOBAL_POOLS:
            raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
        if global_pool == 'token' and not class_token:
            raise ValueError("global_pool='token' needs the class token (class_token=True).")
        if weight_init not in ('', 'skip'):
            raise ValueError(f"weight_init must be '' or 'skip', got {weight_init!r}.")
        if pos_embed not in ('', 'none', 'learn'):
            raise ValueError(f"pos_embed must be 'learn' or 'none', got {pos_embed!r}.")
        use_fc_norm = global_pool in ('avg', 'avgmax', 'max') if fc_norm is None else fc_norm
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        embed_norm_layer = get_norm_layer(embed_norm_layer)
        act_layer = get_act_layer(act_layer) or nn.GELU

        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_reg_tokens = reg_tokens
        self.has_class_token = class_token
        self.num_prefix_tokens = int(class_token) + reg_tokens + self._extra_prefix_tokens()
        self.no_embed_class = no_embed_class
        self.pool_include_prefix = pool_include_prefix
        self.dynamic_img_size = dynamic_img_size

        embed_args: Dict[str, Any] = {}
        if dynamic_img_size:
            # keep the token grid (NHWC) until the position embedding has been resampled to it
            embed_args.update(strict_img_size=False, output_fmt='NHWC')
        if embed_norm_layer is not None:
            embed_args['norm_layer'] = embed_norm_layer
        # CLIP towers normalise right after embedding, which makes a patch-embedding bias redundant
        self.patch_embed = embed_layer(img_size=img_size, patch_size=patch_size, in_chans=in_chans,
                                       embed_dim=embed_dim, bias=not pre_norm, dynamic_img_pad=dynamic_img_pad,
                                       **embed_args)
        num_patches = self.patch_embed.num_patches
        reduction = self.patch_embed.feat_ratio()

        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.reg_token = nn.Parameter(torch.zeros(1, reg_tokens, embed_dim)) if reg_tokens else None
        self._init_extra_tokens(embed_dim)
        embed_len = num_patches if no_embed_class else num_patches + self.num_prefix_tokens
        self.pos_embed = nn.Parameter(torch.zeros(1, embed_len, embed_dim)) if pos_embed == 'learn' else None
        self.pos_drop = nn.Dropout(p=pos_drop_rate)
        self.norm_pre = norm_layer(embed_dim) if pre_norm else nn.Identity()

        # stochastic depth grows linearly with depth (Huang et al., 2016)
        dpr = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = CheckpointSequential(*[
            block_fn(
                dim=embed_dim,
                num_heads=num_heads,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                qk_norm=qk_norm,
                scale_attn_norm=scale_attn_norm,
                scale_mlp_norm=scale_mlp_norm,
                proj_bias=proj_bias,
                init_values=init_values,
                proj_drop=proj_drop_rate,
                attn_drop=attn_drop_rate,
                drop_path=dpr[i],
                norm_layer=norm_layer,
                act_layer=act_layer,
                mlp_layer=mlp_layer,
                attn_layer=attn_layer,
                depth=i,
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

    @property
    def _pos_embed_prefix(self) -> int:
        """Leading entries of the position embedding that belong to prefix tokens (not to the patch grid)."""
        return 0 if self.no_embed_class else self.num_prefix_tokens

    def init_weights(self) -> None:
        if self.pos_embed is not None:
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

    def set_input_size(self, img_size: Optional[SizeT] = None, patch_size: Optional[SizeT] = None) -> None:
        """Rebuild for a new input size and/or patch size, resampling the position (and patch) embedding."""
        prev_grid = self.patch_embed.grid_size
        self.patch_embed.set_input_size(img_size=img_size, patch_size=patch_size)
        new_grid = self.patch_embed.grid_size
        if self.pos_embed is not None and new_grid != prev_grid:
            with torch.no_grad():
                pos_embed = resample_abs_pos_embed(self.pos_embed, new_grid, old_size=prev_grid,
                                                   num_prefix_tokens=self._pos_embed_prefix, verbose=True)
            self.pos_embed = nn.Parameter(pos_embed, requires_grad=self.pos_embed.requires_grad)
        self.feature_info = [dict(fi, reduction=self.patch_embed.feat_ratio()) for fi in self.feature_info]
        self._record_input_size(self.patch_embed.img_size)

    def _pos_embed(self, x: torch.Tensor) -> torch.Tensor:
        prefix = self._prefix_tokens(x.shape[0])
        # dynamic size: an NHWC token grid of whatever size the input gave (the flag, not x.ndim, decides, so that
        # symbolic tracing sees no data-dependent branch)
        if self.dynamic_img_size:
            b, h, w, c = x.shape
            pos_embed = None if self.pos_embed is None else resample_abs_pos_embed(
                self.pos_embed, (h, w), old_size=self.patch_embed.grid_size, num_prefix_tokens=self._pos_embed_prefix)
            x = x.reshape(b, h * w, c)
        else:
            pos_embed = self.pos_embed
        if pos_embed is None:
            x = torch.cat(prefix + [x], dim=1) if prefix else x
        elif self.no_embed_class:
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
        return self.norm(self.blocks(self._embed(x)))

    def pool(self, x: torch.Tensor, pool_type: Optional[str] = None) -> torch.Tensor:
        if self.attn_pool is not None:
            return self.attn_pool(x if self.pool_include_prefix else x[:, self.num_prefix_tokens:])
        return pool_tokens(x, self.global_pool if pool_type is None else pool_type, self.num_prefix_tokens,
                           include_prefix=self.pool_include_prefix)

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


def _source_grid(model: VisionTransformer, state_dict: Dict[str, torch.Tensor],
                 num_tokens: int) -> Optional[Tuple[int, int]]:
    """The patch grid a checkpoint's position embedding was trained for, when the model's cfg tells it.

    The model's pretrained cfg names the resolution its weights were made at; with the checkpoint's own patch size
    that gives the grid, if it accounts for every embedding entry (None otherwise).
    """
    patch_weight = state_dict.get('patch_embed.proj.weight')
    cfg = getattr(model, 'pretrained_cfg', None) or {}
    if patch_weight is None or patch_weight.ndim != 4 or 'input_size' not in cfg:
        return None
    grid = tuple(s // p for s, p in zip(cfg['input_size'][-2:], patch_weight.shape[-2:]))
    return grid if grid[0] * grid[1] == num_tokens else None


def _square_grid(num_tokens: int) -> Optional[Tuple[int, int]]:
    side = int(round(num_tokens ** 0.5))
    return (side, side) if side * side == num_tokens else None


# how each family's published weights want their embeddings resampled: FlexiViT and RADIO were trained with
# bilinear (not antialiased) resizing, RADIO v3 base / huge with aligned corners; everything else with antialiased
# bicubic, as the original ViT fine-tunes
_RADIO_ALIGN_CORNERS = ('vit_base_patch16_radio_v3', 'vit_huge_patch16_radio_v3')


def _resample_mode(architecture: str) -> Tuple[str, bool, Optional[bool]]:
    if 'flexi' in architecture:
        return 'bilinear', False, None
    if 'radio' in architecture:
        return 'bilinear', False, (True if architecture in _RADIO_ALIGN_CORNERS else None)
    return 'bicubic', True, None


def checkpoint_filter_fn(
        state_dict: Dict[str, torch.Tensor],
        model: VisionTransformer,
        interpolation: Optional[str] = None,
        antialias: Optional[bool] = None,
) -> Dict[str, torch.Tensor]:
    """Adapt a ViT checkpoint to `model`: unwrap containers, and resample patch and position embeddings.

    - Training-script containers (`model`, `state_dict`, I-JEPA's `encoder`), DistributedDataParallel's `module.`
      prefix, and OpenCLIP towers with a timm trunk (`visual.trunk.`; `visual.head.proj` becomes the classifier) are
      unwrapped.
    - Patch-projection kernels of another patch size are resampled (FlexiViT pseudo-inverse resize).
    - A position embedding made for another patch grid (e.g. a 224 checkpoint loaded into a 384 model) is
      interpolated to the model's grid.
    - The unused `pre_logits` layer of early in21k checkpoints is dropped, and so is an attention pool the model
      was built without (a SigLIP tower with `global_pool='avg'`).

    `interpolation` / `antialias` default to what the model's architecture was trained with (`_resample_mode`).
    """
    arch_mode = _resample_mode((getattr(model, 'pretrained_cfg', None) or {}).get('architecture') or '')
    interpolation = arch_mode[0] if interpolation is None else interpolation
    antialias = arch_mode[1] if antialias is None else antialias
    align_corners = arch_mode[2]
    for container in ('model', 'state_dict', 'encoder'):
        if isinstance(state_dict.get(container), dict):
            state_dict = state_dict[container]
    if state_dict and all(k.startswith('module.') for k in state_dict):  # saved from DistributedDataParallel (I-JEPA)
        state_dict = {k[len('module.'):]: v for k, v in state_dict.items()}
    out = {}
    if 'visual.trunk.pos_embed' in state_dict or 'visual.trunk.blocks.0.norm1.weight' in state_dict:
        proj = state_dict.get('visual.head.proj.weight')
        if proj is not None and isinstance(model.head, nn.Linear):
            out['head.weight'] = proj
            out['head.bias'] = torch.zeros(proj.shape[0], dtype=proj.dtype)
        state_dict = {k[len('visual.trunk.'):]: v for k, v in state_dict.items() if k.startswith('visual.trunk.')}
    for key, value in state_dict.items():
        if 'pre_logits' in key or (key.startswith('attn_pool.') and model.attn_pool is None):
            continue
        if key.endswith('patch_embed.proj.weight') and isinstance(getattr(model.patch_embed, 'proj', None), nn.Conv2d):
            kernel = model.patch_embed.proj.weight.shape
            if value.ndim < 4:  # a linear patch projection over flattened patches
                value = value.reshape(kernel[0], -1, *kernel[-2:])
            if value.shape[-2:] != kernel[-2:]:
                value = resample_patch_embed(value, kernel[-2:], interpolation=interpolation, antialias=antialias,
                                             verbose=True)
        elif key == 'pos_embed' and model.pos_embed is not None:
            num_prefix = model._pos_embed_prefix
            num_grid = value.shape[1] - num_prefix
            old_grid = _source_grid(model, state_dict, num_grid)
            if value.shape[1] != model.pos_embed.shape[1] or (old_grid and old_grid != model.patch_embed.grid_size):
                old_grid = old_grid or _square_grid(num_grid)
                if old_grid is None:
                    raise ValueError(f'Cannot resample a pos_embed of {value.shape[1]} tokens ({num_prefix} prefix): '
                                     f'its patch grid is not square and the pretrained cfg does not give it.')
                value = resample_abs_pos_embed(value, model.patch_embed.grid_size, old_size=old_grid,
                                               num_prefix_tokens=num_prefix, interpolation=interpolation,
                                               antialias=antialias, verbose=True, align_corners=align_corners)
        out[key] = value
    return out


def _create_vision_transformer(variant: str, pretrained: bool = False, **kwargs) -> VisionTransformer:
    # timm's features_only default for ViTs is the last three blocks
    return build_model_with_cfg(VisionTransformer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


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
    'vit_base_patch8_224.augreg2_in21k_ft_in1k': _vcfg(),
    'vit_base_patch8_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_base_patch8_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_base_patch8_224.dino': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_tiny_patch16_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_tiny_patch16_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_tiny_patch16_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_small_patch32_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_small_patch32_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_small_patch32_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_small_patch16_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_small_patch16_224.augreg_in1k': _vcfg(),
    'vit_small_patch16_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_small_patch16_224.dino': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_small_patch16_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_small_patch16_384.augreg_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch32_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_base_patch32_224.augreg_in1k': _vcfg(),
    'vit_base_patch32_224.orig_in21k': _vcfg(num_classes=0),
    'vit_base_patch32_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_base_patch32_224.sam_in1k': _vcfg(),
    'vit_base_patch32_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch32_384.augreg_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch16_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch16_384.orig_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch16_384.augreg_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_large_patch16_224.augreg_in21k_ft_in1k': _vcfg(),
    'vit_large_patch16_224.orig_in21k': _vcfg(num_classes=0),
    'vit_large_patch16_224.augreg_in21k': _vcfg(num_classes=21843),
    'vit_large_patch16_224.mae': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_large_patch16_384.augreg_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_large_patch32_384.orig_in21k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_large_patch14_224.untrained': _vcfg(hf_hub_id=None),
    'vit_huge_patch14_224.orig_in21k': _vcfg(num_classes=0),
    'vit_huge_patch14_224.untrained': _vcfg(hf_hub_id=None),
    'vit_huge_patch14_224.mae': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_giant_patch14_224.untrained': _vcfg(hf_hub_id=None),
    'vit_gigantic_patch14_224.untrained': _vcfg(hf_hub_id=None),
    'vit_large_patch32_224.orig_in21k': _vcfg(num_classes=0),
    'vit_small_patch8_224.dino': _vcfg(num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_small_patch14_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch14_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_large_patch14_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_giant_patch14_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_small_patch14_reg4_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch14_reg4_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_large_patch14_reg4_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_giant_patch14_reg4_dinov2.lvd142m': _vcfg(num_classes=0, input_size=(3, 518, 518), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch14_reg1_tipsv2.webli': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_large_patch14_reg1_tipsv2.webli': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_so400m_patch14_reg1_tipsv2.webli': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_giant_patch14_reg1_tipsv2.webli': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_base_patch16_224_miil.in21k': _vcfg(num_classes=11221, interpolation='bilinear', crop_pct=0.875, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_base_patch16_224_miil.in21k_ft_in1k': _vcfg(interpolation='bilinear', crop_pct=0.875, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'vit_base_patch16_rpn_224.sw_in1k': _vcfg(),
    'vit_medium_patch16_gap_240.sw_in12k': _vcfg(num_classes=11821, input_size=(3, 240, 240), crop_pct=0.95),
    'vit_medium_patch16_gap_256.sw_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_medium_patch16_gap_384.sw_in12k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=0.95, crop_mode='squash'),
    'vit_betwixt_patch16_gap_256.untrained': _vcfg(hf_hub_id=None, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_base_patch16_gap_224.untrained': _vcfg(hf_hub_id=None),
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
    'vit_base_patch32_clip_384.laion2b_ft_in12k_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_384.openai_ft_in12k_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=0.95, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_base_patch32_clip_448.laion2b_ft_in12k_in1k': _vcfg(input_size=(3, 448, 448), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
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
    'vit_huge_patch14_clip_224.laion2b_ft_in12k_in1k': _vcfg(crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.laion2b_ft_in1k': _vcfg(crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.laion2b_ft_in12k': _vcfg(num_classes=11821, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.laion2b': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_224.dfn5b': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_huge_patch14_clip_224.metaclip2_worldwide': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_224.metaclip_2pt5b': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_224.metaclip_altogether': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_336.laion2b_ft_in12k_in1k': _vcfg(input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_336.laion2b_ft_in1k': _vcfg(hf_hub_id=None, input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_giant_patch14_clip_224.laion2b': _vcfg(num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_gigantic_patch14_clip_224.laion2b': _vcfg(num_classes=1280, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_gigantic_patch14_clip_224.metaclip2_worldwide': _vcfg(num_classes=1280, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_gigantic_patch14_clip_224.metaclip_2pt5b': _vcfg(num_classes=1280, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_plus_clip_240.laion400m_e32': _vcfg(num_classes=640, input_size=(3, 240, 240), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_base_patch32_clip_256.datacompxl': _vcfg(num_classes=512, input_size=(3, 256, 256), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_378.dfn5b': _vcfg(num_classes=1024, input_size=(3, 378, 378), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_huge_patch14_clip_378.metaclip2_worldwide': _vcfg(num_classes=1024, input_size=(3, 378, 378), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_gigantic_patch14_clip_378.metaclip2_worldwide': _vcfg(num_classes=1280, input_size=(3, 378, 378), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch32_plus_256.untrained': _vcfg(hf_hub_id=None, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_base_patch16_plus_240.untrained': _vcfg(hf_hub_id=None, input_size=(3, 240, 240), crop_pct=0.95),
    'vit_small_patch16_36x1_224.untrained': _vcfg(hf_hub_id=None),
    'vit_small_patch16_18x2_224.untrained': _vcfg(hf_hub_id=None),
    'vit_base_patch16_18x2_224.untrained': _vcfg(hf_hub_id=None),
    'eva_large_patch14_196.in22k_ft_in22k_in1k': _vcfg(input_size=(3, 196, 196), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'eva_large_patch14_196.in22k_ft_in1k': _vcfg(input_size=(3, 196, 196), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'eva_large_patch14_336.in22k_ft_in22k_in1k': _vcfg(input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'eva_large_patch14_336.in22k_ft_in1k': _vcfg(input_size=(3, 336, 336), crop_pct=1.0, crop_mode='squash', mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'flexivit_small.1200ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_small.600ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_small.300ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_base.1200ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_base.600ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_base.300ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_base.1000ep_in21k': _vcfg(num_classes=21843, input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_base.300ep_in21k': _vcfg(num_classes=21843, input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_base.patch16_in21k': _vcfg(num_classes=21843, input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_base.patch30_in21k': _vcfg(num_classes=21843, input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_large.1200ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_large.600ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'flexivit_large.300ep_in1k': _vcfg(input_size=(3, 240, 240), crop_pct=0.95),
    'vit_base_patch16_xp_224.untrained': _vcfg(hf_hub_id=None),
    'vit_large_patch14_xp_224.untrained': _vcfg(hf_hub_id=None),
    'vit_huge_patch14_xp_224.untrained': _vcfg(hf_hub_id=None),
    'vit_huge_patch14_gap_224.in1k_ijepa': _vcfg(hf_hub_id=None, url='https://dl.fbaipublicfiles.com/ijepa/IN1K-vit.h.14-300e.pth.tar', num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_gap_224.in22k_ijepa': _vcfg(hf_hub_id=None, url='https://dl.fbaipublicfiles.com/ijepa/IN22K-vit.h.14-900e.pth.tar', num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch16_gap_448.in1k_ijepa': _vcfg(hf_hub_id=None, url='https://dl.fbaipublicfiles.com/ijepa/IN1K-vit.h.16-448px-300e.pth.tar', num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_giant_patch16_gap_224.in22k_ijepa': _vcfg(hf_hub_id=None, url='https://dl.fbaipublicfiles.com/ijepa/IN22K-vit.g.16-600e.pth.tar', num_classes=0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='cc-by-nc-4.0'),
    'vit_base_patch32_siglip_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_224.v2_webli': _vcfg(num_classes=0),
    'vit_base_patch16_siglip_224.webli': _vcfg(num_classes=0),
    'vit_base_patch16_siglip_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_256.webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_256.webli_i18n': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch16_siglip_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch16_siglip_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_base_patch16_siglip_512.webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_large_patch16_siglip_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_256.webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_large_patch16_siglip_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_large_patch16_siglip_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_so400m_patch14_siglip_224.v2_webli': _vcfg(num_classes=0),
    'vit_so400m_patch14_siglip_224.webli': _vcfg(num_classes=0),
    'vit_so400m_patch14_siglip_378.v2_webli': _vcfg(num_classes=0, input_size=(3, 378, 378)),
    'vit_so400m_patch14_siglip_378.webli': _vcfg(num_classes=0, input_size=(3, 378, 378)),
    'vit_so400m_patch14_siglip_378.webli_ft_in1k': _vcfg(input_size=(3, 378, 378), crop_pct=1.0, crop_mode='squash'),
    'vit_so400m_patch14_siglip_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_so400m_patch16_siglip_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_so400m_patch16_siglip_256.webli_i18n': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_so400m_patch16_siglip_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_so400m_patch16_siglip_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_giantopt_patch16_siglip_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_giantopt_patch16_siglip_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch32_siglip_gap_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_gap_224.v2_webli': _vcfg(num_classes=0),
    'vit_base_patch16_siglip_gap_224.webli': _vcfg(num_classes=0),
    'vit_base_patch16_siglip_gap_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_gap_256.webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_gap_256.webli_i18n': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_base_patch16_siglip_gap_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch16_siglip_gap_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_base_patch16_siglip_gap_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_base_patch16_siglip_gap_512.webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_large_patch16_siglip_gap_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_gap_256.webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_large_patch16_siglip_gap_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_large_patch16_siglip_gap_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_large_patch16_siglip_gap_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_so400m_patch14_siglip_gap_224.v2_webli': _vcfg(num_classes=0),
    'vit_so400m_patch14_siglip_gap_224.webli': _vcfg(num_classes=0),
    'vit_so400m_patch14_siglip_gap_224.pali_mix': _vcfg(num_classes=0),
    'vit_so400m_patch14_siglip_gap_224.pali_pt': _vcfg(num_classes=0),
    'vit_so400m_patch14_siglip_gap_224.pali2_3b_pt': _vcfg(num_classes=0),
    'vit_so400m_patch14_siglip_gap_224.pali2_10b_pt': _vcfg(num_classes=0),
    'vit_so400m_patch14_siglip_gap_378.v2_webli': _vcfg(num_classes=0, input_size=(3, 378, 378)),
    'vit_so400m_patch14_siglip_gap_378.webli': _vcfg(num_classes=0, input_size=(3, 378, 378), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_378.webli_ft_in1k': _vcfg(input_size=(3, 378, 378), crop_pct=1.0, crop_mode='squash'),
    'vit_so400m_patch14_siglip_gap_384.webli': _vcfg(num_classes=0, input_size=(3, 384, 384), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_448.pali_mix': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_448.pali_pt': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_448.pali_refcoco_seg': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_448.pali_ocrvqa': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_448.pali2_3b_pt': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_448.pali2_10b_pt': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_448.pali2_3b_docci': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_448.pali2_10b_docci': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_896.pali_pt': _vcfg(num_classes=0, input_size=(3, 896, 896), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_896.pali_refcoco_seg': _vcfg(num_classes=0, input_size=(3, 896, 896), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_896.pali_ocrvqa': _vcfg(num_classes=0, input_size=(3, 896, 896), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_896.pali2_3b_pt': _vcfg(num_classes=0, input_size=(3, 896, 896), crop_pct=1.0),
    'vit_so400m_patch14_siglip_gap_896.pali2_10b_pt': _vcfg(num_classes=0, input_size=(3, 896, 896), crop_pct=1.0),
    'vit_so400m_patch16_siglip_gap_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_so400m_patch16_siglip_gap_256.webli_i18n': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_so400m_patch16_siglip_gap_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_so400m_patch16_siglip_gap_512.v2_webli': _vcfg(num_classes=0, input_size=(3, 512, 512)),
    'vit_giantopt_patch16_siglip_gap_256.v2_webli': _vcfg(num_classes=0, input_size=(3, 256, 256)),
    'vit_giantopt_patch16_siglip_gap_384.v2_webli': _vcfg(num_classes=0, input_size=(3, 384, 384)),
    'vit_xsmall_patch16_clip_224.tinyclip_yfcc15m': _vcfg(num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_medium_patch32_clip_224.tinyclip_laion400m': _vcfg(num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_medium_patch16_clip_224.tinyclip_yfcc15m': _vcfg(num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_betwixt_patch32_clip_224.tinyclip_laion400m': _vcfg(num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_wee_patch16_reg1_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_dwee_patch16_reg1_gap_256.sbb_nadamuon_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_dwee_patch16_reg1_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_pwee_patch16_reg1_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_dpwee_patch16_reg1_gap_256.sbb_nadamuon_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_dpwee_patch16_reg1_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_little_patch16_reg1_gap_256.sbb_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_little_patch16_reg1_gap_256.sbb_in12k': _vcfg(num_classes=11821, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_little_patch16_reg4_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_dlittle_patch16_reg1_gap_256.sbb_nadamuon_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_medium_patch16_reg1_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_medium_patch16_reg4_gap_256.sbb_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_medium_patch16_reg4_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_medium_patch16_reg4_gap_256.sbb_in12k': _vcfg(num_classes=11821, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_mediumd_patch16_reg4_gap_256.sbb2_e200_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_mediumd_patch16_reg4_gap_256.sbb_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_mediumd_patch16_reg4_gap_256.sbb2_e200_in12k': _vcfg(num_classes=11821, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_mediumd_patch16_reg4_gap_256.sbb_in12k': _vcfg(num_classes=11821, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_mediumd_patch16_reg4_gap_384.sbb2_e200_in12k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_betwixt_patch16_reg1_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_betwixt_patch16_reg4_gap_256.sbb2_e200_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_betwixt_patch16_reg4_gap_256.sbb_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_betwixt_patch16_reg4_gap_256.sbb_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_betwixt_patch16_reg4_gap_256.sbb2_e200_in12k': _vcfg(num_classes=11821, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_betwixt_patch16_reg4_gap_256.sbb_in12k': _vcfg(num_classes=11821, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_betwixt_patch16_reg4_gap_384.sbb2_e200_in12k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_base_patch16_reg4_gap_256.untrained': _vcfg(hf_hub_id=None, input_size=(3, 256, 256)),
    'vit_so150m_patch16_reg4_gap_256.sbb_e250_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=0.95),
    'vit_so150m_patch16_reg4_gap_256.sbb_e250_in12k': _vcfg(num_classes=11821, input_size=(3, 256, 256), crop_pct=0.95),
    'vit_so150m_patch16_reg4_gap_384.sbb_e250_in12k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_so150m_patch16_reg4_map_256.untrained': _vcfg(hf_hub_id=None, input_size=(3, 256, 256)),
    'vit_so150m2_patch16_reg1_gap_256.sbb_e200_in12k_ft_in1k': _vcfg(input_size=(3, 256, 256), crop_pct=1.0),
    'vit_so150m2_patch16_reg1_gap_256.sbb_e200_in12k': _vcfg(num_classes=11821, input_size=(3, 256, 256), crop_pct=1.0),
    'vit_so150m2_patch16_reg1_gap_384.sbb_e200_in12k_ft_in1k': _vcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'vit_so150m2_patch16_reg1_gap_448.sbb_e200_in12k_ft_in1k': _vcfg(input_size=(3, 448, 448), crop_pct=1.0, crop_mode='squash'),
    'vit_intern300m_patch14_448.ogvl_dist': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, license='mit'),
    'vit_intern300m_patch14_448.ogvl_2pt5': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'aimv2_large_patch14_224.apple_pt': _vcfg(num_classes=0, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_large_patch14_224.apple_pt_dist': _vcfg(num_classes=0, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_huge_patch14_224.apple_pt': _vcfg(num_classes=0, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_1b_patch14_224.apple_pt': _vcfg(num_classes=0, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_3b_patch14_224.apple_pt': _vcfg(num_classes=0, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_large_patch14_336.apple_pt': _vcfg(num_classes=0, input_size=(3, 336, 336), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_large_patch14_336.apple_pt_dist': _vcfg(num_classes=0, input_size=(3, 336, 336), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_huge_patch14_336.apple_pt': _vcfg(num_classes=0, input_size=(3, 336, 336), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_1b_patch14_336.apple_pt': _vcfg(num_classes=0, input_size=(3, 336, 336), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_3b_patch14_336.apple_pt': _vcfg(num_classes=0, input_size=(3, 336, 336), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_large_patch14_448.apple_pt': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_huge_patch14_448.apple_pt': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_1b_patch14_448.apple_pt': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'aimv2_3b_patch14_448.apple_pt': _vcfg(num_classes=0, input_size=(3, 448, 448), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'test_vit.r160_in1k': _vcfg(input_size=(3, 160, 160), crop_pct=0.95),
    'test_vit2.r160_in1k': _vcfg(input_size=(3, 160, 160), crop_pct=0.95),
    'test_vit3.r160_in1k': _vcfg(input_size=(3, 160, 160), crop_pct=0.95),
    'test_vit4.r160_in1k': _vcfg(hf_hub_id=None, input_size=(3, 160, 160), crop_pct=0.95),
    'beit3_base_patch16_224.in22k_ft_in1k': _vcfg(crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_base_patch16_224.indomain_in22k_ft_in1k': _vcfg(crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_base_patch16_224.pt': _vcfg(num_classes=0, crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_base_patch16_224.indomain_pt': _vcfg(num_classes=0, crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_large_patch16_224.in22k_ft_in1k': _vcfg(crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_large_patch16_224.indomain_in22k_ft_in1k': _vcfg(crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_large_patch16_224.pt': _vcfg(num_classes=0, crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_large_patch16_224.indomain_pt': _vcfg(num_classes=0, crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_giant_patch14_224.untrained': _vcfg(hf_hub_id=None, crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'beit3_giant_patch14_336.untrained': _vcfg(hf_hub_id=None, input_size=(3, 336, 336), crop_pct=1.0, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'vit_base_patch16_radio_v3.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_large_patch16_radio_v3.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_huge_patch16_radio_v3.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_giant_patch16_radio_v3.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_so400m_patch16_radio_v4.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_huge_patch16_radio_v4.c_radio': _vcfg(num_classes=0, input_size=(3, 512, 512), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='nvidia-open-model-license'),
    'vit_base_patch32_clip_quickgelu_224.laion400m_e32': _vcfg(hf_hub_id='timm/vit_base_patch32_clip_224.laion400m_e32', num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='mit'),
    'vit_base_patch32_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_base_patch32_clip_224.metaclip_2pt5b', num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch32_clip_quickgelu_224.metaclip_400m': _vcfg(hf_hub_id='timm/vit_base_patch32_clip_224.metaclip_400m', num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch32_clip_quickgelu_224.openai': _vcfg(hf_hub_id='timm/vit_base_patch32_clip_224.openai', num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_large_patch14_clip_quickgelu_224.dfn2b': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_224.dfn2b', num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_large_patch14_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_224.metaclip_2pt5b', num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_large_patch14_clip_quickgelu_224.metaclip_400m': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_224.metaclip_400m', num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_large_patch14_clip_quickgelu_224.openai': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_224.openai', num_classes=768, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_huge_patch14_clip_quickgelu_224.dfn5b': _vcfg(hf_hub_id='timm/vit_huge_patch14_clip_224.dfn5b', num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_huge_patch14_clip_quickgelu_224.metaclip2_worldwide': _vcfg(hf_hub_id='timm/vit_huge_patch14_clip_224.metaclip2_worldwide', num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_huge_patch14_clip_224.metaclip_2pt5b', num_classes=1024, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_huge_patch14_clip_quickgelu_378.dfn5b': _vcfg(hf_hub_id='timm/vit_huge_patch14_clip_378.dfn5b', num_classes=1024, input_size=(3, 378, 378), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='apple-ascl'),
    'vit_base_patch16_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_base_patch16_clip_224.metaclip_2pt5b', num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_clip_quickgelu_224.metaclip_400m': _vcfg(hf_hub_id='timm/vit_base_patch16_clip_224.metaclip_400m', num_classes=512, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_base_patch16_clip_quickgelu_224.openai': _vcfg(hf_hub_id='timm/vit_base_patch16_clip_224.openai', num_classes=512, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
    'vit_gigantic_patch14_clip_quickgelu_224.metaclip_2pt5b': _vcfg(hf_hub_id='timm/vit_gigantic_patch14_clip_224.metaclip_2pt5b', num_classes=1280, crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD, license='cc-by-nc-4.0'),
    'vit_large_patch14_clip_quickgelu_336.openai': _vcfg(hf_hub_id='timm/vit_large_patch14_clip_336.openai', num_classes=768, input_size=(3, 336, 336), crop_pct=1.0, mean=OPENAI_CLIP_MEAN, std=OPENAI_CLIP_STD),
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


# ---- larger and re-proportioned widths (ViT-g / G: "Scaling Vision Transformers", Zhai et al., 2021,
# arXiv:2106.04560; SoViT-400m / 150m: "Getting ViT in Shape", Alabdulmohsin et al., 2023, arXiv:2305.13035) ----
_G = dict(embed_dim=1408, depth=40, num_heads=16, mlp_ratio=48 / 11)
_BIGG = dict(embed_dim=1664, depth=48, num_heads=16, mlp_ratio=64 / 13)
_SO400M = dict(embed_dim=1152, depth=27, num_heads=16, mlp_ratio=3.7362)
_GOPT = dict(embed_dim=1536, depth=40, num_heads=16)
# DINOv2-g: SwiGLU with the hidden width its reference rounds to (4096), stored packed (gate and value in one fc1)
_G_SWIGLU = dict(embed_dim=1536, depth=40, num_heads=24, mlp_ratio=2.66667 * 2, mlp_layer=SwiGLUPacked,
                 act_layer=nn.SiLU)
_M = dict(embed_dim=512, depth=12, num_heads=8)
_BETWIXT = dict(embed_dim=640, depth=12, num_heads=10)
_LITTLE = dict(embed_dim=320, depth=14, num_heads=5, mlp_ratio=5.6)
_WEE = dict(embed_dim=256, num_heads=4, mlp_ratio=5)
# global-average-pool models trained in timm: no class token, final norm before pooling, LayerScale 1e-6
_GAP_LS = dict(class_token=False, global_pool='avg', qkv_bias=False, init_values=1e-6, fc_norm=False)
# register-token gap models (big_vision style embedding over patches only), pooled through fc_norm
_REG_GAP = dict(class_token=False, no_embed_class=True, global_pool='avg', init_values=1e-5)
_SO150M = dict(embed_dim=896, depth=18, num_heads=14, mlp_ratio=2.572, class_token=False, reg_tokens=4)
_SO150M2 = dict(embed_dim=832, depth=21, num_heads=13, mlp_ratio=34 / 13, init_values=1e-5, qkv_bias=False,
                class_token=False, reg_tokens=1, global_pool='avg')
# AIMv2: "Multimodal Autoregressive Pre-training of Large Vision Encoders", Fini et al., 2024 (arXiv:2411.14402)
_AIMV2 = dict(patch_size=14, class_token=False, fc_norm=False, global_pool='avg', qkv_bias=False, proj_bias=False,
              act_layer='silu', norm_layer=partial(RmsNorm, eps=1e-5), embed_norm_layer=partial(RmsNorm, eps=1e-5),
              mlp_layer=SwiGLU)
# BEiT-3 vision towers: "Image as a Foreign Language", Wang et al., 2022 (arXiv:2208.10442); sub-LayerNorms inside
# attention and MLP, mean-pooled
_BEIT3 = dict(scale_attn_norm=True, scale_mlp_norm=True, class_token=True, global_pool='avg',
              norm_layer=partial(LayerNorm, eps=1e-5))


@register_model
def vit_giant_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giant_patch14_224', pretrained, dict(patch_size=14, **_G), kwargs)


@register_model
def vit_gigantic_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_gigantic_patch14_224', pretrained, dict(patch_size=14, **_BIGG), kwargs)


@register_model
def vit_medium_patch16_gap_240(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_medium_patch16_gap_240', pretrained, dict(patch_size=16, **_M, **_GAP_LS), kwargs)


@register_model
def vit_medium_patch16_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_medium_patch16_gap_256', pretrained, dict(patch_size=16, **_M, **_GAP_LS), kwargs)


@register_model
def vit_medium_patch16_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_medium_patch16_gap_384', pretrained, dict(patch_size=16, **_M, **_GAP_LS), kwargs)


@register_model
def vit_betwixt_patch16_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_betwixt_patch16_gap_256', pretrained, dict(patch_size=16, **_BETWIXT, **_GAP_LS), kwargs)


@register_model
def vit_giant_patch16_gap_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giant_patch16_gap_224', pretrained, dict(patch_size=16, **_G, **_GAP), kwargs)


@register_model
def vit_xsmall_patch16_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """TinyCLIP 8M image tower."""
    return _vit('vit_xsmall_patch16_clip_224', pretrained,
                dict(patch_size=16, embed_dim=256, depth=10, num_heads=4, **_CLIP), kwargs)


@register_model
def vit_medium_patch32_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """TinyCLIP 40M image tower."""
    return _vit('vit_medium_patch32_clip_224', pretrained, dict(patch_size=32, **_M, **_CLIP), kwargs)


@register_model
def vit_medium_patch16_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """TinyCLIP 39M image tower."""
    return _vit('vit_medium_patch16_clip_224', pretrained, dict(patch_size=16, **_M, **_CLIP), kwargs)


@register_model
def vit_betwixt_patch32_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """TinyCLIP 61M image tower."""
    return _vit('vit_betwixt_patch32_clip_224', pretrained, dict(patch_size=32, **_BETWIXT, **_CLIP), kwargs)


@register_model
def vit_giant_patch14_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giant_patch14_clip_224', pretrained, dict(patch_size=14, **_G, **_CLIP), kwargs)


@register_model
def vit_gigantic_patch14_clip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_gigantic_patch14_clip_224', pretrained, dict(patch_size=14, **_BIGG, **_CLIP), kwargs)


@register_model
def vit_gigantic_patch14_clip_378(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_gigantic_patch14_clip_378', pretrained, dict(patch_size=14, **_BIGG, **_CLIP), kwargs)


@register_model
def vit_gigantic_patch14_clip_quickgelu_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_gigantic_patch14_clip_quickgelu_224', pretrained,
                dict(patch_size=14, **_BIGG, **_CLIP_QG), kwargs)


@register_model
def eva_large_patch14_196(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """EVA-L: "EVA: Exploring the Limits of Masked Visual Representation Learning at Scale", Fang et al., 2022."""
    return _vit('eva_large_patch14_196', pretrained, dict(patch_size=14, **_L, global_pool='avg'), kwargs)


@register_model
def eva_large_patch14_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('eva_large_patch14_336', pretrained, dict(patch_size=14, **_L, global_pool='avg'), kwargs)


@register_model
def flexivit_small(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """FlexiViT-S: "FlexiViT: One Model for All Patch Sizes", Beyer et al., 2022 (arXiv:2212.08013)."""
    return _vit('flexivit_small', pretrained, dict(patch_size=16, **_S, no_embed_class=True), kwargs)


@register_model
def flexivit_base(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('flexivit_base', pretrained, dict(patch_size=16, **_B, no_embed_class=True), kwargs)


@register_model
def flexivit_large(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('flexivit_large', pretrained, dict(patch_size=16, **_L, no_embed_class=True), kwargs)


@register_model
def vit_giant_patch14_dinov2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giant_patch14_dinov2', pretrained, dict(patch_size=14, **_G_SWIGLU, init_values=1e-5), kwargs)


@register_model
def vit_giant_patch14_reg4_dinov2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giant_patch14_reg4_dinov2', pretrained, dict(patch_size=14, **_G_SWIGLU, **_DINOV2_REG), kwargs)


@register_model
def vit_so400m_patch14_reg1_tipsv2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch14_reg1_tipsv2', pretrained,
                dict(patch_size=14, **dict(_SO400M, mlp_ratio=4304 / 1152), **_TIPS), kwargs)


@register_model
def vit_giant_patch14_reg1_tipsv2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giant_patch14_reg1_tipsv2', pretrained, dict(patch_size=14, **_G_SWIGLU, **_TIPS), kwargs)


@register_model
def vit_so400m_patch14_siglip_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch14_siglip_224', pretrained, dict(patch_size=14, **_SO400M, **_SIGLIP), kwargs)


@register_model
def vit_so400m_patch14_siglip_378(pretrained: bool = False, **kwargs) -> VisionTransformer:
    # 378 divides into 14 px patches (27 x 27), unlike 384
    return _vit('vit_so400m_patch14_siglip_378', pretrained, dict(patch_size=14, **_SO400M, **_SIGLIP), kwargs)


@register_model
def vit_so400m_patch14_siglip_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch14_siglip_384', pretrained, dict(patch_size=14, **_SO400M, **_SIGLIP), kwargs)


@register_model
def vit_so400m_patch16_siglip_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch16_siglip_256', pretrained,
                dict(patch_size=16, **_SO400M, **_SIGLIP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_so400m_patch16_siglip_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch16_siglip_384', pretrained,
                dict(patch_size=16, **_SO400M, **_SIGLIP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_so400m_patch16_siglip_512(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch16_siglip_512', pretrained,
                dict(patch_size=16, **_SO400M, **_SIGLIP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_giantopt_patch16_siglip_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giantopt_patch16_siglip_256', pretrained,
                dict(patch_size=16, **_GOPT, **_SIGLIP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_giantopt_patch16_siglip_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giantopt_patch16_siglip_384', pretrained,
                dict(patch_size=16, **_GOPT, **_SIGLIP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_so400m_patch14_siglip_gap_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch14_siglip_gap_224', pretrained, dict(patch_size=14, **_SO400M, **_GAP), kwargs)


@register_model
def vit_so400m_patch14_siglip_gap_378(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch14_siglip_gap_378', pretrained, dict(patch_size=14, **_SO400M, **_GAP), kwargs)


@register_model
def vit_so400m_patch14_siglip_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch14_siglip_gap_384', pretrained, dict(patch_size=14, **_SO400M, **_GAP), kwargs)


@register_model
def vit_so400m_patch14_siglip_gap_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch14_siglip_gap_448', pretrained, dict(patch_size=14, **_SO400M, **_GAP), kwargs)


@register_model
def vit_so400m_patch14_siglip_gap_896(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch14_siglip_gap_896', pretrained, dict(patch_size=14, **_SO400M, **_GAP), kwargs)


@register_model
def vit_so400m_patch16_siglip_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch16_siglip_gap_256', pretrained,
                dict(patch_size=16, **_SO400M, **_GAP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_so400m_patch16_siglip_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch16_siglip_gap_384', pretrained,
                dict(patch_size=16, **_SO400M, **_GAP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_so400m_patch16_siglip_gap_512(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch16_siglip_gap_512', pretrained,
                dict(patch_size=16, **_SO400M, **_GAP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_giantopt_patch16_siglip_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giantopt_patch16_siglip_gap_256', pretrained,
                dict(patch_size=16, **_GOPT, **_GAP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_giantopt_patch16_siglip_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giantopt_patch16_siglip_gap_384', pretrained,
                dict(patch_size=16, **_GOPT, **_GAP, act_layer='gelu_tanh'), kwargs)


@register_model
def vit_wee_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_wee_patch16_reg1_gap_256', pretrained,
                dict(patch_size=16, **_WEE, depth=14, **_REG_GAP, reg_tokens=1), kwargs)


@register_model
def vit_dwee_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """vit_wee with differential attention."""
    return _vit('vit_dwee_patch16_reg1_gap_256', pretrained,
                dict(patch_size=16, **_WEE, depth=14, **_REG_GAP, reg_tokens=1, attn_layer='diff'), kwargs)


@register_model
def vit_pwee_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """Parallel (attention + MLP off one fused projection) blocks."""
    return _vit('vit_pwee_patch16_reg1_gap_256', pretrained,
                dict(patch_size=16, **_WEE, depth=16, **_REG_GAP, reg_tokens=1, block_fn=ParallelScalingBlock), kwargs)


@register_model
def vit_dpwee_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """Parallel blocks with differential attention."""
    return _vit('vit_dpwee_patch16_reg1_gap_256', pretrained,
                dict(patch_size=16, **_WEE, depth=16, **_REG_GAP, reg_tokens=1, block_fn=DiffParallelScalingBlock),
                kwargs)


@register_model
def vit_little_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_little_patch16_reg1_gap_256', pretrained,
                dict(patch_size=16, **_LITTLE, **_REG_GAP, reg_tokens=1), kwargs)


@register_model
def vit_dlittle_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_dlittle_patch16_reg1_gap_256', pretrained,
                dict(patch_size=16, **_LITTLE, **_REG_GAP, reg_tokens=1, attn_layer='diff'), kwargs)


@register_model
def vit_little_patch16_reg4_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_little_patch16_reg4_gap_256', pretrained,
                dict(patch_size=16, **_LITTLE, **_REG_GAP, reg_tokens=4), kwargs)


@register_model
def vit_medium_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_medium_patch16_reg1_gap_256', pretrained,
                dict(patch_size=16, **_M, **_REG_GAP, reg_tokens=1), kwargs)


@register_model
def vit_medium_patch16_reg4_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_medium_patch16_reg4_gap_256', pretrained,
                dict(patch_size=16, **_M, **_REG_GAP, reg_tokens=4), kwargs)


@register_model
def vit_mediumd_patch16_reg4_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_mediumd_patch16_reg4_gap_256', pretrained,
                dict(patch_size=16, **dict(_M, depth=20), **_REG_GAP, reg_tokens=4), kwargs)


@register_model
def vit_mediumd_patch16_reg4_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_mediumd_patch16_reg4_gap_384', pretrained,
                dict(patch_size=16, **dict(_M, depth=20), **_REG_GAP, reg_tokens=4), kwargs)


@register_model
def vit_betwixt_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_betwixt_patch16_reg1_gap_256', pretrained,
                dict(patch_size=16, **_BETWIXT, **_REG_GAP, reg_tokens=1), kwargs)


@register_model
def vit_betwixt_patch16_reg4_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_betwixt_patch16_reg4_gap_256', pretrained,
                dict(patch_size=16, **_BETWIXT, **_REG_GAP, reg_tokens=4), kwargs)


@register_model
def vit_betwixt_patch16_reg4_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_betwixt_patch16_reg4_gap_384', pretrained,
                dict(patch_size=16, **_BETWIXT, **_REG_GAP, reg_tokens=4), kwargs)


@register_model
def vit_so150m_patch16_reg4_map_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so150m_patch16_reg4_map_256', pretrained,
                dict(patch_size=16, **_SO150M, global_pool='map'), kwargs)


@register_model
def vit_so150m_patch16_reg4_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so150m_patch16_reg4_gap_256', pretrained,
                dict(patch_size=16, **_SO150M, global_pool='avg', fc_norm=False), kwargs)


@register_model
def vit_so150m_patch16_reg4_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so150m_patch16_reg4_gap_384', pretrained,
                dict(patch_size=16, **_SO150M, global_pool='avg', fc_norm=False), kwargs)


@register_model
def vit_so150m2_patch16_reg1_gap_256(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so150m2_patch16_reg1_gap_256', pretrained, dict(patch_size=16, **_SO150M2), kwargs)


@register_model
def vit_so150m2_patch16_reg1_gap_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so150m2_patch16_reg1_gap_384', pretrained, dict(patch_size=16, **_SO150M2), kwargs)


@register_model
def vit_so150m2_patch16_reg1_gap_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so150m2_patch16_reg1_gap_448', pretrained, dict(patch_size=16, **_SO150M2), kwargs)


@register_model
def vit_intern300m_patch14_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """InternViT-300M (InternVL 2.5): no final norm, LayerScale 0.1, any input size."""
    return _vit('vit_intern300m_patch14_448', pretrained,
                dict(patch_size=14, **_L, init_values=0.1, final_norm=False, dynamic_img_size=True), kwargs)


@register_model
def aimv2_large_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_large_patch14_224', pretrained,
                dict(embed_dim=1024, depth=24, num_heads=8, mlp_ratio=2.75, **_AIMV2), kwargs)


@register_model
def aimv2_huge_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_huge_patch14_224', pretrained,
                dict(embed_dim=1536, depth=24, num_heads=12, mlp_ratio=2.6667, **_AIMV2), kwargs)


@register_model
def aimv2_1b_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_1b_patch14_224', pretrained,
                dict(embed_dim=2048, depth=24, num_heads=16, mlp_ratio=2.75, **_AIMV2), kwargs)


@register_model
def aimv2_3b_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_3b_patch14_224', pretrained,
                dict(embed_dim=3072, depth=24, num_heads=24, mlp_ratio=2.6667, **_AIMV2), kwargs)


@register_model
def aimv2_large_patch14_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_large_patch14_336', pretrained,
                dict(embed_dim=1024, depth=24, num_heads=8, mlp_ratio=2.75, **_AIMV2), kwargs)


@register_model
def aimv2_huge_patch14_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_huge_patch14_336', pretrained,
                dict(embed_dim=1536, depth=24, num_heads=12, mlp_ratio=2.6667, **_AIMV2), kwargs)


@register_model
def aimv2_1b_patch14_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_1b_patch14_336', pretrained,
                dict(embed_dim=2048, depth=24, num_heads=16, mlp_ratio=2.75, **_AIMV2), kwargs)


@register_model
def aimv2_3b_patch14_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_3b_patch14_336', pretrained,
                dict(embed_dim=3072, depth=24, num_heads=24, mlp_ratio=2.6667, **_AIMV2), kwargs)


@register_model
def aimv2_large_patch14_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_large_patch14_448', pretrained,
                dict(embed_dim=1024, depth=24, num_heads=8, mlp_ratio=2.75, **_AIMV2), kwargs)


@register_model
def aimv2_huge_patch14_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_huge_patch14_448', pretrained,
                dict(embed_dim=1536, depth=24, num_heads=12, mlp_ratio=2.6667, **_AIMV2), kwargs)


@register_model
def aimv2_1b_patch14_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_1b_patch14_448', pretrained,
                dict(embed_dim=2048, depth=24, num_heads=16, mlp_ratio=2.75, **_AIMV2), kwargs)


@register_model
def aimv2_3b_patch14_448(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('aimv2_3b_patch14_448', pretrained,
                dict(embed_dim=3072, depth=24, num_heads=24, mlp_ratio=2.6667, **_AIMV2), kwargs)


@register_model
def test_vit(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """A tiny ViT for tests (class token, any input size)."""
    return _vit('test_vit', pretrained,
                dict(patch_size=16, embed_dim=64, depth=6, num_heads=2, mlp_ratio=3, dynamic_img_size=True), kwargs)


@register_model
def test_vit2(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """A tiny register-token gap ViT for tests."""
    model_args = dict(patch_size=16, embed_dim=64, depth=8, num_heads=2, mlp_ratio=3, class_token=False,
                      reg_tokens=1, global_pool='avg', init_values=1e-5, dynamic_img_size=True)
    return _vit('test_vit2', pretrained, model_args, kwargs)


@register_model
def test_vit3(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """A tiny attention-pooled ViT for tests; the pool also reads the register token."""
    model_args = dict(patch_size=16, embed_dim=96, depth=9, num_heads=3, mlp_ratio=2, class_token=False,
                      reg_tokens=1, global_pool='map', pool_include_prefix=True, init_values=1e-5)
    return _vit('test_vit3', pretrained, model_args, kwargs)


@register_model
def test_vit4(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """A tiny RMSNorm ViT for tests."""
    model_args = dict(patch_size=16, embed_dim=96, depth=9, num_heads=3, mlp_ratio=3, class_token=False,
                      reg_tokens=1, global_pool='avg', init_values=1e-5, dynamic_img_size=True, norm_layer='rmsnorm')
    return _vit('test_vit4', pretrained, model_args, kwargs)


@register_model
def beit3_base_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('beit3_base_patch16_224', pretrained, dict(patch_size=16, **_B, **_BEIT3), kwargs)


@register_model
def beit3_large_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('beit3_large_patch16_224', pretrained, dict(patch_size=16, **_L, **_BEIT3), kwargs)


@register_model
def beit3_giant_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('beit3_giant_patch14_224', pretrained,
                dict(patch_size=14, **dict(_G, mlp_ratio=4.3637), **_BEIT3), kwargs)


@register_model
def beit3_giant_patch14_336(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('beit3_giant_patch14_336', pretrained,
                dict(img_size=336, patch_size=14, **dict(_G, mlp_ratio=4.3637), **_BEIT3), kwargs)


@register_model
def vit_giant_patch16_radio_v3(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_giant_patch16_radio_v3', pretrained,
                dict(img_size=512, patch_size=16, embed_dim=1536, depth=40, num_heads=24, **_RADIO, reg_tokens=7),
                kwargs)


@register_model
def vit_so400m_patch16_radio_v4(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _vit('vit_so400m_patch16_radio_v4', pretrained,
                dict(img_size=512, patch_size=16, **dict(_SO400M, mlp_ratio=4304 / 1152), **_RADIO, reg_tokens=9),
                kwargs)
