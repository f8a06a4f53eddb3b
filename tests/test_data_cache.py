"""The mnist5k parser and the per-user cache of its arrays."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pairstudy.data import mnist5k
from pairstudy.data.cache import cache_folder, cache_path, cached_arrays
from pairstudy.data.mnist5k import load_mnist5k, mnist5k_path, parse_mnist5k


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PAIRSTUDY_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def assert_same_pools(first, second):
    for field in ("train_images", "train_classes", "test_images", "test_classes"):
        a, b = getattr(first, field), getattr(second, field)
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_parser_reads_what_pandas_reads():
    table = pd.read_csv(mnist5k_path(), header=None, dtype=np.int64).to_numpy()
    arrays = parse_mnist5k(mnist5k_path())
    assert arrays["images"].dtype == np.uint8 and arrays["classes"].dtype == np.int64
    assert np.array_equal(arrays["images"], table[:, :784].astype(np.uint8).reshape(-1, 28, 28))
    assert np.array_equal(arrays["classes"], table[:, 784])


def test_second_load_comes_from_the_cache_unchanged(cache, monkeypatch):
    first = load_mnist5k()
    entries = list(cache.iterdir())
    assert [entry.suffix for entry in entries] == [".npz"]  # one entry, no temporary file left behind

    def no_parsing(path):
        raise AssertionError("parsed again although the cache holds the arrays")

    monkeypatch.setattr(mnist5k, "parse_mnist5k", no_parsing)
    assert_same_pools(load_mnist5k(), first)
    monkeypatch.setenv("PAIRSTUDY_CACHE", str(cache.parent / "empty"))
    with pytest.raises(AssertionError, match="parsed again"):
        load_mnist5k()


def test_cached_arrays_equal_a_fresh_parse(cache):
    load_mnist5k()
    with np.load(cache_path("mnist_5k", mnist5k_path())) as stored:
        fresh = parse_mnist5k(mnist5k_path())
        assert sorted(stored.files) == ["classes", "images"]
        for name in ("images", "classes"):
            assert stored[name].dtype == fresh[name].dtype and np.array_equal(stored[name], fresh[name])


def test_unwritable_cache_folder_still_loads(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    # a folder below a regular file cannot be created, whoever runs the test
    monkeypatch.setenv("PAIRSTUDY_CACHE", str(blocker / "cache"))
    pools = load_mnist5k()
    assert len(pools.train_images) == 2500 and blocker.read_text() == ""


def test_damaged_entry_is_parsed_again_and_replaced(cache):
    fresh = load_mnist5k()
    entry = cache_path("mnist_5k", mnist5k_path())
    entry.write_bytes(b"half an entry")
    assert_same_pools(load_mnist5k(), fresh)
    with np.load(entry) as stored:
        assert stored["images"].shape == (5000, 28, 28)


def test_a_changed_source_file_is_parsed_again(cache, tmp_path):
    source = tmp_path / "values.txt"
    source.write_text("1")
    calls = []

    def parse():
        calls.append(source.read_text())
        return {"values": np.array([int(source.read_text())])}

    assert cached_arrays("values", source, parse, ("values",))["values"].tolist() == [1]
    assert cached_arrays("values", source, parse, ("values",))["values"].tolist() == [1]
    source.write_text("22")
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    assert cached_arrays("values", source, parse, ("values",))["values"].tolist() == [22]
    assert calls == ["1", "22"]


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("PAIRSTUDY_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "pairstudy"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_folder() == tmp_path / "home" / ".cache" / "pairstudy"
    monkeypatch.setenv("PAIRSTUDY_CACHE", str(tmp_path / "mine"))
    assert cache_folder() == tmp_path / "mine"
