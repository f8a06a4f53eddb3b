"""The test cluster itself: a job goes through sbatch and is accounted by sacct.

The project's workflow through the cluster (the slurm executor plugin, sacct and squeue status,
GPU requests, array jobs, a cancelled job's resume) is in test_workflow_slurm.py.
"""


def test_sbatch_job_completes_and_sacct_reports_it(slurm_cluster, tmp_path):
    output = tmp_path / "job.out"
    job = slurm_cluster.sbatch(
        "--account=pairstudy",
        "--time=1",
        "--mem=50",
        f"--output={output}",
        "--wrap",
        "echo hello from job $SLURM_JOB_ID on $SLURM_JOB_PARTITION",
    )
    assert slurm_cluster.wait_job(job) == "COMPLETED", slurm_cluster.diagnostics()
    row = slurm_cluster.wait_sacct(job)
    assert (row["State"], row["Account"], row["Partition"], row["ExitCode"]) == (
        "COMPLETED",
        "pairstudy",
        "debug",
        "0:0",
    )
    assert output.read_text().strip() == f"hello from job {job} on debug"
