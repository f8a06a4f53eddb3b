"""A study's finals -> stored statistics: intervals, paired comparisons, factor effects."""

import sys

# the log stays open to the end, so a traceback lands in it too
sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
from pairstudy.stats.study import write_study_statistics

write_study_statistics(snakemake.input.finals, snakemake.input.summary, dict(snakemake.output.items()))
