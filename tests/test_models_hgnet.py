"""PP-HGNet / PP-HGNetV2: parity with timm 1.0.31, the reference oracle, plus the model API.

Default run at 64 px: hgnet_tiny (V1 stem, ESE aggregation) and hgnetv2_b0 (V2 stem with its padded 2x2 branch,
light depthwise blocks, SE aggregation, learnable affine maps): outputs, feature channels / reductions; on B0
intermediates, pre-logits, head reset / pruning, stochastic-depth schedule, checkpointing. `-m slow`: every name.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_feature_info_parity, assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'hgnet'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['hgnet_tiny', 'hgnetv2_b0']


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 10


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name in DEFAULT else (96, 96), batch_size=1)
    assert_feature_info_parity(name)


def test_intermediates_and_head():
    ref = fill_random_(timm.create_model('hgnetv2_b0')).eval()
    ours = zoo.create_model('hgnetv2_b0').eval()
    ours.load_state_dict(ref.state_dict())
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    assert ours.get_classifier() is ours.head.fc
    assert ours.group_matcher() == ref.group_matcher() and ours.group_matcher(True) == ref.group_matcher(True)
    assert_reset_and_prune_match('hgnetv2_b0')
    with torch.device('meta'):
        models = [lib.create_model('hgnetv2_b1', drop_path_rate=0.2) for lib in (zoo, timm)]
    ours, theirs = [[getattr(b.drop_path, 'drop_prob', 0.) for s in m.stages for b in s.blocks] for m in models]
    assert max(ours) == pytest.approx(0.2) and ours == pytest.approx(theirs)


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('hgnetv2_b0', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=64))
