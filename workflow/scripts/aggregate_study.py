"""All runs of a study -> epochs, finals, curves, run status, and the summary as CSV, Markdown and LaTeX."""

import sys

# the log stays open to the end, so a traceback lands in it too
sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
from pairstudy.aggregate import write_study_tables

write_study_tables(
    list(snakemake.input.runs),
    dict(snakemake.output.items()),
    study=snakemake.wildcards.study,
    min_seeds=snakemake.params.min_seeds,
)
