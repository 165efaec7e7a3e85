"""End-to-end checks of train.py, validate.py, inference.py and distributed_train.sh (subprocesses, tiny settings)."""
import csv
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO.parent / 'shared' / 'examples' / 'timm-train-commands.md'
sys.path.insert(0, str(REPO))

# a narrow ResNet on 8x8 digits: seconds per epoch, enough to exercise every stage of the scripts
TINY = ['--img-size', '8', '--model-kwargs', 'channels=(8,16,32,64)', 'stem_width=8', '--log-interval', '5']
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}


def _run(args: List[str], timeout: int = 300, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=timeout, **kw)
    assert proc.returncode == 0, f'{shlex.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc


def _summary(run_dir: Path) -> List[Dict[str, str]]:
    with open(run_dir / 'summary.csv') as f:
        return list(csv.DictReader(f))


def _example_commands() -> List[List[str]]:
    if not EXAMPLES.is_file():
        pytest.skip(f'{EXAMPLES} is absent')
    text = EXAMPLES.read_text()
    block = text.split('```')[1]
    return [shlex.split(line) for line in block.strip().splitlines() if line.strip()]


def test_timm_example_commands_parse() -> None:
    import inference
    import train
    import validate
    commands = _example_commands()
    assert len(commands) >= 10
    for cmd in commands:
        if cmd[0].endswith('distributed_train.sh'):
            assert int(cmd[1]) >= 1
            args = train.parse_args(cmd[2:])
            assert args.data_dir == cmd[2] and args.model == cmd[cmd.index('--model') + 1]
            if '--jsd' in cmd:
                assert args.jsd_loss and args.aug_splits == 3 and args.split_bn and args.resplit
            if '--drop-connect' in cmd:
                assert args.drop_connect == 0.2 and args.drop_path is None  # mapped at run time, with a warning
            if '--lr-noise' in cmd:
                assert args.lr_noise == [0.42, 0.9]
            if '--opt' in cmd:
                assert args.opt == 'rmsproptf' and args.opt_eps == 1e-3
            assert args.amp == ('--amp' in cmd)
        elif cmd[1] == 'validate.py':
            args = validate.build_parser().parse_args(cmd[2:])
            assert args.pretrained and args.model == 'seresnext26_32x4d'
        else:
            args = inference.build_parser().parse_args(cmd[2:])
            assert args.checkpoint.endswith('model_best.pth.tar')


def test_train_defaults_select_digits_and_config_file(tmp_path: Path) -> None:
    import train
    args = train.parse_args([])
    assert args.dataset == 'zoo/digits' and args.model == 'resnet18_cifar' and args.num_classes == 10
    cfg = tmp_path / 'cfg.yaml'
    cfg.write_text('epochs: 3\nopt: adamw\nlr: 0.002\n')
    args = train.parse_args(['-c', str(cfg), '--lr', '0.005'])
    assert (args.epochs, args.opt, args.lr, args.dataset) == (3, 'adamw', 0.005, 'zoo/digits')
    args = train.parse_args(['/data/imagenet', '--model', 'resnet50'])
    assert args.dataset == '' and args.data_dir == '/data/imagenet' and args.epochs == 300
    bad = tmp_path / 'bad.yaml'
    bad.write_text('epochz: 3\n')
    with pytest.raises(SystemExit):
        train.parse_args(['-c', str(bad)])


def test_lr_scaling_follows_global_batch() -> None:
    import train
    args = train.parse_args(['/data', '--opt', 'sgd', '-b', '128', '--lr-base', '0.1'])
    train.resolve_lr(args, world_size=4)
    assert args.lr == pytest.approx(0.1 * 512 / 256)
    args = train.parse_args(['/data', '--opt', 'adamw', '-b', '64', '--lr-base', '1e-3'])
    train.resolve_lr(args, world_size=1)
    assert args.lr == pytest.approx(1e-3 * (64 / 256) ** 0.5)


@pytest.mark.slow  # about a minute of subprocesses; the README main-job test and test_script_flags cover the default run
def test_digits_train_validate_inference_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / 'runs'
    proc = _run([sys.executable, 'train.py', '--epochs', '2', '--output', str(out), '--experiment', 'e2e', *TINY,
                 '--save-images'])
    run = out / 'e2e'
    # not on a terminal: periodic log lines, no progress bar
    assert re.search(r'Train: 0 \[\s*0/\d+', proc.stdout) and 'LR:' in proc.stdout and 'Data:' in proc.stdout
    assert '%|' not in proc.stderr
    from PIL import Image
    with Image.open(run / 'train-batch.png') as grid:  # 64 images of 8 px in an 8 x 8 grid with 1 px padding
        assert grid.size == (8 * 9 + 1, 8 * 9 + 1)
    try:
        import matplotlib  # noqa: F401
        assert (run / 'summary.png').stat().st_size > 10_000 and 'Training curves:' in proc.stdout
    except ImportError:
        assert 'pip install matplotlib' in proc.stdout
    rows = _summary(run)
    assert [r['epoch'] for r in rows] == ['0', '1']
    assert set(rows[0]) == {'epoch', 'train_loss', 'train_num_unreadable', 'eval_loss', 'eval_top1', 'eval_top5',
                            'eval_num_samples', 'eval_num_unreadable', 'lr'}
    assert rows[0]['train_num_unreadable'] == rows[0]['eval_num_unreadable'] == '0'
    assert {'args.yaml', 'last.pth.tar', 'model_best.pth.tar'} <= set(os.listdir(run))
    state = torch.load(run / 'model_best.pth.tar', weights_only=True)
    best = max(rows, key=lambda r: float(r['eval_top1']))
    assert state['epoch'] == int(best['epoch']) and state['metric'] == pytest.approx(float(best['eval_top1']))

    results = tmp_path / 'val.json'
    _run([sys.executable, 'validate.py', '--checkpoint', str(run / 'model_best.pth.tar'), '--device', 'cpu',
          '--results-file', str(results)])
    (row,) = json.loads(results.read_text())
    assert row['top1'] == round(float(best['eval_top1']), 4)  # same weights, data and batches: exact
    assert row['loss'] == pytest.approx(float(best['eval_loss']), rel=1e-5)
    assert row['img_size'] == 8 and row['num_samples'] == 359 and row['num_unreadable'] == 0
    assert row['param_count'] > 0
    # the exported best weights carry their data config: evaluated at the run's 8 px, not resnet18_cifar's 32 px
    _run([sys.executable, 'validate.py', '--dataset', 'zoo/digits', '--model', 'resnet18_cifar', '--model-kwargs',
          'channels=(8,16,32,64)', 'stem_width=8', '--num-classes', '10', '--checkpoint',
          str(run / 'model_best.safetensors'), '--device', 'cpu', '--results-file', str(results)])
    (exported,) = json.loads(results.read_text())
    assert exported['img_size'] == 8 and exported['top1'] == row['top1']

    _run([sys.executable, 'inference.py', '--checkpoint', str(run / 'model_best.pth.tar'), '--device', 'cpu',
          '--results-dir', str(tmp_path), '--results-format', 'csv', 'json', '--include-index',
          '--no-console-results'])
    preds = json.loads((tmp_path / 'topk_predictions.json').read_text())
    with open(tmp_path / 'topk_predictions.csv') as f:
        table = list(csv.DictReader(f))
    assert len(preds) == len(table) == 359
    assert list(table[0]) == ['filename', 'index', 'label', 'prob']
    assert [json.loads(r['index']) for r in table] == [p['index'] for p in preds]
    for p in preds:
        assert len(p['index']) == 5 and p['prob'] == sorted(p['prob'], reverse=True) and sum(p['prob']) <= 1 + 1e-5
        assert p['label'] == [str(i) for i in p['index']]
    # inference top-1 agrees with validate's accuracy on the same samples
    from zoo.data import create_dataset
    labels = [t for _, t in create_dataset('zoo/digits', None, split='validation').reader]
    hits = sum(p['index'][0] == labels[i] for i, p in enumerate(preds))
    assert 100 * hits / 359 == pytest.approx(row['top1'], abs=1e-3)

    # the evaluation flags on the same checkpoint: 100 evenly spaced samples, bf16 weights, 2-view TTA, a bar
    proc = _run([sys.executable, 'validate.py', '--checkpoint', str(run / 'model_best.pth.tar'), '--device', 'cpu',
                 '--num-samples', '100', '--model-dtype', 'bfloat16', '--tta', '2', '--progress-bar', '--reparam',
                 '--results-file', str(results)])
    (quick,) = json.loads(results.read_text())
    assert quick['num_samples'] == 100 and quick['tta'] == 2 and quick['model_dtype'] == 'bfloat16'
    assert 'Test: 100%' in proc.stderr and f"top1={quick['top1']:.4g}" in proc.stderr
    assert 'Test: [' not in proc.stdout  # the bar replaces the periodic lines
    # inference column flags: renamed, separate columns, no labels or probabilities, printed rows
    proc = _run([sys.executable, 'inference.py', '--checkpoint', str(run / 'model_best.pth.tar'), '--device', 'cpu',
                 '--results-dir', str(tmp_path), '--results-file', 'cols.csv', '--topk', '2', '--num-samples', '7',
                 '--label-type', 'none', '--include-index', '--exclude-output', '--results-separate-col',
                 '--filename-col', 'file', '--index-col', 'cls', '--model-dtype', 'bfloat16'])
    with open(tmp_path / 'cols.csv') as f:
        cols = list(csv.DictReader(f))
    assert len(cols) == 7 and list(cols[0]) == ['file', 'cls_0', 'cls_1']
    assert cols[0]['file'] == preds[0]['filename'] and json.loads(proc.stdout[proc.stdout.index('[\n {'):])[0] == {
        'file': cols[0]['file'], 'cls_0': int(cols[0]['cls_0']), 'cls_1': int(cols[0]['cls_1'])}

    # the run's best weights teach a new student, trained in bfloat16 with the other crop and colour options
    proc = _run([sys.executable, 'train.py', '--epochs', '1', '--output', str(out), '--experiment', 'kd', *TINY,
                 '--kd-checkpoint', str(run / 'model_best.pth.tar'), '--kd-temperature', '2', '--task-loss-weight',
                 '0.5', '--model-dtype', 'bfloat16', '--train-crop-mode', 'rkrr', '--color-jitter', '0.3',
                 '--color-jitter-prob', '0.5', '--grayscale-prob', '0.2', '--gaussian-blur-prob', '0.2', '--no-plot'])
    assert 'Distillation: logit, task weight 0.5, distillation weight 0.5, temperature 2' in proc.stdout
    assert not (out / 'kd' / 'summary.png').exists()
    student = torch.load(out / 'kd' / 'last.pth.tar', weights_only=True)['state_dict']
    assert {v.dtype for k, v in student.items() if v.is_floating_point()} == {torch.bfloat16}
    assert not any(k.startswith('teacher') for k in student)


def test_train_feature_combination_runs(tmp_path: Path) -> None:
    """AugMix splits + JSD + split BN + random erasing + RandAugment + lookahead + AGC + accumulation + bf16 autocast
    + per-update schedule + layer decay + EMA warmup, all in one short run."""
    out = tmp_path / 'runs'
    proc = _run([sys.executable, 'train.py', '--epochs', '1', '--output', str(out), '--experiment', 'mix', *TINY,
                 '--aug-splits', '3', '--jsd', '--split-bn', '--resplit', '--reprob', '0.5', '--aa', 'rand-m9-mstd0.5',
                 '--opt', 'lookahead_adamw', '--lr', '1e-3', '--clip-grad', '0.05', '--clip-mode', 'agc',
                 '--grad-accum-steps', '2', '--amp', '--channels-last', '--sched-on-updates', '--layer-decay', '0.8',
                 '--drop-path', '0.1', '--model-ema', '--model-ema-warmup', '--warmup-epochs', '0'])
    (row,) = _summary(out / 'mix')
    assert 0 < float(row['train_loss']) < 10 and float(row['eval_top5']) > 0
    # stepped per update, the cosine completes its single cycle at the epoch's 11th (last) update
    assert float(row['lr']) == 0.0
    state = torch.load(out / 'mix' / 'last.pth.tar', weights_only=True)
    assert any('aux_bn' in k for k in state['state_dict'])  # split BN kept separate statistics per split
    assert 'Scheduled epochs: 1' in proc.stdout and '11 updates per epoch' in proc.stdout


def _wait_for(pattern: str, folder: Path, proc: subprocess.Popen, timeout: float) -> Path:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = sorted(folder.glob(pattern)) if folder.exists() else []
        if found:
            return found[0]
        if proc.poll() is not None:
            raise AssertionError(f'run ended before writing {pattern}:\n{proc.stdout.read()[-3000:]}')
        time.sleep(0.05)
    raise AssertionError(f'no {pattern} after {timeout}s')


def _descendants(pid: int) -> List[int]:
    """All processes below ``pid`` (torchrun starts its workers in their own process groups)."""
    children: Dict[int, List[int]] = {}
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try:
            fields = stat.read_text().rsplit(')', 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(proc: subprocess.Popen) -> None:
    for pid in [proc.pid] + _descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def _kill_mid_epoch_then_resume(cmd: List[str], run: Path) -> str:
    proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        recovery = _wait_for('recovery-0-*.pth.tar', run, proc, timeout=240)
    finally:
        _kill_tree(proc)
    assert not (run / 'summary.csv').exists()  # killed inside the first epoch
    resumed = _run(cmd + ['--resume', str(run)], timeout=400)
    assert f'Resumed recovery from {run / recovery.name}' in resumed.stdout + resumed.stderr
    return resumed.stdout


def test_killed_run_restarts_from_recovery_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / 'runs'
    cmd = [sys.executable, 'train.py', '--epochs', '1', '--output', str(out), '--experiment', 'rec',
           '--recovery-interval', '2', *TINY]
    _kill_mid_epoch_then_resume(cmd, out / 'rec')
    assert [r['epoch'] for r in _summary(out / 'rec')] == ['0']
    assert not list((out / 'rec').glob('recovery-*'))  # cleared once the epoch completed


def _dist_cmd(out: Path, name: str, *extra: str) -> List[str]:
    return ['bash', 'distributed_train.sh', '2', '--epochs', '2', '--warmup-epochs', '1', '--output', str(out),
            '--experiment', name, '--model-ema', '--model-ema-decay', '0.9', *TINY, *extra]


@pytest.mark.slow  # 45 s; the default run still starts two gloo ranks (tests/test_utils.py: helpers, frozen rank)
def test_distributed_two_process_stop_and_resume(tmp_path: Path) -> None:
    out = tmp_path / 'runs'
    first = _run(_dist_cmd(out, 'dist', '--stop-epoch', '1'), timeout=400)
    log = first.stdout + first.stderr
    assert 'Process 1 of 2' in log and 'gloo' in log
    assert 'Weights identical on all 2 ranks' in log and 'DIFFER' not in log
    assert [r['epoch'] for r in _summary(out / 'dist')] == ['0']
    resumed = _run(_dist_cmd(out, 'dist', '--resume', str(out / 'dist' / 'last.pth.tar')), timeout=400)
    assert 'Resumed checkpoint' in resumed.stdout + resumed.stderr
    rows = _summary(out / 'dist')
    assert [r['epoch'] for r in rows] == ['0', '1']
    # the schedule continues where it stopped: epoch 1 of a 2-epoch cosine with 1 warmup epoch sits at its peak
    from zoo.scheduler import create_scheduler_v2
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched, epochs = create_scheduler_v2(opt, 'cosine', num_epochs=2, warmup_epochs=1, warmup_lr=0.01)
    sched.step(1)
    assert epochs == 2 and float(rows[1]['lr']) == pytest.approx(opt.param_groups[0]['lr'])
    state = torch.load(out / 'dist' / 'last.pth.tar', weights_only=True)
    assert state['epoch'] == 1 and 'state_dict_ema' in state and state['args']['model'] == 'resnet18_cifar'


@pytest.mark.slow
def test_distributed_resume_matches_uninterrupted_run(tmp_path: Path) -> None:
    out = tmp_path / 'runs'
    _run(_dist_cmd(out, 'full'), timeout=600)
    _run(_dist_cmd(out, 'split', '--stop-epoch', '1'), timeout=600)
    _run(_dist_cmd(out, 'split', '--resume', str(out / 'split')), timeout=600)
    full, split = _summary(out / 'full'), _summary(out / 'split')
    assert [r['lr'] for r in full] == [r['lr'] for r in split]
    a = torch.load(out / 'full' / 'last.pth.tar', weights_only=True)
    b = torch.load(out / 'split' / 'last.pth.tar', weights_only=True)
    for k in a['state_dict']:
        torch.testing.assert_close(a['state_dict'][k], b['state_dict'][k], msg=k)
    assert a['optimizer']['param_groups'][0]['lr'] == b['optimizer']['param_groups'][0]['lr']


@pytest.mark.slow
def test_distributed_killed_run_restarts_from_recovery(tmp_path: Path) -> None:
    out = tmp_path / 'runs'
    cmd = _dist_cmd(out, 'drec', '--recovery-interval', '2')
    _kill_mid_epoch_then_resume(cmd, out / 'drec')
    assert [r['epoch'] for r in _summary(out / 'drec')] == ['0', '1']


def test_rerun_into_an_existing_experiment_never_mixes_runs(tmp_path: Path) -> None:
    """The same --experiment again without --resume goes to <experiment>-1 (as timm does): the earlier run's best
    metric, checkpoint-0 and summary rows are neither reported nor overwritten."""
    out = tmp_path / 'runs'
    old = out / 'exp'
    old.mkdir(parents=True)
    torch.save({'epoch': 0, 'metric': 99.0, 'state_dict': {}}, old / 'checkpoint-0.pth.tar')
    (old / 'summary.csv').write_text('epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n0,1,1,99.0,100,0.1\n')
    before = {p.name: p.read_bytes() for p in old.iterdir()}
    proc = _run([sys.executable, 'train.py', '--epochs', '1', '--output', str(out), '--experiment', 'exp', *TINY])
    log = proc.stdout + proc.stderr
    assert f'{old} already holds another run' in log and f'--resume {old}' in log
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before
    new = out / 'exp-1'
    rows = _summary(new)
    assert [r['epoch'] for r in rows] == ['0']
    best = re.search(r'Best metric: ([\d.]+) \(epoch (\d+)\)', log)
    assert best and float(best.group(1)) == pytest.approx(float(rows[0]['eval_top1'])) and best.group(2) == '0'
    assert torch.load(new / 'checkpoint-0.pth.tar', weights_only=True)['metric'] != 99.0


@pytest.mark.slow
def test_resume_dir_falls_back_past_truncated_checkpoints(tmp_path: Path) -> None:
    """train.py --resume DIR whose newest checkpoints are truncated resumes from the newest readable one, names the
    bad files, and logs the re-run epoch once in summary.csv."""
    out = tmp_path / 'runs'
    cmd = [sys.executable, 'train.py', '--epochs', '2', '--output', str(out), '--experiment', 'fb', *TINY]
    _run(cmd)
    run = out / 'fb'
    for name in ('last.pth.tar', 'checkpoint-1.pth.tar'):
        data = (run / name).read_bytes()
        (run / name).write_bytes(data[:len(data) // 3])
    proc = _run(cmd + ['--resume', str(run)])
    log = proc.stdout + proc.stderr
    assert 'last.pth.tar is corrupt or truncated' in log and 'checkpoint-1.pth.tar is corrupt or truncated' in log
    assert f'Resumed checkpoint from {run / "checkpoint-0.pth.tar"} (epoch 1)' in log
    assert [r['epoch'] for r in _summary(run)] == ['0', '1']
    assert torch.load(run / 'last.pth.tar', weights_only=True)['epoch'] == 1


def _worker_pids(launcher: subprocess.Popen) -> Dict[int, int]:
    """rank -> pid of the workers torchrun started."""
    ranks = {}
    for pid in _descendants(launcher.pid):
        try:
            env = Path(f'/proc/{pid}/environ').read_bytes().split(b'\0')
        except OSError:
            continue
        rank = [e[5:] for e in env if e.startswith(b'RANK=')]
        if rank and b'train.py' in Path(f'/proc/{pid}/cmdline').read_bytes():
            ranks[int(rank[0])] = pid
    return ranks


@pytest.mark.slow
def test_distributed_frozen_rank_ends_the_job(tmp_path: Path) -> None:
    """distributed_train.sh with --dist-timeout 5 and rank 1 stopped (SIGSTOP) mid-epoch: rank 0 names rank 1 and
    exits; torchrun then ends the job (SIGKILL to the stopped rank after its 30 s grace) instead of waiting 30 min."""
    cmd = _dist_cmd(tmp_path / 'runs', 'frozen', '--dist-timeout', '5', '--epochs', '50')
    proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for('last.pth.tar', tmp_path / 'runs' / 'frozen', proc, timeout=240)  # both ranks are training
        pids = _worker_pids(proc)
        assert sorted(pids) == [0, 1], pids
        os.kill(pids[1], signal.SIGSTOP)
        stopped = time.monotonic()
        log, _ = proc.communicate(timeout=120)
        elapsed = time.monotonic() - stopped
    finally:
        _kill_tree(proc)
    assert proc.returncode != 0
    assert ('Rank 0 of 2: a collective operation waited longer than 5 s (--dist-timeout). '
            'Rank 1 stopped answering') in log
    assert elapsed < 90


def test_default_train_reaches_95_percent(tmp_path: Path) -> None:
    """The README's main job, unchanged: `python train.py` on the built-in digits (about 10 s on an idle core)."""
    out = tmp_path / 'runs'
    _run([sys.executable, 'train.py', '--output', str(out), '--experiment', 'default'], timeout=1800)
    best = max(float(r['eval_top1']) for r in _summary(out / 'default'))
    assert best >= 95.0


@pytest.mark.slow  # 50 s; the default run trains the main job (test_default_train_reaches_95_percent)
def test_compose_config_trains_digits_to_95_percent(tmp_path: Path) -> None:
    """`train.py --config` with the shipped zoo.compose digits config (its model registers as a zoo model)."""
    out = tmp_path / 'runs'
    _run([sys.executable, 'train.py', '--config', 'digits_resnet', '--output', str(out), '--experiment', 'cfg'],
         timeout=1800)
    rows = _summary(out / 'cfg')
    assert len(rows) == 20  # the config's own schedule
    assert max(float(r['eval_top1']) for r in rows) >= 95.0
    args = (out / 'cfg' / 'args.yaml').read_text()
    assert 'composed_digits_resnet' in args


def test_validate_imagenet_samples_as_folder(imagenet_samples: Path, tmp_path: Path) -> None:
    root = tmp_path / 'val'
    files = sorted(p for p in imagenet_samples.iterdir() if p.suffix == '.JPEG')[:12]
    for f in files:
        wnid = f.name.split('_')[0]
        (root / wnid).mkdir(parents=True)
        (root / wnid / f.name).symlink_to(f)
    class_map = tmp_path / 'classes.txt'
    class_map.write_text('\n'.join(sorted(p.name.split('_')[0] for p in imagenet_samples.iterdir()
                                          if p.suffix == '.JPEG')))
    results = tmp_path / 'res.csv'
    _run([sys.executable, 'validate.py', str(root), '--model', 'resnet18', '--img-size', '64', '--crop-pct', '0.875',
          '--class-map', str(class_map), '--device', 'cpu', '-b', '6', '--results-file', str(results), '--amp'])
    with open(results) as f:
        (row,) = list(csv.DictReader(f))
    assert row['model'] == 'resnet18' and int(row['num_samples']) == 12 and row['img_size'] == '64'
    assert float(row['param_count']) == pytest.approx(11.69, abs=0.01)
    assert 0.0 <= float(row['top1']) <= float(row['top5']) <= 100.0


def test_inference_on_flat_folder_and_single_file(imagenet_samples: Path, tmp_path: Path) -> None:
    flat = tmp_path / 'imgs'
    flat.mkdir()
    files = sorted(p for p in imagenet_samples.iterdir() if p.suffix == '.JPEG')[:4]
    for f in files:
        (flat / f.name).symlink_to(f)
    _run([sys.executable, 'inference.py', str(flat), '--model', 'resnet18', '--img-size', '64', '--device', 'cpu',
          '--topk', '3', '--output-type', 'logit', '--results-dir', str(tmp_path), '--results-file', 'preds.json',
          '--include-index'])
    preds = json.loads((tmp_path / 'preds.json').read_text())
    assert [p['filename'] for p in preds] == [f.name for f in files]
    from zoo.data import ImageNetInfo
    info = ImageNetInfo()
    for p in preds:
        assert len(p['logit']) == 3 and p['logit'] == sorted(p['logit'], reverse=True)
        assert p['label'] == [info.index_to_description(i) for i in p['index']]
    _run([sys.executable, 'inference.py', str(files[0]), '--model', 'resnet18', '--img-size', '64', '--device', 'cpu',
          '--results-dir', str(tmp_path), '--results-file', 'one.csv', '--results-separate-col'])
    with open(tmp_path / 'one.csv') as f:
        (row,) = list(csv.DictReader(f))
    assert row['filename'] == files[0].name and 'prob_4' in row


@pytest.mark.slow
def test_distilled_student_reaches_the_student_alone_top1(tmp_path: Path) -> None:
    """Issue 14 acceptance: a narrow resnet18 student distilled (logits, T=4) from a trained default-digits teacher
    reaches at least the top-1 of the same student trained alone (same seed, data and 4-epoch schedule)."""
    out = tmp_path / 'runs'
    _run([sys.executable, 'train.py', '--output', str(out), '--experiment', 'teacher', '--no-plot'], timeout=1800)
    student = ['--epochs', '4', '--model-kwargs', 'channels=(8,16,32,64)', 'stem_width=8', '--no-plot']
    _run([sys.executable, 'train.py', '--output', str(out), '--experiment', 'alone', *student], timeout=1800)
    proc = _run([sys.executable, 'train.py', '--output', str(out), '--experiment', 'kd', *student,
                 '--kd-checkpoint', str(out / 'teacher' / 'model_best.pth.tar')], timeout=1800)
    assert 'Distillation: logit' in proc.stdout
    best = {name: max(float(r['eval_top1']) for r in _summary(out / name)) for name in ('teacher', 'alone', 'kd')}
    print(best)  # noqa: T201 (the numbers for the report)
    assert best['teacher'] > best['alone']
    assert best['kd'] >= best['alone']
