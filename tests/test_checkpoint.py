"""Checkpoint files under failure: kills and full disks during a save, corrupt files, resuming past a bad file, and
run folders that must never mix two runs."""
import csv
import errno
import io
import logging
import os
import re
import subprocess
import sys
import textwrap
from argparse import Namespace
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

import zoo
from zoo.models import CorruptCheckpointError
from zoo.utils import CheckpointSaver, load_state, resume_checkpoint, run_output_dir, trim_summary
from zoo.utils import checkpoint as checkpoint_module

REPO = Path(__file__).resolve().parents[1]


def _saver(folder: Path, seed: int = 0) -> CheckpointSaver:
    torch.manual_seed(seed)
    model = nn.Linear(64, 64)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return CheckpointSaver(model, opt, args=Namespace(model='tiny'), checkpoint_dir=str(folder), max_history=3)


def _subprocess(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(REPO)}
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def test_kill_during_save_leaves_a_temp_file_that_the_next_start_removes(tmp_path: Path) -> None:
    saver = _saver(tmp_path)
    saver.save_checkpoint(0, 50.)
    before = (tmp_path / 'last.pth.tar').read_bytes()
    # a process killed (SIGKILL) while saving its next checkpoint: its temp file is written, not yet renamed
    proc = _subprocess(f'''
        import os, signal, torch
        from argparse import Namespace
        from zoo.utils import CheckpointSaver
        os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        model = torch.nn.Linear(64, 64)
        saver = CheckpointSaver(model, torch.optim.SGD(model.parameters(), lr=0.1), args=Namespace(model='tiny'),
                                checkpoint_dir={str(tmp_path)!r})
        saver.save_checkpoint(1, 60.)
    ''')
    assert proc.returncode == -9, proc.stderr[-2000:]
    leftovers = list(tmp_path.glob('*.tmp-*'))
    assert len(leftovers) == 1 and re.fullmatch(r'last\.pth\.tar\.tmp-\d+', leftovers[0].name)
    assert leftovers[0].stat().st_size > 1000
    assert (tmp_path / 'last.pth.tar').read_bytes() == before  # the rename never happened
    _saver(tmp_path)  # the next run (e.g. --resume) starts: the leftover goes
    assert not list(tmp_path.glob('*.tmp-*'))
    assert load_state(str(tmp_path / 'last.pth.tar'))['epoch'] == 0


class _FullDisk(io.FileIO):
    """A file on a device that fills up after ``room`` bytes."""
    room = 4096

    def write(self, b) -> int:
        if self.tell() + len(b) > self.room:
            raise OSError(errno.ENOSPC, 'No space left on device')
        return super().write(b)


def test_full_disk_names_the_path_and_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch) -> None:
    saver = _saver(tmp_path)
    saver.save_checkpoint(0, 50.)
    monkeypatch.setattr(checkpoint_module, '_open_for_write', lambda p: _FullDisk(p, 'wb'))
    with pytest.raises(OSError) as e:
        saver.save_checkpoint(1, 60.)
    msg = str(e.value)
    assert e.value.errno == errno.ENOSPC and 'unexpected pos' not in msg
    assert str(tmp_path / 'last.pth.tar') in msg and 'no space left' in msg and 'unchanged' in msg
    assert not list(tmp_path.glob('*.tmp-*'))
    assert load_state(str(tmp_path / 'last.pth.tar'))['epoch'] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ['checkpoint-0.pth.tar', 'last.pth.tar', 'model_best.pth.tar']


def test_real_write_error_from_the_kernel_is_named(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse the write (EFBIG) inside torch.save, as a full disk does (ENOSPC)."""
    proc = _subprocess(f'''
        import resource, signal, torch
        from zoo.utils import atomic_save
        atomic_save({{'w': torch.zeros(10)}}, {str(tmp_path / 'last.pth.tar')!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get the errno instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
        try:
            atomic_save({{'w': torch.zeros(1_000_000)}}, {str(tmp_path / 'last.pth.tar')!r})
        except OSError as e:
            print(e)
    ''')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(tmp_path / 'last.pth.tar') in proc.stdout and 'file-size limit' in proc.stdout
    assert 'unexpected pos' not in proc.stdout
    assert torch.equal(load_state(str(tmp_path / 'last.pth.tar'))['w'], torch.zeros(10))
    assert not list(tmp_path.glob('*.tmp-*'))


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == 'truncated':
        path.write_bytes(data[:len(data) // 2])
    elif how == 'zero-byte':
        path.write_bytes(b'')
    else:
        path.write_bytes(b'<html>404 Not Found</html>\n' * 20)  # e.g. an error page saved under the weight name


@pytest.mark.parametrize('how', ['truncated', 'zero-byte', 'not-a-checkpoint'])
@pytest.mark.parametrize('suffix', ['.pth', '.safetensors'])
def test_corrupt_weight_file_message_names_the_file(tmp_path: Path, suffix: str, how: str) -> None:
    sd = zoo.create_model('resnet10t', num_classes=3).state_dict()
    path = tmp_path / f'w{suffix}'
    save_file(sd, str(path)) if suffix == '.safetensors' else torch.save({'state_dict': sd}, path)
    _damage(path, how)
    for load in (lambda: zoo.create_model('resnet10t', num_classes=3, checkpoint_path=str(path)),
                 lambda: zoo.create_model('resnet10t', pretrained=True, pretrained_cfg_overlay=dict(file=str(path)))):
        with pytest.raises(CorruptCheckpointError) as e:
            load()
        msg = str(e.value)
        assert str(path) in msg and 'corrupt or truncated' in msg and 're-save' not in msg
        assert ('empty (0 bytes)' in msg) == (how == 'zero-byte')


def test_resume_skips_a_truncated_newest_file(tmp_path: Path, caplog) -> None:
    saver = _saver(tmp_path)
    for epoch, metric in enumerate([50., 70., 60.]):
        saver.save_checkpoint(epoch, metric)
    recovery = Path(saver.save_recovery(3, 12))
    _damage(recovery, 'truncated')
    with caplog.at_level(logging.WARNING):
        info = resume_checkpoint(nn.Linear(64, 64), str(tmp_path))
    assert info['path'] == str(tmp_path / 'last.pth.tar') and info['start_epoch'] == 3 and not info['recovery']
    assert recovery.name in caplog.text and 'corrupt or truncated' in caplog.text
    # last is bad as well: the newest kept checkpoint-<epoch> is the next choice
    _damage(tmp_path / 'last.pth.tar', 'zero-byte')
    os.utime(tmp_path / 'checkpoint-1.pth.tar', (1e9, 1e9))  # checkpoint-2 is the most recent
    info = resume_checkpoint(nn.Linear(64, 64), str(tmp_path))
    assert info['path'] == str(tmp_path / 'checkpoint-2.pth.tar') and info['start_epoch'] == 3
    # nothing readable: one error naming the folder and the files
    for path in tmp_path.glob('checkpoint-*'):
        _damage(path, 'truncated')
    with pytest.raises(CorruptCheckpointError, match='last.pth.tar') as e:
        resume_checkpoint(nn.Linear(64, 64), str(tmp_path))
    assert str(tmp_path) in str(e.value) and recovery.name in str(e.value)
    # a file named explicitly is not replaced by another one
    with pytest.raises(CorruptCheckpointError, match='recovery-3-12.pth.tar is corrupt or truncated'):
        resume_checkpoint(nn.Linear(64, 64), str(recovery))


def test_run_folder_never_holds_two_runs(tmp_path: Path) -> None:
    first = run_output_dir(str(tmp_path), 'exp')
    assert first == str(tmp_path / 'exp')
    Path(first, 'summary.csv').write_text('epoch\n0\n')
    # the same --experiment again without --resume: a new numbered folder, as in timm
    assert run_output_dir(str(tmp_path), 'exp') == str(tmp_path / 'exp-1')
    assert run_output_dir(str(tmp_path), 'exp') == str(tmp_path / 'exp-2')
    # resuming the run writes into its own folder, with or without --experiment naming it
    assert run_output_dir(str(tmp_path), 'exp', resume=first) == first
    assert run_output_dir(str(tmp_path), 'exp', resume=os.path.join(first, 'last.pth.tar')) == first
    assert run_output_dir(str(tmp_path), 'generated', resume=first, named=False) == first
    # resuming run A into the existing folder of run B does not mix them either
    Path(tmp_path, 'exp-1', 'last.pth.tar').write_bytes(b'run B')
    assert run_output_dir(str(tmp_path), 'exp-1', resume=first) == str(tmp_path / 'exp-1-1')
    Path(tmp_path / 'empty').mkdir()
    assert run_output_dir(str(tmp_path), 'empty') == str(tmp_path / 'empty')


def test_trim_summary_drops_epochs_that_run_again(tmp_path: Path) -> None:
    path = tmp_path / 'summary.csv'
    path.write_text('epoch,train_loss,eval_top1\n0,2.0,10\n1,1.5,20\n2,1.2,30\n')
    assert trim_summary(str(path), 1) == 2
    with open(path) as f:
        assert list(csv.DictReader(f)) == [{'epoch': '0', 'train_loss': '2.0', 'eval_top1': '10'}]
    assert trim_summary(str(path), 5) == 0 and trim_summary(str(tmp_path / 'none.csv'), 0) == 0
