"""GC ViT: parity with timm 1.0.31 (the reference oracle) and the model API.

The windows are fitted to `img_size` (img_size / window_ratio), so a reduced-size model is a smaller instance of the
same architecture: at img_size=64 the stages have 16, 8, 4, 2 px maps with 2, 2, 4, 2 px windows, and the global
query generators still pool 3, 2, 0, 0 times, as at 224 px. Default run: gcvit_xxtiny at 64 px (local and global
blocks, every pooling depth), also with gcvit_small's LayerScale / MLP ratio; intermediates / head / pruning.
`-m slow`: every name at its native 224 px, gradient checkpointing.
"""
import pytest

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _hier_parity import build_pair, check_parity
from _parity import assert_feature_info_parity, assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'gcvit'
NAMES = zoo.list_models(module=MODULE)
SMALL = dict(img_size=64)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 5


def test_parity_reduced_layer_scale():
    # gcvit_small / gcvit_base's block configuration on the small model (the plain one: test_intermediates_and_head)
    check_parity('gcvit_xxtiny', 64, batch_size=2, layer_scale=1e-5, mlp_ratio=2, **SMALL)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native(name):
    assert_parity(name, batch_size=1)
    assert_feature_info_parity(name)


def test_intermediates_and_head():
    ref, ours = build_pair('gcvit_xxtiny', **SMALL)
    x = image(2, 64)  # assert_intermediates_match also compares the logits
    assert_intermediates_match(ours, ref, x, [0, 1, 3])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert ours.no_weight_decay() == ref.no_weight_decay() and ours.no_weight_decay()
    assert_reset_and_prune_match('gcvit_xxtiny', **SMALL)
    assert_feature_info_parity('gcvit_xxtiny', **SMALL)


@pytest.mark.slow
def test_grad_checkpointing():
    model = fill_random_(zoo.create_model('gcvit_xxtiny', **SMALL))
    assert_checkpointing_keeps_gradients(model, image(1, 64))
