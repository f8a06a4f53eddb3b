# One rule for every training job: the seeds of one block of one configuration, into one run file.
# Blocks are fixed by seed value (block = seed // seeds_per_job), so adding seeds adds blocks; a block
# that runs again takes its finished runs from the run store instead of training them again.
# No `group:` here: the SLURM plugin cannot put grouped jobs into an array job. To pack N blocks into
# one submission, `--groups train_block=train --group-components train=N` (docs/cluster.md).
rule train_block:
    output:
        RUN_FILE,
    log:
        "logs/{study}/train/{config}/block{block}.log",
    priority: block_priority
    conda:
        SOFTWARE_ENV
    threads: config["threads"]
    resources:
        **gpu_resources(),
    params:
        run=block_run,
        code=block_code,
        code_files=CODE_FILES,
        metrics=lambda wildcards: study_metrics(wildcards.study),
        trainer_file=block_trainer_file,
    script:
        "../scripts/train_block.py"
