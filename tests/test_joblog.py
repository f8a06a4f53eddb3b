"""A job log that cannot be written sends the reason and its lines to the console."""

import io

from pairstudy.joblog import JobLog


def test_lines_go_to_the_file(tmp_path):
    console = io.StringIO()
    with JobLog(tmp_path / "job.log", console=console) as log:
        print("epoch 1", file=log)
    assert (tmp_path / "job.log").read_text() == "epoch 1\n" and console.getvalue() == ""


def test_a_full_disk_sends_the_reason_and_the_lines_to_the_console():
    console = io.StringIO()
    log = JobLog("/dev/full", console=console)
    print("epoch 1", file=log)
    print("epoch 2", file=log)
    text = console.getvalue()
    assert "pairstudy: cannot write the log /dev/full (" in text and "No space left on device" in text
    assert "epoch 1\nepoch 2\n" in text


def test_a_log_that_cannot_be_opened_falls_back_too(tmp_path):
    console = io.StringIO()
    log = JobLog(tmp_path / "missing" / "job.log", console=console)
    print("trained", file=log)
    assert "cannot write the log" in console.getvalue() and console.getvalue().endswith("trained\n")
