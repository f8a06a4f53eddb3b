"""What training one run gives back: its rows, status and what it ran on. Torch-free, so a job's supervisor
can record runs it never trained (those of a killed child) without importing torch."""

from __future__ import annotations

from dataclasses import dataclass, field

from pairstudy.metrics import failed_row


@dataclass
class RunResult:
    rows: list[dict]
    status: str  # ok, diverged or failed
    device: str
    parameter_count: int | None
    resumed_from_epoch: int = 0
    message: str = ""
    misclassified: list = field(default_factory=list)  # wrongly compared test pairs after the last epoch

    def summary(self) -> str:
        if self.status == "failed":
            return f"failed: {self.message}"
        seconds = sum(row["epoch_seconds"] for row in self.rows)
        resumed = f" (resumed from epoch {self.resumed_from_epoch})" if self.resumed_from_epoch else ""
        return f"{self.status} on {self.device}, {seconds:.1f} s{resumed}"


def failed_result(spec, error: BaseException | str, device: str = "unknown") -> RunResult:
    """A run of `spec`'s task that did not finish: one row at epoch 0 with no metrics, and why (an error or a
    message) as its message."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return RunResult([failed_row(spec)], "failed", device, None, message=message)
