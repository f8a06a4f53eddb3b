"""Parquet files that carry pairstudy's key-value metadata (JSON values under `pairstudy.<key>`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pairstudy.atomic import write_atomically

PREFIX = "pairstudy."


def with_metadata(table: pa.Table, metadata: dict) -> pa.Table:
    """The table with each metadata value stored as JSON under `pairstudy.<key>`."""
    merged = dict(table.schema.metadata or {})
    merged.update(
        {f"{PREFIX}{key}".encode(): json.dumps(value, default=str).encode() for key, value in metadata.items()}
    )
    return table.replace_schema_metadata(merged)


def write_arrow(table: pa.Table, path: str | Path, metadata: dict | None = None) -> Path:
    """Write an Arrow table atomically, with pairstudy metadata."""
    table = with_metadata(table, metadata or {})
    return write_atomically(path, lambda temporary: pq.write_table(table, temporary))


def write_table(frame: pd.DataFrame, path: str | Path, metadata: dict | None = None) -> Path:
    """Write a DataFrame (no index) atomically, with pairstudy metadata."""
    return write_arrow(pa.Table.from_pandas(frame, preserve_index=False), path, metadata)


def metadata_of(schema: pa.Schema) -> dict:
    """The pairstudy metadata of a Parquet schema, decoded."""
    found = {}
    for key, value in (schema.metadata or {}).items():
        name = key.decode(errors="replace")
        if name.startswith(PREFIX):
            found[name[len(PREFIX) :]] = json.loads(value)
    return found


def read_metadata(path: str | Path) -> dict:
    """The pairstudy metadata of a Parquet file, without reading its rows."""
    return metadata_of(pq.read_schema(path))


def read_table(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """A Parquet file as a DataFrame, and its pairstudy metadata."""
    table = pq.read_table(path)
    return table.to_pandas(), metadata_of(table.schema)
