#!/usr/bin/env python3
"""zoo's train.py against timm's own train.py: same image folder, same flags, images per second over an epoch.

timm's script comes from a source checkout you pass (`--timm-src`); nothing of it is copied here. Each round runs
both scripts, alternating, as subprocesses with the same arguments, and timestamps their output lines as they
arrive. Both print one progress line per `--log-interval` updates and one at the last update of an epoch, in the
form `Train: <epoch> [<update>/<updates per epoch> ...`. From those:

* `startup_s`: launch to the first progress line of epoch 0 (imports, model, data index, worker start, one step);
* `train_img_s`: images per second over updates 1..last of the measured epoch (the loader runs alongside, so data
  loading is included; the first update, which waits for the workers to start, is not);
* `epoch_s`: the whole cycle, from the first progress line of the measured epoch to that of the next one: training,
  evaluation, checkpointing and the loader restart.

`--peak-memory` adds, per library and in a fresh process each, the peak resident memory of a resnet50 SGD train step
at batch 32 above what the process held before the step. The images are the shared ImageNet samples (one per
class), arranged as class folders by symlinks in a temporary directory: every `--train-every`-th for training, every
tenth for validation. Run (timm's dependencies come from the test extra):

    python benchmarks/train_vs_timm.py --timm-src /path/to/pytorch-image-models --train-every 3 --peak-memory \
        --results-file results/train-vs-timm-cpu.csv
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / 'shared' / 'data' / 'imagenet-samples'
sys.path.insert(0, str(REPO))

from zoo.benchmark import write_results  # noqa: E402

PROGRESS = re.compile(r'Train: (\d+) \[\s*(\d+)/(\d+)')

# one flag set both scripts accept with the same meaning; mmax9 because timm's PosterizeIncreasing asks Pillow for 0
# bits at magnitude 10, which current Pillow refuses (ValueError in a loader worker)
COMMON = [
    '--model', 'resnet18', '--img-size', '160', '-b', '32', '-j', '2', '--epochs', '3', '--sched', 'cosine',
    '--lr', '0.05', '--warmup-epochs', '0', '--aa', 'rand-m9-mstd0.5-inc1-mmax9', '--reprob', '0.25', '--device', 'cpu',
    '--log-interval', '10', '--checkpoint-hist', '1', '--num-classes', '1000', '--seed', '0',
]
FLAG_SETS = {
    'identical flags': [],
    'identical flags, channels_last': ['--channels-last'],
}


def build_folder(root: Path, samples: Path, train_every: int) -> Path:
    """Class folders of symlinks: every `train_every`-th sample under train/, every tenth under validation/."""
    files = sorted(samples.glob('*.JPEG'))
    if not files:
        raise SystemExit(f'No *.JPEG samples under {samples}; pass --samples.')
    for split, chosen in (('train', files[::train_every]), ('validation', files[::10])):
        for f in chosen:
            folder = root / split / f.name.split('_')[0]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f.name).symlink_to(f)
    return root


def epoch_timings(lines: Sequence[Tuple[float, str]], batch: int, measure_epoch: int,
                  start: float = 0.) -> Dict[str, float]:
    """The timings of the module docstring from (arrival time, line) pairs of one run started at `start`."""
    marks: Dict[Tuple[int, int], float] = {}
    total_updates = 0
    for t, line in lines:
        m = PROGRESS.search(line)
        if m:
            epoch, update, total_updates = (int(g) for g in m.groups())
            marks.setdefault((epoch, update), t)
    needed = [(0, 0), (measure_epoch, 0), (measure_epoch + 1, 0)]
    if any(k not in marks for k in needed):
        raise ValueError(f'progress lines of epochs 0, {measure_epoch} and {measure_epoch + 1} are needed; found '
                         f'{sorted(marks)}. Run more epochs, or lower --log-interval.')
    first = marks[(measure_epoch, 0)]
    last_update = max(u for e, u in marks if e == measure_epoch)
    if last_update == 0:
        raise ValueError(f'epoch {measure_epoch} logged only its first update; it needs more than one.')
    return {
        'startup_s': marks[(0, 0)] - start,
        'train_img_s': last_update * batch / (marks[(measure_epoch, last_update)] - first),
        'epoch_s': marks[(measure_epoch + 1, 0)] - first,
        'updates': total_updates,
    }


def run_script(cmd: Sequence[str], env: Dict[str, str], cwd: Path, measure_epoch: int) -> Dict[str, float]:
    """Run one training script, timestamping its output lines; its `epoch_timings`."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1)
    assert proc.stdout is not None
    lines = [(time.perf_counter(), line) for line in proc.stdout]
    if proc.wait() != 0:
        raise RuntimeError(f'{cmd[1]} failed ({proc.returncode}); last output:\n' + ''.join(l for _, l in lines[-30:]))
    return epoch_timings(lines, int(cmd[cmd.index('-b') + 1]), measure_epoch, start)


PEAK_CODE = '''
import resource, sys, torch
lib = __import__(sys.argv[1])
model = lib.create_model('resnet50').train()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x, y = torch.randn(32, 3, 224, 224), torch.randint(0, 1000, (32,))
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize()
before = rss()
for _ in range(2):
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before)
'''


def peak_train_memory(lib: str, env: Dict[str, str]) -> int:
    """Peak RSS (bytes) of two resnet50 SGD steps at batch 32 above the process's RSS before them."""
    out = subprocess.run([sys.executable, '-c', PEAK_CODE, lib], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--timm-src', required=True, help='a pytorch-image-models source checkout (its train.py)')
    parser.add_argument('--samples', default=str(SAMPLES), help='folder of <synset>_<name>.JPEG images')
    parser.add_argument('--train-every', type=int, default=1, help='train on every n-th sample (1: all)')
    parser.add_argument('--rounds', type=int, default=2, help='alternating runs of each script per flag set')
    parser.add_argument('--measure-epoch', type=int, default=1, help='epoch whose throughput is reported')
    parser.add_argument('--sets', nargs='+', choices=list(FLAG_SETS), default=list(FLAG_SETS))
    parser.add_argument('--peak-memory', action='store_true', help='also the resnet50 train-step peak memory')
    parser.add_argument('--results-file', default=str(REPO / 'results' / 'train-vs-timm-cpu.csv'))
    args = parser.parse_args(argv)
    timm_src = Path(args.timm_src).resolve()
    if not (timm_src / 'train.py').is_file() or not (timm_src / 'timm').is_dir():
        raise SystemExit(f'{timm_src} is not a pytorch-image-models checkout (no train.py and timm/ there).')
    envs = {
        'zoo': dict(os.environ, PYTHONUNBUFFERED='1', PYTHONPATH=str(REPO)),
        'timm': dict(os.environ, PYTHONUNBUFFERED='1', PYTHONPATH=str(timm_src)),
    }
    scripts = {'zoo': REPO / 'train.py', 'timm': timm_src / 'train.py'}
    rows: List[Dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = build_folder(Path(tmp) / 'data', Path(args.samples), args.train_every)
        for set_name in args.sets:
            runs: Dict[str, List[Dict[str, float]]] = {'zoo': [], 'timm': []}
            for r in range(args.rounds):
                for lib in ('zoo', 'timm'):
                    out = Path(tmp) / f'out-{lib}-{r}'
                    cmd = [sys.executable, str(scripts[lib]), str(data), *COMMON, *FLAG_SETS[set_name],
                           '--output', str(out)]
                    res = run_script(cmd, envs[lib], Path(tmp), args.measure_epoch)
                    print(set_name, lib, {k: round(v, 2) for k, v in res.items()}, flush=True)
                    runs[lib].append(res)
            med = {lib: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for lib, rs in runs.items()}
            rows.append(dict(
                what='train.py epoch', settings=f'{set_name}: ' + ' '.join(COMMON + FLAG_SETS[set_name]),
                zoo_img_s=round(med['zoo']['train_img_s'], 2), timm_img_s=round(med['timm']['train_img_s'], 2),
                ratio=round(med['zoo']['train_img_s'] / med['timm']['train_img_s'], 3),
                ratio_per_round=' '.join(f"{z['train_img_s'] / t['train_img_s']:.3f}"
                                         for z, t in zip(runs['zoo'], runs['timm'])),
                zoo_epoch_s=round(med['zoo']['epoch_s'], 1), timm_epoch_s=round(med['timm']['epoch_s'], 1),
                zoo_startup_s=round(med['zoo']['startup_s'], 1), timm_startup_s=round(med['timm']['startup_s'], 1),
                updates_per_epoch=int(med['zoo']['updates']), rounds=args.rounds))
            print(rows[-1], flush=True)
    if args.peak_memory:
        peaks = {lib: [] for lib in ('zoo', 'timm')}
        for _ in range(args.rounds):
            for lib in peaks:
                peaks[lib].append(peak_train_memory(lib, envs[lib]))
        z, t = (statistics.median(peaks[lib]) for lib in ('zoo', 'timm'))
        rows.append(dict(what='resnet50 train step peak memory', settings='batch 32, 224 px, fp32, SGD momentum',
                         zoo_peak_mib=round(z / 2 ** 20), timm_peak_mib=round(t / 2 ** 20),
                         ratio=round(t / z, 3), rounds=args.rounds))
        print(rows[-1], flush=True)
    write_results(rows, args.results_file)
    print(f'wrote {args.results_file}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
