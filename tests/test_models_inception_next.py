"""InceptionNeXt family: parity with timm, the reference oracle, plus output_stride and the MLP head.

Default run: output parity at 64x64 for atto (band 9, branch ratio 1/4) and a one-block-per-stage tiny (band 11,
ratio 1/8), dilated trunks (output_stride 8 / 16), head options, intermediates. `-m slow`: every name.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_feature_info_parity, assert_outputs_close, build_pair_meta

import timm  # noqa: E402
import zoo  # noqa: E402

MODULE = 'inception_next'
NAMES = zoo.list_models(module=MODULE)


def _parity(name: str, size: int = 64, **kwargs) -> None:
    ref, ours = build_pair_meta(name, **kwargs)  # BatchNorm statistics are persistent: filled and loaded
    x = image(size=size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 4


@pytest.mark.parametrize('name', [n if n == 'inception_next_atto' else pytest.param(n, marks=pytest.mark.slow)
                                  for n in NAMES])
def test_parity(name):
    _parity(name)


def test_parity_tiny_shallow():
    _parity('inception_next_tiny', depths=(1, 1, 1, 1))


@pytest.mark.parametrize('output_stride', [8, 16])
def test_parity_output_stride(output_stride):
    """Dilated band convs and TF-'same' padded 2x2 transitions agree with timm; reductions match timm's."""
    _parity('inception_next_atto', output_stride=output_stride)
    assert_feature_info_parity('inception_next_atto', output_stride=output_stride)
    with torch.device('meta'):
        model = zoo.create_model('inception_next_atto', output_stride=output_stride)
    assert model.feature_info[-1]['reduction'] == output_stride


@pytest.mark.parametrize('kwargs', [dict(num_classes=0), dict(global_pool='catavgmax', num_classes=3)])
def test_parity_head_options(kwargs):
    _parity('inception_next_atto', size=32, **kwargs)


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('inception_next_atto')


def test_intermediates_and_head_api(pair):
    ref, ours = pair
    assert_intermediates_match(ours, ref, image(), [0, 3])
    assert_head_api_matches(ours, ref, image())
    assert ours.get_classifier() is ours.head.fc2
    assert_reset_and_prune_match('inception_next_atto')


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('inception_next_atto', depths=(1, 1, 1, 1), num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))


def test_invalid_args():
    with pytest.raises(ValueError, match='output_stride'):
        zoo.create_model('inception_next_atto', output_stride=4)
    with pytest.raises(ValueError, match='pooled'):
        zoo.create_model('inception_next_atto', global_pool='')
