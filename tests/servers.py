"""Real servers on loopback for the scale-out tests: llama-cpp-python's OpenAI-compatible server with the default
model, and a Chroma server (`chroma run`); each can be killed and started again on the same port (and path)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from eval.apprun import free_port, stop_process
from interviewer.config import default_model_path

STARTUP_S = 120  # the model server loads the model before it listens; both take seconds on 2 idle cores


class ModelServer:
    """`python -m llama_cpp.server` with the default model, serving it under the alias "smollm2"."""

    def __init__(self, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        # One thread: the server shares 2 cores with the test process, and llama.cpp's threads wait for each other
        # by spinning, so with two threads a descheduled one stalls the other (measured: a first 24-token reply took
        # 22 s and 8.4 CPU-s with the default threads on a busy machine, 2.5 s and 0.9 CPU-s with one).
        self.cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
                    "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048", "--model_alias", "smollm2",
                    "--n_threads", "1", "--n_threads_batch", "1", *extra]
        self.start()

    def start(self) -> None:
        """Start the server and return once uvicorn says it listens (it logs that on stderr after the load)."""
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str | None] = queue.Queue()

        def drain() -> None:  # keeps reading so that the server never blocks on a full pipe
            for line in self.proc.stderr:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        log: list[str] = []
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                stop_process(self.proc)
                raise RuntimeError("llama_cpp.server did not start:\n" + "".join(log[-30:]))
            log.append(line)
            if "Uvicorn running on" in line:
                return

    def stop(self) -> None:
        stop_process(self.proc)

    def kill(self) -> None:
        """A crash: SIGKILL, no graceful shutdown of the requests in flight."""
        self.proc.kill()
        self.proc.wait()


class ChromaServer:
    """`chroma run --path PATH --port P` from the chromadb package; up once its heartbeat answers."""

    def __init__(self, path: Path):
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def _beats(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> None:
        chroma = Path(sys.executable).with_name("chroma")
        log = self.path.with_name(self.path.name + ".log")
        with log.open("ab") as out:
            self.proc = subprocess.Popen([str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                          "--port", str(self.port)], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_S
        while not self._beats():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                stop_process(self.proc)
                raise RuntimeError(f"chroma run did not answer on {self.url}:\n{log.read_text()[-3000:]}")
            try:
                self.proc.wait(timeout=0.1)  # a bounded wait between two polls of the heartbeat
            except subprocess.TimeoutExpired:
                pass

    def stop(self) -> None:
        stop_process(self.proc)

    def pause(self) -> None:
        """A hung server: the port still accepts connections, nothing answers."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)
