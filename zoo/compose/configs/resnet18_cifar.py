"""ResNet-18 for 32x32 CIFAR-10 images: 3x3 stride-1 stem, no max-pool, global average pooling, linear head.

Registered as the zoo model ``composed_resnet18_cifar``. Training recipe: SGD with momentum, cosine
decay over 200 epochs after a 1-epoch warmup; at batch 128 this is the usual CIFAR ResNet baseline.
"""

model_cfg = dict(
    backbone=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3,), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=512,
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
