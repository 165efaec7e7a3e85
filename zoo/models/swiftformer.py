"""SwiftFormer: efficient additive attention for real-time mobile vision transformers.

Paper: "SwiftFormer: Efficient Additive Attention for Transformer-based Real-time Mobile Vision Applications", Shaker
et al., ICCV 2023 (arXiv:2303.15446).

A two-conv stride-4 stem and four stages on (B, C, H, W) maps. Each stage is conv encoders (depthwise 3x3, BN, 1x1
expand, GELU, 1x1 project, layer scale, residual) and one SwiftFormer encoder at its end: a local representation
(the same conv unit), *efficient additive attention* and a BN + 1x1-conv MLP, each layer-scaled. The attention
(section 3.2) replaces query-key products by one learned vector: normalised queries are scored against it, the
softmax-free scores (normalised over tokens) pool the queries into one global query, which multiplies every
normalised key; a linear layer plus the queries themselves gives the output. Cost is linear in the token count and
nothing depends on the input size. Classification averages a class and a distillation head (`head_dist`).

Deviation from timm: `forward` never returns a tuple (timm returns both heads' logits in training mode when
`distilled_training` is set); `forward_head_distilled` returns both.
"""
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerType, get_act_layer, trunc_normal_
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._distilled import DistilledLinearHeads
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['SwiftFormer', 'EfficientAdditiveAttention', 'checkpoint_filter_fn']


class LayerScale2d(nn.Module):
    """Per-channel scale of NCHW maps; the released weights store it as a (C, 1, 1) `gamma`."""

    def __init__(self, dim: int, init_values: float = 1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim, 1, 1), float(init_values)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class Embedding(nn.Module):
    """Strided conv -> BN: the downsampling between stages."""

    def __init__(self, in_chans: int, embed_dim: int, patch_size: int = 3, stride: int = 2, padding: int = 1):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, stride, padding)
        self.norm = nn.BatchNorm2d(embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x))


def _pointwise_pair(dim: int, hidden_dim: int) -> Tuple[nn.Conv2d, nn.Conv2d]:
    """The 1x1 expand (dim -> hidden_dim) and project (hidden_dim -> dim) convs around an MLP's activation."""
    return nn.Conv2d(dim, hidden_dim, 1), nn.Conv2d(hidden_dim, dim, 1)


class ConvEncoder(nn.Module):
    """Depthwise kxk -> BN -> 1x1 (to hidden_dim) -> activation -> 1x1 -> layer scale, residual.

    The SwiftFormer block's local representation is the same unit with hidden_dim = dim.

    Args:
        dim: channels.
        hidden_dim: width of the pointwise hidden layer.
        kernel_size: depthwise kernel.
        drop_path: stochastic depth rate.
        act_layer: activation.
        use_layer_scale: scale the branch per channel (initialised to 1).
    """

    def __init__(self, dim: int, hidden_dim: int = 64, kernel_size: int = 3, drop_path: float = 0.,
                 act_layer: LayerType = nn.GELU, use_layer_scale: bool = True):
        super().__init__()
        # spatial mixing per channel (same padding), then an inverted-bottleneck MLP over channels
        self.dwconv = nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.BatchNorm2d(dim)
        self.pwconv1, self.pwconv2 = _pointwise_pair(dim, hidden_dim)
        self.act = act_layer()
        # starts at 1 rather than at the small `layer_scale_init_value` of the SwiftFormer block's two branches
        self.layer_scale = LayerScale2d(dim, 1.) if use_layer_scale else nn.Identity()
        self.drop_path = nn.Identity() if drop_path <= 0. else DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.pwconv2(self.act(self.pwconv1(self.norm(self.dwconv(x)))))
        return x + self.drop_path(self.layer_scale(branch))


class Mlp(nn.Module):
    """BN -> 1x1 conv -> activation -> dropout -> 1x1 conv -> dropout."""

    def __init__(self, in_features: int, hidden_features: Optional[int] = None, act_layer: LayerType = nn.GELU,
                 drop: float = 0.):
        super().__init__()
        hidden_features = hidden_features or in_features
        self.norm1 = nn.BatchNorm2d(in_features)
        self.fc1, self.fc2 = _pointwise_pair(in_features, hidden_features)
        self.act = act_layer()
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.act(self.fc1(self.norm1(x))))
        return self.drop(self.fc2(x))


class EfficientAdditiveAttention(nn.Module):
    """Efficient additive attention (paper eq. 4-6) on NCHW maps.

    Args:
        in_dims: input channels.
        token_dim: query / key width (per head).
        num_heads: heads (the released models use 1).
    """

    def __init__(self, in_dims: int = 512, token_dim: int = 256, num_heads: int = 1):
        super().__init__()
        width = token_dim * num_heads
        self.scale_factor = token_dim ** -0.5
        self.to_query = nn.Linear(in_dims, width)
        self.to_key = nn.Linear(in_dims, width)
        self.w_g = nn.Parameter(torch.randn(width, 1))
        self.proj = nn.Linear(width, width)
        self.final = nn.Linear(width, token_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)
        query = F.normalize(self.to_query(x), dim=-1)
        key = F.normalize(self.to_key(x), dim=-1)
        # one score per token against the learned vector, normalised over the tokens
        scores = F.normalize(query @ self.w_g * self.scale_factor, dim=1)
        global_query = (scores * query).sum(dim=1, keepdim=True)
        out = self.final(self.proj(global_query * key) + query)
        return out.transpose(1, 2).reshape(b, -1, h, w)


class Block(nn.Module):
    """SwiftFormer encoder: local representation, then layer-scaled attention and MLP branches (shared drop path)."""

    def __init__(self, dim: int, mlp_ratio: float = 4., drop_rate: float = 0., drop_path: float = 0.,
                 act_layer: LayerType = nn.GELU, use_layer_scale: bool = True, layer_scale_init_value: float = 1e-5):
        super().__init__()
        self.local_representation = ConvEncoder(dim, dim, act_layer=act_layer, use_layer_scale=use_layer_scale)
        self.attn = EfficientAdditiveAttention(in_dims=dim, token_dim=dim)
        self.linear = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=drop_rate)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.layer_scale_1 = LayerScale2d(dim, layer_scale_init_value) if use_layer_scale else nn.Identity()
        self.layer_scale_2 = LayerScale2d(dim, layer_scale_init_value) if use_layer_scale else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.local_representation(x)
        # two residual branches (additive attention, then the MLP), each scaled, sharing one stochastic depth
        for branch, scale in ((self.attn, self.layer_scale_1), (self.linear, self.layer_scale_2)):
            x = x + self.drop_path(scale(branch(x)))
        return x


class Stage(nn.Module):
    """Optional downsampling, conv encoders, and one SwiftFormer encoder last."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, dim: int, depth: int, mlp_ratio: float = 4., act_layer: LayerType = nn.GELU,
                 drop_rate: float = 0., drop_path_rates: Sequence[float] = (), use_layer_scale: bool = True,
                 layer_scale_init_value: float = 1e-5, downsample: Optional[nn.Module] = None):
        super().__init__()
        rates = list(drop_path_rates) or [0.] * depth
        self.downsample = downsample if downsample is not None else nn.Identity()
        blocks: List[nn.Module] = [
            ConvEncoder(dim, int(mlp_ratio * dim), 3, rates[i], act_layer, use_layer_scale) for i in range(depth - 1)]
        blocks.append(Block(dim, mlp_ratio, drop_rate, rates[-1], act_layer, use_layer_scale, layer_scale_init_value))
        self.blocks = CheckpointSequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class SwiftFormer(DistilledLinearHeads, ZooModel):
    """SwiftFormer (XS / S / L1 / L3): conv stem, four stages, BN, pooled (distilled) linear heads.

    Args:
        layers: blocks per stage.
        embed_dims: stage widths.
        mlp_ratios: MLP expansion.
        downsamples: downsample before each stage.
        act_layer: activation.
        down_patch_size: downsampling kernel.
        down_stride: downsampling stride.
        down_pad: downsampling padding.
        num_classes: classifier outputs; 0 removes the classifiers.
        drop_rate: dropout before the classifiers.
        proj_drop_rate: MLP dropout.
        drop_path_rate: stochastic depth rate (linear over all blocks).
        use_layer_scale: layer-scale the branches.
        layer_scale_init_value: init of the attention / MLP layer scales.
        global_pool: 'avg' or '' (with num_classes=0).
        in_chans: input image channels.
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm',))
    groups = dict(
        stem=r'^stem',
        blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None), (r'^norm', (99999,))],
        coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            layers: Sequence[int] = (3, 3, 6, 4),
            embed_dims: Sequence[int] = (48, 56, 112, 220),
            mlp_ratios: float = 4,
            downsamples: Sequence[bool] = (False, True, True, True),
            act_layer: LayerType = nn.GELU,
            down_patch_size: int = 3,
            down_stride: int = 2,
            down_pad: int = 1,
            num_classes: int = 1000,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            use_layer_scale: bool = True,
            layer_scale_init_value: float = 1e-5,
            global_pool: str = 'avg',
            in_chans: int = 3,
    ):
        super().__init__()
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, embed_dims[0] // 2, 3, 2, 1), nn.BatchNorm2d(embed_dims[0] // 2), nn.ReLU(),
            nn.Conv2d(embed_dims[0] // 2, embed_dims[0], 3, 2, 1), nn.BatchNorm2d(embed_dims[0]), nn.ReLU())
        dpr = stagewise_drop_path_rates(drop_path_rate, layers)
        stages, self.feature_info = [], []
        prev_dim = embed_dims[0]
        for i, depth in enumerate(layers):
            downsample = Embedding(prev_dim, embed_dims[i], down_patch_size, down_stride,
                                   down_pad) if downsamples[i] else None
            stages.append(Stage(embed_dims[i], depth, mlp_ratios, act_layer, proj_drop_rate, dpr[i], use_layer_scale,
                                layer_scale_init_value, downsample))
            prev_dim = embed_dims[i]
            self.feature_info.append(dict(num_chs=embed_dims[i], reduction=2 ** (i + 2), module=f'stages.{i}'))
        self.stages = nn.Sequential(*stages)
        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.norm = nn.BatchNorm2d(self.num_features)
        self._init_heads(self.num_features, num_classes, global_pool, drop_rate)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        # each stage checkpoints its own blocks when grad checkpointing is on
        return self.norm(self.stages(self.stem(x)))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: SwiftFormer) -> Dict[str, torch.Tensor]:
    """Map the official SwiftFormer release layout (`patch_embed`, one `network` list alternating stages and
    downsampling, bare `layer_scale*` tensors, `attn.Proj`, `dist_head`) to this model's."""
    state_dict = state_dict.get('model', state_dict)
    if 'stem.0.weight' in state_dict:
        return state_dict
    out = {}
    for key, value in state_dict.items():
        for old, new in (('patch_embed.', 'stem.'), ('dist_head.', 'head_dist.'), ('attn.Proj.', 'attn.proj.')):
            key = key.replace(old, new)
        key = re.sub(r'\.(layer_scale(?:_\d)?)$', r'.\1.gamma', key)
        m = re.match(r'^network\.(\d+)\.(.*)', key)
        if m:
            index, rest = int(m.group(1)), m.group(2)
            # even entries are stages, odd ones the downsampling before the next stage
            if index % 2 == 0:
                key = f'stages.{index // 2}.blocks.{rest}'
            else:
                key = f'stages.{index // 2 + 1}.downsample.{rest}'
        out[key] = value
    return out


def _create_swiftformer(variant: str, pretrained: bool = False, **kwargs: Any) -> SwiftFormer:
    return build_model_with_cfg(SwiftFormer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=None,
               fixed_input_size=True, crop_pct=.95, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN,
               std=IMAGENET_DEFAULT_STD, first_conv='stem.0', classifier=('head', 'head_dist'), license='apache-2.0',
               paper_ids='arXiv:2303.15446',
               paper_name='SwiftFormer: Efficient Additive Attention for Transformer-based Real-time Mobile Vision '
                          'Applications',
               origin_url='https://github.com/Amshaker/SwiftFormer')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'swiftformer_xs.dist_in1k': _cfg(),
    'swiftformer_s.dist_in1k': _cfg(),
    'swiftformer_l1.dist_in1k': _cfg(),
    'swiftformer_l3.dist_in1k': _cfg(),
})

# blocks per stage and stage widths (paper table 1)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    swiftformer_xs=dict(layers=(3, 3, 6, 4), embed_dims=(48, 56, 112, 220)),
    swiftformer_s=dict(layers=(3, 3, 9, 6), embed_dims=(48, 64, 168, 224)),
    swiftformer_l1=dict(layers=(4, 3, 10, 5), embed_dims=(48, 96, 192, 384)),
    swiftformer_l3=dict(layers=(4, 4, 12, 6), embed_dims=(64, 128, 320, 512)),
)


def _swiftformer(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> SwiftFormer:
    return _create_swiftformer(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def swiftformer_xs(pretrained: bool = False, **kwargs: Any) -> SwiftFormer:
    return _swiftformer('swiftformer_xs', pretrained, kwargs)


@register_model
def swiftformer_s(pretrained: bool = False, **kwargs: Any) -> SwiftFormer:
    return _swiftformer('swiftformer_s', pretrained, kwargs)


@register_model
def swiftformer_l1(pretrained: bool = False, **kwargs: Any) -> SwiftFormer:
    return _swiftformer('swiftformer_l1', pretrained, kwargs)


@register_model
def swiftformer_l3(pretrained: bool = False, **kwargs: Any) -> SwiftFormer:
    return _swiftformer('swiftformer_l3', pretrained, kwargs)
