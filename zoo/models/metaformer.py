"""MetaFormer: PoolFormer (v1, v2), ConvFormer and CAFormer.

Papers:
- "MetaFormer Is Actually What You Need for Vision", Yu et al., CVPR 2022 (arXiv:2111.11418): the general
  transformer block `x + mixer(norm(x))`, `x + mlp(norm(x))` with a trivial token mixer (average pooling minus
  identity) already makes a strong model (PoolFormer v1: GroupNorm, GELU, layer scale).
- "MetaFormer Baselines for Vision", Yu et al., TPAMI 2024 (arXiv:2210.13452): PoolFormer v2, ConvFormer
  (inverted separable convolutions as mixer) and CAFormer (convolution mixers in the first two stages, self-attention in
  the last two), all with StarReLU (`s * relu(x)^2 + b`), bias-free norms and linear layers, and residual scaling in
  the last two stages instead of layer scale.

Every model is a 4-stage pyramid: a 7x7 stride-4 stem, then per stage an optional (norm + 3x3 stride-2 conv)
downsample and a stack of MetaFormer blocks. Convolutional stages run on NCHW maps; attention stages run on token
sequences (B, H*W, C). The final norm is applied after global pooling, in the head; ConvFormer / CAFormer classify
with a two-layer MLP head (SquaredReLU, LayerNorm). Layout and behaviour follow timm's port of the official weights.
"""
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath, GroupNorm1, LayerNorm, LayerNorm2d, SelectAdaptivePool2d
from zoo.layers.attention import Attention
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.mlp import Mlp
from zoo.layers.weight_init import init_conv_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['MetaFormer', 'MetaFormerBlock', 'MetaFormerStage', 'StarReLU', 'SquaredReLU']

LayerSpec = Union[str, Callable[..., nn.Module]]


# ---- activations and norms specific to the MetaFormer baselines ------------------------------------------------

class StarReLU(nn.Module):
    """`scale * relu(x)^2 + bias` with learnable scalar scale and bias (MetaFormer Baselines, section 3.1)."""

    def __init__(self, scale_value: float = 1.0, bias_value: float = 0.0, inplace: bool = False):
        super().__init__()
        self.scale = nn.Parameter(torch.full((1,), scale_value))
        self.bias = nn.Parameter(torch.full((1,), bias_value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * F.relu(x).square() + self.bias


class SquaredReLU(nn.Module):
    """relu(x)^2 ("Primer", So et al., 2021, arXiv:2109.08668)."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x).square()


class LayerNormNoBias(LayerNorm):
    """Channels-last LayerNorm with a gain only (the baselines drop all norm biases)."""

    def __init__(self, num_channels: int, eps: float = 1e-6):
        super().__init__(num_channels, eps=eps)
        self.register_parameter('bias', None)


class LayerNorm2dNoBias(LayerNorm2d):
    """LayerNorm over the channels of NCHW maps, gain only."""

    def __init__(self, num_channels: int, eps: float = 1e-6):
        super().__init__(num_channels, eps=eps)
        self.register_parameter('bias', None)


class GroupNorm1NoBias(GroupNorm1):
    """Single-group GroupNorm (LayerNorm over C, H, W), gain only (PoolFormer v2)."""

    def __init__(self, num_channels: int, eps: float = 1e-6):
        super().__init__(num_channels, eps=eps)
        self.register_parameter('bias', None)


_NORMS: Dict[str, Callable[..., nn.Module]] = dict(
    groupnorm1=GroupNorm1, groupnorm1_nobias=GroupNorm1NoBias,
    layernorm2d=LayerNorm2d, layernorm2d_nobias=LayerNorm2dNoBias,
    layernorm=LayerNorm, layernorm_nobias=LayerNormNoBias,
)
_ACTS: Dict[str, Callable[..., nn.Module]] = dict(starrelu=StarReLU, squared_relu=SquaredReLU, gelu=nn.GELU)


def _resolve(layer: Optional[LayerSpec], table: Dict[str, Callable[..., nn.Module]], what: str):
    if layer is None or not isinstance(layer, str):
        return layer
    if layer not in table:
        raise ValueError(f'Unknown {what} {layer!r}; choose one of {sorted(table)} or pass a module class.')
    return table[layer]


# ---- token mixers ------------------------------------------------------------------------------------------------

class Pooling(nn.Module):
    """PoolFormer's mixer: 3x3 average pooling minus the input (the block adds the input back).

    Padded positions are left out of the average, so border tokens average only real neighbours.
    """

    def __init__(self, dim: int, pool_size: int = 3):
        super().__init__()
        self.pool = nn.AvgPool2d(pool_size, stride=1, padding=pool_size // 2, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x) - x


class SepConv(nn.Module):
    """ConvFormer's mixer: inverted separable conv (1x1 expand -> StarReLU -> 7x7 depthwise -> 1x1 project), no biases.

    Args:
        dim: channels.
        expansion_ratio: width of the depthwise conv relative to `dim`.
        kernel_size: depthwise kernel.
    """

    def __init__(self, dim: int, expansion_ratio: float = 2, kernel_size: int = 7):
        super().__init__()
        mid = int(expansion_ratio * dim)
        self.pwconv1 = nn.Conv2d(dim, mid, 1, bias=False)
        self.act1 = StarReLU()
        self.dwconv = nn.Conv2d(mid, mid, kernel_size, padding=kernel_size // 2, groups=mid, bias=False)
        self.act2 = nn.Identity()
        self.pwconv2 = nn.Conv2d(mid, dim, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pwconv2(self.act2(self.dwconv(self.act1(self.pwconv1(x)))))


def _attention_mixer(dim: int, head_dim: int = 32) -> nn.Module:
    # CAFormer: heads of width 32, no biases on the qkv / output projections
    return Attention(dim, num_heads=max(dim // head_dim, 1), attn_head_dim=head_dim, qkv_bias=False, proj_bias=False)


_MIXERS: Dict[str, Callable[..., nn.Module]] = dict(
    pooling=Pooling, sepconv=SepConv, attention=_attention_mixer, identity=lambda dim: nn.Identity())


# ---- blocks and stages -------------------------------------------------------------------------------------------

class Scale(nn.Module):
    """Learnable per-channel multiplier (`scale`), used both as layer scale and as residual scale."""

    def __init__(self, dim: int, init_value: float = 1.0, channels_first: bool = True):
        super().__init__()
        self.shape = (dim, 1, 1) if channels_first else (dim,)
        self.scale = nn.Parameter(torch.full((dim,), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale.view(self.shape)


def _maybe_scale(dim: int, init_value: Optional[float], channels_first: bool) -> nn.Module:
    return Scale(dim, init_value, channels_first) if init_value is not None else nn.Identity()


class MetaFormerBlock(nn.Module):
    """`x = rs1(x) + ls1(mixer(norm1(x)))`, `x = rs2(x) + ls2(mlp(norm2(x)))`.

    Args:
        dim: channels.
        token_mixer: factory `mixer(dim)`.
        mlp_act: MLP activation class.
        mlp_bias: biases in the MLP.
        norm_layer: norm factory for this block's layout.
        channels_first: the block sees NCHW maps (1x1-conv MLP) instead of (B, N, C) tokens (linear MLP).
        proj_drop: dropout after the MLP.
        drop_path: stochastic depth rate.
        layer_scale_init_value: initial layer scale of both branches; None disables it.
        res_scale_init_value: initial scale of the shortcut; None disables it.
    """

    def __init__(
            self,
            dim: int,
            token_mixer: Callable[[int], nn.Module] = Pooling,
            mlp_act: Callable[..., nn.Module] = StarReLU,
            mlp_bias: bool = False,
            norm_layer: Callable[..., nn.Module] = LayerNorm2d,
            channels_first: bool = True,
            proj_drop: float = 0.,
            drop_path: float = 0.,
            layer_scale_init_value: Optional[float] = None,
            res_scale_init_value: Optional[float] = None,
    ):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.token_mixer = token_mixer(dim)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.layer_scale1 = _maybe_scale(dim, layer_scale_init_value, channels_first)
        self.res_scale1 = _maybe_scale(dim, res_scale_init_value, channels_first)

        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, 4 * dim, act_layer=mlp_act, bias=mlp_bias, drop=proj_drop, use_conv=channels_first)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.layer_scale2 = _maybe_scale(dim, layer_scale_init_value, channels_first)
        self.res_scale2 = _maybe_scale(dim, res_scale_init_value, channels_first)

    def _mixer_branch(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_scale1(self.drop_path1(self.token_mixer(self.norm1(x))))

    def _mlp_branch(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_scale2(self.drop_path2(self.mlp(self.norm2(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # MetaFormer baselines (arXiv:2210.13452) scale the shortcut too ("res scale"); both scales may be identities
        x = self._mixer_branch(x) + self.res_scale1(x)
        return self._mlp_branch(x) + self.res_scale2(x)


class Stem(nn.Module):
    """7x7 stride-4 conv (padding 2), then an optional norm."""

    def __init__(self, in_chs: int, out_chs: int, norm_layer: Optional[Callable[..., nn.Module]] = None):
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, 7, stride=4, padding=2)
        self.norm = norm_layer(out_chs) if norm_layer else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x))


class Downsampling(nn.Module):
    """An optional norm, then a 3x3 stride-2 conv (the transition into stages 1-3)."""

    def __init__(self, in_chs: int, out_chs: int, norm_layer: Optional[Callable[..., nn.Module]] = None):
        super().__init__()
        self.norm = norm_layer(in_chs) if norm_layer else nn.Identity()
        self.conv = nn.Conv2d(in_chs, out_chs, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.norm(x))


class MetaFormerStage(nn.Module):
    """Downsample (when the width changes) + `depth` MetaFormer blocks; token stages flatten the map around them.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        depth: number of blocks.
        token_mixer: mixer factory (`Attention` stages run on tokens).
        channels_first: blocks see NCHW maps; False: (B, H*W, C) tokens.
        downsample_norm: norm before the downsample conv (None: no norm).
        drop_path_rates: stochastic depth rate per block.
        **block_kwargs: passed to every block.
    """
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            depth: int = 2,
            token_mixer: Callable[[int], nn.Module] = nn.Identity,
            channels_first: bool = True,
            downsample_norm: Optional[Callable[..., nn.Module]] = LayerNorm2d,
            drop_path_rates: Sequence[float] = (),
            **block_kwargs: Any,
    ):
        super().__init__()
        self.channels_first = channels_first
        if in_chs == out_chs:
            self.downsample = nn.Identity()
        else:
            self.downsample = Downsampling(in_chs, out_chs, norm_layer=downsample_norm)
        rates = list(drop_path_rates) or [0.] * depth
        self.blocks = CheckpointSequential(*[
            MetaFormerBlock(out_chs, token_mixer=token_mixer, channels_first=channels_first, drop_path=rates[i],
                            **block_kwargs)
            for i in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        if self.channels_first:
            return self.blocks(x)
        # attention stages run on (B, H*W, C) tokens; the stage still hands an NCHW map to the next one
        grid = x.shape[2:]
        tokens = self.blocks(x.flatten(2).transpose(1, 2))
        return tokens.transpose(1, 2).unflatten(2, grid)


def make_stages(
        depths: Sequence[int],
        dims: Sequence[int],
        token_mixers: Sequence[Callable[[int], nn.Module]],
        norm_layers: Sequence[Callable[..., nn.Module]],
        channels_first: Sequence[bool],
        layer_scale_init_values: Sequence[Optional[float]],
        res_scale_init_values: Sequence[Optional[float]],
        drop_path_rate: float = 0.,
        **stage_kwargs: Any,
) -> Tuple[List[MetaFormerStage], List[Dict[str, Any]]]:
    """The four stages and their feature_info (reductions 4, 8, 16, 32)."""
    rates = stagewise_drop_path_rates(drop_path_rate, depths)
    stages, feature_info = [], []
    prev_chs = dims[0]
    for i, (depth, dim) in enumerate(zip(depths, dims)):
        stages.append(MetaFormerStage(
            prev_chs, dim, depth=depth, token_mixer=token_mixers[i], channels_first=channels_first[i],
            norm_layer=norm_layers[i], drop_path_rates=rates[i], layer_scale_init_value=layer_scale_init_values[i],
            res_scale_init_value=res_scale_init_values[i], **stage_kwargs))
        prev_chs = dim
        feature_info.append(dict(num_chs=dim, reduction=2 ** (i + 2), module=f'stages.{i}'))
    return stages, feature_info


# ---- head and model ----------------------------------------------------------------------------------------------

class MlpHead(nn.Module):
    """fc1 (4x) -> SquaredReLU -> LayerNorm -> dropout -> fc2: the classifier of ConvFormer / CAFormer."""

    def __init__(self, dim: int, num_classes: int = 1000, mlp_ratio: float = 4, drop_rate: float = 0.):
        super().__init__()
        hidden = int(mlp_ratio * dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = SquaredReLU()
        self.norm = LayerNorm(hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.head_drop = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.head_drop(self.norm(self.act(self.fc1(x)))))


class MetaFormerHead(nn.Module):
    """Global pool -> norm -> flatten -> dropout -> classifier (linear, or `MlpHead`).

    Args:
        in_features: channels of the final map.
        num_classes: classifier outputs; 0 leaves the pooled, normalised features.
        pool_type: global pooling ('avg', 'max', 'avgmax'; '' keeps maps and needs num_classes=0).
        drop_rate: dropout before the classifier.
        norm_layer: NCHW norm applied to the pooled (B, C, 1, 1) features.
        use_mlp_head: classify with `MlpHead` instead of a linear layer.
    """

    def __init__(self, in_features: int, num_classes: int, pool_type: str = 'avg', drop_rate: float = 0.,
                 norm_layer: Callable[..., nn.Module] = LayerNorm2d, use_mlp_head: bool = False):
        super().__init__()
        self.in_features = in_features
        self.num_features = in_features
        self.use_mlp_head = use_mlp_head
        self.global_pool = self._pool(pool_type, num_classes)
        self.norm = norm_layer(in_features)
        self.flatten = nn.Flatten(1) if pool_type else nn.Identity()
        self.drop = nn.Dropout(drop_rate)
        self.fc = self._classifier(num_classes)

    @staticmethod
    def _pool(pool_type: str, num_classes: int) -> SelectAdaptivePool2d:
        pool = SelectAdaptivePool2d(pool_type=pool_type)
        if pool.feat_mult() != 1:
            raise ValueError(f'The MetaFormer head needs a pooling that keeps the width, got {pool_type!r}.')
        if not pool_type and num_classes > 0:
            raise ValueError("global_pool='' leaves unpooled maps, which the classifier cannot take; pass "
                             "num_classes=0 with it.")
        return pool

    def _classifier(self, num_classes: int) -> nn.Module:
        if num_classes <= 0:
            return nn.Identity()
        return MlpHead(self.in_features, num_classes) if self.use_mlp_head else nn.Linear(self.in_features, num_classes)

    def reset(self, num_classes: int, pool_type: Optional[str] = None) -> None:
        if pool_type is not None:
            self.global_pool = self._pool(pool_type, num_classes).train(self.training)
            self.flatten = nn.Flatten(1) if pool_type else nn.Identity()
        self.fc = self._classifier(num_classes).train(self.training)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(self.flatten(self.norm(self.global_pool(x))))
        return x if pre_logits else self.fc(x)


class MetaFormer(ZooModel):
    """MetaFormer pyramid: stem, four stages of MetaFormer blocks, pool -> norm -> classifier head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', or '' for unpooled maps.
        depths: blocks per stage.
        dims: channels per stage.
        token_mixers: mixer per stage (or one for all): 'pooling', 'sepconv', 'attention', 'identity', or a factory
            `mixer(dim)`. 'attention' stages run on (B, H*W, C) token sequences, all others on NCHW maps.
        mlp_act: MLP activation ('starrelu', 'gelu', ... or a class).
        mlp_bias: biases in the block MLPs.
        drop_path_rate: stochastic depth rate of the last block.
        proj_drop_rate: dropout after the block MLPs.
        drop_rate: dropout before the classifier.
        layer_scale_init_values: layer scale per stage (or one for all); None disables it.
        res_scale_init_values: residual (shortcut) scale per stage (or one for all); None disables it.
        downsample_norm: norm of the stem output and before each downsample conv; None for none.
        norm_layers: block norm per stage (or one for all), matching the stage's layout: 'groupnorm1',
            'groupnorm1_nobias', 'layernorm2d', 'layernorm2d_nobias' for map stages, 'layernorm', 'layernorm_nobias'
            for attention stages, or a class.
        output_norm: NCHW norm applied after global pooling.
        use_mlp_head: two-layer MLP classifier instead of a linear one.
    """
    trunk = Trunk(stem=('stem',), levels='stages')
    groups = dict(
        stem=r'^stem',
        coarse=r'^stages\.(\d+)',
        blocks=[(r'^stages\.(\d+)\.downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None)],
    )

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            depths: Sequence[int] = (2, 2, 6, 2),
            dims: Sequence[int] = (64, 128, 320, 512),
            token_mixers: Union[LayerSpec, Sequence[LayerSpec]] = 'pooling',
            mlp_act: LayerSpec = 'starrelu',
            mlp_bias: bool = False,
            drop_path_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_rate: float = 0.,
            layer_scale_init_values: Union[None, float, Sequence[Optional[float]]] = None,
            res_scale_init_values: Union[None, float, Sequence[Optional[float]]] = (None, None, 1.0, 1.0),
            downsample_norm: Optional[LayerSpec] = 'layernorm2d_nobias',
            norm_layers: Union[LayerSpec, Sequence[LayerSpec]] = 'layernorm2d_nobias',
            output_norm: LayerSpec = 'layernorm2d',
            use_mlp_head: bool = True,
    ):
        super().__init__()
        num_stages = len(depths)
        if len(dims) != num_stages:
            raise ValueError(f'depths and dims need one entry per stage, got {len(depths)} and {len(dims)}.')

        def stage_values(value: Any, what: str) -> Tuple[Any, ...]:
            if value is None or isinstance(value, (str, float, int)) or callable(value):
                return (value,) * num_stages
            if len(value) != num_stages:
                raise ValueError(f'{what} needs one entry per stage ({num_stages}), got {len(value)}.')
            return tuple(value)

        mixers = [_resolve(m, _MIXERS, 'token mixer') for m in stage_values(token_mixers, 'token_mixers')]
        # self-attention mixes token sequences; every other mixer works on NCHW maps
        channels_first = [m is not _attention_mixer for m in mixers]
        norms = [_resolve(n, _NORMS, 'norm layer') for n in stage_values(norm_layers, 'norm_layers')]
        self.num_classes = num_classes
        self.num_features = self.head_hidden_size = dims[-1]
        self.drop_rate = drop_rate
        downsample_norm = _resolve(downsample_norm, _NORMS, 'norm layer')

        self.stem = Stem(in_chans, dims[0], norm_layer=downsample_norm)
        stages, self.feature_info = make_stages(
            depths, dims, mixers, norms, channels_first,
            layer_scale_init_values=stage_values(layer_scale_init_values, 'layer_scale_init_values'),
            res_scale_init_values=stage_values(res_scale_init_values, 'res_scale_init_values'),
            drop_path_rate=drop_path_rate,
            mlp_act=_resolve(mlp_act, _ACTS, 'activation'),
            mlp_bias=mlp_bias,
            proj_drop=proj_drop_rate,
            downsample_norm=downsample_norm,
        )
        self.stages = nn.Sequential(*stages)
        self.head = MetaFormerHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate,
                                   norm_layer=_resolve(output_norm, _NORMS, 'norm layer'), use_mlp_head=use_mlp_head)
        self.apply(init_conv_linear_trunc_normal_)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))



def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the official sail-sg PoolFormer / MetaFormer checkpoints besides timm's layout.

    PoolFormer v1 (`network.N`) interleaves block lists (even N) with patch embeddings (odd N) and names layer scale
    `layer_scale_1/2`; the MetaFormer baselines name transitions `downsample_layers.N` (with `pre_norm` /
    `post_norm` and `proj`) and blocks `stages.N.M`. Both call the stem `patch_embed` / `downsample_layers.0`, the
    final norm `norm` and the classifier `head`; scales stored with singleton dims are reshaped.
    """
    state_dict = state_dict.get('model', state_dict)
    if 'stem.conv.weight' in state_dict:
        return state_dict
    own = model.state_dict()
    out = {}
    for key, value in state_dict.items():
        key = re.sub(r'layer_scale_(\d)', r'layer_scale\1.scale', key)
        # v1: network.0/2/4/6 are the block lists of stages 0-3, network.1/3/5 the transitions into stages 1-3
        match = re.match(r'^network\.(\d+)\.(.*)$', key)
        if match:
            index, rest = int(match.group(1)), match.group(2)
            if index % 2 == 0:
                key = re.sub(r'^(\d+)\.', rf'stages.{index // 2}.blocks.\1.', rest)
            else:
                key = f'stages.{(index + 1) // 2}.downsample.{rest}'
        key = re.sub(r'^downsample_layers\.0\.', 'stem.', key)
        key = re.sub(r'^downsample_layers\.(\d+)\.', r'stages.\1.downsample.', key)
        key = re.sub(r'^stages\.(\d+)\.(\d+)\.', r'stages.\1.blocks.\2.', key)
        key = re.sub(r'^patch_embed\.', 'stem.', key)
        key = re.sub(r'^(stem|stages\.\d+\.downsample)\.proj\.', r'\1.conv.', key)
        key = re.sub(r'^(stem|stages\.\d+\.downsample)\.(pre|post)_norm\.', r'\1.norm.', key)
        key = re.sub(r'^head\.', 'head.fc.', key)
        key = re.sub(r'^norm\.', 'head.norm.', key)
        if key in own and value.shape != own[key].shape and value.numel() == own[key].numel():
            value = value.reshape(own[key].shape)
        out[key] = value
    return out


def _create_metaformer(variant: str, pretrained: bool = False, **kwargs: Any) -> MetaFormer:
    return build_model_with_cfg(
        MetaFormer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='stem.conv', classifier='head.fc.fc2', pool_size=(7, 7), crop_pct=1.0,
               interpolation='bicubic', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_R384 = dict(input_size=(3, 384, 384), pool_size=(12, 12))


def _caformer_cfgs(arch: str) -> Dict[str, Dict[str, Any]]:
    # the ConvFormer and CAFormer sizes share one set of tags: ImageNet-1k at 224 / 384, 22k fine-tuned, 22k
    return {
        f'{arch}.sail_in1k': _cfg(),
        f'{arch}.sail_in1k_384': _cfg(**_R384),
        f'{arch}.sail_in22k_ft_in1k': _cfg(),
        f'{arch}.sail_in22k_ft_in1k_384': _cfg(**_R384),
        f'{arch}.sail_in22k': _cfg(num_classes=21841),
    }


default_cfgs = generate_default_cfgs({
    'poolformer_s12.sail_in1k': _cfg(crop_pct=0.9, classifier='head.fc'),
    'poolformer_s24.sail_in1k': _cfg(crop_pct=0.9, classifier='head.fc'),
    'poolformer_s36.sail_in1k': _cfg(crop_pct=0.9, classifier='head.fc'),
    'poolformer_m36.sail_in1k': _cfg(crop_pct=0.95, classifier='head.fc'),
    'poolformer_m48.sail_in1k': _cfg(crop_pct=0.95, classifier='head.fc'),
    'poolformerv2_s12.sail_in1k': _cfg(classifier='head.fc'),
    'poolformerv2_s24.sail_in1k': _cfg(classifier='head.fc'),
    'poolformerv2_s36.sail_in1k': _cfg(classifier='head.fc'),
    'poolformerv2_m36.sail_in1k': _cfg(classifier='head.fc'),
    'poolformerv2_m48.sail_in1k': _cfg(classifier='head.fc'),
    **_caformer_cfgs('convformer_s18'),
    **_caformer_cfgs('convformer_s36'),
    **_caformer_cfgs('convformer_m36'),
    **_caformer_cfgs('convformer_b36'),
    **_caformer_cfgs('caformer_s18'),
    **_caformer_cfgs('caformer_s36'),
    **_caformer_cfgs('caformer_m36'),
    **_caformer_cfgs('caformer_b36'),
})


def _metaformer(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> MetaFormer:
    return _create_metaformer(variant, pretrained, **dict(model_args, **kwargs))


# PoolFormer v1: GroupNorm with bias, GELU MLP with biases, layer scale, no stem / downsample norm, linear head
_POOL_V1 = dict(downsample_norm=None, mlp_act='gelu', mlp_bias=True, norm_layers='groupnorm1',
                res_scale_init_values=None, use_mlp_head=False)
_POOL_V2 = dict(norm_layers='groupnorm1_nobias', use_mlp_head=False)
_CONV = dict(token_mixers='sepconv', norm_layers='layernorm2d_nobias')
_CA = dict(token_mixers=('sepconv', 'sepconv', 'attention', 'attention'),
           norm_layers=('layernorm2d_nobias',) * 2 + ('layernorm_nobias',) * 2)

_S12 = dict(depths=(2, 2, 6, 2), dims=(64, 128, 320, 512))
_S24 = dict(depths=(4, 4, 12, 4), dims=(64, 128, 320, 512))
_S36 = dict(depths=(6, 6, 18, 6), dims=(64, 128, 320, 512))
_M36 = dict(depths=(6, 6, 18, 6), dims=(96, 192, 384, 768))
_M48 = dict(depths=(8, 8, 24, 8), dims=(96, 192, 384, 768))
_B_S18 = dict(depths=(3, 3, 9, 3), dims=(64, 128, 320, 512))
_B_S36 = dict(depths=(3, 12, 18, 3), dims=(64, 128, 320, 512))
_B_M36 = dict(depths=(3, 12, 18, 3), dims=(96, 192, 384, 576))
_B_B36 = dict(depths=(3, 12, 18, 3), dims=(128, 256, 512, 768))


@register_model
def poolformer_s12(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformer_s12', pretrained, dict(_S12, **_POOL_V1, layer_scale_init_values=1e-5), kwargs)


@register_model
def poolformer_s24(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformer_s24', pretrained, dict(_S24, **_POOL_V1, layer_scale_init_values=1e-5), kwargs)


@register_model
def poolformer_s36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformer_s36', pretrained, dict(_S36, **_POOL_V1, layer_scale_init_values=1e-6), kwargs)


@register_model
def poolformer_m36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformer_m36', pretrained, dict(_M36, **_POOL_V1, layer_scale_init_values=1e-6), kwargs)


@register_model
def poolformer_m48(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformer_m48', pretrained, dict(_M48, **_POOL_V1, layer_scale_init_values=1e-6), kwargs)


@register_model
def poolformerv2_s12(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformerv2_s12', pretrained, dict(_S12, **_POOL_V2), kwargs)


@register_model
def poolformerv2_s24(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformerv2_s24', pretrained, dict(_S24, **_POOL_V2), kwargs)


@register_model
def poolformerv2_s36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformerv2_s36', pretrained, dict(_S36, **_POOL_V2), kwargs)


@register_model
def poolformerv2_m36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformerv2_m36', pretrained, dict(_M36, **_POOL_V2), kwargs)


@register_model
def poolformerv2_m48(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('poolformerv2_m48', pretrained, dict(_M48, **_POOL_V2), kwargs)


@register_model
def convformer_s18(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('convformer_s18', pretrained, dict(_B_S18, **_CONV), kwargs)


@register_model
def convformer_s36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('convformer_s36', pretrained, dict(_B_S36, **_CONV), kwargs)


@register_model
def convformer_m36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('convformer_m36', pretrained, dict(_B_M36, **_CONV), kwargs)


@register_model
def convformer_b36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('convformer_b36', pretrained, dict(_B_B36, **_CONV), kwargs)


@register_model
def caformer_s18(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('caformer_s18', pretrained, dict(_B_S18, **_CA), kwargs)


@register_model
def caformer_s36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('caformer_s36', pretrained, dict(_B_S36, **_CA), kwargs)


@register_model
def caformer_m36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('caformer_m36', pretrained, dict(_B_M36, **_CA), kwargs)


@register_model
def caformer_b36(pretrained: bool = False, **kwargs) -> MetaFormer:
    return _metaformer('caformer_b36', pretrained, dict(_B_B36, **_CA), kwargs)
