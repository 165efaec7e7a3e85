"""Next-ViT: parity with timm 1.0.31, the reference oracle, plus BatchNorm folding, the checkpoint filter and the API.

Default run: a shallow nextvit_small (depths 1, 1, 5, 1: every block type, NTBs with sequence reduction 16 / 4 / 1,
with and without downsampling, NCBs with pooled, widening and identity embeddings) at 32 and 64 px; `reparameterize`
keeps the outputs and gives timm's folded layout; intermediates, head, reset / prune, group_matcher; the
official-checkpoint filter. features_only channels / reductions / outputs: tests/test_intermediates.py.
`-m slow`: every name at full depth and 224 px, grad checkpointing.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, assert_parity, build_pair_meta, timm

import zoo  # noqa: E402
from zoo.models import reparameterize_model  # noqa: E402
from zoo.models.nextvit import checkpoint_filter_fn  # noqa: E402

MODULE = 'nextvit'
NAMES = zoo.list_models(module=MODULE)
SHALLOW = dict(depths=(1, 1, 5, 1))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 3


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('nextvit_small', **SHALLOW)  # BatchNorm statistics are persistent: filled and loaded


def test_parity_shallow(pair):
    ref, ours = pair
    for size in (32, 64):
        x = image(size=size)
        with torch.inference_mode():
            assert_outputs_close(ours(x), ref(x), name=f'nextvit_small shallow {size} px')


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(224, 224), batch_size=1)


def test_reparameterize_keeps_outputs_and_matches_timm_folded(pair):
    ref, ours = pair
    x = image(size=32)
    with torch.inference_mode():
        expected = ref(x)
    folded = reparameterize_model(ours)
    ref_folded = timm.utils.reparameterize_model(ref)
    assert sorted(folded.state_dict()) == sorted(ref_folded.state_dict())
    assert len(folded.state_dict()) < len(ours.state_dict())  # the pre-MLP / pre-attention norms are gone
    with torch.inference_mode():
        assert_outputs_close(folded(x), expected, name='folded')
        ref_folded.load_state_dict(folded.state_dict(), strict=True)
        assert_outputs_close(ref_folded(x), expected, name='timm folded with zoo weights')
    block = folded.stages[1].blocks[0]
    block.reparameterize()  # folding twice is a no-op
    with torch.inference_mode():
        assert_outputs_close(folded(x), expected, name='folded twice')


def test_intermediates_head_and_groups(pair):
    ref, ours = pair
    assert list(ours.state_dict()) == list(ref.state_dict())  # same order, not only the same keys
    x = image(size=32)
    for indices in (None, [0, 2]):
        assert_intermediates_match(ours, ref, x, indices)
    with torch.inference_mode():
        normed = ours.forward_intermediates(x, indices=[3], norm=True, intermediates_only=True)
        normed_ref = ref.forward_intermediates(x, indices=[3], norm=True, intermediates_only=True)
    torch.testing.assert_close(normed[0], normed_ref[0], rtol=1e-4, atol=1e-4)
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert_reset_and_prune_match('nextvit_small', **SHALLOW)


def _to_official(state_dict):
    """Rename every key (order kept), as the official release differs from timm only in names."""
    return {'features.' + k.replace('.', '_'): v for k, v in state_dict.items()}


def test_official_checkpoint_filter_matches_timm():
    from timm.models.nextvit import checkpoint_filter_fn as timm_filter
    assert_filter_matches_timm('nextvit_small', checkpoint_filter_fn, timm_filter, _to_official, **SHALLOW)
    with torch.device('meta'):
        model = zoo.create_model('nextvit_small', **SHALLOW)
        other = zoo.create_model('nextvit_small', depths=(2, 2, 5, 1))
    official = _to_official(other.state_dict())
    with pytest.raises(ValueError, match='variant'):
        checkpoint_filter_fn(official, model)


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('nextvit_small', **SHALLOW, num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))


def test_invalid_args():
    with pytest.raises(ValueError, match='global_pool'):
        zoo.create_model('nextvit_small', global_pool='')
    with pytest.raises(ValueError, match='multiple of 5'):
        zoo.create_model('nextvit_small', depths=(1, 1, 4, 1))
