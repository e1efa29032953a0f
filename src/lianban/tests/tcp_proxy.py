"""A TCP proxy between the platform and its database that can play a database restart: every
open connection is cut at once and new ones are refused for a while, then accepted again —
what a web process sees when PostgreSQL restarts, without restarting a server others use."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self.accepted = 0
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._listener: socket.socket | None = None
        self._stopped = False
        self._listen()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _listen(self) -> None:
        listener = socket.socket()
        # The port is bound again after an outage while the old connections sit in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _accept_loop(self) -> None:
        while not self._stopped:
            listener = self._listener
            if listener is None:  # the database is "down": the port refuses connections
                time.sleep(0.02)
                continue
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed under us by outage()
                continue
            client.settimeout(None)
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # accepted just as the outage began
                    self._close(client, server)
                    continue
                self._pairs.append((client, server))
                self.accepted += 1
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._close(source, sink)

    @staticmethod
    def _close(*sockets: socket.socket) -> None:
        for s in sockets:
            with contextlib.suppress(OSError):  # already closed by the other side
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def cut(self) -> int:
        """Drop every open connection, both ways, as a stopping server does. Returns how
        many there were."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, server in pairs:
            self._close(client, server)
        return len(pairs)

    def outage(self, seconds: float) -> int:
        """The restart: cut every connection, refuse new ones for ``seconds``, then accept
        again. Returns how many connections were cut."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        cut = self.cut()
        time.sleep(seconds)
        self._listen()
        return cut

    def stop(self) -> None:
        self._stopped = True
        if self._listener is not None:
            self._listener.close()
        self.cut()
