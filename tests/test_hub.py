"""Pretrained loading: local HTTP hub (HF_ENDPOINT), offline cache, files, URLs, local-dir, safety and adaptation."""
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import save, save_file

import zoo
from _parity import fill_random_, timm
from hub_server import HubServer, repo_from_folder

REPO_ROOT = Path(__file__).resolve().parents[1]


def _weights(name: str, seed: int = 0):
    model = fill_random_(timm.create_model(name), seed).eval()
    return model, {k: v.contiguous() for k, v in model.state_dict().items()}


def _run(code: str, env: dict) -> str:
    """Run code in a fresh interpreter (huggingface_hub reads HF_* variables at import)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith('HF_')}
    full_env.update(env, HF_HUB_DISABLE_TELEMETRY='1')
    proc = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], env=full_env, capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


_PROBE = '''
import torch, zoo
torch.manual_seed(0)
m = zoo.create_model({name!r}, pretrained=True{extra}).eval()
x = torch.linspace(-1, 1, 2 * 3 * 64 * 64).reshape(2, 3, 64, 64)
with torch.no_grad():
    print(repr(m(x).sum().item()), repr(m(x)[0, :3].tolist()))
'''


def _expected(model) -> str:
    x = torch.linspace(-1, 1, 2 * 3 * 64 * 64).reshape(2, 3, 64, 64)
    with torch.no_grad():
        out = model(x)
    return out.sum().item(), out[0, :3].tolist()


def _parse(stdout: str):
    total, first = stdout.strip().split(' ', 1)
    return float(total), eval(first)


def test_hub_download_then_offline_cache(tmp_path):
    ref, sd = _weights('resnet18')
    with HubServer({'timm/resnet18.a1_in1k': {'model.safetensors': save(sd)}}) as hub:
        out = _run(_PROBE.format(name='resnet18.a1_in1k', extra=''), dict(HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path)))
        assert ('GET', 'timm/resnet18.a1_in1k/resolve/main/model.safetensors') in hub.requests
    total, first = _parse(out)
    exp_total, exp_first = _expected(ref)
    assert abs(total - exp_total) < 1e-3 and torch.allclose(torch.tensor(first), torch.tensor(exp_first), atol=1e-5)
    # server gone: the cache alone serves it with HF_HUB_OFFLINE=1
    out = _run(_PROBE.format(name='resnet18.a1_in1k', extra=''), dict(HF_HUB_OFFLINE='1', HF_HOME=str(tmp_path)))
    assert _parse(out)[0] == total


def test_hub_falls_back_to_pytorch_model_bin(tmp_path):
    ref, sd = _weights('resnet10t', seed=1)
    buf = io.BytesIO()
    torch.save(sd, buf)
    with HubServer({'timm/resnet10t.c3_in1k': {'pytorch_model.bin': buf.getvalue()}}) as hub:
        out = _run(_PROBE.format(name='resnet10t', extra=''), dict(HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path)))
        fetched = [p for m, p in hub.requests if m == 'GET']
    assert fetched == ['timm/resnet10t.c3_in1k/resolve/main/pytorch_model.bin']
    assert abs(_parse(out)[0] - _expected(ref)[0]) < 1e-3


def test_offline_without_cache_is_a_clear_error(tmp_path):
    code = 'import zoo\ntry:\n    zoo.create_model("resnet18", pretrained=True)\nexcept RuntimeError as e:\n    print(e)'
    out = _run(code, dict(HF_HUB_OFFLINE='1', HF_HOME=str(tmp_path)))
    assert 'HF_HUB_OFFLINE' in out and 'timm/resnet18.a1_in1k' in out


def test_hf_hub_name_with_config_and_revision(tmp_path):
    model = fill_random_(zoo.create_model('resnet14t', num_classes=5), 2).eval()
    zoo.models.save_for_hf(model, tmp_path / 'repo')
    config = json.loads((tmp_path / 'repo' / 'config.json').read_text())
    assert config['architecture'] == 'resnet14t' and config['num_classes'] == 5 and config['num_features'] == 2048
    with HubServer({'someone/my-model': repo_from_folder(tmp_path / 'repo')}) as hub:
        out = _run(_PROBE.format(name='hf-hub:someone/my-model@main', extra=''),
                   dict(HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / 'cache')))
    assert abs(_parse(out)[0] - _expected(model)[0]) < 1e-3


def test_local_dir_round_trip(tmp_path):
    model = fill_random_(zoo.create_model('resnet18', num_classes=3), 3).eval()
    model.pretrained_cfg['label_names'] = ['cat', 'dog', 'bird']
    folder = zoo.models.save_for_hf(model, tmp_path / 'saved')
    assert sorted(p.name for p in folder.iterdir()) == ['config.json', 'model.safetensors']
    loaded = zoo.create_model(f'local-dir:{folder}').eval()
    assert loaded.num_classes == 3 and loaded.pretrained_cfg['label_names'] == ['cat', 'dog', 'bird']
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    with pytest.raises(FileNotFoundError, match='config.json'):
        zoo.create_model(f'local-dir:{tmp_path}')


def test_pretrained_cfg_overlay_file_safetensors_and_pth(tmp_path):
    ref, sd = _weights('resnet26', seed=4)
    save_file(sd, str(tmp_path / 'w.safetensors'))
    torch.save({'state_dict': {f'module.{k}': v for k, v in sd.items()}, 'epoch': 3}, tmp_path / 'ckpt.pth')
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = ref(x)
        for path in ('w.safetensors', 'ckpt.pth'):
            m = zoo.create_model('resnet26', pretrained=True, pretrained_cfg_overlay=dict(file=str(tmp_path / path)))
            assert torch.equal(m.eval()(x), expected), path
            m = zoo.create_model('resnet26', checkpoint_path=str(tmp_path / path))
            assert torch.equal(m.eval()(x), expected), path


def test_checkpoint_prefers_ema(tmp_path):
    _, sd = _weights('resnet18', seed=5)
    _, sd_ema = _weights('resnet18', seed=6)
    torch.save({'state_dict': sd, 'state_dict_ema': sd_ema}, tmp_path / 'ckpt.pth')
    m = zoo.create_model('resnet18', checkpoint_path=str(tmp_path / 'ckpt.pth'))
    assert torch.equal(m.conv1.weight, sd_ema['conv1.weight'])
    plain = zoo.models.load_state_dict(tmp_path / 'ckpt.pth', use_ema=False)
    assert torch.equal(plain['conv1.weight'], sd['conv1.weight'])


def test_url_source(tmp_path):
    ref, sd = _weights('resnet18', seed=7)
    blob = save(sd)
    with HubServer({'files/weights': {'resnet18-abc.safetensors': blob}}) as server:
        url = f'{server.url}/files/weights/resolve/main/resnet18-abc.safetensors'
        m = zoo.create_model('resnet18', pretrained=True, pretrained_cfg_overlay=dict(url=url),
                             cache_dir=str(tmp_path))
    assert (tmp_path / 'resnet18-abc.safetensors').is_file()
    assert torch.equal(m.fc.weight, sd['fc.weight'])


def test_sha256_checked(tmp_path):
    import hashlib
    _, sd = _weights('resnet10t', seed=8)
    path = tmp_path / 'w.safetensors'
    save_file(sd, str(path))
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    zoo.create_model('resnet10t', pretrained=True, pretrained_cfg_overlay=dict(file=str(path), sha256=good))
    with pytest.raises(RuntimeError, match='sha256'):
        zoo.create_model('resnet10t', pretrained=True, pretrained_cfg_overlay=dict(file=str(path), sha256='0' * 64))


def test_torchvision_resnet50_weights_give_torchvision_outputs(tmp_path):
    torchvision = pytest.importorskip('torchvision')
    tv = fill_random_(torchvision.models.resnet50(), 9).eval()
    torch.save(tv.state_dict(), tmp_path / 'resnet50-tv.pth')
    ours = zoo.create_model('resnet50', pretrained=True,
                            pretrained_cfg_overlay=dict(file=str(tmp_path / 'resnet50-tv.pth'))).eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(ours(x), tv(x), atol=1e-5)


def test_mmpretrain_layout_converted(tmp_path):
    _, sd = _weights('resnet18', seed=10)
    mm = {}
    for k, v in sd.items():
        k2 = k.replace('bn1.', 'norm1.', 1) if k.startswith('bn1.') else k
        for i in (1, 2, 3):
            k2 = k2.replace(f'.bn{i}.', f'.norm{i}.')
        mm[('head.' + k2) if k2.startswith('fc.') else ('backbone.' + k2)] = v
    torch.save({'state_dict': mm, 'meta': {'epoch': 1}}, tmp_path / 'mm.pth')
    m = zoo.create_model('resnet18', checkpoint_path=str(tmp_path / 'mm.pth'))
    assert torch.equal(m.layer2[1].bn2.weight, sd['layer2.1.bn2.weight'])


@pytest.mark.parametrize('in_chans', [1, 4])
def test_in_chans_adaptation(tmp_path, in_chans):
    ref, sd = _weights('resnet18', seed=11)
    save_file(sd, str(tmp_path / 'w.safetensors'))
    m = zoo.create_model('resnet18', pretrained=True, in_chans=in_chans,
                         pretrained_cfg_overlay=dict(file=str(tmp_path / 'w.safetensors'))).eval()
    w = sd['conv1.weight']
    if in_chans == 1:
        assert torch.allclose(m.conv1.weight, w.sum(1, keepdim=True))
        gray = torch.randn(2, 1, 64, 64)
        with torch.no_grad():  # a grey image through the summed filters == the RGB net on the replicated image
            assert torch.allclose(m(gray), ref(gray.repeat(1, 3, 1, 1)), atol=1e-4)
    else:
        assert torch.allclose(m.conv1.weight, torch.cat([w, w[:, :1]], 1) * 3 / 4)


def test_num_classes_change_resets_classifier_only(tmp_path):
    _, sd = _weights('resnet18', seed=12)
    save_file(sd, str(tmp_path / 'w.safetensors'))
    m = zoo.create_model('resnet18', pretrained=True, num_classes=7,
                         pretrained_cfg_overlay=dict(file=str(tmp_path / 'w.safetensors')))
    assert m.fc.weight.shape == (7, 512)
    assert torch.equal(m.layer4[1].conv2.weight, sd['layer4.1.conv2.weight'])
    # the new head is freshly initialised (finite, not all zero), not left as uninitialised memory
    assert torch.isfinite(m.fc.weight).all() and m.fc.weight.abs().sum() > 0
    m0 = zoo.create_model('resnet18', pretrained=True, num_classes=0,
                          pretrained_cfg_overlay=dict(file=str(tmp_path / 'w.safetensors')))
    assert m0.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 512)


def test_bad_checkpoint_errors_are_clear(tmp_path):
    _, sd = _weights('resnet18', seed=13)
    del sd['layer1.0.conv1.weight']
    sd['extra.weight'] = torch.zeros(1)
    sd['fc.weight'] = torch.zeros(10, 512)
    save_file(sd, str(tmp_path / 'bad.safetensors'))
    with pytest.raises(zoo.models.StateDictMismatchError) as e:
        zoo.create_model('resnet18', checkpoint_path=str(tmp_path / 'bad.safetensors'))
    msg = str(e.value)
    assert 'layer1.0.conv1.weight' in msg and 'extra.weight' in msg and 'fc.weight: checkpoint (10, 512)' in msg
    with pytest.raises(FileNotFoundError, match='No checkpoint file'):
        zoo.create_model('resnet18', checkpoint_path=str(tmp_path / 'missing.pth'))


class _Payload:
    def __reduce__(self):
        return (print, ('pickled code ran',))


def test_pickled_code_is_never_executed(tmp_path, capsys):
    torch.save({'state_dict': {'x': torch.zeros(1)}, 'evil': _Payload()}, tmp_path / 'evil.pth')
    with pytest.raises(RuntimeError, match='weights_only'):
        zoo.create_model('resnet18', checkpoint_path=str(tmp_path / 'evil.pth'))
    assert 'pickled code ran' not in capsys.readouterr().out


def test_no_weights_is_a_clear_error():
    with pytest.raises(RuntimeError, match='No pretrained weights exist'):
        zoo.create_model('resnet18_cifar', pretrained=True)


def test_push_to_hub_uploads_hub_layout(monkeypatch, tmp_path):
    import huggingface_hub
    uploads = {}

    class FakeApi:
        def __init__(self, token=None):
            pass

        def create_repo(self, repo_id, private=False, exist_ok=True):
            uploads['created'] = repo_id
            return huggingface_hub.RepoUrl(f'https://huggingface.co/{repo_id}')

        def upload_folder(self, repo_id, folder_path, commit_message, revision=None, create_pr=False):
            uploads['files'] = {p.name: p.read_bytes() for p in Path(folder_path).iterdir()}
            uploads['repo'] = repo_id
            return 'commit-url'

    monkeypatch.setattr(huggingface_hub, 'HfApi', FakeApi)
    model = zoo.create_model('resnet10t', num_classes=4)
    assert zoo.models.push_to_hub(model, 'me/resnet10t-test') == 'commit-url'
    assert uploads['created'] == 'me/resnet10t-test' and uploads['repo'] == 'me/resnet10t-test'
    assert set(uploads['files']) == {'config.json', 'model.safetensors'}
    assert json.loads(uploads['files']['config.json'])['architecture'] == 'resnet10t'


def test_load_checkpoint_applies_the_family_filter(tmp_path):
    """A checkpoint loaded after creation (validate.py --checkpoint) is converted like pretrained weights are."""
    _, sd = _weights('resnet18', seed=14)
    mm = {('head.' + k) if k.startswith('fc.') else ('backbone.' + k): v for k, v in sd.items()}
    torch.save({'state_dict': mm}, tmp_path / 'mm.pth')
    model = zoo.create_model('resnet18')
    zoo.models.load_checkpoint(model, tmp_path / 'mm.pth')
    assert torch.equal(model.fc.weight, sd['fc.weight'])
