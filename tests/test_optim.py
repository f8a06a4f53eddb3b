"""pairstudy's Adam, SGD and step schedule make exactly torch.optim's updates, without importing TorchDynamo."""

import subprocess
import sys

import pytest
import torch

from pairstudy.train.optim import SGD, Adam, StepSchedule


def model_and_batches(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    batches = [(torch.randn(16, 6), torch.randint(0, 2, (16,))) for _ in range(12)]
    return model, batches


def train(model, batches, optimizer, schedule, zero_grad):
    for index, (x, target) in enumerate(batches):
        zero_grad()
        torch.nn.functional.cross_entropy(model(x), target).backward()
        optimizer.step()
        if schedule is not None and index % 3 == 2:  # an "epoch" of three batches
            schedule.step()
    return [parameter.detach().clone() for parameter in model.parameters()]


@pytest.mark.parametrize(
    "kind, settings",
    [
        ("adam", {"lr": 5e-3, "weight_decay": 0.0}),
        ("adam", {"lr": 1e-2, "weight_decay": 1e-4}),
        ("sgd", {"lr": 0.05, "momentum": 0.0, "weight_decay": 0.0}),
        ("sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4}),
    ],
)
@pytest.mark.parametrize("step_every", [0, 2])
def test_updates_equal_torch_optim_bit_for_bit(kind, settings, step_every):
    ours_model, batches = model_and_batches()
    theirs_model, _ = model_and_batches()
    ours = (Adam if kind == "adam" else SGD)(ours_model.parameters(), **settings)
    theirs = (torch.optim.Adam if kind == "adam" else torch.optim.SGD)(theirs_model.parameters(), **settings)
    ours_schedule = StepSchedule(ours, step_every, 0.5) if step_every else None
    theirs_schedule = torch.optim.lr_scheduler.StepLR(theirs, step_every, 0.5) if step_every else None
    found = train(ours_model, batches, ours, ours_schedule, ours.zero_grad)
    expected = train(theirs_model, batches, theirs, theirs_schedule, lambda: theirs.zero_grad(set_to_none=True))
    for mine, torchs in zip(found, expected):
        assert torch.equal(mine, torchs)
    assert ours.lr == theirs.param_groups[0]["lr"]


def test_a_restored_state_continues_exactly():
    model, batches = model_and_batches()
    optimizer = Adam(model.parameters(), lr=5e-3)
    train(model, batches[:6], optimizer, None, optimizer.zero_grad)
    saved = {
        key: value if not isinstance(value, list) else [t.clone() for t in value]
        for key, value in optimizer.state_dict().items()
    }
    copy, _ = model_and_batches()
    copy.load_state_dict(model.state_dict())
    resumed = Adam(copy.parameters(), lr=1.0)
    resumed.load_state_dict(saved)
    whole = train(model, batches[6:], optimizer, None, optimizer.zero_grad)
    again = train(copy, batches[6:], resumed, None, resumed.zero_grad)
    assert all(torch.equal(a, b) for a, b in zip(whole, again))


def test_training_imports_no_dynamo():
    script = (
        "import sys, torch\n"
        "from pairstudy.train.optim import Adam\n"
        "model = torch.nn.Linear(3, 2)\n"
        "optimizer = Adam(model.parameters(), lr=1e-3)\n"
        "model(torch.zeros(4, 3)).sum().backward()\n"
        "optimizer.step()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    assert (
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout == "False\n"
    )
