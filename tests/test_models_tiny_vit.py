"""TinyViT family: parity with timm, the reference oracle, plus the model API and the checkpoint filter.

Default run: output parity of tiny_vit_5m_224 at 96 px and at 160 px, where the stage maps (20, 10, 5) are not
multiples of the windows (7, 14, 7) so the padded-window path runs; intermediates; head API; checkpointing; a
checkpoint trained with other windows resampled like timm's filter. `-m slow`: every name at its native size.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_parity, fill_random_

import timm  # noqa: E402
import zoo  # noqa: E402
from zoo.models import tiny_vit as tiny_vit_module  # noqa: E402

MODULE = 'tiny_vit'
NAMES = zoo.list_models(module=MODULE)
SMALL = 'tiny_vit_5m_224'


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 5


@pytest.mark.parametrize('size', [96, 160])
def test_parity_small(size):
    assert_parity(SMALL, img_size=(size, size))


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_every_name(name):
    assert_parity(name)


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model(SMALL)).eval()
    ours = zoo.create_model(SMALL).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image(size=96)
    assert_intermediates_match(ours, ref, x)
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    assert ours.feature_info == ref.feature_info
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert ours.no_weight_decay() == ref.no_weight_decay()
    assert_reset_and_prune_match(SMALL)


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model(SMALL, num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=64))


def test_checkpoint_with_other_windows_resamples_bias_tables():
    """Weights trained with 7/14/7 windows load into a 12/24/12-window model exactly as timm's filter maps them."""
    source = fill_random_(timm.create_model(SMALL)).state_dict()
    windows = dict(window_sizes=(12, 12, 24, 12))
    ref = timm.create_model(SMALL, **windows).eval()
    ours = zoo.create_model(SMALL, **windows).eval()
    want = timm.models.tiny_vit.checkpoint_filter_fn(dict(source), ref)
    got = tiny_vit_module.checkpoint_filter_fn({'model': dict(source)}, ours)
    assert sorted(got) == sorted(want)
    for key in want:
        torch.testing.assert_close(got[key], want[key], msg=key)
    assert got['stages.2.blocks.0.attn.attention_biases'].shape == (5, 24 * 24)
    ref.load_state_dict(want)
    ours.load_state_dict(got)
    x = image(size=96)
    with torch.inference_mode():
        torch.testing.assert_close(ours(x), ref(x), rtol=1e-4, atol=1e-4)


def test_bad_config_is_named():
    with pytest.raises(ValueError, match='one entry per stage'):
        zoo.create_model(SMALL, window_sizes=(7, 7, 14))
    with pytest.raises(ValueError, match='heads'):
        zoo.create_model(SMALL, num_heads=(2, 3, 5, 10))
