# One rule per (study, seed block): a training job trains the seeds of one block for one
# configuration and writes one Parquet per seed. Blocks are fixed by seed value
# (seed // seeds_per_job), so adding seeds adds blocks and leaves finished ones alone.
# Snakemake cannot compute a rule's output list from a wildcard, hence a rule per block.
for _study in config["studies"]:
    for _block in seed_blocks(SEEDS[_study], seeds_per_job(_study)):

        rule:
            name:
                f"train_{_study}_seeds{_block[0]}_to_{_block[-1]}"
            output:
                [f"results/{_study}/runs/{{config}}/seed{seed}.parquet" for seed in _block],
            log:
                f"logs/{_study}/train/{{config}}/seeds{_block[0]}_to_{_block[-1]}.log",
            threads: config["threads"]
            resources:
                gpu=1 if USES_GPU else 0,
                gpu_model=config["gpu_model"] if USES_GPU else "",
            params:
                run=lambda wildcards, study=_study: run_params(study, wildcards.config),
                seeds=_block,
                code=f"pairstudy training code {TRAINING_CODE_HASH}",
            script:
                "../scripts/train_block.py"
