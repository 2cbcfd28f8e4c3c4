# SPDX-License-Identifier: MIT
"""Answers shared between web nodes: each answer event goes to its conversation's channel-layer group,
and a running answer holds a lease in the cache while its process lives.

With several web nodes behind a load balancer (docs/scaling.md), a question asked on one node (over HTTP,
Server-Sent Events or a websocket) streams its events to every websocket open on that conversation, on
any node: `publish` sends each event to the group `answers.<workspace>.<conversation id>` of the channel
layer (Redis when REDIS_URL is set; in one process's memory otherwise). The consumer that asked already
sends the events itself, so each event carries the asking connection's channel name (`origin`) and that
connection skips its own.

`lease` keeps a key alive in the shared cache while the answer runs (a heartbeat thread renews it every
`HEARTBEAT_S` seconds for `LEASE_S` seconds). A node that dies mid-answer (SIGKILL, power loss) stops
renewing; an answer still `running` with no lease after `LEASE_S` is orphaned, and the next websocket
that opens the conversation claims it once (`claim_orphan`) and answers it again (consumers.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.utils import timezone

from chat2chart.conversations.events import EventJSON
from chat2chart.conversations.models import Message
from chat2chart.core import hooks

logger = logging.getLogger(__name__)

LEASE_S = 15
HEARTBEAT_S = 5
GROUP_EVENT = "answer.event"  # the consumer method `answer_event` receives it

# The channel name of the websocket connection that asked, in the thread that answers ("" elsewhere).
origin: ContextVar[str] = ContextVar("answer_origin", default="")


def group_name(conversation_id: int) -> str:
    """The channel-layer group of one conversation in the workspace in scope (ASCII, under 100 chars)."""
    return f"answers.{hooks.current_workspace() or 'public'}.{conversation_id}"


def publish(conversation_id: int, event: EventJSON) -> None:
    """Send one answer event (its checked JSON form) to the conversation's group.

    Called from the answering thread, never from an event loop's own thread. A channel layer that cannot be
    reached loses the other listeners' copy, never the answer: the failure is logged and the answer goes on
    (its asker receives it directly, and the saved message is shown on reconnect)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": GROUP_EVENT, "event": event, "origin": origin.get()}
    try:
        async_to_sync(layer.group_send)(group_name(conversation_id), message)
    except Exception:
        logger.warning("answer event for conversation %s not shared", conversation_id, exc_info=True)


def _lease_key(message_id: int) -> str:
    return f"answer-lease:{hooks.current_workspace()}:{message_id}"


@contextlib.contextmanager
def lease(message_id: int) -> Iterator[None]:
    """Hold the answer's lease while the block runs: set at once, renewed every HEARTBEAT_S seconds by a
    daemon thread, deleted at the end. The thread dies with the process, so the lease lapses within
    LEASE_S seconds of a crash."""
    key = _lease_key(message_id)
    stop = threading.Event()
    cache.set(key, 1, LEASE_S)

    def renew() -> None:
        while not stop.wait(HEARTBEAT_S):
            try:
                cache.set(key, 1, LEASE_S)
            except Exception:
                logger.warning("answer %s lease not renewed", message_id, exc_info=True)

    thread = threading.Thread(target=renew, name=f"answer-lease-{message_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        cache.delete(key)


def claim_orphan(message: Message) -> bool:
    """True once for an answer left `pending`/`running` by a process that died: older than LEASE_S and
    holding no lease. The claim (an atomic cache add) makes one caller, on one node, the one that answers
    it again; it lasts LEASE_S seconds, after which the new run's own lease protects it."""
    if message.role != Message.Role.ASSISTANT or message.status not in (
        Message.Status.PENDING,
        Message.Status.RUNNING,
    ):
        return False
    if message.created_at > timezone.now() - timedelta(seconds=LEASE_S):
        return False
    if cache.get(_lease_key(message.pk)) is not None:
        return False
    return bool(cache.add(f"answer-claim:{hooks.current_workspace()}:{message.pk}", 1, LEASE_S))
