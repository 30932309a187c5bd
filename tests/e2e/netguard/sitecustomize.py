"""Loaded by the app server started for the browser tests (``PYTHONPATH``): records every
outbound connection and DNS lookup the server process makes, so a test can prove that
nothing leaves the machine (issue 10). Loopback and Unix sockets are allowed; anything
else is written, one ``host port`` per line, to the file named by ``MYOSCOPE_NET_LOG``.
"""

from __future__ import annotations

import os
import socket

_LOG = os.environ.get("MYOSCOPE_NET_LOG", "")
_LOCAL = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", ""}


def _record(host: object, port: object) -> None:
    h = str(host)
    if h in _LOCAL or h.startswith(("127.", "/")):
        return
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{h} {port}\n")


if _LOG:
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> object:  # type: ignore[no-untyped-def]
        if isinstance(address, tuple):
            _record(address[0], address[1])
        return _connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:  # type: ignore[no-untyped-def]
        if isinstance(address, tuple):
            _record(address[0], address[1])
        return _connect_ex(self, address)

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        _record(host.decode() if isinstance(host, bytes) else host, port)
        return _getaddrinfo(host, port, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
