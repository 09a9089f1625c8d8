"""Run the app on uvicorn: ``khabar serve`` and the end of ``make demo``.

The socket is bound before the server starts, so ``--port 0`` takes any free port and the
address printed is the one that answers (the browser tests start servers this way).

``workers`` > 1 serves the one socket from that many processes (uvicorn's supervisor, which
restarts a worker that dies): the pages and the JSON are rendered in Python, and one process holds
the GIL for all of that, so on two cores two workers answer nearly twice the requests. Each worker
builds the app from the settings passed in the environment (:func:`app_from_env`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from collections.abc import Callable
from typing import Any

__all__ = ["app_from_env", "bind", "serve"]

SETTINGS_ENV = "KHABAR_SERVE_SETTINGS"


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


def app_from_env() -> Any:
    """The app a worker process serves, from the settings its parent put in the environment."""
    from khabar.api.app import Settings, create_app

    return create_app(Settings(**json.loads(os.environ[SETTINGS_ENV])))


def serve(settings: object, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          ready: Callable[[str], None] | None = None) -> None:
    """Serve until Ctrl-C / SIGTERM; ``ready(url)`` is called once the socket listens."""
    import uvicorn

    from khabar.api.app import Settings, create_app

    assert isinstance(settings, Settings)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    # Keep-alive longer than a busy client's pause: a connection closed just as the client reuses it
    # is an error the client sees.
    options: dict[str, Any] = dict(log_level="warning", access_log=False, server_header=False, timeout_keep_alive=30,
                                   timeout_graceful_shutdown=5, h11_max_incomplete_event_size=16_384)
    try:
        if workers > 1:
            if settings.opener is not None:
                raise ValueError("workers > 1 open the archive by its URL; a custom opener cannot be passed to them")
            from uvicorn.supervisors import Multiprocess

            fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.name != "opener"}
            os.environ[SETTINGS_ENV] = json.dumps(fields)
            config = uvicorn.Config("khabar.api.server:app_from_env", factory=True, workers=workers, **options)
            if ready:
                ready(f"http://{shown}:{bound_port}/")
            Multiprocess(config, sockets=[sock]).run()
        else:
            server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
            if ready:
                ready(f"http://{shown}:{bound_port}/")
            server.run(sockets=[sock])
    finally:
        sock.close()
