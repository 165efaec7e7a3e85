"""Model EMA: the same averages as timm's ModelEmaV2 / ModelEmaV3 after N updates, for every option."""
import copy
from typing import Any, Dict

import pytest
import torch
from torch import nn

from zoo.utils import ModelEma, ModelEmaV2, ModelEmaV3

timm_utils = pytest.importorskip('timm.utils', reason='timm (the reference oracle) comes with the test extra')


def _model(dtype: torch.dtype = torch.float32) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8 * 4 * 4, 5)).to(dtype)


def _train_updates(model: nn.Module, emas: list, steps: int = 6, with_step: bool = True) -> None:
    """Move the weights (and BN statistics) as training would, updating every EMA after each step."""
    g = torch.Generator().manual_seed(1)
    dtype = next(model.parameters()).dtype
    for step in range(1, steps + 1):
        with torch.no_grad():
            model.train()(torch.randn(4, 3, 6, 6, generator=g).to(dtype))  # BN running stats + num_batches_tracked
            for p in model.parameters():
                p.add_(0.1 * torch.randn(p.shape, generator=g).to(dtype))
        for ema in emas:
            if with_step:
                ema.update(model, step=step)
            else:
                ema.update(model)


def _assert_same_state(ours: nn.Module, ref: nn.Module) -> None:
    a, b = ours.state_dict(), ref.state_dict()
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


@pytest.mark.parametrize('decay', [0.9, 0.5])
def test_v2_matches_timm(decay: float) -> None:
    model = _model()
    ours, ref = ModelEmaV2(model, decay=decay), timm_utils.ModelEmaV2(model, decay=decay)
    _train_updates(model, [ours, ref], with_step=False)
    _assert_same_state(ours.module, ref.module)  # integer buffers follow the same (truncating) formula
    ours.set(model)
    ref.set(model)
    _assert_same_state(ours.module, ref.module)


_V3_CASES: Dict[str, Dict[str, Any]] = {
    'plain': dict(decay=0.9),
    'per_tensor': dict(decay=0.9, foreach=False),
    'warmup': dict(decay=0.99, use_warmup=True, warmup_gamma=2., warmup_power=0.75, min_decay=0.3),
    'update_after_step': dict(decay=0.8, update_after_step=2),
    'exclude_buffers': dict(decay=0.9, exclude_buffers=True),
    'exclude_buffers_per_tensor': dict(decay=0.9, exclude_buffers=True, foreach=False),
    'float64_ema': dict(decay=0.9, dtype=torch.float64),
    'float64_ema_per_tensor': dict(decay=0.9, dtype=torch.float64, foreach=False),
    'cpu_device': dict(decay=0.9, device=torch.device('cpu')),
}


@pytest.mark.parametrize('case', list(_V3_CASES))
def test_v3_matches_timm(case: str) -> None:
    kwargs = _V3_CASES[case]
    model = _model()
    ours, ref = ModelEmaV3(model, **kwargs), timm_utils.ModelEmaV3(model, **kwargs)
    for step in [None, *range(0, 60)]:
        assert ours.get_decay(step) == ref.get_decay(step), step
    _train_updates(model, [ours, ref])
    _assert_same_state(ours.module, ref.module)
    assert _max_change(ours.module, model) > 0  # the average lags the live weights
    ours.set(model)
    ref.set(model)
    _assert_same_state(ours.module, ref.module)  # in the EMA's own dtype / device
    assert _max_change(ours.module, model) == 0


def _max_change(a: nn.Module, b: nn.Module) -> float:
    return max((x.float() - y.float()).abs().max().item() for x, y in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize('kwargs', [
    dict(decay=0.999), dict(decay=0.999, foreach=False), dict(decay=0.999, stochastic_rounding_seed=7),
    dict(decay=0.999, stochastic_rounding=False), dict(decay=0.999, dtype=torch.float32),
], ids=['sr', 'sr_per_tensor', 'sr_seed', 'no_sr', 'float32_ema'])
def test_v3_bfloat16_model_matches_timm(kwargs: Dict[str, Any]) -> None:
    model = _model(torch.bfloat16)
    ours, ref = ModelEmaV3(model, **kwargs), timm_utils.ModelEmaV3(model, **kwargs)
    _train_updates(model, [ours, ref], steps=4)
    _assert_same_state(ours.module, ref.module)


def test_stochastic_rounding_accumulates_small_updates() -> None:
    """An update far below bfloat16 resolution is lost by plain rounding but kept on average by stochastic rounding."""
    model = nn.Linear(64, 64, bias=False).to(torch.bfloat16)
    with torch.no_grad():
        model.weight.fill_(1.)
    target = copy.deepcopy(model)
    with torch.no_grad():
        target.weight.fill_(1.25)
    plain = ModelEmaV3(model, decay=0.999, stochastic_rounding=False)
    rounded = ModelEmaV3(model, decay=0.999)
    for _ in range(200):
        plain.update(target)
        rounded.update(target)
    exact = 1.25 - 0.25 * 0.999 ** 200  # ~1.045
    assert plain.module.weight.float().mean().item() == 1.0
    assert abs(rounded.module.weight.float().mean().item() - exact) < 2e-3


def test_model_ema_keeps_zoo_behaviour() -> None:
    """zoo's ModelEma unwraps a DDP-style ``.module`` and averages floats per tensor like ModelEmaV3."""
    model = _model()
    wrapper = nn.Module()
    wrapper.module = model  # what DistributedDataParallel looks like to the EMA
    ours = ModelEma(wrapper, decay=0.9, use_warmup=True)
    ref = timm_utils.ModelEmaV3(model, decay=0.9, use_warmup=True, foreach=False)

    class _ThroughWrapper:
        def update(self, _: nn.Module, step: int) -> None:
            ours.update(wrapper, step=step)

    _train_updates(model, [ref, _ThroughWrapper()])
    _assert_same_state(ours.module, ref.module)
    assert ours.ema_state_dict().keys() == model.state_dict().keys()
