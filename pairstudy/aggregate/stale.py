"""Nothing stale: outputs that describe tables being rebuilt go first, and a corrupt intermediate table is removed
so the workflow builds it again from the run files."""

from __future__ import annotations

import shutil
from pathlib import Path

from pairstudy.paths import described_by_tables, table_files

PARQUET_MAGIC = b"PAR1"


def clear_outputs(paths) -> list[Path]:
    """Remove each file of `paths` and everything inside each folder (the folder stays); what was removed."""
    removed = []
    for path in map(Path, paths):
        if path.is_symlink() or path.is_file():
            path.unlink()
            removed.append(path)
        elif path.is_dir():
            for entry in sorted(path.iterdir()):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed.append(entry)
    return removed


def parquet_intact(path: str | Path) -> bool:
    """Whether `path` has a Parquet file's frame: PAR1 at both ends and a footer that fits (no full read)."""
    path = Path(path)
    size = path.stat().st_size
    if size < 12:  # PAR1, a footer length, PAR1
        return False
    with path.open("rb") as file:
        head = file.read(4)
        file.seek(size - 8)
        tail = file.read(8)
    footer = int.from_bytes(tail[:4], "little")
    return head == PARQUET_MAGIC and tail[4:] == PARQUET_MAGIC and 0 < footer <= size - 12


def remove_corrupt_tables(study: str) -> list[str]:
    """Remove each of the study's intermediate tables that is not a Parquet file (overwritten, truncated) and, with
    them, the statistics and report that describe them: Snakemake builds a missing table again only for an output
    it must make, and the report is the one it must make. A note for each table removed."""
    notes = []
    for path in map(Path, table_files(study)):
        if path.is_file() and not parquet_intact(path):
            path.unlink()
            notes.append(f"{path} is not a readable Parquet file: removed, it is built again from the run files")
    if notes:
        clear_outputs(described_by_tables(study))
        notes.append(f"the statistics and report of study {study} are removed with it, and built again after it")
    return notes
