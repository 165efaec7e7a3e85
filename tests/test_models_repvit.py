"""RepViT: parity with timm 1.0.31, the reference oracle, plus re-parameterisation, the distilled head and the API.

Default run: repvit_m1 (legacy token mixer) and repvit_m0_9 (BN after the token mixer) at 64 px; folding keeps the
outputs and gives timm's deployed (`fuse()`) layout; the distillation head in training; intermediates, head reset /
pruning (the last three on shallow builds of the same models). `-m slow`: every name at 128 px, grad checkpointing.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _mobile_checks import assert_distilled_heads_match
from _parity import assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402
from zoo.models import reparameterize_model  # noqa: E402

MODULE = 'repvit'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ('repvit_m1', 'repvit_m0_9')
SHALLOW = dict(depth=(1, 1, 2, 1))  # every block form (SE / no SE, downsampling units) at a fraction of the cost


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 8


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name in DEFAULT else (128, 128), batch_size=2)


@pytest.mark.parametrize('name', DEFAULT)
def test_reparameterize_keeps_outputs_and_loads_into_timm_deployed(name):
    model = fill_random_(zoo.create_model(name, **SHALLOW)).eval()
    with torch.no_grad():  # damp the residual MLPs so the activations stay moderate
        for key, p in model.named_parameters():
            if key.endswith('conv2.bn.weight'):
                p.mul_(0.2)
    x = image()
    with torch.inference_mode():
        expected = model(x)
    folded = reparameterize_model(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert isinstance(folded.head, torch.nn.Linear)  # both heads averaged into one
    ref = timm.create_model(name, **SHALLOW).eval()
    ref.fuse()
    ref.load_state_dict(folded.state_dict(), strict=True)
    with torch.inference_mode():
        assert_outputs_close(folded(x), expected, name='folded')
        assert_outputs_close(ref(x), expected, name='timm deployed')


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model('repvit_m0_9', **SHALLOW)).eval()
    ours = zoo.create_model('repvit_m0_9', **SHALLOW).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_distillation_head(pair):
    ref, ours = pair
    assert_distilled_heads_match(ours, ref, image())


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert_reset_and_prune_match('repvit_m0_9')
    with torch.device('meta'):
        models = [zoo.create_model('repvit_m1'), timm.create_model('repvit_m1')]
    for m in models:
        m.reset_classifier(7, distillation=True)
    assert {k: v.shape for k, v in models[0].state_dict().items()} == \
        {k: v.shape for k, v in models[1].state_dict().items()}
    with pytest.raises(ValueError, match='global_pool'):
        zoo.create_model('repvit_m1', global_pool='max')


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('repvit_m0_9', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))
