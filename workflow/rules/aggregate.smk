from pairstudy.paths import described_by_statistics, described_by_tables


rule aggregate_study:
    input:
        runs=lambda wildcards: run_files(wildcards.study),
    output:
        epochs="results/{study}/epochs.parquet",
        finals="results/{study}/finals.parquet",
        curves="results/{study}/curves.parquet",
        configurations="results/{study}/configurations.parquet",
        summary="results/{study}/summary.parquet",
        summary_csv=report(
            "results/{study}/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
            subcategory="{study}",
        ),
        run_status="results/{study}/run_status.csv",
        misclassified="results/{study}/misclassified.json",
    log:
        "logs/{study}/aggregate.log",
    localrule: True
    conda:
        SOFTWARE_ENV
    params:
        expected=lambda wildcards: expected_runs(wildcards.study),
        study=lambda wildcards: study_spec(wildcards.study),
        min_seeds=config["min_seeds"],
        # the statistics, report and run check describe the old tables: gone when these are rebuilt
        stale=lambda wildcards: described_by_tables(wildcards.study),
    script:
        "../scripts/aggregate_study.py"


rule study_statistics:
    input:
        finals="results/{study}/finals.parquet",
        summary="results/{study}/summary.parquet",
        seeds=lambda wildcards: final_decision(wildcards.study),
    output:
        intervals="results/{study}/statistics/intervals.csv",
        comparisons=report(
            "results/{study}/statistics/comparisons.csv",
            caption="../report/comparisons.rst",
            category="Tables",
            subcategory="{study}",
        ),
        effects="results/{study}/statistics/effects.csv",
        baselines="results/{study}/statistics/baselines.csv",
        published="results/{study}/statistics/published.csv",
    log:
        "logs/{study}/statistics.log",
    localrule: True
    conda:
        SOFTWARE_ENV
    params:
        baselines=lambda wildcards: baselines(wildcards.study),
        interval=config["report"]["interval"],
        smallest_effect=config["report"]["smallest_effect"],
        # new statistics code rebuilds the stored statistics (and so the report)
        statistics_code=code_hash(("stats",)),
        published=lambda wildcards: study_spec(wildcards.study).get("published") or {},
        stale=lambda wildcards: described_by_statistics(wildcards.study),
    script:
        "../scripts/study_statistics.py"
