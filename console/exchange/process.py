"""Run the local exchange as a child process and learn its URLs: what the console does when no venue is given."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from pydantic import SecretStr

from console.exchange.keys import DEMO_API_SECRET, DEMO_WS_API_KEY, DEMO_WS_API_SECRET

__all__ = ["LocalExchangeInfo", "LocalExchangeProcess"]

_STOP_GRACE_S = 5.0
_STDERR_TAIL_CHARS = 4000
# The child must use the demo key pair the parent knows: never hand it the user's real credentials.
_SCRUBBED_ENV = ("GEMINI_API_KEY", "GEMINI_API_SECRET")


@dataclass(frozen=True)
class LocalExchangeInfo:
    """Where a started local exchange listens, and the key to use with it.

    Attributes:
        rest_url: e.g. ``"http://127.0.0.1:53211"`` (no trailing slash).
        ws_url: e.g. ``"ws://127.0.0.1:53211"``; order events are at ``ws_url + "/v1/order/events"``.
        api_key: the demo API key the child accepts.
        ws_api_url: the new WebSocket API, e.g. ``"ws://127.0.0.1:53211/ws"``
            (https://docs.gemini.com/websocket/introduction); None from a child that does not serve it.
        ws_api_key: the time-based-nonce key the new API accepts (the demo one), or None.
        private_key_path: the local Roxom venue's demo RSA private key (PKCS#8 PEM, mode 0600); None for Gemini.
    """

    rest_url: str
    ws_url: str
    api_key: str
    ws_api_url: str | None = None
    ws_api_key: str | None = None
    private_key_path: str | None = None

    @property
    def api_secret(self) -> SecretStr:
        """The demo secret matching :attr:`api_key` (known to the parent; never sent through the ready line)."""
        return SecretStr(DEMO_API_SECRET)

    @property
    def ws_api_secret(self) -> SecretStr:
        """The secret of :attr:`ws_api_key` (the demo time-based key's; never sent through the ready line)."""
        return SecretStr(DEMO_WS_API_SECRET if self.ws_api_key == DEMO_WS_API_KEY else "")


class LocalExchangeProcess:
    """The local exchange in a child process (``python -m console.exchange``) on a free loopback port.

    The child is started with ``--exit-with-stdin``: the parent holds its stdin open, so if the parent dies the pipe
    closes and the child exits on its own. The child's log (stderr) goes to a file in a temporary directory,
    removed by :meth:`stop`.

    Example::

        with LocalExchangeProcess() as proc:
            info = proc.start(seed=7)
            ...  # talk to info.rest_url / info.ws_url with info.api_key and info.api_secret
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmpdir: Path | None = None
        self._log_file: IO[bytes] | None = None
        self._info: LocalExchangeInfo | None = None

    @property
    def info(self) -> LocalExchangeInfo | None:
        """The running child's URLs and key, or None when not started."""
        return self._info

    @property
    def log_path(self) -> Path | None:
        """The child's stderr log file while it runs."""
        return None if self._tmpdir is None else self._tmpdir / "exchange.log"

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return None if self._proc is None else self._proc.pid

    def start(
        self,
        *,
        seed: int = 7,
        simulator: bool = True,
        timeout_s: float = 15.0,
        venue: str = "gemini",
        venue_args: Sequence[str] = (),
    ) -> LocalExchangeInfo:
        """Spawn the child and wait until it listens.

        Args:
            seed: random seed of the simulated market.
            simulator: run the market maker.
            timeout_s: how long to wait for the child's ready line, seconds.
            venue: ``"gemini"`` or ``"roxom"`` (the local Roxom venue; its ws_url already ends in ``/ws``).
            venue_args: more options for the child's command line, e.g. ``("--signature-padding", "pss")``.

        Returns:
            The child's URLs and API key.

        Raises:
            RuntimeError: if already started, or if the child exits or stays silent for ``timeout_s``; the message
                includes the tail of the child's log.
        """
        if self._proc is not None:
            raise RuntimeError("the local exchange process is already started")
        cmd = [
            sys.executable,
            "-m",
            "console.exchange",
            "--venue",
            venue,
            "--port",
            "0",
            "--ready-json",
            "--exit-with-stdin",
            "--seed",
            str(seed),
        ]
        if not simulator:
            cmd.append("--no-simulator")
        cmd.extend(venue_args)
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        # Make the child find this very package even when it is not installed (e.g. a plain checkout).
        project_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (project_root, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"

        self._tmpdir = Path(tempfile.mkdtemp(prefix="local-exchange-"))
        log_file = open(self._tmpdir / "exchange.log", "wb")  # noqa: SIM115 - closed in stop()
        self._log_file = log_file
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, env=env, close_fds=True
        )
        try:
            line = self._read_ready_line(timeout_s)
            ready = json.loads(line)
            ws_api_url, ws_api_key = ready.get("ws_api_url"), ready.get("ws_api_key")
            key_path = ready.get("private_key_path")
            self._info = LocalExchangeInfo(
                rest_url=str(ready["rest_url"]),
                ws_url=str(ready["ws_url"]),
                api_key=str(ready["api_key"]),
                ws_api_url=None if ws_api_url is None else str(ws_api_url),
                ws_api_key=None if ws_api_key is None else str(ws_api_key),
                private_key_path=None if key_path is None else str(key_path),
            )
        except Exception as exc:
            tail = self._stderr_tail()
            self.stop()
            raise RuntimeError(f"the local exchange did not start: {exc}\n--- its log ---\n{tail}") from None
        return self._info

    def _read_ready_line(self, timeout_s: float) -> str:
        """Read the child's one stdout line within ``timeout_s`` (a helper thread does the blocking read)."""
        assert self._proc is not None and self._proc.stdout is not None
        stdout = self._proc.stdout
        lines: queue.Queue[bytes] = queue.Queue(maxsize=1)
        threading.Thread(target=lambda: lines.put(stdout.readline()), name="exchange-ready", daemon=True).start()
        try:
            raw = lines.get(timeout=timeout_s)
        except queue.Empty:
            raise TimeoutError(f"no ready line within {timeout_s} s") from None
        if not raw:
            code = self._proc.wait(timeout=_STOP_GRACE_S)
            raise RuntimeError(f"the child exited with status {code} before it was ready")
        return raw.decode("utf-8", "replace").strip()

    def _stderr_tail(self) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return ""
        if self._log_file is not None:
            self._log_file.flush()
        text = path.read_bytes()[-_STDERR_TAIL_CHARS:].decode("utf-8", "replace")
        return text

    def stop(self) -> None:
        """Stop the child: close its stdin, terminate it, kill it after 5 s; remove its log. Safe to call twice."""
        proc, self._proc = self._proc, None
        self._info = None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=_STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> LocalExchangeProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort: never leave an orphan child behind
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
