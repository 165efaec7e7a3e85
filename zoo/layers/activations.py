"""Activation layers resolved by name, class or callable through one function, `get_act_layer`."""
from typing import Callable, Type, Union

import torch
import torch.nn as nn

LayerType = Union[str, Callable, Type[nn.Module]]


class QuickGELU(nn.Module):
    """x * sigmoid(1.702 x): the GELU approximation OpenAI CLIP weights were trained with."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class GELUTanh(nn.GELU):
    def __init__(self, inplace: bool = False):
        super().__init__(approximate='tanh')


class GELU(nn.GELU):
    """nn.GELU that accepts (and ignores) `inplace` so every activation shares one constructor signature."""

    def __init__(self, inplace: bool = False):
        super().__init__()


class Sigmoid(nn.Sigmoid):
    def __init__(self, inplace: bool = False):
        super().__init__()


class Tanh(nn.Tanh):
    def __init__(self, inplace: bool = False):
        super().__init__()


class Identity(nn.Identity):
    def __init__(self, *args, inplace: bool = False, **kwargs):
        super().__init__()


class PReLU(nn.PReLU):
    def __init__(self, num_parameters: int = 1, init: float = 0.25, inplace: bool = False):
        super().__init__(num_parameters=num_parameters, init=init)


_ACT_LAYERS = dict(
    relu=nn.ReLU,
    relu6=nn.ReLU6,
    leaky_relu=nn.LeakyReLU,
    elu=nn.ELU,
    celu=nn.CELU,
    selu=nn.SELU,
    prelu=PReLU,
    silu=nn.SiLU,
    swish=nn.SiLU,
    mish=nn.Mish,
    gelu=GELU,
    gelu_tanh=GELUTanh,
    quick_gelu=QuickGELU,
    sigmoid=Sigmoid,
    tanh=Tanh,
    hard_sigmoid=nn.Hardsigmoid,
    hard_swish=nn.Hardswish,
    identity=Identity,
)


def get_act_layer(name: LayerType | None) -> Callable[..., nn.Module] | None:
    """Resolve an activation given by name, class or factory to something callable as `act(inplace=...)`."""
    if name is None:
        return None
    if not isinstance(name, str):
        return name
    if not name:
        return None
    key = name.lower()
    if key not in _ACT_LAYERS:
        raise ValueError(f'Unknown activation {name!r}; choose one of {sorted(_ACT_LAYERS)} or pass an nn.Module class.')
    return _ACT_LAYERS[key]


def create_act_layer(name: LayerType | None, inplace: bool | None = None, **kwargs) -> nn.Module:
    """Instantiate an activation; `Identity` when `name` is None or ''."""
    act_layer = get_act_layer(name)
    if act_layer is None:
        return nn.Identity()
    if inplace is None:
        return act_layer(**kwargs)
    try:
        return act_layer(inplace=inplace, **kwargs)
    except TypeError:
        # activations such as nn.Sigmoid / nn.GELU take no `inplace`
        return act_layer(**kwargs)
