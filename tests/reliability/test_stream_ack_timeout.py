"""A stream whose subscription is never acknowledged is abandoned: the session reconnects instead of waiting forever.

Found by the Roxom reliability property test's stall fault: the venue goes silent, the watchdog reconnects, and the
new connection's ``orders`` subscription acknowledgement is lost in the silence; then the venue speaks again. Its
pongs are heartbeats, so the watchdog (silence only) never fires, and without the acknowledgement the session never
reconciles: STALE for ever, new orders refused. The session now gives the acknowledgement ``stale_after_s``.
"""

from __future__ import annotations

from console.trading.session import ConnectionState
from tests.support.reliability import wait_until
from tests.support.roxom_reliability import roxom_rig


async def test_a_subscription_never_acknowledged_is_abandoned_and_the_session_reconnects() -> None:
    async with roxom_rig(session_kwargs={"stale_after_s": 0.4}) as r:
        server, session = r.server, r.session
        reconciles = session.reconcile_count
        changes: list[tuple[ConnectionState, str]] = []
        session.listener.connection_changed = lambda state, detail: changes.append((state, detail))
        before = {c.conn_id for c in server._connections}
        server.faults.arm("stall-stream")
        await wait_until(lambda: session.connection is not ConnectionState.LIVE, what="the watchdog")

        def subscribed_in_the_silence() -> bool:  # a new connection whose acknowledgement was lost
            return any(c.conn_id not in before and ("orders", None) in c.subscriptions for c in server._connections)

        await wait_until(subscribed_in_the_silence, what="a reconnect during the stall")
        server.faults.clear()  # the venue speaks again on that connection: pongs, but never the lost ack
        await wait_until(lambda: session.connection is ConnectionState.LIVE, timeout=5.0,
                         what="the session live again")
        assert session.reconcile_count > reconciles
        assert any("acknowledg" in detail for _, detail in changes), changes

