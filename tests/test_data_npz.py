"""The npz source: a user's own digits in a numpy .npz file."""

import zipfile

import numpy as np
import pytest
import torch

from pairstudy.data import DataSourceError, generate_pair_sets, load_pools, pool_sizes
from pairstudy.data.mnist5k import mnist5k_path, parse_mnist5k
from pairstudy.data.npz import load_npz

load_fresh = load_pools.__wrapped__


@pytest.fixture(scope="module")
def mnist5k():
    return parse_mnist5k(mnist5k_path())


@pytest.fixture(scope="module")
def mnist5k_pools():
    return load_fresh("mnist5k")


def pooled_14(images: np.ndarray) -> np.ndarray:
    """2x2 averages as float32: sums of four grey levels divided by 4 are exact, as in the pair pooling."""
    return images.astype(np.float32).reshape(len(images), 14, 2, 14, 2).mean(axis=(2, 4), dtype=np.float32)


def assert_same_pairs(first, second):
    for split in ("train", "test", "validation"):
        a, b = getattr(first, split), getattr(second, split)
        assert (a is None) == (b is None)
        if a is not None:
            assert torch.equal(a.input, b.input) and torch.equal(a.classes, b.classes)
    assert (first.mean, first.std) == (second.mean, second.std)


def test_whole_file_at_28_is_split_and_paired_like_mnist5k(tmp_path, mnist5k, mnist5k_pools):
    path = tmp_path / "digits.npz"
    np.savez(path, images=mnist5k["images"], labels=mnist5k["classes"])
    pools = load_fresh("npz", str(path))
    assert pools.image_size == 28 and pools.name == f"npz:{path}"
    for field in ("train_images", "train_classes", "test_images", "test_classes"):
        assert np.array_equal(getattr(pools, field), getattr(mnist5k_pools, field))
    sets = generate_pair_sets(300, 5, pools, validation=40)
    assert sets.train.input.shape == (300, 2, 14, 14) and sets.validation.input.shape == (40, 2, 14, 14)
    assert_same_pairs(sets, generate_pair_sets(300, 5, mnist5k_pools, validation=40))


def test_14x14_file_is_not_pooled_again(tmp_path, mnist5k_pools):
    path = tmp_path / "small.npz"
    np.savez(
        path,
        train_images=pooled_14(mnist5k_pools.train_images),
        train_labels=mnist5k_pools.train_classes,
        test_images=pooled_14(mnist5k_pools.test_images),
        test_labels=mnist5k_pools.test_classes,
    )
    pools = load_fresh("npz", str(path))
    assert pools.image_size == 14 and pools.train_images.shape == (2500, 14, 14)
    # digits pooled once by hand give exactly the pairs of the 28x28 source they came from
    for normalize in (False, True):
        small = generate_pair_sets(250, 11, pools, normalize=normalize)
        assert small.train.input.shape == (250, 2, 14, 14)
        assert_same_pairs(small, generate_pair_sets(250, 11, mnist5k_pools, normalize=normalize))


def test_explicit_split_keeps_the_pools_as_given(tmp_path):
    generator = np.random.default_rng(0)
    arrays = {
        "train_images": generator.integers(0, 256, (40, 14, 14), dtype=np.uint8),
        "train_labels": generator.integers(0, 10, 40).astype(np.int32),
        "test_images": generator.integers(0, 256, (30, 14, 14), dtype=np.uint8),
        "test_labels": generator.integers(0, 10, 30).astype(np.uint8),
    }
    path = tmp_path / "split.npz"
    np.savez_compressed(path, **arrays)
    pools = load_fresh("npz", str(path))
    assert np.array_equal(pools.train_images, arrays["train_images"]) and pools.train_images.dtype == np.uint8
    assert np.array_equal(pools.test_classes, arrays["test_labels"]) and pools.test_classes.dtype == np.int64
    sets, again = (generate_pair_sets(15, 2, pools, normalize=False) for _ in range(2))
    assert_same_pairs(sets, again)
    assert sets.test.input.shape == (15, 2, 14, 14)
    # unpooled: every channel is one of the stored 14x14 digits
    stored = {image.astype(np.float32).tobytes() for image in arrays["train_images"]}
    assert all(channel.numpy().tobytes() in stored for channel in sets.train.input.reshape(-1, 14, 14))


def test_whole_file_splits_within_each_class(tmp_path):
    labels = np.array([3, 1, 3, 3, 1, 0, 3])
    images = np.arange(len(labels), dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    path = tmp_path / "few.npz"
    np.savez(path, images=images, labels=labels)
    pools = load_npz(path)
    # class by class, even positions within a class train and odd ones test
    assert pools.train_images[:, 0, 0].tolist() == [5, 1, 0, 3] and pools.train_classes.tolist() == [0, 1, 3, 3]
    assert pools.test_images[:, 0, 0].tolist() == [4, 2, 6] and pools.test_classes.tolist() == [1, 3, 3]
    assert pool_sizes("npz", str(path)) == (4, 3)


@pytest.mark.parametrize(
    "convert",
    [
        lambda images: (images / 255).astype(np.float32),
        lambda images: images / 255.0,
        lambda images: images.astype(np.float64),
        lambda images: images.astype(np.int64),
    ],
    ids=["float32 0-1", "float64 0-1", "float64 0-255", "int64 0-255"],
)
def test_pixel_types_give_the_uint8_pairs(tmp_path, mnist5k, mnist5k_pools, convert):
    path = tmp_path / "converted.npz"
    np.savez(path, images=convert(mnist5k["images"]), labels=mnist5k["classes"])
    pools = load_fresh("npz", str(path))
    assert np.array_equal(pools.train_images, mnist5k_pools.train_images)
    assert_same_pairs(generate_pair_sets(100, 1, pools), generate_pair_sets(100, 1, mnist5k_pools))


def digits(n=10, size=28, dtype=np.uint8):
    return np.full((n, size, size), 7, dtype=dtype)


def labels(n=10):
    return np.arange(n) % 10


ERRORS = {
    "missing arrays": ({"images": digits()}, "found 'images'; need arrays 'images' and 'labels'"),
    "nothing usable": ({"x": labels()}, "found 'x'"),
    "both layouts": (
        {
            "images": digits(),
            "labels": labels(),
            "train_images": digits(),
            "train_labels": labels(),
            "test_images": digits(),
            "test_labels": labels(),
        },
        "holds both layouts",
    ),
    "half a split": ({"train_images": digits(), "train_labels": labels()}, "found 'train_images', 'train_labels'"),
    "image shape": ({"images": np.zeros((10, 28, 27), np.uint8), "labels": labels()}, "shape (10, 28, 27)"),
    "image size": ({"images": digits(size=20), "labels": labels()}, "need N x 28 x 28 or N x 14 x 14"),
    "flat images": ({"images": np.zeros((10, 784), np.uint8), "labels": labels()}, "shape (10, 784)"),
    "label shape": ({"images": digits(), "labels": labels()[:, None]}, "'labels' has shape (10, 1)"),
    "lengths differ": ({"images": digits(), "labels": labels(9)}, "'images' holds 10 images but 'labels' 9 labels"),
    "float labels": ({"images": digits(), "labels": labels().astype(float)}, "labels must be integer classes 0-9"),
    "bool images": ({"images": digits(dtype=bool), "labels": labels()}, "has type bool"),
    "object images": ({"images": np.full((10, 28, 28), None, dtype=object), "labels": labels()}, "has type object"),
    "sizes differ": (
        {"train_images": digits(), "train_labels": labels(), "test_images": digits(size=14), "test_labels": labels()},
        "the image arrays differ in size",
    ),
}
VALUE_ERRORS = {
    "labels outside 0-9": ({"images": digits(), "labels": labels() + 1}, "outside 0-9 (from 1 to 10)"),
    "negative labels": ({"images": digits(), "labels": labels() - 1}, "outside 0-9 (from -1 to 8)"),
    "integers above 255": ({"images": digits(dtype=np.int32) * 40, "labels": labels()}, "from 280 to 280"),
    "floats above 255": ({"images": digits(dtype=np.float32) * 40, "labels": labels()}, "[0, 1] or [0, 255]"),
    "negative floats": ({"images": -digits(dtype=np.float64), "labels": labels()}, "from -7.0 to -7.0"),
    "nan": ({"images": np.full((10, 14, 14), np.nan), "labels": labels()}, "NaN or infinite"),
    "mixed scales": (
        {
            "train_images": digits(dtype=np.float32) / 7,
            "train_labels": labels(),
            "test_images": digits(dtype=np.float32),
            "test_labels": labels(),
        },
        "mix the [0, 1] and [0, 255] scales",
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_shape_and_type_errors_name_the_file_for_loading_and_sizes(tmp_path, case):
    arrays, message = ERRORS[case]
    path = tmp_path / "bad digits.npz"
    np.savez(path, **arrays)
    for read in (load_npz, lambda root: pool_sizes("npz", root)):
        with pytest.raises(DataSourceError) as error:
            read(str(path))
        assert str(path) in str(error.value) and message in str(error.value)


@pytest.mark.parametrize("case", VALUE_ERRORS)
def test_value_errors_name_the_file(tmp_path, case):
    arrays, message = VALUE_ERRORS[case]
    path = tmp_path / "bad values.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataSourceError) as error:
        load_npz(str(path))
    assert str(path) in str(error.value) and message in str(error.value)


def test_file_errors_name_the_file(tmp_path):
    text = tmp_path / "digits.csv"
    text.write_text("0,0,0\n")
    npy = tmp_path / "digits.npy"
    np.save(npy, digits())
    broken = tmp_path / "broken.npz"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("images.npy", b"not an array")
        archive.writestr("labels.npy", b"not an array")
    cases = {
        tmp_path / "absent.npz": "does not exist",
        tmp_path: "is a directory",
        text: "not an .npz file",
        npy: "not an .npz file",
        broken: "'images' cannot be read",
    }
    for path, message in cases.items():
        for read in (load_npz, lambda root: pool_sizes("npz", root)):
            with pytest.raises(DataSourceError) as error:
                read(str(path))
            assert str(path) in str(error.value) and message in str(error.value)


def test_missing_root_says_to_set_it():
    with pytest.raises(DataSourceError, match="set data.root to an .npz file"):
        load_fresh("npz")
