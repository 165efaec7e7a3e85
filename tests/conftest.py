"""Shared fixtures: the optional real data beside the repo, and deterministic seeding."""
import logging
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]

# One intra-op thread per test process: the suite runs one xdist worker per core, and on a shared 2-core machine
# oversubscribed threads make small forward passes many times slower. Subprocess tests set OMP_NUM_THREADS too.
torch.set_num_threads(1)
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """The ../shared/data folder (ImageNet samples, digits.npz); skips when this clone does not have it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f'real data folder {SHARED_DATA} is absent (only CI and developer machines have ../shared/data)')
    return SHARED_DATA


@pytest.fixture(scope='session')
def imagenet_samples(shared_data: Path) -> Path:
    path = shared_data / 'imagenet-samples'
    if not path.is_dir():
        pytest.skip(f'{path} is absent')
    return path


@pytest.fixture(autouse=True)
def _seed_and_threads():
    torch.manual_seed(0)
    yield


@pytest.fixture()
def script_logging():
    """Scripts run in process (train.main, validate.main) reset the root logger; put pytest's handlers back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
