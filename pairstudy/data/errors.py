"""The errors a digit source raises."""


class DataSourceError(RuntimeError):
    """A digit source could not be loaded; the message says why and what to use instead."""


class PoolTooSmallError(DataSourceError, ValueError):
    """The pools hold fewer distinct digits than the requested pairs need.

    Also a ValueError: drawing too many pairs is a bad argument as much as a data problem.
    """
