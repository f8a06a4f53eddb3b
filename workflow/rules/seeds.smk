# A sequential study's decision after each stage of seeds: which comparisons are resolved, futile or still open, and
# which configurations get the next stage's seeds. A checkpoint: the next stage's training jobs are planned from what
# it writes (`stage_decision`), and a finished study's decisions stand, so running it again trains nothing.
checkpoint decide_seeds:
    input:
        runs=lambda wildcards: stage_run_files(wildcards.study, int(wildcards.stage)),
    output:
        decision=SEEDS_DECISION,
    log:
        "logs/{study}/decide_seeds_stage{stage}.log",
    localrule: True
    conda:
        SOFTWARE_ENV
    params:
        expected=lambda wildcards: stage_expected(wildcards.study, int(wildcards.stage)),
        looks=lambda wildcards: list(SEQUENTIAL[wildcards.study]),
        until=lambda wildcards: config["studies"][wildcards.study]["seeds"]["until"],
        smallest_effect=config["report"]["smallest_effect"],
        factors=lambda wildcards: list(config["studies"][wildcards.study]["factors"]),
        statistics_code=code_hash(("stats",)),
    script:
        "../scripts/decide_seeds.py"
