"""Who may do what on the call server: the agent's token and each call's customer token.

The agent's token (one per server) reads and does everything on its calls. A customer token is
derived from the call id with a server secret, so it is valid for that one call only: it joins
the call's customer leg, plays a recording as the customer, hangs up, and reads the call's
transcript; it never reads the customer record, suggestions, alerts or other calls, and it
cannot take the agent leg.

A token arrives in the first URL only. The page's response moves it into an HttpOnly cookie
named after the call (or ``callkit-agent``), and the page drops it from its address, so a
reload, a bookmark or the history keeps no token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Literal

from .events import (CallEnded, CallStarted, Event, LegConnected, LegDropped, LegEnded,
                     LegMuted, TranscriptFinal, TranscriptPartial)

Role = Literal["agent", "customer"]
AGENT_COOKIE = "callkit-agent"
# What the caller's own page may read of the call: what was said, and the call's state.
CUSTOMER_EVENTS = (CallStarted, CallEnded, LegConnected, LegDropped, LegEnded, LegMuted,
                   TranscriptPartial, TranscriptFinal)


class Forbidden(PermissionError):
    """No token, a wrong one, or one that does not allow this."""


def call_cookie(call_id: str) -> str:
    return f"callkit-{call_id}"


class Access:
    def __init__(self, agent_token: str | None = None):
        self.agent_token = agent_token or secrets.token_urlsafe(16)
        self._secret = secrets.token_bytes(32)

    def customer_token(self, call_id: str) -> str:
        mac = hmac.new(self._secret, f"customer:{call_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def role(self, given: set[str], call_id: str | None) -> Role:
        """The role the given tokens grant for ``call_id`` (None: a route of no one call).
        Compared in constant time; raises :class:`Forbidden` when none is valid."""
        tokens = [t.encode() for t in given if t]
        if any(hmac.compare_digest(t, self.agent_token.encode()) for t in tokens):
            return "agent"
        if isinstance(call_id, str) and any(
                hmac.compare_digest(t, self.customer_token(call_id).encode()) for t in tokens):
            return "customer"
        raise Forbidden("a valid token is required")


def may_read(role: Role, event: Event) -> bool:
    return role == "agent" or isinstance(event, CUSTOMER_EVENTS)
