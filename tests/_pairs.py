"""timm / zoo model pairs with identical random weights, for families with computed buffers (rotary embeddings,
relative position indices) that the meta-device helpers in `_parity` cannot materialise."""
from typing import Any, Dict, Tuple

import torch
import torch.nn as nn

from _parity import assert_outputs_close, assert_same_layout, fill_random_, timm

import zoo


def build_pair(name: str, seed: int = 0, **kwargs: Any) -> Tuple[nn.Module, nn.Module]:
    """(timm model, zoo model) for `name` with kwargs, timm's filled with random values and loaded strictly into
    zoo's; both in eval mode."""
    ref = timm.create_model(name, **kwargs).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    assert_same_layout(ours, ref)
    fill_random_(ref, seed)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


def check_pair(name: str, input_hw: Tuple[int, int], batch_size: int = 2, **kwargs: Any) -> Tuple[nn.Module, nn.Module]:
    """Build a pair and assert equal outputs for a random (batch, 3, *input_hw) input."""
    ref, ours = build_pair(name, **kwargs)
    x = torch.randn(batch_size, kwargs.get('in_chans', 3), *input_hw, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)
    return ref, ours


def save_random(name: str, path, **kwargs: Any) -> Dict[str, torch.Tensor]:
    """A random timm checkpoint of `name` (built with kwargs) saved as safetensors at `path`."""
    from safetensors.torch import save_file
    model = fill_random_(timm.create_model(name, **kwargs))
    state_dict = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state_dict, str(path))
    return state_dict


def load_both(name: str, path, **kwargs: Any) -> Tuple[nn.Module, nn.Module]:
    """timm and zoo `name` (built with kwargs) loading the checkpoint file at `path` through their filters."""
    overlay = dict(file=str(path))
    ref = timm.create_model(name, pretrained=True, pretrained_cfg_overlay=overlay, **kwargs).eval()
    ours = zoo.create_model(name, pretrained=True, pretrained_cfg_overlay=overlay, **kwargs).eval()
    return ref, ours
