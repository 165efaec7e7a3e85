"""benchmark.py argument handling and the measurement library (FLOPs against known math)."""
import csv
import json
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

import zoo
from zoo.benchmark import BenchmarkConfig, count_flops, format_table, resolve_model_names, run_benchmarks, write_results

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import benchmark  # noqa: E402  (the script at the repo root)


def test_flops_of_linear_and_conv_match_closed_form():
    assert count_flops(nn.Linear(64, 10), torch.randn(3, 64)) == 2 * 3 * 64 * 10
    conv = nn.Conv2d(8, 16, 3, padding=1)
    # 2 * out_h * out_w * out_c * (in_c * k * k) per sample
    assert count_flops(conv, torch.randn(1, 8, 10, 10)) == 2 * 10 * 10 * 16 * 8 * 9


def test_resnet50_is_about_4_1_gmacs():
    model = zoo.create_model('resnet50').eval()
    gmacs = count_flops(model, torch.randn(1, 3, 224, 224)) / 2e9
    assert 4.0 < gmacs < 4.2  # the published ResNet-50 figure is 4.1 GMACs


def test_parser_defaults_and_amp_mapping():
    args = benchmark.build_parser().parse_args([])
    cfg = benchmark.config_from_args(args)
    assert args.model == ['resnet50'] and cfg.mode == 'inference' and cfg.precision == 'float32'
    args = benchmark.build_parser().parse_args(['-m', 'resnet18', '--amp', '--bench', 'both', '-b', '4',
                                                '--channels-last', '--torchcompile'])
    cfg = benchmark.config_from_args(args)
    assert cfg.precision == 'amp_bfloat16' and cfg.mode == 'both' and cfg.batch_size == 4
    assert cfg.channels_last and cfg.torchcompile == 'inductor'
    with pytest.raises(SystemExit):
        benchmark.build_parser().parse_args(['--precision', 'float64'])
    with pytest.raises(ValueError, match='precision'):
        BenchmarkConfig(precision='int4')


def test_model_resolution_names_wildcards_files(tmp_path):
    listing = tmp_path / 'models.txt'
    listing.write_text('resnet18  # a comment\n\nresnet34\n')
    names = resolve_model_names(['resnet50', 'resnet1*t', str(listing), 'resnet50'])
    assert names == ['resnet50', 'resnet10t', 'resnet14t', 'resnet18', 'resnet34']
    with pytest.raises(zoo.models.UnknownModelError, match='resnet50'):
        resolve_model_names(['resnet5O'])
    with pytest.raises(ValueError, match='No registered model'):
        resolve_model_names(['nothing_like_this*'])


def test_torchcompile_reports_compile_time_apart():
    """The first call of the compiled model (the compile) is timed on its own, not as a step."""
    from torch._dynamo.utils import counters
    torch._dynamo.reset()
    counters.clear()
    cfg = BenchmarkConfig(batch_size=1, img_size=32, warmup=0, iters=2, torchcompile='eager')
    row = run_benchmarks(['resnet10t'], cfg)[0]
    assert counters['frames']['ok'] >= 1  # dynamo traced the model
    assert row['compile_s'] >= 0 and row['step_time_ms'] > 0
    torch._dynamo.reset()


def test_partial_results_are_reported_after_every_model():
    """A long run hands its rows over after each model (benchmark.py rewrites the results file then), failures
    included, so stopping it keeps what was measured."""
    seen = []
    cfg = BenchmarkConfig(batch_size=1, img_size=32, warmup=0, iters=1)
    rows = run_benchmarks(['resnet10t', 'resnet14t'], cfg, on_model_done=lambda r: seen.append([x['model'] for x in r]))
    assert seen == [['resnet10t'], ['resnet10t', 'resnet14t']]
    assert [r['model'] for r in rows] == ['resnet10t', 'resnet14t']


def test_run_and_write_results(tmp_path):
    cfg = BenchmarkConfig(mode='both', batch_size=2, img_size=32, warmup=0, iters=2, channels_last=True)
    rows = run_benchmarks(['resnet10t'], cfg)
    assert [r['mode'] for r in rows] == ['inference', 'train']
    for r in rows:
        assert r['samples_per_sec'] > 0 and r['step_time_ms'] > 0 and r['gflops_per_sec'] > 0
        assert r['param_count'] == pytest.approx(5.435, abs=1e-3)  # millions
        assert 0 < r['pct_of_peak'] and r['peak_gflops_matmul'] > 0
    write_results(rows, str(tmp_path / 'r.csv'))
    write_results(rows, str(tmp_path / 'r.json'))
    with open(tmp_path / 'r.csv') as f:
        assert [r['mode'] for r in csv.DictReader(f)] == ['inference', 'train']
    assert json.loads((tmp_path / 'r.json').read_text())[1]['mode'] == 'train'
    table = format_table(rows)
    assert 'resnet10t' in table and 'samples_per_sec' in table


def test_fused_inference_and_failures_reported(tmp_path):
    cfg = BenchmarkConfig(batch_size=1, img_size=32, warmup=0, iters=1, fuse=True)
    rows = run_benchmarks(['resnet10t'], cfg)
    assert rows[0]['fuse'] is True and rows[0]['samples_per_sec'] > 0
    bad = run_benchmarks(['resnet10t', 'resnet14t'], BenchmarkConfig(
        batch_size=1, img_size=32, warmup=0, iters=1, model_kwargs=dict(output_stride=4)))
    assert [r['model'] for r in bad] == ['resnet10t', 'resnet14t']
    assert all('output_stride' in r['error'] for r in bad)


def test_main_exit_code_and_results_file(tmp_path):
    out = tmp_path / 'res.json'
    code = benchmark.main(['-m', 'resnet10t', '-b', '1', '--img-size', '32', '--iters', '1', '--warmup', '0',
                           '--results-file', str(out)])
    assert code == 0 and json.loads(out.read_text())[0]['model'] == 'resnet10t'


def _train_vs_timm():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'benchmarks'))
    import train_vs_timm
    return train_vs_timm


@pytest.mark.parametrize('fmt', [
    'Train: {e} [{u:>2d}/{n} ({p:3.0f}%)]  Loss: 6.9 (6.9)  Time: 1.0s, 32.0/s  LR: 1e-3  Data: 0.1 (0.1)',  # zoo
    'Train: {e} [{u:>4d}/{n} ({p:>3.0f}%)]  Loss: 6.91 (6.91)  Time: 1.0s,   32.0/s  (1.0s,   32.0/s)',  # timm
])
def test_train_vs_timm_epoch_timings_from_either_progress_format(fmt):
    """Startup, steady-state images/s and the epoch cycle come out of each script's own progress lines."""
    epoch_timings = _train_vs_timm().epoch_timings
    lines, t = [(0.5, 'Model resnet18 created\n')], 2.0
    for epoch in range(3):
        for update in (0, 5, 9):  # logged every 5 updates and at the last of 10
            lines.append((t, fmt.format(e=epoch, u=update, n=10, p=100 * (update + 1) / 10) + '\n'))
            t += 0.5 if update == 0 else 2.0  # update 0 -> 5 takes 0.5 s here, 5 -> 9 and the epoch gap 2 s each
    got = epoch_timings(lines, batch=32, measure_epoch=1, start=0.)
    assert got['startup_s'] == pytest.approx(2.0)
    assert got['train_img_s'] == pytest.approx(9 * 32 / 2.5)  # updates 1..9 between the 0 and 9 lines
    assert got['epoch_s'] == pytest.approx(4.5) and got['updates'] == 10
    with pytest.raises(ValueError, match='epochs 0, 2 and 3'):
        epoch_timings(lines, batch=32, measure_epoch=2)
