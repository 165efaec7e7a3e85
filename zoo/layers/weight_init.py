"""Weight initialisers used by model families (always through nn.init so the builder can skip them)."""
import math
from typing import Tuple

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


def init_trunc_normal_fan_out_(module: nn.Module) -> None:
    """`init_linear_trunc_normal_`, plus conv weights normal with variance 2 / fan-out and zero conv biases.

    The initialisation of the PVT reference code (kept by PVT v2 and Twins); apply with `model.apply(...)`.
    """
    init_linear_trunc_normal_(module)
    if isinstance(module, nn.Conv2d):
        fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels // module.groups
        nn.init.normal_(module.weight, 0., math.sqrt(2. / fan_out))
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def reset_affine_(module: nn.Module, ones: Tuple[str, ...] = ('weight',)) -> None:
    """Refill a norm layer's own parameters: those named in `ones` (scales, gates) with 1, the others with 0."""
    with torch.no_grad():
        for name, param in module.named_parameters(recurse=False):
            param.fill_(1. if name in ones else 0.)
