"""Pool sizes read cheaply before any job runs, and the check that the pairs fit the pools."""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pairstudy.data import (
    OFFLINE_SOURCES,
    DataSourceError,
    PoolTooSmallError,
    check_pairs_fit,
    generate_pair_sets,
    load_pools,
    pool_sizes,
)
from tests.helpers import ensure_debian_package

FASHION = Path("/usr/share/datasets/fashion-mnist")
REPO = Path(__file__).resolve().parent.parent
load_fresh = load_pools.__wrapped__


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAIRSTUDY_CACHE", str(tmp_path / "cache"))


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_folder(folder: Path, n_train: int, n_test: int, compress: bool = False) -> Path:
    """Four small IDX files in the standard names, optionally gzipped."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(n_train)
    contents = {
        "train-images-idx3-ubyte": generator.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": generator.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(n_test) % 10,
    }
    for name, array in contents.items():
        data = idx_bytes(array)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


def assert_sizes_match_pools(source, root=None):
    pools = load_fresh(source, None if root is None else str(root))
    assert pool_sizes(source, None if root is None else str(root)) == (len(pools.train_images), len(pools.test_images))
    return pools


def test_offline_sources_are_listed():
    assert OFFLINE_SOURCES == ("mnist5k", "idx", "npz")


def test_mnist5k_sizes_match_its_pools():
    pools = assert_sizes_match_pools("mnist5k")
    assert len(pools.train_images) == 2500


def test_fashion_mnist_idx_sizes_match_its_pools():
    ensure_debian_package("dataset-fashion-mnist", FASHION / "t10k-labels-idx1-ubyte.gz")
    assert pool_sizes("idx", str(FASHION)) == (60000, 10000)
    assert_sizes_match_pools("idx", FASHION)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_synthetic_idx_sizes_match_their_pools(tmp_path, compress):
    assert_sizes_match_pools("idx", write_idx_folder(tmp_path / "idx", 37, 12, compress))


def test_npz_sizes_match_their_pools(tmp_path):
    generator = np.random.default_rng(1)
    whole = tmp_path / "whole.npz"
    images = generator.integers(0, 256, (23, 28, 28), dtype=np.uint8)
    np.savez(whole, images=images, labels=generator.integers(0, 10, 23))
    split = tmp_path / "split.npz"
    np.savez(
        split,
        train_images=generator.random((9, 14, 14)),
        train_labels=np.arange(9),
        test_images=generator.random((4, 14, 14)),
        test_labels=np.arange(4),
    )
    assert_sizes_match_pools("npz", whole)
    assert assert_sizes_match_pools("npz", split).image_size == 14


def test_multi_member_gzip_idx_file_is_counted(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", 20, 10, compress=True)
    data = gzip.decompress((folder / "train-images-idx3-ubyte.gz").read_bytes())
    # two gzip members: the trailer records only the last one's length, so the file is counted in full
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(data[:100]) + gzip.compress(data[100:]))
    assert pool_sizes("idx", str(folder)) == (20, 10)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_truncated_idx_file_is_named(tmp_path, compress):
    folder = write_idx_folder(tmp_path / "idx", 20, 10)
    name = "t10k-images-idx3-ubyte"
    data = (folder / name).read_bytes()[:-50]
    if compress:
        (folder / name).unlink()
        name += ".gz"
        data = gzip.compress(data)
    (folder / name).write_bytes(data)
    with pytest.raises(DataSourceError, match="truncated IDX file") as error:
        pool_sizes("idx", str(folder))
    assert str(folder / name) in str(error.value)


def test_truncated_gzip_stream_is_named(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", 20, 10, compress=True)
    path = folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(DataSourceError, match="truncated") as error:
        pool_sizes("idx", str(folder))
    assert str(path) in str(error.value)


def test_idx_file_longer_than_its_header_is_named(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", 20, 10)
    path = folder / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes() + b"\0")
    for read in (pool_sizes, load_fresh):
        with pytest.raises(DataSourceError, match="longer than its header") as error:
            read("idx", str(folder))
        assert str(path) in str(error.value)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("train-images-idx3-ubyte", b"P5 28 28 255\n" + bytes(100), "is not an IDX file"),
        ("train-images-idx3-ubyte.gz", gzip.compress(b"<html>not found</html>"), "is not an IDX file"),
        ("train-images-idx3-ubyte.gz", b"\0\0\x08\x03plain bytes", "is not a gzip file"),
        ("train-images-idx3-ubyte", b"\0\0\x08\x03\0\0", "truncated IDX file"),
        ("train-images-idx3-ubyte", b"\0\0\x07\x03", "unknown IDX element type 0x07"),
    ],
    ids=["not idx", "gzipped non-idx", "not gzip", "header cut", "element type"],
)
def test_non_idx_file_is_named(tmp_path, name, content, message):
    folder = write_idx_folder(tmp_path / "idx", 20, 10)
    (folder / "train-images-idx3-ubyte").unlink()
    (folder / name).write_bytes(content)
    with pytest.raises(DataSourceError, match=message) as error:
        pool_sizes("idx", str(folder))
    assert str(folder / name) in str(error.value)


def test_idx_shape_and_label_count_are_checked_from_headers(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", 20, 10)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(9)))
    with pytest.raises(DataSourceError, match="10 test images but 9 labels"):
        pool_sizes("idx", str(folder))
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((20, 14, 14))))
    with pytest.raises(DataSourceError, match=r"shape \(20, 14, 14\), need N x 28 x 28"):
        pool_sizes("idx", str(folder))


def test_sizes_need_a_known_source_and_a_root():
    with pytest.raises(DataSourceError, match="choose one of mnist5k, idx, torchvision, npz"):
        pool_sizes("nope", None)
    with pytest.raises(DataSourceError, match="set data.root to a folder"):
        pool_sizes("idx", None)


def test_torchvision_sizes_before_and_after_a_download(tmp_path):
    with pytest.raises(DataSourceError) as error:
        pool_sizes("torchvision", str(tmp_path))
    message = str(error.value)
    assert "when a job starts" in message and str(tmp_path) in message
    assert all(f"data.source: {source}" in message for source in OFFLINE_SOURCES)
    # torchvision keeps the extracted IDX files in MNIST/raw under its download folder
    write_idx_folder(tmp_path / "MNIST" / "raw", 30, 16)
    assert pool_sizes("torchvision", str(tmp_path)) == (30, 16)


def test_too_many_pairs_for_mnist5k_names_both_numbers_and_the_pools():
    with pytest.raises(DataSourceError) as error:
        check_pairs_fit("mnist5k", None, 3000, 100)
    message = str(error.value)
    assert "n_pairs=3000" in message and "validation_pairs=100" in message
    assert "train pool has 2500 and the test pool 2500" in message and "'mnist5k'" in message


def test_the_check_and_the_draw_share_one_rule():
    pools = load_pools("mnist5k")
    check_pairs_fit("mnist5k", None, 1200, 50)  # exactly the 2500 train digits
    assert generate_pair_sets(1200, 0, pools, validation=50).validation.input.shape[0] == 50
    check_pairs_fit("mnist5k", None, 1250, 0)
    for n_pairs, validation_pairs in ((1200, 51), (1251, 0)):
        with pytest.raises(PoolTooSmallError):
            check_pairs_fit("mnist5k", None, n_pairs, validation_pairs)
        # still a ValueError when the pairs are drawn, as before
        with pytest.raises(ValueError, match=f"n_pairs={n_pairs} with validation_pairs={validation_pairs}"):
            generate_pair_sets(n_pairs, 0, pools, validation=validation_pairs)


def test_test_pool_limit(tmp_path):
    path = tmp_path / "uneven.npz"
    digits = np.zeros((10, 14, 14), np.uint8)
    np.savez(path, train_images=digits, train_labels=np.arange(10), test_images=digits[:5], test_labels=np.arange(5))
    check_pairs_fit("npz", str(path), 2, 3)
    with pytest.raises(DataSourceError, match="needs 6 distinct train digits and 6 distinct test digits") as error:
        check_pairs_fit("npz", str(path), 3, 0)
    assert str(path) in str(error.value)


def test_sizes_import_neither_torch_nor_pandas(tmp_path):
    script = (
        "import json, sys\n"
        "from pairstudy.data.sources import pool_sizes, check_pairs_fit\n"
        "import pairstudy.data\n"
        "sizes = pool_sizes('mnist5k', None)\n"
        "check_pairs_fit('mnist5k', None, 1000, 100)\n"
        "print(json.dumps([sizes, 'torch' in sys.modules, 'pandas' in sys.modules]))\n"
        "from pairstudy.data import generate_pair_sets\n"
        "assert 'torch' in sys.modules\n"
    )
    environment = {**os.environ, "PAIRSTUDY_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [[2500, 2500], False, False]
