"""In-process checks of the script options added for issue 14: help texts, progress bars, test-time augmentation,
valid labels, result columns, sample subsets, model dtype, distillation and the PNG plots."""
import csv
import io
import logging
import math
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STUB_WORDS = ('ignored', 'unused', 'accepted for compatibility', 'accepted;', '(accepted')


def _parsers():
    import benchmark
    import inference
    import train
    import validate
    return {'train.py': train.build_parser()[1], 'validate.py': validate.build_parser(),
            'inference.py': inference.build_parser(), 'benchmark.py': benchmark.build_parser()}


def test_no_help_text_describes_a_stub() -> None:
    for script, parser in _parsers().items():
        text = parser.format_help().lower()
        for word in STUB_WORDS:
            assert word not in text, f'{script} --help says {word!r}'
        for action in parser._actions:
            assert not any(w in (action.help or '').lower() for w in STUB_WORDS), (script, action.option_strings)


def test_removed_flags_are_rejected() -> None:
    parsers = _parsers()
    for script, flag in [('train.py', '--fuser'), ('train.py', '--fast-norm'), ('train.py', '--log-wandb'),
                         ('train.py', '--use-multi-epochs-loader'), ('train.py', '--torchscript'),
                         ('validate.py', '--retry')]:
        with pytest.raises(SystemExit):
            parsers[script].parse_args(['x', flag])


def test_progress_bar_follows_the_terminal_and_shows_stats() -> None:
    from zoo.utils import ProgressBar, use_progress_bar

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True
    assert use_progress_bar(None, Tty()) and not use_progress_bar(None, io.StringIO())
    assert use_progress_bar(False, Tty()) is False and use_progress_bar(True, io.StringIO()) is True
    out = io.StringIO()
    with ProgressBar(4, 'Test', stream=out) as bar:
        for _ in range(4):
            bar.step(loss=0.12345, top1=50.0)
    text = out.getvalue()
    assert 'Test' in text and '4/4' in text and 'loss=0.1235' in text and 'top1=50' in text
    silent = ProgressBar(4, 'Test', enabled=False)
    silent.step(loss=1.0)
    assert not silent.active


def test_validate_draws_a_bar_instead_of_log_lines(capsys, caplog) -> None:
    from zoo.utils import Runtime, validate
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    batches = [(torch.randn(4, 3, 2, 2), torch.randint(0, 3, (4,))) for _ in range(3)]
    with caplog.at_level(logging.INFO):
        with_bar = validate(model, batches, nn.CrossEntropyLoss(), Runtime(), log_interval=1, progress_bar=True)
    err = capsys.readouterr().err
    assert '3/3' in err and f"top1={with_bar['top1']:.4g}" in err
    assert not [r for r in caplog.records if r.getMessage().startswith('Test')]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        plain = validate(model, batches, nn.CrossEntropyLoss(), Runtime(), log_interval=1)
    assert len([r for r in caplog.records if r.getMessage().startswith('Test')]) == 3
    assert plain == with_bar and capsys.readouterr().err == ''


def test_tta_is_the_mean_over_views() -> None:
    from zoo.utils import TestTimeAugment
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(5)).eval()
    x = torch.randn(2, 3, 10, 10)
    with torch.no_grad():
        model(x)
        two = TestTimeAugment(model, 2)(x)
        torch.testing.assert_close(two, (model(x) + model(x.flip(-1))) / 2)
        zoomed = F.interpolate(x[..., 0:9, 0:9], size=(10, 10), mode='bilinear', align_corners=False)
        three = TestTimeAugment(model, 3)(x)
        torch.testing.assert_close(three, (model(x) + model(x.flip(-1)) + model(zoomed)) / 3)
    with pytest.raises(ValueError, match='--tta'):
        TestTimeAugment(model, 0)


def test_valid_labels_select_and_rank_outputs(tmp_path: Path) -> None:
    from zoo.utils import SelectOutputs, read_valid_labels
    from zoo.utils.inference import predict_rows
    path = tmp_path / 'labels.txt'
    path.write_text('4\n1\n')
    labels = read_valid_labels(str(path), num_classes=6)
    assert labels == [4, 1]
    logits = torch.tensor([[0., 5., 1., 9., 3., 2.]])
    model = nn.Identity()
    torch.testing.assert_close(SelectOutputs(model, labels)(logits), torch.tensor([[3., 5.]]))
    rows = predict_rows(model, [(logits, torch.zeros(1))], ['a.jpg'], [str(i) for i in range(6)], topk=5,
                        valid_labels=labels)
    # class 3 has the largest logit but is not a valid label; only 1 and 4 are ranked, softmax over the two
    assert rows[0]['index'] == [1, 4] and rows[0]['prob'][0] == pytest.approx(1 / (1 + math.exp(-2)), abs=1e-6)
    path.write_text('7\n')
    with pytest.raises(ValueError, match='0..5'):
        read_valid_labels(str(path), num_classes=6)


def test_result_columns_follow_the_flags() -> None:
    from zoo.utils.inference import ResultColumns, lists_as_text
    rows = [{'filename': 'a.jpg', 'index': [3, 1], 'label': ['c', 'b'], 'prob': [0.7, 0.2]},
            {'filename': 'b.jpg', 'error': 'unreadable image: x'}]
    assert ResultColumns().shape(rows)[0] == {'filename': 'a.jpg', 'label': ['c', 'b'], 'prob': [0.7, 0.2]}
    cols = ResultColumns(filename='file', index='cls', output='p', include_index=True, include_label=False,
                         separate=True)
    assert cols.shape(rows) == [{'file': 'a.jpg', 'cls_0': 3, 'cls_1': 1, 'p_0': 0.7, 'p_1': 0.2},
                                {'file': 'b.jpg', 'error': 'unreadable image: x'}]
    top1 = [{'filename': 'a.jpg', 'index': [3], 'label': ['c'], 'prob': [0.7]}]
    assert ResultColumns(include_output=False, include_index=True).shape(top1) == [
        {'filename': 'a.jpg', 'index': 3, 'label': 'c'}]
    assert lists_as_text(ResultColumns().shape(rows))[0]['label'] == '["c", "b"]'
    with pytest.raises(ValueError, match='no result column'):
        ResultColumns(include_label=False, include_output=False).shape(rows)


def test_num_samples_spreads_over_the_classes() -> None:
    from zoo.data import create_dataset
    ds = create_dataset('zoo/digits', None, split='validation')
    names, labels = ds.filenames(), [ds[i][1] for i in range(len(ds))]
    ds.select_evenly(20)
    assert len(ds) == 20 and len(ds.filenames()) == 20
    expected = [i * len(names) // 20 for i in range(20)]
    assert ds.filenames() == [names[i] for i in expected]
    assert [ds[j][1] for j in range(20)] == [labels[i] for i in expected]
    ds.select_evenly(10 ** 6)
    assert len(ds) == len(names)


def test_model_dtype_resolution_and_bf16_evaluation() -> None:
    from zoo.utils import Runtime, prepare_eval_model, resolve_model_dtype, validate
    assert resolve_model_dtype(None) is None and resolve_model_dtype('float32') is None
    assert resolve_model_dtype('bf16') is torch.bfloat16
    with pytest.raises(ValueError, match='--amp'):
        resolve_model_dtype('bfloat16', amp=True)
    with pytest.raises(ValueError, match='float64'):
        resolve_model_dtype('float64')
    torch.manual_seed(0)
    model = prepare_eval_model(nn.Sequential(nn.Flatten(), nn.Linear(12, 3)), torch.device('cpu'), torch.bfloat16)
    assert next(model.parameters()).dtype is torch.bfloat16
    batches = [(torch.randn(8, 3, 2, 2), torch.randint(0, 3, (8,)))]
    metrics = validate(model, batches, nn.CrossEntropyLoss(), Runtime(dtype=torch.bfloat16))
    assert metrics['num_samples'] == 8


def test_eval_model_compile_mode_and_reparam() -> None:
    import zoo
    from zoo.utils import prepare_eval_model
    torch.manual_seed(0)
    model = zoo.create_model('repvgg_a0', num_classes=4).eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        ref = model(x)
        folded = prepare_eval_model(model, torch.device('cpu'), reparam=True)
        assert not any('rbr_1x1' in n for n, _ in folded.named_modules())  # the branches were folded
        torch.testing.assert_close(folded(x), ref, rtol=1e-4, atol=1e-4)
    compiled = prepare_eval_model(nn.Linear(3, 2), torch.device('cpu'), compile_backend='eager',
                                  compile_mode='reduce-overhead')
    assert type(compiled).__name__ == 'OptimizedModule'


def test_logit_distillation_matches_the_formula() -> None:
    from zoo.loss import DistillationLoss, DistillationTeacher, distill_loss_weights
    torch.manual_seed(0)
    teacher_net = nn.Sequential(nn.Flatten(), nn.Linear(12, 5))
    student = nn.Sequential(nn.Flatten(), nn.Linear(12, 5))
    teacher = DistillationTeacher(teacher_net, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), (0.4, 0.4, 0.4), (0.2, 0.3, 0.4))
    kd = DistillationLoss(teacher, student, temperature=2.0, task_weight=0.3)
    assert (kd.task_weight, kd.distill_weight) == (0.3, pytest.approx(0.7))
    assert distill_loss_weights(None, 2.0) == (1.0, 2.0) and distill_loss_weights(0.5, 2.0) == (0.5, 2.0)
    x = torch.randn(4, 3, 2, 2)
    out = student(x)
    loss = kd(x, out, torch.tensor(1.0))
    # reference: the teacher sees the raw image normalised with its own statistics
    raw = x * 0.5 + 0.5
    t_in = (raw - torch.tensor([0.4, 0.4, 0.4]).view(1, 3, 1, 1)) / torch.tensor([0.2, 0.3, 0.4]).view(1, 3, 1, 1)
    p_t = F.softmax(teacher_net(t_in) / 2, dim=-1)
    kl = (p_t * (p_t.log() - F.log_softmax(out / 2, dim=-1))).sum(-1).mean() * 4
    torch.testing.assert_close(loss, 0.3 + 0.7 * kl, rtol=1e-5, atol=1e-6)
    loss.backward()
    assert student[1].weight.grad is not None and teacher_net[1].weight.grad is None
    teacher.train()
    assert not teacher.model.training  # the teacher never leaves eval mode


def test_feature_distillation_trains_a_projection() -> None:
    import zoo
    from zoo.loss import DistillationLoss, DistillationTeacher
    torch.manual_seed(0)
    kw = dict(num_classes=10, channels=(8, 16, 32, 64), stem_width=8)
    student = zoo.create_model('resnet18_cifar', **kw)
    teacher_net = zoo.create_model('resnet18_cifar', **{**kw, 'channels': (8, 16, 32, 48)})
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    kd = DistillationLoss(DistillationTeacher(teacher_net, mean, std, mean, std), student, distill_type='feature')
    assert isinstance(kd.projection, nn.Linear) and kd.projection.weight.shape == (48, 64)
    x = torch.randn(2, 3, 16, 16)
    out = student(x)
    loss = kd(x, out, torch.tensor(0.))
    with torch.no_grad():
        s_feat = student.forward_head(student.forward_features(x), pre_logits=True)
        t_feat = teacher_net.eval().forward_head(teacher_net.forward_features(x), pre_logits=True)
    torch.testing.assert_close(loss, F.mse_loss(kd.projection(s_feat), t_feat), rtol=1e-5, atol=1e-6)
    loss.backward()
    assert kd.projection.weight.grad is not None and kd.trainable_parameters()


def _summary_csv(path: Path, epochs: int = 3) -> Path:
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['epoch', 'train_loss', 'train_num_unreadable', 'eval_loss', 'eval_top1', 'eval_top5', 'lr'])
        for e in range(epochs):
            w.writerow([e, 2 - e * 0.5, 0, 1.8 - e * 0.4, 30 + 20 * e, 60 + 15 * e, 0.1 / (e + 1)])
    return path


def test_training_curves_png(tmp_path: Path) -> None:
    pytest.importorskip('matplotlib')
    from PIL import Image

    from zoo.utils.plot_summary import main, plot_summary
    csv_path = _summary_csv(tmp_path / 'summary.csv')
    png, fig = plot_summary(str(csv_path))
    assert png == str(tmp_path / 'summary.png') and len(fig.axes) == 3
    assert [len(ax.lines) for ax in fig.axes] == [2, 2, 1]
    assert list(fig.axes[1].lines[0].get_ydata()) == [30., 50., 70.]
    with Image.open(png) as im:
        assert im.format == 'PNG' and 800 <= im.width <= 2000 and 250 <= im.height <= 600
    (tmp_path / 'summary.png').unlink()
    assert main([str(tmp_path)]) == 0 and (tmp_path / 'summary.png').stat().st_size > 10_000


def test_missing_matplotlib_is_reported_not_fatal(tmp_path: Path, monkeypatch, caplog) -> None:
    from zoo.utils.plot_summary import try_plot_summary
    monkeypatch.setitem(sys.modules, 'matplotlib', None)  # import matplotlib now raises ImportError
    with caplog.at_level(logging.INFO):
        assert try_plot_summary(str(_summary_csv(tmp_path / 'summary.csv'))) is None
    assert 'pip install matplotlib' in caplog.text and not (tmp_path / 'summary.png').exists()


def test_benchmark_plot_from_csv(tmp_path: Path) -> None:
    pytest.importorskip('matplotlib')
    import benchmark
    from PIL import Image

    from zoo.utils.plot_summary import plot_benchmark
    rows = 'model,mode,batch_size,precision,samples_per_sec,pct_of_peak\nresnet50,inference,8,float32,38.3,67.2\n' \
           'vit_small,inference,8,float32,22.6,41.2\nbroken,inference,,,,\n'
    (tmp_path / 'b.csv').write_text(rows)  # the last row failed: no figures, drawn as an empty bar
    png, fig = plot_benchmark(str(tmp_path / 'b.csv'))
    assert len(fig.axes) == 2
    assert [p.get_width() for p in fig.axes[0].patches] == [38.3, 22.6, 0.0]
    assert [p.get_width() for p in fig.axes[1].patches] == [67.2, 41.2, 0.0]
    Path(png).unlink()
    assert benchmark.main(['--plot-from', str(tmp_path / 'b.csv')]) == 0
    with Image.open(tmp_path / 'b.png') as im:
        assert im.width > 500 and im.height > 150
    with pytest.raises(SystemExit):
        benchmark.main(['--plot'])  # needs a CSV results file to chart


@pytest.mark.parametrize('target', ['soft', 'hard'])
def test_token_distillation_trains_each_head_on_its_target(target: str) -> None:
    import zoo
    from zoo.loss import DistillationLoss, DistillationTeacher
    torch.manual_seed(0)
    student = zoo.create_model('deit_tiny_distilled_patch16_224', img_size=32, num_classes=10)
    teacher_net = zoo.create_model('resnet10t', num_classes=10)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    kd = DistillationLoss(DistillationTeacher(teacher_net, mean, std, mean, std), student, distill_type='token',
                          temperature=2.0, task_weight=0.4, token_target=target)
    x, y = torch.randn(3, 3, 32, 32), torch.tensor([1, 7, 3])
    out = student.train()(x)
    loss = kd(x, out, F.cross_entropy(kd.task_output(out), y))
    # reference: DeiT's scheme on the two heads, computed directly
    cls_logits, dist_logits = student.forward_head_distilled(student.forward_features(x))
    torch.testing.assert_close(out, (cls_logits + dist_logits) / 2)
    with torch.no_grad():
        t_logits = teacher_net.eval()(x)
    if target == 'soft':
        p_t = F.softmax(t_logits / 2, dim=-1)
        distill = (p_t * (p_t.log() - F.log_softmax(dist_logits / 2, dim=-1))).sum(-1).mean() * 4
    else:
        distill = F.cross_entropy(dist_logits, t_logits.argmax(-1))
    torch.testing.assert_close(loss, 0.4 * F.cross_entropy(cls_logits, y) + 0.6 * distill, rtol=1e-5, atol=1e-6)


def test_token_distillation_needs_a_distillation_head() -> None:
    import zoo
    from zoo.loss import DistillationLoss, DistillationTeacher
    teacher = DistillationTeacher(zoo.create_model('resnet10t', num_classes=10), (0.5,) * 3, (0.5,) * 3, (0.5,) * 3,
                                  (0.5,) * 3)
    with pytest.raises(ValueError, match='distillation head.*--kd-distill-type logit'):
        DistillationLoss(teacher, zoo.create_model('resnet10t', num_classes=10), distill_type='token')
