"""VGG-11/13/16/19, with and without batch norm.

Paper: "Very Deep Convolutional Networks for Large-Scale Image Recognition", Simonyan & Zisserman, 2014
(arXiv:1409.1556); configurations A (11), B (13), D (16) and E (19) of its Table 1. The batch-norm variants add BN
after every conv (Ioffe & Szegedy, 2015, arXiv:1502.03167), as torchvision's `vgg*_bn` do.

Deviation, matching timm's layout and weights: the two 4096-wide fully connected layers are convolutions
(`pre_logits.fc1` a 7x7 conv, `pre_logits.fc2` a 1x1 conv) applied before global pooling, and the last linear layer is
`head.fc`. At 224x224 this is exactly the paper's classifier; larger inputs give a map of predictions that is then
averaged ("dense evaluation", section 3.2 of the paper), and maps smaller than 7x7 are first average-pooled up to
7x7. torchvision checkpoints (`classifier.0/3/6` linears) are reshaped to this layout on load.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import ClassifierHead, LayerType, get_act_layer, get_norm_layer
from zoo.layers.weight_init import he_normal_, init_by_type_, normal_std_, reset_affine_
from zoo.models._base import Trunk, ZooModel, split_levels
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import run_sequence
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['VGG', 'ConvMlp']

# Table 1 of the paper: conv widths, 'M' a 2x2 max-pool
VGG_CONFIGS: Dict[str, Tuple[Union[int, str], ...]] = {
    'vgg11': (64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'),
    'vgg13': (64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'),
    'vgg16': (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'),
    'vgg19': (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'),
}


class ConvMlp(nn.Module):
    """The paper's two hidden fully connected layers as convolutions: kxk conv -> act -> dropout -> 1x1 conv -> act.

    Args:
        in_features: input channels.
        out_features: output channels.
        kernel_size: spatial extent the first layer covers (7 for VGG at 224x224).
        mlp_ratio: hidden width as a multiple of `out_features`.
        drop_rate: dropout between the two layers.
        act_layer: activation class.
    """

    def __init__(
            self,
            in_features: int = 512,
            out_features: int = 4096,
            kernel_size: int = 7,
            mlp_ratio: float = 1.0,
            drop_rate: float = 0.2,
            act_layer: Type[nn.Module] = nn.ReLU,
    ):
        super().__init__()
        self.input_kernel_size = kernel_size
        hidden = int(out_features * mlp_ratio)
        self.fc1 = nn.Conv2d(in_features, hidden, kernel_size, bias=True)
        self.act1 = act_layer(inplace=True)
        self.drop = nn.Dropout(drop_rate)
        self.fc2 = nn.Conv2d(hidden, out_features, 1, bias=True)
        self.act2 = act_layer(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.input_kernel_size
        if x.shape[-2] < k or x.shape[-1] < k:
            # the first layer needs a k x k support; small inputs are (up-)pooled to it rather than failing
            x = F.adaptive_avg_pool2d(x, (max(k, x.shape[-2]), max(k, x.shape[-1])))
        x = self.drop(self.act1(self.fc1(x)))
        return self.act2(self.fc2(x))


def make_vgg_features(
        cfg: Sequence[Union[int, str]],
        in_chans: int,
        act_layer: Type[nn.Module],
        norm_layer: Optional[Type[nn.Module]] = None,
) -> Tuple[nn.Sequential, List[Dict[str, Any]], List[int]]:
    """Flat conv/[norm]/act/max-pool Sequential (torchvision's indices), its feature_info and the tap positions.

    A level is read after the last activation before each max-pool (strides 1..16), and one more after the final
    max-pool (stride 32, the `forward_features` output).
    """
    layers: List[nn.Module] = []
    feature_info, feature_ends = [], []
    chs, stride = in_chans, 1
    for v in cfg:
        if v == 'M':
            feature_info.append(dict(num_chs=chs, reduction=stride, module=f'features.{len(layers) - 1}'))
            feature_ends.append(len(layers) - 1)
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            stride *= 2
            continue
        layers.append(nn.Conv2d(chs, int(v), kernel_size=3, padding=1))
        if norm_layer is not None:
            layers.append(norm_layer(int(v)))
        layers.append(act_layer(inplace=True))
        chs = int(v)
    feature_info.append(dict(num_chs=chs, reduction=stride, module=f'features.{len(layers) - 1}'))
    feature_ends.append(len(layers) - 1)
    return nn.Sequential(*layers), feature_info, feature_ends


class VGG(ZooModel):
    """VGG: stacks of 3x3 convs separated by max-pools, a conv "fully connected" pre-logits block and a linear head.

    Args:
        cfg: layer configuration (conv widths and 'M' for max-pool), one of `VGG_CONFIGS`.
        num_classes: classifier outputs; 0 removes the classifier (forward returns the pooled 4096-d pre-logits).
        in_chans: input image channels.
        mlp_ratio: width of the pre-logits block's hidden layer as a multiple of 4096.
        act_layer: activation (name or class).
        norm_layer: norm after each conv (name or class), None for the original VGG.
        global_pool: pooling of the pre-logits map: 'avg', 'max', 'avgmax', 'catavgmax'.
        drop_rate: dropout inside the pre-logits block and before the classifier.
    """

    # every layer of the flat Sequential is its own group (norms included in the _bn variants)
    groups = dict(stem=r'^features\.0', blocks=r'^features\.(\d+)')

    def __init__(
            self,
            cfg: Sequence[Union[int, str]] = VGG_CONFIGS['vgg16'],
            num_classes: int = 1000,
            in_chans: int = 3,
            mlp_ratio: float = 1.0,
            act_layer: LayerType = nn.ReLU,
            norm_layer: Optional[LayerType] = None,
            global_pool: str = 'avg',
            drop_rate: float = 0.,
    ):
        super().__init__()
        act_layer = get_act_layer(act_layer)
        norm_layer = get_norm_layer(norm_layer)
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        self.grad_checkpointing = False
        self.features, self.feature_info, self.feature_ends = make_vgg_features(cfg, in_chans, act_layer, norm_layer)
        self.trunk = Trunk(levels=split_levels([f'features.{i}' for i in range(len(self.features))], self.feature_ends))
        self.num_features = self.feature_info[-1]['num_chs']
        self.head_hidden_size = 4096
        self.pre_logits = ConvMlp(self.num_features, self.head_hidden_size, 7, mlp_ratio=mlp_ratio,
                                  drop_rate=drop_rate, act_layer=act_layer)
        self.head = ClassifierHead(self.head_hidden_size, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        self.init_weights()

    def init_weights(self) -> None:
        # torchvision's VGG recipe: He-normal (fan_out) convs, zero biases, unit norms, N(0, 0.01) linears
        init_by_type_(self, [(nn.Conv2d, he_normal_), (nn.BatchNorm2d, reset_affine_), (nn.Linear, normal_std_(0.01))])

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        # segments end at the feature taps so no checkpointed segment starts with an in-place activation
        bounds = [0] + [end + 1 for end in self.feature_ends]
        segments = [self.features[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        return run_sequence(segments, x, self.grad_checkpointing)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.pre_logits(x)
        return self.head(x, pre_logits=pre_logits)

    def _replace_head(self, in_features: int) -> None:
        # the conv "fully connected" block is part of the head and sized for the last stage
        self.pre_logits = nn.Identity()
        self.head = ClassifierHead(in_features, 0, pool_type='', drop_rate=self.drop_rate)


# torchvision's Linear classifier -> this layout's conv pre-logits: (name, new name, conv weight shape)
_TV_CLASSIFIER = (
    ('classifier.0.', 'pre_logits.fc1.', (-1, 512, 7, 7)),
    ('classifier.3.', 'pre_logits.fc2.', (-1, 4096, 1, 1)),
    ('classifier.6.', 'head.fc.', None),
)


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept torchvision VGG checkpoints: their `classifier.{0,3,6}` Linear layers become the conv pre-logits block
    and `head.fc` (Linear weights of the first two are reshaped to the equivalent conv kernels)."""
    out = {}
    for key, value in state_dict.items():
        for old, new, conv_shape in _TV_CLASSIFIER:
            if key.startswith(old):
                key = new + key[len(old):]
                if conv_shape is not None and key.endswith('weight'):
                    value = value.reshape(conv_shape)
                break
        out[key] = value
    return out


def _create_vgg(variant: str, pretrained: bool = False, **kwargs) -> VGG:
    arch = variant.split('_')[0]
    return build_model_with_cfg(
        VGG, variant, pretrained,
        cfg=VGG_CONFIGS[arch],
        pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(flatten_sequential=True),
        **kwargs,
    )


def _cfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='features.0', classifier='head.fc', pool_size=(7, 7),
               interpolation='bilinear', crop_pct=0.875, license='bsd-3-clause', paper_ids='arXiv:1409.1556')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag> (torchvision's weights).
default_cfgs = generate_default_cfgs({
    'vgg11.tv_in1k': _cfg(),
    'vgg13.tv_in1k': _cfg(),
    'vgg16.tv_in1k': _cfg(),
    'vgg19.tv_in1k': _cfg(),
    'vgg11_bn.tv_in1k': _cfg(),
    'vgg13_bn.tv_in1k': _cfg(),
    'vgg16_bn.tv_in1k': _cfg(),
    'vgg19_bn.tv_in1k': _cfg(),
})


def _vgg(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> VGG:
    return _create_vgg(variant, pretrained, **dict(model_args, **kwargs))


_BN = dict(norm_layer=nn.BatchNorm2d)


@register_model
def vgg11(pretrained: bool = False, **kwargs) -> VGG:
    """VGG-11, configuration A."""
    return _vgg('vgg11', pretrained, {}, kwargs)


@register_model
def vgg11_bn(pretrained: bool = False, **kwargs) -> VGG:
    """VGG-11 with batch norm."""
    return _vgg('vgg11_bn', pretrained, _BN, kwargs)


@register_model
def vgg13(pretrained: bool = False, **kwargs) -> VGG:
    """VGG-13, configuration B."""
    return _vgg('vgg13', pretrained, {}, kwargs)


@register_model
def vgg13_bn(pretrained: bool = False, **kwargs) -> VGG:
    """VGG-13 with batch norm."""
    return _vgg('vgg13_bn', pretrained, _BN, kwargs)


@register_model
def vgg16(pretrained: bool = False, **kwargs) -> VGG:
    """VGG-16, configuration D."""
    return _vgg('vgg16', pretrained, {}, kwargs)


@register_model
def vgg16_bn(pretrained: bool = False, **kwargs) -> VGG:
    """VGG-16 with batch norm."""
    return _vgg('vgg16_bn', pretrained, _BN, kwargs)


@register_model
def vgg19(pretrained: bool = False, **kwargs) -> VGG:
    """VGG-19, configuration E."""
    return _vgg('vgg19', pretrained, {}, kwargs)


@register_model
def vgg19_bn(pretrained: bool = False, **kwargs) -> VGG:
    """VGG-19 with batch norm."""
    return _vgg('vgg19_bn', pretrained, _BN, kwargs)
