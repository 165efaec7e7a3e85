"""InceptionNeXt: a ConvNeXt whose large depthwise kernel is decomposed Inception-style.

Paper: "InceptionNeXt: When Inception Meets ConvNeXt", Yu et al., CVPR 2024 (arXiv:2303.16900). The token mixer
splits the channels into four groups: most pass through unchanged, and three small groups (each `branch_ratio` of the
channels) go through a 3x3 depthwise conv, a 1 x k and a k x 1 depthwise band conv. Everything else follows the
MetaNeXt block: mixer -> BatchNorm -> 1x1-conv MLP -> layer scale, with the identity shortcut; a 4x4 stride-4 stem and
BatchNorm + 2x2 stride-2 conv transitions. The classifier is pool -> fc (3x) -> GELU -> LayerNorm -> fc.

`output_stride` 8 or 16 trades the last strides for dilation, as in ConvNeXt.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers import (
    DropPath,
    LayerNorm,
    LayerType,
    SelectAdaptivePool2d,
    create_conv2d,
    get_act_layer,
    get_norm_layer,
)
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.mlp import Mlp
from zoo.layers.output_stride import stage_strides
from zoo.layers.weight_init import init_conv_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['MetaNeXt', 'MetaNeXtBlock', 'MetaNeXtStage', 'InceptionDWConv2d']


class InceptionDWConv2d(nn.Module):
    """Inception depthwise mixer: identity | 3x3 | 1 x k | k x 1 depthwise convs on four channel groups.

    Args:
        in_chs: channels.
        square_kernel_size: kernel of the square branch.
        band_kernel_size: length k of the two band branches.
        branch_ratio: share of the channels in each conv branch.
        dilation: dilation of every branch (along the band for the band convs).
    """

    def __init__(self, in_chs: int, square_kernel_size: int = 3, band_kernel_size: int = 11,
                 branch_ratio: float = 0.125, dilation: int = 1):
        super().__init__()
        branch = int(in_chs * branch_ratio)
        self.split_sizes = (in_chs - 3 * branch, branch, branch, branch)
        band_pad = dilation * (band_kernel_size // 2)
        self.dwconv_hw = nn.Conv2d(branch, branch, square_kernel_size, groups=branch, dilation=dilation,
                                   padding=dilation * (square_kernel_size // 2))
        self.dwconv_w = nn.Conv2d(branch, branch, (1, band_kernel_size), groups=branch, dilation=(1, dilation),
                                  padding=(0, band_pad))
        self.dwconv_h = nn.Conv2d(branch, branch, (band_kernel_size, 1), groups=branch, dilation=(dilation, 1),
                                  padding=(band_pad, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the first (largest) group is the paper's identity branch and passes through unchanged
        kept, square, wide, tall = x.split(self.split_sizes, dim=1)
        convolved = (self.dwconv_hw(square), self.dwconv_w(wide), self.dwconv_h(tall))
        return torch.cat((kept,) + convolved, dim=1)


class MetaNeXtBlock(nn.Module):
    """Token mixer -> norm -> 1x1-conv MLP -> layer scale (`gamma`), plus the identity shortcut.

    Args:
        dim: channels.
        dilation: dilation of the mixer (output_stride < 32).
        token_mixer: mixer factory `mixer(dim, dilation=...)`.
        norm_layer: NCHW norm.
        mlp_ratio: MLP expansion.
        act_layer: MLP activation.
        ls_init_value: initial layer scale; None disables it.
        drop_path: stochastic depth rate.
    """

    def __init__(
            self,
            dim: int,
            dilation: int = 1,
            token_mixer: Callable[..., nn.Module] = InceptionDWConv2d,
            norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d,
            mlp_ratio: float = 4,
            act_layer: Callable[..., nn.Module] = nn.GELU,
            ls_init_value: Optional[float] = 1e-6,
            drop_path: float = 0.,
    ):
        super().__init__()
        self.token_mixer = token_mixer(dim, dilation=dilation)
        self.norm = norm_layer(dim)
        self.mlp = Mlp(dim, int(mlp_ratio * dim), act_layer=act_layer, use_conv=True)
        self.gamma = nn.Parameter(torch.full((dim,), ls_init_value)) if ls_init_value else None
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.mlp(self.norm(self.token_mixer(x)))
        if self.gamma is not None:
            out = out * self.gamma.view(1, -1, 1, 1)
        return self.drop_path(out) + x


class MetaNeXtStage(nn.Module):
    """Optional downsample (norm + 2x2 conv, TF-'same' padded when dilated) followed by `depth` blocks.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        stride: downsample stride (1 or 2).
        dilation: (dilation of the downsample conv, dilation of the blocks).
        depth: number of blocks.
        drop_path_rates: stochastic depth rate per block.
        norm_layer: NCHW norm of the downsample and the blocks.
        **block_kwargs: passed to every block.
    """
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            stride: int = 2,
            dilation: Tuple[int, int] = (1, 1),
            depth: int = 2,
            drop_path_rates: Sequence[float] = (),
            norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d,
            **block_kwargs: Any,
    ):
        super().__init__()
        if stride > 1 or dilation[0] != dilation[1]:
            self.downsample = nn.Sequential(
                norm_layer(in_chs),
                create_conv2d(in_chs, out_chs, 2, stride=stride, dilation=dilation[0],
                              padding='same' if dilation[1] > 1 else 0, bias=True),
            )
        else:
            self.downsample = nn.Identity()
        rates = list(drop_path_rates) or [0.] * depth
        self.blocks = CheckpointSequential(*[
            MetaNeXtBlock(out_chs, dilation=dilation[1], norm_layer=norm_layer, drop_path=rates[i], **block_kwargs)
            for i in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


def make_stages(
        depths: Sequence[int],
        dims: Sequence[int],
        token_mixers: Sequence[Callable[..., nn.Module]],
        mlp_ratios: Sequence[float],
        output_stride: int = 32,
        drop_path_rate: float = 0.,
        **stage_kwargs: Any,
) -> Tuple[List[MetaNeXtStage], List[Dict[str, Any]]]:
    """The stages (the first keeps the stem's stride-4 resolution) and their feature_info."""
    rates = stagewise_drop_path_rates(drop_path_rate, depths)
    strides = stage_strides([1] + [2] * (len(depths) - 1), stem_stride=4, output_stride=output_stride)
    stages, feature_info = [], []
    prev_chs = dims[0]
    for i, (depth, dim, res) in enumerate(zip(depths, dims, strides)):
        stages.append(MetaNeXtStage(
            prev_chs, dim, stride=res.stride, dilation=(res.first_dilation, res.dilation), depth=depth,
            drop_path_rates=rates[i], token_mixer=token_mixers[i], mlp_ratio=mlp_ratios[i], **stage_kwargs))
        prev_chs = dim
        feature_info.append(dict(num_chs=dim, reduction=res.reduction, module=f'stages.{i}'))
    return stages, feature_info


class MlpClassifierHead(nn.Module):
    """Global pool -> fc1 (mlp_ratio x) -> act -> LayerNorm -> dropout -> fc2.

    Args:
        in_features: channels of the final map.
        num_classes: classifier outputs; 0 leaves the hidden features.
        pool_type: 'avg', 'max', 'avgmax' or 'catavgmax' (pooling cannot be disabled: the MLP needs vectors).
        mlp_ratio: hidden width relative to `in_features`.
        act_layer: hidden activation.
        drop_rate: dropout before fc2.
    """

    def __init__(self, in_features: int, num_classes: int = 1000, pool_type: str = 'avg', mlp_ratio: float = 3,
                 act_layer: Callable[..., nn.Module] = nn.GELU, drop_rate: float = 0.):
        super().__init__()
        self.global_pool = self._pool(pool_type)
        hidden = int(mlp_ratio * in_features)
        self.num_features = hidden
        self.fc1 = nn.Linear(in_features * self.global_pool.feat_mult(), hidden)
        self.act = act_layer()
        self.norm = LayerNorm(hidden)
        self.drop = nn.Dropout(drop_rate)
        self.fc2 = nn.Linear(hidden, num_classes) if num_classes > 0 else nn.Identity()

    @staticmethod
    def _pool(pool_type: str) -> SelectAdaptivePool2d:
        if not pool_type:
            raise ValueError("InceptionNeXt's MLP head needs pooled features; global_pool='' is not supported.")
        return SelectAdaptivePool2d(pool_type=pool_type, flatten=True)

    def reset(self, num_classes: int, pool_type: Optional[str] = None) -> None:
        if pool_type is not None:
            pool = self._pool(pool_type)
            if pool.feat_mult() != self.global_pool.feat_mult():
                raise ValueError(f'Pooling {pool_type!r} changes the pooled width the head MLP was built for.')
            self.global_pool = pool.train(self.training)
        self.fc2 = (nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()).train(
            self.training)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(self.norm(self.act(self.fc1(self.global_pool(x)))))
        return x if pre_logits else self.fc2(x)


class MetaNeXt(ZooModel):
    """MetaNeXt trunk (InceptionNeXt with the Inception depthwise mixer) + MLP classifier head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax' or 'catavgmax'.
        output_stride: 32, 16 or 8; later stages dilate instead of striding.
        depths: blocks per stage.
        dims: channels per stage.
        token_mixers: mixer factory per stage (or one for all), called as `mixer(dim, dilation=d)`.
        norm_layer: NCHW norm of the stem, transitions and blocks.
        act_layer: MLP activation.
        mlp_ratios: MLP expansion per stage (or one for all).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        ls_init_value: initial layer scale; None disables it.
    """
    trunk = Trunk(stem=('stem',), levels='stages')
    classifier_name = 'head.fc2'
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
            output_stride: int = 32,
            depths: Sequence[int] = (3, 3, 9, 3),
            dims: Sequence[int] = (96, 192, 384, 768),
            token_mixers: Union[Callable[..., nn.Module], Sequence[Callable[..., nn.Module]]] = InceptionDWConv2d,
            norm_layer: LayerType = nn.BatchNorm2d,
            act_layer: LayerType = nn.GELU,
            mlp_ratios: Union[float, Sequence[float]] = (4, 4, 4, 3),
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            ls_init_value: Optional[float] = 1e-6,
    ):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f'output_stride must be 8, 16 or 32, got {output_stride}.')
        num_stages = len(depths)
        token_mixers = list(token_mixers) if isinstance(token_mixers, (list, tuple)) else [token_mixers] * num_stages
        mlp_ratios = list(mlp_ratios) if isinstance(mlp_ratios, (list, tuple)) else [mlp_ratios] * num_stages
        if not len(dims) == len(token_mixers) == len(mlp_ratios) == num_stages:
            raise ValueError('dims, token_mixers and mlp_ratios need one entry per stage (as depths).')
        norm_layer = get_norm_layer(norm_layer)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        self.num_features = dims[-1]

        self.stem = nn.Sequential(nn.Conv2d(in_chans, dims[0], 4, stride=4), norm_layer(dims[0]))
        stages, self.feature_info = make_stages(
            depths, dims, token_mixers, mlp_ratios,
            output_stride=output_stride,
            drop_path_rate=drop_path_rate,
            norm_layer=norm_layer,
            act_layer=get_act_layer(act_layer),
            ls_init_value=ls_init_value,
        )
        self.stages = nn.Sequential(*stages)
        self.head = MlpClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        self.head_hidden_size = self.head.num_features
        self.apply(init_conv_linear_trunc_normal_)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))



def _create_inception_next(variant: str, pretrained: bool = False, **kwargs: Any) -> MetaNeXt:
    return build_model_with_cfg(MetaNeXt, variant, pretrained,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='stem.0', classifier='head.fc2', pool_size=(7, 7), crop_pct=0.875,
               interpolation='bicubic', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'inception_next_atto.sail_in1k': _cfg(),
    'inception_next_tiny.sail_in1k': _cfg(),
    'inception_next_small.sail_in1k': _cfg(),
    'inception_next_base.sail_in1k': _cfg(crop_pct=0.95),
    'inception_next_base.sail_in1k_384': _cfg(input_size=(3, 384, 384), crop_pct=1.0, pool_size=(12, 12)),
})


def _inception_next(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> MetaNeXt:
    return _create_inception_next(variant, pretrained, **dict(model_args, **kwargs))


def _atto_mixer(dim: int, dilation: int = 1) -> InceptionDWConv2d:
    # the smallest model uses shorter bands on twice the share of channels
    return InceptionDWConv2d(dim, band_kernel_size=9, branch_ratio=0.25, dilation=dilation)


@register_model
def inception_next_atto(pretrained: bool = False, **kwargs) -> MetaNeXt:
    model_args = dict(depths=(2, 2, 6, 2), dims=(40, 80, 160, 320), token_mixers=_atto_mixer)
    return _inception_next('inception_next_atto', pretrained, model_args, kwargs)


@register_model
def inception_next_tiny(pretrained: bool = False, **kwargs) -> MetaNeXt:
    return _inception_next('inception_next_tiny', pretrained, dict(depths=(3, 3, 9, 3), dims=(96, 192, 384, 768)),
                           kwargs)


@register_model
def inception_next_small(pretrained: bool = False, **kwargs) -> MetaNeXt:
    return _inception_next('inception_next_small', pretrained, dict(depths=(3, 3, 27, 3), dims=(96, 192, 384, 768)),
                           kwargs)


@register_model
def inception_next_base(pretrained: bool = False, **kwargs) -> MetaNeXt:
    return _inception_next('inception_next_base', pretrained,
                           dict(depths=(3, 3, 27, 3), dims=(128, 256, 512, 1024)), kwargs)
