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
    params:
        min_seeds=config["min_seeds"],
    log:
        "logs/{study}/aggregate.log",
    localrule: True
    script:
        "../scripts/aggregate_study.py"
