"""SelecSLS: parity with timm 1.0.31, the reference oracle, plus the model API.

Default run: selecsls42b at 64 px (first / later blocks with the long-range skip, conv head with its two strided
levels): outputs, intermediates, pre-logits, group matcher, reset / pruning (into the head and into the blocks),
gradient checkpointing through the skip-carrying blocks. `-m slow`: every name at 128 px.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'selecsls'
NAMES = zoo.list_models(module=MODULE)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 5


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(128, 128), batch_size=1)
    assert_feature_info_parity(name)


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model('selecsls42b')).eval()
    ours = zoo.create_model('selecsls42b').eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_parity_intermediates_and_head(pair):
    ref, ours = pair
    x = image()
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    assert_intermediates_match(ours, ref, x)
    assert_intermediates_match(ours, ref, x, [1, 4])
    assert_head_api_matches(ours, ref, x)
    assert ours.get_classifier() is ours.fc
    assert ours.group_matcher() == ref.group_matcher()
    assert_feature_info_parity('selecsls42b')
    assert_reset_and_prune_match('selecsls42b')
    assert_reset_and_prune_match('selecsls42b', prune_to=[1, 2])


def test_grad_checkpointing_same_gradients():
    from zoo.models.selecsls import SelecSls, SelecSlsCfg
    torch.manual_seed(0)
    # a narrow two-stage net: a later block takes the first block's long-range skip through the checkpoint
    blocks = ((32, 0, 16, 16, True, 2), (16, 16, 16, 24, False, 1),
              (24, 0, 16, 16, True, 2), (16, 16, 16, 24, False, 1))
    head = ((24, 16, 3, 2), (16, 16, 3, 1), (16, 16, 3, 2), (16, 16, 1, 1))
    model = SelecSls(SelecSlsCfg(blocks, head, (1, 3)), num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(batch=2, size=64))
