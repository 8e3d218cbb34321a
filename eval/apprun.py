"""python app.py as a child process on a free loopback port, for the load test, browser tests and screenshot script."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

# stdlib only at module level: eval.gpu_bench imports stop_process on a bare GPU machine
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a child: terminate, wait up to `timeout` s, then kill and reap it. A child that has exited is left be."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class AppProcess:
    """`python app.py --host 127.0.0.1 --port P --data-dir DATA [--knowledge DIR] [*args]`, its output in log_path.

    The constructor returns once GET / answers (200, or 401/403 with --auth: the page is up, behind a login);
    if the app exits or does not answer within startup_s it is stopped and RuntimeError carries its log.
    Readiness is polled over HTTP with a bounded wait on the child between polls, never a sleep.
    """

    def __init__(self, data_dir: Path, args: Sequence[str] = (), *, knowledge: Path | None = ROOT / "knowledge",
                 cwd: Path | None = None, log_path: Path | None = None, startup_s: float = 180):
        """knowledge=None leaves the knowledge folder to the app's default; cwd and log_path default to
        data_dir's parent and data_dir's parent / app.log."""
        data_dir = Path(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = Path(log_path) if log_path is not None else data_dir.parent / "app.log"
        cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(self.port),
               "--data-dir", str(data_dir)]
        if knowledge is not None:
            cmd += ["--knowledge", str(knowledge)]
        cmd += list(args)
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        env.pop("INTERVIEWER_HOST", None)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=str(cwd if cwd is not None else data_dir.parent), env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_until_up(startup_s)
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=2) as r:
                return r.status == 200
        except urllib.error.HTTPError as e:  # with --auth the page answers 401 until logged in: it is up
            return e.code in (401, 403)
        except OSError:
            return False

    def _wait_until_up(self, startup_s: float) -> None:
        deadline = time.monotonic() + startup_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            if self._answers():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"app did not answer on {self.url} within {startup_s:g} s:\n"
                                   f"{self.log_path.read_text()}")
            try:
                self.proc.wait(timeout=0.5)  # a bounded wait between polls, not a synchronisation sleep
            except subprocess.TimeoutExpired:
                pass

    def stop(self, timeout: float = 20) -> None:
        """Stop the app (terminate, then kill after `timeout` s) and close its log; safe to call twice."""
        stop_process(self.proc, timeout)
        self._log.close()

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
