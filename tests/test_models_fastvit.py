"""FastViT / MobileCLIP image towers: parity with timm 1.0.31 (the reference oracle), re-parameterisation, the API.

Default run: fastvit_mci0 (RepMixer stages, an attention stage with its conditional position encoding, SE in the
downsampling conv, activation after the large-kernel conv) at 64 px: outputs, intermediates and head equal timm's,
and folding keeps the outputs and gives timm's re-parameterised layout; the Apple checkpoint conversion agrees with
timm's. `-m slow`: every name at 128 px (the five-stage MCi3 / MCi4 towers included); folded tensors equal timm's
own folding (mci0, and the LayerNorm five-stage mci3) and zoo's `inference_mode=True` model runs them; gradient
checkpointing.
"""
import re

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402
from zoo.models import reparameterize_model  # noqa: E402
from zoo.models.fastvit import checkpoint_filter_fn  # noqa: E402

MODULE = 'fastvit'
NAMES = zoo.list_models(module=MODULE)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 12


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(128, 128), batch_size=1)
    assert_feature_info_parity(name)


# training-time branches that folding removes
FOLDED_AWAY = r'conv_kxk|conv_scale|identity|large_conv|small_conv|pos_enc|\.mixer\.'


def _random_(model: torch.nn.Module) -> torch.nn.Module:
    """fill_random_ with the LayerScale gammas (N(0, 1) there) shrunk: unit gammas in every residual branch grow the
    activations to ~1e5, where float32 rounding of any kind (branch sum order, folded kernels) shows at 1e-4."""
    fill_random_(model)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('gamma'):
                p.mul_(0.3)
    return model


def _check_reparameterize(name: str, size: int) -> None:
    model = _random_(zoo.create_model(name)).eval()
    x = image(1, size)
    with torch.inference_mode():
        expected = model(x)
    folded = reparameterize_model(model)
    keys = list(folded.state_dict())
    assert not any(re.search(FOLDED_AWAY, k) for k in keys)
    ref = timm.create_model(name, inference_mode=True).eval()
    ref.load_state_dict(folded.state_dict(), strict=True)
    built = zoo.create_model(name, inference_mode=True).eval()
    built.load_state_dict(folded.state_dict(), strict=True)
    with torch.inference_mode():
        out = folded(x)
        assert_outputs_close(out, expected, name='folded vs branches')
        assert_outputs_close(out, ref(x), name='timm inference_mode')
        assert_outputs_close(built(x), out, name='zoo inference_mode')
    # timm's own folding of the same weights gives the same tensors
    timm_model = timm.create_model(name).eval()
    timm_model.load_state_dict(_random_(zoo.create_model(name)).state_dict())
    timm_folded = timm.utils.reparameterize_model(timm_model).state_dict()
    assert sorted(timm_folded) == sorted(keys)
    for k, v in folded.state_dict().items():
        torch.testing.assert_close(v, timm_folded[k], rtol=1e-5, atol=1e-5, msg=k)


@pytest.mark.slow
@pytest.mark.parametrize('name', ['fastvit_mci0', 'fastvit_mci3'])
def test_reparameterize_matches_timm_folding(name):
    _check_reparameterize(name, 128)


def test_parity_reparameterize_and_api():
    """fastvit_mci0 (RepMixer and attention stages) at 64 px: outputs, intermediates and head equal timm's; folding
    keeps the outputs and loads strictly into timm's inference_mode model."""
    name = 'fastvit_mci0'
    ref = _random_(timm.create_model(name)).eval()
    with zoo.models.no_init():
        ours = zoo.create_model(name).eval()
    ours.load_state_dict(ref.state_dict())
    x = image(1, 64)
    assert_intermediates_match(ours, ref, x, [0, 2, 3])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert ours.no_weight_decay() == ref.no_weight_decay()
    assert_feature_info_parity(name)
    with torch.inference_mode():
        expected = ref(x)
    folded = reparameterize_model(ours)
    assert not any(re.search(FOLDED_AWAY, k) for k in folded.state_dict())
    ref_folded = timm.create_model(name, inference_mode=True).eval()
    ref_folded.load_state_dict(folded.state_dict(), strict=True)
    with torch.inference_mode():
        out = folded(x)
        assert_outputs_close(out, expected, name='folded vs branches')
        assert_outputs_close(ref_folded(x), out, name='timm inference_mode')
    assert_reset_and_prune_match('fastvit_t8')
    assert_reset_and_prune_match('fastvit_mci3', prune_to=3)


@pytest.mark.slow
def test_grad_checkpointing():
    assert_checkpointing_keeps_gradients(_random_(zoo.create_model('fastvit_t8')), image(1, 64))


def _to_apple(state_dict):
    """timm's layout back to the ml-fastvit one: a flat `network` sequence with each stage's patch embed first."""
    out, index, pos = {}, {}, 0
    for s in sorted({int(k.split('.')[1]) for k in state_dict if k.startswith('stages.')}):
        for part in ('downsample', 'pos_emb', 'blocks'):
            if any(k.startswith(f'stages.{s}.{part}.') for k in state_dict):
                index[(s, part)] = pos
                pos += 1
    renames = (('conv_kxk', 'rbr_conv'), ('conv_scale', 'rbr_scale'), ('identity', 'rbr_skip'),
               ('final_conv', 'conv_exp'), ('large_conv', 'lkb_origin'), ('.mlp.', '.convffn.'),
               ('se.fc1', 'se.reduce'), ('se.fc2', 'se.expand'))
    for k, v in state_dict.items():
        k = re.sub(r'\.gamma$', '', k)
        m = re.match(r'stages\.(\d+)\.(downsample|pos_emb\.pos_enc|blocks)\.(.*)', k)
        if m:
            s, part, rest = int(m.group(1)), m.group(2), m.group(3)
            if part == 'pos_emb.pos_enc':
                part, rest = 'pos_emb', f'pe.{rest}'
            k = f'network.{index[(s, part)]}.{rest}'
        k = k.replace('stem.', 'patch_embed.') if k.startswith('stem.') else k
        k = re.sub(r'^head\.fc\.', 'head.', k)
        for new, old in renames:
            k = k.replace(new, old)
        out[k] = v
    return out


def test_apple_checkpoint_conversion_matches_timm():
    timm_filter = timm.models.fastvit.checkpoint_filter_fn
    assert_filter_matches_timm('fastvit_sa12', checkpoint_filter_fn, timm_filter, _to_apple)
    with torch.device('meta'):
        model = zoo.create_model('fastvit_t8')
    tower = {f'module.visual.trunk.{k}': v for k, v in model.state_dict().items()}
    assert sorted(checkpoint_filter_fn(tower, model)) == sorted(model.state_dict())
