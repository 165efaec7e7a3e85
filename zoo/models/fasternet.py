"""FasterNet: partial convolution for high-FLOPS, low-latency networks.

Paper: "Run, Don't Walk: Chasing Higher FLOPS for Faster Neural Networks", Chen et al., CVPR 2023
(arXiv:2303.03667). Depthwise convolutions cut FLOPs but not memory traffic, so they run at low FLOPS. A partial
convolution (PConv) instead applies a regular 3x3 conv to only `1/n_div` of the channels and leaves the rest untouched;
each block follows it with a pointwise MLP (1x1 expand -> BN -> act -> 1x1 project) and the identity shortcut. Stages
are joined by 2x2 stride-2 conv + BN "patch merging"; the stem is a 4x4 stride-4 conv + BN. The head pools, applies a
1x1 conv to `feature_dim` channels and the activation, then a linear classifier.
"""
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers import DropPath, LayerType, SelectAdaptivePool2d, get_act_layer, get_norm_layer, to_2tuple
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.models._base import Trunk, ZooModel, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['FasterNet', 'MLPBlock', 'PartialConv3']

NormFactory = Callable[..., nn.Module]


class PartialConv3(nn.Module):
    """3x3 conv over the first `dim // n_div` channels; the others pass through.

    Args:
        dim: channels.
        n_div: 1 / the share of channels that are convolved.
        forward: 'split_cat' (split, convolve, concatenate; autograd-safe) or 'slicing' (overwrite the convolved
            channels of a copy; inference only, the layout the paper benchmarks).
    """

    def __init__(self, dim: int, n_div: int, forward: str = 'split_cat'):
        super().__init__()
        if forward not in ('split_cat', 'slicing'):
            raise ValueError(f"Unknown partial conv forward {forward!r}; use 'split_cat' or 'slicing'.")
        self.dim_conv = dim // n_div
        self.dim_untouched = dim - self.dim_conv
        self.use_slicing = forward == 'slicing'
        self.partial_conv3 = nn.Conv2d(self.dim_conv, self.dim_conv, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_slicing and not torch.is_grad_enabled():
            x = x.clone()  # the input is still the block's shortcut
            x[:, :self.dim_conv] = self.partial_conv3(x[:, :self.dim_conv])
            return x
        x_conv, x_id = torch.split(x, (self.dim_conv, self.dim_untouched), dim=1)
        return torch.cat((self.partial_conv3(x_conv), x_id), dim=1)


class MLPBlock(nn.Module):
    """PConv -> 1x1 (mlp_ratio x) -> norm -> act -> 1x1, scaled by an optional layer scale, plus the shortcut.

    Args:
        dim: channels.
        n_div: PConv channel divisor.
        mlp_ratio: MLP expansion.
        drop_path: stochastic depth rate.
        layer_scale_init_value: initial layer scale; 0 disables it.
        act_layer: MLP activation.
        norm_layer: MLP norm.
        pconv_fw_type: PConv forward, 'split_cat' or 'slicing'.
    """

    def __init__(self, dim: int, n_div: int, mlp_ratio: float, drop_path: float, layer_scale_init_value: float,
                 act_layer: Callable[..., nn.Module] = nn.ReLU, norm_layer: NormFactory = nn.BatchNorm2d,
                 pconv_fw_type: str = 'split_cat'):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Conv2d(dim, hidden, 1, bias=False),
            norm_layer(hidden),
            act_layer(),
            nn.Conv2d(hidden, dim, 1, bias=False),
        )
        self.spatial_mixing = PartialConv3(dim, n_div, pconv_fw_type)
        self.layer_scale = nn.Parameter(torch.full((dim,), layer_scale_init_value)) \
            if layer_scale_init_value > 0 else None
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.mlp(self.spatial_mixing(x))
        if self.layer_scale is not None:
            y = y * self.layer_scale.view(1, -1, 1, 1)
        return x + self.drop_path(y)


class PatchMerging(nn.Module):
    """Non-overlapping `patch_size` conv (stride = kernel, no bias) doubling the width, then a norm."""

    def __init__(self, dim: int, patch_size: Union[int, Tuple[int, int]] = 2,
                 norm_layer: Optional[NormFactory] = nn.BatchNorm2d):
        super().__init__()
        self.reduction = nn.Conv2d(dim, 2 * dim, patch_size, stride=patch_size, bias=False)
        self.norm = norm_layer(2 * dim) if norm_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.reduction(x))


class PatchEmbed(nn.Module):
    """Non-overlapping `patch_size` conv (no bias) + norm."""

    def __init__(self, in_chans: int, embed_dim: int, patch_size: Union[int, Tuple[int, int]] = 4,
                 norm_layer: Optional[NormFactory] = nn.BatchNorm2d):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, stride=patch_size, bias=False)
        self.norm = norm_layer(embed_dim) if norm_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x))


class FasterNetStage(nn.Module):
    """Optional patch merging followed by `depth` blocks (keys `blocks`, `downsample`)."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, dim: int, depth: int, drop_path_rates: Sequence[float], use_merge: bool,
                 merge_size: Union[int, Tuple[int, int]], norm_layer: NormFactory, **block_kwargs: Any):
        super().__init__()
        self.blocks = CheckpointSequential(*[
            MLPBlock(dim, drop_path=drop_path_rates[i], norm_layer=norm_layer, **block_kwargs) for i in range(depth)])
        self.downsample = PatchMerging(dim // 2, merge_size, norm_layer) if use_merge else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        return self.blocks(x)


def make_stages(
        embed_dim: int,
        depths: Sequence[int],
        merge_size: Union[int, Tuple[int, int]],
        patch_stride: int,
        norm_layer: NormFactory,
        drop_path_rate: float = 0.,
        **block_kwargs: Any,
) -> Tuple[List[FasterNetStage], List[Dict[str, Any]]]:
    """Stages of width `embed_dim * 2**i`; every stage after the first opens with patch merging."""
    rates = stagewise_drop_path_rates(drop_path_rate, depths)
    merge_stride = to_2tuple(merge_size)[0]
    stages, feature_info = [], []
    reduction = patch_stride
    for i, depth in enumerate(depths):
        dim = embed_dim * 2 ** i
        if i > 0:
            reduction *= merge_stride
        stages.append(FasterNetStage(dim, depth, rates[i], use_merge=i > 0, merge_size=merge_size,
                                     norm_layer=norm_layer, **block_kwargs))
        feature_info.append(dict(num_chs=dim, reduction=reduction, module=f'stages.{i}'))
    return stages, feature_info


class FasterNet(ZooModel):
    """FasterNet: patch embedding, four stages of PConv blocks, pool -> 1x1 conv -> act -> linear head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', or '' for unpooled maps (the head conv then runs per position).
        embed_dim: width of the first stage (doubling per stage).
        depths: blocks per stage (one int: the same for four stages).
        mlp_ratio: MLP expansion.
        n_div: PConv channel divisor.
        patch_size: stem patch size (and stride).
        merge_size: patch-merging kernel (and stride).
        patch_norm: a norm after the stem conv.
        feature_dim: width of the head conv.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        layer_scale_init_value: initial layer scale; 0 disables it.
        act_layer: activation of the blocks and the head.
        norm_layer: NCHW norm.
        pconv_fw_type: 'split_cat' or 'slicing'.
    """
    trunk = Trunk(stem=('patch_embed',), levels='stages')
    classifier_name = 'classifier'
    groups = dict(
        stem=r'^patch_embed',
        blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None),
                (r'^conv_head', (99999,))],
    )

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dim: int = 96,
            depths: Union[int, Sequence[int]] = (1, 2, 8, 2),
            mlp_ratio: float = 2.,
            n_div: int = 4,
            patch_size: Union[int, Tuple[int, int]] = 4,
            merge_size: Union[int, Tuple[int, int]] = 2,
            patch_norm: bool = True,
            feature_dim: int = 1280,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.1,
            layer_scale_init_value: float = 0.,
            act_layer: LayerType = partial(nn.ReLU, inplace=True),
            norm_layer: LayerType = nn.BatchNorm2d,
            pconv_fw_type: str = 'split_cat',
    ):
        super().__init__()
        check_pooled_head(global_pool, num_classes)
        if isinstance(depths, int):
            depths = (depths,) * 4
        act_layer = get_act_layer(act_layer)
        norm_layer = get_norm_layer(norm_layer)
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        self.head_drop = nn.Dropout(drop_rate)

        self.patch_embed = PatchEmbed(in_chans, embed_dim, patch_size, norm_layer if patch_norm else None)
        stages, self.feature_info = make_stages(
            embed_dim, depths, merge_size, to_2tuple(patch_size)[0], norm_layer,
            drop_path_rate=drop_path_rate,
            n_div=n_div,
            mlp_ratio=mlp_ratio,
            layer_scale_init_value=layer_scale_init_value,
            act_layer=act_layer,
            pconv_fw_type=pconv_fw_type,
        )
        self.stages = nn.Sequential(*stages)
        self.num_features = self.feature_info[-1]['num_chs']
        self.head_hidden_size = feature_dim

        self.global_pool = self._pool(global_pool)
        self.conv_head = nn.Conv2d(self.num_features, feature_dim, 1, bias=False)
        self.act = act_layer()
        self.flatten = nn.Flatten(1) if global_pool else nn.Identity()
        self.classifier = nn.Linear(feature_dim, num_classes) if num_classes > 0 else nn.Identity()
        self.apply(_init_weights)

    @staticmethod
    def _pool(pool_type: str) -> SelectAdaptivePool2d:
        pool = SelectAdaptivePool2d(pool_type=pool_type)
        if pool.feat_mult() != 1:
            raise ValueError(f'FasterNet pools before a 1x1 conv of fixed width; {pool_type!r} changes the width.')
        return pool

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        # the pooled features go through the head conv first, so only pooling and the classifier change
        if global_pool is not None:
            self.global_pool = self._pool(global_pool).train(self.training)
            self.flatten = nn.Flatten(1) if global_pool else nn.Identity()
        self.classifier = (nn.Linear(self.head_hidden_size, num_classes) if num_classes > 0 else nn.Identity()).train(
            self.training)

    def _replace_head(self, in_features: int) -> None:
        self.conv_head = nn.Identity()
        self.act = nn.Identity()
        self.head_hidden_size = in_features
        self._reset_head(0, '')

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.patch_embed(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        # FasterNet's 1x1 "head" conv runs on the pooled vector, so the pre-logits are its activated output
        embedding = self.head_drop(self.flatten(self.act(self.conv_head(self.global_pool(x)))))
        return embedding if pre_logits else self.classifier(embedding)


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode='fan_out')


def _create_fasternet(variant: str, pretrained: bool = False, **kwargs: Any) -> FasterNet:
    return build_model_with_cfg(FasterNet, variant, pretrained,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='patch_embed.proj', classifier='classifier', pool_size=(7, 7),
               crop_pct=1.0, test_crop_pct=0.9, interpolation='bicubic', license='apache-2.0',
               origin_url='https://github.com/JierunChen/FasterNet',
               paper_name="Run, Don't Walk: Chasing Higher FLOPS for Faster Neural Networks",
               paper_ids='arXiv:2303.03667')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'fasternet_t0.in1k': _cfg(),
    'fasternet_t1.in1k': _cfg(),
    'fasternet_t2.in1k': _cfg(),
    'fasternet_s.in1k': _cfg(),
    'fasternet_m.in1k': _cfg(),
    'fasternet_l.in1k': _cfg(),
})


def _fasternet(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> FasterNet:
    return _create_fasternet(variant, pretrained, **dict(model_args, **kwargs))


# the T0 / T1 sizes use GELU; the others keep the default ReLU
@register_model
def fasternet_t0(pretrained: bool = False, **kwargs) -> FasterNet:
    model_args = dict(embed_dim=40, depths=(1, 2, 8, 2), drop_path_rate=0., act_layer=nn.GELU)
    return _fasternet('fasternet_t0', pretrained, model_args, kwargs)


@register_model
def fasternet_t1(pretrained: bool = False, **kwargs) -> FasterNet:
    model_args = dict(embed_dim=64, depths=(1, 2, 8, 2), drop_path_rate=0.02, act_layer=nn.GELU)
    return _fasternet('fasternet_t1', pretrained, model_args, kwargs)


@register_model
def fasternet_t2(pretrained: bool = False, **kwargs) -> FasterNet:
    return _fasternet('fasternet_t2', pretrained, dict(embed_dim=96, depths=(1, 2, 8, 2), drop_path_rate=0.05), kwargs)


@register_model
def fasternet_s(pretrained: bool = False, **kwargs) -> FasterNet:
    return _fasternet('fasternet_s', pretrained, dict(embed_dim=128, depths=(1, 2, 13, 2), drop_path_rate=0.1), kwargs)


@register_model
def fasternet_m(pretrained: bool = False, **kwargs) -> FasterNet:
    return _fasternet('fasternet_m', pretrained, dict(embed_dim=144, depths=(3, 4, 18, 3), drop_path_rate=0.2), kwargs)


@register_model
def fasternet_l(pretrained: bool = False, **kwargs) -> FasterNet:
    return _fasternet('fasternet_l', pretrained, dict(embed_dim=192, depths=(3, 4, 18, 3), drop_path_rate=0.3), kwargs)
