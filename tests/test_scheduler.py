"""LR schedules: closed-form curves and value-for-value parity with timm's schedulers for the same arguments."""
import math
import warnings
from typing import Dict, List

import pytest
import torch

from zoo.scheduler import create_scheduler_v2, scheduler_kwargs


def _optimizer(lr: float = 0.1, scales=(1.0,)) -> torch.optim.Optimizer:
    groups = [{'params': [torch.nn.Parameter(torch.zeros(1))], 'lr_scale': s} for s in scales]
    return torch.optim.SGD(groups, lr=lr)


def _epoch_curve(sched, epochs: int, metrics=None) -> List[List[float]]:
    curve = [[g['lr'] for g in sched.optimizer.param_groups]]
    for epoch in range(epochs):
        sched.step(epoch + 1, None if metrics is None else metrics[epoch])
        curve.append([g['lr'] for g in sched.optimizer.param_groups])
    return curve


def _update_curve(sched, updates: int) -> List[List[float]]:
    curve = []
    for n in range(updates):
        sched.step_update(n)
        curve.append([g['lr'] for g in sched.optimizer.param_groups])
    return curve


def _flat(curve: List[List[float]]) -> List[float]:
    return [v for row in curve for v in row]


def test_cosine_closed_form_with_warmup_and_min_lr() -> None:
    sched, epochs = create_scheduler_v2(
        _optimizer(0.1), 'cosine', num_epochs=10, warmup_epochs=2, warmup_lr=1e-3, min_lr=1e-4)
    assert epochs == 10
    got = [c[0] for c in _epoch_curve(sched, 12)]
    for t, lr in enumerate(got):
        if t < 2:
            expect = 1e-3 + t * (0.1 - 1e-3) / 2
        elif t < 10:
            expect = 1e-4 + 0.5 * (0.1 - 1e-4) * (1 + math.cos(math.pi * t / 10))
        else:
            expect = 1e-4
        assert lr == pytest.approx(expect, rel=1e-12), t


def test_step_and_multistep_closed_form() -> None:
    sched, _ = create_scheduler_v2(_optimizer(1.0), 'step', num_epochs=20, decay_epochs=2.4, decay_rate=0.5)
    assert [c[0] for c in _epoch_curve(sched, 8)] == [0.5 ** (t // 2.4) for t in range(9)]
    sched, _ = create_scheduler_v2(_optimizer(1.0), 'multistep', num_epochs=20, decay_milestones=[3, 6],
                                   decay_rate=0.1)
    got = [c[0] for c in _epoch_curve(sched, 8)]
    assert got == pytest.approx([1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01])


def test_lr_scale_multiplies_each_group() -> None:
    sched, _ = create_scheduler_v2(_optimizer(0.2, scales=(1.0, 0.25)), 'cosine', num_epochs=4)
    for lr, lr_scaled in _epoch_curve(sched, 4):
        assert lr_scaled == pytest.approx(0.25 * lr)


def test_noise_bounded_and_reproducible() -> None:
    def curve():
        sched, _ = create_scheduler_v2(_optimizer(1.0), 'step', num_epochs=40, decay_epochs=100, noise=[0.25, 0.75],
                                       noise_pct=0.3, noise_std=1.0, noise_seed=7)
        return [c[0] for c in _epoch_curve(sched, 40)]
    a, b = curve(), curve()
    assert a == b
    noisy = a[10:30]
    assert all(v == 1.0 for v in a[:10] + a[30:])
    assert all(0.7 < v < 1.3 for v in noisy) and len(set(noisy)) > 10


def test_state_dict_round_trip_resumes_curve() -> None:
    kw = dict(sched='cosine', num_epochs=12, warmup_epochs=3, noise=0.5, cycle_limit=2, cycle_mul=1.5)
    ref, _ = create_scheduler_v2(_optimizer(0.1), **kw)
    full = _epoch_curve(ref, 20)
    first, _ = create_scheduler_v2(_optimizer(0.1), **kw)
    _epoch_curve(first, 5)
    resumed, _ = create_scheduler_v2(_optimizer(0.1), **kw)
    resumed.load_state_dict(first.state_dict())
    resumed.step(6)
    assert resumed.optimizer.param_groups[0]['lr'] == full[6][0]


def test_wsd_closed_form() -> None:
    sched, epochs = create_scheduler_v2(_optimizer(1.0), 'wsd', num_epochs=12, warmup_epochs=2, warmup_lr=0.,
                                        decay_epochs=4, min_lr=0.1)
    assert epochs == 12
    got = [c[0] for c in _epoch_curve(sched, 13)]
    # warmup 0, 0.5; stable 1.0 until the decay starts 4 epochs before the end (epoch 8); then 1 - sqrt(k / 4)
    expect = [0., 0.5] + [1.] * 7 + [0.1 + 0.9 * (1 - math.sqrt(k / 4)) for k in range(1, 4)] + [0.1, 0.1]
    assert got == pytest.approx(expect, rel=1e-12, abs=1e-15)
    with pytest.raises(ValueError, match="'wsd' needs 0 < decay_epochs <= epochs - warmup_epochs"):
        create_scheduler_v2(_optimizer(), 'wsd', num_epochs=10, warmup_epochs=5, decay_epochs=8)
    with pytest.raises(ValueError, match='stable_timescale'):
        create_scheduler_v2(_optimizer(), 'rsqrt', num_epochs=10)


def test_unknown_scheduler_and_missing_updates_per_epoch() -> None:
    with pytest.raises(ValueError, match="Unknown scheduler 'cosin'.*cosine"):
        create_scheduler_v2(_optimizer(), 'cosin')
    with pytest.raises(ValueError, match='updates_per_epoch'):
        create_scheduler_v2(_optimizer(), 'cosine', step_on_epochs=False)


_CASES: Dict[str, dict] = {
    'cosine': dict(sched='cosine', num_epochs=20),
    'cosine_warmup': dict(sched='cosine', num_epochs=20, warmup_epochs=3, warmup_lr=1e-4, min_lr=1e-3),
    'cosine_prefix_cooldown': dict(sched='cosine', num_epochs=20, warmup_epochs=3, warmup_prefix=True,
                                   cooldown_epochs=4),
    'cosine_cycles': dict(sched='cosine', num_epochs=6, cycle_mul=2., cycle_decay=0.5, cycle_limit=3),
    'cosine_k_decay': dict(sched='cosine', num_epochs=20, k_decay=2.0, warmup_epochs=2),
    'cosine_noise': dict(sched='cosine', num_epochs=20, noise=[0.2, 0.8], noise_pct=0.5, noise_std=0.8, noise_seed=3),
    'tanh': dict(sched='tanh', num_epochs=20, warmup_epochs=3),
    'tanh_prefix_cycles': dict(sched='tanh', num_epochs=6, warmup_epochs=2, warmup_prefix=True, cycle_limit=2),
    'step': dict(sched='step', num_epochs=30, decay_epochs=2.4, decay_rate=0.97, warmup_epochs=3, warmup_lr=1e-6),
    'step_noise': dict(sched='step', num_epochs=30, decay_epochs=5, decay_rate=0.5, noise=0.42, noise_pct=0.9),
    'multistep': dict(sched='multistep', num_epochs=30, decay_milestones=[5, 12, 20], decay_rate=0.3,
                      warmup_epochs=2),
    'poly': dict(sched='poly', num_epochs=20, decay_rate=2.0, min_lr=1e-4, warmup_epochs=2),
    'poly_k_cycles': dict(sched='poly', num_epochs=5, decay_rate=0.5, k_decay=0.5, cycle_limit=3, cycle_decay=0.7),
    'constant': dict(sched='constant', num_epochs=10, warmup_epochs=3),
    'constant_prefix_noise': dict(sched='constant', num_epochs=10, warmup_epochs=2, warmup_prefix=True, noise=0.3),
    'cosine_all': dict(sched='cosine', num_epochs=5, warmup_epochs=2, warmup_prefix=True, cycle_mul=1.5,
                       cycle_decay=0.8, cycle_limit=3, k_decay=1.5, noise=[0.1, 0.9], noise_pct=0.2, min_lr=1e-3,
                       cooldown_epochs=2),
    'tanh_cycles_noise': dict(sched='tanh', num_epochs=6, cycle_mul=2., cycle_decay=0.5, cycle_limit=2,
                              noise=[0.5], min_lr=1e-4),
    'poly_prefix_noise': dict(sched='poly', num_epochs=12, decay_rate=1.5, warmup_epochs=3, warmup_prefix=True,
                              noise=0.25, noise_std=0.5, k_decay=2.0),
    'step_prefix_cooldown': dict(sched='step', num_epochs=20, decay_epochs=3, decay_rate=0.5, warmup_epochs=2,
                                 warmup_prefix=True, cooldown_epochs=3),
    'multistep_prefix_noise': dict(sched='multistep', num_epochs=20, decay_milestones=[4, 9], warmup_epochs=3,
                                   warmup_prefix=True, noise=[0.2, 0.6], noise_seed=11),
    'wsd': dict(sched='wsd', num_epochs=20, warmup_epochs=3),
    'wsd_prefix_cosine': dict(sched='wsd', num_epochs=16, warmup_epochs=2, warmup_prefix=True, decay_fn='cosine',
                              decay_epochs=5, min_lr=1e-3, cooldown_epochs=2),
    'wsd_exp_noise': dict(sched='wsd', num_epochs=20, decay_fn='exp', decay_epochs=0.4, noise=[0.3, 0.9],
                          noise_pct=0.3),
    'wsd_power_linear': dict(sched='wsd', num_epochs=15, warmup_epochs=4, decay_fn='power', decay_epochs=6),
    'rsqrt': dict(sched='rsqrt', num_epochs=20, warmup_epochs=4),
    'rsqrt_timescale': dict(sched='rsqrt', num_epochs=18, warmup_epochs=2, warmup_prefix=True, stable_timescale=2.5,
                            decay_epochs=0.3, min_lr=1e-3, decay_fn='1-sqrt'),
    'rsqrt_no_warmup_noise': dict(sched='rsqrt', num_epochs=12, stable_timescale=3, noise=0.5, cooldown_epochs=1),
}


@pytest.mark.parametrize('per_update', [False, True], ids=['per_epoch', 'per_update'])
@pytest.mark.parametrize('case', list(_CASES))
def test_parity_with_timm(case: str, per_update: bool) -> None:
    timm_sched = pytest.importorskip('timm.scheduler')
    kwargs = dict(_CASES[case], step_on_epochs=not per_update, updates_per_epoch=7 if per_update else 0)
    ours, ours_epochs = create_scheduler_v2(_optimizer(0.1, scales=(1.0, 0.5)), **kwargs)
    ref, ref_epochs = timm_sched.create_scheduler_v2(_optimizer(0.1, scales=(1.0, 0.5)), **kwargs)
    assert ours_epochs == ref_epochs
    if per_update:
        got, expect = _update_curve(ours, ours_epochs * 7 + 5), _update_curve(ref, ref_epochs * 7 + 5)
    else:
        got, expect = _epoch_curve(ours, ours_epochs + 3), _epoch_curve(ref, ref_epochs + 3)
    assert _flat(got) == pytest.approx(_flat(expect), rel=1e-12, abs=0)


@pytest.mark.parametrize('kwargs', [
    dict(stable_fn='power', stable_power=0.3, stable_timescale=2., decay_fn='linear', lr_min=1e-3),
    dict(stable_fn='rsqrt', warmup_t=3, warmup_lr_init=1e-4, decay_fn='exp', decay_ratio=0.2),
    dict(decay_fn='power', decay_power=2., warmup_t=2),
    dict(decay_fn=lambda frac: (1. - frac) ** 3, lr_min=0.01),
], ids=['power_linear', 'rsqrt_exp', 'square_decay', 'callable'])
def test_wsd_constructor_parity_with_timm(kwargs) -> None:
    """Every stable and decay shape through the constructor (the factory reaches only some of them)."""
    timm_sched = pytest.importorskip('timm.scheduler')
    from zoo.scheduler import WSDLRScheduler
    ours = WSDLRScheduler(_optimizer(0.1, scales=(1.0, 0.5)), t_initial=12, decay_t=5, **kwargs)
    ref = timm_sched.WSDLRScheduler(_optimizer(0.1, scales=(1.0, 0.5)), t_initial=12, decay_t=5, **kwargs)
    got, expect = _epoch_curve(ours, 20), _epoch_curve(ref, 20)
    assert _flat(got) == pytest.approx(_flat(expect), rel=1e-12, abs=0)
    assert len(set(_flat(got))) > 8  # the curve moves


def test_plateau_parity_with_timm() -> None:
    timm_sched = pytest.importorskip('timm.scheduler')
    metrics = [50, 60, 61, 61, 61, 61, 61, 62, 62, 62, 62, 62, 62, 70, 70, 70, 70, 70, 70, 70]
    kwargs = dict(sched='plateau', num_epochs=20, warmup_epochs=2, patience_epochs=2, decay_rate=0.5,
                  noise=[0.5, 0.7], noise_seed=1)
    ours, _ = create_scheduler_v2(_optimizer(0.1), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        ref, _ = timm_sched.create_scheduler_v2(_optimizer(0.1), **kwargs)
    got, expect = _epoch_curve(ours, 20, metrics), _epoch_curve(ref, 20, metrics)
    assert _flat(got) == pytest.approx(_flat(expect), rel=1e-12)
    assert min(c[0] for c in got[3:]) < 0.1 * 0.5 ** 2 + 1e-12  # it did decay at least twice


def test_scheduler_kwargs_reads_train_args() -> None:
    from argparse import Namespace
    args = Namespace(sched='step', epochs=450, decay_epochs=2.4, decay_rate=0.97, warmup_lr=1e-6, warmup_epochs=3,
                     lr_noise=[0.42, 0.9], eval_metric='loss', sched_on_updates=True, seed=5, lr_decay_fn='cosine',
                     lr_stable_timescale=7.)
    kw = scheduler_kwargs(args)
    assert kw['decay_fn'] == 'cosine' and kw['stable_timescale'] == 7.
    assert kw['num_epochs'] == 450 and kw['noise'] == [0.42, 0.9] and kw['plateau_mode'] == 'min'
    assert kw['step_on_epochs'] is False and kw['noise_seed'] == 5 and kw['decay_rate'] == 0.97
