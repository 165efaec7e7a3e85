"""Feature extraction by symbolic tracing (`feature_cls='fx'`), on torchvision's `create_feature_extractor`.

The model is traced with torch.fx and cut after the graph nodes of the modules the feature_info names; the result is
a `GraphModule` that computes only what those outputs need. Modules or functions that cannot be traced (data-dependent
control flow, shape checks that need real values) are registered as leaves with `register_notrace_module` /
`register_notrace_function`, so the tracer records a call to them instead of stepping inside.
"""
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Type, Union

import torch
import torch.nn as nn

from zoo.layers.attention import attend
from zoo.layers.patch_embed import PatchEmbed, check_input_size
from zoo.layers.pos_embed import resample_abs_pos_embed, resample_abs_pos_embed_nhwc
from zoo.models._features import (
    OutMapT,
    _convert_fmt,
    _feature_info_of,
    _output_keys,
    _resolve_output_fmt,
    level_modules,
)

__all__ = ['FeatureGraphNet', 'register_notrace_module', 'register_notrace_function', 'get_notrace_modules',
           'get_notrace_functions', 'create_feature_extractor']

# patch embeddings check the input size in Python; position-embedding resampling branches on the grid size; `attend`
# picks its CPU kernel from the head widths and strides: traced, they are recorded as calls instead
_leaf_modules: Set[Type[nn.Module]] = {PatchEmbed}
_autowrap_functions: Set[Callable] = {check_input_size, resample_abs_pos_embed, resample_abs_pos_embed_nhwc, attend}


def register_notrace_module(module: Type[nn.Module]) -> Type[nn.Module]:
    """Class decorator: FX tracing records calls to this module type without tracing into it."""
    _leaf_modules.add(module)
    return module


def register_notrace_function(func: Callable) -> Callable:
    """Decorator for a module-level function: FX tracing records calls to it without tracing into it."""
    _autowrap_functions.add(func)
    return func


def get_notrace_modules() -> List[Type[nn.Module]]:
    return list(_leaf_modules)


def get_notrace_functions() -> List[Callable]:
    return list(_autowrap_functions)


def create_feature_extractor(
        model: nn.Module,
        return_nodes: Union[Dict[str, str], Sequence[str]],
        leaf_modules: Sequence[Type[nn.Module]] = (),
) -> nn.Module:
    """torchvision's `create_feature_extractor` with the registered non-traceable modules / functions (and
    `leaf_modules`) kept as leaves."""
    from torchvision.models.feature_extraction import create_feature_extractor as tv_create

    tracer_kwargs = dict(leaf_modules=list({*get_notrace_modules(), *leaf_modules}),
                         autowrap_functions=get_notrace_functions())
    return tv_create(model, return_nodes=return_nodes, tracer_kwargs=tracer_kwargs)


def _opaque_module_types(model: nn.Module, level_modules: Sequence[str]) -> List[Type[nn.Module]]:
    """Module types the tracer need not look inside: the feature levels themselves (their outputs are the graph
    outputs, so their insides add nothing) and the stem of a zoo model (patch embeddings check input sizes in Python,
    which symbolic tracing cannot evaluate)."""
    paths = list(level_modules)
    trunk = getattr(model, 'trunk', None)
    paths += list(getattr(trunk, 'stem', ()))
    types = {type(model.get_submodule(p)) for p in paths}
    # containers are excluded: making Sequential a leaf would hide the levels inside a Sequential of stages
    return [t for t in types if t not in (nn.Sequential, nn.ModuleList, nn.ModuleDict)]


def _first(x: Any) -> torch.Tensor:
    # a level module returning several tensors (e.g. PiT's (map, class tokens)): the first is the feature
    while isinstance(x, (tuple, list)):
        x = x[0]
    return x


class FeatureGraphNet(nn.Module):
    """Features as the outputs of the traced graph nodes of the modules the feature_info names.

    Args:
        model: the model to trace (its parameters are shared with the graph module, which owns them as
            `graph_module.*`).
        out_indices: the feature levels to output.
        out_map: output keys when `return_dict`; default the output index.
        output_fmt: layout of 4-d outputs; default the model's native one.
        return_dict: return an OrderedDict instead of a list.
    """

    def __init__(
            self,
            model: nn.Module,
            out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3, 4),
            out_map: OutMapT = None,
            output_fmt: Optional[str] = None,
            return_dict: bool = False,
    ):
        super().__init__()
        self.feature_info = _feature_info_of(model, out_indices)
        self.native_fmt, self.output_fmt = _resolve_output_fmt(model, output_fmt, 'fx')
        keys = _output_keys(self.feature_info, out_map)
        nodes = OrderedDict(zip(level_modules(self.feature_info, 'fx'), keys))
        try:
            self.graph_module = create_feature_extractor(model, nodes, _opaque_module_types(model, list(nodes)))
        except Exception as e:  # tracing errors come from deep inside torch.fx; name the model and the way out
            raise RuntimeError(
                f"feature_cls='fx' could not trace {type(model).__name__} ({type(e).__name__}: {e}). Register the "
                f"offending module / function with zoo.models._features_fx.register_notrace_module / "
                f"register_notrace_function, or use feature_cls='getter'.") from e
        self.return_dict = return_dict

    def forward(self, x: torch.Tensor) -> Union[List[torch.Tensor], Dict[str, torch.Tensor]]:
        out = OrderedDict((k, _convert_fmt(_first(v), self.native_fmt, self.output_fmt))
                          for k, v in self.graph_module(x).items())
        return out if self.return_dict else list(out.values())
