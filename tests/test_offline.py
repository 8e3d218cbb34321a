"""Nothing leaves the machine: ingest, search, a chat completion and a graded turn with every
non-loopback connection refused (a socket guard that fails the run)."""

import subprocess
import sys
import textwrap

from tests.conftest import ROOT, env_for

GUARD = textwrap.dedent("""
    import socket, sys
    attempts = []
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    def _check(addr):
        host = addr[0] if isinstance(addr, tuple) else addr
        if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost") or host.startswith("/")):
            return
        if not isinstance(addr, tuple):  # unix sockets
            return
        attempts.append(addr)
        raise ConnectionRefusedError(f"socket guard: outbound connection to {addr} refused")
    def connect(self, addr):
        _check(addr); return _connect(self, addr)
    def connect_ex(self, addr):
        _check(addr); return _connect_ex(self, addr)
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    _gai = socket.getaddrinfo
    def getaddrinfo(host, *a, **k):
        if host not in (None, "localhost", "127.0.0.1", "::1", "0.0.0.0") and not str(host).startswith("127."):
            attempts.append(("dns", host))
            raise socket.gaierror(f"socket guard: DNS lookup of {host} refused")
        return _gai(host, *a, **k)
    socket.getaddrinfo = getaddrinfo
""")

WORK = textwrap.dedent("""
    from interviewer.config import Settings
    from interviewer.session import Engine
    eng = Engine.load(Settings())
    hits = eng.index.search("moving the KV cache between prefill and decode", k=3)
    assert hits
    text = eng.llm.chat([{"role": "user", "content": "Say hello."}], max_tokens=8)
    assert text.strip()
    iv = eng.start(n_questions=1)
    iv.submit("NCCL uses ring and tree all-reduce; busbw = algbw x 2(n-1)/n.")
    if attempts:
        print("OUTBOUND", attempts); sys.exit(3)
    print("OFFLINE-OK")
""")


def test_a_whole_turn_runs_with_outbound_connections_refused(tmp_path):
    p = subprocess.run([sys.executable, "-c", GUARD + WORK], cwd=ROOT, env=env_for(tmp_path),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    assert "OFFLINE-OK" in p.stdout


def test_data_dir_is_user_only(tmp_path):
    from interviewer.config import Settings

    d = Settings(data_dir=tmp_path / "state").ensure_data_dir()
    assert d.stat().st_mode & 0o077 == 0
