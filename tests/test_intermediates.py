"""forward_intermediates / prune_intermediate_layers / features_only on a small representative of every family.

The families are whatever `zoo.list_modules()` reports, so a family added later is covered without editing this
file, and one without `forward_intermediates` fails here. The representative of a family is its model with the
fewest parameters among a shortlist of likely-small names (counted on the meta device, so nothing is initialised);
`-m slow` widens the shortlist to every name.
"""
import copy
import functools
import math
from typing import List, Tuple

import pytest
import torch

import zoo
from _sample import choose_representative, num_params_meta, representative

MODULES = zoo.list_modules()


def _input_for(model: torch.nn.Module) -> torch.Tensor:
    cfg = getattr(model, 'pretrained_cfg', {}) or {}
    size = cfg.get('input_size', (3, 224, 224))
    if not cfg.get('fixed_input_size', False):
        # 96 divides by every common reduction (up to 32) and keeps the run cheap; some models need more (HaloNets:
        # every stage a multiple of the attention block)
        side = max(96, *cfg.get('min_input_size', (3, 0, 0))[-2:])
        size = (size[0], side, side)
    return torch.randn(1, *size, generator=torch.Generator().manual_seed(0))


# families whose smallest model is a VLM tower of 160M+ parameters: their representative runs 4 blocks deep (the API
# paths are the same at any depth; each family's own slow tests run the full depth)
REDUCED = {'deepseek_vit': dict(depth=4), 'gemma4_vit': dict(depth=4)}


@functools.lru_cache(maxsize=None)
def _build_cached(module: str) -> Tuple[str, torch.nn.Module, torch.Tensor]:
    name = representative(module)
    model = zoo.create_model(name, **REDUCED.get(module, {})).eval()
    return name, model, _input_for(model)


def _build(module: str) -> Tuple[str, torch.nn.Module, torch.Tensor]:
    """The representative, built once per module (tests that modify it take a deepcopy)."""
    return _build_cached(module)


def _take(num_levels: int) -> List[int]:
    # the first level and one in the middle, so pruning has trailing levels to remove
    return sorted({0, max(0, (num_levels - 1) // 2)})


# TF-slim era nets built from unpadded ('valid') convs and pools: each level is a few pixels smaller than the input /
# the nominal reduction timm's feature_info reports (Inception-v3 at 96 px: 45, 20, 9, 4, 1 for 48, 24, 12, 6, 3)
VALID_PADDED = ('xception', 'inception_v3', 'inception_v4', 'inception_resnet_v2')


def _assert_spatial(t: torch.Tensor, in_size: Tuple[int, int], reduction: int, what: str, valid: bool = False) -> None:
    for got, size in zip(t.shape[-2:], in_size):
        # one less is a stem with an unpadded kernel larger than its stride (PiT: (224 - 16) / 8 + 1 = 27), whose
        # nominal reduction timm's feature_info reports
        allowed = (size // reduction - 1, size // reduction, math.ceil(size / reduction))
        if valid:
            allowed = tuple(range(max(1, size // reduction - 4), size // reduction + 1))
        assert got in allowed, \
            f'{what}: spatial {tuple(t.shape[-2:])} does not match input {in_size} / reduction {reduction}'


@pytest.mark.parametrize('module', MODULES)
def test_intermediates_shapes_and_reductions(module: str):
    name, model, x = _build(module)
    assert hasattr(model, 'forward_intermediates'), f'{module} ({name}) has no forward_intermediates'
    info = model.feature_info
    with torch.no_grad():
        final, inter = model.forward_intermediates(x)
        features = model.forward_features(x)
    assert len(inter) == len(info), f'{name}: {len(inter)} intermediates for {len(info)} feature_info levels'
    for i, (t, fi) in enumerate(zip(inter, info)):
        assert t.ndim == 4 and t.shape[1] == fi['num_chs'], \
            f'{name} level {i}: shape {tuple(t.shape)} vs feature_info num_chs {fi["num_chs"]}'
        _assert_spatial(t, tuple(x.shape[-2:]), fi['reduction'], f'{name} level {i}', module in VALID_PADDED)
    reductions = [fi['reduction'] for fi in info]
    assert reductions == sorted(reductions), f'{name}: reductions {reductions} are not non-decreasing'
    torch.testing.assert_close(final, features, msg=f'{name}: final output differs from forward_features')


@pytest.mark.parametrize('module', MODULES)
def test_intermediates_only_stop_early_and_prune(module: str):
    name, model, x = _build(module)
    assert hasattr(model, 'prune_intermediate_layers'), f'{module} ({name}) has no prune_intermediate_layers'
    take = _take(len(model.feature_info))
    with torch.no_grad():
        _, full = model.forward_intermediates(x, indices=take)
        only = model.forward_intermediates(x, indices=take, intermediates_only=True)
        early = model.forward_intermediates(x, indices=take, stop_early=True)[1]
        negative = model.forward_intermediates(x, indices=[i - len(model.feature_info) for i in take],
                                               intermediates_only=True)
    assert len(full) == len(only) == len(early) == len(take)
    for a, b, c, d in zip(full, only, early, negative):
        torch.testing.assert_close(b, a, msg=f'{name}: intermediates_only changed an output')
        torch.testing.assert_close(c, a, msg=f'{name}: stop_early changed an output')
        torch.testing.assert_close(d, a, msg=f'{name}: negative indices select other levels')

    pruned = copy.deepcopy(model)
    kept = pruned.prune_intermediate_layers(take, prune_head=True)
    assert list(kept) == take
    n_before = sum(p.numel() for p in model.parameters())
    n_after = sum(p.numel() for p in pruned.parameters())
    assert n_after < n_before, f'{name}: pruning to levels {take} removed no parameters'
    with torch.no_grad():
        after = pruned.forward_intermediates(x, indices=take, intermediates_only=True)
    for a, b in zip(after, full):
        torch.testing.assert_close(a, b, msg=f'{name}: pruning changed a requested output')


@pytest.mark.parametrize('module', MODULES)
def test_features_only(module: str):
    name, model, x = _build(module)
    # the getter wrapper, which every family supports; tests/test_features.py checks every feature_cls against timm
    with zoo.models.no_init():  # every weight is loaded from `model` below
        features = zoo.create_model(name, features_only=True, feature_cls='getter', **REDUCED.get(module, {})).eval()
    # the wrapper keeps the model's parameter names under `model.` (minus what it pruned)
    own = features.state_dict()
    shared = {f'model.{k}': v for k, v in model.state_dict().items() if f'model.{k}' in own}
    assert set(shared) == set(own), f'{name}: features_only model has parameters the full model lacks'
    features.load_state_dict(shared, strict=True)
    with torch.no_grad():
        outs = features(x)
        expected = model.forward_intermediates(x, indices=list(features.feature_info.out_indices),
                                               intermediates_only=True)
    assert len(outs) == len(features.feature_info.channels()) == len(expected)
    for t, e, chs, red in zip(outs, expected, features.feature_info.channels(), features.feature_info.reduction()):
        assert t.shape[1] == chs
        _assert_spatial(t, tuple(x.shape[-2:]), red, f'{name} features_only', module in VALID_PADDED)
        torch.testing.assert_close(t, e, msg=f'{name}: features_only output differs from forward_intermediates')
    timm = pytest.importorskip('timm')
    if name in timm.list_models():
        with torch.device('meta'):
            ref = timm.create_model(name, features_only=True, **REDUCED.get(module, {}))
        assert features.feature_info.channels() == ref.feature_info.channels(), f'{name}: channels differ from timm'
        assert features.feature_info.reduction() == ref.feature_info.reduction(), f'{name}: reductions differ from timm'


@pytest.mark.slow
@pytest.mark.parametrize('module', MODULES)
def test_representative_is_the_smallest(module: str):
    """The committed table holds the shortlist's choice, which is the family's smallest model (or one no bigger)."""
    assert representative(module) == choose_representative(module), 'stale tests/representatives.json: run ' \
                                                                     'python tests/_sample.py'
    assert num_params_meta(representative(module)) <= num_params_meta(choose_representative(module, exhaustive=True))
