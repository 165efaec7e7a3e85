"""Data pipeline: datasets and readers, transforms and augmentation, samplers and the prefetching loader.

Names follow timm's ``timm.data`` so training / inference scripts read the same.
"""
from zoo.constants import (
    DEFAULT_CROP_MODE,
    DEFAULT_CROP_PCT,
    IMAGENET_DEFAULT_MEAN,
    IMAGENET_DEFAULT_STD,
    IMAGENET_DPN_MEAN,
    IMAGENET_DPN_STD,
    IMAGENET_INCEPTION_MEAN,
    IMAGENET_INCEPTION_STD,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
)
from zoo.data.auto_augment import (
    AugMixAugment,
    AutoAugment,
    RandAugment,
    augment_and_mix_transform,
    auto_augment_policy,
    auto_augment_transform,
    rand_augment_ops,
    rand_augment_transform,
)
from zoo.data.config import resolve_data_config, resolve_model_data_config
from zoo.data.dataset import (
    AugMixDataset,
    ImageDataset,
    UnreadableImage,
    check_num_classes,
    class_names_by_index,
    convert_image_mode,
    create_reader,
    num_classes_needed,
)
from zoo.data.dataset_factory import create_dataset, shared_class_names
from zoo.data.distributed_sampler import OrderedDistributedSampler, RepeatAugSampler
from zoo.data.imagenet_info import ImageNetInfo, infer_imagenet_subset
from zoo.data.iterable import IterableImageDataset, IterableReader, ReaderWds
from zoo.data.loader import Batch, PrefetchLoader, SkipUnreadableCollate, create_loader, fast_collate, unreadable_in
from zoo.data.mixup import FastCollateMixup, Mixup, mixup_target
from zoo.data.random_erasing import RandomErasing
from zoo.data.readers import (
    ReaderDigits,
    ReaderImageFolder,
    ReaderImageTar,
    ReaderTorchVision,
    UnmappedClassesError,
    list_class_names,
    load_class_map,
)
from zoo.data.transforms import (
    CenterCropOrPad,
    MaybePILToTensor,
    MaybeToTensor,
    RandomCropOrPad,
    RandomResizedCropAndInterpolation,
    RandomResizeKeepRatio,
    ResizeKeepRatio,
    ToNumpy,
    str_to_interp_mode,
    str_to_pil_interp,
)
from zoo.data.transforms_factory import TRAIN_CROP_MODES, create_transform

__all__ = [
    'DEFAULT_CROP_MODE', 'DEFAULT_CROP_PCT', 'IMAGENET_DEFAULT_MEAN', 'IMAGENET_DEFAULT_STD', 'IMAGENET_DPN_MEAN',
    'IMAGENET_DPN_STD', 'IMAGENET_INCEPTION_MEAN', 'IMAGENET_INCEPTION_STD', 'OPENAI_CLIP_MEAN', 'OPENAI_CLIP_STD',
    'AugMixAugment', 'AutoAugment', 'RandAugment', 'augment_and_mix_transform', 'auto_augment_policy',
    'auto_augment_transform', 'rand_augment_ops', 'rand_augment_transform',
    'resolve_data_config', 'resolve_model_data_config',
    'AugMixDataset', 'ImageDataset', 'UnreadableImage', 'check_num_classes', 'class_names_by_index',
    'convert_image_mode', 'create_reader',
    'create_dataset', 'num_classes_needed',
    'shared_class_names',
    'OrderedDistributedSampler', 'RepeatAugSampler',
    'ImageNetInfo', 'infer_imagenet_subset',
    'IterableImageDataset', 'IterableReader', 'ReaderWds',
    'Batch', 'PrefetchLoader', 'SkipUnreadableCollate', 'create_loader', 'fast_collate', 'unreadable_in',
    'FastCollateMixup', 'Mixup', 'mixup_target', 'RandomErasing',
    'ReaderDigits', 'ReaderImageFolder', 'ReaderImageTar', 'ReaderTorchVision', 'UnmappedClassesError',
    'list_class_names', 'load_class_map',
    'CenterCropOrPad', 'MaybePILToTensor', 'MaybeToTensor', 'RandomResizedCropAndInterpolation', 'ResizeKeepRatio',
    'RandomCropOrPad', 'RandomResizeKeepRatio', 'ToNumpy', 'str_to_interp_mode', 'str_to_pil_interp',
    'create_transform', 'TRAIN_CROP_MODES',
]
