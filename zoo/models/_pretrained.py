"""Typed metadata about pretrained weights: where they live, how inputs were preprocessed, what they score."""
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Deque, Dict, List, Optional, Tuple, Union

from zoo.constants import DEFAULT_CROP_MODE, DEFAULT_CROP_PCT, IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

__all__ = ['PretrainedCfg', 'DefaultCfg', 'generate_default_cfgs', 'split_model_name_tag']


@dataclass
class PretrainedCfg:
    """One set of pretrained weights for one architecture (`architecture.tag`)."""
    # weight sources, first match wins at load time: state_dict, file, hf_hub_id, url
    url: Optional[Union[str, Tuple[str, str]]] = None
    file: Optional[str] = None
    state_dict: Optional[Dict[str, Any]] = None
    hf_hub_id: Optional[str] = None
    hf_hub_filename: Optional[str] = None
    sha256: Optional[str] = None  # refuse a weight file whose hash differs

    source: Optional[str] = None  # informational: 'timm', 'torchvision', ...
    architecture: Optional[str] = None
    tag: Optional[str] = None
    custom_load: bool = False

    # input / preprocessing
    input_size: Tuple[int, int, int] = (3, 224, 224)
    test_input_size: Optional[Tuple[int, int, int]] = None
    min_input_size: Optional[Tuple[int, int, int]] = None
    fixed_input_size: bool = False
    interpolation: str = 'bicubic'
    crop_pct: float = DEFAULT_CROP_PCT
    test_crop_pct: Optional[float] = None
    crop_mode: str = DEFAULT_CROP_MODE
    mean: Tuple[float, ...] = IMAGENET_DEFAULT_MEAN
    std: Tuple[float, ...] = IMAGENET_DEFAULT_STD

    # head
    num_classes: int = 1000
    label_offset: Optional[int] = None
    label_names: Optional[List[str]] = None
    label_descriptions: Optional[Dict[str, str]] = None

    # model specific
    pool_size: Optional[Tuple[int, ...]] = None
    test_pool_size: Optional[Tuple[int, ...]] = None
    first_conv: Optional[Union[str, Tuple[str, ...]]] = None
    classifier: Optional[Union[str, Tuple[str, ...]]] = None

    # provenance and scores
    license: Optional[str] = None
    description: Optional[str] = None
    origin_url: Optional[str] = None
    paper_name: Optional[str] = None
    paper_ids: Optional[Union[str, Tuple[str, ...]]] = None
    notes: Optional[Tuple[str, ...]] = None
    metrics: Optional[Dict[str, float]] = None

    @property
    def has_weights(self) -> bool:
        return bool(self.url or self.file or self.hf_hub_id or self.state_dict is not None)

    def to_dict(self, remove_source: bool = False, remove_null: bool = True) -> Dict[str, Any]:
        """Plain-dict form (what `model.pretrained_cfg` holds, and what config.json stores)."""
        out = {}
        for k, v in self._asdict_shallow().items():
            if remove_null and v is None:
                continue
            if remove_source and k in ('url', 'file', 'state_dict', 'hf_hub_id', 'hf_hub_filename', 'source'):
                continue
            out[k] = v
        return out

    def _asdict_shallow(self) -> Dict[str, Any]:
        # not dataclasses.asdict: it deep-copies values, and a tensor state_dict must not be copied
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def replace(self, **kwargs) -> 'PretrainedCfg':
        return replace(self, **kwargs)


@dataclass
class DefaultCfg:
    """All pretrained cfgs of one architecture; the first tag is the default one."""
    tags: Deque[str] = field(default_factory=deque)
    cfgs: Dict[str, PretrainedCfg] = field(default_factory=dict)
    is_pretrained: bool = False

    @property
    def default(self) -> PretrainedCfg:
        return self.cfgs[self.tags[0]]

    @property
    def default_with_tag(self) -> Tuple[str, PretrainedCfg]:
        tag = self.tags[0]
        return tag, self.cfgs[tag]


def split_model_name_tag(model_name: str, no_tag: str = '') -> Tuple[str, str]:
    """'resnet50.a1_in1k' -> ('resnet50', 'a1_in1k'); 'resnet50' -> ('resnet50', no_tag)."""
    model_name, *tag_list = model_name.split('.', 1)
    return model_name, (tag_list[0] if tag_list else no_tag)


def generate_default_cfgs(cfgs: Dict[str, Union[Dict[str, Any], PretrainedCfg]]) -> Dict[str, DefaultCfg]:
    """Group a flat `{'arch.tag': cfg}` table into `{'arch': DefaultCfg}`, preserving tag order.

    An `hf_hub_id` ending in '/' (e.g. 'timm/') is completed with the full `arch.tag` name.
    """
    out: Dict[str, DefaultCfg] = {}
    for name, cfg in cfgs.items():
        if isinstance(cfg, dict):
            cfg = PretrainedCfg(**cfg)
        arch, tag = split_model_name_tag(name)
        default_cfg = out.setdefault(arch, DefaultCfg())
        if tag in default_cfg.cfgs:
            raise ValueError(f'Duplicate pretrained cfg {name!r}.')
        updates = dict(architecture=arch, tag=tag or None)
        if cfg.hf_hub_id and cfg.hf_hub_id.endswith('/'):
            # 'timm/' is shorthand for the per-tag repo layout timm publishes: 'timm/<arch>.<tag>'
            updates['hf_hub_id'] = f'{cfg.hf_hub_id}{name}'
        cfg = cfg.replace(**updates)
        default_cfg.tags.append(tag)
        default_cfg.cfgs[tag] = cfg
        default_cfg.is_pretrained = default_cfg.is_pretrained or cfg.has_weights
    return out
