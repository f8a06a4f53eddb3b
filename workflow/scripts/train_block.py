"""Train the seeds of one block for one configuration; one Parquet per seed (see pairstudy.supervise)."""

import sys

from pairstudy.supervise import run_supervised

# the log stays open to the end, so a traceback lands in it too
sys.stdout = sys.stderr = log = open(snakemake.log[0], "w", buffering=1)
run = snakemake.params.run
spec = {
    "outputs": list(snakemake.output),
    "seeds": list(snakemake.params.seeds),
    "identity": {key: run[key] for key in ("study", "config", "factors", "hyperparameters")},
    "device": snakemake.config["device"],
    "checkpoint_every": snakemake.config["checkpoint_every"],
    "threads": snakemake.threads,
}
sys.exit(run_supervised(spec, log=log))
