"""A job's log file that never swallows a message.

When the file cannot be written (no space left on the device, a missing or read-only folder), the
reason and every later line go to the console's stderr instead, so an error is never reduced to an
empty log file.
"""

from __future__ import annotations

import io
import sys


class JobLog(io.TextIOBase):
    def __init__(self, path, mode: str = "w", console=None):
        self.path = str(path)
        self.console = console or sys.__stderr__
        self.file = None
        self.pending = ""  # written to the file's buffer but not yet flushed: re-sent to the console on failure
        try:
            self.file = open(path, mode, buffering=1)  # noqa: SIM115 - open for the life of the job
        except OSError as error:
            self.give_up(error)

    def give_up(self, error: OSError) -> None:
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
        self.file = None
        print(f"pairstudy: cannot write the log {self.path} ({error}); its lines follow here", file=self.console)
        self.console.write(self.pending)
        self.pending = ""
        self.console.flush()

    def write(self, text: str) -> int:
        if self.file is not None:
            self.pending += text
            try:
                self.file.write(text)
                if "\n" in text:
                    self.file.flush()
                    self.pending = ""
                return len(text)
            except OSError as error:
                self.give_up(error)
                return len(text)
        self.console.write(text)
        self.console.flush()
        return len(text)

    def flush(self) -> None:
        if self.file is not None:
            try:
                self.file.flush()
                self.pending = ""
            except OSError as error:
                self.give_up(error)

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        if self.file is not None:
            try:
                self.file.close()
            except OSError as error:
                self.give_up(error)
            self.file = None
        super().close()
