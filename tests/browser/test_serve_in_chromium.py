"""`trading-console serve` driven in headless Chromium: keys typed in the page place an order on the exchange.

Run by `make browser-test` only (it installs Debian's chromium when missing); `make test` does not collect it.
The browser is driven over the Chrome DevTools Protocol with the `websockets` package the console already uses.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import websockets

from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET
from tests.support.exchange_thread import ExchangeThread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(predicate, timeout_s: float, what: str, step_s: float = 0.2):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        value = await predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(step_s)  # bounded polling of another process


def journal_requests(path: Path) -> list[tuple[str, dict]]:
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = db.execute("SELECT path, data FROM journal WHERE direction = 'request'").fetchall()
        db.close()
    except sqlite3.Error:
        return []
    return [(p, json.loads(d)) for p, d in rows]


class Cdp:
    """A minimal Chrome DevTools Protocol client for one page."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params):
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if message.get("id") == my_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def key(self, key: str, text: str = "", code: str = "", vk: int = 0) -> None:
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key, "code": code, "windowsVirtualKeyCode": vk}
            if text and kind == "keyDown":
                params["text"] = text
            await self.call("Input.dispatchKeyEvent", **params)

    async def type(self, text: str) -> None:
        for ch in text:  # one input event per character, paced like a fast typist (xterm.js batches bursts)
            await self.call("Input.insertText", text=ch)
            await asyncio.sleep(0.05)


async def test_keys_typed_in_the_browser_place_an_order(tmp_path):
    assert CHROMIUM, "make browser-test installs chromium first"
    with ExchangeThread(port=0, simulator=True, seed=7, heartbeat_interval_s=60) as exchange:
        serve_port, debug_port = free_port(), free_port()
        env = {**os.environ, "GEMINI_API_KEY": DEMO_API_KEY, "GEMINI_API_SECRET": DEMO_API_SECRET,
               "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
               "PYTHONPATH": str(ROOT)}
        serve = subprocess.Popen([sys.executable, "-m", "console.app.cli", "serve", "--port", str(serve_port), "--",
                                  "--rest-url", exchange.server.rest_url], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        browser = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                                    f"--remote-debugging-port={debug_port}", f"--user-data-dir={tmp_path / 'chrome'}",
                                    "--window-size=1280,800", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            async with httpx.AsyncClient() as http:
                async def page_ws():
                    try:
                        targets = (await http.get(f"http://127.0.0.1:{debug_port}/json")).json()
                    except httpx.HTTPError:
                        return None
                    pages = [t for t in targets if t.get("type") == "page"]
                    return pages[0]["webSocketDebuggerUrl"] if pages else None

                async def serving():
                    try:
                        return (await http.get(f"http://127.0.0.1:{serve_port}/")).status_code == 200
                    except httpx.HTTPError:
                        return False

                await until(serving, 30, "textual-serve")
                ws_url = await until(page_ws, 30, "chromium's debugging endpoint")
            journal = tmp_path / "state" / "trading-console" / "journal.sqlite3"
            async with websockets.connect(ws_url, max_size=None) as ws:
                cdp = Cdp(ws)
                await cdp.call("Page.enable")
                await cdp.call("Page.navigate", url=f"http://127.0.0.1:{serve_port}/")

                async def console_live():  # the page's websocket started a console that loaded its symbols
                    return any(p.startswith("/v1/symbols/details") for p, _ in journal_requests(journal)) and \
                        any(p == "/v1/orders" for p, _ in journal_requests(journal))

                await until(console_live, 60, "the console started by the page")
                await cdp.call("Input.dispatchMouseEvent", type="mousePressed", x=300, y=300, button="left",
                               clickCount=1)
                await cdp.call("Input.dispatchMouseEvent", type="mouseReleased", x=300, y=300, button="left",
                               clickCount=1)
                await cdp.call("Runtime.evaluate", expression="document.querySelector('textarea')?.focus()")
                await cdp.type("o")
                await asyncio.sleep(0.3)  # let the ticket take focus in the console process before typing on
                await cdp.type("62500.00")
                await cdp.key("Tab", code="Tab", vk=9)
                await cdp.type("0.01")
                await cdp.key("Enter", text="\r", code="Enter", vk=13)

                async def order_sent():
                    return [d for p, d in journal_requests(journal) if p == "/v1/order/new"]

                try:
                    (sent,) = await until(order_sent, 30, "the order typed in the browser")
                finally:  # the page as it was, to look at (BROWSER_SCREENSHOT=path keeps a copy)
                    shot = await cdp.call("Page.captureScreenshot", format="png")
                    (tmp_path / "browser.png").write_bytes(base64.b64decode(shot["data"]))
                    if os.environ.get("BROWSER_SCREENSHOT"):
                        shutil.copy(tmp_path / "browser.png", os.environ["BROWSER_SCREENSHOT"])
                assert sent["payload"]["price"] == "62500.00" and sent["payload"]["amount"] == "0.01"
        finally:
            browser.terminate()
            serve.terminate()
            browser.wait(10)
            serve.wait(10)
