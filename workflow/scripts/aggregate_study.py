"""All run files of a study -> its tables (see pairstudy.aggregate). The study's statistics and report are removed
first: they describe the old tables, and must not outlive them if these cannot be built."""

import sys
from pathlib import Path

# the workflow's own pairstudy, whichever environment runs the job
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))
import traceback

from pairstudy.joblog import JobLog

sys.stdout = sys.stderr = JobLog(snakemake.log[0])
try:
    from pairstudy.aggregate.stale import clear_outputs

    clear_outputs(snakemake.params.stale)
    from pairstudy.aggregate import write_study_tables
    from pairstudy.provenance import provenance

    write_study_tables(
        snakemake.params.expected,
        dict(snakemake.output.items()),
        study=snakemake.params.study,
        provenance=provenance(),
        min_seeds=snakemake.params.min_seeds,
    )
except Exception as error:
    traceback.print_exc()
    print(f"pairstudy: {error}", file=sys.__stderr__)
    sys.exit(1)
