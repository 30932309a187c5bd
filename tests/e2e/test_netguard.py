"""The outbound-connection recorder used by the browser tests records what it should
(checked without sending anything: the real lookup is replaced by a stub)."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path


def test_netguard_records_non_local_lookups_only(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "net.log"
    monkeypatch.setenv("MYOSCOPE_NET_LOG", str(log))
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [])
    spec = importlib.util.spec_from_file_location("netguard_probe", Path(__file__).parent / "netguard" / "sitecustomize.py")
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
        socket.getaddrinfo("localhost", 8501)
        socket.getaddrinfo("127.0.0.1", 8501)
        socket.getaddrinfo("checkip.amazonaws.com", 443)
    finally:
        socket.socket.connect, socket.socket.connect_ex, _ = saved  # type: ignore[method-assign]
    assert log.read_text() == "checkip.amazonaws.com 443\n"
