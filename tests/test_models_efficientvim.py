"""EfficientViM: parity with timm 1.0.31, the reference oracle, plus the fused multi-stage head, distillation heads,
re-parameterisation and the official checkpoint filter.

Default run: a narrow, one-block-per-stage efficientvim_m1_dist at 64 px (stem, HSM-SSD blocks, downsampling units,
both head sets); intermediates / pruning / features_only, the distilled training pair, folding. `-m slow`: every name
at 128 px, grad checkpointing.
"""
import re

import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients, assert_filter_matches_timm, image
from _efficient_checks import assert_api_matches, small_pair
from _mobile_checks import assert_distilled_heads_match
from _parity import assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402
from zoo.models._reparam import reparameterize_model

MODULE = 'efficientvim'
NAMES = zoo.list_models(module=MODULE)
LAYER_NORM = re.compile(r'^(norm\.\d+|stages\.\d+\.blocks\.\d+\.norm)\.(weight|bias)$')
SMALL = dict(embed_dim=(32, 48, 64), depths=(1, 1, 1), state_dim=(9, 4, 4))


def _pair(name: str = 'efficientvim_m1_dist'):
    return small_pair(name, SMALL)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 8


def test_parity_default():
    assert_parity('efficientvim_m1_dist', img_size=(64, 64), **SMALL)
    assert_parity('efficientvim_m1', img_size=(64, 96), **dict(SMALL, depths=(2, 1, 1)))


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(128, 128), batch_size=2)


def test_intermediates_head_and_pruning():
    ours, ref = _pair()
    x = image()
    assert_api_matches('efficientvim_m1_dist', ours, ref, x, [0, 2], **SMALL)
    with torch.inference_mode():
        for kwargs in (dict(indices=[1], norm=True, intermediates_only=True), dict(indices=[0], stop_early=True)):
            got, want = ours.forward_intermediates(x, **kwargs), ref.forward_intermediates(x, **kwargs)
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
        nhwc = ours.forward_intermediates(x, indices=[1], output_fmt='NHWC', intermediates_only=True)[0]
        torch.testing.assert_close(nhwc.permute(0, 3, 1, 2), ref.forward_intermediates(x, indices=[1])[1][0])
    # the pruned trunk keeps the maps it was pruned for, and the head then concatenates the kept branches
    for m in (ours, ref):
        assert m.prune_intermediate_layers([0, 1]) == [0, 1]
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='pruned pre-logits')
        torch.testing.assert_close(ours.forward_intermediates(x, norm=True, intermediates_only=True),
                                   ref.forward_intermediates(x, norm=True, intermediates_only=True))
    with pytest.raises(ValueError, match='prune_head'):
        zoo.create_model('efficientvim_m1', **SMALL).prune_intermediate_layers([0], prune_head=False)


def test_bad_arguments():
    for bad in ('', 'max'):
        with pytest.raises(ValueError, match='global_pool'):
            zoo.create_model('efficientvim_m1', global_pool=bad)
    with pytest.raises(ValueError, match='state_dim'):
        zoo.create_model('efficientvim_m1', state_dim=(9, 4))


def test_reset_classifier_matches_timm():
    ours, ref = _pair()
    for m in (ours, ref):
        m.reset_classifier(7)
        fill_random_(m, seed=3)
    x = image()
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='reset to 7 classes')
    assert ours.weights.requires_grad and ours.weights_dist.requires_grad
    ours.reset_classifier(0)
    assert not ours.weights.requires_grad and not ours.weights_dist.requires_grad
    with pytest.raises(RuntimeError, match='num_classes=0'):
        ours.forward_head_distilled(ours.forward_features(x))


def test_distilled_heads():
    ours, ref = _pair()
    assert_distilled_heads_match(ours, ref, image())
    plain = zoo.create_model('efficientvim_m1', **SMALL)
    assert plain.heads_dist is None and isinstance(plain.get_classifier(), torch.nn.ModuleList)
    with pytest.raises(RuntimeError, match='distillation'):
        plain.forward_head_distilled(plain.forward_features(image()))


def test_reparameterize_keeps_outputs():
    ours, ref = _pair()
    x = image()
    folded = reparameterize_model(ours)
    assert all(m.folded for m in folded.modules() if hasattr(m, 'folded'))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.stages.modules())
    with torch.inference_mode():
        assert_outputs_close(folded(x), ref(x), name='folded vs timm')
        assert_outputs_close(folded(x), reparameterize_model(folded)(x), name='folding twice')


def test_official_checkpoint_filter():
    from timm.models.efficientvim import checkpoint_filter_fn as timm_filter
    from zoo.models.efficientvim import checkpoint_filter_fn

    def to_official(sd):
        # the release stores LayerNorm affines broadcastable and wraps final and EMA weights
        shaped = {k: v.reshape(1, -1, 1, 1) if LAYER_NORM.match(k) else v for k, v in sd.items()}
        return {'model': shaped, 'model_ema': shaped}

    assert_filter_matches_timm('efficientvim_m1_dist', checkpoint_filter_fn, timm_filter, to_official, **SMALL)
    # a plain model drops the distillation heads of a distilled release
    with torch.device('meta'):
        dist, plain = zoo.create_model('efficientvim_m1_dist', **SMALL), zoo.create_model('efficientvim_m1', **SMALL)
    filtered = checkpoint_filter_fn({'model_ema': dist.state_dict()}, plain)
    assert sorted(filtered) == sorted(plain.state_dict())


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('efficientvim_m1', num_classes=3, **dict(SMALL, depths=(2, 1, 1)))
    assert_checkpointing_keeps_gradients(model, image(size=64))
