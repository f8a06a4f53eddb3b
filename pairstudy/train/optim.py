"""Adam, SGD and a step schedule that update exactly as torch.optim does, without its compile hooks.

torch.optim's step imports TorchDynamo (and sympy) on its first call, about two seconds of every
training process, though training never compiles. These make the same update operation for
operation as torch.optim's single-tensor Adam and SGD (its path for CPU tensors) and StepLR, so a
run's numbers are the ones torch.optim gives; a test compares them bit for bit.
"""

from __future__ import annotations

import torch


class Optimizer:
    def __init__(self, parameters, lr: float, weight_decay: float):
        self.parameters = list(parameters)
        self.lr = lr
        self.weight_decay = weight_decay

    def zero_grad(self) -> None:
        for parameter in self.parameters:
            parameter.grad = None

    def decayed(self, parameter: torch.Tensor) -> torch.Tensor:
        """The gradient with L2 weight decay added, as torch.optim adds it."""
        if self.weight_decay != 0:
            return parameter.grad.add(parameter, alpha=self.weight_decay)
        return parameter.grad


class Adam(Optimizer):
    """torch.optim.Adam with betas (0.9, 0.999), eps 1e-8 and L2 weight decay."""

    def __init__(self, parameters, lr: float, weight_decay: float = 0.0, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(parameters, lr, weight_decay)
        self.betas, self.eps, self.steps = betas, eps, 0
        self.exp_avg = [torch.zeros_like(parameter) for parameter in self.parameters]
        self.exp_avg_sq = [torch.zeros_like(parameter) for parameter in self.parameters]

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        step = float(self.steps)  # torch.optim keeps the step count as a float tensor
        step_size = self.lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        for parameter, exp_avg, exp_avg_sq in zip(self.parameters, self.exp_avg, self.exp_avg_sq):
            if parameter.grad is None:
                continue
            gradient = self.decayed(parameter)
            exp_avg.lerp_(gradient, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(gradient, gradient, value=1 - beta2)
            denominator = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(self.eps)
            parameter.addcdiv_(exp_avg, denominator, value=-step_size)

    def state_dict(self) -> dict:
        return {"lr": self.lr, "steps": self.steps, "exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq}

    def load_state_dict(self, state: dict) -> None:
        self.lr, self.steps = state["lr"], state["steps"]
        for mine, saved in zip(self.exp_avg + self.exp_avg_sq, state["exp_avg"] + state["exp_avg_sq"]):
            mine.copy_(saved)


class SGD(Optimizer):
    """torch.optim.SGD with momentum (no dampening, no Nesterov) and L2 weight decay."""

    def __init__(self, parameters, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(parameters, lr, weight_decay)
        self.momentum = momentum
        self.buffers: list[torch.Tensor | None] = [None] * len(self.parameters)

    @torch.no_grad()
    def step(self) -> None:
        for index, parameter in enumerate(self.parameters):
            if parameter.grad is None:
                continue
            gradient = self.decayed(parameter)
            if self.momentum != 0:
                buffer = self.buffers[index]
                if buffer is None:
                    buffer = self.buffers[index] = torch.clone(gradient).detach()
                else:
                    buffer.mul_(self.momentum).add_(gradient, alpha=1)
                gradient = buffer
            parameter.add_(gradient, alpha=-self.lr)

    def state_dict(self) -> dict:
        return {"lr": self.lr, "buffers": self.buffers}

    def load_state_dict(self, state: dict) -> None:
        self.lr = state["lr"]
        self.buffers = [None if saved is None else saved.clone() for saved in state["buffers"]]


class StepSchedule:
    """torch.optim.lr_scheduler.StepLR: the learning rate times gamma after every `every` epochs."""

    def __init__(self, optimizer: Optimizer, every: int, gamma: float):
        self.optimizer, self.every, self.gamma, self.epoch = optimizer, every, gamma, 0

    def step(self) -> None:
        self.epoch += 1
        if self.epoch % self.every == 0:
            self.optimizer.lr = self.optimizer.lr * self.gamma

    def state_dict(self) -> dict:
        return {"epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = state["epoch"]
