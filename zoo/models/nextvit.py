"""Next-ViT: a hybrid of convolution blocks and light transformer blocks laid out for fast deployment.

Paper: "Next-ViT: Next Generation Vision Transformer for Efficient Deployment in Realistic Industrial Scenarios",
Li et al., 2022 (arXiv:2207.05501). Every normalisation is a BatchNorm, so the whole network folds into fewer ops.

- Next Convolution Block (NCB, section 3.2): an optional downsampling embedding (2x2 average pool + 1x1 conv + BN),
  multi-head convolutional attention (MHCA: a 3x3 conv grouped per head of width `head_dim`, BN, ReLU, 1x1 conv) as
  the token mixer, then BN and a 1x1-conv MLP, each in a residual.
- Next Transformer Block (NTB, section 3.3): the first `mix_block_ratio` (0.75) of the output channels come from
  efficient multi-head self-attention (E-MHSA: keys / values from the token sequence average-pooled by sr_ratio^2, then
  BatchNorm), the rest from an MHCA branch on a 1x1 projection of the attention output; the two are concatenated and
  go through BN and the MLP.
- Next Hybrid Strategy (section 3.4): each stage ends in an NTB (every fifth block in stage 3), stages are
  `(N, N, N)`, `(N, N, N, T)`, `(N, N, N, N, T) x k`, `(N, N, T)`.

`reparameterize()` on a block (or `zoo.models.reparameterize_model` on the model) folds each BatchNorm that directly
precedes a linear / 1x1 conv into that layer (the paper's deployment trick): the NCB's pre-MLP BN, the NTB's pre-MLP
BN, and the NTB's pre-attention BN into q, k and v (for keys and values together with the BN after the sequence
pooling; average pooling commutes with a per-channel affine map). The folded blocks lose those `norm` keys, like
timm's.
"""
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import (
    ClassifierHead,
    DropPath,
    LayerType,
    Mlp,
    get_act_layer,
    get_norm_layer,
    make_divisible,
)
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.weight_init import init_conv_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['NextViT', 'NextConvBlock', 'NextTransformerBlock', 'EfficientAttention', 'NextStage']


# ---- BatchNorm folding -------------------------------------------------------------------------------------------

def _bn_affine(bn: nn.Module) -> Tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) of an eval-mode BatchNorm as the per-channel map x * scale + shift."""
    if not isinstance(bn, nn.modules.batchnorm._BatchNorm) or bn.running_var is None or not bn.affine:
        raise ValueError(f'Only an affine BatchNorm with running statistics can be folded, got {bn}.')
    scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


@torch.no_grad()
def fold_norms_into_next(layer: nn.Module, norms: Sequence[nn.Module]) -> None:
    """Fold BatchNorms applied in order right before `layer` (a Linear or 1x1 conv) into its weight and bias.

    The norms compose to one per-channel map x * s + t, and `W (x * s + t) + b = (W diag(s)) x + (W t + b)`.
    """
    if isinstance(layer, nn.Conv2d) and (layer.kernel_size != (1, 1) or layer.groups != 1):
        raise ValueError(f'A preceding norm folds only into a Linear or an ungrouped 1x1 conv, not {layer}.')
    scale = torch.ones(layer.weight.shape[1], device=layer.weight.device)
    shift = torch.zeros_like(scale)
    for norm in norms:
        s, t = _bn_affine(norm)
        scale, shift = scale * s, shift * s + t
    weight = layer.weight.reshape(layer.weight.shape[0], -1)
    bias = weight @ shift
    if layer.bias is not None:
        bias = bias + layer.bias
    layer.weight.copy_((weight * scale).reshape(layer.weight.shape))
    if layer.bias is None:
        layer.bias = nn.Parameter(bias.to(layer.weight.dtype))
    else:
        layer.bias.copy_(bias)


# ---- blocks --------------------------------------------------------------------------------------------------------

def conv_norm_act(in_chs: int, out_chs: int, stride: int = 1, norm_layer: Type[nn.Module] = nn.BatchNorm2d,
                  act_layer: Type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """3x3 conv (no bias) -> norm -> activation (keys `conv`, `norm`)."""
    return nn.Sequential(OrderedDict(
        conv=nn.Conv2d(in_chs, out_chs, 3, stride=stride, padding=1, bias=False),
        norm=norm_layer(out_chs),
        act=act_layer(),
    ))


def patch_embed(in_chs: int, out_chs: int, stride: int = 1,
                norm_layer: Type[nn.Module] = nn.BatchNorm2d) -> nn.Sequential:
    """[2x2 average pool] -> 1x1 conv -> norm, or nothing when neither the width nor the resolution changes.

    The pool (ceil mode, padding excluded) is the paper's cheap stride-2 alternative to a strided conv.
    """
    if stride not in (1, 2):
        raise ValueError(f'Next-ViT blocks take stride 1 or 2, got {stride}.')
    if stride == 1 and in_chs == out_chs:
        return nn.Sequential(OrderedDict(pool=nn.Identity(), conv=nn.Identity(), norm=nn.Identity()))
    pool = nn.AvgPool2d(2, stride=2, ceil_mode=True, count_include_pad=False) if stride == 2 else nn.Identity()
    return nn.Sequential(OrderedDict(
        pool=pool,
        conv=nn.Conv2d(in_chs, out_chs, 1, bias=False),
        norm=norm_layer(out_chs),
    ))


def conv_attention(dim: int, head_dim: int, norm_layer: Type[nn.Module] = nn.BatchNorm2d,
                   act_layer: Type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Multi-head convolutional attention: a 3x3 conv grouped per head, norm, activation, 1x1 projection."""
    if dim % head_dim:
        raise ValueError(f'MHCA width {dim} must be a multiple of head_dim {head_dim}.')
    return nn.Sequential(OrderedDict(
        group_conv3x3=nn.Conv2d(dim, dim, 3, padding=1, groups=dim // head_dim, bias=False),
        norm=norm_layer(dim),
        act=act_layer(),
        projection=nn.Conv2d(dim, dim, 1, bias=False),
    ))


class NextConvBlock(nn.Module):
    """NCB: [downsample / widen] -> x + MHCA(x) -> x + MLP(BN(x)).

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: 1, or 2 to halve the resolution in the embedding.
        drop_path: stochastic depth rate of both residuals.
        drop: dropout inside the MLP.
        head_dim: channels per MHCA group.
        mlp_ratio: MLP hidden width relative to `out_chs`.
        norm_layer: 2d norm (BatchNorm for folding).
        act_layer: activation.
    """

    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, drop_path: float = 0., drop: float = 0.,
                 head_dim: int = 32, mlp_ratio: float = 3., norm_layer: Type[nn.Module] = nn.BatchNorm2d,
                 act_layer: Type[nn.Module] = nn.ReLU):
        super().__init__()
        self.patch_embed = patch_embed(in_chs, out_chs, stride, norm_layer)
        self.mhca = conv_attention(out_chs, head_dim, norm_layer, act_layer)
        self.attn_drop_path = DropPath(drop_path)
        self.norm = norm_layer(out_chs)
        self.mlp = Mlp(out_chs, int(out_chs * mlp_ratio), act_layer=act_layer, drop=drop, use_conv=True)
        self.mlp_drop_path = DropPath(drop_path)

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the pre-MLP norm into the MLP's first 1x1 conv."""
        if isinstance(self.norm, nn.Identity):
            return
        fold_norms_into_next(self.mlp.fc1, [self.norm])
        self.norm = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        x = x + self.attn_drop_path(self.mhca(x))
        return x + self.mlp_drop_path(self.mlp(self.norm(x)))


class EfficientAttention(nn.Module):
    """E-MHSA on (B, N, C) tokens: keys and values come from the sequence average-pooled by sr_ratio^2, then normed.

    The pooling runs over the flattened (row-major) sequence, so it merges sr_ratio^2 neighbouring tokens of a row,
    which is what the published weights were trained with.

    Args:
        dim: token width.
        out_dim: output width (defaults to `dim`).
        head_dim: channels per head.
        qkv_bias: bias of the q / k / v projections.
        attn_drop: dropout on the attention probabilities.
        proj_drop: dropout after the output projection.
        sr_ratio: sequence reduction is sr_ratio^2 (1: none).
        norm_layer: 1d norm after the reduction.
    """

    def __init__(self, dim: int, out_dim: Optional[int] = None, head_dim: int = 32, qkv_bias: bool = True,
                 attn_drop: float = 0., proj_drop: float = 0., sr_ratio: int = 1,
                 norm_layer: Type[nn.Module] = nn.BatchNorm1d):
        super().__init__()
        if dim % head_dim:
            raise ValueError(f'E-MHSA width {dim} must be a multiple of head_dim {head_dim}.')
        self.num_heads = dim // head_dim
        self.head_dim = head_dim
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.k = nn.Linear(dim, dim, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, out_dim or dim)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj_drop = nn.Dropout(proj_drop)
        self.pool_len = sr_ratio ** 2
        self.norm = norm_layer(dim) if sr_ratio > 1 else None

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q = self._heads(self.q(x))
        if self.pool_len > 1:
            kv = F.avg_pool1d(x.transpose(1, 2), self.pool_len)
            kv = self.norm(kv).transpose(1, 2)
        else:
            kv = x
        k, v = self._heads(self.k(kv)), self._heads(self.v(kv))
        x = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(b, n, c)))


class NextTransformerBlock(nn.Module):
    """NTB: E-MHSA on the first `mix_block_ratio` of the channels, MHCA on the rest, concatenated, then BN + MLP.

    Args:
        in_chs: input channels.
        out_chs: output channels (attention part rounded to a multiple of 32, the rest from MHCA).
        drop_path: stochastic depth rate (split between E-MHSA and MHCA by `mix_block_ratio`).
        stride: 1, or 2 to halve the resolution in the embedding.
        sr_ratio: E-MHSA sequence reduction.
        mlp_ratio: MLP hidden width relative to `out_chs`.
        head_dim: channels per head / MHCA group.
        mix_block_ratio: share of the output channels produced by E-MHSA.
        attn_drop: attention-probability dropout.
        drop: dropout after the attention projection and inside the MLP.
        norm_layer: 2d norm (BatchNorm for folding).
        act_layer: activation.
    """

    def __init__(self, in_chs: int, out_chs: int, drop_path: float = 0., stride: int = 1, sr_ratio: int = 1,
                 mlp_ratio: float = 2., head_dim: int = 32, mix_block_ratio: float = 0.75, attn_drop: float = 0.,
                 drop: float = 0., norm_layer: Type[nn.Module] = nn.BatchNorm2d,
                 act_layer: Type[nn.Module] = nn.ReLU):
        super().__init__()
        mhsa_chs = make_divisible(int(out_chs * mix_block_ratio), 32)
        mhca_chs = out_chs - mhsa_chs
        # the published layout embeds with a plain BatchNorm2d whatever norm_layer the rest of the block uses
        self.patch_embed = patch_embed(in_chs, mhsa_chs, stride)
        self.norm1 = norm_layer(mhsa_chs)
        self.e_mhsa = EfficientAttention(mhsa_chs, head_dim=head_dim, sr_ratio=sr_ratio, attn_drop=attn_drop,
                                         proj_drop=drop)
        self.mhsa_drop_path = DropPath(drop_path * mix_block_ratio)
        self.projection = patch_embed(mhsa_chs, mhca_chs, 1, norm_layer)
        self.mhca = conv_attention(mhca_chs, head_dim, norm_layer, act_layer)
        self.mhca_drop_path = DropPath(drop_path * (1 - mix_block_ratio))
        self.norm2 = norm_layer(out_chs)
        self.mlp = Mlp(out_chs, int(out_chs * mlp_ratio), act_layer=act_layer, drop=drop, use_conv=True)
        self.mlp_drop_path = DropPath(drop_path)

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold norm1 into q / k / v (with the post-pooling norm for k / v) and norm2 into the MLP."""
        if isinstance(self.norm1, nn.Identity):
            return
        attn = self.e_mhsa
        kv_norms = [self.norm1] if attn.norm is None else [self.norm1, attn.norm]
        fold_norms_into_next(attn.q, [self.norm1])
        fold_norms_into_next(attn.k, kv_norms)
        fold_norms_into_next(attn.v, kv_norms)
        if attn.norm is not None:
            attn.norm = nn.Identity()
        fold_norms_into_next(self.mlp.fc1, [self.norm2])
        self.norm1, self.norm2 = nn.Identity(), nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        b, c, h, w = x.shape
        tokens = self.norm1(x).flatten(2).transpose(1, 2)
        attn = self.mhsa_drop_path(self.e_mhsa(tokens))
        x = x + attn.transpose(1, 2).reshape(b, c, h, w)
        conv = self.projection(x)
        conv = conv + self.mhca_drop_path(self.mhca(conv))
        x = torch.cat([x, conv], dim=1)
        return x + self.mlp_drop_path(self.mlp(self.norm2(x)))


class NextStage(nn.Module):
    """A sequence of NCBs / NTBs; the first block takes the stage stride.

    Args:
        in_chs: input channels.
        block_chs: output channels of each block.
        block_types: 'conv' (NCB) or 'transformer' (NTB) per block.
        stride: stride of the first block.
        drop_path_rates: stochastic depth rate per block.
        **block_kwargs: head_dim, norm_layer, act_layer, drop; the NTBs also take sr_ratio, mix_block_ratio, attn_drop.
    """
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, in_chs: int, block_chs: Sequence[int], block_types: Sequence[str], stride: int = 2,
                 sr_ratio: int = 1, mix_block_ratio: float = 0.75, attn_drop: float = 0.,
                 drop_path_rates: Sequence[float] = (), **block_kwargs: Any):
        super().__init__()
        rates = list(drop_path_rates) or [0.] * len(block_chs)
        blocks = []
        for i, (out_chs, kind) in enumerate(zip(block_chs, block_types)):
            block_stride = stride if i == 0 else 1
            if kind == 'conv':
                blocks.append(NextConvBlock(in_chs, out_chs, stride=block_stride, drop_path=rates[i], **block_kwargs))
            elif kind == 'transformer':
                blocks.append(NextTransformerBlock(
                    in_chs, out_chs, drop_path=rates[i], stride=block_stride, sr_ratio=sr_ratio,
                    mix_block_ratio=mix_block_ratio, attn_drop=attn_drop, **block_kwargs))
            else:
                raise ValueError(f"Unknown Next-ViT block type {kind!r}; use 'conv' or 'transformer'.")
            in_chs = out_chs
        self.blocks = CheckpointSequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


def stage_layout(depths: Sequence[int]) -> List[List[Tuple[int, str]]]:
    """(channels, block type) of every block under the Next Hybrid Strategy (paper table 1)."""
    if len(depths) != 4 or depths[2] % 5:
        raise ValueError(f'Next-ViT takes four stage depths with the third a multiple of 5, got {tuple(depths)}.')
    conv, trans = 'conv', 'transformer'
    return [
        [(96, conv)] * depths[0],
        [(192, conv)] * (depths[1] - 1) + [(256, trans)],
        ([(384, conv)] * 4 + [(512, trans)]) * (depths[2] // 5),
        [(768, conv)] * (depths[3] - 1) + [(1024, trans)],
    ]


def make_stages(
        in_chs: int,
        depths: Sequence[int],
        strides: Sequence[int],
        sr_ratios: Sequence[int],
        drop_path_rate: float = 0.,
        **stage_kwargs: Any,
) -> Tuple[List[NextStage], List[Dict[str, Any]]]:
    """The four stages after the stride-4 stem, and their feature_info."""
    rates = stagewise_drop_path_rates(drop_path_rate, depths)
    stages, feature_info, reduction = [], [], 4
    for i, blocks in enumerate(stage_layout(depths)):
        chs, kinds = [c for c, _ in blocks], [k for _, k in blocks]
        stages.append(NextStage(in_chs, chs, kinds, stride=strides[i], sr_ratio=sr_ratios[i],
                                drop_path_rates=rates[i], **stage_kwargs))
        reduction *= strides[i]
        in_chs = chs[-1]
        feature_info.append(dict(num_chs=in_chs, reduction=reduction, module=f'stages.{i}'))
    return stages, feature_info


class NextViT(ZooModel):
    """Next-ViT: four-conv stem (stride 4), four hybrid stages, BatchNorm, pooled linear classifier.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: pooling of the head ('avg', 'max', ..., or '' with num_classes=0).
        stem_chs: widths of the stem convs (the last is used twice, the second time with stride 2).
        depths: blocks per stage (the third a multiple of 5).
        strides: stride of each stage's first block.
        sr_ratios: E-MHSA reduction per stage.
        drop_path_rate: stochastic depth rate of the last block.
        attn_drop_rate: attention-probability dropout.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after attention projections and inside MLPs.
        head_dim: channels per head / MHCA group.
        mix_block_ratio: E-MHSA share of an NTB's output channels.
        norm_layer: 2d norm (BatchNorm; others cannot be folded).
        act_layer: activation (ReLU when None).
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm',))
    groups = dict(
        stem=r'^stem',
        coarse=r'^stages\.(\d+)',
        blocks=[(r'^stages\.(\d+)\.blocks\.(\d+)', None), (r'^norm', (99999,))],
    )

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            stem_chs: Sequence[int] = (64, 32, 64),
            depths: Sequence[int] = (3, 4, 10, 3),
            strides: Sequence[int] = (1, 2, 2, 2),
            sr_ratios: Sequence[int] = (8, 4, 2, 1),
            drop_path_rate: float = 0.1,
            attn_drop_rate: float = 0.,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            head_dim: int = 32,
            mix_block_ratio: float = 0.75,
            norm_layer: LayerType = nn.BatchNorm2d,
            act_layer: Optional[LayerType] = None,
    ):
        super().__init__()
        check_pooled_head(global_pool, num_classes)
        norm_layer = get_norm_layer(norm_layer)
        act_layer = get_act_layer(act_layer) if act_layer is not None else nn.ReLU
        self.num_classes = num_classes
        self.drop_rate = drop_rate

        self.stem = nn.Sequential(
            conv_norm_act(in_chans, stem_chs[0], 2, norm_layer, act_layer),
            conv_norm_act(stem_chs[0], stem_chs[1], 1, norm_layer, act_layer),
            conv_norm_act(stem_chs[1], stem_chs[2], 1, norm_layer, act_layer),
            conv_norm_act(stem_chs[2], stem_chs[2], 2, norm_layer, act_layer),
        )
        stages, self.feature_info = make_stages(
            stem_chs[-1], depths, strides, sr_ratios,
            drop_path_rate=drop_path_rate,
            mix_block_ratio=mix_block_ratio,
            attn_drop=attn_drop_rate,
            drop=proj_drop_rate,
            head_dim=head_dim,
            norm_layer=norm_layer,
            act_layer=act_layer,
        )
        self.stages = nn.Sequential(*stages)
        self.num_features = self.head_hidden_size = self.feature_info[-1]['num_chs']
        self.norm = norm_layer(self.num_features)
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        self.apply(init_conv_linear_trunc_normal_)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.stages(self.stem(x)))



def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the official bytedance/Next-ViT checkpoints besides timm's layout.

    The official modules are registered in the same order as zoo's (only their names differ: `features.N`, `conv1`,
    `proj_head`, ...), so tensors are matched by position; a count or shape that disagrees is refused.
    """
    state_dict = state_dict.get('model', state_dict)
    if 'stages.0.blocks.0.mlp.fc1.weight' in state_dict:
        return state_dict
    ours = model.state_dict()
    if len(ours) != len(state_dict):
        raise ValueError(f'A Next-ViT checkpoint in the official layout needs {len(ours)} tensors for this model, got '
                         f'{len(state_dict)}; check the variant (small / base / large) and num_classes.')
    out = {}
    for (key, like), (src_key, value) in zip(ours.items(), state_dict.items()):
        if like.shape != value.shape:
            raise ValueError(f'Checkpoint tensor {src_key} {tuple(value.shape)} does not fit {key} '
                             f'{tuple(like.shape)}; the checkpoint is not this Next-ViT variant.')
        out[key] = value
    return out


def _create_nextvit(variant: str, pretrained: bool = False, **kwargs: Any) -> NextViT:
    num_stages = len(kwargs.get('depths', (3, 4, 10, 3)))
    return build_model_with_cfg(
        NextViT, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(out_indices=tuple(range(num_stages)), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.95,
               interpolation='bicubic', first_conv='stem.0.conv', classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_R384 = dict(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0)

default_cfgs = generate_default_cfgs({
    'nextvit_small.bd_in1k': _cfg(),
    'nextvit_base.bd_in1k': _cfg(),
    'nextvit_large.bd_in1k': _cfg(),
    'nextvit_small.bd_in1k_384': _cfg(**_R384),
    'nextvit_base.bd_in1k_384': _cfg(**_R384),
    'nextvit_large.bd_in1k_384': _cfg(**_R384),
    'nextvit_small.bd_ssld_6m_in1k': _cfg(),
    'nextvit_base.bd_ssld_6m_in1k': _cfg(),
    'nextvit_large.bd_ssld_6m_in1k': _cfg(),
    'nextvit_small.bd_ssld_6m_in1k_384': _cfg(**_R384),
    'nextvit_base.bd_ssld_6m_in1k_384': _cfg(**_R384),
    'nextvit_large.bd_ssld_6m_in1k_384': _cfg(**_R384),
})


@register_model
def nextvit_small(pretrained: bool = False, **kwargs) -> NextViT:
    model_args = dict(depths=(3, 4, 10, 3), drop_path_rate=0.1)
    return _create_nextvit('nextvit_small', pretrained, **dict(model_args, **kwargs))


@register_model
def nextvit_base(pretrained: bool = False, **kwargs) -> NextViT:
    model_args = dict(depths=(3, 4, 20, 3), drop_path_rate=0.2)
    return _create_nextvit('nextvit_base', pretrained, **dict(model_args, **kwargs))


@register_model
def nextvit_large(pretrained: bool = False, **kwargs) -> NextViT:
    model_args = dict(depths=(3, 4, 30, 3), drop_path_rate=0.2)
    return _create_nextvit('nextvit_large', pretrained, **dict(model_args, **kwargs))
