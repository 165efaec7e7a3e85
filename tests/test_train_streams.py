"""train.py / validate.py on streamed and dict-style data: webdataset shards written by zoo.data.write_shards, and a
Hugging Face dataset with its own column names (--train-num-samples, --val-num-samples, --input-key, --target-key).

In-process runs of a narrow ResNet at 8 px for one epoch: a few seconds each.
"""
import csv
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MODEL = ['--model', 'resnet18_cifar', '--model-kwargs', 'channels=(8,16,32,64)', 'stem_width=8', '--img-size', '8',
         '--num-classes', '3']
# train.main / validate.main reset the root logger onto the (captured) stdout
pytestmark = pytest.mark.usefixtures('script_logging')

TINY = [*MODEL, '--epochs', '1', '--warmup-epochs', '0', '--device', 'cpu', '--no-progress-bar', '--no-plot',
        '--log-interval', '1']


def _folder(root: Path, per_class: int, seed: int) -> None:
    rng = np.random.RandomState(seed)
    for c in range(3):
        (root / f'class{c}').mkdir(parents=True)
        for i in range(per_class):
            arr = rng.randint(0, 256, (12, 12, 3), dtype=np.uint8)
            arr[..., c] = 255  # something to learn: the saturated channel is the class
            Image.fromarray(arr).save(root / f'class{c}' / f'{i}.png')


def _summary(run: Path) -> List[Dict[str, str]]:
    with open(run / 'summary.csv') as f:
        return list(csv.DictReader(f))


def test_train_and_validate_from_shards(tmp_path: Path, capsys):
    import train
    import validate
    from zoo.data.write_shards import write_shards
    _folder(tmp_path / 'img' / 'train', 8, seed=0)
    _folder(tmp_path / 'img' / 'validation', 3, seed=1)
    shards = tmp_path / 'wds'
    write_shards(str(tmp_path / 'img'), str(shards), max_count=5)
    train.main(['--dataset', 'wds/', str(shards), '--train-num-samples', '12', '--val-num-samples', '5', '-b', '4',
                '--workers', '2', '--output', str(tmp_path / 'runs'), '--experiment', 'wds', *TINY])
    # 12 of the 24 training samples per epoch in batches of 4; 5 of the 9 validation samples scored
    assert 'Scheduled epochs: 1 (starting at 0), 3 updates per epoch.' in capsys.readouterr().out
    (row,) = _summary(tmp_path / 'runs' / 'wds')
    assert row['eval_num_samples'] == '5' and row['train_num_unreadable'] == '0'

    ckpt = str(tmp_path / 'runs' / 'wds' / 'model_best.pth.tar')
    rows = validate.main(['--checkpoint', ckpt, '--dataset', f'wds/{shards}/validation-{{000000..000001}}.tar',
                          '--device', 'cpu', '-b', '4', '--workers', '2'])
    assert rows[0]['num_samples'] == 9 and rows[0]['num_unreadable'] == 0
    rows = validate.main(['--checkpoint', ckpt, '--dataset', 'wds/', str(shards), '--split', 'validation',
                          '--num-samples', '5', '--device', 'cpu', '-b', '4', '--workers', '0'])
    assert rows[0]['num_samples'] == 5 and rows[0]['top1'] == pytest.approx(float(row['eval_top1']))


def test_train_and_validate_hf_dataset_with_own_column_names(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv('HF_DATASETS_OFFLINE', '1')
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    datasets = pytest.importorskip('datasets')
    import train
    import validate
    _folder(tmp_path / 'img' / 'train', 6, seed=0)
    _folder(tmp_path / 'img' / 'validation', 3, seed=1)
    features = datasets.Features({'picture': datasets.Image(),
                                  'y': datasets.ClassLabel(names=['class0', 'class1', 'class2'])})
    splits = {}
    for split in ('train', 'validation'):
        files = sorted((tmp_path / 'img' / split).glob('*/*.png'))
        splits[split] = datasets.Dataset.from_dict(
            {'picture': [str(f) for f in files], 'y': [int(f.parent.name[-1]) for f in files]}, features=features)
    datasets.DatasetDict(splits).save_to_disk(str(tmp_path / 'hf'))

    common = ['--dataset', f'hfds/{tmp_path / "hf"}', '--output', str(tmp_path / 'runs'), *TINY]
    with pytest.raises(ValueError, match='--input-key'):
        train.main(common + ['--experiment', 'nokeys'])
    capsys.readouterr()
    train.main(common + ['--input-key', 'picture', '--target-key', 'y', '-b', '4', '--train-num-samples', '8',
                         '--workers', '0', '--experiment', 'hf'])
    # map-style data: --train-num-samples takes 8 of the 18 images, in batches of 4
    assert 'Scheduled epochs: 1 (starting at 0), 2 updates per epoch.' in capsys.readouterr().out
    (row,) = _summary(tmp_path / 'runs' / 'hf')
    assert row['eval_num_samples'] == '9'
    rows = validate.main(['--checkpoint', str(tmp_path / 'runs' / 'hf' / 'model_best.pth.tar'), '--dataset',
                          f'hfids/{tmp_path / "hf"}', '--input-key', 'picture', '--target-key', 'y', '--device', 'cpu',
                          '-b', '4', '--workers', '0'])
    assert rows[0]['num_samples'] == 9 and rows[0]['top1'] == pytest.approx(float(row['eval_top1']))
    # the checkpoint alone: the run's dataset comes back with its column names
    rows = validate.main(['--checkpoint', str(tmp_path / 'runs' / 'hf' / 'model_best.pth.tar'), '--device', 'cpu',
                          '-b', '4', '--workers', '0'])
    assert rows[0]['num_samples'] == 9 and rows[0]['top1'] == pytest.approx(float(row['eval_top1']))


@pytest.mark.slow
def test_distributed_train_from_shards(tmp_path: Path):
    """Two gloo ranks under torchrun on 25 samples: equal step counts per rank (no hang), both epochs, same weights."""
    import os
    import subprocess
    from zoo.data.write_shards import write_shards
    _folder(tmp_path / 'img' / 'train', 8, seed=0)
    (tmp_path / 'img' / 'train' / 'class0' / '0.png').unlink()  # 23 training samples: no even split
    _folder(tmp_path / 'img' / 'validation', 3, seed=1)
    write_shards(str(tmp_path / 'img'), str(tmp_path / 'wds'), max_count=4)
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(REPO)}
    cmd = ['bash', 'distributed_train.sh', '2', '--dataset', 'wds/', str(tmp_path / 'wds'), '-b', '4', '--workers', '2',
           '--output', str(tmp_path / 'runs'), '--experiment', 'ddp', *MODEL, '--epochs', '2', '--warmup-epochs', '0',
           '--device', 'cpu', '--no-progress-bar', '--no-plot']
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    # 23 samples: 11 per rank, 2 full batches of 4 each; 3 samples rotate out per epoch
    assert 'Scheduled epochs: 2 (starting at 0), 2 updates per epoch.' in log
    assert log.count('Weights identical on all 2 ranks') == 2 and 'DIFFER' not in log
    rows = _summary(tmp_path / 'runs' / 'ddp')
    assert [r['epoch'] for r in rows] == ['0', '1'] and all(r['eval_num_samples'] == '9' for r in rows)
