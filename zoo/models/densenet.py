"""DenseNet-BC, and DenseNet with a deep stem and blur-pool anti-aliasing.

Papers:
- DenseNet: "Densely Connected Convolutional Networks", Huang et al., 2016 (arXiv:1608.06993). The "-BC" form is
  used throughout: 1x1 bottleneck of `bn_size * growth_rate` channels in each dense layer and transitions that halve
  the channels.
- Blur pool: "Making Convolutional Networks Shift-Invariant Again", Zhang, 2019 (arXiv:1904.11486).
- Memory-efficient dense layers (gradient checkpointing of the concat + bottleneck): "Memory-Efficient
  Implementation of DenseNets", Pleiss et al., 2017 (arXiv:1707.06990).

Layer names follow torchvision / timm (`features.conv0`, `features.denseblockN.denselayerM.norm1`, `classifier`), so
their checkpoints load unchanged; torchvision's oldest files name norms `norm.1` and are renamed on load.
Deviations from the paper, all matching the published timm weights: "d" variants use a three-conv 3x3 stem, and
`densenetblur121d` replaces the stem's strided max-pool by a stride-1 max-pool plus a stride-2 blur pool.
"""
import re
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import BatchNormAct2d, LayerType, create_classifier, get_act_layer
from zoo.layers.blur_pool import BlurPool2d
from zoo.layers.conv_bn_act import get_norm_act_layer
from zoo.layers.weight_init import he_normal_, init_by_type_, reset_affine_, zero_bias_
from zoo.models._base import Trunk, ZooModel, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model, register_model_deprecations

__all__ = ['DenseNet', 'DenseLayer', 'DenseBlock', 'DenseTransition']

NormActFn = Callable[[int], nn.Module]


class DenseLayer(nn.Module):
    """norm-act -> 1x1 conv (bottleneck) -> norm-act -> 3x3 conv producing `growth_rate` new channels.

    Takes the list of all earlier feature maps of the block; concatenating inside the layer lets the memory-efficient
    mode recompute the concat and bottleneck in the backward pass instead of storing them.
    """

    def __init__(
            self,
            in_chs: int,
            growth_rate: int,
            bn_size: int,
            norm_layer: NormActFn,
            drop_rate: float = 0.,
            grad_checkpointing: bool = False,
    ):
        super().__init__()
        mid_chs = bn_size * growth_rate
        self.norm1 = norm_layer(in_chs)
        self.conv1 = nn.Conv2d(in_chs, mid_chs, kernel_size=1, bias=False)
        self.norm2 = norm_layer(mid_chs)
        self.conv2 = nn.Conv2d(mid_chs, growth_rate, kernel_size=3, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.grad_checkpointing = grad_checkpointing

    def _bottleneck(self, *features: torch.Tensor) -> torch.Tensor:
        return self.conv1(self.norm1(torch.cat(features, 1)))

    def forward(self, features: List[torch.Tensor]) -> torch.Tensor:
        # nothing to save memory on while no input carries a gradient (the first layer of a frozen stem)
        x = maybe_checkpoint(self._bottleneck, *features,
                             enabled=self.grad_checkpointing and any(f.requires_grad for f in features))
        x = self.conv2(self.norm2(x))
        if self.drop_rate > 0:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return x


class DenseBlock(nn.ModuleDict):
    """`num_layers` dense layers, each seeing the concatenation of the block input and all earlier layer outputs."""

    def __init__(
            self,
            num_layers: int,
            in_chs: int,
            bn_size: int,
            growth_rate: int,
            norm_layer: NormActFn,
            drop_rate: float = 0.,
            grad_checkpointing: bool = False,
    ):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f'denselayer{i + 1}', DenseLayer(
                in_chs + i * growth_rate, growth_rate, bn_size, norm_layer,
                drop_rate=drop_rate, grad_checkpointing=grad_checkpointing))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseTransition(nn.Sequential):
    """norm-act -> 1x1 conv (compression) -> 2x downsample (average pool, or an anti-aliasing layer)."""

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            norm_layer: NormActFn,
            aa_layer: Optional[Callable[..., nn.Module]] = None,
    ):
        super().__init__()
        self.add_module('norm', norm_layer(in_chs))
        self.add_module('conv', nn.Conv2d(in_chs, out_chs, kernel_size=1, bias=False))
        self.add_module('pool', aa_layer(out_chs, stride=2) if aa_layer is not None else nn.AvgPool2d(2, stride=2))


def _make_stem(
        in_chans: int,
        out_chs: int,
        growth_rate: int,
        stem_type: str,
        norm_layer: NormActFn,
        aa_layer: Optional[Callable[..., nn.Module]],
) -> List[Tuple[str, nn.Module]]:
    """Stem layers as (name, module) pairs; the last norm is the stride-2 feature tap, `pool0` brings stride 4."""
    if aa_layer is None:
        pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
    else:
        # blur after a dense (stride-1) max: the anti-aliased max-pool of Zhang 2019
        pool = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1), aa_layer(out_chs, stride=2))
    if 'deep' not in stem_type:
        return [
            ('conv0', nn.Conv2d(in_chans, out_chs, kernel_size=7, stride=2, padding=3, bias=False)),
            ('norm0', norm_layer(out_chs)),
            ('pool0', pool),
        ]
    chs1 = chs2 = growth_rate
    if 'tiered' in stem_type:
        chs1 = 3 * (growth_rate // 4)
        chs2 = out_chs if 'narrow' in stem_type else 6 * (growth_rate // 4)
    return [
        ('conv0', nn.Conv2d(in_chans, chs1, 3, stride=2, padding=1, bias=False)),
        ('norm0', norm_layer(chs1)),
        ('conv1', nn.Conv2d(chs1, chs2, 3, stride=1, padding=1, bias=False)),
        ('norm1', norm_layer(chs2)),
        ('conv2', nn.Conv2d(chs2, out_chs, 3, stride=1, padding=1, bias=False)),
        ('norm2', norm_layer(out_chs)),
        ('pool0', pool),
    ]


def make_dense_stages(
        in_chs: int,
        growth_rate: int,
        block_config: Sequence[int],
        bn_size: int,
        norm_layer: NormActFn,
        aa_layer: Optional[Callable[..., nn.Module]] = None,
        drop_rate: float = 0.,
        grad_checkpointing: bool = False,
) -> Tuple[List[Tuple[str, nn.Module]], List[Dict[str, Any]], int]:
    """Dense blocks interleaved with transitions, plus the final norm; returns (layers, feature_info, out_chs).

    A feature level is taken at the end of each dense block (before its transition halves the channels) and after
    the final norm; the stem level is added by the caller.
    """
    layers, feature_info = [], []
    chs, stride = in_chs, 4
    for i, num_layers in enumerate(block_config):
        name = f'denseblock{i + 1}'
        layers.append((name, DenseBlock(
            num_layers, chs, bn_size, growth_rate, norm_layer,
            drop_rate=drop_rate, grad_checkpointing=grad_checkpointing)))
        chs += num_layers * growth_rate
        if i == len(block_config) - 1:
            break
        feature_info.append(dict(num_chs=chs, reduction=stride, module=f'features.{name}'))
        layers.append((f'transition{i + 1}', DenseTransition(chs, chs // 2, norm_layer, aa_layer=aa_layer)))
        chs //= 2
        stride *= 2
    layers.append(('norm5', norm_layer(chs)))
    feature_info.append(dict(num_chs=chs, reduction=stride, module='features.norm5'))
    return layers, feature_info, chs


class DenseNet(ZooModel):
    """DenseNet-BC.

    Args:
        growth_rate: channels each dense layer adds (k in the paper).
        block_config: dense layers per block.
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' for unpooled maps (with num_classes=0).
        bn_size: bottleneck width as a multiple of the growth rate.
        stem_type: '' (7x7 conv), 'deep' (3 x 3x3), 'deep_tiered' or 'deep_tiered_narrow' (3 x 3x3, narrower).
        act_layer: activation fused into every norm (name or class).
        norm_layer: norm given by name, plain class (fused with `act_layer`) or norm + activation class.
        aa_layer: anti-aliasing downsample layer (e.g. BlurPool2d), called as `aa_layer(channels, stride=2)`.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout on the output of every dense layer.
        memory_efficient: checkpoint each dense layer's concat + bottleneck (Pleiss et al., 2017).
        aa_stem_only: use `aa_layer` only in the stem; transitions then average-pool.
    """

    classifier_name = 'classifier'
    # a transition (and the final norm) joins the group of the dense layer before it (99999: 'previous group')
    groups = dict(
        stem=r'^features\.(?:conv|norm|pool)[012]',
        blocks=[(r'^features\.denseblock(\d+)\.denselayer(\d+)', None), (r'^features\.transition(\d+)', (99999,)),
                (r'^features\.norm5', (99999,))],
        coarse=[(r'^features\.(?:denseblock|transition)(\d+)', None), (r'^features\.norm5', (99999,))],
    )

    def __init__(
            self,
            growth_rate: int = 32,
            block_config: Sequence[int] = (6, 12, 24, 16),
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: str = 'avg',
            bn_size: int = 4,
            stem_type: str = '',
            act_layer: LayerType = 'relu',
            norm_layer: Union[str, Type[nn.Module]] = BatchNormAct2d,
            aa_layer: Optional[Callable[..., nn.Module]] = None,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            memory_efficient: bool = False,
            aa_stem_only: bool = True,
    ):
        super().__init__()
        if stem_type not in ('', 'deep', 'deep_tiered', 'deep_tiered_narrow'):
            raise ValueError(f"Unknown stem_type {stem_type!r}; use '', 'deep', 'deep_tiered' or 'deep_tiered_narrow'.")
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        norm_act = get_norm_act_layer(norm_layer, get_act_layer(act_layer))

        stem_chs = 2 * growth_rate
        stem = _make_stem(in_chans, stem_chs, growth_rate, stem_type, norm_act, aa_layer)
        stem_tap = stem[-2][0]
        stages, stage_info, num_features = make_dense_stages(
            stem_chs, growth_rate, block_config, bn_size, norm_act,
            aa_layer=None if aa_stem_only else aa_layer,
            drop_rate=proj_drop_rate,
            grad_checkpointing=memory_efficient,
        )
        self.features = nn.Sequential()
        for name, module in stem + stages:
            self.features.add_module(name, module)
        self.feature_info = [dict(num_chs=stem_chs, reduction=2, module=f'features.{stem_tap}')] + stage_info
        names = [name for name, _ in self.features.named_children()]
        # levels: the stem (read before its pool), dense blocks 1-3 (before their transitions), the final norm
        ends = [names.index(fi['module'].split('.', 1)[1]) for fi in self.feature_info]
        self.trunk = Trunk(levels=split_levels([f'features.{n}' for n in names], ends))

        self.num_features = self.head_hidden_size = num_features
        self.global_pool, self.classifier = create_classifier(num_features, num_classes, pool_type=global_pool)
        self.init_weights()

    def init_weights(self) -> None:
        # the torchvision recipe: He-normal convs (fan_in), unit norms, zero linear bias
        init_by_type_(self, [(nn.Conv2d, partial(he_normal_, mode='fan_in', zero_bias=False)),
                             (nn.BatchNorm2d, reset_affine_), (nn.Linear, zero_bias_)])

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self._pooled(x)
        return pooled if pre_logits else self.classifier(pooled)


_TV_NORM_KEY = re.compile(
    r'^(.*denselayer\d+\.(?:norm|relu|conv))\.([12]\.(?:weight|bias|running_mean|running_var|num_batches_tracked))$')


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept torchvision's original DenseNet files, whose dense layers name modules `norm.1` / `conv.2`."""
    return {_TV_NORM_KEY.sub(r'\1\2', k): v for k, v in state_dict.items()}


def _create_densenet(variant: str, pretrained: bool = False, **kwargs) -> DenseNet:
    return build_model_with_cfg(DenseNet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='features.conv0', classifier='classifier', pool_size=(7, 7),
               interpolation='bicubic', crop_pct=0.875, license='apache-2.0', paper_ids='arXiv:1608.06993')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'densenet121.ra_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'densenet121.tv_in1k': _cfg(),
    'densenetblur121d.ra_in1k': _cfg(test_input_size=(3, 288, 288), test_crop_pct=0.95),
    'densenet169.tv_in1k': _cfg(),
    'densenet201.tv_in1k': _cfg(),
    'densenet161.tv_in1k': _cfg(),
    'densenet264d.untrained': _cfg(hf_hub_id=None),
})


def _densenet(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> DenseNet:
    return _create_densenet(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def densenet121(pretrained: bool = False, **kwargs) -> DenseNet:
    """DenseNet-121 (k=32)."""
    return _densenet('densenet121', pretrained, dict(growth_rate=32, block_config=(6, 12, 24, 16)), kwargs)


@register_model
def densenetblur121d(pretrained: bool = False, **kwargs) -> DenseNet:
    """DenseNet-121 with a deep 3x3 stem and a blur-pooled stem downsample."""
    return _densenet('densenetblur121d', pretrained, dict(
        growth_rate=32, block_config=(6, 12, 24, 16), stem_type='deep', aa_layer=BlurPool2d), kwargs)


@register_model
def densenet161(pretrained: bool = False, **kwargs) -> DenseNet:
    """DenseNet-161 (k=48)."""
    return _densenet('densenet161', pretrained, dict(growth_rate=48, block_config=(6, 12, 36, 24)), kwargs)


@register_model
def densenet169(pretrained: bool = False, **kwargs) -> DenseNet:
    """DenseNet-169 (k=32)."""
    return _densenet('densenet169', pretrained, dict(growth_rate=32, block_config=(6, 12, 32, 32)), kwargs)


@register_model
def densenet201(pretrained: bool = False, **kwargs) -> DenseNet:
    """DenseNet-201 (k=32)."""
    return _densenet('densenet201', pretrained, dict(growth_rate=32, block_config=(6, 12, 48, 32)), kwargs)


@register_model
def densenet264d(pretrained: bool = False, **kwargs) -> DenseNet:
    """DenseNet-264 (k=48) with a deep 3x3 stem."""
    return _densenet('densenet264d', pretrained, dict(
        growth_rate=48, block_config=(6, 12, 64, 48), stem_type='deep'), kwargs)


register_model_deprecations(__name__, {
    'tv_densenet121': 'densenet121.tv_in1k',
})
