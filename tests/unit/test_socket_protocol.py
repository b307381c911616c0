"""The lean parts of the websocket protocol behave as the asyncio primitives they replace."""

from __future__ import annotations

import asyncio

from alerting.realtime.socket_protocol import _Inbox, _Writable


async def test_the_inbox_hands_messages_in_order_to_a_waiting_reader():
    inbox = _Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await asyncio.wait_for(reader, 1) == 1
    assert not inbox.empty()
    assert await inbox.get() == 2
    assert inbox.empty()


async def test_a_cancelled_read_leaves_the_next_message_for_the_next_read():
    inbox = _Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    reader.cancel()
    inbox.put_nowait("kept")
    await asyncio.gather(reader, return_exceptions=True)
    assert await asyncio.wait_for(inbox.get(), 1) == "kept"


async def test_senders_wait_while_writing_is_paused_and_all_go_on_when_it_resumes():
    writable = _Writable()
    assert await writable.wait()  # open: no wait
    writable.clear()
    senders = [asyncio.create_task(writable.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(s.done() for s in senders)
    writable.set()
    assert await asyncio.wait_for(asyncio.gather(*senders), 1) == [True, True, True]


async def test_a_cancelled_sender_is_forgotten():
    writable = _Writable()
    writable.clear()
    sender = asyncio.create_task(writable.wait())
    await asyncio.sleep(0)
    sender.cancel()
    await asyncio.gather(sender, return_exceptions=True)
    assert not writable._waiters
    writable.set()
    assert writable.is_set()
