"""A study's finals -> stored statistics of its task's headline: intervals, paired comparisons, factor effects,
baseline comparisons; its summary -> the comparison with its published numbers. The study's report is removed
first: it describes the old statistics."""

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
    from pairstudy.metrics import read_table, spec_of
    from pairstudy.presets import published_comparison
    from pairstudy.stats import smallest_effect_of, study_statistics

    finals, metadata = read_table(snakemake.input.finals)
    finals_spec = spec_of(metadata, snakemake.input.finals)
    smallest = smallest_effect_of(snakemake.params.smallest_effect, finals_spec.headline_metric)
    tables = study_statistics(
        finals,
        metadata["factors"],
        spec=finals_spec,
        baselines=snakemake.params.baselines,
        interval=snakemake.params.interval,
        order=list(dict.fromkeys(finals["config"])),
        smallest_effect=smallest,
    )
    if snakemake.input.seeds:  # a sequential study: the comparisons that decided its seeds, as its test gives them
        import yaml

        from pairstudy.stats.stages import apply_decision

        decision = yaml.safe_load(Path(snakemake.input.seeds[0]).read_text())
        tables = apply_decision(tables, decision, smallest)
    for name, table in tables.items():
        Path(snakemake.output[name]).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(snakemake.output[name], index=False)
    # our numbers against the published ones (an empty table for a study without a published block)
    summary, summary_metadata = read_table(snakemake.input.summary)
    spec = spec_of(summary_metadata, snakemake.input.summary)
    published_comparison(snakemake.params.published, summary, spec).to_csv(snakemake.output.published, index=False)
except Exception as error:
    traceback.print_exc()
    print(f"pairstudy: {error}", file=sys.__stderr__)
    sys.exit(1)
