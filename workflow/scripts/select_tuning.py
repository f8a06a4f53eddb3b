"""A tuned study's tuning runs -> the ranking of its settings and the setting each configuration trains with (see
pairstudy.aggregate.tuning)."""

import sys
from pathlib import Path

# the workflow's own pairstudy, whichever environment runs the job
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))
import traceback

from pairstudy.joblog import JobLog

sys.stdout = sys.stderr = JobLog(snakemake.log[0])
try:
    from pairstudy.aggregate.tuning import rank_settings, tuning_finals, write_selection

    plan = snakemake.params.plan
    ranking = rank_settings(plan, tuning_finals(snakemake.params.expected, plan), snakemake.params.costs)
    write_selection(plan, ranking, snakemake.output.selected, snakemake.output.ranking)
    print(ranking.to_string(index=False))
except Exception as error:
    traceback.print_exc()
    print(f"pairstudy: {error}", file=sys.__stderr__)
    sys.exit(1)
