"""Weight initialisers used by model families (always through nn.init so the builder can skip them)."""
import math

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
