"""zoo: PyTorch image models with timm-compatible names and weights.

``import zoo`` is kept cheap: model families register through a static index and are imported on first use,
and the data / optim / scheduler / loss / utils sub-packages load when first touched (``zoo.data`` etc.).
"""
import importlib
from typing import Any

from zoo.version import __version__
from zoo.models import (
    create_model,
    get_pretrained_cfg,
    is_model,
    list_models,
    list_modules,
    list_pretrained,
    model_entrypoint,
)

_LAZY_SUBMODULES = ('benchmark', 'compose', 'data', 'layers', 'loss', 'models', 'optim', 'scheduler', 'utils')


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f'zoo.{name}')
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")
