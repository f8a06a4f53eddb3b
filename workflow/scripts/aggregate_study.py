"""All runs of a study -> epochs, finals, curves, run status, and the summary as CSV, Markdown and LaTeX."""

import sys

with open(snakemake.log[0], "w") as log:
    sys.stdout = sys.stderr = log
    from pairstudy.aggregate import write_study_tables

    write_study_tables(
        list(snakemake.input.runs),
        dict(snakemake.output.items()),
        study=snakemake.wildcards.study,
        min_seeds=snakemake.params.min_seeds,
    )
