from pairstudy.paths import described_by_statistics

CHARTS = config["report"]["charts"]


rule render_report:
    input:
        epochs="results/{study}/epochs.parquet",
        finals="results/{study}/finals.parquet",
        curves="results/{study}/curves.parquet",
        summary="results/{study}/summary.parquet",
        configurations="results/{study}/configurations.parquet",
        run_status="results/{study}/run_status.csv",
        misclassified="results/{study}/misclassified.json",
        intervals="results/{study}/statistics/intervals.csv",
        comparisons="results/{study}/statistics/comparisons.csv",
        effects="results/{study}/statistics/effects.csv",
        baselines="results/{study}/statistics/baselines.csv",
        published="results/{study}/statistics/published.csv",
        tuning=lambda wildcards: tuning_outputs(wildcards.study),
        seeds=lambda wildcards: decision_files(wildcards.study),
    output:
        html=report(
            "reports/{study}/index.html",
            caption="../report/index.rst",
            category="Reports",
            subcategory="{study}",
        ),
        markdown="reports/{study}/report.md",
        charts=[
            report(
                f"reports/{{study}}/{chart}.png",
                caption=f"../report/{chart}.rst",
                category="Charts",
                subcategory="{study}",
            )
            for chart in CHARTS
        ],
        interactive=directory("reports/{study}/charts"),
        paper=directory("reports/{study}/paper"),
    log:
        "logs/{study}/report.log",
    localrule: True
    conda:
        SOFTWARE_ENV
    params:
        study=lambda wildcards: study_spec(wildcards.study),
        report=config["report"],
        min_seeds=config["min_seeds"],
        # the whole folder: no chart, table or page of an older report stays beside (or instead of) this one
        stale=lambda wildcards: described_by_statistics(wildcards.study),
    script:
        "../scripts/render_report.py"


rule check_runs:
    input:
        run_status="results/{study}/run_status.csv",
        report="reports/{study}/index.html",
    output:
        touch("results/{study}/runs_ok"),
    log:
        "logs/{study}/check_runs.log",
    localrule: True
    conda:
        SOFTWARE_ENV
    script:
        "../scripts/check_runs.py"
