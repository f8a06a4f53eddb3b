"""Where a study's run files and kept runs live, relative to the working directory: one definition for the workflow
and the package."""

RUN_FILE = "results/{study}/runs/{config}/block{block}.parquet"  # one configuration's runs of one seed block
RUN_STORE = "results/{study}/store"  # finished runs and checkpoints, kept by run key (see pairstudy.train.store)


def run_file(study: str, config: str, block: int) -> str:
    return RUN_FILE.format(study=study, config=config, block=block)
