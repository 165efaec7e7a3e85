"""Script flags checked where they take effect.

train.py: the session `build_session` makes from them (model, optimizer, schedule, loaders, losses, EMA, saver), with
no training run. validate.py / inference.py: short runs on the built-in digits with the calls they make observed.
The end-to-end runs are in test_scripts.py; together with test_script_options.py every `--help` flag is exercised.
"""
import math
import os
import sys
from pathlib import Path
from typing import Any, List

import pytest
import torch
from safetensors.torch import save_file

import zoo
from zoo.data.loader import PrefetchLoader
from zoo.loss import BinaryCrossEntropy
from zoo.utils.distributed import DistInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import inference  # noqa: E402
import train  # noqa: E402
import validate  # noqa: E402

CPU = DistInfo(False, 1, 0, 0, torch.device('cpu'))
BASE = ['--dataset', 'zoo/digits', '--model', 'resnet10t', '--input-size', '3', '32', '32', '--epochs', '2',
        '--batch-size', '8', '--workers', '0', '--sched', 'cosine']


def _args(*argv: str):
    args = train.parse_args([*BASE, *argv])
    train._resolve_legacy_flags(args)
    args.prefetcher = not args.no_prefetcher
    return args


def _session(*argv: str) -> train.Session:
    return train.build_session(_args(*argv), CPU)


def _transforms(loader: Any) -> List[Any]:
    inner = loader.loader if isinstance(loader, PrefetchLoader) else loader
    return list(inner.dataset.transform.transforms)


def test_amp_dtype_selects_the_autocast_dtype() -> None:
    s = _session('--amp', '--amp-dtype', 'bfloat16')
    with s.rt.autocast():
        y = torch.ones(4, 4) @ torch.ones(4, 4)
    assert y.dtype == torch.bfloat16
    with _session().rt.autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32


def test_bce_loss_and_pos_weight() -> None:
    loss = _session('--bce-loss', '--bce-pos-weight', '2.5').train_loss_fn
    assert isinstance(loss, BinaryCrossEntropy)
    assert float(loss.pos_weight) == 2.5


def test_mixup_options_reach_the_mixer() -> None:
    s = _session('--no-prefetcher', '--cutmix-minmax', '0.2', '0.8', '--mixup-mode', 'pair', '--mixup-prob', '0.7',
                 '--mixup-switch-prob', '0.3')
    m = s.mixup_fn
    assert (m.cutmix_minmax, m.mode, m.mix_prob, m.switch_prob) == ((0.2, 0.8), 'pair', 0.7, 0.3)


def test_mixup_off_epoch_switches_mixing_off(monkeypatch) -> None:
    s = _session('--no-prefetcher', '--mixup', '0.5', '--mixup-off-epoch', '1')
    monkeypatch.setattr(train, 'train_one_epoch', lambda *a, **k: {'loss': 0.})
    monkeypatch.setattr(train, 'validate', lambda *a, **k: {'loss': 0., 'top1': 0., 'top5': 0.})
    train.run_epoch(s, 0)
    assert s.mixup_fn.mixup_enabled
    train.run_epoch(s, 1)
    assert not s.mixup_fn.mixup_enabled


def test_epoch_repeats_is_refused_for_map_style_data() -> None:
    with pytest.raises(ValueError, match='--epoch-repeats.*iterable datasets.*more epochs'):
        _session('--epoch-repeats', '2')


def test_head_init_scale_and_bias() -> None:
    head = _session('--head-init-scale', '0', '--head-init-bias', '0.25').model.get_classifier()
    assert not head.weight.any() and bool((head.bias == 0.25).all())


def test_initial_checkpoint_and_pretrained_path_load_weights(tmp_path: Path) -> None:
    torch.manual_seed(3)
    ref = zoo.create_model('resnet10t', num_classes=10)
    state = {k: v.contiguous() for k, v in ref.state_dict().items()}
    torch.save(state, tmp_path / 'init.pth')
    save_file(state, str(tmp_path / 'weights.safetensors'))
    # pretrained loading keeps a classifier only for the cfg's 1000 classes: --pretrained-path is checked on the trunk
    for flag, path, skip in (('--initial-checkpoint', 'init.pth', ()), ('--pretrained-path', 'weights.safetensors',
                                                                       ('fc.weight', 'fc.bias'))):
        model = _session(flag, str(tmp_path / path), '--num-classes', '10').model
        for key, value in model.state_dict().items():
            if key in skip:
                continue
            torch.testing.assert_close(value, state[key], msg=lambda m: f'{flag}: {key}\n{m}')


def test_distillation_flags_build_the_teacher(monkeypatch) -> None:
    made = []
    real_create = zoo.create_model

    def create(name: str, **kwargs: Any) -> torch.nn.Module:
        made.append((name, kwargs.get('pretrained')))
        return real_create(name, **{**kwargs, 'pretrained': False})
    monkeypatch.setattr(train.zoo, 'create_model', create)
    s = _session('--kd-model-name', 'resnet14t', '--kd-pretrained', '--kd-distill-type', 'feature',
                 '--kd-student-feature-dim', '512', '--kd-teacher-feature-dim', '2048')
    assert ('resnet14t', True) in made
    distiller = s.opts.distiller
    assert distiller.distill_type == 'feature'
    assert any(tuple(p.shape[:2]) == (2048, 512) for p in distiller.trainable_parameters())  # student -> teacher
    # the timm spelling --kd-model is the same option
    assert _args('--kd-model', 'resnet14t').kd_model_name == 'resnet14t'


def test_lr_base_scaling() -> None:
    s = _session('--lr-base', '0.4', '--lr-base-size', '64', '--lr-base-scale', 'sqrt')
    assert math.isclose(s.args.lr, 0.4 * math.sqrt(8 / 64))
    assert math.isclose(_session('--lr-base', '0.4', '--lr-base-size', '64').args.lr, 0.4 * 8 / 64)


def test_schedule_shape_flags() -> None:
    sched = _session('--lr-cycle-mul', '2', '--lr-cycle-decay', '0.7', '--lr-cycle-limit', '3', '--lr-k-decay', '2',
                     '--lr-noise', '0.5', '--lr-noise-pct', '0.5', '--lr-noise-std', '2').lr_scheduler
    assert (sched.cycle_mul, sched.cycle_decay, sched.cycle_limit, sched.k_decay) == (2., 0.7, 3, 2.)
    assert (sched.noise_pct, sched.noise_std) == (0.5, 2.)


def test_model_ema_force_cpu() -> None:
    assert _session('--model-ema', '--model-ema-force-cpu').model_ema.device == torch.device('cpu')
    assert _session('--model-ema').model_ema.device is None


def test_optimizer_flags() -> None:
    opt = _session('--opt', 'adamw', '--opt-kwargs', 'amsgrad=True', '--no-opt-foreach').optimizer
    assert opt.defaults['amsgrad'] is True and opt.defaults['foreach'] is False


def test_loader_flags() -> None:
    s = _session('--no-prefetcher', '--pin-mem', '--validation-batch-size', '3', '--worker-seeding', 'part')
    assert not isinstance(s.loader_train, PrefetchLoader) and not s.rt.prefetched
    assert s.loader_train.pin_memory and s.loader_eval.batch_size == 3
    assert s.loader_train.worker_init_fn.keywords['worker_seeding'] == 'part'
    assert isinstance(_session().loader_train, PrefetchLoader)


def test_augmentation_flags() -> None:
    s = _session('--reprob', '0.5', '--remode', 'const', '--recount', '2', '--vflip', '0.3',
                 '--train-interpolation', 'bilinear')
    erasing = s.loader_train.random_erasing
    assert (erasing.mode, erasing.max_count) == ('const', 2)
    ops = {type(t).__name__: t for t in _transforms(s.loader_train)}
    assert ops['RandomVerticalFlip'].p == 0.3
    assert ops['RandomResizedCropAndInterpolation'].interpolation.value == 'bilinear'


def test_split_flags_pick_the_splits() -> None:
    default, swapped = _session(), _session('--train-split', 'validation', '--val-split', 'train')
    assert len(swapped.loader_train.loader.dataset) == len(default.loader_eval.loader.dataset)
    assert len(swapped.loader_eval.loader.dataset) == len(default.loader_train.loader.dataset)


def test_checkpoint_hist_and_no_resume_opt(tmp_path: Path) -> None:
    s = _session('--output', str(tmp_path), '--experiment', 'a', '--checkpoint-hist', '2')
    train.attach_saver(s)
    assert s.saver.max_history == 2
    s.optimizer.param_groups[0]['initial_lr'] = 123.
    s.saver.save_checkpoint(0, metric=0.5)
    checkpoint = str(tmp_path / 'a' / 'last.pth.tar')
    resumed = _session('--resume', checkpoint)
    train.resume_session(resumed)
    assert resumed.optimizer.param_groups[0]['initial_lr'] == 123.
    fresh_opt = _session('--resume', checkpoint, '--no-resume-opt')
    train.resume_session(fresh_opt)
    assert fresh_opt.optimizer.param_groups[0]['initial_lr'] != 123.


def test_synchronize_step_waits_after_every_update(monkeypatch) -> None:
    import zoo.utils.train_loop as loop
    calls = []
    monkeypatch.setattr(loop, 'device_synchronize', lambda device: calls.append(device))
    s = _session('--synchronize-step')
    s.opts.log_interval = 10 ** 6
    batches = [(torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))) for _ in range(3)]
    loop.train_one_epoch(0, s.model, batches, s.optimizer, s.train_loss_fn, s.rt, s.opts)
    assert len(calls) == 3


def test_dataset_download_reaches_the_dataset(monkeypatch) -> None:
    seen = []
    real = train.create_dataset

    def create(*a: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get('download'))
        return real(*a, **kwargs)
    monkeypatch.setattr(train, 'create_dataset', create)
    _session('--dataset-download')
    assert seen == [True, True]


def test_torchcompile_mode_is_passed_to_compile(monkeypatch) -> None:
    seen = {}

    def compile_(model: torch.nn.Module, **kwargs: Any) -> torch.nn.Module:
        seen.update(kwargs)
        return model
    monkeypatch.setattr(train.torch, 'compile', compile_)
    _session('--torchcompile', 'inductor', '--torchcompile-mode', 'max-autotune')
    assert seen == {'backend': 'inductor', 'mode': 'max-autotune'}


EVAL = ['--dataset', 'zoo/digits', '--model', 'resnet10t', '--num-classes', '10', '--batch-size', '8', '--workers', '0',
        '--num-samples', '8']


def _spy(monkeypatch, module: Any, name: str) -> List[dict]:
    """Record the arguments of every call to `module.name`, still calling it."""
    calls, real = [], getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(dict(kwargs, _args=args))
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, spy)
    return calls


@pytest.mark.parametrize('script', [validate, inference])
def test_eval_scripts_pass_their_flags_on(script: Any, monkeypatch, tmp_path: Path) -> None:
    loaders = _spy(monkeypatch, script, 'create_loader')
    amp = _spy(monkeypatch, script, 'resolve_amp')
    prepared = []
    monkeypatch.setattr(script, 'prepare_eval_model', lambda model, *a, **k: (prepared.append(a), model.eval())[1])
    argv = [*EVAL, '--img-size', '64', '--no-prefetcher', '--pin-mem', '--amp', '--amp-dtype', 'bfloat16',
            '--torchcompile-mode', 'max-autotune']
    script.main(argv + (['--no-console-results', '--results-dir', str(tmp_path)] if script is inference else []))
    assert loaders[0]['use_prefetcher'] is False and loaders[0]['pin_memory'] is True
    assert amp[0]['_args'][:2] == (True, 'bfloat16')
    assert prepared[0][-1] == 'max-autotune'


@pytest.mark.parametrize('script', [validate, inference])
def test_int8_flags_calibrate_on_their_folder(script: Any, monkeypatch, tmp_path: Path) -> None:
    """--int8 DIR / --int8-images N hand N images of DIR, eval-transformed, to the int8 path (torchao not needed)."""
    import numpy as np
    from PIL import Image

    from zoo.utils import int8_calibration_batches
    calib = tmp_path / 'calib'
    calib.mkdir()
    for i in range(5):
        Image.fromarray(np.full((40, 50, 3), 50 * i, np.uint8)).save(calib / f'{i}.png')
    seen = []

    def prepare(model, *args, **kwargs):
        seen.append(kwargs)
        model.steps = ['int8']
        return model.eval()
    monkeypatch.setattr(script, 'prepare_eval_model', prepare)
    argv = [*EVAL, '--img-size', '64', '--int8', str(calib), '--int8-images', '3']
    script.main(argv + (['--no-console-results', '--results-dir', str(tmp_path)] if script is inference else []))
    batches = seen[0]['int8_calibration']
    assert sum(b.shape[0] for b in batches) == 3
    assert all(b.dtype == torch.float32 and b.shape[1:] == (3, 64, 64) for b in batches)
    with pytest.raises(ValueError, match='--int8-images'):
        int8_calibration_batches(str(calib), 0, dict(input_size=(3, 64, 64)), 8)
    with pytest.raises(ValueError, match='--int8'):
        script.main(argv + ['--amp'])


def test_validate_sizes_and_test_pool() -> None:
    test_size = validate.main([*EVAL])[0]
    train_size = validate.main([*EVAL, '--use-train-size'])[0]
    assert (test_size['img_size'], train_size['img_size']) == (224, 176)  # resnet10t: test 224, train 176
    pooled = validate.main([*EVAL, '--test-pool', '--img-size', '256'])[0]
    assert pooled['test_time_pool'] is True and pooled['img_size'] == 256
    # at the size it was trained at, the model needs no pooling
    assert validate.main([*EVAL, '--test-pool', '--use-train-size'])[0]['test_time_pool'] is False


def test_validate_dataset_download_reaches_the_dataset(monkeypatch) -> None:
    seen = _spy(monkeypatch, validate, 'create_dataset')
    validate.main([*EVAL, '--img-size', '64', '--dataset-download'])
    assert seen[0]['download'] is True


def test_inference_column_names(tmp_path: Path) -> None:
    rows = inference.main([*EVAL, '--img-size', '64', '--label-col', 'cls', '--output-col', 'prob',
                           '--no-console-results', '--results-dir', str(tmp_path), '--topk', '2'])
    assert len(rows) == 8 and {'cls', 'prob'} <= set(rows[0]) and len(rows[0]['cls']) == 2


def test_sync_bn_is_refused_on_cpu() -> None:
    with pytest.raises(SystemExit, match='--sync-bn needs GPUs.*--dist-bn reduce'):
        _session('--sync-bn')


def test_distributed_flags_reach_the_process_group(monkeypatch) -> None:
    seen = {}

    class Stop(Exception):
        pass

    def init(device: str, backend: Any, timeout: float) -> None:
        seen.update(backend=backend, local_rank=os.environ.get('LOCAL_RANK'))
        raise Stop
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    monkeypatch.setattr(train, 'init_distributed_device', init)
    with pytest.raises(Stop):
        train.main([*BASE, '--dist-backend', 'gloo', '--local-rank', '1'])
    assert seen == {'backend': 'gloo', 'local_rank': '1'}


def test_ddp_buffer_broadcast_flag(monkeypatch) -> None:
    import torch.distributed as torch_dist
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(29700 + os.getpid() % 200))
    torch_dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        dist = DistInfo(True, 1, 0, 0, torch.device('cpu'))
        model = zoo.create_model('resnet10t', num_classes=10)
        assert train.wrap_ddp(model, dist, sync_buffers=not _args('--no-ddp-bb').no_ddp_bb).broadcast_buffers is False
        assert train.wrap_ddp(model, dist, sync_buffers=not _args().no_ddp_bb).broadcast_buffers is True
    finally:
        torch_dist.destroy_process_group()


@pytest.mark.parametrize('mode', ['reduce', 'broadcast', ''])
def test_dist_bn_after_each_epoch(mode: str, monkeypatch) -> None:
    s = _session('--dist-bn', mode)
    s.rt.dist = DistInfo(True, 2, 0, 0, torch.device('cpu'))  # as rank 0 of 2; the collectives are observed
    calls = []
    monkeypatch.setattr(train, 'distribute_bn', lambda model, world, reduce: calls.append((world, reduce)))
    monkeypatch.setattr(train, 'check_ranks_in_sync', lambda *a: True)
    monkeypatch.setattr(train, 'train_one_epoch', lambda *a, **k: {'loss': 0.})
    monkeypatch.setattr(train, 'validate', lambda *a, **k: {'loss': 0., 'top1': 0., 'top5': 0.})
    train.run_epoch(s, 0)
    assert calls == ([(2, mode == 'reduce')] if mode else [])


def test_token_distillation_trains_from_the_command_line() -> None:
    import zoo.utils.train_loop as loop
    s = _session('--model', 'deit_tiny_distilled_patch16_224', '--model-kwargs', 'img_size=32', '--kd-model-name',
                 'resnet10t', '--kd-distill-type', 'token', '--kd-token-distill-type', 'hard')
    assert (s.opts.distiller.distill_type, s.opts.distiller.token_target) == ('token', 'hard')
    s.opts.log_interval = 10 ** 6
    head_before = s.model.head_dist.weight.detach().clone()
    batches = [(torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))) for _ in range(2)]
    metrics = loop.train_one_epoch(0, s.model, batches, s.optimizer, s.train_loss_fn, s.rt, s.opts)
    assert math.isfinite(metrics['loss']) and not torch.equal(head_before, s.model.head_dist.weight)
