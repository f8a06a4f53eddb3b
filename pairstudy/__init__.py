"""pairstudy: declarative ablation studies for deep learning, on a built-in task, a task of your own or your own
training code."""

__version__ = "0.1.0"


def load_study(folder):
    """A finished study's tables as pandas DataFrames (see pairstudy.aggregate.load_study)."""
    from pairstudy.aggregate import load_study as load

    return load(folder)


def __getattr__(name: str):
    # the names a training function of one's own imports, without importing torch
    if name == "training_function":
        from pairstudy.train.function import training_function

        return training_function
    if name == "Metric":
        from pairstudy.tasks.metrics import Metric

        return Metric
    raise AttributeError(f"module 'pairstudy' has no attribute {name!r}")


__all__ = ["Metric", "load_study", "training_function"]
