"""A sequential study's runs after a stage -> the decision on its next stage (see pairstudy.aggregate.stages)."""

import sys
from pathlib import Path

# the workflow's own pairstudy, whichever environment runs the job
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))
import traceback

from pairstudy.joblog import JobLog

sys.stdout = sys.stderr = JobLog(snakemake.log[0])
try:
    from pairstudy.aggregate.stages import decide_stage, write_decision

    decision = decide_stage(
        snakemake.params.expected,
        int(snakemake.wildcards.stage),
        snakemake.params.looks,
        snakemake.params.until,
        snakemake.params.smallest_effect,
        snakemake.params.factors,
    )
    write_decision(decision, snakemake.output.decision)
    print(f"stage {decision['stage']}: next {decision['next']}, done {decision['done']}")
except Exception as error:
    traceback.print_exc()
    print(f"pairstudy: {error}", file=sys.__stderr__)
    sys.exit(1)
