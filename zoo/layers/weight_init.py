"""Weight initialisers used by model families (always through nn.init so the builder can skip them)."""
import math
from typing import Callable, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn


def trunc_normal_(tensor: torch.Tensor, mean: float = 0., std: float = 1., a: float = -2., b: float = 2.) -> torch.Tensor:
    return nn.init.trunc_normal_(tensor, mean=mean, std=std, a=a, b=b)


def lecun_normal_(tensor: torch.Tensor) -> torch.Tensor:
    """Truncated normal with variance 1 / fan_in (JAX's lecun_normal), used by some ViT heads."""
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(tensor)
    # 0.8796... is the std of a unit normal truncated to [-2, 2]
    std = math.sqrt(1. / fan_in) / .87962566103423978
    return nn.init.trunc_normal_(tensor, std=std, a=-2 * std, b=2 * std)


def init_linear_trunc_normal_(module: nn.Module) -> None:
    """Linear weights truncated normal (std .02), their biases zero; other modules are left alone.

    The transformer recipe of BERT / ViT / DeiT; apply with `model.apply(...)`.
    """
    if isinstance(module, nn.Linear):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def init_conv_linear_trunc_normal_(module: nn.Module) -> None:
    """`init_linear_trunc_normal_` extended to 2-D convolutions: the recipe of ConvNeXt-style and MetaFormer-style
    families (StarNet, MambaOut, InceptionNeXt, Next-ViT, ...); apply with `model.apply(...)`."""
    if not isinstance(module, nn.Conv2d):
        init_linear_trunc_normal_(module)
        return
    trunc_normal_(module.weight, std=.02)
    zero_bias_(module)


def init_trunc_normal_fan_out_(module: nn.Module) -> None:
    """`init_linear_trunc_normal_`, plus conv weights normal with variance 2 / fan-out and zero conv biases.

    The initialisation of the PVT reference code (kept by PVT v2 and Twins); apply with `model.apply(...)`.
    """
    init_linear_trunc_normal_(module)
    if isinstance(module, nn.Conv2d):
        he_group_fan_out_(module)


def reset_affine_(module: nn.Module, ones: Tuple[str, ...] = ('weight',)) -> None:
    """Refill a norm layer's own parameters: those named in `ones` (scales, gates) with 1, the others with 0."""
    with torch.no_grad():
        for name, param in module.named_parameters(recurse=False):
            param.fill_(1. if name in ones else 0.)


InitFn = Callable[[nn.Module], None]
NORM_TYPES = (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)


def he_normal_(module: nn.Module, mode: str = 'fan_out', nonlinearity: str = 'relu', zero_bias: bool = True) -> None:
    """He-normal weights (fan-out by default: the torchvision CNN recipe); zero bias when `zero_bias` and present."""
    nn.init.kaiming_normal_(module.weight, mode=mode, nonlinearity=nonlinearity)
    if zero_bias and module.bias is not None:
        nn.init.zeros_(module.bias)


def he_group_fan_out_(module: nn.Module) -> None:
    """Normal weights with variance 2 / fan-out, where fan-out counts one group's outputs (pycls' RegNet recipe)."""
    fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels // module.groups
    nn.init.normal_(module.weight, 0., math.sqrt(2. / fan_out))
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def normal_std_(std: float, zero_bias: bool = True) -> InitFn:
    """An initialiser filling weights from N(0, std^2) (and zeroing the bias when `zero_bias`)."""
    def init(module: nn.Module) -> None:
        nn.init.normal_(module.weight, 0., std)
        if zero_bias and module.bias is not None:
            nn.init.zeros_(module.bias)
    return init


def zero_bias_(module: nn.Module) -> None:
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def torch_default_(module: nn.Module) -> None:
    """torch's own initialisation (it is skipped while the builder constructs a model)."""
    module.reset_parameters()


def init_by_type_(
        model: nn.Module,
        recipe: Sequence[Tuple[Union[type, Tuple[type, ...]], InitFn]],
        head: Optional[InitFn] = None,
        head_prefix: str = '',
        zero_init_last: bool = False,
) -> None:
    """Initialise `model` from a recipe keyed by layer type.

    Args:
        model: the network; submodules are visited in `modules()` order, so random draws follow that order.
        recipe: (layer type(s), initialiser) pairs; a module takes the first pair its type matches, and a module
            matching none is left alone.
        head: initialiser for the conv / linear layers under `head_prefix`, before the recipe (BiT's classifier is
            a 1x1 conv that takes the linear recipe).
        head_prefix: dotted module path `head` covers.
        zero_init_last: afterwards, call `zero_init_last()` on every block that has it, so residual branches start
            at zero.
    """
    for name, module in model.named_modules():
        if head is not None and name.startswith(head_prefix) and isinstance(module, (nn.Conv2d, nn.Linear)):
            head(module)
            continue
        init = next((fn for types, fn in recipe if isinstance(module, types)), None)
        if init is not None:
            init(module)
    if zero_init_last:
        for module in model.modules():
            if hasattr(module, 'zero_init_last'):
                module.zero_init_last()
