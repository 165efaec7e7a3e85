"""zoo.models.optimize_for_inference and the --fast flag of validate.py / inference.py / benchmark.py.

Each composed step is checked against the plain eval model: re-parameterisation and BN folding change the modules but
not the outputs, bfloat16 stays close and is only chosen by 'auto' where the CPU has it natively, and torch.compile
(slow: a cold inductor compile takes tens of seconds here) gives the same outputs and reports its cost.
"""
import copy
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

import zoo
import zoo.models._inference as inference_mod
from zoo.benchmark import BenchmarkConfig
from zoo.models import InferenceModel, optimize_for_inference

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import validate  # noqa: E402


def _pair(name: str, seed: int = 0):
    torch.manual_seed(seed)
    model = zoo.create_model(name, num_classes=10).eval()
    for m in model.modules():  # non-trivial BN statistics, so folding has something to get wrong
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return model, copy.deepcopy(model)


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


@pytest.mark.parametrize('name,applied,skipped', [
    ('resnet10t', ['fold_bn', 'channels_last'], ['reparameterize']),
    ('repvgg_a0', ['reparameterize', 'channels_last'], ['fold_bn']),  # every BN sits in a branch reparam folds
])
def test_float32_fast_path_keeps_outputs(name: str, applied, skipped) -> None:
    model, ref = _pair(name)
    x = torch.randn(2, 3, 64, 64)
    fast = optimize_for_inference(model, dtype='float32', compile=False)
    assert isinstance(fast, InferenceModel)
    assert fast.steps == applied and [s for s, _ in fast.steps_skipped] == skipped
    with torch.no_grad():
        expected = ref(x)
    out = fast(x)
    assert out.dtype == torch.float32 and _rel(out, expected) < 1e-4
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fast.modules())
    assert fast.model.conv1[0].weight.is_contiguous(memory_format=torch.channels_last) if name == 'resnet10t' else True


def test_bfloat16_weights_and_autocast_stay_close() -> None:
    model, ref = _pair('resnet10t')
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        expected = ref(x)
    weights = optimize_for_inference(copy.deepcopy(model), dtype='bfloat16', compile=False)
    assert 'weights_bfloat16' in weights.steps
    assert next(weights.model.parameters()).dtype == torch.bfloat16
    auto = optimize_for_inference(model, dtype='bf16', bf16_mode='autocast', compile=False)
    assert 'autocast_bfloat16' in auto.steps and next(auto.model.parameters()).dtype == torch.float32
    for fast in (weights, auto):
        out = fast(x)
        assert out.dtype == torch.float32 and _rel(out, expected) < 0.05


@pytest.mark.parametrize('native', [True, False])
def test_auto_dtype_follows_native_bf16_support(native: bool, monkeypatch) -> None:
    monkeypatch.setattr(inference_mod, 'cpu_has_native_bf16', lambda: native)
    fast = optimize_for_inference(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()).eval(), compile=False)
    if native:
        assert 'weights_bfloat16' in fast.steps
    else:
        assert 'weights_bfloat16' not in fast.steps
        assert 'no native bfloat16' in dict(fast.steps_skipped)['bfloat16']


def test_bad_arguments_name_the_fix() -> None:
    with pytest.raises(ValueError, match="'weights' or 'autocast'"):
        optimize_for_inference(nn.Linear(2, 2), bf16_mode='mixed', compile=False)
    with pytest.raises(ValueError, match='not a torch dtype'):
        optimize_for_inference(nn.Linear(2, 2), dtype='brainfloat', compile=False)
    with pytest.raises(ValueError, match='--fast'):
        BenchmarkConfig(fast=True, fuse=True)
    with pytest.raises(ValueError, match='--fast'):
        BenchmarkConfig(fast=True, mode='train')


def test_validate_fast_flag_uses_the_fast_path(monkeypatch) -> None:
    """--fast reaches optimize_for_inference and the row says what it applied; --fast with --amp is refused."""
    argv = ['--dataset', 'zoo/digits', '--model', 'resnet10t', '--num-classes', '10', '--img-size', '32',
            '--batch-size', '16', '--workers', '0', '--num-samples', '32']
    # compile is checked in the slow test; here the rest of the fast path runs
    real = inference_mod.optimize_for_inference
    monkeypatch.setattr(inference_mod, 'optimize_for_inference', lambda m, **k: real(m, compile=False, **k))
    monkeypatch.setattr(zoo.models, 'optimize_for_inference', inference_mod.optimize_for_inference)
    fast_row = validate.main([*argv, '--fast'])[0]
    plain_row = validate.main(argv)[0]
    assert fast_row['fast'].split() == ['fold_bn', 'channels_last'] and plain_row['fast'] == ''
    assert fast_row['top1'] == pytest.approx(plain_row['top1'], abs=100 / 32 + 1e-6)  # at most one image flips
    with pytest.raises(ValueError, match='--fast'):
        validate.main([*argv, '--fast', '--amp'])


@pytest.mark.slow
def test_compiled_fast_path_matches_and_reports_compile_time() -> None:
    model, ref = _pair('resnet10t')
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = ref(x)
    fast = optimize_for_inference(model, dtype='float32', example_input=x)
    assert fast.steps[-1] == 'compile' and fast.compile_seconds > 0
    assert _rel(fast(x), expected) < 1e-4
    assert set(fast.state_dict()) == {f'model.{k}' for k in fast.model.state_dict()}  # no compiled-wrapper copy


@pytest.mark.slow
def test_benchmark_fast_rows_report_steps_and_compile_time() -> None:
    from zoo.benchmark import run_benchmarks
    cfg = BenchmarkConfig(fast=True, batch_size=2, img_size=64, warmup=1, iters=2)
    row = run_benchmarks(['resnet10t'], cfg)[0]
    assert 'error' not in row or not row['error']
    assert row['fast'].split()[-1] == 'compile' and row['compile_s'] > 0 and row['samples_per_sec'] > 0
