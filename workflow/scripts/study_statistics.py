"""A study's finals -> stored statistics: intervals, paired comparisons, factor effects, baseline comparisons."""

import sys
from pathlib import Path

# the workflow's own pairstudy, whichever environment runs the job
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))
import traceback

from pairstudy.joblog import JobLog

sys.stdout = sys.stderr = JobLog(snakemake.log[0])
try:
    from pairstudy.metrics import read_table
    from pairstudy.stats import study_statistics

    finals, metadata = read_table(snakemake.input.finals)
    tables = study_statistics(
        finals,
        metadata["factors"],
        baselines=snakemake.params.baselines,
        interval=snakemake.params.interval,
        order=list(dict.fromkeys(finals["config"])),
    )
    for name, table in tables.items():
        Path(snakemake.output[name]).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(snakemake.output[name], index=False)
except Exception as error:
    traceback.print_exc()
    print(f"pairstudy: {error}", file=sys.__stderr__)
    sys.exit(1)
