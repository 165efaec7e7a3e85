"""Training utilities: checkpoints, EMA, metrics, clipping, AMP, distributed helpers, logging and the train loop."""
from zoo.utils.amp import MODEL_DTYPES, NativeScaler, resolve_amp, resolve_model_dtype
from zoo.utils.checkpoint import (
    CheckpointSaver,
    atomic_save,
    clean_state_dict,
    find_resume_checkpoint,
    load_state,
    plain_args,
    resume_checkpoint,
    unwrap_model,
)
from zoo.utils.clip_grad import CLIP_MODES, adaptive_clip_grad, dispatch_clip_grad
from zoo.utils.distributed import (
    DEFAULT_DIST_TIMEOUT,
    DistInfo,
    RankTimeoutError,
    broadcast_object,
    convert_sync_batchnorm,
    distribute_bn,
    exit_on_dist_timeout,
    init_distributed_device,
    is_primary,
    reduce_tensor,
    world_info_from_env,
)
from zoo.utils.evaluation import (
    SelectOutputs,
    TestTimeAugment,
    TestTimePoolHead,
    add_eval_model_args,
    apply_test_time_pool,
    checkpoint_files,
    data_config_of_weights,
    fill_from_run_args,
    label_names,
    int8_calibration_batches,
    parse_kv_pairs,
    prepare_eval_model,
    read_run_args,
    read_valid_labels,
    warn_data_config_overrides,
    write_results,
)
from zoo.utils.log import setup_default_logging
from zoo.utils.metrics import AverageMeter, accuracy
from zoo.utils.model_ema import ModelEma, ModelEmaV2, ModelEmaV3
from zoo.utils.progress import ProgressBar, use_progress_bar
from zoo.utils.random import random_seed
from zoo.utils.split_bn import SplitBatchNorm2d, convert_splitbn_model
from zoo.utils.summary import get_outdir, run_output_dir, trim_summary, update_summary
from zoo.utils.train_loop import Runtime, TrainOptions, UnreadableCount, train_one_epoch, validate

__all__ = [
    'AverageMeter', 'CLIP_MODES', 'CheckpointSaver', 'DEFAULT_DIST_TIMEOUT', 'DistInfo', 'ModelEma', 'ModelEmaV2',
    'ModelEmaV3', 'NativeScaler', 'RankTimeoutError', 'Runtime', 'exit_on_dist_timeout',
    'SplitBatchNorm2d', 'TrainOptions', 'accuracy', 'adaptive_clip_grad', 'atomic_save', 'broadcast_object',
    'clean_state_dict', 'convert_sync_batchnorm', 'convert_splitbn_model', 'dispatch_clip_grad', 'distribute_bn',
    'find_resume_checkpoint', 'get_outdir', 'init_distributed_device', 'is_primary', 'load_state', 'plain_args',
    'random_seed', 'reduce_tensor', 'resolve_amp', 'resume_checkpoint', 'run_output_dir', 'setup_default_logging',
    'train_one_epoch', 'trim_summary', 'unwrap_model', 'update_summary', 'validate', 'world_info_from_env',
    'TestTimePoolHead', 'apply_test_time_pool', 'checkpoint_files', 'data_config_of_weights', 'fill_from_run_args',
    'label_names', 'parse_kv_pairs', 'read_run_args', 'warn_data_config_overrides', 'write_results',
    'UnreadableCount', 'MODEL_DTYPES', 'resolve_model_dtype', 'TestTimeAugment', 'add_eval_model_args',
    'int8_calibration_batches', 'prepare_eval_model', 'read_valid_labels', 'ProgressBar', 'use_progress_bar',
    'SelectOutputs',
]
