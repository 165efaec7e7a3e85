"""Optimizer factory and optimizers: loss reduction, closed-form steps, and update-by-update parity with timm."""
import copy
import importlib
import inspect
import math
import warnings
from typing import Any, Dict, List

import pytest
import torch
from torch import nn

from zoo.optim import (
    OPTIMIZERS, Lookahead, TensorList, ZooOptimizer, create_optimizer_v2, get_optimizer_class, list_optimizers,
    optimizer_kwargs, param_groups_layer_decay,
)

CPU_NAMES = list_optimizers(exclude_filters=['bnb*', 'fused*'])
HARDWARE_NAMES = list_optimizers(['bnb*', 'fused*'])


# learning rates that make a 2-layer MLP regression converge in 60 steps for each family
_LR = {
    'adadelta': 1.0, 'adagrad': 0.05, 'adafactor': None, 'lars': 1.0, 'larc': 0.05, 'nlars': 0.5, 'nlarc': 0.05,
    'lion': 3e-3, 'madgrad': 1e-2, 'madgradw': 1e-2, 'sgd': 0.05, 'nesterov': 0.05, 'momentum': 0.05,
    'sgdp': 0.05, 'sgdw': 0.05, 'rmsprop': 3e-3, 'rmsproptf': 3e-3, 'novograd': 0.01, 'nvnovograd': 0.01,
    'adahessian': 0.05, 'adafactorbv': 0.05, 'muon': 0.02, 'kron': 3e-3,
}
# one name per optimizer implementation (the parity test below covers every name)
_REPRESENTATIVES = [
    'adabelief', 'adadelta', 'adafactor', 'adafactorbv', 'adagrad', 'adahessian', 'adam', 'adamax', 'adamp',
    'adamw', 'adamwlegacy', 'adan', 'adopt', 'kron', 'lamb', 'laprop', 'lars', 'larc', 'lion', 'madgrad', 'mars',
    'momentum', 'muon', 'adamuon', 'nadam', 'nadamlegacy', 'nadamw', 'novograd', 'radam', 'radamlegacy', 'rmsprop',
    'rmsproptf', 'sgd', 'sgdp', 'sgdw',
]


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        # no bias before BN: its gradient is pure rounding noise that adaptive optimizers would amplify chaotically
        self.fc1 = nn.Linear(8, 16, bias=False)
        self.bn = nn.BatchNorm1d(16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def _problem(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 8, generator=g)
    y = (x @ torch.randn(8, 1, generator=g)).tanh() + 0.1 * torch.randn(64, 1, generator=g)
    return x, y


def _train(model: nn.Module, opt: torch.optim.Optimizer, steps: int, seed: int = 0) -> List[float]:
    dtype = next(model.parameters()).dtype
    x, y = (t.to(dtype) for t in _problem(seed))
    losses = []
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward(create_graph=getattr(opt, 'is_second_order', False))
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize('name', _REPRESENTATIVES + ['lookahead_adam', 'lookahead_sgd'])
def test_every_optimizer_reduces_loss(name: str) -> None:
    torch.manual_seed(0)
    model = _Net()
    opt = create_optimizer_v2(model, name, lr=_LR.get(name.replace('lookahead_', ''), 1e-2), weight_decay=1e-4)
    losses = _train(model, opt, 60)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.7 * losses[0], f'{name}: {losses[0]:.4f} -> {losses[-1]:.4f}'


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamz'.*adamw.*rmsproptf"):
        create_optimizer_v2(_Net(), 'adamz')


def test_no_weight_decay_on_bias_norm_and_model_list() -> None:
    model = _Net()
    model.no_weight_decay = lambda: {'fc2.weight'}
    opt = create_optimizer_v2(model, 'sgd', lr=0.1, weight_decay=0.05)
    decay_of = {id(p): g['weight_decay'] for g in opt.param_groups for p in g['params']}
    names = dict(model.named_parameters())
    assert decay_of[id(names['fc1.weight'])] == 0.05
    for n in ('bn.weight', 'bn.bias', 'fc2.bias', 'fc2.weight'):
        assert decay_of[id(names[n])] == 0.0, n
    # filter off: everything decays
    opt = create_optimizer_v2(_Net(), 'sgd', lr=0.1, weight_decay=0.05, filter_bias_and_bn=False)
    assert [g['weight_decay'] for g in opt.param_groups] == [0.05]


def test_eps_and_betas_dropped_where_unsupported() -> None:
    opt = create_optimizer_v2(_Net(), 'sgd', lr=0.1, eps=1e-3, betas=(0.8, 0.9))
    assert 'eps' not in opt.defaults and opt.defaults['nesterov'] and opt.defaults['momentum'] == 0.9
    opt = create_optimizer_v2(_Net(), 'rmsproptf', lr=0.1, eps=1e-3)
    assert opt.defaults['eps'] == 1e-3 and opt.defaults['alpha'] == 0.9


def test_optimizer_kwargs_from_namespace() -> None:
    from argparse import Namespace
    cfg = Namespace(opt='adamw', lr=1e-3, weight_decay=0.05, momentum=0.9, opt_eps=1e-6, opt_betas=[0.9, 0.95],
                    layer_decay=None)
    kw = optimizer_kwargs(cfg)
    assert kw == dict(opt='adamw', lr=1e-3, weight_decay=0.05, momentum=0.9, eps=1e-6, betas=(0.9, 0.95))
    opt = create_optimizer_v2(_Net(), **kw)
    assert isinstance(opt, torch.optim.AdamW) and opt.defaults['betas'] == (0.9, 0.95)


class _Staged(nn.Module):
    """Stem, two blocks and a head with a timm-style group_matcher."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(4, 4)
        self.blocks = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
        self.head = nn.Linear(4, 2)

    def group_matcher(self, coarse: bool = False) -> Dict:
        return dict(stem=r'^stem', blocks=[(r'^blocks\.(\d+)', None)])


def test_layer_decay_scales_follow_group_matcher() -> None:
    model = _Staged()
    groups = param_groups_layer_decay(model, weight_decay=0.1, layer_decay=0.5)
    scale_of = {id(p): g['lr_scale'] for g in groups for p in g['params']}
    wd_of = {id(p): g['weight_decay'] for g in groups for p in g['params']}
    params = dict(model.named_parameters())
    # layers: stem=0, blocks.0=1, blocks.1=2, head=3 -> scale 0.5 ** (3 - id)
    expected = {'stem': 0.125, 'blocks.0': 0.25, 'blocks.1': 0.5, 'head': 1.0}
    for name, p in params.items():
        prefix = name.rsplit('.', 1)[0]
        assert scale_of[id(p)] == expected[prefix], name
        assert wd_of[id(p)] == (0.0 if name.endswith('bias') else 0.1), name


def test_layer_decay_matches_timm() -> None:
    timm_pg = pytest.importorskip('timm.optim._param_groups')
    model = _Staged()
    ours = param_groups_layer_decay(model, weight_decay=0.1, layer_decay=0.7)
    ref = timm_pg.param_groups_layer_decay(model, weight_decay=0.1, layer_decay=0.7)

    def as_map(groups):
        return {id(p): (round(g['lr_scale'], 12), g['weight_decay']) for g in groups for p in g['params']}
    assert as_map(ours) == as_map(ref)


def test_sgd_nesterov_closed_form() -> None:
    w = nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = create_optimizer_v2([w], 'sgd', lr=0.1, momentum=0.9)
    grads = [torch.tensor([0.5, 1.0]), torch.tensor([-1.0, 0.25])]
    expect = w.detach().clone()
    buf = None
    for g in grads:
        w.grad = g.clone()
        opt.step()
        buf = g.clone() if buf is None else 0.9 * buf + g
        expect = expect - 0.1 * (g + 0.9 * buf)
    torch.testing.assert_close(w.detach(), expect)


def test_rmsproptf_first_step_closed_form() -> None:
    w = nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = create_optimizer_v2([w], 'rmsproptf', lr=0.01, momentum=0.9, eps=1e-3)
    g = torch.tensor([0.5, -3.0])
    w.grad = g.clone()
    opt.step()
    square_avg = 1.0 + 0.1 * (g ** 2 - 1.0)  # TF initialises the average to one
    expect = torch.tensor([1.0, -2.0]) - 0.01 * g / torch.sqrt(square_avg + 1e-3)
    torch.testing.assert_close(w.detach(), expect)


def test_lookahead_closed_form() -> None:
    w = nn.Parameter(torch.tensor([1.0, -1.0]))
    opt = create_optimizer_v2([w], 'lookahead_momentum', lr=0.1, momentum=0.)
    opt.param_groups[0]['lookahead_k'] = 2
    for _ in range(2):
        w.grad = torch.tensor([1.0, 2.0])
        opt.step()
    # fast weights after 2 SGD steps: w0 - 0.2 * g; slow = w0 + 0.5 * (fast - w0)
    torch.testing.assert_close(w.detach(), torch.tensor([1.0, -1.0]) - 0.5 * 0.2 * torch.tensor([1.0, 2.0]))


def test_lookahead_state_dict_round_trip() -> None:
    torch.manual_seed(0)
    model = _Net()
    opt = create_optimizer_v2(model, 'lookahead_sgd', lr=0.05)
    assert isinstance(opt, Lookahead)
    _train(model, opt, 7)
    clone = copy.deepcopy(model)
    opt2 = create_optimizer_v2(clone, 'lookahead_sgd', lr=0.05)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))  # state_dict() shares live tensors
    _train(model, opt, 5, seed=1)
    _train(clone, opt2, 5, seed=1)
    for a, b in zip(model.parameters(), clone.parameters()):
        torch.testing.assert_close(a, b)


# ---------------------------------------------------------------------------------------------------------------
# Update-by-update parity with timm for every name


class _ConvNet(nn.Module):
    """A 4-d conv kernel with both channel dims > 16 (factored by Adafactor, flattened by Muon), BN and a linear head.

    No bias before BN: its true gradient is zero and adaptive optimizers would scale pure rounding noise to full-size
    steps, which makes that one parameter depend on the exact order of floating-point ops rather than the algorithm.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 18, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(18)
        self.conv2 = nn.Conv2d(18, 20, 3, padding=1, bias=False)
        self.fc = nn.Linear(20, 17)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn(self.conv1(x)))
        return self.fc(torch.relu(self.conv2(x)).mean((2, 3)))

    def group_matcher(self, coarse: bool = False) -> Dict:
        return dict(stem=r'^conv1|^bn', blocks=[(r'^conv(\d+)', None)])


def _run_steps(model: nn.Module, opt: torch.optim.Optimizer, steps: int = 10, first: int = 0) -> None:
    """Train on batches ``first .. first + steps - 1`` of a fixed stream."""
    data = torch.Generator().manual_seed(1)
    torch.manual_seed(5)  # optimizers that draw from the global generator (kron) see the same numbers
    dtype = next(model.parameters()).dtype
    for i in range(first + steps):
        x = torch.randn(8, 3, 6, 6, generator=data).to(dtype)
        y = torch.randint(0, 17, (8,), generator=data)
        if i < first:
            continue
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward(create_graph=getattr(opt, 'is_second_order', False))
        opt.step()


def _max_rel_diff(model: nn.Module, ref: nn.Module) -> float:
    """Max over parameters of max |a - b| / max |b|."""
    return max(((a - b).abs().max() / b.abs().max().clamp(min=1e-12)).item()
               for a, b in zip(model.parameters(), ref.parameters()))


def _accepts(name: str, arg: str) -> bool:
    cls = get_optimizer_class(name, bind_defaults=False)
    if arg == 'foreach' and issubclass(cls, ZooOptimizer):
        return cls.supports_foreach
    return arg in inspect.signature(cls.__init__).parameters


def _variant(name: str) -> Dict[str, Any]:
    """Layer-wise lr decay groups, plus caution and the multi-tensor path where the optimizer has them."""
    kwargs: Dict[str, Any] = {'layer_decay': 0.7}
    if _accepts(name, 'caution') and not OPTIMIZERS[name].defaults.get('caution', False):
        kwargs['caution'] = True
    if _accepts(name, 'foreach'):
        kwargs['foreach'] = True
    return kwargs


def _marks(name: str) -> list:
    # timm's Kron contracts its preconditioner with torch.einsum; without the optional opt_einsum package the
    # contraction order makes one 10-step run take ~20 s
    return [pytest.mark.slow] if name.startswith('kron') else []


_PARITY_CASES = [pytest.param(n, {}, id=n, marks=_marks(n)) for n in CPU_NAMES]
# the variant case for every name with caution or a multi-tensor path (layer decay alone is a param-group matter,
# covered by the names that have it plus test_param_group_options_match_timm)
_PARITY_CASES += [pytest.param(n, _variant(n), id=f'{n}-variant', marks=_marks(n))
                  for n in CPU_NAMES if set(_variant(n)) != {'layer_decay'}]


def _eager_kron(opt: torch.optim.Optimizer) -> None:
    # timm's Kron wraps its kernels in torch.compile (minutes of compilation on CPU); the eager functions are the same
    module = importlib.import_module(type(opt).__module__)
    for fn in ('_calc_A_and_conjB', '_q_terms', '_precond_grad', '_balance_Q'):
        setattr(opt, fn, getattr(module, fn))


@pytest.mark.parametrize('name,kwargs', _PARITY_CASES)
def test_parity_with_timm(name: str, kwargs: Dict[str, Any]) -> None:
    timm_optim = pytest.importorskip('timm.optim')
    torch.manual_seed(0)
    model = _ConvNet().double()
    ref_model = copy.deepcopy(model)
    args = dict(lr=1e-2, weight_decay=1e-2, **kwargs)
    ours = create_optimizer_v2(model, name, **args)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # timm warns about the optional opt_einsum package
        ref = timm_optim.create_optimizer_v2(ref_model, {'nvnovograd': 'novograd'}.get(name, name), **args)
    if name.startswith('kron'):
        _eager_kron(ref)
    for opt in (ours, ref):
        for group in opt.param_groups:
            # as a schedule would: the lr below the constructor's peak, so corrected weight decay differs from plain
            group['lr'] *= group.get('lr_scale', 0.5)
    _run_steps(model, ours)
    _run_steps(ref_model, ref)
    diff = _max_rel_diff(model, ref_model)
    assert diff <= 1e-5, f'{name} {kwargs}: parameters differ from timm by {diff:.3g} (relative)'
    assert _max_rel_diff(model, _ConvNet().double()) > 1e-3  # the optimizer did move the weights


@pytest.mark.parametrize('name', HARDWARE_NAMES)
def test_hardware_names_explain_what_they_need(name: str) -> None:
    if torch.cuda.is_available():
        pytest.skip('a CUDA device is present: these names then depend on the optional package being installed')
    with pytest.raises(RuntimeError, match=rf"'{name}' runs on .*CUDA kernels .* needs a CUDA GPU"):
        create_optimizer_v2(_ConvNet(), name, lr=1e-3)


def test_list_optimizers_filters_like_timm() -> None:
    timm_optim = pytest.importorskip('timm.optim')
    assert set(list_optimizers()) == set(timm_optim.list_optimizers()) | {'nvnovograd'}
    for args in [dict(filter='*adam*', exclude_filters=['bnb*', 'fused*']), dict(filter=['la*', 'nla*']),
                 dict(filter='c*', exclude_filters=['*c'])]:
        assert list_optimizers(**args) == timm_optim.list_optimizers(**args), args
    described = dict(list_optimizers(with_description=True))
    assert set(described) == set(list_optimizers()) and all(isinstance(d, str) and d for d in described.values())
    assert list_optimizers('lamb', include_lookahead=True) == ['lamb', 'lookahead_lamb']


def test_foreach_flag() -> None:
    # multi-tensor and per-tensor paths of zoo's own optimizers give the same parameters
    for name in ('adamwlegacy', 'cadopt', 'lambcw', 'lion', 'rmsproptf', 'adabelief'):
        models = [_ConvNet().double() for _ in range(2)]
        models[1].load_state_dict(models[0].state_dict())
        opts = [create_optimizer_v2(m, name, lr=1e-2, weight_decay=1e-2, foreach=f) for m, f in zip(models, (0, 1))]
        assert opts[1]._use_foreach(opts[1].param_groups[0], [])
        for m, o in zip(models, opts):
            _run_steps(m, o, 3)
        assert _max_rel_diff(models[1], models[0]) < 1e-12, name
    with pytest.raises(ValueError, match="'madgrad' has no multi-tensor"):
        create_optimizer_v2(_ConvNet(), 'madgrad', foreach=True)
    create_optimizer_v2(_ConvNet(), 'madgrad', foreach=False)  # the per-tensor path is what it runs anyway
    assert create_optimizer_v2(_ConvNet(), 'adam', foreach=True).defaults['foreach'] is True


def test_tensor_list_matches_per_tensor_ops() -> None:
    a = [torch.randn(3, 2), torch.randn(4)]
    b = [torch.rand(3, 2) + 0.5, torch.rand(4) + 0.5]
    lst = TensorList([t.clone() for t in a])
    lst.mul_(0.5).addcdiv_(TensorList(b), TensorList(b).sqrt(), value=2.).clamp_(min=-0.1)
    expect = [(x * 0.5).addcdiv(y, y.sqrt(), value=2.).clamp(min=-0.1) for x, y in zip(a, b)]
    for got, want in zip(lst, expect):
        torch.testing.assert_close(got, want)
    norms = TensorList(a).norm()  # a reduction per tensor, broadcast back in the next op
    for got, x, n in zip(TensorList(a).div(norms), a, norms):
        torch.testing.assert_close(got, x / x.norm())


def _groups_by_param(groups: List[Dict[str, Any]], model: nn.Module) -> Dict[str, tuple]:
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: (round(g.get('lr_scale', 1.), 12), g['weight_decay'], g.get('use_fallback', False))
            for g in groups for p in g['params']}


@pytest.mark.parametrize('kwargs', [
    dict(fallback_list=['fc.*']),
    dict(fallback_list=['conv1.weight'], fallback_no_weight_decay=True),
    dict(layer_decay=0.5, layer_decay_min_scale=0.3, fallback_list=['fc.weight']),
    dict(layer_decay=0.5, layer_decay_no_opt_scale=0.4),
], ids=['fallback', 'fallback_no_wd', 'ld_min_scale', 'ld_no_opt'])
def test_param_group_options_match_timm(kwargs: Dict[str, Any]) -> None:
    timm_optim = pytest.importorskip('timm.optim')
    model = _ConvNet()
    model.no_weight_decay = lambda: {'fc.bias'}
    ref_model = copy.deepcopy(model)
    ref_model.no_weight_decay = model.no_weight_decay
    ours = create_optimizer_v2(model, 'muon', lr=1e-2, weight_decay=0.05, **kwargs)
    ref = timm_optim.create_optimizer_v2(ref_model, 'muon', lr=1e-2, weight_decay=0.05, **kwargs)
    assert _groups_by_param(ours.param_groups, model) == _groups_by_param(ref.param_groups, ref_model)
    assert [p.requires_grad for p in model.parameters()] == [p.requires_grad for p in ref_model.parameters()]
    if 'layer_decay_no_opt_scale' in kwargs:
        assert not model.conv1.weight.requires_grad  # scale 0.25 < 0.4: frozen
    else:
        # fallback groups take AdamW steps inside Muon: same parameters as timm after a few updates
        _run_steps(model, ours, 3)
        _run_steps(ref_model, ref, 3)
        assert _max_rel_diff(model, ref_model) < 1e-5


@pytest.mark.parametrize('name', ['kron', 'adamuon', 'cadafactorbv', 'lapropc', 'adan', 'nadamlegacy'])
def test_state_dict_resume(name: str) -> None:
    """Saving and resuming continues exactly like an uninterrupted run (including Kron's own RNG state)."""
    kwargs = dict(lr=1e-2, weight_decay=1e-2, **({'deterministic': True} if name == 'kron' else {}))
    torch.manual_seed(0)
    model = _ConvNet().double()
    resumed = copy.deepcopy(model)
    _run_steps(model, create_optimizer_v2(model, name, **kwargs), 6)
    first = create_optimizer_v2(resumed, name, **kwargs)
    _run_steps(resumed, first, 3)
    second = create_optimizer_v2(resumed, name, **kwargs)
    second.load_state_dict(copy.deepcopy(first.state_dict()))
    _run_steps(resumed, second, 3, first=3)
    assert _max_rel_diff(resumed, model) < 1e-12


def test_adahessian_needs_create_graph() -> None:
    model = _ConvNet()
    opt = create_optimizer_v2(model, 'adahessian', lr=0.1)
    nn.functional.cross_entropy(model(torch.randn(2, 3, 6, 6)), torch.tensor([0, 1])).backward()
    with pytest.raises(RuntimeError, match='create_graph=True'):
        opt.step()


def test_train_cli_plumbs_optimizer_schedule_and_loss_options() -> None:
    """New names reach train.py's --opt / --sched / --loss-type flags and are listed in --help."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import train
    from zoo.loss import AsymmetricLossSingleLabel, PolyCrossEntropy
    from zoo.optim import Adopt
    from zoo.scheduler import WSDLRScheduler, create_scheduler_v2, scheduler_kwargs
    help_text = train.build_parser()[1].format_help()
    for name in ('cadoptw', 'kronc', 'nadamuon', 'bnbadam8bit', 'wsd', 'rsqrt', 'twoway'):
        assert name in help_text, name
    args = train.parse_args(['/data', '--opt', 'cadoptw', '--lr', '1e-3', '--opt-foreach', '--layer-decay', '0.5',
                             '--layer-decay-min-scale', '0.3', '--sched', 'wsd', '--lr-decay-fn', 'cosine',
                             '--loss-type', 'asl', '--asl-gamma-neg', '2'])
    kwargs = optimizer_kwargs(args)
    assert kwargs['foreach'] is True and kwargs['layer_decay_min_scale'] == 0.3
    opt = create_optimizer_v2(_ConvNet(), **kwargs)
    assert isinstance(opt, Adopt) and opt.defaults['caution'] and opt.defaults['decoupled']
    assert min(g['lr_scale'] for g in opt.param_groups) == 0.3
    sched, _ = create_scheduler_v2(opt, **scheduler_kwargs(args))
    assert isinstance(sched, WSDLRScheduler) and sched.decay_fn == 'cosine'
    loss = train.build_train_loss(args)
    assert isinstance(loss, AsymmetricLossSingleLabel) and loss.gamma_neg == 2.
    args = train.parse_args(['/data', '--loss-type', 'poly', '--mixup', '0.8'])
    assert isinstance(train.build_train_loss(args), PolyCrossEntropy)
