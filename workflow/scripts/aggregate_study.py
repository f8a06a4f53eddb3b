"""All run files of a study -> its tables (see pairstudy.aggregate). The study's report is removed first: it
describes the old tables, and must not outlive them if these cannot be built."""

import sys
from pathlib import Path

# the workflow's own pairstudy, whichever environment runs the job
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))
import traceback

try:
    sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
except OSError as error:
    sys.exit(f"pairstudy: cannot write the log {snakemake.log[0]}: {error}")
try:
    Path(snakemake.params.report).unlink(missing_ok=True)
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
