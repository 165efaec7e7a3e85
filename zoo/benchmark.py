"""Throughput, FLOPs and memory measurement behind `benchmark.py` (and the timm comparison script).

Numbers are honest by construction: FLOPs come from torch's own FlopCounterMode (one forward, multiply-add = 2
FLOPs), the roofline reference is a large matmul of the same dtype timed in the same process, step times are
medians over timed iterations after warm-up, and peak memory is the resident-set high-water mark sampled while the
timed loop runs (CPU) or the allocator's peak (CUDA).
"""
import contextlib
import csv
import json
import logging
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

__all__ = [
    'BenchmarkConfig', 'count_flops', 'measure_matmul_peak', 'time_steps', 'PeakMemory', 'benchmark_model',
    'resolve_model_names', 'format_table', 'write_results', 'run_benchmarks',
]

_logger = logging.getLogger(__name__)

PRECISIONS = ('float32', 'bfloat16', 'float16', 'amp_bfloat16', 'amp_float16')
MODES = ('inference', 'train', 'both')


@dataclass
class BenchmarkConfig:
    """What to measure and how.

    precision: 'float32', 'bfloat16' / 'float16' (weights and inputs cast), or 'amp_bfloat16' / 'amp_float16'
    (float32 weights under torch.autocast, what `--amp` means in the train / validate scripts).
    fast: time `zoo.models.optimize_for_inference` (re-parameterisation, BN folding, channels_last, native bfloat16,
    torch.compile); it picks precision and layout itself, and the compile time is reported apart (`compile_s`).
    """
    mode: str = 'inference'
    batch_size: int = 32
    img_size: Optional[int] = None
    precision: str = 'float32'
    channels_last: bool = False
    torchcompile: Optional[str] = None
    fuse: bool = False
    fast: bool = False
    warmup: int = 3
    iters: int = 10
    device: str = 'cpu'
    num_classes: Optional[int] = None
    data_dir: Optional[str] = None
    model_kwargs: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {self.mode!r}.')
        if self.precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {PRECISIONS}, got {self.precision!r}.')
        if self.fast and (self.mode != 'inference' or self.precision != 'float32' or self.torchcompile or self.fuse):
            raise ValueError('--fast is an inference path that picks precision, fusion and compilation itself: use it '
                             'with --bench inference and without --precision/--amp, --torchcompile or --fuse.')
        if self.batch_size < 1 or self.iters < 1 or self.warmup < 0:
            raise ValueError('batch_size and iters must be >= 1 and warmup >= 0.')


def _dtype(precision: str) -> torch.dtype:
    return {'bfloat16': torch.bfloat16, 'float16': torch.float16}.get(precision.replace('amp_', ''), torch.float32)


def count_flops(model: nn.Module, example: torch.Tensor) -> int:
    """FLOPs of one forward pass of `model` on `example` (torch.utils.flop_counter; a multiply-add counts 2)."""
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(example)
    return int(counter.get_total_flops())


def measure_matmul_peak(dtype: torch.dtype = torch.float32, size: int = 2048, iters: int = 5,
                        device: str = 'cpu') -> float:
    """Achieved GFLOP/s of a `size`^3 matrix multiply: the practical compute ceiling for this dtype here.

    On CPU torch reaches GEMM through two libraries (the BLAS behind torch.mm, and oneDNN behind convolutions),
    which can differ by 2x; the faster of the two is the ceiling a model could reach, so both are timed and the
    better one is kept: torch.mm, and the same GEMM posed as a 1x1 convolution over a channels-last map.
    """
    flops = 2 * size ** 3
    a = torch.randn(size, size, device=device).to(dtype)
    b = torch.randn(size, size, device=device).to(dtype)
    best = statistics.median(time_steps(lambda: torch.mm(a, b), warmup=2, iters=iters, device=device))
    conv = nn.Conv2d(size, size, 1, bias=False, device=device).to(dtype).eval()
    x = torch.randn(1, size, size // 64, 64, device=device).to(dtype)
    if device == 'cpu':
        conv = conv.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        best = min(best, statistics.median(time_steps(lambda: conv(x), warmup=2, iters=iters, device=device)))
    return flops / best / 1e9


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_steps(fn: Callable[[], Any], warmup: int, iters: int, device: str = 'cpu') -> List[float]:
    """Seconds per call of `fn` for `iters` timed calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def _rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


class PeakMemory:
    """Peak memory while the block runs, above what was in use when it started (bytes)."""

    def __init__(self, device: str = 'cpu', interval: float = 0.002):
        self.device = device
        self.interval = interval
        self.peak = 0

    def __enter__(self) -> 'PeakMemory':
        if self.device.startswith('cuda'):
            torch.cuda.reset_peak_memory_stats()
            self._base = torch.cuda.memory_allocated()
            return self
        self._base = self._max = _rss_bytes()
        self._stop = threading.Event()

        def sample():
            while not self._stop.is_set():
                self._max = max(self._max, _rss_bytes())
                self._stop.wait(self.interval)
        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.startswith('cuda'):
            self.peak = torch.cuda.max_memory_allocated() - self._base
            return
        self._stop.set()
        self._thread.join()
        self._max = max(self._max, _rss_bytes())
        self.peak = self._max - self._base


def resolve_model_names(models: Sequence[str]) -> List[str]:
    """Names, wildcards ('resnet*') and files (one name per line, # comments) -> registered model names."""
    import zoo
    names: List[str] = []
    for item in models:
        if os.path.isfile(item):
            lines = Path(item).read_text().splitlines()
            names += resolve_model_names([ln.split('#')[0].strip() for ln in lines if ln.split('#')[0].strip()])
        elif any(c in item for c in '*?['):
            matched = zoo.list_models(item)
            if not matched:
                raise ValueError(f'No registered model matches {item!r}.')
            names += matched
        else:
            if not zoo.is_model(item):
                zoo.models.model_entrypoint(item)  # raises with suggestions
            names.append(item)
    seen = set()
    return [n for n in names if not (n in seen or seen.add(n))]


def _real_batch(data_dir: str, model: nn.Module, batch_size: int, img_size: Optional[int]) -> torch.Tensor:
    import zoo.data
    config = zoo.data.resolve_model_data_config(model)
    if img_size:
        config['input_size'] = (config['input_size'][0], img_size, img_size)
    dataset = zoo.data.create_dataset('', root=data_dir, transform=zoo.data.create_transform(**config))
    if len(dataset) == 0:
        raise ValueError(f'No images found under {data_dir}.')
    return torch.stack([dataset[i % len(dataset)][0] for i in range(batch_size)])


def _autocast(cfg: BenchmarkConfig):
    if cfg.precision.startswith('amp_'):
        return torch.autocast(device_type=cfg.device.split(':')[0], dtype=_dtype(cfg.precision))
    return contextlib.nullcontext()


def _prepare(model_name: str, cfg: BenchmarkConfig) -> Tuple[nn.Module, torch.Tensor, Dict[str, Any]]:
    import zoo
    kwargs = dict(cfg.model_kwargs)
    if cfg.num_classes is not None:
        kwargs['num_classes'] = cfg.num_classes
    model = zoo.create_model(model_name, **kwargs)
    in_chs, height, width = model.pretrained_cfg.get('input_size', (3, 224, 224))
    if cfg.img_size:
        height = width = cfg.img_size
    if cfg.data_dir:
        x = _real_batch(cfg.data_dir, model, cfg.batch_size, cfg.img_size)
    else:
        x = torch.randn(cfg.batch_size, in_chs, height, width)
    model = model.to(cfg.device)
    x = x.to(cfg.device)
    if cfg.precision in ('bfloat16', 'float16'):
        model = model.to(_dtype(cfg.precision))
        x = x.to(_dtype(cfg.precision))
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    info = dict(model=model_name, img_size=height, param_count=round(sum(p.numel() for p in model.parameters()) / 1e6, 3))
    return model, x, info


def _summary(times: List[float], batch_size: int) -> Dict[str, float]:
    median = statistics.median(times)
    return dict(
        samples_per_sec=round(batch_size / median, 2),
        step_time_ms=round(median * 1e3, 3),
        step_time_p10_ms=round(sorted(times)[len(times) // 10] * 1e3, 3),
        step_time_p90_ms=round(sorted(times)[min(len(times) - 1, (9 * len(times)) // 10)] * 1e3, 3),
    )


def _bench_inference(model: nn.Module, x: torch.Tensor, cfg: BenchmarkConfig, peak_gflops: float) -> Dict[str, Any]:
    model.eval()
    if cfg.fuse:
        import zoo.models
        model = zoo.models.fuse_bn(model)
    extra: Dict[str, Any] = {}
    with torch.inference_mode(), _autocast(cfg):
        flops = count_flops(model, x[:1]) * x.shape[0]
    if cfg.fast:
        from zoo.models import optimize_for_inference
        run = optimize_for_inference(model, example_input=x)
        extra = dict(fast=' '.join(run.steps), compile_s=round(run.compile_seconds or 0.0, 2))
    elif cfg.torchcompile:
        run = torch.compile(model, backend=cfg.torchcompile)
        with torch.inference_mode(), _autocast(cfg):
            start = time.perf_counter()
            run(x)  # the first call compiles: its time is reported apart, not as a step
            extra = dict(compile_s=round(time.perf_counter() - start, 2))
    else:
        run = model
    with torch.inference_mode(), _autocast(cfg):
        with PeakMemory(cfg.device) as mem:
            times = time_steps(lambda: run(x), cfg.warmup, cfg.iters, cfg.device)
    out = dict(_summary(times, x.shape[0]), **extra)
    gflops = flops / statistics.median(times) / 1e9
    out.update(gmacs=round(flops / x.shape[0] / 2e9, 3), gflops_per_sec=round(gflops, 2),
               pct_of_peak=round(100 * gflops / peak_gflops, 1) if peak_gflops else None,
               peak_mem_mb=round(mem.peak / 2 ** 20, 1))
    return out


def _bench_train(model: nn.Module, x: torch.Tensor, cfg: BenchmarkConfig, peak_gflops: float) -> Dict[str, Any]:
    # counted in eval mode on one sample: training-mode BatchNorm refuses a batch of one, and the FLOPs are the same
    model.eval()
    with _autocast(cfg):
        flops = count_flops(model, x[:1]) * x.shape[0] * 3  # backward costs about twice the forward
    model.train()
    num_classes = getattr(model, 'num_classes', 1000) or 1000
    target = torch.randint(0, num_classes, (x.shape[0],), device=x.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    run = torch.compile(model, backend=cfg.torchcompile) if cfg.torchcompile else model

    def step():
        with _autocast(cfg):
            loss = loss_fn(run(x).float(), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    with PeakMemory(cfg.device) as mem:
        times = time_steps(step, cfg.warmup, cfg.iters, cfg.device)
    out = _summary(times, x.shape[0])
    gflops = flops / statistics.median(times) / 1e9
    out.update(gmacs=round(flops / 3 / x.shape[0] / 2e9, 3), gflops_per_sec=round(gflops, 2),
               pct_of_peak=round(100 * gflops / peak_gflops, 1) if peak_gflops else None,
               peak_mem_mb=round(mem.peak / 2 ** 20, 1))
    return out


def benchmark_model(model_name: str, cfg: BenchmarkConfig, peak_gflops: Optional[float] = None) -> List[Dict[str, Any]]:
    """One row per mode for `model_name`."""
    if peak_gflops is None:
        peak_gflops = measure_matmul_peak(_dtype(cfg.precision), device=cfg.device)
    rows = []
    modes = ('inference', 'train') if cfg.mode == 'both' else (cfg.mode,)
    for mode in modes:
        model, x, info = _prepare(model_name, cfg)
        bench = _bench_inference if mode == 'inference' else _bench_train
        row = dict(info, mode=mode, batch_size=cfg.batch_size, precision=cfg.precision,
                   channels_last=cfg.channels_last, fuse=cfg.fuse, **bench(model, x, cfg, peak_gflops))
        row['peak_gflops_matmul'] = round(peak_gflops, 1)
        rows.append(row)
    return rows


def run_benchmarks(model_names: Sequence[str], cfg: BenchmarkConfig,
                   on_model_done: Optional[Callable[[List[Dict[str, Any]]], None]] = None) -> List[Dict[str, Any]]:
    """Benchmark each model; a model that fails to build or run is reported in an `error` column, not fatal.

    `on_model_done(rows so far)` runs after each model, e.g. to write partial results of a long run.
    """
    peak = measure_matmul_peak(_dtype(cfg.precision), device=cfg.device)
    _logger.info('matmul peak (%s): %.1f GFLOP/s', cfg.precision, peak)
    rows = []
    for name in model_names:
        try:
            rows += benchmark_model(name, cfg, peak_gflops=peak)
        except Exception as e:  # keep going: one bad model must not lose the others' figures
            _logger.exception('benchmark of %s failed', name)
            rows.append(dict(model=name, mode=cfg.mode, error=f'{type(e).__name__}: {e}'))
        _logger.info('%s: %s', name, rows[-1].get('step_time_ms', rows[-1].get('error')))
        if on_model_done is not None:
            on_model_done(rows)
    return rows


_TABLE_COLUMNS = ('model', 'mode', 'img_size', 'batch_size', 'precision', 'samples_per_sec', 'step_time_ms',
                  'param_count', 'gmacs', 'gflops_per_sec', 'pct_of_peak', 'peak_mem_mb')


def format_table(rows: Sequence[Dict[str, Any]], columns: Sequence[str] = _TABLE_COLUMNS) -> str:
    cells = [[str(c) for c in columns]] + [[str(r.get(c, r.get('error', '')) if c != 'model' else r['model'])
                                            for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ['  '.join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))) for row in cells]
    return '\n'.join([lines[0], '-' * len(lines[0])] + lines[1:])


def write_results(rows: Sequence[Dict[str, Any]], path: str) -> None:
    """Write rows as .json or .csv (by extension), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.name}.tmp')
    if path.suffix == '.json':
        tmp.write_text(json.dumps(list(rows), indent=2))
    else:
        columns: List[str] = []
        for r in rows:
            columns += [k for k in r if k not in columns]
        with open(tmp, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    os.replace(tmp, path)
