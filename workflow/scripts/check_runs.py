"""Fail the workflow while a study has failed runs: its report lists them, and this names them on the console."""

import sys
from pathlib import Path

# the workflow's own pairstudy, whichever environment runs the job
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))

import pandas as pd

from pairstudy.joblog import JobLog

status = pd.read_csv(snakemake.input.run_status, keep_default_na=False)
failed = status[status["failed_seeds"] != ""]
with JobLog(snakemake.log[0]) as log:
    if failed.empty:
        print("every run finished or diverged", file=log)
        sys.exit(0)
    lines = [
        f"  {row.config}: seeds {row.failed_seeds} failed ({row.errors}); train them again with: {row.rerun}"
        for row in failed.itertuples()
    ]
    message = f"pairstudy: study {snakemake.wildcards.study} has failed runs (see {snakemake.input.report}):\n"
    message += "\n".join(lines)
    print(message, file=log)
    print(message, file=sys.stderr)
    sys.exit(1)
