"""Process-wide layer switches read by modules when they are constructed.

Attention: modules read the default once, at construction, into their public `fused_attn` attribute, so a model can
also be switched after it is built (`set_fused_attn`). The fused path calls PyTorch's
`F.scaled_dot_product_attention` (flash / memory-efficient kernels where available); the explicit path materialises
the attention matrix with a matmul and a softmax, which is slower but lets hooks see the attention probabilities and
runs where a fused kernel is missing. The environment variable `ZOO_FUSED_ATTN=0` makes the explicit path the default.

Deployment (timm's `scriptable` / `exportable`, also accepted by `create_model`):
- `exportable`: layers pick formulations that `torch.export` and the ONNX exporter trace into one graph for every
  input size: TF 'SAME' padding is computed with integer shape arithmetic and always applied (the eager path skips a
  zero pad, which is a Python branch on the input size), and attention uses the explicit matmul / softmax path,
  which maps onto plain ONNX ops for any opset and runtime.
- `scriptable`: layers keep to what TorchScript compiles; where a formulation cannot be scripted (the export-friendly
  padding above) the scriptable one wins.

timm's third switch, `no_jit`, turns off its TorchScript-compiled and custom-autograd activations; zoo has none (its
activations are PyTorch's own ops, which script and export as they are), so there is nothing for it to switch and it
is not accepted.

Use `set_layer_config(...)` as a plain call (the switches stay set) or as a context manager (restored on exit).
"""
import os
from typing import Dict, Optional

import torch.nn as nn

__all__ = [
    'use_fused_attn', 'set_default_fused_attn', 'set_fused_attn', 'set_layer_config', 'is_exportable',
    'is_scriptable',
]


def _env_default() -> bool:
    value = os.environ.get('ZOO_FUSED_ATTN', '1').strip().lower()
    if value not in ('0', '1', 'true', 'false'):
        raise ValueError(f'ZOO_FUSED_ATTN must be 0 or 1, got {value!r}.')
    return value in ('1', 'true')


_USE_FUSED_ATTN = _env_default()
_SWITCHES: Dict[str, bool] = dict(scriptable=False, exportable=False)


def is_exportable() -> bool:
    """Whether modules built now choose export-friendly formulations."""
    return _SWITCHES['exportable']


def is_scriptable() -> bool:
    """Whether modules built now must be compilable by `torch.jit.script`."""
    return _SWITCHES['scriptable']


def use_fused_attn() -> bool:
    """Whether attention modules built now use the fused kernel (never while `exportable` is set)."""
    return _USE_FUSED_ATTN and not _SWITCHES['exportable']


def set_default_fused_attn(enable: bool = True) -> None:
    """Choose the attention implementation of modules constructed from now on (existing ones keep theirs)."""
    global _USE_FUSED_ATTN
    _USE_FUSED_ATTN = bool(enable)


class set_layer_config:  # noqa: N801 -- lower case: called like a function, as timm's is
    """Set the layer switches that are not None; as a context manager, put the previous values back on exit.

    Args:
        scriptable: build layers that `torch.jit.script` can compile.
        exportable: build layers that `torch.export` / ONNX trace for every input size.
        fused_attn: default attention implementation (see `set_default_fused_attn`).

    Example:
        >>> with set_layer_config(exportable=True):
        ...     model = zoo.create_model('tf_efficientnet_b0')
    """

    def __init__(
            self,
            scriptable: Optional[bool] = None,
            exportable: Optional[bool] = None,
            fused_attn: Optional[bool] = None,
    ):
        self._saved = (dict(_SWITCHES), _USE_FUSED_ATTN)
        for name, value in (('scriptable', scriptable), ('exportable', exportable)):
            if value is not None:
                _SWITCHES[name] = bool(value)
        if fused_attn is not None:
            set_default_fused_attn(fused_attn)

    def __enter__(self) -> 'set_layer_config':
        return self

    def __exit__(self, *exc_info) -> None:
        global _USE_FUSED_ATTN
        switches, _USE_FUSED_ATTN = self._saved
        _SWITCHES.update(switches)


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
