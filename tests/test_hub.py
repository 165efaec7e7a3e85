"""Pretrained loading: local HTTP hub (HF_ENDPOINT), offline cache, files, URLs, local-dir, safety and adaptation."""
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
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


_INTEGRITY = '''
import json, zoo
from pathlib import Path

def load(**overlay):
    try:
        m = zoo.create_model('resnet10t', pretrained=True, cache_dir={cache!r}, pretrained_cfg_overlay=overlay or None)
        return float(m.fc.weight.sum())
    except RuntimeError as e:
        return str(e)

out = {{'good': load(), 'bad_download': load(hf_hub_id='someone/bad-copy')}}
blob = next(Path({cache!r}).glob('models--timm--resnet10t.c3_in1k/blobs/*[0-9a-f]'))
data = bytearray(blob.read_bytes())
data[-64:] = bytes(64)  # a damaged tail: the header still parses, the last tensor's values change
blob.write_bytes(bytes(data))
out['altered'] = load()
out['blob'] = str(blob)
print(json.dumps(out))
'''


def test_hub_weights_are_checked_against_the_published_sha256(tmp_path):
    """The HF cache names a blob by the file's sha256 (its LFS ETag): a damaged download or cached copy is
    refused."""
    model = zoo.create_model('resnet10t')
    blob = save(model.state_dict())
    damaged = blob[:-64] + bytes(64)
    repos = {'timm/resnet10t.c3_in1k': {'model.safetensors': blob},
             'someone/bad-copy': {'model.safetensors': damaged}}
    with HubServer(repos, published={'someone/bad-copy': {'model.safetensors': blob}}) as hub:
        out = json.loads(_run(_INTEGRITY.format(cache=str(tmp_path / 'cache')), dict(HF_ENDPOINT=hub.url)))
    assert out['good'] == pytest.approx(model.fc.weight.sum().item(), rel=1e-6)
    for case in ('altered', 'bad_download'):
        msg = out[case]
        assert isinstance(msg, str), f'{case}: damaged weights were loaded'
        assert 'model.safetensors' in msg and 'is corrupt' in msg and 'force_download=True' in msg
    assert 'timm/resnet10t.c3_in1k' in out['altered'] and out['blob'] in out['altered']
    assert 'someone/bad-copy' in out['bad_download'] and hashlib.sha256(blob).hexdigest() in out['bad_download']


def test_hub_file_is_hashed_once_until_its_blob_changes(tmp_path, monkeypatch):
    from huggingface_hub import hf_hub_download
    from zoo.models import _hub
    content = save({'w': torch.arange(1000.)})
    with HubServer({'org/files': {'model.safetensors': content}}) as hub:
        weights = hf_hub_download('org/files', 'model.safetensors', cache_dir=tmp_path, endpoint=hub.url)
    hashed = []
    digest = _hub._file_digest
    monkeypatch.setattr(_hub, '_file_digest', lambda *a: hashed.append(a) or digest(*a))
    assert zoo.models.verify_hub_file(weights, 'org/files') and len(hashed) == 1
    assert zoo.models.verify_hub_file(weights, 'org/files') and len(hashed) == 1  # remembered by the marker
    blob = Path(os.path.realpath(weights))
    assert blob.name == hashlib.sha256(content).hexdigest() and Path(f'{blob}.zoo-verified').is_file()
    blob.write_bytes(content[:-4] + b'\0\0\0\1')  # same size, new mtime: checked again, and refused
    with pytest.raises(zoo.models.CorruptCheckpointError, match='published ' + blob.name):
        zoo.models.verify_hub_file(weights, 'org/files')
    assert len(hashed) == 2
    # outside the symlinked cache layout there is no published hash: nothing is claimed
    assert not zoo.models.verify_hub_file(tmp_path / 'plain.safetensors')


def test_hub_file_stored_in_git_is_checked_against_its_git_blob_id(tmp_path):
    """A small file kept in git (not LFS) has the git blob sha1 as ETag, so its cached blob is named by it."""
    content = save({'w': torch.ones(3)})
    git_id = hashlib.sha1(b'blob %d\0' % len(content) + content).hexdigest()
    repo = tmp_path / 'models--org--small'
    (repo / 'blobs').mkdir(parents=True)
    (repo / 'snapshots' / 'c0ffee').mkdir(parents=True)
    (repo / 'blobs' / git_id).write_bytes(content)
    link = repo / 'snapshots' / 'c0ffee' / 'model.safetensors'
    link.symlink_to(Path('..', '..', 'blobs', git_id))
    assert zoo.models.verify_hub_file(link, 'org/small')
    (repo / 'blobs' / git_id).write_bytes(content + b' ')
    with pytest.raises(zoo.models.CorruptCheckpointError, match='git blob sha1'):
        zoo.models.verify_hub_file(link, 'org/small')


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')


def test_offline_url_weights_use_the_cache_or_fail_clearly(tmp_path, offline):
    url = zoo.get_pretrained_cfg('legacy_seresnet18').url
    with pytest.raises(zoo.models.WeightsUnavailableError) as e:
        zoo.create_model('legacy_seresnet18', pretrained=True, cache_dir=str(tmp_path))
    msg = str(e.value)
    assert 'legacy_seresnet18' in msg and url in msg and 'HF_HUB_OFFLINE is set' in msg and str(tmp_path) in msg
    # a cached copy is used without any network access
    ref = zoo.create_model('legacy_seresnet18', num_classes=1000)
    torch.save(ref.state_dict(), tmp_path / os.path.basename(url))
    m = zoo.create_model('legacy_seresnet18', pretrained=True, cache_dir=str(tmp_path))
    assert torch.equal(m.last_linear.weight, ref.last_linear.weight)


def test_offline_hf_hub_name_gets_the_same_message(tmp_path, offline):
    with pytest.raises(zoo.models.WeightsUnavailableError) as e:
        zoo.create_model('hf-hub:someone/not-cached', cache_dir=str(tmp_path))
    msg = str(e.value)
    assert "'someone/not-cached'" in msg and 'config.json' in msg and 'HF_HUB_OFFLINE is set' in msg


_UNREACHABLE = '''
import json, time, zoo
out = {}
for name in ('resnet18', 'hf-hub:someone/my-model', 'resnet10t'):
    start = time.monotonic()
    try:
        m = zoo.create_model(name, pretrained=True)
        out[name] = ['loaded', float(m.fc.weight.sum())]
    except zoo.models.WeightsUnavailableError as e:
        out[name] = [str(e)]
    out[name].append(time.monotonic() - start)
print(json.dumps(out))
'''


def test_unreachable_hub_fails_fast_or_uses_the_cache(tmp_path):
    """No network and no offline flag: one short probe instead of ~25 s of retries per file."""
    from huggingface_hub import hf_hub_download
    cached = zoo.create_model('resnet10t')
    with HubServer({'timm/resnet10t.c3_in1k': {'model.safetensors': save(cached.state_dict())}}) as hub:
        hf_hub_download('timm/resnet10t.c3_in1k', 'model.safetensors', cache_dir=tmp_path / 'hub', endpoint=hub.url)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    out = json.loads(_run(_UNREACHABLE, dict(HF_ENDPOINT=f'http://127.0.0.1:{port}', HF_HOME=str(tmp_path))))
    for name in ('resnet18', 'hf-hub:someone/my-model'):
        msg, elapsed = out[name]
        assert elapsed < 15, f'{name} took {elapsed:.1f} s to fail'
        assert f'127.0.0.1:{port} cannot be reached' in msg and 'HF_HUB_OFFLINE=1' in msg
    assert "'timm/resnet18.a1_in1k'" in out['resnet18'][0] and "'someone/my-model'" in out['hf-hub:someone/my-model'][0]
    status, total, elapsed = out['resnet10t']
    assert status == 'loaded' and total == pytest.approx(cached.fc.weight.sum().item(), rel=1e-6) and elapsed < 15


def test_silent_hub_endpoint_counts_as_unreachable_after_the_timeout(monkeypatch):
    """A server that accepts connections but never answers (a black-holed route) is given up on after one timeout."""
    from huggingface_hub import constants
    from zoo.models import _hub
    with socket.socket() as server:
        server.bind(('127.0.0.1', 0))
        server.listen(8)  # connections complete in the kernel backlog; nothing ever reads or answers them
        endpoint = f'http://127.0.0.1:{server.getsockname()[1]}'
        monkeypatch.setattr(constants, 'ENDPOINT', endpoint)
        monkeypatch.setattr(_hub, '_probes', {})
        start = time.monotonic()
        reason = _hub._hub_unreachable()
        elapsed = time.monotonic() - start
    assert reason is not None and f'{endpoint} cannot be reached' in reason and 'Timeout' in reason
    assert _hub.NETWORK_TIMEOUT - 0.5 < elapsed < _hub.NETWORK_TIMEOUT + 5
    assert _hub._hub_unreachable() == reason  # remembered: the next file does not wait again
