"""create_model argument fuzz: every case either builds and runs, or is refused at construction by name.

For each registered name and each case of the catalogue below, the model is built on the meta device (no memory,
no init) and run on a meta tensor. A case passes when the model builds and its forward runs, or when construction
raises ValueError / TypeError whose message names the offending argument. A failure inside forward (the shape
errors a user would otherwise meet at the first batch), another exception type, or an invalid value that is accepted,
fails. The default run covers one representative per family module on the family-dependent cases and every case on
a few core modules; `-m slow` runs every case on every registered name.
"""
from typing import Any, Dict, List, Tuple

import pytest
import torch

import zoo
from _sample import representative

# (case id, kwargs, must_fail): must_fail cases hold values no model can use
CASES: List[Tuple[str, Dict[str, Any], bool]] = [
    ('defaults', {}, False),
    ('num_classes=0', dict(num_classes=0), False),
    ('num_classes=7', dict(num_classes=7), False),
    ('num_classes=-1', dict(num_classes=-1), True),
    ('num_classes=2.5', dict(num_classes=2.5), True),
    ('in_chans=1', dict(in_chans=1), False),
    ('in_chans=4', dict(in_chans=4), False),
    ('in_chans=0', dict(in_chans=0), True),
    ('global_pool=max', dict(global_pool='max'), False),
    ('global_pool=""', dict(global_pool=''), False),
    ('global_pool="",num_classes=0', dict(global_pool='', num_classes=0), False),
    ('global_pool=bogus', dict(global_pool='bogus'), True),
    ('drop_rate=0.5', dict(drop_rate=0.5), False),
    ('drop_rate=1.5', dict(drop_rate=1.5), True),
    ('drop_rate=-0.1', dict(drop_rate=-0.1), True),
    ('drop_path_rate=0.2', dict(drop_path_rate=0.2), False),
    ('drop_path_rate=2', dict(drop_path_rate=2.0), True),
    ('output_stride=16', dict(output_stride=16), False),
    ('output_stride=7', dict(output_stride=7), True),
    ('features_only', dict(features_only=True), False),
    ('out_indices=(0,99)', dict(features_only=True, out_indices=(0, 99)), True),
    ('unknown_arg', dict(not_an_argument=1), True),
]


# LSTMs are slow on the meta device (sequencer2d_s: ~8 s per forward at 224 px, 15x its CPU time, ~2 s at 56 px); they
# take any input size
META_INPUT_SIZE = {'sequencer': (56, 56)}


def _input(model: torch.nn.Module, in_chans: Any) -> torch.Tensor:
    cfg = getattr(model, 'pretrained_cfg', {}) or {}
    size = cfg.get('input_size', (3, 224, 224))
    hw = META_INPUT_SIZE.get(type(model).__module__.rsplit('.', 1)[-1], size[-2:])
    return torch.empty(2, in_chans or size[0], *hw, device='meta')


def check_case(name: str, kwargs: Dict[str, Any], must_fail: bool) -> None:
    try:
        with torch.device('meta'):
            model = zoo.create_model(name, **kwargs)
    except (ValueError, TypeError) as e:
        named = [k for k in kwargs if k in str(e)]
        assert named, f'{name} {kwargs}: construction error does not name the argument: {e}'
        return
    assert not must_fail, f'{name} accepted {kwargs}, which no model can use'
    model.eval()
    with torch.no_grad():
        out = model(_input(model, kwargs.get('in_chans')))
    if kwargs.get('features_only'):
        assert isinstance(out, list) and len(out) == len(model.feature_info.out_indices)
    elif kwargs.get('global_pool') == '' and kwargs.get('num_classes') == 0:
        assert out.ndim >= 3, f'{name}: global_pool="" should leave unpooled maps/tokens, got {tuple(out.shape)}'
    elif kwargs.get('num_classes'):
        assert tuple(out.shape) == (2, kwargs['num_classes']), f'{name}: output {tuple(out.shape)}'
    elif kwargs.get('num_classes') == 0:
        # encoder-only models (e.g. mobilenetv5_*_enc) have no pooled head at all: unpooled maps are their output
        assert out.ndim == 2 or _default_output_ndim(name) > 2, \
            f'{name}: num_classes=0 should give pooled features, got {tuple(out.shape)}'


def _default_output_ndim(name: str) -> int:
    with torch.device('meta'):
        model = zoo.create_model(name).eval()
    with torch.no_grad():
        return model(_input(model, None)).ndim


# cases whose outcome depends on the family's head / trunk code; the others are refused by the shared builder
# checks before any family code runs, so a few modules exercise them in the default run
FAMILY_CASES = [c for c in CASES if c[0] in (
    'num_classes=0', 'in_chans=1', 'global_pool=max', 'global_pool=""', 'global_pool="",num_classes=0',
    'global_pool=bogus', 'output_stride=16', 'features_only')]
CORE_MODULES = ['resnet', 'vision_transformer', 'efficientnet', 'convnext']


@pytest.mark.parametrize('case_id,kwargs,must_fail', FAMILY_CASES, ids=[c[0] for c in FAMILY_CASES])
@pytest.mark.parametrize('module', zoo.list_modules())
def test_argument_cases_representative(module: str, case_id: str, kwargs: Dict[str, Any], must_fail: bool):
    check_case(representative(module), kwargs, must_fail)


@pytest.mark.parametrize('case_id,kwargs,must_fail', CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize('module', CORE_MODULES)
def test_argument_cases_core(module: str, case_id: str, kwargs: Dict[str, Any], must_fail: bool):
    check_case(representative(module), kwargs, must_fail)


@pytest.mark.slow
@pytest.mark.parametrize('name', zoo.list_models())
def test_argument_cases_every_name(name: str):
    failures = []
    for case_id, kwargs, must_fail in CASES:
        try:
            check_case(name, kwargs, must_fail)
        except Exception as e:  # collect every failing case of the name, not just the first
            failures.append(f'{case_id}: {type(e).__name__}: {str(e)[:200]}')
    assert not failures, f'{name}:\n' + '\n'.join(failures)


def test_reset_classifier_refuses_negative_classes():
    model = zoo.create_model('resnet10t', num_classes=3)
    with pytest.raises(ValueError, match='num_classes'):
        model.reset_classifier(-1)
    model.reset_classifier(0)
    assert model.num_classes == 0


def test_name_suggestions_rank_the_closest_first():
    with pytest.raises(zoo.models.UnknownModelError, match=r'Did you mean: efficientnet_b0,'):
        zoo.create_model('efficientnet_bo')
    with pytest.raises(zoo.models.UnknownModelError, match=r'Did you mean: vit_base_patch16_224,'):
        zoo.create_model('vit-base-patch16-224')
    with pytest.raises(zoo.models.UnknownModelError, match=r'Did you mean: convnext_tiny,'):
        zoo.create_model('convnxt_tiny')
