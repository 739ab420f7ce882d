"""The market data v2 feed state machine: snapshot then deltas, and every reason to resync."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from console.domain.book import OrderBook
from console.domain.model import Side
from console.venues.gemini.market_data import L2Feed, Resync
from console.venues.gemini.models import L2Updates, MarketTrade

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gemini"
D = Decimal


def sample(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fed(*frames: str) -> L2Feed:
    feed = L2Feed("btcusd", OrderBook("btcusd"))
    for frame in frames:
        feed.feed(frame)
    return feed


def test_doc_samples_parse():
    snapshot = L2Updates.model_validate_json(sample("md_l2_snapshot.json"))
    assert snapshot.changes[0].side == "buy" and snapshot.changes[0].price == D("9122.04")
    assert snapshot.trades is not None and snapshot.trades[0].quantity == D("0.0073173")
    assert L2Updates.model_validate_json(sample("md_l2_delta.json")).trades is None
    assert MarketTrade.model_validate_json(sample("md_trade.json")).price == D("9004.21000000")


def test_snapshot_then_delta_then_trade():
    feed = fed(sample("md_l2_snapshot.json"))
    book = feed.book
    assert (book.best_bid, book.best_ask, book.last) == (D("9122.04"), D("9122.07"), D("9122.04"))
    result = feed.feed(sample("md_l2_delta.json"))
    assert result.book_changed and not result.snapshot
    assert [lvl.price for lvl in book.asks()] == [D("9122.07"), D("9160.20")]
    trade = json.loads(sample("md_trade.json"))
    trade["tid"] += 1
    result = feed.feed(json.dumps(trade))
    assert [t.taker_side for t in result.trades] == [Side.BUY] and book.last == D("9004.21000000")
    feed.feed('{"type":"heartbeat","timestamp":1}')
    feed.feed('{"type":"candles_1m_updates","symbol":"BTCUSD","changes":[]}')  # a type we do not use
    assert book.best_bid == D("9122.04")


def test_a_second_snapshot_replaces_the_book():
    feed = fed(sample("md_l2_snapshot.json"))
    feed.feed('{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","5.00","1"]],"trades":[]}')
    assert feed.book.bids()[0].price == D("5.00") and feed.book.asks() == []


@pytest.mark.parametrize(
    ("frames", "why"),
    [
        ([sample("md_l2_delta.json")], "delta before the snapshot"),
        ([sample("md_trade.json")], "trade before the snapshot"),
        ([sample("md_l2_snapshot.json"), '{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.07","1"]]}'],
         "crossed book"),
        ([sample("md_l2_snapshot.json"), "{not json"], "invalid JSON"),
        ([sample("md_l2_snapshot.json"), '["l2_updates"]'], "not a JSON object"),
        ([sample("md_l2_snapshot.json"), '{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","","1"]]}'],
         "changes.0.price"),
        ([sample("md_l2_snapshot.json"), '{"type":"l2_updates","symbol":"BTCUSD","changes":[["hold","1","1"]]}'],
         "changes.0.side"),
        ([sample("md_l2_snapshot.json"), '{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","1","-2"]]}'],
         "bad level"),
        ([sample("md_l2_snapshot.json"), '{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","1"]]}'],
         "changes.0"),
        ([sample("md_l2_snapshot.json"), '{"type":"l2_updates","symbol":"ETHUSD","changes":[]}'], "ETHUSD"),
        ([sample("md_l2_snapshot.json"), '{"type":"trade","symbol":"BTCUSD","price":"1"}'], "bad frame"),
        (['{"type":"error","reason":"InvalidSymbol","message":"unknown symbol"}'], "InvalidSymbol"),
    ],
)
def test_every_doubt_raises_resync(frames, why):
    feed = L2Feed("btcusd", OrderBook("btcusd"))
    with pytest.raises(Resync, match=why):
        for frame in frames:
            feed.feed(frame)
