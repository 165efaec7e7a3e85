"""EfficientFormer: a dimension-consistent ViT design running at MobileNet speed.

Paper: "EfficientFormer: Vision Transformers at MobileNet Speed", Li et al., NeurIPS 2022 (arXiv:2206.01191).

A two-conv stride-4 stem, then four stages of 4D "MetaBlocks" on (B, C, H, W) maps (PoolFormer's pooling mixer and a
1x1-conv MLP with BatchNorms, each branch layer-scaled), with a strided 3x3 conv + BN between stages. The last
`num_vit` blocks of the final stage are 3D MetaBlocks on (B, N, C) tokens: LayerNorm, multi-head attention with a
learned bias per head for each absolute (|dy|, |dx|) offset (LeViT style) and an MLP (section 3.2). The model is
therefore built for one input size (224 px: a 7 x 7 token grid). Classification averages the tokens and, as the
released distilled weights do, averages a class head and a distillation head (`head_dist`).

Deviation from timm: `forward` never returns a tuple (timm returns both heads' logits in training mode when
`distilled_training` is set); `forward_head_distilled` returns both for training against a teacher.
"""
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import DropPath, LayerType, get_act_layer, to_2tuple, trunc_normal_
from zoo.layers.attention import attend
from zoo.layers.attention_bias import abs_offset_bias_index, gather_offset_bias
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.layer_scale import LayerScale, LayerScale2d
from zoo.layers.mlp import Mlp
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._distilled import DistilledLinearHeads
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.metaformer import Pooling

__all__ = ['EfficientFormer', 'checkpoint_filter_fn']


class Attention(nn.Module):
    """Multi-head attention over a fixed token grid with a learned bias per head and absolute offset.

    Args:
        dim: token width.
        key_dim: query / key width per head.
        num_heads: heads.
        attn_ratio: value width per head / key_dim.
        resolution: side(s) of the token grid the biases are laid out for.
    """

    def __init__(self, dim: int = 384, key_dim: int = 32, num_heads: int = 8, attn_ratio: float = 4,
                 resolution: int = 7):
        super().__init__()
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.val_dim = int(attn_ratio * key_dim)
        self.val_attn_dim = self.val_dim * num_heads
        # per head, the projection's output holds [query, key, value] side by side
        self.qkv = nn.Linear(dim, (2 * key_dim + self.val_dim) * num_heads)
        self.proj = nn.Linear(self.val_attn_dim, dim)
        resolution = to_2tuple(resolution)
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, resolution[0] * resolution[1]))
        # persistent: the released checkpoints carry the index
        self.register_buffer('attention_bias_idxs', abs_offset_bias_index(resolution))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        qkv = self.qkv(x).view(b, n, self.num_heads, -1).transpose(1, 2)
        q, k, v = qkv.split([self.key_dim, self.key_dim, self.val_dim], dim=-1)
        bias = gather_offset_bias(self, self.attention_biases, self.attention_bias_idxs).to(q.dtype)
        x = attend(q, k, v, attn_mask=bias)
        return self.proj(x.transpose(1, 2).reshape(b, n, self.val_attn_dim))


class Stem4(nn.Sequential):
    """Two stride-2 3x3 conv -> BN -> activation layers."""

    def __init__(self, in_chs: int, out_chs: int, act_layer: LayerType = nn.ReLU,
                 norm_layer: LayerType = nn.BatchNorm2d):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chs, out_chs // 2, 3, stride=2, padding=1)
        self.norm1 = norm_layer(out_chs // 2)
        self.act1 = act_layer()
        self.conv2 = nn.Conv2d(out_chs // 2, out_chs, 3, stride=2, padding=1)
        self.norm2 = norm_layer(out_chs)
        self.act2 = act_layer()


class Downsample(nn.Module):
    """Strided kxk conv -> norm between stages."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 3, stride: int = 2,
                 norm_layer: LayerType = nn.BatchNorm2d):
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride=stride, padding=kernel_size // 2)
        self.norm = norm_layer(out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x))


class Flat(nn.Module):
    """(B, C, H, W) maps -> (B, H * W, C) tokens, where the 3D blocks start."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).transpose(1, 2)


class ConvMlpWithNorm(nn.Module):
    """1x1 conv -> BN -> activation -> 1x1 conv -> BN (dropout after the activation and at the end)."""

    def __init__(self, in_features: int, hidden_features: Optional[int] = None, out_features: Optional[int] = None,
                 act_layer: LayerType = nn.GELU, norm_layer: Optional[LayerType] = nn.BatchNorm2d, drop: float = 0.):
        super().__init__()
        widths = (in_features, hidden_features or in_features, out_features or in_features)
        # layer i (fc{i}, norm{i}) maps widths[i - 1] -> widths[i]; the checkpoints number the two layers from 1
        for i in (1, 2):
            setattr(self, f'fc{i}', nn.Conv2d(widths[i - 1], widths[i], 1))
            setattr(self, f'norm{i}', nn.Identity() if norm_layer is None else norm_layer(widths[i]))
        self.act = act_layer()
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.act(self.norm1(self.fc1(x))))
        return self.drop(self.norm2(self.fc2(x)))


class _MetaBlock(nn.Module):
    """The two residual branches every MetaBlock has: `x + drop_path(ls(layer(norm(x))))` for the token mixer, then
    for the MLP. The 4D blocks have no norms of their own (their MLP normalises inside), the 3D ones pre-norm.

    Args:
        dim: channels / token width.
        token_mixer: the first branch's layer.
        mlp: the second branch's layer.
        norm_layer: pre-norm of both branches; None for none.
        layer_scale: LayerScale (tokens) or LayerScale2d (maps).
        layer_scale_init_value: its init.
        drop_path: stochastic depth rate of both branches.
    """

    def __init__(self, dim: int, token_mixer: nn.Module, mlp: nn.Module, norm_layer: Optional[LayerType],
                 layer_scale: Type[nn.Module], layer_scale_init_value: float, drop_path: float):
        super().__init__()
        for i, (name, layer) in enumerate((('token_mixer', token_mixer), ('mlp', mlp)), start=1):
            setattr(self, f'norm{i}', nn.Identity() if norm_layer is None else norm_layer(dim))
            setattr(self, name, layer)
            setattr(self, f'ls{i}', layer_scale(dim, layer_scale_init_value))
            setattr(self, f'drop_path{i}', DropPath(drop_path) if drop_path > 0. else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.ls1(self.token_mixer(self.norm1(x))))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class MetaBlock1d(_MetaBlock):
    """3D MetaBlock on tokens: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x)))."""

    def __init__(self, dim: int, mlp_ratio: float = 4., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = nn.LayerNorm, proj_drop: float = 0., drop_path: float = 0.,
                 layer_scale_init_value: float = 1e-5):
        super().__init__(dim, Attention(dim), Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop),
                         norm_layer, LayerScale, layer_scale_init_value, drop_path)


class MetaBlock2d(_MetaBlock):
    """4D MetaBlock on maps: x + ls1(pool(x) - x), then x + ls2(conv-BN MLP(x))."""

    def __init__(self, dim: int, pool_size: int = 3, mlp_ratio: float = 4., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = nn.BatchNorm2d, proj_drop: float = 0., drop_path: float = 0.,
                 layer_scale_init_value: float = 1e-5):
        mlp = ConvMlpWithNorm(dim, int(dim * mlp_ratio), act_layer=act_layer, norm_layer=norm_layer, drop=proj_drop)
        super().__init__(dim, Pooling(dim, pool_size=pool_size), mlp, None, LayerScale2d, layer_scale_init_value,
                         drop_path)


class EfficientFormerStage(nn.Module):
    """Optional downsampling, 4D MetaBlocks, then (last stage) `Flat` and `num_vit` 3D MetaBlocks."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, dim: int, dim_out: int, depth: int, downsample: bool = True, num_vit: int = 0,
                 pool_size: int = 3, mlp_ratio: float = 4., act_layer: LayerType = nn.GELU,
                 norm_layer: LayerType = nn.BatchNorm2d, norm_layer_cl: LayerType = nn.LayerNorm,
                 proj_drop: float = 0., drop_path: Sequence[float] = (), layer_scale_init_value: float = 1e-5):
        super().__init__()
        if downsample:
            self.downsample = Downsample(dim, dim_out, norm_layer=norm_layer)
        elif dim != dim_out:
            raise ValueError(f'A stage without downsampling keeps its width: {dim} != {dim_out}.')
        else:
            self.downsample = nn.Identity()
        drop_path = list(drop_path) or [0.] * depth
        num_conv = depth - min(num_vit, depth)
        blocks: List[nn.Module] = [
            MetaBlock2d(dim_out, pool_size, mlp_ratio, act_layer, norm_layer, proj_drop, drop_path[i],
                        layer_scale_init_value) for i in range(num_conv)]
        if num_vit:
            blocks.append(Flat())
            blocks += [MetaBlock1d(dim_out, mlp_ratio, act_layer, norm_layer_cl, proj_drop, drop_path[i],
                                   layer_scale_init_value) for i in range(num_conv, depth)]
        self.blocks = CheckpointSequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class EfficientFormer(DistilledLinearHeads, ZooModel):
    """EfficientFormer (L1 / L3 / L7): stem, four MetaBlock stages (attention at the end of the last), token head.

    Args:
        depths: blocks per stage.
        embed_dims: stage widths.
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifiers.
        global_pool: 'avg' (mean over tokens) or '' (with num_classes=0).
        downsamples: downsample before each stage (default: all but the first).
        num_vit: 3D (attention) MetaBlocks at the end of the last stage.
        mlp_ratios: MLP expansion.
        pool_size: pooling mixer window.
        layer_scale_init_value: layer-scale init.
        act_layer: activation of the MLPs.
        norm_layer: norm of the 4D blocks, stem and downsampling.
        norm_layer_cl: norm of the 3D blocks and the final norm.
        drop_rate: dropout before the classifiers.
        proj_drop_rate: MLP dropout.
        drop_path_rate: stochastic depth rate (per-stage linear schedule).
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm',))
    groups = dict(stem=r'^stem', blocks=[(r'^stages\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            depths: Sequence[int] = (3, 2, 6, 4),
            embed_dims: Sequence[int] = (48, 96, 224, 448),
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            downsamples: Optional[Sequence[bool]] = None,
            num_vit: int = 0,
            mlp_ratios: float = 4,
            pool_size: int = 3,
            layer_scale_init_value: float = 1e-5,
            act_layer: LayerType = nn.GELU,
            norm_layer: LayerType = nn.BatchNorm2d,
            norm_layer_cl: LayerType = nn.LayerNorm,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.stem = Stem4(in_chans, embed_dims[0], norm_layer=norm_layer)
        num_stages = len(depths)
        downsamples = downsamples or (False,) + (True,) * (num_stages - 1)
        dpr = stagewise_drop_path_rates(drop_path_rate, depths)
        stages, self.feature_info = [], []
        prev_dim = embed_dims[0]
        for i in range(num_stages):
            stages.append(EfficientFormerStage(
                prev_dim, embed_dims[i], depths[i], downsample=downsamples[i],
                num_vit=num_vit if i == num_stages - 1 else 0, pool_size=pool_size, mlp_ratio=mlp_ratios,
                act_layer=act_layer, norm_layer=norm_layer, norm_layer_cl=norm_layer_cl, proj_drop=proj_drop_rate,
                drop_path=dpr[i], layer_scale_init_value=layer_scale_init_value))
            prev_dim = embed_dims[i]
            self.feature_info.append(dict(num_chs=embed_dims[i], reduction=2 ** (i + 2), module=f'stages.{i}'))
        self.stages = nn.Sequential(*stages)
        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.norm = norm_layer_cl(self.num_features)
        self._init_heads(self.num_features, num_classes, global_pool, drop_rate)
        self.apply(_init_weights)

    @torch.jit.ignore
    def no_weight_decay(self) -> set:
        return {k for k, _ in self.named_parameters() if 'attention_biases' in k}

    def _format_level(self, x: torch.Tensor, index: int, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        if x.ndim == 3:  # the token level: normed by the final norm on request, then laid out on its grid
            if norm:
                x = self.norm(x)
            reduction = self.feature_info[index]['reduction']
            x = x.reshape(x.shape[0], input_hw[0] // reduction, input_hw[1] // reduction, -1)
            return x.permute(0, 3, 1, 2).contiguous() if output_fmt == 'NCHW' else x
        return super()._format_level(x, index, False, output_fmt, input_hw)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        # each stage checkpoints its own blocks when grad checkpointing is on
        x = self.stages(self.stem(x))
        return self.norm(x)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=1) if self.global_pool == 'avg' else x


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: EfficientFormer) -> Dict[str, torch.Tensor]:
    """Map the snap-research release layout (`patch_embed.*`, one flat `network` list of stages and downsampling
    layers, `layer_scale_*`, `dist_head`) to this model's; timm-layout checkpoints pass through."""
    if 'stem.conv1.weight' in state_dict:
        return state_dict
    stem_names = {'0': 'conv1', '1': 'norm1', '3': 'conv2', '4': 'norm2'}
    out, stage = {}, 0
    for key, value in state_dict.items():
        key = re.sub(r'^patch_embed\.(\d)\.', lambda m: f'stem.{stem_names[m.group(1)]}.', key)
        if re.match(r'network\.\d+\.proj\.weight', key):
            stage += 1  # every downsampling layer starts the next stage
        key = re.sub(r'^network\.\d+\.(\d+)\.', lambda m: f'stages.{stage}.blocks.{m.group(1)}.', key)
        key = re.sub(r'^network\.\d+\.proj\.', f'stages.{stage}.downsample.conv.', key)
        key = re.sub(r'^network\.\d+\.norm\.', f'stages.{stage}.downsample.norm.', key)
        key = re.sub(r'layer_scale_(\d)', r'ls\1.gamma', key)
        out[key.replace('dist_head', 'head_dist')] = value
    return out


def _create_efficientformer(variant: str, pretrained: bool = False, **kwargs: Any) -> EfficientFormer:
    out_indices = kwargs.pop('out_indices', 4)
    return build_model_with_cfg(EfficientFormer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=out_indices, feature_cls='getter'), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=None,
               fixed_input_size=True, crop_pct=.95, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN,
               std=IMAGENET_DEFAULT_STD, first_conv='stem.conv1', classifier=('head', 'head_dist'),
               license='apache-2.0')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'efficientformer_l1.snap_dist_in1k': _cfg(),
    'efficientformer_l3.snap_dist_in1k': _cfg(),
    'efficientformer_l7.snap_dist_in1k': _cfg(),
})

# (stage widths, stage depths, attention blocks at the end) of each model (paper table 1)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    efficientformer_l1=dict(embed_dims=(48, 96, 224, 448), depths=(3, 2, 6, 4), num_vit=1),
    efficientformer_l3=dict(embed_dims=(64, 128, 320, 512), depths=(4, 4, 12, 6), num_vit=4),
    efficientformer_l7=dict(embed_dims=(96, 192, 384, 768), depths=(6, 6, 18, 8), num_vit=8),
)


def _efficientformer(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> EfficientFormer:
    return _create_efficientformer(variant, pretrained, **dict(_ARCHS[variant], **kwargs))


@register_model
def efficientformer_l1(pretrained: bool = False, **kwargs) -> EfficientFormer:
    return _efficientformer('efficientformer_l1', pretrained, kwargs)


@register_model
def efficientformer_l3(pretrained: bool = False, **kwargs) -> EfficientFormer:
    return _efficientformer('efficientformer_l3', pretrained, kwargs)


@register_model
def efficientformer_l7(pretrained: bool = False, **kwargs) -> EfficientFormer:
    return _efficientformer('efficientformer_l7', pretrained, kwargs)
