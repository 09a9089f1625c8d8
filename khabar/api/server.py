"""Run the app on uvicorn: ``khabar serve`` and the end of ``make demo``.

The socket is bound before the server starts, so ``--port 0`` takes any free port and the
address printed is the one that answers (the browser tests start servers this way).
"""

from __future__ import annotations

import socket
from collections.abc import Callable

__all__ = ["bind", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise OSError(err.errno, f"cannot listen on {host}:{port}: {err.strerror} "
                                 "(choose another --port, or --port 0 for any free one)") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(settings: object, *, host: str = "127.0.0.1", port: int = 8000,
          ready: Callable[[str], None] | None = None) -> None:
    """Serve until Ctrl-C / SIGTERM; ``ready(url)`` is called once the socket listens."""
    import uvicorn

    from khabar.api.app import Settings, create_app

    assert isinstance(settings, Settings)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    app = create_app(settings)
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                            timeout_keep_alive=5, timeout_graceful_shutdown=5, h11_max_incomplete_event_size=16_384)
    server = uvicorn.Server(config)
    if ready:
        ready(f"http://{shown}:{bound_port}/")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
