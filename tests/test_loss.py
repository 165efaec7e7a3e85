"""Losses against closed-form values and timm's implementations."""
import pytest
import torch
import torch.nn.functional as F

from zoo.loss import BinaryCrossEntropy, JsdCrossEntropy, LabelSmoothingCrossEntropy, SoftTargetCrossEntropy


def _data(n: int = 6, c: int = 5):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g)


def test_label_smoothing_equals_soft_target_ce_on_smoothed_one_hot() -> None:
    logits, target = _data()
    smoothed = F.one_hot(target, 5).float() * 0.8 + 0.2 / 5
    expect = torch.sum(-smoothed * F.log_softmax(logits, -1), -1).mean()
    torch.testing.assert_close(LabelSmoothingCrossEntropy(0.2)(logits, target), expect)
    torch.testing.assert_close(SoftTargetCrossEntropy()(logits, smoothed), expect)
    # torch's own label smoothing is the same definition
    torch.testing.assert_close(expect, F.cross_entropy(logits, target, label_smoothing=0.2))


def test_soft_target_shape_error() -> None:
    logits, target = _data()
    with pytest.raises(ValueError, match='soft targets must have the logits shape'):
        SoftTargetCrossEntropy()(logits, target)


def test_bce_closed_form_smoothing_and_threshold() -> None:
    logits, target = _data()
    off, on = 0.1 / 5, 0.9 + 0.1 / 5
    dense = torch.full((6, 5), off).scatter_(1, target.view(-1, 1), on)
    torch.testing.assert_close(BinaryCrossEntropy(0.1)(logits, target),
                               F.binary_cross_entropy_with_logits(logits, dense))
    soft = torch.softmax(torch.randn(6, 5), -1)
    torch.testing.assert_close(BinaryCrossEntropy(0.0, target_threshold=0.2)(logits, soft),
                               F.binary_cross_entropy_with_logits(logits, (soft > 0.2).float()))
    summed = BinaryCrossEntropy(0.1, sum_classes=True)(logits, target)
    expect = F.binary_cross_entropy_with_logits(logits, dense, reduction='none').sum(-1).mean()
    torch.testing.assert_close(summed, expect)


def test_jsd_identical_splits_reduce_to_cross_entropy() -> None:
    logits, target = _data()
    tripled = torch.cat([logits] * 3)
    loss = JsdCrossEntropy(num_splits=3, alpha=12., smoothing=0.0)(tripled, torch.cat([target] * 3))
    torch.testing.assert_close(loss, F.cross_entropy(logits, target), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize('smoothing', [0.0, 0.1])
def test_against_timm(smoothing: float) -> None:
    timm_loss = pytest.importorskip('timm.loss')
    logits, target = _data(12, 7)
    torch.testing.assert_close(JsdCrossEntropy(3, 12., smoothing)(logits, target),
                               timm_loss.JsdCrossEntropy(3, 12., smoothing)(logits, target))
    torch.testing.assert_close(BinaryCrossEntropy(smoothing)(logits, target),
                               timm_loss.BinaryCrossEntropy(smoothing)(logits, target))
    if smoothing:
        torch.testing.assert_close(LabelSmoothingCrossEntropy(smoothing)(logits, target),
                                   timm_loss.LabelSmoothingCrossEntropy(smoothing)(logits, target))
    soft = torch.softmax(torch.randn(12, 7), -1)
    torch.testing.assert_close(SoftTargetCrossEntropy()(logits, soft), timm_loss.SoftTargetCrossEntropy()(logits, soft))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match='smoothing'):
        LabelSmoothingCrossEntropy(1.5)
    with pytest.raises(ValueError, match='--aug-splits'):
        JsdCrossEntropy(num_splits=1)
    with pytest.raises(ValueError, match='not divisible'):
        JsdCrossEntropy(num_splits=3)(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long))


# ---------------------------------------------------------------------------------------------------------------
# Values and gradients equal to timm's for every loss timm.loss exports

_N, _C = 12, 7


def _targets(kind: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    if kind == 'index':
        return torch.randint(0, _C, (_N,), generator=g)
    if kind == 'soft':
        return torch.softmax(3 * torch.randn(_N, _C, generator=g), -1)
    multi = (torch.rand(_N, _C, generator=g) < 0.3).float()
    multi[:2] = 0.  # samples without positives exercise the masked / clamped branches
    multi[:, 0] = 0.  # and a class without positives
    return multi


def _value_and_grad(loss_fn: torch.nn.Module, logits: torch.Tensor, target: torch.Tensor):
    x = logits.clone().requires_grad_(True)
    value = loss_fn(x, target)
    (grad,) = torch.autograd.grad(value.sum(), x)
    return value.detach(), grad


_CLASS_WEIGHT = torch.linspace(0.5, 2., _C)
_COUNTS = [0, 3, 10, 40, 2, 99, 50]
_LOSS_CASES = [
    ('AsymmetricLossMultiLabel', {}, 'multi'),
    ('AsymmetricLossMultiLabel', dict(gamma_neg=2, gamma_pos=0, clip=None, smoothing=0.1, reduction='mean',
                                      pos_weight=2.), 'multi'),
    ('AsymmetricLossMultiLabel', dict(disable_torch_grad_focal_loss=True, reduction='none', weight=_CLASS_WEIGHT,
                                      pos_weight=_CLASS_WEIGHT), 'soft'),
    ('AsymmetricLossMultiLabel', dict(reduction='sum', gamma_neg=0, gamma_pos=0), 'multi'),
    ('AsymmetricLossSingleLabel', {}, 'index'),
    ('AsymmetricLossSingleLabel', dict(gamma_pos=0, gamma_neg=2, eps=0., reduction='none'), 'index'),
    ('BinaryCrossEntropy', dict(smoothing=0.1), 'index'),
    ('BinaryCrossEntropy', dict(smoothing=0.2, smooth_dense=True, pos_weight=1.5, weight=_CLASS_WEIGHT), 'multi'),
    ('BinaryCrossEntropy', dict(smoothing=0., target_threshold=0.2, sum_classes=True), 'soft'),
    ('BinaryCrossEntropy', dict(smoothing=0.1, reduction='sum'), 'soft'),
    ('PolyCrossEntropy', {}, 'index'),
    ('PolyCrossEntropy', dict(epsilon=-1., smoothing=0.1, reduction='sum'), 'index'),
    ('PolyCrossEntropy', dict(reduction='none'), 'soft'),
    ('PolyBinaryCrossEntropy', {}, 'multi'),
    ('PolyBinaryCrossEntropy', dict(gamma=2., alpha=0.25, smoothing=0.1, reduction='batchmean'), 'multi'),
    ('PolyBinaryCrossEntropy', dict(epsilon=1., reduction='none'), 'soft'),
    ('TwoWayLoss', {}, 'multi'),
    ('TwoWayLoss', dict(tp=2., tn=0.5), 'multi'),
    ('ZlprLoss', {}, 'multi'),
    ('DistributionBalancedLoss', dict(class_counts=_COUNTS, num_samples=100), 'multi'),
    ('DistributionBalancedLoss', dict(class_counts=_COUNTS, num_samples=100, focal_gamma=0., neg_scale=1.,
                                      init_bias=0., smoothing=0.1, reduction='none'), 'multi'),
    ('DistributionBalancedLoss', dict(class_counts=_COUNTS, num_samples=100, map_alpha=0.2, map_beta=5.,
                                      reduction='batchmean'), 'soft'),
    ('JsdCrossEntropy', dict(num_splits=3, smoothing=0.1), 'index'),
    ('JsdCrossEntropy', dict(num_splits=2, alpha=5., smoothing=0.), 'index'),
    ('LabelSmoothingCrossEntropy', dict(smoothing=0.2), 'index'),
    ('SoftTargetCrossEntropy', {}, 'soft'),
]


@pytest.mark.parametrize('name,kwargs,kind', _LOSS_CASES, ids=[f'{n}-{i}' for i, (n, _, _) in enumerate(_LOSS_CASES)])
def test_value_and_gradient_parity_with_timm(name: str, kwargs: dict, kind: str) -> None:
    timm_loss = pytest.importorskip('timm.loss')
    import zoo.loss
    logits = 2 * torch.randn(_N, _C, generator=torch.Generator().manual_seed(0))
    target = _targets(kind)
    ours = getattr(zoo.loss, name)(**kwargs)
    ref = getattr(timm_loss, name)(**kwargs)
    value, grad = _value_and_grad(ours, logits, target)
    ref_value, ref_grad = _value_and_grad(ref, logits, target)
    torch.testing.assert_close(value, ref_value)
    torch.testing.assert_close(grad, ref_grad)
    assert grad.abs().sum() > 0


_FACTORY_CASES = [
    (dict(), 'index'), (dict(smoothing=0.1), 'index'), (dict(soft_targets=True, smoothing=0.1), 'soft'),
    (dict(loss_type='bce', smoothing=0.1, pos_weight=[1.] * _C, class_weight=2.), 'index'),
    (dict(multi_label=True, smoothing=0.1, bce_sum=True), 'multi'),
    (dict(loss_type='bce', soft_targets=True, bce_target_thresh=0.2), 'soft'),
    (dict(loss_type='asl', multi_label=True, asl_clip=0.1, asl_reduction='mean', pos_weight=2.), 'multi'),
    (dict(loss_type='asl', smoothing=0.1, asl_gamma_pos=0.), 'index'),
    (dict(loss_type='poly', poly_epsilon=1., smoothing=0.1), 'index'),
    (dict(loss_type='poly', multi_label=True, poly_gamma=2., poly_alpha=0.25), 'multi'),
    (dict(loss_type='jsd', jsd_splits=3, smoothing=0.1), 'index'),
    (dict(loss_type='twoway', multi_label=True, twoway_tp=3.), 'multi'),
    (dict(loss_type='zlpr', multi_label=True), 'multi'),
    (dict(loss_type='db', multi_label=True, class_counts=_COUNTS, num_samples=100, db_focal_gamma=1.), 'multi'),
]


@pytest.mark.parametrize('kwargs,kind', _FACTORY_CASES, ids=[str(i) for i in range(len(_FACTORY_CASES))])
def test_loss_factory_matches_timm(kwargs: dict, kind: str) -> None:
    timm_loss = pytest.importorskip('timm.loss')
    from zoo.loss import create_classification_loss
    ours, ref = create_classification_loss(**kwargs), timm_loss.create_classification_loss(**kwargs)
    assert type(ours).__name__ == type(ref).__name__
    logits = torch.randn(_N, _C, generator=torch.Generator().manual_seed(2))
    for a, b in zip(_value_and_grad(ours, logits, _targets(kind)), _value_and_grad(ref, logits, _targets(kind))):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('kwargs', [
    dict(loss_type='hinge'), dict(loss_type='jsd', multi_label=True), dict(loss_type='zlpr'),
    dict(loss_type='ce', pos_weight=2.), dict(loss_type='asl', bce_sum=True), dict(loss_type='bce', num_samples=5),
    dict(loss_type='asl', soft_targets=True), dict(loss_type='asl', asl_reduction='sum'),
    dict(loss_type='poly', poly_gamma=1.), dict(loss_type='jsd'), dict(loss_type='twoway', multi_label=True,
                                                                       smoothing=0.1),
    dict(loss_type='db', multi_label=True),
])
def test_loss_factory_rejects_what_timm_rejects(kwargs: dict) -> None:
    timm_loss = pytest.importorskip('timm.loss')
    from zoo.loss import create_classification_loss
    with pytest.raises(ValueError):
        timm_loss.create_classification_loss(**kwargs)
    with pytest.raises(ValueError):
        create_classification_loss(**kwargs)


@pytest.mark.parametrize('kwargs,named', [
    (dict(loss_type='ce', poly_gamma=1.), 'poly_gamma'),
    (dict(loss_type='asl', class_weight=[1., 2.]), 'class_weight'),
    (dict(loss_type='poly', multi_label=True, bce_sum=True, num_samples=3), 'bce_sum, num_samples'),
])
def test_loss_factory_names_a_misplaced_option(kwargs: dict, named: str) -> None:
    """An option the chosen loss does not read is refused by name (timm ignores some of these silently)."""
    from zoo.loss import create_classification_loss
    with pytest.raises(ValueError, match=named):
        create_classification_loss(**kwargs)
    # the same option with its default value is not 'given'
    create_classification_loss(kwargs['loss_type'], multi_label=kwargs.get('multi_label', False), poly_gamma=0.,
                               bce_sum=False, class_weight=None)


def test_class_weights_match_timm(tmp_path) -> None:
    timm_loss = pytest.importorskip('timm.loss')
    import json
    import zoo.loss as zl
    counts = [0, 5, 50, 500, 999]
    for method in zl.CLASS_WEIGHT_METHODS:
        for kwargs in (dict(), dict(power=0.5, max_weight=3.), dict(beta=0.99)):
            kind, w = zl.compute_class_weights(counts, 1000, method, **kwargs)
            ref_kind, ref_w = timm_loss.compute_class_weights(counts, 1000, method, **kwargs)
            assert kind == ref_kind
            torch.testing.assert_close(w, ref_w)
    stats = tmp_path / 'stats.json'
    stats.write_text(json.dumps({'pos_counts': counts, 'num_samples': 1000}))
    weights = tmp_path / 'w.json'
    weights.write_text(json.dumps({'pos_weight': [1., 2., 3.]}))
    text = tmp_path / 'w.txt'
    text.write_text('1, 2\n3')
    for value, kind in [('neg_pos', 'pos_weight'), ('inv_freq', 'class_weight'), ('0.5', 'class_weight'),
                        ('1,2 3', 'pos_weight'), (str(weights), 'pos_weight'), (str(text), 'class_weight'),
                        ([1., 4.], 'class_weight'), (None, 'class_weight')]:
        got = zl.resolve_class_weights(value, kind, zl.load_class_stats(str(stats)))
        expect = timm_loss.resolve_class_weights(value, kind, timm_loss.load_class_stats(str(stats)))
        if isinstance(expect, torch.Tensor):
            torch.testing.assert_close(got, expect)
        else:
            assert got == expect
    with pytest.raises(ValueError, match="has no 'class_weight' entry"):
        zl.load_class_weights(str(weights))
    with pytest.raises(ValueError, match='computes pos_weight values'):
        zl.resolve_class_weights('neg_pos', 'class_weight', zl.load_class_stats(str(stats)))
