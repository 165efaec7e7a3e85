#!/usr/bin/env bash
# Distributed training on this node: ./distributed_train.sh NUM_PROC [train.py arguments...]
#
# A thin wrapper over torchrun (one process per GPU, or per CPU share with the gloo backend on CPU-only machines).
# For several nodes call torchrun directly, e.g. on each of 2 nodes with 8 GPUs:
#   torchrun --nnodes 2 --nproc_per_node 8 --node_rank <0|1> --master_addr <node0-host> --master_port 29500 \
#       train.py /data/imagenet --model resnet50 ...
set -euo pipefail
if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 NUM_PROC [train.py arguments...]" >&2
    exit 2
fi
NUM_PROC=$1
shift
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
exec "$PYTHON" -m torch.distributed.run --standalone --nproc_per_node="$NUM_PROC" "$HERE/train.py" "$@"
