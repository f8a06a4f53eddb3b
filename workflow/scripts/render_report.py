"""Tables -> charts -> reports/<study>/index.html and report.md."""

import sys
from pathlib import Path

# the log stays open to the end, so a traceback lands in it too
sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
from pairstudy.report.study import render_study_report

render_study_report(
    epochs=snakemake.input.epochs,
    finals=snakemake.input.finals,
    curves=snakemake.input.curves,
    summary=snakemake.input.summary,
    run_status=snakemake.input.run_status,
    misclassified=snakemake.input.misclassified,
    statistics={name: snakemake.input[name] for name in ("intervals", "comparisons", "effects")},
    min_seeds=snakemake.params.min_seeds,
    out_dir=Path(snakemake.output.html).parent,
    study=snakemake.params.study,
    report_settings=snakemake.params.report,
    workflow_dir=Path(snakemake.scriptdir).parent.parent,
)
