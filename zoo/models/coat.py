"""CoaT: Co-Scale Conv-Attentional Image Transformers.

Paper: "Co-Scale Conv-Attentional Image Transformers", Xu et al., ICCV 2021 (arXiv:2104.06399).

Four scales (stride 4 to 32), each with its own patch embedding and class token. Serial blocks at each scale use
conv-attention: factorized attention (softmax over the keys first, so q (softmax(k)^T v) costs O(N C^2), section 4.1)
plus a convolutional relative position encoding (depthwise convs over the values, multiplied by the queries), and
each block starts with a conditional position encoding (a depthwise conv, `zoo.layers.conv_pos_enc`). The full CoaT
models then run parallel blocks in which scales 2-4 exchange information at every block by resampling each other's
attention outputs (co-scale mechanism, section 4.2); CoaT-Lite models have serial blocks only.

The position encodings of a scale are single modules shared by all its blocks (so the published weights list them
under the model and under every block). `forward_features` returns the normalised tokens of the last scale (Lite)
or of scales 2-4 (CoaT, whose head aggregates the three class tokens with a 1x1 conv). Deviation from timm: the
`return_interm_layers` / `out_features` switch (a dict-returning forward) is not provided; `features_only` and
`forward_intermediates` give the per-scale maps. Attention dropout applies to the softmaxed keys (timm ignores it).
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerNorm, LayerType, get_norm_layer, to_2tuple, trunc_normal_
from zoo.layers.conv_pos_enc import ConvPosEnc
from zoo.layers.mlp import Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import IndicesT, Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.vision_transformer import pool_tokens

__all__ = ['CoaT', 'ConvRelPosEnc', 'FactorAttnConvRelPosEnc', 'SerialBlock', 'ParallelBlock', 'checkpoint_filter_fn']

Size = Tuple[int, int]
_GLOBAL_POOLS = ('token', 'avg')


class ConvRelPosEnc(nn.Module):
    """Convolutional relative position encoding: q * depthwise_conv(v) on the grid, per group of heads.

    Args:
        head_chs: channels per head.
        num_heads: heads.
        window: a kernel size for all heads, or {kernel size: number of heads} (e.g. {3: 2, 5: 3, 7: 3}).
    """

    def __init__(self, head_chs: int, num_heads: int, window: Union[int, Dict[int, int]]):
        super().__init__()
        window = {window: num_heads} if isinstance(window, int) else dict(window)
        if sum(window.values()) != num_heads:
            raise ValueError(f'The window head splits {window} must add up to num_heads ({num_heads}).')
        self.window = window
        self.channel_splits = [heads * head_chs for heads in window.values()]
        self.conv_list = nn.ModuleList([
            nn.Conv2d(chs, chs, kernel_size, padding=kernel_size // 2, groups=chs)
            for kernel_size, chs in zip(window.keys(), self.channel_splits)])

    def forward(self, q: torch.Tensor, v: torch.Tensor, size: Size) -> torch.Tensor:
        b, heads, _, chs = q.shape
        v_img = v[:, :, 1:].transpose(-1, -2).reshape(b, heads * chs, size[0], size[1])
        conv_v = torch.cat([conv(part) for conv, part in zip(self.conv_list, v_img.split(self.channel_splits, 1))], 1)
        conv_v = conv_v.view(b, heads, chs, -1).transpose(-1, -2)
        # the class token has no grid position: its row stays zero
        return F.pad(q[:, :, 1:] * conv_v, (0, 0, 1, 0))


class FactorAttnConvRelPosEnc(nn.Module):
    """Factorized attention q (softmax_tokens(k)^T v) * scale plus the conv relative position encoding."""

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False, attn_drop: float = 0.,
                 proj_drop: float = 0., shared_crpe: Optional[ConvRelPosEnc] = None):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.crpe = shared_crpe

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4).unbind(0)
        context = self.attn_drop(k.softmax(dim=2)).transpose(-1, -2) @ v  # B, heads, C_h, C_h
        x = self.scale * (q @ context) + self.crpe(q, v, size=size)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(b, n, c)))


class SerialBlock(nn.Module):
    """Conditional position encoding, then x + conv-attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4., qkv_bias: bool = False,
                 proj_drop: float = 0., attn_drop: float = 0., drop_path: float = 0., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = LayerNorm, shared_cpe: Optional[ConvPosEnc] = None,
                 shared_crpe: Optional[ConvRelPosEnc] = None):
        super().__init__()
        self.cpe = shared_cpe
        self.norm1 = norm_layer(dim)
        self.factoratt_crpe = FactorAttnConvRelPosEnc(dim, num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop,
                                                      proj_drop=proj_drop, shared_crpe=shared_crpe)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop)

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        x = self.cpe(x, size)
        x = x + self.drop_path(self.factoratt_crpe(self.norm1(x), size))
        return x + self.drop_path(self.mlp(self.norm2(x)))


def _resample_tokens(x: torch.Tensor, size: Size, scale: float) -> torch.Tensor:
    """Bilinearly rescale the grid part of (B, 1 + H * W, C) tokens by `scale`, keeping the class token."""
    b, _, c = x.shape
    grid = x[:, 1:].transpose(1, 2).reshape(b, c, size[0], size[1])
    grid = F.interpolate(grid, scale_factor=scale, recompute_scale_factor=False, mode='bilinear', align_corners=False)
    return torch.cat([x[:, :1], grid.flatten(2).transpose(1, 2)], dim=1)


class ParallelBlock(nn.Module):
    """Conv-attention at scales 2-4 in parallel, each scale adding the others' outputs resampled to its grid, then MLPs.

    The three scales share one MLP (registered as mlp2, mlp3 and mlp4, the layout of the published weights).
    """

    def __init__(self, dims: Sequence[int], num_heads: int, mlp_ratios: Sequence[float], qkv_bias: bool = False,
                 proj_drop: float = 0., attn_drop: float = 0., drop_path: float = 0., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = LayerNorm, shared_crpes: Sequence[ConvRelPosEnc] = ()):
        super().__init__()
        if not dims[1] == dims[2] == dims[3] or not mlp_ratios[1] == mlp_ratios[2] == mlp_ratios[3]:
            raise ValueError('Parallel blocks need equal widths and MLP ratios at scales 2-4.')
        for i in (2, 3, 4):
            self.add_module(f'norm1{i}', norm_layer(dims[i - 1]))
        for i in (2, 3, 4):
            self.add_module(f'factoratt_crpe{i}', FactorAttnConvRelPosEnc(
                dims[i - 1], num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop,
                shared_crpe=shared_crpes[i - 1]))
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        for i in (2, 3, 4):
            self.add_module(f'norm2{i}', norm_layer(dims[i - 1]))
        self.mlp2 = self.mlp3 = self.mlp4 = Mlp(dims[1], int(dims[1] * mlp_ratios[1]), act_layer=act_layer,
                                                drop=proj_drop)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor, x4: torch.Tensor,
                sizes: Sequence[Size]) -> Tuple[torch.Tensor, ...]:
        _, s2, s3, s4 = sizes
        cur2 = self.factoratt_crpe2(self.norm12(x2), s2)
        cur3 = self.factoratt_crpe3(self.norm13(x3), s3)
        cur4 = self.factoratt_crpe4(self.norm14(x4), s4)
        # every scale receives the other two, up- or down-sampled to its own grid
        new2 = cur2 + _resample_tokens(cur3, s3, 2.) + _resample_tokens(cur4, s4, 4.)
        new3 = cur3 + _resample_tokens(cur4, s4, 2.) + _resample_tokens(cur2, s2, 0.5)
        new4 = cur4 + _resample_tokens(cur3, s3, 0.5) + _resample_tokens(cur2, s2, 0.25)
        x2, x3, x4 = x2 + self.drop_path(new2), x3 + self.drop_path(new3), x4 + self.drop_path(new4)
        x2 = x2 + self.drop_path(self.mlp2(self.norm22(x2)))
        x3 = x3 + self.drop_path(self.mlp3(self.norm23(x3)))
        x4 = x4 + self.drop_path(self.mlp4(self.norm24(x4)))
        return x1, x2, x3, x4


def _insert_cls(x: torch.Tensor, cls_token: torch.Tensor) -> torch.Tensor:
    return torch.cat([cls_token.expand(x.shape[0], -1, -1), x], dim=1)


def _tokens_to_map(x: torch.Tensor, size: Size) -> torch.Tensor:
    return x[:, 1:].reshape(x.shape[0], size[0], size[1], -1).permute(0, 3, 1, 2).contiguous()


class CoaT(ZooModel):
    """CoaT / CoaT-Lite: four serial scales, optionally followed by co-scale parallel blocks.

    Args:
        img_size: input size (the patch embeddings require it).
        patch_size: stride of the first patch embedding (later scales halve the grid).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        embed_dims: width per scale.
        serial_depths: serial blocks per scale.
        parallel_depth: parallel blocks (0 for CoaT-Lite).
        num_heads: attention heads (every scale).
        mlp_ratios: MLP ratio per scale.
        qkv_bias: bias on the qkv projections.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after projections.
        attn_drop_rate: dropout on the softmaxed keys of the factorized attention.
        drop_path_rate: stochastic depth rate, the same for every block.
        norm_layer: token norm (name or class); LayerNorm with eps 1e-6 by default.
        crpe_window: conv relative position encoding kernels, {kernel size: heads}.
        global_pool: 'token' (class tokens) or 'avg' (patch tokens).
    """
    trunk = Trunk(levels=(('serial_blocks1',), ('serial_blocks2',), ('serial_blocks3',), ('serial_blocks4',)))
    classifier_name = 'head'
    no_weight_decay_names = ('cls_token1', 'cls_token2', 'cls_token3', 'cls_token4')

    def __init__(
            self,
            img_size: Union[int, Size] = 224,
            patch_size: int = 16,
            in_chans: int = 3,
            num_classes: int = 1000,
            embed_dims: Sequence[int] = (64, 128, 320, 512),
            serial_depths: Sequence[int] = (3, 4, 6, 3),
            parallel_depth: int = 0,
            num_heads: int = 8,
            mlp_ratios: Sequence[float] = (4, 4, 4, 4),
            qkv_bias: bool = True,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            norm_layer: Optional[LayerType] = None,
            crpe_window: Optional[Dict[int, int]] = None,
            global_pool: str = 'token',
    ):
        super().__init__()
        if global_pool not in _GLOBAL_POOLS:
            raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
        norm_layer = get_norm_layer(norm_layer) or LayerNorm
        crpe_window = crpe_window or {3: 2, 5: 3, 7: 3}
        img_size = to_2tuple(img_size)
        self.embed_dims = tuple(embed_dims)
        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.grad_checkpointing = False

        block_args = dict(num_heads=num_heads, qkv_bias=qkv_bias, proj_drop=proj_drop_rate, attn_drop=attn_drop_rate,
                          drop_path=drop_path_rate, norm_layer=norm_layer)
        prev_chs = in_chans
        for i in range(4):
            scale = i + 1
            # the first scale embeds `patch_size` patches of the image, later ones merge 2x2 tokens of the previous
            embed_in = img_size if i == 0 else tuple(s // (patch_size * 2 ** (i - 1)) for s in img_size)
            setattr(self, f'patch_embed{scale}', PatchEmbed(
                img_size=embed_in, patch_size=patch_size if i == 0 else 2, in_chans=prev_chs,
                embed_dim=embed_dims[i], norm_layer=nn.LayerNorm))
            setattr(self, f'cls_token{scale}', nn.Parameter(torch.zeros(1, 1, embed_dims[i])))
            setattr(self, f'cpe{scale}', ConvPosEnc(embed_dims[i], 3, num_prefix_tokens=1))
            setattr(self, f'crpe{scale}', ConvRelPosEnc(embed_dims[i] // num_heads, num_heads, crpe_window))
            prev_chs = embed_dims[i]
        for i in range(4):
            scale = i + 1
            setattr(self, f'serial_blocks{scale}', nn.ModuleList([
                SerialBlock(embed_dims[i], mlp_ratio=mlp_ratios[i], shared_cpe=getattr(self, f'cpe{scale}'),
                            shared_crpe=getattr(self, f'crpe{scale}'), **block_args)
                for _ in range(serial_depths[i])]))
        self.parallel_depth = parallel_depth
        if parallel_depth > 0:
            crpes = [getattr(self, f'crpe{i}') for i in range(1, 5)]
            self.parallel_blocks = nn.ModuleList([
                ParallelBlock(embed_dims, mlp_ratios=mlp_ratios, shared_crpes=crpes, **block_args)
                for _ in range(parallel_depth)])
            self.norm2 = norm_layer(embed_dims[1])
            self.norm3 = norm_layer(embed_dims[2])
            # the head mixes the class tokens of scales 2-4 with a learned weighted sum
            self.aggregate = nn.Conv1d(3, 1, kernel_size=1)
        else:
            self.parallel_blocks = None
            self.norm2 = self.norm3 = None
            self.aggregate = None
        self.norm4 = norm_layer(embed_dims[3])
        self.feature_info = [
            dict(num_chs=embed_dims[i], reduction=patch_size * 2 ** i,
                 module='parallel_blocks' if i > 0 and parallel_depth > 0 else f'serial_blocks{i + 1}')
            for i in range(4)]
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.init_weights()

    def init_weights(self) -> None:
        for i in range(1, 5):
            trunc_normal_(getattr(self, f'cls_token{i}'), std=.02)
        self.apply(init_linear_trunc_normal_)

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> Dict[str, Any]:
        groups = {}
        for i in range(1, 5):
            groups[f'stem{i}'] = rf'^cls_token{i}|patch_embed{i}|crpe{i}|cpe{i}'
            groups[f'serial_blocks{i}'] = rf'^serial_blocks{i}\.(\d+)'
        groups['parallel_blocks'] = [(r'^parallel_blocks\.(\d+)', None), (r'^norm|aggregate', (99999,))]
        return groups

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            if global_pool not in _GLOBAL_POOLS:
                raise ValueError(f'global_pool must be one of {_GLOBAL_POOLS}, got {global_pool!r}.')
            self.global_pool = global_pool
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def _serial_scales(self, x: torch.Tensor, num_scales: int = 4) -> Tuple[List[torch.Tensor], List[Size]]:
        """Run the serial part of scales 1..num_scales (stopping at a pruned one); tokens keep their class token."""
        xs, sizes = [], []
        for i in range(1, num_scales + 1):
            embed = getattr(self, f'patch_embed{i}')
            if embed is None:
                break
            if i > 1:
                x = _tokens_to_map(x, sizes[-1])
            x = _insert_cls(embed(x), getattr(self, f'cls_token{i}'))
            size = embed.grid_size
            for blk in getattr(self, f'serial_blocks{i}'):
                x = maybe_checkpoint(blk, x, size, enabled=self.grad_checkpointing)
            xs.append(x)
            sizes.append(size)
        return xs, sizes

    def _parallel(self, xs: List[torch.Tensor], sizes: List[Size]) -> List[torch.Tensor]:
        x1, x2, x3, x4 = xs
        for blk in self.parallel_blocks:
            x2, x3, x4 = self.cpe2(x2, sizes[1]), self.cpe3(x3, sizes[2]), self.cpe4(x4, sizes[3])
            x1, x2, x3, x4 = maybe_checkpoint(blk, x1, x2, x3, x4, sizes, enabled=self.grad_checkpointing)
        return [x1, x2, x3, x4]

    def _final_norms(self) -> List[Optional[nn.Module]]:
        return [None, self.norm2, self.norm3, self.norm4]

    def forward_features(self, x: torch.Tensor) -> Union[torch.Tensor, List[torch.Tensor]]:
        xs, sizes = self._serial_scales(x)
        if len(xs) < 4:
            return xs[-1]  # pruned: the last kept scale, no final norm
        if self.parallel_blocks is None:
            return self.norm4(xs[3])
        xs = self._parallel(xs, sizes)
        return [self.norm2(xs[1]), self.norm3(xs[2]), self.norm4(xs[3])]

    def forward_head(self, x: Union[torch.Tensor, List[torch.Tensor]], pre_logits: bool = False) -> torch.Tensor:
        pool = 'avg' if self.global_pool == 'avg' else 'token'
        if isinstance(x, list):  # CoaT: the pooled scales 2-4 are mixed into one vector by a 1x1 conv over scales
            if self.aggregate is None:
                raise RuntimeError('The class-token aggregation was pruned with the head; this model has no head.')
            per_scale = torch.stack([pool_tokens(t, pool, 1) for t in x], dim=1)
            pooled = self.aggregate(per_scale)[:, 0]
        else:
            pooled = pool_tokens(x, pool, 1)
        pooled = self.head_drop(pooled)
        return pooled if pre_logits else self.head(pooled)

    # ---- intermediates: the parallel blocks update scales 2-4 together, after all serial scales ----------------

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[Any, List[torch.Tensor]]]:
        """Per-scale maps (class token removed); for CoaT, scales 2-4 are taken after the parallel blocks.

        `norm` applies each scale's final norm where it has one (scale 4 for Lite, scales 2-4 for CoaT).
        Other args as for `ZooModel.forward_intermediates`.
        """
        self._check_output_fmt(output_fmt)
        take, max_index = feature_take_indices(4, indices)
        early = (stop_early or intermediates_only) and (self.parallel_blocks is None or max_index == 0)
        xs, sizes = self._serial_scales(x, max_index + 1 if early else 4)
        run_parallel = self.parallel_blocks is not None and len(xs) == 4
        if run_parallel:
            xs = self._parallel(xs, sizes)
        norms = self._final_norms()
        intermediates = []
        for i in take:
            if i >= len(xs):
                break
            y = norms[i](xs[i]) if norm and norms[i] is not None else xs[i]
            y = _tokens_to_map(y, sizes[i])
            intermediates.append(y if output_fmt == 'NCHW' else y.permute(0, 2, 3, 1))
        if intermediates_only:
            return intermediates
        if len(xs) < 4:
            return xs[-1], intermediates
        if run_parallel:
            return [self.norm2(xs[1]), self.norm3(xs[2]), self.norm4(xs[3])], intermediates
        return self.norm4(xs[3]), intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: IndicesT = 1, prune_norm: bool = False,
                                  prune_head: bool = True) -> List[int]:
        """Keep only the scales `indices` reach. The parallel blocks mix scales 2-4, so while they are needed (any
        index past scale 1) every scale stays; a model cut before scale 4 loses its final norms and its head."""
        take, last = feature_take_indices(4, indices)
        parallel_needed = self.parallel_blocks is not None and last > 0
        num_scales = 4 if parallel_needed else last + 1
        for scale in range(num_scales + 1, 5):
            self._drop_scale(scale)
        if not parallel_needed:
            self.parallel_blocks = None
        cut = num_scales < 4
        if cut or prune_norm:
            for scale in (2, 3, 4):
                if getattr(self, f'norm{scale}') is not None:
                    setattr(self, f'norm{scale}', nn.Identity())
        if cut:
            self.num_features = self.head_hidden_size = self.feature_info[num_scales - 1]['num_chs']
        if cut or prune_head:
            self.aggregate = None  # it mixes the class tokens of scales 2-4, so it belongs to the head
            self.num_classes = 0
            self._reset_head(0, None)
        return take

    def _drop_scale(self, scale: int) -> None:
        for part in ('patch_embed', 'cls_token', 'cpe', 'crpe', 'serial_blocks'):
            setattr(self, f'{part}{scale}', None)

def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: CoaT) -> Dict[str, torch.Tensor]:
    """Drop what the model does not have: the official weights carry norm1 and, for Lite models, norm2 / norm3."""
    state_dict = state_dict.get('model', state_dict)
    out = {}
    for key, value in state_dict.items():
        top = key.split('.', 1)[0]
        if top == 'norm1' or (top in ('norm2', 'norm3', 'norm4', 'aggregate', 'head')
                              and getattr(model, top, None) is None):
            continue
        out[key] = value
    return out


def _create_coat(variant: str, pretrained: bool = False, **kwargs) -> CoaT:
    return build_model_with_cfg(CoaT, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=4, feature_cls='getter'), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), crop_pct=.9, interpolation='bicubic',
               fixed_input_size=True, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='patch_embed1.proj', classifier='head', license='apache-2.0', paper_ids='arXiv:2104.06399')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'coat_tiny.in1k': _cfg(),
    'coat_mini.in1k': _cfg(),
    'coat_small.in1k': _cfg(),
    'coat_lite_tiny.in1k': _cfg(),
    'coat_lite_mini.in1k': _cfg(),
    'coat_lite_small.in1k': _cfg(),
    'coat_lite_medium.in1k': _cfg(),
    'coat_lite_medium_384.in1k': _cfg(input_size=(3, 384, 384), crop_pct=1.0, crop_mode='squash'),
})


def _coat(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> CoaT:
    args = dict(patch_size=4, serial_depths=(2, 2, 2, 2))
    args.update(model_args)
    args.update(kwargs)
    return _create_coat(variant, pretrained, **args)


_PARALLEL = dict(parallel_depth=6)
_LITE_MLP = dict(mlp_ratios=(8, 8, 4, 4))


@register_model
def coat_tiny(pretrained: bool = False, **kwargs) -> CoaT:
    return _coat('coat_tiny', pretrained, dict(embed_dims=(152, 152, 152, 152), **_PARALLEL), kwargs)


@register_model
def coat_mini(pretrained: bool = False, **kwargs) -> CoaT:
    return _coat('coat_mini', pretrained, dict(embed_dims=(152, 216, 216, 216), **_PARALLEL), kwargs)


@register_model
def coat_small(pretrained: bool = False, **kwargs) -> CoaT:
    return _coat('coat_small', pretrained, dict(embed_dims=(152, 320, 320, 320), **_PARALLEL), kwargs)


@register_model
def coat_lite_tiny(pretrained: bool = False, **kwargs) -> CoaT:
    return _coat('coat_lite_tiny', pretrained, dict(embed_dims=(64, 128, 256, 320), **_LITE_MLP), kwargs)


@register_model
def coat_lite_mini(pretrained: bool = False, **kwargs) -> CoaT:
    return _coat('coat_lite_mini', pretrained, dict(embed_dims=(64, 128, 320, 512), **_LITE_MLP), kwargs)


@register_model
def coat_lite_small(pretrained: bool = False, **kwargs) -> CoaT:
    return _coat('coat_lite_small', pretrained,
                 dict(embed_dims=(64, 128, 320, 512), serial_depths=(3, 4, 6, 3), **_LITE_MLP), kwargs)


@register_model
def coat_lite_medium(pretrained: bool = False, **kwargs) -> CoaT:
    return _coat('coat_lite_medium', pretrained,
                 dict(embed_dims=(128, 256, 320, 512), serial_depths=(3, 6, 10, 8)), kwargs)


@register_model
def coat_lite_medium_384(pretrained: bool = False, **kwargs) -> CoaT:
    return _coat('coat_lite_medium_384', pretrained,
                 dict(img_size=384, embed_dims=(128, 256, 320, 512), serial_depths=(3, 6, 10, 8)), kwargs)
