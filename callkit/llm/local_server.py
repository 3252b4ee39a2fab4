"""llama.cpp's OpenAI-compatible server inside this process (``xllamacpp``), one per process,
shared by every call: the model is loaded once and its prompt cache serves all turns.

It listens on 127.0.0.1 on a free port and requires a token made at start, like every
server of the kit. Loading blocks for a few seconds, so async code starts it with
:func:`local_server` (in a worker thread). It is closed by :func:`close_local_server`, at
the latest when the process exits; closed, it leaves no port open and no thread but one
that xllamacpp keeps from its first start for the life of the process.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..packaged_files import ModelNotAvailable
from .model_file import INSTALL_HINT, model_file

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ServerSpec:
    model: Path
    threads: int
    context: int


class LocalModelServer:
    def __init__(self, spec: ServerSpec):
        try:
            import xllamacpp
        except ImportError:
            raise ModelNotAvailable(INSTALL_HINT) from None
        self.spec = spec
        self.api_key = secrets.token_hex(16)
        self.warmed = False  # the assistant's fixed prompt read once (OpenAIEngine.connect)
        params = xllamacpp.CommonParams()
        params.model.path = str(spec.model)
        params.n_ctx = spec.context
        # One request at a time: on two cores a second one would only slow the first, and
        # a turn's request is cancelled when the next turn comes (assistant/stage.py).
        params.n_parallel = 1
        params.cpuparams.n_threads = spec.threads
        params.cpuparams_batch.n_threads = spec.threads
        params.use_jinja = True  # the model's own chat template, tools included
        params.cache_prompt = True
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        params.api_keys = [self.api_key]
        params.verbosity = -1
        started = time.monotonic()
        self._server = xllamacpp.Server(params)
        self.base_url = str(self._server.listening_address).rstrip("/") + "/v1"
        # Closing a server whose HTTP loop has not started yet can hang: wait until it answers.
        self._wait_ready()
        self.load_s = time.monotonic() - started
        log.info("local model %s ready in %.1f s at %s", spec.model.name, self.load_s,
                 self.base_url)

    def _wait_ready(self) -> None:
        health = self.base_url.removesuffix("/v1") + "/health"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ModelNotAvailable(f"the local model server did not start within "
                                        f"{READY_TIMEOUT_S:g} s")
            time.sleep(0.05)

    def close(self) -> None:
        server, self._server = self._server, None
        del server  # xllamacpp stops its HTTP thread and frees the model when released


_lock = threading.Lock()
_server: LocalModelServer | None = None
_exit_hook = False


def spec_of(settings: Settings, progress: bool = False) -> ServerSpec:
    return ServerSpec(model_file(settings.llm_model, settings.model_cache_dir, progress),
                      settings.llm_threads, settings.llm_context)


def shared_server(settings: Settings, progress: bool = False) -> LocalModelServer:
    """The process's server for ``settings``' model, started if need be (blocking)."""
    global _server, _exit_hook
    with _lock:
        spec = spec_of(settings, progress)
        if _server is not None and _server.spec != spec:
            _server.close()
            _server = None
        if _server is None:
            _server = LocalModelServer(spec)
            if not _exit_hook:
                atexit.register(close_local_server)
                _exit_hook = True
        return _server


async def local_server(settings: Settings) -> LocalModelServer:
    """:func:`shared_server` off the event loop (assembling and loading take seconds)."""
    return await asyncio.to_thread(shared_server, settings)


def close_local_server() -> None:
    global _server
    with _lock:
        if _server is not None:
            _server.close()
            _server = None
