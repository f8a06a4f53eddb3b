"""A study's finals -> stored statistics: intervals, paired comparisons, factor effects."""

import sys

with open(snakemake.log[0], "w") as log:
    sys.stdout = sys.stderr = log
    from pairstudy.stats.study import write_study_statistics

    write_study_statistics(snakemake.input.finals, snakemake.input.summary, dict(snakemake.output.items()))
