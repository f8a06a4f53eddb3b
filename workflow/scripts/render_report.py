"""A study's tables and statistics -> charts -> reports/<study>/index.html, report.md and paper/. Whatever the
folder held goes first, so no file of an older report is left beside the new one (or alone, when this fails)."""

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
    from pairstudy.report.study import render_study_report

    render_study_report(
        tables={name: snakemake.input[name] for name in ("epochs", "finals", "curves", "summary", "configurations")},
        statistics={
            name: snakemake.input[name] for name in ("intervals", "comparisons", "effects", "baselines", "published")
        },
        run_status=snakemake.input.run_status,
        misclassified=snakemake.input.misclassified,
        out_dir=Path(snakemake.output.html).parent,
        study=snakemake.params.study,
        report_settings=snakemake.params.report,
        min_seeds=snakemake.params.min_seeds,
        workflow_dir=Path(snakemake.scriptdir).parent.parent,
        tuning=tuple(snakemake.input.tuning),
        seeds=tuple(snakemake.input.seeds),
    )
except Exception as error:
    traceback.print_exc()
    print(f"pairstudy: {error}", file=sys.__stderr__)
    sys.exit(1)
