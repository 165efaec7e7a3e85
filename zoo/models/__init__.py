"""Model registry, factory and builder. Family modules (resnet, ...) are imported lazily by the registry."""
from zoo.models._builder import build_model_with_cfg, load_pretrained, no_init, resolve_pretrained_cfg
from zoo.models._factory import create_model, parse_model_name
from zoo.models._fuse import fold_bn_into_conv, fuse_bn
from zoo.models._inference import InferenceModel, cpu_has_native_bf16, optimize_for_inference, quantize_int8
from zoo.models._features import (
    FeatureDictNet,
    FeatureGetterNet,
    FeatureHookNet,
    FeatureInfo,
    FeatureListNet,
    feature_take_indices,
)
from zoo.models._features_fx import FeatureGraphNet, register_notrace_function, register_notrace_module
from zoo.models._helpers import (
    CorruptCheckpointError,
    StateDictMismatchError,
    clean_state_dict,
    load_checkpoint,
    load_state_dict,
    load_state_dict_checked,
)
from zoo.models._hub import (
    WeightsUnavailableError,
    load_model_config_from_hf,
    load_model_config_from_path,
    push_to_hub,
    save_for_hf,
    verify_hub_file,
)
from zoo.models._manipulate import adapt_input_conv, checkpoint_seq, named_apply
from zoo.models._reparam import reparameterize_model
from zoo.models._pretrained import DefaultCfg, PretrainedCfg, generate_default_cfgs, split_model_name_tag
from zoo.models._registry import (
    UnknownModelError,
    get_arch_name,
    get_arch_pretrained_cfgs,
    get_deprecated_models,
    get_pretrained_cfg,
    get_pretrained_cfg_value,
    is_model,
    is_model_pretrained,
    list_models,
    list_modules,
    list_pretrained,
    model_entrypoint,
    register_model,
    register_model_deprecations,
)
from zoo.models._weights_info import (
    WeightsInfo,
    export_checkpoint_weights,
    read_weights_info,
    save_safetensors_weights,
)
