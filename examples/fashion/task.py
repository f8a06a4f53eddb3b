"""A task of one's own: classify Fashion-MNIST's clothing images (Debian's dataset-fashion-mnist IDX files, read
through the built-in `digits` task's loader), each 28x28 image pooled to 14x14.

Where that package is missing, the task falls back to the 5000 MNIST digits that ship with the package, and says so
in its target sentence and class names, so a report never names clothes it did not see.
"""

from pathlib import Path
from typing import Literal

from pairstudy.data.sources import SOURCES
from pairstudy.tasks import register_task
from pairstudy.tasks.digits import Digits

FASHION = Path("/usr/share/datasets/fashion-mnist")
HAVE_FASHION = (FASHION / "train-images-idx3-ubyte.gz").is_file()
CLASSES = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]


@register_task("fashion")
class Fashion(Digits):
    target = (
        "one Fashion-MNIST image (14x14); the target is its kind of clothing"
        if HAVE_FASHION
        else "one MNIST digit (14x14; Fashion-MNIST is not installed here); the target is its class"
    )

    @staticmethod
    def data_settings(
        source: Literal[SOURCES] = "idx" if HAVE_FASHION else "mnist5k",
        root: str = str(FASHION) if HAVE_FASHION else "",
        n_train: int = 2000,
        n_test: int = 1000,
        normalize: bool = True,
        validation: int = 500,
        class_names: list[str] = CLASSES if HAVE_FASHION else [str(digit) for digit in range(10)],  # noqa: B006
    ):
        """The built-in digits task's data settings, with Fashion-MNIST's files and class names by default."""
