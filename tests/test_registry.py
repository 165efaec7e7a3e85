"""Registry behaviour: listing, wildcards, tags, cfgs (checked against timm's), lazy import, errors."""
import json
import subprocess
import sys

import pytest

import zoo
from zoo.models import _registry
from zoo.models._pretrained import PretrainedCfg, generate_default_cfgs, split_model_name_tag

timm = pytest.importorskip('timm', reason='timm (the reference oracle) comes with the test extra')


def test_wildcard_filters_and_natural_sort():
    names = zoo.list_models('resnet*')
    assert 'resnet50' in names and 'resnet101' in names
    # natural order: resnet18 < resnet26 < resnet50 < resnet101 (string sort would put 101 first)
    idx = [names.index(n) for n in ('resnet18', 'resnet26', 'resnet50', 'resnet101', 'resnet152')]
    assert idx == sorted(idx)
    assert all(n.startswith('resnet') for n in names)
    both = zoo.list_models(['resnet1*', 'seresnet*'])
    assert set(both) == {n for n in zoo.list_models() if n.startswith(('resnet1', 'seresnet'))}
    no_d = zoo.list_models('resnet*', exclude_filters=['*d', '*t'])
    assert 'resnet50' in no_d and 'resnet50d' not in no_d and 'resnet10t' not in no_d


def test_design_card_wildcard_matches_fnmatch():
    import fnmatch
    everything = zoo.list_models()
    assert zoo.list_models('*resne*t*') == [n for n in everything if fnmatch.fnmatchcase(n, '*resne*t*')]
    assert {'resnet50', 'seresnet34', 'resnext50_32x4d', 'ecaresnet50d'} <= set(zoo.list_models('*resne*t*'))


def test_module_filter_and_list_modules():
    assert 'resnet' in zoo.list_modules()
    resnets = zoo.list_models(module='resnet')
    assert 'wide_resnet50_2' in resnets and 'resnet18_cifar' in resnets
    assert set(resnets) <= set(zoo.list_models())


def test_pretrained_listing_and_tags():
    tags = zoo.list_models('resnet50.*', pretrained=True)
    assert 'resnet50.a1_in1k' in tags and 'resnet50.tv_in1k' in tags
    assert zoo.list_pretrained('resnet50.a1*') == ['resnet50.a1_in1k', 'resnet50.a1h_in1k']
    # an architecture with no weights anywhere is not pretrained; its untrained tag is listed without weights
    assert 'resnet50t' not in zoo.list_models('resnet50t', pretrained=True)
    assert 'resnet18_cifar' not in zoo.list_models(pretrained=True)
    assert 'resnet50t.untrained' in zoo.list_models('resnet50t*', include_tags=True)


def test_first_tag_is_default_and_hub_ids():
    cfg = zoo.get_pretrained_cfg('resnet50')
    assert cfg.tag == 'a1_in1k' and cfg.hf_hub_id == 'timm/resnet50.a1_in1k'
    tv = zoo.get_pretrained_cfg('resnet50.tv_in1k')
    assert tv.interpolation == 'bilinear' and tv.hf_hub_id == 'timm/resnet50.tv_in1k'
    with pytest.raises(RuntimeError, match='no pretrained tag'):
        zoo.get_pretrained_cfg('resnet50.nope_in1k')


def test_split_and_arch_name():
    assert split_model_name_tag('resnet50.a1_in1k') == ('resnet50', 'a1_in1k')
    assert split_model_name_tag('resnet50') == ('resnet50', '')
    assert zoo.models.get_arch_name('vit_base_patch16_224.augreg_in21k') == 'vit_base_patch16_224'


def test_is_model_and_entrypoint():
    assert zoo.is_model('resnet50') and zoo.is_model('resnet50.a1_in1k')
    assert not zoo.is_model('resnet51')
    assert zoo.model_entrypoint('resnet18.a1_in1k').__name__ == 'resnet18'


def test_unknown_model_suggests_close_names():
    with pytest.raises(zoo.models.UnknownModelError) as e:
        zoo.create_model('resnt50')
    msg = str(e.value)
    assert "'resnt50'" in msg and 'resnet50' in msg and 'list_models' in msg


def test_duplicate_registration_refused():
    def resnet50(pretrained=False, **kwargs):
        return None
    resnet50.__module__ = 'zoo.models.resnet'
    with pytest.raises(ValueError, match='already registered'):
        _registry.register_model(resnet50)


def test_generate_default_cfgs_expands_hub_shorthand_and_refuses_duplicates():
    cfgs = generate_default_cfgs({'toy.a_in1k': dict(hf_hub_id='org/'), 'toy.b': dict(url='http://x/w.pth')})
    assert cfgs['toy'].tags[0] == 'a_in1k'
    assert cfgs['toy'].cfgs['a_in1k'].hf_hub_id == 'org/toy.a_in1k'
    assert cfgs['toy'].is_pretrained
    assert isinstance(cfgs['toy'].default, PretrainedCfg)


def test_index_is_fresh():
    """The committed _index.json must describe the current families (regenerate: python -m zoo.models._registry)."""
    stored = json.loads(_registry._INDEX_PATH.read_text())
    # built in a fresh interpreter: other tests in this process register extra models at run time
    code = 'import json; from zoo.models import _registry; print(json.dumps(_registry.build_index()))'
    fresh = json.loads(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout)
    assert stored == fresh, (
        'zoo/models/_index.json is stale: run `python -m zoo.models._registry` and commit it')


def test_representative_table_covers_every_module():
    """The registry-wide tests take each family's representative from tests/representatives.json (see _sample.py):
    a module missing from it, or an entry naming a model of another module, means the table is stale."""
    from _sample import representative_table
    table = representative_table()
    stale = {m: table.get(m) for m in zoo.list_modules() if table.get(m) not in zoo.list_models(module=m)}
    assert not stale, f'{stale}: run python tests/_sample.py to refresh tests/representatives.json'


def test_import_is_lazy():
    """`import zoo` imports no model family, no torchvision and no huggingface_hub; listing imports none either."""
    code = (
        'import sys, zoo; names = zoo.list_models("*resne*t*"); '
        'bad = [m for m in sys.modules if m.startswith(("zoo.models.resnet", "torchvision", "huggingface_hub", '
        '"zoo.data"))]; print(len(names), bad)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split(' ', 1)
    assert int(out[0]) > 30
    assert out[1].strip() == '[]'
    code = 'import sys, zoo; zoo.create_model("resnet18"); print(sorted(m for m in sys.modules if m.startswith("zoo.models.") and not m.split(".")[-1].startswith("_")))'
    imported = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip()
    assert imported == "['zoo.models.resnet']"


_CFG_FIELDS = ('hf_hub_id', 'input_size', 'test_input_size', 'interpolation', 'crop_pct', 'test_crop_pct',
               'crop_mode', 'mean', 'std', 'num_classes', 'first_conv', 'classifier', 'fixed_input_size', 'pool_size',
               'license')


def _timm_cfg_value(cfg, key):
    value = getattr(cfg, key, None)
    if key == 'hf_hub_id' and value == 'timm/':
        value = f'timm/{cfg.architecture}.{cfg.tag}'
    return tuple(value) if isinstance(value, list) else value


def test_pretrained_tags_match_timm_in_order():
    """Every architecture timm also has lists the same tags in the same order, so the default (first) tag agrees."""
    from timm.models._registry import _model_default_cfgs as timm_default_cfgs
    problems = []
    for arch in zoo.list_models():
        if arch not in timm_default_cfgs:
            continue
        ours = [split_model_name_tag(n)[1] for n in zoo.models.get_arch_pretrained_cfgs(arch)]
        if ours != list(timm_default_cfgs[arch].tags):
            problems.append(f'{arch}: zoo {ours} timm {list(timm_default_cfgs[arch].tags)}')
    assert not problems, '\n'.join(problems[:20])


def test_pretrained_cfgs_match_timm():
    """Every zoo tag timm also has: same Hub repo and preprocessing (timm is the oracle for these facts)."""
    from timm.models import get_pretrained_cfg as timm_cfg
    checked, problems = 0, []
    for name in zoo.list_models(include_tags=True):
        arch, tag = split_model_name_tag(name)
        if not tag or not timm.is_model(arch):
            continue
        try:
            ref = timm_cfg(name)
        except RuntimeError:
            continue
        if ref is None or not (ref.hf_hub_id or ref.url):
            continue  # tags without weights carry no preprocessing facts worth comparing
        ours = zoo.get_pretrained_cfg(name)
        for key in _CFG_FIELDS:
            a, b = getattr(ours, key), _timm_cfg_value(ref, key)
            if key == 'fixed_input_size':
                a, b = bool(a), bool(b)
            if key == 'crop_mode' and b is None:
                b = 'center'
            if key == 'hf_hub_id' and not b:
                a = a or None
            if a != b and not (a is None and b is None):
                problems.append(f'{name}.{key}: zoo {a!r} timm {b!r}')
        checked += 1
    assert checked >= 100
    assert not problems, '\n'.join(problems[:30])
