"""Parity helpers shared by the hierarchical / hybrid transformer test files (xcit, levit, cait, crossvit, ...).

Each builds timm's model (the oracle) and zoo's with the same arguments, fills timm's with deterministic random
values, loads them strictly into zoo's and compares eval outputs within 1e-4 of the output scale.
"""
from pathlib import Path
from typing import Any, Dict, Iterable, Sequence, Tuple

import torch
import torch.nn as nn

from _parity import assert_outputs_close, assert_same_layout, build_pair_meta, fill_random_, timm

import zoo


def build_pair(name: str, meta: bool = False, **kwargs: Any) -> Tuple[nn.Module, nn.Module]:
    """(timm, zoo) eval models with zoo's holding timm's random weights; `meta` skips init (no computed buffers)."""
    if meta:
        return build_pair_meta(name, **kwargs)
    ref = fill_random_(timm.create_model(name, **kwargs)).eval()
    with zoo.models.no_init():
        ours = zoo.create_model(name, **kwargs).eval()
    assert_same_layout(ours, ref)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


def timm_model_with(name: str, state_dict: Dict[str, torch.Tensor], **kwargs: Any) -> nn.Module:
    """timm's `name` (eval) holding `state_dict` exactly; only for models without computed non-persistent buffers."""
    with torch.device('meta'):
        ref = timm.create_model(name, **kwargs)
    ref = ref.to_empty(device='cpu').eval()
    ref.load_state_dict(state_dict, strict=True)
    return ref


def image(size: Sequence[int], batch_size: int = 2, seed: int = 0) -> torch.Tensor:
    h, w = (size, size) if isinstance(size, int) else size
    return torch.randn(batch_size, 3, h, w, generator=torch.Generator().manual_seed(seed))


def check_parity(name: str, size: Any, batch_size: int = 2, meta: bool = False,
                 **kwargs: Any) -> Tuple[nn.Module, nn.Module]:
    """Outputs of zoo's `name` equal timm's on a random batch of `size` images; returns the pair."""
    ref, ours = build_pair(name, meta=meta, **kwargs)
    x = image(size, batch_size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)
    return ref, ours


def _close(a: Any, b: Any, what: str) -> None:
    if isinstance(b, (list, tuple)):
        assert isinstance(a, (list, tuple)) and len(a) == len(b), f'{what}: {type(a)} vs {type(b)}'
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f'{what}[{i}]')
    else:
        assert_outputs_close(a, b, name=what)


def check_intermediates(ref: nn.Module, ours: nn.Module, x: torch.Tensor,
                        calls: Iterable[Dict[str, Any]] = ({},)) -> None:
    """forward_intermediates (final features and every level) equal timm's for each set of arguments.

    With `stop_early` only the levels are compared: what is returned as final features after an early stop is the
    stopping level in zoo, while timm's families differ (some still run their head-side layers).
    """
    with torch.inference_mode():
        for kwargs in calls:
            ours_out, ref_out = ours.forward_intermediates(x, **kwargs), ref.forward_intermediates(x, **kwargs)
            if kwargs.get('stop_early'):
                ours_out, ref_out = ours_out[1], ref_out[1]
            _close(ours_out, ref_out, f'forward_intermediates({kwargs})')


def save_random(name: str, path: Path, **kwargs: Any) -> Dict[str, torch.Tensor]:
    """timm's `name` with random weights saved as safetensors at `path` (a checkpoint made at kwargs' img_size)."""
    from safetensors.torch import save_file
    with torch.device('meta'):  # every saved tensor is filled below: skip initialisation
        model = timm.create_model(name, **kwargs)
    model = fill_random_(model.to_empty(device='cpu'))
    state_dict = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state_dict, str(path))
    return state_dict
