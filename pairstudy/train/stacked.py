"""Adam and SGD over parameters stacked along a leading member axis, with per-member settings.

Both update elementwise, so member m of a stacked parameter follows exactly the update torch.optim
would make for that member alone with its own learning rate, weight decay and momentum. Settings
are float64 tensors of shape (members,), broadcast over each parameter's other dimensions.
"""

from __future__ import annotations

import torch


def per_member(values, shape_like: torch.Tensor) -> torch.Tensor:
    """(members,) -> (members, 1, 1, ...) in the parameter's dtype, to broadcast over it."""
    return values.to(shape_like.dtype).view(-1, *([1] * (shape_like.dim() - 1)))


class StackedOptimizer:
    def __init__(self, parameters, lr: torch.Tensor, weight_decay: torch.Tensor):
        self.parameters = list(parameters)
        self.lr = lr.clone()
        self.weight_decay = weight_decay.clone()

    def zero_grad(self) -> None:
        for parameter in self.parameters:
            parameter.grad = None

    def decayed_gradient(self, parameter: torch.Tensor) -> torch.Tensor:
        if not self.weight_decay.any():
            return parameter.grad
        return parameter.grad + per_member(self.weight_decay, parameter) * parameter

    def state_dict(self) -> dict:
        return {"lr": self.lr, "weight_decay": self.weight_decay}

    def load_state_dict(self, state: dict) -> None:
        self.lr.copy_(state["lr"])
        self.weight_decay.copy_(state["weight_decay"])


class StackedAdam(StackedOptimizer):
    """torch.optim.Adam (betas 0.9/0.999, eps 1e-8, L2 weight decay) per member."""

    def __init__(self, parameters, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(parameters, lr, weight_decay)
        self.betas, self.eps, self.steps = betas, eps, 0
        self.exp_avg = [torch.zeros_like(parameter) for parameter in self.parameters]
        self.exp_avg_sq = [torch.zeros_like(parameter) for parameter in self.parameters]

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        bias_correction1 = 1 - beta1**self.steps
        bias_correction2_sqrt = (1 - beta2**self.steps) ** 0.5
        step_size = self.lr / bias_correction1
        for parameter, exp_avg, exp_avg_sq in zip(self.parameters, self.exp_avg, self.exp_avg_sq):
            gradient = self.decayed_gradient(parameter)
            exp_avg.lerp_(gradient, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(gradient, gradient, value=1 - beta2)
            denominator = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(self.eps)
            parameter.sub_(per_member(step_size, parameter) * exp_avg / denominator)

    def state_dict(self) -> dict:
        return super().state_dict() | {"steps": self.steps, "exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.steps = state["steps"]
        for mine, saved in zip(self.exp_avg + self.exp_avg_sq, state["exp_avg"] + state["exp_avg_sq"]):
            mine.copy_(saved)


class StackedSGD(StackedOptimizer):
    """torch.optim.SGD (no dampening, no Nesterov) per member; momentum 0 is plain SGD."""

    def __init__(self, parameters, lr, weight_decay, momentum: torch.Tensor):
        super().__init__(parameters, lr, weight_decay)
        self.momentum = momentum.clone()
        self.buffers: list[torch.Tensor | None] = [None] * len(self.parameters)

    @torch.no_grad()
    def step(self) -> None:
        for index, parameter in enumerate(self.parameters):
            gradient = self.decayed_gradient(parameter)
            if self.momentum.any():
                buffer = self.buffers[index]
                if buffer is None:
                    buffer = self.buffers[index] = gradient.detach().clone()
                else:
                    buffer.mul_(per_member(self.momentum, buffer)).add_(gradient)
                gradient = buffer
            parameter.sub_(per_member(self.lr, parameter) * gradient)

    def state_dict(self) -> dict:
        return super().state_dict() | {"momentum": self.momentum, "buffers": self.buffers}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.momentum.copy_(state["momentum"])
        self.buffers = [None if saved is None else saved.clone() for saved in state["buffers"]]


def stacked_optimizer(parameters, settings: list[dict], device) -> StackedOptimizer:
    """The optimiser the members' hyperparameters name (one optimizer for all), with their settings stacked."""

    def column(key):
        return torch.tensor([member[key] for member in settings], dtype=torch.float64, device=device)

    if settings[0]["optimizer"] == "adam":
        return StackedAdam(parameters, column("lr"), column("weight_decay"))
    return StackedSGD(parameters, column("lr"), column("weight_decay"), column("momentum"))


class StackedStepSchedule:
    """StepLR per member: each member's learning rate is multiplied by its lr_gamma every lr_step epochs."""

    def __init__(self, optimizer: StackedOptimizer, settings: list[dict]):
        self.optimizer = optimizer
        self.steps = [member["lr_step"] for member in settings]
        self.gammas = [member["lr_gamma"] if member["lr_step"] > 0 else None for member in settings]
        self.epoch = 0

    def step(self) -> None:
        self.epoch += 1
        for member, (every, gamma) in enumerate(zip(self.steps, self.gammas)):
            if every > 0 and self.epoch % every == 0:
                self.optimizer.lr[member] = self.optimizer.lr[member].item() * gamma

    def state_dict(self) -> dict:
        return {"epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = state["epoch"]
