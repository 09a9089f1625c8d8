"""Streaming a writer's output as an HTTP body in constant memory.

The archive's exports write to a file (``write(out)``); an HTTP response needs an iterator of
chunks. :func:`stream_writer` runs the writer in a thread of its own, writing into a pipe whose
bounded queue holds at most a few chunks: when the client reads slowly the writer waits, and when
the client goes away the writer's next write fails and the export stops. Memory stays at
``max_chunks × chunk`` bytes whatever the size of the export.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import AsyncIterator, Callable
from typing import IO, Any, cast

import anyio.to_thread

__all__ = ["ClientGone", "stream_writer"]

_DONE = object()


class ClientGone(Exception):
    """The response's reader went away; the writer stops."""


class _Pipe(io.RawIOBase):
    """A write-only binary file whose chunks go to a bounded queue."""

    def __init__(self, q: queue.Queue[Any], gone: threading.Event, chunk: int) -> None:
        self.q = q
        self.gone = gone
        self.chunk = chunk
        self.buffer = bytearray()
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.gone.is_set():
            raise ClientGone
        view = bytes(data)
        self.buffer += view
        self.position += len(view)
        if len(self.buffer) >= self.chunk:
            self._put(bytes(self.buffer))
            self.buffer.clear()
        return len(view)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        if self.buffer:
            self._put(bytes(self.buffer))
            self.buffer.clear()

    def _put(self, item: Any) -> None:
        while True:
            if self.gone.is_set():
                raise ClientGone
            try:
                self.q.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


async def stream_writer(write: Callable[[IO[Any]], Any], *, text: bool = False, chunk: int = 64 * 1024,
                        max_chunks: int = 8) -> AsyncIterator[bytes]:
    """The bytes ``write(out)`` writes to ``out`` (a text stream in UTF-8 when ``text``), as they come."""
    q: queue.Queue[Any] = queue.Queue(maxsize=max_chunks)
    gone = threading.Event()
    pipe = _Pipe(q, gone, chunk)

    def produce() -> None:
        try:
            if text:
                out: IO[Any] = io.TextIOWrapper(cast(Any, pipe), encoding="utf-8", newline="", write_through=True)
                write(out)
                out.flush()
            else:
                write(cast(IO[bytes], pipe))
            pipe.flush()
            pipe._put(_DONE)
        except ClientGone:
            return
        except BaseException as err:  # handed to the reader, which ends the response
            try:
                pipe._put(err)
            except ClientGone:
                return

    thread = threading.Thread(target=produce, name="khabar-export", daemon=True)

    def take() -> Any:
        while True:
            try:
                return q.get(timeout=0.5)
            except queue.Empty:
                if not thread.is_alive() and q.empty():
                    return _DONE

    thread.start()
    try:
        while True:
            item = await anyio.to_thread.run_sync(take, abandon_on_cancel=True)
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        gone.set()
