# A tuned study's selection step: its tuning cells' runs -> each configuration's setting, chosen on validation data.
# A checkpoint: the study's own training jobs take their settings from what it writes, so they are planned after it
# (`final_configurations`). A selection that comes out as before changes no training job's settings, so it reruns none.
checkpoint select_tuning:
    input:
        runs=lambda wildcards: tuning_run_files(wildcards.study),
    output:
        selected=TUNING_SELECTION,
        ranking=TUNING_RANKING,
    log:
        "logs/{study}/select_tuning.log",
    localrule: True
    conda:
        SOFTWARE_ENV
    params:
        expected=lambda wildcards: expected_tuning_runs(wildcards.study),
        plan=lambda wildcards: TUNING[wildcards.study],
        costs=lambda wildcards: tuning_costs(wildcards.study),
    script:
        "../scripts/select_tuning.py"
