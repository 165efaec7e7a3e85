"""Training utilities: metrics, clipping, EMA, checkpoints / resume, split BN, distributed helpers, train loop."""
import copy
import csv
import multiprocessing
import os
import signal
import socket
import time
from argparse import Namespace

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from zoo.optim import create_optimizer_v2
from zoo.scheduler import create_scheduler_v2
from zoo.utils import (
    AverageMeter,
    CheckpointSaver,
    ModelEma,
    Runtime,
    TrainOptions,
    accuracy,
    adaptive_clip_grad,
    convert_splitbn_model,
    dispatch_clip_grad,
    load_state,
    random_seed,
    resume_checkpoint,
    train_one_epoch,
    update_summary,
    validate,
)


def test_accuracy_and_meter() -> None:
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.5, 0.4, 0.1]])
    target = torch.tensor([1, 2, 2, 1])
    top1, top2 = accuracy(logits, target, topk=(1, 2))
    assert top1.item() == 50.0 and top2.item() == 75.0
    with pytest.raises(ValueError, match='top-5 accuracy needs at least 5 classes'):
        accuracy(logits, target, topk=(5,))
    meter = AverageMeter()
    meter.update(1.0, n=3)
    meter.update(3.0, n=1)
    assert meter.avg == 1.5 and meter.count == 4 and meter.val == 3.0


def _with_grads(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    m(torch.randn(2, 3, 6, 6)).pow(2).sum().mul(100).backward()
    return m


def test_clip_norm_value_and_errors() -> None:
    m = _with_grads()
    dispatch_clip_grad(m.parameters(), 0.5, mode='norm')
    total = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in m.parameters()]))
    assert total.item() == pytest.approx(0.5, rel=1e-5)
    dispatch_clip_grad(m.parameters(), 0.01, mode='value')
    assert max(p.grad.abs().max().item() for p in m.parameters()) <= 0.01
    with pytest.raises(ValueError, match="Unknown clip mode 'l3'"):
        dispatch_clip_grad(m.parameters(), 1.0, mode='l3')


@pytest.mark.parametrize('mode,value,norm_type', [('norm', 0.5, 2.), ('norm', 0.3, 1.), ('value', 0.01, 2.),
                                                  ('agc', 0.02, 2.)])
def test_dispatch_clip_grad_matches_timm(mode: str, value: float, norm_type: float) -> None:
    timm_utils = pytest.importorskip('timm.utils')
    ours, ref = _with_grads(), _with_grads()
    before = [p.grad.clone() for p in ours.parameters()]
    dispatch_clip_grad(ours.parameters(), value, mode=mode, norm_type=norm_type)
    timm_utils.dispatch_clip_grad(ref.parameters(), value, mode=mode, norm_type=norm_type)
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=0)
    assert any(not torch.equal(g, p.grad) for g, p in zip(before, ours.parameters()))  # something was clipped


@pytest.mark.parametrize('clip_grad,clip_mode', [(None, 'norm'), (0.05, 'norm'), (0.001, 'value')])
def test_native_scaler_steps_like_timm(clip_grad, clip_mode) -> None:
    """Two accumulation passes then an update, on the CPU GradScaler: same weights and scaler state as timm."""
    timm_cuda = pytest.importorskip('timm.utils.cuda')
    from zoo.utils import NativeScaler
    results = []
    for scaler in (NativeScaler('cpu'), timm_cuda.NativeScaler('cpu')):
        torch.manual_seed(0)
        model = nn.Linear(6, 3)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randn(4, 6)
        for need_update in (False, True):
            scaler(model(x).square().mean(), opt, clip_grad=clip_grad, clip_mode=clip_mode,
                   parameters=model.parameters(), need_update=need_update)
        results.append((copy.deepcopy(model.state_dict()), scaler.state_dict()))
    (ours, our_state), (ref, ref_state) = results
    for k in ours:
        torch.testing.assert_close(ours[k], ref[k], rtol=0, atol=0)
    assert our_state == ref_state
    with pytest.raises(ValueError, match='parameters'):
        NativeScaler('cpu')(model(x).sum(), opt, clip_grad=1.)


def test_agc_closed_form_and_timm() -> None:
    m = _with_grads()
    ref = _with_grads()  # same seed: same weights and grads (deepcopy would drop .grad)
    w = m[0].weight
    expect = w.grad.clone()
    w_norm = w.detach().flatten(1).norm(dim=1).clamp(min=1e-3).view(-1, 1, 1, 1)
    g_norm = expect.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    expect = torch.where(g_norm > 0.01 * w_norm, expect * (0.01 * w_norm / g_norm), expect)
    adaptive_clip_grad(m.parameters(), clip_factor=0.01)
    torch.testing.assert_close(w.grad, expect)
    timm_utils = pytest.importorskip('timm.utils')
    timm_utils.adaptive_clip_grad(ref.parameters(), clip_factor=0.01)
    for a, b in zip(m.parameters(), ref.parameters()):
        torch.testing.assert_close(a.grad, b.grad)


def test_ema_update_and_warmup_decay() -> None:
    model = nn.Linear(3, 2)
    ema = ModelEma(model, decay=0.9)
    start = {k: v.clone() for k, v in ema.module.state_dict().items()}
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model)
    torch.testing.assert_close(ema.module.weight, 0.9 * start['weight'] + 0.1 * model.weight)
    warm = ModelEma(model, decay=0.999, use_warmup=True, warmup_gamma=1.0, warmup_power=0.75)
    assert warm.get_decay(1) == 0.0  # the first update copies the weights
    for step in (2, 10, 1000, 10 ** 7):
        assert warm.get_decay(step) == pytest.approx(min(0.999, 1 - step ** -0.75))
    timm_utils = pytest.importorskip('timm.utils')
    ref = timm_utils.ModelEmaV3(model, decay=0.999, use_warmup=True, warmup_power=0.75)
    assert [warm.get_decay(s) for s in (1, 5, 50, 5000)] == pytest.approx([ref.get_decay(s) for s in (1, 5, 50, 5000)])


def _saver(tmp_path, model, opt, sched=None, hist=2) -> CheckpointSaver:
    args = Namespace(model='tiny', lr=0.1, betas=(0.9, 0.99), device=torch.device('cpu'))
    return CheckpointSaver(model, opt, args=args, scheduler=sched, checkpoint_dir=str(tmp_path), max_history=hist)


def test_checkpoint_saver_top_k_best_and_safe_loading(tmp_path) -> None:
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    saver = _saver(tmp_path, model, opt)
    for epoch, metric in enumerate([50., 70., 60., 65., 40.]):
        best = saver.save_checkpoint(epoch, metric)
    assert best == (70.0, 1)
    names = sorted(os.listdir(tmp_path))
    assert names == ['checkpoint-1.pth.tar', 'checkpoint-3.pth.tar', 'last.pth.tar', 'model_best.pth.tar']
    state = torch.load(tmp_path / 'model_best.pth.tar', weights_only=True)  # plain types only
    assert state['epoch'] == 1 and state['metric'] == 70.0 and state['args']['betas'] == [0.9, 0.99]
    assert load_state(str(tmp_path / 'last.pth.tar'))['epoch'] == 4
    # a new saver over the same folder keeps the ranking
    again = _saver(tmp_path, model, opt)
    assert again.best_metric == 70.0 and [m for _, m in again.checkpoint_files] == [70.0, 65.0]
    again.save_checkpoint(5, 66.0)
    assert sorted(os.listdir(tmp_path))[:2] == ['checkpoint-1.pth.tar', 'checkpoint-5.pth.tar']
    # recovery files replace each other
    first = again.save_recovery(6, 10)
    second = again.save_recovery(6, 20)
    assert not os.path.exists(first) and os.path.exists(second)
    assert not [n for n in os.listdir(tmp_path) if '.tmp' in n]


def test_resume_restores_everything(tmp_path) -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = create_optimizer_v2(model, 'adamw', lr=0.1, weight_decay=0.01)
    sched, _ = create_scheduler_v2(opt, 'cosine', num_epochs=10, warmup_epochs=2)
    ema = ModelEma(model, decay=0.5)
    x = torch.randn(8, 4)
    for epoch in range(3):
        model(x).pow(2).mean().backward()
        opt.step()
        opt.zero_grad()
        ema.update(model)
        sched.step(epoch + 1)
    saver = CheckpointSaver(model, opt, args=Namespace(model='x'), model_ema=ema, scheduler=sched,
                            checkpoint_dir=str(tmp_path))
    saver.save_checkpoint(2, 1.0)
    saver.save_recovery(3, 7)

    model2 = nn.Linear(4, 2)
    opt2 = create_optimizer_v2(model2, 'adamw', lr=0.1, weight_decay=0.01)
    sched2, _ = create_scheduler_v2(opt2, 'cosine', num_epochs=10, warmup_epochs=2)
    ema2 = ModelEma(model2, decay=0.5)
    info = resume_checkpoint(model2, str(tmp_path / 'last.pth.tar'), opt2, model_ema=ema2, scheduler=sched2)
    assert info['start_epoch'] == 3 and not info['recovery']
    torch.testing.assert_close(model2.weight, model.weight)
    torch.testing.assert_close(ema2.module.weight, ema.module.weight)
    assert opt2.param_groups[0]['lr'] == opt.param_groups[0]['lr']
    for p, q in zip(model.parameters(), model2.parameters()):
        torch.testing.assert_close(opt.state[p]['exp_avg_sq'], opt2.state[q]['exp_avg_sq'])
    sched.step(4)
    sched2.step(4)
    assert opt2.param_groups[0]['lr'] == opt.param_groups[0]['lr']
    # a run folder resumes from its newest file: the recovery checkpoint restarts its epoch
    info = resume_checkpoint(nn.Linear(4, 2), str(tmp_path))
    assert info['recovery'] and info['start_epoch'] == 3
    with pytest.raises(FileNotFoundError, match='does not exist'):
        resume_checkpoint(model2, str(tmp_path / 'nope.pth.tar'))


def test_split_bn_matches_bn_in_eval_and_splits_in_train() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    model[1].running_mean.fill_(0.5)
    ref = copy.deepcopy(model).eval()
    split = convert_splitbn_model(copy.deepcopy(model), num_splits=2)
    x = torch.randn(4, 3, 5, 5)
    torch.testing.assert_close(split.eval()(x), ref(x))
    split.train()
    out = split(torch.cat([x[:2], x[:2] * 10]))
    # each half normalised by its own batch statistics -> the halves come out identical
    torch.testing.assert_close(out[:2], out[2:], atol=1e-4, rtol=1e-4)


def test_update_summary_and_seed(tmp_path) -> None:
    path = str(tmp_path / 'summary.csv')
    update_summary(0, {'loss': 2.0}, {'loss': 1.5, 'top1': 40.0, 'top5': 90.0}, path, lr=0.1, write_header=True)
    update_summary(1, {'loss': 1.0}, {'loss': 1.0, 'top1': 60.0, 'top5': 95.0}, path, lr=0.05)
    rows = list(csv.DictReader(open(path)))
    assert list(rows[0]) == ['epoch', 'train_loss', 'eval_loss', 'eval_top1', 'eval_top5', 'lr']
    assert rows[1]['eval_top1'] == '60.0' and rows[1]['lr'] == '0.05'
    random_seed(3)
    a = torch.rand(3)
    random_seed(3)
    assert torch.equal(a, torch.rand(3))


def _batches(x: torch.Tensor, y: torch.Tensor, bs: int):
    return [(x[i:i + bs], y[i:i + bs]) for i in range(0, len(x), bs)]


def test_grad_accumulation_equals_large_batch() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
    base = nn.Linear(5, 3)
    small, big = copy.deepcopy(base), copy.deepcopy(base)
    loss_fn = nn.CrossEntropyLoss()
    opt_s = torch.optim.SGD(small.parameters(), lr=0.5)
    opt_b = torch.optim.SGD(big.parameters(), lr=0.5)
    rt = Runtime()
    train_one_epoch(0, small, _batches(x, y, 4), opt_s, loss_fn, rt, TrainOptions(grad_accum_steps=2, log_interval=1))
    metrics = train_one_epoch(0, big, _batches(x, y, 8), opt_b, loss_fn, rt, TrainOptions())
    for a, b in zip(small.parameters(), big.parameters()):
        torch.testing.assert_close(a, b)
    # the reported loss is the sample-weighted mean of the per-batch losses seen during the epoch
    manual = copy.deepcopy(base)
    opt_m = torch.optim.SGD(manual.parameters(), lr=0.5)
    losses = []
    for xb, yb in _batches(x, y, 8):
        loss = loss_fn(manual(xb), yb)
        losses.append(loss.item())
        opt_m.zero_grad()
        loss.backward()
        opt_m.step()
    assert metrics['loss'] == pytest.approx(sum(losses) / 2, rel=1e-6)


def test_validate_counts_exactly() -> None:
    class Fixed(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x
    logits = torch.eye(6)[[0, 1, 2, 3, 4, 5, 0]] + 0.01 * torch.arange(6)
    target = torch.tensor([0, 1, 2, 3, 4, 0, 1])
    res = validate(Fixed(), _batches(logits, target, 3), nn.CrossEntropyLoss(), Runtime())
    assert res['top1'] == pytest.approx(100 * 5 / 7)
    assert res['loss'] == pytest.approx(nn.functional.cross_entropy(logits, target).item(), rel=1e-6)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _dist_worker(rank: int, port: int, out: dict) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE='2',
                      LOCAL_RANK=str(rank))
    from zoo.utils import distribute_bn, init_distributed_device, reduce_tensor
    info = init_distributed_device('cpu')
    bn = nn.BatchNorm1d(2)
    bn.running_mean.fill_(float(rank + 1))
    reduced = reduce_tensor(torch.tensor([float(rank)]), info.world_size)
    distribute_bn(bn, info.world_size, reduce=True)
    mean_reduced = bn.running_mean.clone()
    bn.running_mean.fill_(float(rank + 1))
    distribute_bn(bn, info.world_size, reduce=False)
    out[rank] = (info.distributed, reduced.item(), mean_reduced.tolist(), bn.running_mean.tolist())
    torch.distributed.destroy_process_group()


def test_distributed_helpers_two_processes_gloo() -> None:
    manager = mp.Manager()
    out = manager.dict()
    mp.spawn(_dist_worker, args=(_free_port(), out), nprocs=2, join=True)
    for rank in (0, 1):
        distributed, reduced, mean_reduced, mean_broadcast = out[rank]
        assert distributed and reduced == 0.5
        assert mean_reduced == [1.5, 1.5] and mean_broadcast == [1.0, 1.0]


def test_eval_helpers(tmp_path) -> None:
    from zoo.utils import checkpoint_files, fill_from_run_args, parse_kv_pairs, write_results
    for name in ('last.pth.tar', 'checkpoint-3.pth.tar', 'model_best.pth.tar', 'recovery-4-10.pth.tar', 'notes.txt'):
        (tmp_path / name).write_bytes(b'')
    assert [os.path.basename(p) for p in checkpoint_files(str(tmp_path))] == [
        'model_best.pth.tar', 'checkpoint-3.pth.tar', 'last.pth.tar']
    with pytest.raises(FileNotFoundError, match='does not exist'):
        checkpoint_files(str(tmp_path / 'missing.pth'))
    assert parse_kv_pairs(['channels=(8, 16)', 'act=relu', 'n=3']) == {'channels': (8, 16), 'act': 'relu', 'n': 3}
    with pytest.raises(ValueError, match='key=value'):
        parse_kv_pairs(['oops'])
    args = Namespace(model=None, img_size=32, model_kwargs={})
    run_args = {'model': 'resnet18_cifar', 'img_size': 16, 'model_kwargs': {'channels': [8, 16]}}
    filled = fill_from_run_args(args, run_args)
    assert filled == ['model', 'model_kwargs'] and args.img_size == 32 and args.model_kwargs == {'channels': (8, 16)}
    rows = [{'filename': 'a.png', 'index': [3, 1], 'prob': [0.75, 0.25]}]
    write_results(rows, str(tmp_path / 'r.csv'))
    assert open(tmp_path / 'r.csv').read().splitlines() == ['filename,index_0,index_1,prob_0,prob_1',
                                                            'a.png,3,1,0.75,0.25']
    import json
    write_results(rows, str(tmp_path / 'r.json'))
    assert json.loads(open(tmp_path / 'r.json').read()) == rows


def test_test_time_pool_head_equals_model_at_train_size() -> None:
    from zoo.utils import TestTimePoolHead

    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Linear(4, 5)

        def forward_features(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(x)

        def get_classifier(self) -> nn.Module:
            return self.fc

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.forward_features(x).mean(dim=(2, 3)))

    model = Tiny()
    x = torch.randn(2, 3, 6, 6)
    head = TestTimePoolHead(model, (6, 6))
    torch.testing.assert_close(head(x), model(x))
    # larger input: the classifier runs on every 6x6 window of the feature map; the result is the mean of the window
    # logits' average and maximum
    big = torch.randn(1, 3, 8, 8)
    feats = model.forward_features(big)
    windows = torch.stack(
        [model.fc(feats[:, :, i:i + 6, j:j + 6].mean(dim=(2, 3))) for i in range(3) for j in range(3)])
    torch.testing.assert_close(head(big), 0.5 * (windows.mean(0) + windows.amax(0)), atol=1e-5, rtol=1e-5)


def _frozen_rank_worker(rank: int, port: int, stop: int, timeout: float, results) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE='2',
                      LOCAL_RANK=str(rank))
    from zoo.utils import RankTimeoutError, exit_on_dist_timeout, init_distributed_device
    info = init_distributed_device('cpu', timeout=timeout)
    x = torch.ones(1)
    torch.distributed.all_reduce(x)  # every rank is up
    if rank == stop:
        os.kill(os.getpid(), signal.SIGSTOP)  # frozen, as by SIGSTOP or a deadlocked data loader
    start = time.monotonic()
    try:
        with exit_on_dist_timeout(info, timeout):
            torch.distributed.all_reduce(x)
    except RankTimeoutError as e:
        results.put((str(e), time.monotonic() - start))
        os._exit(3)
    os._exit(0)


@pytest.mark.parametrize('stop', [1, 0])
def test_frozen_rank_ends_the_job_after_the_timeout_naming_it(stop: int) -> None:
    """Two gloo ranks on 127.0.0.1, one stopped with SIGSTOP: the other fails after the timeout, naming it.

    Rank 0 hosts the rendezvous store here (no torchrun agent), so when rank 0 itself is stopped the store cannot
    be asked and the message says rank 0 most likely stopped. The ranks are forked (no torch import per rank).
    """
    timeout, port = 2., _free_port()
    ctx = multiprocessing.get_context('fork')
    results = ctx.SimpleQueue()  # put() writes before the worker leaves with os._exit
    procs = [ctx.Process(target=_frozen_rank_worker, args=(rank, port, stop, timeout, results)) for rank in (0, 1)]
    for proc in procs:
        proc.start()
    live = procs[1 - stop]
    try:
        live.join(60)
        assert live.exitcode == 3, f'the live rank ended with {live.exitcode}'
        msg, elapsed = results.get()
    finally:
        for proc in procs:
            proc.kill()
            proc.join()
    assert timeout <= elapsed < timeout + 10
    assert f'Rank {1 - stop} of 2' in msg and f'longer than {timeout:g} s (--dist-timeout)' in msg
    if stop == 1:
        assert 'Rank 1 stopped answering' in msg
    else:
        assert 'rank 0 has most likely stopped answering' in msg
