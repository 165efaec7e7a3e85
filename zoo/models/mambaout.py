"""MambaOut: a pyramid of Gated CNN blocks, i.e. Mamba blocks without the state-space model.

Paper: "MambaOut: Do We Really Need Mamba for Vision?", Yu & Wang, 2024 (arXiv:2405.07992). The Gated CNN block
normalises the (channels-last) input, projects it to a gate and a value half, runs a depthwise 7x7 conv over the
trailing `conv_ratio * dim` channels of the value half, multiplies by the activated gate and projects back:
`x + fc2(act(g) * [v_id, dwconv(v_conv)])`.

The stem is two 3x3 stride-2 convs, transitions are 3x3 stride-2 convs, and the whole trunk runs on NHWC tensors
(level outputs are NHWC). The paper's models classify with pool -> LayerNorm -> MLP (with a norm in the hidden
layer); the `_rw` variants and `test_mambaout` (trained in timm) use layer scale, norm-first downsampling, no norm
inside the stem and a plain pool -> norm -> fc -> GELU -> classifier head.
"""
import re
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from zoo.layers import DropPath, LayerNorm, LayerScale, LayerType, get_act_layer
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.weight_init import init_conv_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['MambaOut', 'GatedConvBlock', 'MambaOutStage']

NormFactory = Callable[..., nn.Module]


def _conv_nhwc(conv: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply an NCHW conv to an NHWC tensor."""
    return conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


def _halving_conv(in_chs: int, out_chs: int) -> nn.Conv2d:
    """The 3x3 stride-2 (padding 1) conv every resolution step of MambaOut uses: both stem convs and the
    downsampling between stages."""
    return nn.Conv2d(in_chs, out_chs, 3, stride=2, padding=1)


class Stem(nn.Module):
    """3x3 stride-2 conv (half width) -> [norm] -> act -> 3x3 stride-2 conv -> norm; NCHW in, NHWC out."""

    def __init__(self, in_chs: int, out_chs: int, mid_norm: bool = True,
                 act_layer: Callable[..., nn.Module] = nn.GELU, norm_layer: NormFactory = LayerNorm):
        super().__init__()
        mid = out_chs // 2
        self.conv1 = _halving_conv(in_chs, mid)
        # the paper's stem normalises between the convs; the `_rw` stems go from conv1 straight to the activation
        self.norm1 = norm_layer(mid) if mid_norm else None
        self.act = act_layer()
        self.conv2 = _halving_conv(mid, out_chs)
        self.norm2 = norm_layer(out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        if self.norm1 is not None:
            x = self.norm1(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = self.conv2(self.act(x))
        return self.norm2(x.permute(0, 2, 3, 1))


class Downsample(nn.Module):
    """3x3 stride-2 conv on NHWC tensors, with the norm after the conv (paper) or before it (`norm_first`)."""

    def __init__(self, in_chs: int, out_chs: int, norm_layer: NormFactory = LayerNorm, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        # registration order follows the computation so the module prints as it runs
        if norm_first:
            self.norm = norm_layer(in_chs)
        self.conv = _halving_conv(in_chs, out_chs)
        if not norm_first:
            self.norm = norm_layer(out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm_first:
            return _conv_nhwc(self.conv, self.norm(x))
        return self.norm(_conv_nhwc(self.conv, x))


class GatedConvBlock(nn.Module):
    """Gated CNN block on NHWC tensors.

    Args:
        dim: channels.
        expansion_ratio: hidden width (gate and value halves each) relative to `dim`.
        kernel_size: depthwise conv kernel.
        conv_ratio: channels of the value half that go through the depthwise conv, relative to `dim`.
        ls_init_value: layer scale initial value; None disables it.
        norm_layer: channels-last norm.
        act_layer: gate activation.
        drop_path: stochastic depth rate.
    """

    def __init__(
            self,
            dim: int,
            expansion_ratio: float = 8 / 3,
            kernel_size: int = 7,
            conv_ratio: float = 1.0,
            ls_init_value: Optional[float] = None,
            norm_layer: NormFactory = LayerNorm,
            act_layer: Callable[..., nn.Module] = nn.GELU,
            drop_path: float = 0.,
    ):
        super().__init__()
        hidden = int(expansion_ratio * dim)
        conv_chs = int(conv_ratio * dim)
        # fc1 output: gate | identity part of the value | depthwise-conv part of the value
        self.split_sizes = (hidden, hidden - conv_chs, conv_chs)
        self.norm = norm_layer(dim)
        self.fc1 = nn.Linear(dim, 2 * hidden)
        self.act = act_layer()
        self.conv = nn.Conv2d(conv_chs, conv_chs, kernel_size, padding=kernel_size // 2, groups=conv_chs)
        self.fc2 = nn.Linear(hidden, dim)
        self.ls = LayerScale(dim, ls_init_value) if ls_init_value is not None else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value_id, value_conv = torch.split(self.fc1(self.norm(x)), self.split_sizes, dim=-1)
        value = torch.cat((value_id, _conv_nhwc(self.conv, value_conv)), dim=-1)
        return x + self.drop_path(self.ls(self.fc2(self.act(gate) * value)))


class MambaOutStage(nn.Module):
    """Optional downsample + `depth` Gated CNN blocks (NHWC in and out).

    Args:
        dim: input channels.
        dim_out: output channels (a downsample is added when set and different, or when `downsample` asks).
        depth: number of blocks.
        downsample: '' (none), 'conv' (conv -> norm) or 'conv_nf' (norm -> conv).
        norm_layer: channels-last norm.
        drop_path_rates: stochastic depth rate per block.
        **block_kwargs: passed to every block.
    """
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(
            self,
            dim: int,
            dim_out: Optional[int] = None,
            depth: int = 4,
            downsample: str = '',
            norm_layer: NormFactory = LayerNorm,
            drop_path_rates: Sequence[float] = (),
            **block_kwargs: Any,
    ):
        super().__init__()
        dim_out = dim_out or dim
        if downsample not in ('', 'conv', 'conv_nf'):
            raise ValueError(f"Unknown downsample {downsample!r}; use '', 'conv' or 'conv_nf'.")
        if downsample:
            self.downsample = Downsample(dim, dim_out, norm_layer=norm_layer, norm_first=downsample == 'conv_nf')
        else:
            if dim != dim_out:
                raise ValueError(f'A stage that changes the width ({dim} -> {dim_out}) needs a downsample.')
            self.downsample = nn.Identity()
        rates = list(drop_path_rates) or [0.] * depth
        self.blocks = CheckpointSequential(*[
            GatedConvBlock(dim_out, norm_layer=norm_layer, drop_path=rates[i], **block_kwargs) for i in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


def make_stages(
        depths: Sequence[int],
        dims: Sequence[int],
        downsample: str,
        drop_path_rate: float = 0.,
        **stage_kwargs: Any,
) -> Tuple[List[MambaOutStage], List[Dict[str, Any]]]:
    """The stages (the first keeps the stem's resolution) and their feature_info."""
    rates = stagewise_drop_path_rates(drop_path_rate, depths)
    stages, feature_info = [], []
    prev_chs, reduction = dims[0], 4
    for i, (depth, dim) in enumerate(zip(depths, dims)):
        if i > 0:
            reduction *= 2
        stages.append(MambaOutStage(prev_chs, dim, depth=depth, downsample=downsample if i > 0 else '',
                                    drop_path_rates=rates[i], **stage_kwargs))
        prev_chs = dim
        feature_info.append(dict(num_chs=dim, reduction=reduction, module=f'stages.{i}'))
    return stages, feature_info


class MambaOutHead(nn.Module):
    """Global average pool (NHWC) -> norm -> fc -> GELU [-> norm] -> dropout -> classifier.

    Args:
        in_features: channels of the final features.
        num_classes: classifier outputs; 0 leaves the hidden features.
        hidden_size: width of the hidden layer.
        pool_type: 'avg', or '' to keep the map (each position is classified).
        hidden_norm: a norm after the hidden activation (the paper's head).
        norm_layer: channels-last norm.
        drop_rate: dropout before the classifier.
    """

    def __init__(self, in_features: int, num_classes: int, hidden_size: int, pool_type: str = 'avg',
                 hidden_norm: bool = True, norm_layer: NormFactory = LayerNorm, drop_rate: float = 0.):
        super().__init__()
        self.pool_type = self._check_pool(pool_type)
        self.num_features = hidden_size
        self.norm = norm_layer(in_features)
        layers = [('fc', nn.Linear(in_features, hidden_size)), ('act', nn.GELU())]
        if hidden_norm:
            layers.append(('norm', norm_layer(hidden_size)))
        self.pre_logits = nn.Sequential(OrderedDict(layers))
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(hidden_size, num_classes) if num_classes > 0 else nn.Identity()

    @staticmethod
    def _check_pool(pool_type: str) -> str:
        if pool_type not in ('', 'avg'):
            raise ValueError(f"MambaOut's head takes global_pool='avg' (or '' for none), got {pool_type!r}.")
        return pool_type

    def reset(self, num_classes: int, pool_type: Optional[str] = None) -> None:
        if pool_type is not None:
            self.pool_type = self._check_pool(pool_type)
        fc = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.fc = fc.to(self.norm.weight.device).train(self.training)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if self.pool_type == 'avg':
            x = x.mean(dim=(1, 2))
        x = self.drop(self.pre_logits(self.norm(x)))
        return x if pre_logits else self.fc(x)


class MambaOut(ZooModel):
    """MambaOut: stem, four stages of Gated CNN blocks (NHWC), pool -> norm -> MLP head.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', or '' for unpooled (NHWC) features.
        depths: blocks per stage.
        dims: channels per stage.
        norm_layer: channels-last norm (LayerNorm, eps 1e-6).
        act_layer: activation of the stem and the block gates.
        conv_ratio: depthwise-conv share of the value channels, relative to the block width.
        expansion_ratio: hidden width of the blocks relative to their width.
        kernel_size: depthwise conv kernel.
        stem_mid_norm: a norm between the two stem convs.
        ls_init_value: layer scale initial value; None disables it.
        downsample: 'conv' (conv -> norm) or 'conv_nf' (norm -> conv) transitions.
        drop_path_rate: stochastic depth rate of the last block.
        drop_rate: dropout before the classifier.
        head_fn: 'default' (hidden norm in the MLP head, as in the paper) or 'norm_mlp' (no hidden norm).
    """
    trunk = Trunk(stem=('stem',), levels='stages', level_fmt='NHWC')
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
            depths: Sequence[int] = (3, 3, 9, 3),
            dims: Sequence[int] = (96, 192, 384, 576),
            norm_layer: NormFactory = LayerNorm,
            act_layer: LayerType = 'gelu',
            conv_ratio: float = 1.0,
            expansion_ratio: float = 8 / 3,
            kernel_size: int = 7,
            stem_mid_norm: bool = True,
            ls_init_value: Optional[float] = None,
            downsample: str = 'conv',
            drop_path_rate: float = 0.,
            drop_rate: float = 0.,
            head_fn: str = 'default',
    ):
        super().__init__()
        if head_fn not in ('default', 'norm_mlp'):
            raise ValueError(f"Unknown head_fn {head_fn!r}; use 'default' or 'norm_mlp'.")
        if len(depths) != len(dims):
            raise ValueError(f'depths and dims need one entry per stage, got {len(depths)} and {len(dims)}.')
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.num_features = dims[-1]
        self.drop_rate = drop_rate

        self.stem = Stem(in_chans, dims[0], mid_norm=stem_mid_norm, act_layer=act_layer, norm_layer=norm_layer)
        stages, self.feature_info = make_stages(
            depths, dims, downsample,
            drop_path_rate=drop_path_rate,
            norm_layer=norm_layer,
            act_layer=act_layer,
            conv_ratio=conv_ratio,
            expansion_ratio=expansion_ratio,
            kernel_size=kernel_size,
            ls_init_value=ls_init_value,
        )
        self.stages = nn.Sequential(*stages)
        self.head = MambaOutHead(self.num_features, num_classes, hidden_size=4 * self.num_features,
                                 pool_type=global_pool, hidden_norm=head_fn == 'default', norm_layer=norm_layer,
                                 drop_rate=drop_rate)
        self.head_hidden_size = self.head.num_features
        self.apply(init_conv_linear_trunc_normal_)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """NHWC features of the last stage."""
        return self.stages(self.stem(x))



def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the official yuweihao/MambaOut checkpoints besides timm's layout.

    The official layout calls the stem `downsample_layers.0`, transitions `downsample_layers.N`, blocks
    `stages.N.M`, the post-pool norm `norm`, and the MLP head `head.fc1 / head.norm / head.fc2`.
    """
    state_dict = state_dict.get('model', state_dict)
    if 'stem.conv1.weight' in state_dict:
        return state_dict
    out = {}
    for key, value in state_dict.items():
        key = re.sub(r'^downsample_layers\.0\.', 'stem.', key)
        key = re.sub(r'^downsample_layers\.(\d+)\.', r'stages.\1.downsample.', key)
        key = re.sub(r'^stages\.(\d+)\.(\d+)\.', r'stages.\1.blocks.\2.', key)
        if key.startswith('head.'):
            key = key.replace('head.fc1.', 'head.pre_logits.fc.').replace('head.norm.', 'head.pre_logits.norm.')
            key = key.replace('head.fc2.', 'head.fc.')
        key = re.sub(r'^norm\.', 'head.norm.', key)
        out[key] = value
    return out


def _create_mambaout(variant: str, pretrained: bool = False, **kwargs: Any) -> MambaOut:
    return build_model_with_cfg(
        MambaOut, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='stem.conv1', classifier='head.fc', pool_size=(7, 7), crop_pct=1.0,
               test_input_size=(3, 288, 288), interpolation='bicubic', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_SW_E500 = dict(crop_pct=0.95, test_crop_pct=1.0)

default_cfgs = generate_default_cfgs({
    # original weights (Yu & Wang)
    'mambaout_femto.in1k': _cfg(),
    'mambaout_kobe.in1k': _cfg(),
    'mambaout_tiny.in1k': _cfg(),
    'mambaout_small.in1k': _cfg(),
    'mambaout_base.in1k': _cfg(),
    # timm-trained variants
    'mambaout_small_rw.sw_e450_in1k': _cfg(),
    'mambaout_base_short_rw.sw_e500_in1k': _cfg(**_SW_E500),
    'mambaout_base_tall_rw.sw_e500_in1k': _cfg(**_SW_E500),
    'mambaout_base_wide_rw.sw_e500_in1k': _cfg(**_SW_E500),
    'mambaout_base_plus_rw.sw_e150_in12k_ft_in1k': _cfg(),
    'mambaout_base_plus_rw.sw_e150_r384_in12k_ft_in1k': _cfg(
        input_size=(3, 384, 384), test_input_size=(3, 384, 384), crop_mode='squash', pool_size=(12, 12)),
    'mambaout_base_plus_rw.sw_e150_in12k': _cfg(num_classes=11821),
    'test_mambaout': _cfg(hf_hub_id=None, input_size=(3, 160, 160), test_input_size=(3, 192, 192), pool_size=(5, 5)),
})


def _mambaout(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> MambaOut:
    return _create_mambaout(variant, pretrained, **dict(model_args, **kwargs))


# the timm-trained (`_rw`) recipe: no stem mid-norm, norm-first transitions, layer scale, plain MLP head
_RW = dict(stem_mid_norm=False, downsample='conv_nf', ls_init_value=1e-6, head_fn='norm_mlp')


@register_model
def mambaout_femto(pretrained: bool = False, **kwargs) -> MambaOut:
    return _mambaout('mambaout_femto', pretrained, dict(depths=(3, 3, 9, 3), dims=(48, 96, 192, 288)), kwargs)


@register_model
def mambaout_kobe(pretrained: bool = False, **kwargs) -> MambaOut:
    """The paper's "Kobe Memorial" size: femto widths with 24 blocks."""
    return _mambaout('mambaout_kobe', pretrained, dict(depths=(3, 3, 15, 3), dims=(48, 96, 192, 288)), kwargs)


@register_model
def mambaout_tiny(pretrained: bool = False, **kwargs) -> MambaOut:
    return _mambaout('mambaout_tiny', pretrained, dict(depths=(3, 3, 9, 3), dims=(96, 192, 384, 576)), kwargs)


@register_model
def mambaout_small(pretrained: bool = False, **kwargs) -> MambaOut:
    return _mambaout('mambaout_small', pretrained, dict(depths=(3, 4, 27, 3), dims=(96, 192, 384, 576)), kwargs)


@register_model
def mambaout_base(pretrained: bool = False, **kwargs) -> MambaOut:
    return _mambaout('mambaout_base', pretrained, dict(depths=(3, 4, 27, 3), dims=(128, 256, 512, 768)), kwargs)


@register_model
def mambaout_small_rw(pretrained: bool = False, **kwargs) -> MambaOut:
    model_args = dict(depths=(3, 4, 27, 3), dims=(96, 192, 384, 576), **_RW)
    return _mambaout('mambaout_small_rw', pretrained, model_args, kwargs)


@register_model
def mambaout_base_short_rw(pretrained: bool = False, **kwargs) -> MambaOut:
    model_args = dict(depths=(3, 3, 25, 3), dims=(128, 256, 512, 768), expansion_ratio=3.0, conv_ratio=1.25, **_RW)
    return _mambaout('mambaout_base_short_rw', pretrained, model_args, kwargs)


@register_model
def mambaout_base_tall_rw(pretrained: bool = False, **kwargs) -> MambaOut:
    model_args = dict(depths=(3, 4, 30, 3), dims=(128, 256, 512, 768), expansion_ratio=2.5, conv_ratio=1.25, **_RW)
    return _mambaout('mambaout_base_tall_rw', pretrained, model_args, kwargs)


@register_model
def mambaout_base_wide_rw(pretrained: bool = False, **kwargs) -> MambaOut:
    model_args = dict(depths=(3, 4, 27, 3), dims=(128, 256, 512, 768), expansion_ratio=3.0, conv_ratio=1.5,
                      act_layer='silu', **_RW)
    return _mambaout('mambaout_base_wide_rw', pretrained, model_args, kwargs)


@register_model
def mambaout_base_plus_rw(pretrained: bool = False, **kwargs) -> MambaOut:
    model_args = dict(depths=(3, 4, 30, 3), dims=(128, 256, 512, 768), expansion_ratio=3.0, conv_ratio=1.5,
                      act_layer='silu', **_RW)
    return _mambaout('mambaout_base_plus_rw', pretrained, model_args, kwargs)


@register_model
def test_mambaout(pretrained: bool = False, **kwargs) -> MambaOut:
    """A tiny MambaOut for fast tests."""
    model_args = dict(depths=(1, 1, 3, 1), dims=(16, 32, 48, 64), expansion_ratio=3, act_layer='silu',
                      **dict(_RW, ls_init_value=1e-4))
    return _mambaout('test_mambaout', pretrained, model_args, kwargs)
