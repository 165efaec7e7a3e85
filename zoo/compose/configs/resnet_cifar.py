"""ResNet-18 / 34 / 50 for 32x32 CIFAR-10 images: 3x3 stride-1 stem, no max-pool, global average pooling, linear head.

Registered as the zoo models ``composed_resnet18_cifar``, ``composed_resnet34_cifar`` and ``composed_resnet50_cifar``.
Training recipe: SGD with momentum, cosine decay over 200 epochs after a 1-epoch warmup; at batch 128 this is the usual
CIFAR ResNet baseline.
"""

# variant name -> make() arguments; the variants differ only in depth (and so in the head's input width)
VARIANTS = {f'resnet{depth}_cifar': dict(depth=depth) for depth in (18, 34, 50)}


def make(depth: int) -> dict:
    """The config sections of the depth-``depth`` variant."""
    # basic blocks (18, 34) end at 512 channels, bottlenecks (50+) expand 4x to 2048
    final_channels = 512 if depth < 50 else 2048
    model_cfg = dict(
        backbone=dict(type='ResNet_CIFAR', depth=depth, num_stages=4, out_indices=(3,), style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=final_channels,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5),
        ),
    )
    # CIFAR-10 per-channel statistics of the training set.
    data = dict(
        dataset='torch/cifar10',
        input_size=(3, 32, 32),
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        crop_pct=1.0,
        batch_size=128,
    )
    optimizer = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)
    schedule = dict(type='cosine', epochs=200, warmup_epochs=1, warmup_lr=0.01, min_lr=0.0)
    return dict(model_cfg=model_cfg, data=data, optimizer=optimizer, schedule=schedule)
