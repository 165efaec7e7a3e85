"""Parity checks against timm, the reference oracle: same parameters, same state_dict layout, same outputs.

Every family's tests use these helpers so "parity" means one thing across the zoo:
1. identical state_dict keys and shapes (and therefore parameter count),
2. timm's model filled with deterministic random values, loaded strictly into zoo's model,
3. eval outputs equal within `atol` relative to the output scale (max(1, |out|max)).
"""
import math
import re
from typing import Any, Dict, Optional, Sequence

import pytest
import torch
import torch.nn as nn

timm = pytest.importorskip('timm', reason='timm (the reference oracle) comes with the test extra: pip install -e .[test]')

import zoo  # noqa: E402


def fill_random_(model: nn.Module, seed: int = 0) -> nn.Module:
    """Overwrite every float parameter and buffer with well-scaled random values (deterministic per seed).

    Weights get std 1/sqrt(fan_in) so activations keep their scale through deep nets, norm scales ~1, biases and
    running means small, running variances in [0.5, 1.5]; outputs then exercise every path without blowing up.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict(keep_vars=True).items():
            if not torch.is_floating_point(t):
                continue
            if name.endswith('running_var'):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif name.endswith('running_mean'):
                t.copy_(torch.randn(t.shape, generator=gen) * 0.1)
            elif t.ndim <= 1:
                base = 1.0 if name.endswith(('weight', '.scale')) else 0.0
                t.copy_(base + torch.randn(t.shape, generator=gen) * 0.1)
            else:
                fan_in = max(1, math.prod(t.shape[1:]))
                t.copy_(torch.randn(t.shape, generator=gen) / math.sqrt(fan_in))
    return model


def state_dict_layout(model: nn.Module) -> Dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def assert_same_layout(zoo_model: nn.Module, ref_model: nn.Module) -> None:
    ours, ref = state_dict_layout(zoo_model), state_dict_layout(ref_model)
    missing = sorted(set(ref) - set(ours))
    extra = sorted(set(ours) - set(ref))
    assert not missing and not extra, f'keys differ: missing in zoo {missing[:10]}, extra in zoo {extra[:10]}'
    shapes = [(k, ours[k], ref[k]) for k in ref if ours[k] != ref[k]]
    assert not shapes, f'shape mismatches (key, zoo, timm): {shapes[:10]}'
    n_ours = sum(p.numel() for p in zoo_model.parameters())
    n_ref = sum(p.numel() for p in ref_model.parameters())
    assert n_ours == n_ref, f'parameter count {n_ours} != timm {n_ref}'


def assert_layout_parity_meta(name: str, **kwargs: Any) -> None:
    """Keys, shapes and parameter count only, built on the meta device (costs no memory or init time)."""
    with torch.device('meta'):
        ref = timm.create_model(name, pretrained=False, **kwargs)
        ours = zoo.create_model(name, pretrained=False, **kwargs)
    assert_same_layout(ours, ref)


def assert_parity(
        name: str,
        img_size: Optional[Sequence[int]] = None,
        batch_size: int = 2,
        atol: float = 1e-4,
        ref_name: Optional[str] = None,
        seed: int = 0,
        **kwargs: Any,
) -> Dict[str, Any]:
    """Full parity of zoo's `name` with timm's `ref_name or name` (kwargs go to both create_model calls)."""
    ref = timm.create_model(ref_name or name, pretrained=False, **kwargs).eval()
    ours = zoo.create_model(name, pretrained=False, **kwargs).eval()
    assert_same_layout(ours, ref)
    fill_random_(ref, seed)
    ours.load_state_dict(ref.state_dict(), strict=True)
    if img_size is None:
        img_size = ref.pretrained_cfg.get('input_size', (3, 224, 224))[-2:]
    in_chans = kwargs.get('in_chans', 3)
    x = torch.randn((batch_size, in_chans, *img_size), generator=torch.Generator().manual_seed(seed))
    with torch.inference_mode():
        out_ref = ref(x)
        out = ours(x)
    diff, scale = assert_outputs_close(out, out_ref, atol, name)
    return dict(diff=diff, scale=scale, params=sum(p.numel() for p in ours.parameters()))


def assert_outputs_close(out: torch.Tensor, expected: torch.Tensor, atol: float = 1e-4, name: str = '') -> tuple:
    """Same shape, finite, and max |out - expected| <= atol x max(1, |expected|max); returns (diff, scale)."""
    assert out.shape == expected.shape, f'{name}: output shape {tuple(out.shape)} != timm {tuple(expected.shape)}'
    scale = max(1.0, expected.abs().max().item())
    diff = (out - expected).abs().max().item()
    assert diff <= atol * scale, f'{name}: max abs diff {diff:.3g} > {atol} x scale {scale:.3g}'
    assert torch.isfinite(out).all()
    return diff, scale


def build_pair_meta(name: str, **kwargs: Any):
    """timm's and zoo's `name` built on the meta device (no init cost), materialised, timm's filled with random
    values and loaded strictly into zoo's. Only for families without computed non-persistent buffers (ViT, MLP):
    `to_empty` leaves such buffers uninitialised."""
    with torch.device('meta'):
        ref = timm.create_model(name, **kwargs)
        ours = zoo.create_model(name, **kwargs)
    assert_same_layout(ours, ref)
    ref = fill_random_(ref.to_empty(device='cpu')).eval()
    ours = ours.to_empty(device='cpu').eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


def assert_parity_meta_built(name: str, input_size: int, batch_size: int = 2, **kwargs: Any) -> None:
    """Output parity of a pair from `build_pair_meta`; kwargs (e.g. img_size, depth) go to both models."""
    ref, ours = build_pair_meta(name, **kwargs)
    x = torch.randn(batch_size, 3, input_size, input_size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def assert_feature_info_parity(name: str, **kwargs: Any) -> None:
    """features_only channels and reductions equal timm's for the same arguments."""
    with torch.device('meta'):
        ref = timm.create_model(name, pretrained=False, features_only=True, **kwargs)
        ours = zoo.create_model(name, pretrained=False, features_only=True, **kwargs)
    assert ours.feature_info.channels() == ref.feature_info.channels()
    assert ours.feature_info.reduction() == ref.feature_info.reduction()


def assert_parity_shared_weights(name: str, input_size: int, batch_size: int = 1, **kwargs: Any) -> Dict[str, Any]:
    """`assert_parity` for big models at the memory of one: zoo's model is built without random init and takes
    timm's (randomly filled) tensors themselves (`load_state_dict(assign=True)`), so the weights exist once."""
    size = dict(pretrained_cfg_overlay=dict(input_size=(3, input_size, input_size)))
    ref = fill_random_(timm.create_model(name, **kwargs, **size)).eval()
    with zoo.models.no_init():
        ours = zoo.create_model(name, **kwargs, **size).eval()
    assert_same_layout(ours, ref)
    ours.load_state_dict(ref.state_dict(), strict=True, assign=True)
    x = torch.randn((batch_size, 3, input_size, input_size), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        out_ref = ref(x)
        out = ours(x)
    diff, scale = assert_outputs_close(out, out_ref, name=name)
    return dict(diff=diff, scale=scale, params=sum(p.numel() for p in ours.parameters()))


def assert_features_only_parity(name: str, ref: nn.Module, x: torch.Tensor, **kwargs: Any) -> nn.Module:
    """zoo's `name` with features_only (kwargs to both libraries), given `ref`'s weights, returns timm's
    `ref.forward_intermediates` at the levels timm's features_only model takes, with its channels and reductions.

    Both use the getter wrapper (`forward_intermediates` on a pruned model) unless kwargs name another feature_cls.
    Returns zoo's features_only model (for family-specific checks of what it pruned).
    """
    kwargs.setdefault('feature_cls', 'getter')
    ours = zoo.create_model(name, features_only=True, **kwargs).eval()
    with torch.device('meta'):
        ref_feat = timm.create_model(name, features_only=True, **kwargs)
    ours.model.load_state_dict({k: v for k, v in ref.state_dict().items() if k in ours.model.state_dict()})
    assert ours.feature_info.channels() == ref_feat.feature_info.channels()
    assert ours.feature_info.reduction() == ref_feat.feature_info.reduction()
    take = list(ref_feat.feature_info.out_indices)
    with torch.inference_mode():
        outs = ours(x)
        outs_ref = ref.forward_intermediates(x, indices=take, intermediates_only=True)
    assert len(outs) == len(outs_ref) == len(take)
    for a, b in zip(outs, outs_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    return ours


def to_official_swin_checkpoint(state_dict: Dict[str, torch.Tensor]) -> Dict[str, Dict[str, torch.Tensor]]:
    """timm's Swin / Swin V2 layout -> the microsoft/Swin-Transformer release layout (patch merging at the end of the
    previous stage, a plain `head`, wrapped in {'model': ...}), for checking the checkpoint filters."""
    out = {}
    for k, v in state_dict.items():
        k = re.sub(r'^layers\.(\d+)\.downsample', lambda m: f'layers.{int(m.group(1)) - 1}.downsample', k)
        out[k.replace('head.fc.', 'head.')] = v
    return {'model': out}
