"""EfficientViT (MIT, B and L series): parity with timm 1.0.31, the reference oracle, plus the head API.

Default run: efficientvit_b0 and efficientvit_l1 (every block form: DSConv / ConvBlock stems, MBConv, fused MBConv,
fewer-norm MBConv, multi-scale linear attention) at 64 px, with shallow depths for l1; intermediates, pre-logits,
head reset with `reset_other`, pruning (meta device). `-m slow`: every name at 128 px, grad checkpointing.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'efficientvit_mit'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = {'efficientvit_b0': {}, 'efficientvit_l1': dict(depths=(1, 1, 1, 1, 1))}


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 7


@pytest.mark.parametrize('name', list(DEFAULT))
def test_parity_default(name):
    assert_parity(name, img_size=(64, 64), batch_size=2, **DEFAULT[name])


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(128, 128), batch_size=2)


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model('efficientvit_b0')).eval()
    ours = zoo.create_model('efficientvit_b0').eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert_reset_and_prune_match('efficientvit_b0')
    with pytest.raises(ValueError, match='global_pool'):
        zoo.create_model('efficientvit_b0', global_pool='')


def test_reset_other_and_pruned_head_match_timm(pair):
    """`reset_classifier(n, reset_other=True)` leaves pool -> classifier on the trunk features, as timm's does; a
    pruned trunk classifies nothing and returns pooled features of the last kept stage."""
    ref, ours = pair
    x = image()
    for m in (ref, ours):
        m.reset_classifier(4, global_pool='max', reset_other=True)
    ours.head.classifier[4].load_state_dict(ref.head.classifier[4].state_dict())
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='reset_other')
    assert ours.head_hidden_size == ref.head_hidden_size == 128
    for m in (ref, ours):
        m.prune_intermediate_layers([2])
    with torch.inference_mode():
        got, want = ours(x), ref(x)
    assert got.shape == want.shape == (2, 64)
    assert_outputs_close(got, want, name='pruned')


def test_bf16_autocast_matches_timm(pair):
    """The linear attention runs in float32 even under autocast (its normaliser overflows bf16), as timm's does."""
    ref, ours = pair
    x = image()
    with torch.inference_mode(), torch.autocast('cpu', dtype=torch.bfloat16):
        got, want = ours(x), ref(x)
    assert got.dtype == want.dtype == torch.bfloat16
    assert_outputs_close(got.float(), want.float(), atol=1e-2, name='bf16 autocast')


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('efficientvit_b0', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=64))
