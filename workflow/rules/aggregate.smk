rule aggregate_study:
    input:
        runs=lambda wildcards: run_files(wildcards.study),
    output:
        epochs="results/{study}/epochs.parquet",
        finals="results/{study}/finals.parquet",
        curves="results/{study}/curves.parquet",
        summary=report(
            "results/{study}/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
            subcategory="{study}",
        ),
        markdown="results/{study}/summary.md",
        latex="results/{study}/summary.tex",
        run_status="results/{study}/run_status.csv",
        misclassified="results/{study}/misclassified.json",
    log:
        "logs/{study}/aggregate.log",
    localrule: True
    params:
        min_seeds=config["min_seeds"],
    script:
        "../scripts/aggregate_study.py"


rule study_statistics:
    input:
        finals="results/{study}/finals.parquet",
        summary="results/{study}/summary.csv",
    output:
        intervals="results/{study}/statistics/intervals.csv",
        comparisons=report(
            "results/{study}/statistics/comparisons.csv",
            caption="../report/comparisons.rst",
            category="Tables",
            subcategory="{study}",
        ),
        effects="results/{study}/statistics/effects.csv",
    log:
        "logs/{study}/statistics.log",
    localrule: True
    script:
        "../scripts/study_statistics.py"
