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


def _calibration(n_batches: int, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(4, 3, 64, 64, generator=g) for _ in range(n_batches)]


def test_int8_refusals_name_the_fix(monkeypatch) -> None:
    model, _ = _pair('resnet10t')
    with pytest.raises(ValueError, match='no batch'):
        inference_mod.quantize_int8(model, [])
    monkeypatch.setitem(sys.modules, 'torchao.quantization.pt2e.quantize_pt2e', None)  # as if torchao were missing
    with pytest.raises(ImportError, match=r'pip install zoo\[int8\]'):
        inference_mod.quantize_int8(model, _calibration(1))


@pytest.mark.slow
def test_int8_graph_runs_onednn_int8_kernels_and_stays_close() -> None:
    """Every conv and the classifier become oneDNN int8 kernels, the outputs follow the float model's (as far as
    8-bit steps allow), and other batch sizes than the calibration's go through in padded chunks."""
    pytest.importorskip('torchao')
    model, ref = _pair('resnet10t')
    calib = _calibration(3)
    graph, seen, batch = inference_mod.quantize_int8(model, calib + [torch.randn(3, 3, 64, 64)])
    assert (seen, batch) == (12, 4)  # the odd-sized last batch is left out
    targets = [str(n.target) for n in graph.graph.nodes if n.op == 'call_function']
    num_convs = sum(isinstance(m, nn.Conv2d) for m in ref.modules())
    assert sum(t.startswith('onednn.qconv') for t in targets) == num_convs  # residual adds fuse into some of them
    assert sum(t.startswith('onednn.qlinear') for t in targets) == 1
    assert not any(t.startswith('aten.convolution') for t in targets)
    x = torch.randn(4, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        expected, got = ref(x), graph(x)
    assert _rel(got, expected) < 0.1
    fast = optimize_for_inference(copy.deepcopy(ref), int8_calibration=calib)
    assert fast.steps[-1] == 'int8' and fast.fixed_batch == 4 and 'compile' in dict(fast.steps_skipped)
    out = fast(x)
    assert _rel(out, expected) < 0.1
    # other batch sizes run in chunks of 4, the last padded: row by row the same as the full batches
    x9 = torch.cat([x, x, x[:1]])
    assert torch.allclose(fast(x9), torch.cat([out, out, out[:1]]), atol=1e-5)


@pytest.mark.slow
def test_validate_int8_flag_calibrates_on_its_folder(tmp_path: Path) -> None:
    """--int8 DIR calibrates on images of DIR through the eval transform and the row reports the int8 path; the
    int8 top-1 follows the float one on the digits (random weights: agreement, not accuracy, is what is checked)."""
    pytest.importorskip('torchao')
    from zoo.data import create_dataset
    digits = create_dataset('zoo/digits', split='train')
    for i in range(0, 40, 4):  # ten training digits as a calibration folder, apart from the evaluated split
        img, label = digits[i]
        img.save(tmp_path / f'{label}_{i}.png')
    argv = ['--dataset', 'zoo/digits', '--model', 'resnet10t', '--num-classes', '10', '--img-size', '32',
            '--batch-size', '16', '--workers', '0', '--num-samples', '64', '--model-kwargs', 'drop_rate=0.']
    torch.manual_seed(0)
    plain = validate.main(argv)[0]
    torch.manual_seed(0)
    row = validate.main([*argv, '--int8', str(tmp_path), '--int8-images', '8'])[0]
    assert row['model_dtype'] == 'int8' and row['fast'].split()[-1] == 'int8' and row['num_samples'] == 64
    assert abs(row['top1'] - plain['top1']) <= 100 * 6 / 64  # a few of 64 answers may flip at 8 bits
    with pytest.raises(ValueError, match='--int8'):
        validate.main([*argv, '--int8', str(tmp_path), '--amp'])
