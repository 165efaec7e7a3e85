"""Process-wide layer switches: which attention implementation new modules use.

Attention modules read the default once, at construction, into their public `fused_attn` attribute, so a model can
also be switched after it is built (`set_fused_attn`). The fused path calls PyTorch's
`F.scaled_dot_product_attention` (flash / memory-efficient kernels where available); the explicit path materialises
the attention matrix with a matmul and a softmax, which is slower but lets hooks see the attention probabilities and
runs where a fused kernel is missing. The environment variable `ZOO_FUSED_ATTN=0` makes the explicit path the default.
"""
import os

import torch.nn as nn

__all__ = ['use_fused_attn', 'set_default_fused_attn', 'set_fused_attn']


def _env_default() -> bool:
    value = os.environ.get('ZOO_FUSED_ATTN', '1').strip().lower()
    if value not in ('0', '1', 'true', 'false'):
        raise ValueError(f'ZOO_FUSED_ATTN must be 0 or 1, got {value!r}.')
    return value in ('1', 'true')


_USE_FUSED_ATTN = _env_default()


def use_fused_attn() -> bool:
    """Whether attention modules built now use the fused kernel."""
    return _USE_FUSED_ATTN


def set_default_fused_attn(enable: bool = True) -> None:
    """Choose the attention implementation of modules constructed from now on (existing ones keep theirs)."""
    global _USE_FUSED_ATTN
    _USE_FUSED_ATTN = bool(enable)


def set_fused_attn(model: nn.Module, enable: bool = True) -> int:
    """Switch every attention module of an existing model to the fused (True) or explicit path; returns how many.

    Unlike timm's process-wide `set_fused_attn(enable)`, this acts on one built model; the process default for
    modules built later is `set_default_fused_attn`.
    """
    count = 0
    for module in model.modules():
        if hasattr(module, 'fused_attn'):
            module.fused_attn = bool(enable)
            count += 1
    return count
