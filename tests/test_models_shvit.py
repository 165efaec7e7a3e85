"""SHViT: parity with timm 1.0.31, the reference oracle, plus the head API.

Default run: shvit_s1 at 64 px with shallow depths (stem, a stage without attention, downsampling units, single-head
attention blocks); intermediates, head reset / pruning, and the head's pre-logits. `-m slow`: every name at 128 px,
grad checkpointing.
"""
import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients, image
from _mobile_checks import assert_pooled_bn_linear_head_matches
from _parity import assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'shvit'
NAMES = zoo.list_models(module=MODULE)
SHALLOW = dict(depth=(1, 1, 2))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 4


def test_parity_default():
    assert_parity('shvit_s1', img_size=(64, 64), batch_size=2, **SHALLOW)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(128, 128), batch_size=2)


def test_intermediates_and_head():
    ref = fill_random_(timm.create_model('shvit_s1', **SHALLOW)).eval()
    ours = zoo.create_model('shvit_s1', **SHALLOW).eval()
    ours.load_state_dict(ref.state_dict())
    x = image()
    assert_pooled_bn_linear_head_matches('shvit_s1', ours, ref, x)
    with pytest.raises(ValueError, match='types'):
        zoo.create_model('shvit_s1', types=('i', 's', 'x'))


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('shvit_s1', num_classes=3, **SHALLOW)
    assert_checkpointing_keeps_gradients(model, image(size=64))
