"""The CUDA paths, on a GPU (skipped where torch sees none): every architecture trains there, a block's seeds
trained as one vectorised model equal the seeds trained alone, configurations vectorised together equal their
lone runs, a vectorised block's checkpoint resumes, and a training job vectorises its block on the GPU."""

import pandas as pd
import pytest
import torch

from pairstudy.metrics import RunIdentity, hyperparameter_hash, read_runs
from pairstudy.models import ARCHITECTURES
from pairstudy.tasks.digit_pairs import DigitPairs
from pairstudy.train import Member, train_run, train_vectorised
from pairstudy.train.block import train_block
from pairstudy.train.job import BlockJob
from tests.helpers import assert_same_run, frame, hyperparameters, quiet

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA GPU on this host")


def without_dropout(architecture: str, **training) -> dict:
    spec = ARCHITECTURES[architecture]
    model = {"dropout": 0.0} if spec.takes("dropout") else {}
    return hyperparameters(architecture, aux=spec.predicts_digits, model=model, **training)


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_every_architecture_vectorised_on_the_gpu_equals_its_seeds_trained_alone(architecture):
    hp = without_dropout(architecture, weight_decay=1e-4, lr_step=1, lr_gamma=0.5)
    members = [Member(hp, seed) for seed in (0, 1, 2)]
    together = train_vectorised(members, device="cuda", log=quiet)
    for member, inside in zip(members, together):
        lone = train_run(member.hyperparameters, member.seed, device="cuda", log=quiet)
        assert inside.device.startswith("cuda:") and lone.device.startswith("cuda:")
        assert_same_run(inside, lone)


def test_configurations_vectorised_together_on_the_gpu_equal_their_lone_runs():
    def twin(**settings):
        return hyperparameters("twin", **{"aux": True, **settings, "model": {"dropout": 0.0}})

    members = [
        Member(twin(), 0),
        Member(twin(lr=3e-3, weight_decay=1e-3), 1),
        Member(twin(aux=False), 0),
        Member(twin(aux_weight=0.6, lr_step=1, lr_gamma=0.5), 2),
    ]
    for member, inside in zip(members, train_vectorised(members, device="cuda", log=quiet)):
        assert_same_run(inside, train_run(member.hyperparameters, member.seed, device="cuda", log=quiet))


def test_a_vectorised_block_on_the_gpu_resumes_from_its_checkpoint(tmp_path):
    hp = hyperparameters("twin", epochs=4, aux=True, model={"dropout": 0.0})
    members = [Member(hp, seed) for seed in (0, 1)]
    checkpoint = tmp_path / "block.ckpt"

    def stop_after_epoch_3(epoch, rows):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_vectorised(members, device="cuda", checkpoint=checkpoint, checkpoint_every=2, on_epoch=stop_after_epoch_3)
    resumed = train_vectorised(members, device="cuda", checkpoint=checkpoint, checkpoint_every=2, log=quiet)
    whole = train_vectorised(members, device="cuda", log=quiet)
    for result, uninterrupted in zip(resumed, whole):
        assert result.resumed_from_epoch == 2
        pd.testing.assert_frame_equal(frame(result), frame(uninterrupted), check_exact=False, rtol=1e-4, atol=1e-5)


def test_a_training_job_on_the_gpu_trains_its_block_as_one_model(tmp_path):
    hp = hyperparameters("twin", epochs=2, aux=True)
    output = tmp_path / "block0.parquet"
    job = BlockJob(
        "s",
        "twin",
        (0, 1, 2),
        {"architecture": "twin"},
        hp,
        "code",
        str(output),
        str(tmp_path / "store"),
        metrics=DigitPairs.spec().to_dict(),
    )
    lines = []
    train_block(job, log=lines.append)
    runs = read_runs(output, RunIdentity("s", "twin", (0, 1, 2), hyperparameter_hash(hp)))
    assert (runs["status"] == "ok").all() and runs["device"].str.startswith("cuda:").all()
    assert any("seeds 0-2 epoch 2/2" in line and "range" in line for line in lines), lines
