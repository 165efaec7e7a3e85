"""NesT family: parity with timm, the reference oracle, plus the model API and position-embedding resampling.

Default run: nest_tiny and nest_tiny_jx (symmetric vs TensorFlow 'SAME' aggregation pooling) at img_size=64, where
the 16x16 patch grid still splits into 4x4 first-level blocks; intermediates, head API, checkpointing.
`-m slow`: every name at its native 224 px.
"""
import pytest
import torch
import torch.nn.functional as F

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, assert_parity, fill_random_

import timm  # noqa: E402
import zoo  # noqa: E402
from zoo.models import nest as nest_module  # noqa: E402

MODULE = 'nest'
NAMES = zoo.list_models(module=MODULE)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 6


@pytest.mark.parametrize('name', ['nest_tiny', 'nest_tiny_jx'])
def test_parity_small(name):
    ref = fill_random_(timm.create_model(name, img_size=64)).eval()
    ours = zoo.create_model(name, img_size=64).eval()
    ours.load_state_dict(ref.state_dict())
    x = image(size=64)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_every_name(name):
    assert_parity(name)


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model('nest_tiny_jx', img_size=64)).eval()
    ours = zoo.create_model('nest_tiny_jx', img_size=64).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image(size=64)
    assert_intermediates_match(ours, ref, x)
    assert_intermediates_match(ours, ref, x, [0, 1])
    with torch.inference_mode():
        for a, b in zip(ours.forward_intermediates(x, norm=True, intermediates_only=True),
                        ref.forward_intermediates(x, norm=True, intermediates_only=True)):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    assert_head_api_matches(ours, ref, x)
    assert ours.feature_info == ref.feature_info
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert ours.no_weight_decay() == ref.no_weight_decay()
    assert_reset_and_prune_match('nest_tiny', img_size=64)


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('nest_tiny', img_size=32, num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))


def test_checkpoint_at_another_size_resamples_each_block_embedding():
    """224-px weights (14x14 tokens per block) load into a 64-px model (4x4): every block's table is resized as a
    grid, bicubic with antialiasing, and the rest of the weights are untouched."""
    source = fill_random_(timm.create_model('nest_tiny')).state_dict()
    model = zoo.create_model('nest_tiny', img_size=64)
    out = nest_module.checkpoint_filter_fn(dict(source), model)
    model.load_state_dict(out)
    table = source['levels.1.pos_embed']  # (1, 4 blocks, 196, 192)
    grids = table[0].reshape(4, 14, 14, 192).permute(0, 3, 1, 2)
    want = F.interpolate(grids, size=(4, 4), mode='bicubic', antialias=True, align_corners=False)
    torch.testing.assert_close(out['levels.1.pos_embed'], want.permute(0, 2, 3, 1).reshape(1, 4, 16, 192))
    assert torch.equal(out['levels.2.transformer_encoder.0.mlp.fc1.weight'],
                       source['levels.2.transformer_encoder.0.mlp.fc1.weight'])


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match='first-level blocks'):
        zoo.create_model('nest_tiny', img_size=36)
    with pytest.raises(ValueError, match='square'):
        zoo.create_model('nest_tiny', img_size=(64, 96))
    with pytest.raises(ValueError, match='num_levels'):
        zoo.create_model('nest_tiny', depths=(2, 2))
