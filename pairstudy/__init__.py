"""pairstudy: declarative ablation studies for deep learning, on the digit-pair task and on your own models."""

__version__ = "0.1.0"


def load_study(folder):
    """A finished study's tables as pandas DataFrames (see pairstudy.aggregate.load_study)."""
    from pairstudy.aggregate import load_study as load

    return load(folder)


__all__ = ["load_study"]
