"""Worker threads that take urgent work first: a turn's final before anyone's partial.

Every leg of every call shares one whisper worker. With a first-come pool, a caller's final
waited behind the partials other legs had asked for a moment earlier; here it goes ahead of
them (``concurrent.futures.ThreadPoolExecutor`` has no priorities, hence this class).
Among equals, work runs in the order it came.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

URGENT, NORMAL, LAST = 0, 1, 2


class PriorityPool:
    def __init__(self, workers: int, name: str):
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._workers = workers
        self._name = name
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any, urgent: bool = False) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            if not self._threads:  # started on first use: a pool never used holds no thread
                self._threads = [threading.Thread(target=self._work, daemon=True,
                                                  name=f"{self._name}_{i}")
                                 for i in range(self._workers)]
                for thread in self._threads:
                    thread.start()
            self._queue.put((URGENT if urgent else NORMAL, next(self._order), future, fn, args))
        return future

    def _work(self) -> None:
        while True:
            _, _, future, fn, args = self._queue.get()
            if future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue  # its caller gave up before it started
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to the caller, as an executor does
                future.set_exception(exc)

    def shutdown(self, cancel_waiting: bool = False) -> None:
        """Finish the work already submitted (or, with ``cancel_waiting``, only the work
        already running: the rest is cancelled), then stop the threads."""
        with self._lock:
            self._closed = True
            while cancel_waiting:
                try:
                    _, _, future, _, _ = self._queue.get_nowait()
                except queue.Empty:
                    break
                if future is not None:
                    future.cancel()
            threads, self._threads = self._threads, []
            for _ in threads:
                self._queue.put((LAST, next(self._order), None, None, ()))
        for thread in threads:
            thread.join()
