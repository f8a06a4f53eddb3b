from pathlib import Path

import numpy as np
import pytest
import torch

from pairstudy.data import DataSourceError, generate_pair_sets, load_pools, read_idx
from pairstudy.data.mnist_download import load_torchvision
from tests.helpers import ensure_debian_package

FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def pools():
    return load_pools("mnist5k")


def test_mnist5k_split_is_stratified_and_disjoint(pools):
    assert pools.train_images.shape == (2500, 28, 28) and pools.test_images.shape == (2500, 28, 28)
    assert np.bincount(pools.train_classes).tolist() == [250] * 10
    assert np.bincount(pools.test_classes).tolist() == [250] * 10
    train = {image.tobytes() for image in pools.train_images}
    test = {image.tobytes() for image in pools.test_images}
    # the embedded set holds a few exact duplicate images; the pools share none of the same file rows
    assert len(train & test) <= 5


def test_pools_are_fixed(pools):
    # a fixed rule, not a random draw: the first train digit of each class is that class's first row
    assert pools.train_classes[0] == 0 and pools.train_classes[-1] == 9
    assert int(pools.train_images.sum()) == int(load_pools.__wrapped__("mnist5k").train_images.sum())


def test_pairs_shapes_and_target(pools):
    sets = generate_pair_sets(100, 0, pools)
    assert sets.train.input.shape == (100, 2, 14, 14) and sets.test.input.shape == (100, 2, 14, 14)
    assert sets.train.classes.shape == (100, 2)
    assert torch.equal(sets.train.target, (sets.train.classes[:, 0] <= sets.train.classes[:, 1]).long())


def test_same_seed_same_pairs_other_seed_other_pairs(pools):
    first, again, other = (generate_pair_sets(200, seed, pools) for seed in (3, 3, 4))
    assert torch.equal(first.train.input, again.train.input) and torch.equal(first.test.classes, again.test.classes)
    assert not torch.equal(first.train.input, other.train.input)


def test_normalisation_uses_training_statistics(pools):
    raw = generate_pair_sets(300, 1, pools, normalize=False)
    normalised = generate_pair_sets(300, 1, pools)
    mean, std = raw.train.input.mean(), raw.train.input.std()
    assert torch.allclose(normalised.train.input, (raw.train.input - mean) / std)
    assert torch.allclose(normalised.test.input, (raw.test.input - mean) / std)
    assert abs(normalised.train.input.mean().item()) < 1e-5


def test_too_many_pairs_is_a_clear_error(pools):
    with pytest.raises(ValueError, match="at most 1250"):
        generate_pair_sets(1300, 0, pools)


def test_idx_reader_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 0x08, 3]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    (tmp_path / "x-idx3-ubyte").write_bytes(header + array.tobytes())
    assert np.array_equal(read_idx(tmp_path / "x-idx3-ubyte"), array)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataSourceError, match="bad magic"):
        read_idx(tmp_path / "bad")


def test_idx_source_reads_real_fashion_mnist():
    ensure_debian_package("dataset-fashion-mnist", FASHION / "t10k-labels-idx1-ubyte.gz")
    pools = load_pools("idx", str(FASHION))
    assert pools.train_images.shape == (60000, 28, 28) and pools.test_images.shape == (10000, 28, 28)
    assert np.bincount(pools.test_classes).tolist() == [1000] * 10
    sets = generate_pair_sets(1000, 0, pools)
    assert sets.train.input.shape == (1000, 2, 14, 14)


def test_idx_source_names_missing_files(tmp_path):
    with pytest.raises(DataSourceError, match="train-images-idx3-ubyte"):
        load_pools("idx", str(tmp_path))


def test_offline_torchvision_failure_names_offline_sources(tmp_path, monkeypatch):
    class Failing:
        def MNIST(self, *args, **kwargs):
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    import sys
    import types

    fake = types.ModuleType("torchvision")
    fake.datasets = Failing()
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    with pytest.raises(DataSourceError, match="mnist5k") as error:
        load_torchvision(tmp_path)
    assert "idx" in str(error.value)


def test_unknown_source_lists_sources():
    with pytest.raises(DataSourceError, match="mnist5k, idx, torchvision"):
        load_pools("nope")
