"""Where the layers meet: the core's subscribers, and the sessionmaker that carries them.

The app, the CLI (and through them the demo seed) and the tests make their sessions here,
so every change a service makes reaches the inbox, the portfolio's timeline, the SLA clocks
and the similar problems in its own transaction (``intake.problems.subscribers``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from intake.db import session
from intake.notifications import fan_out
from intake.portfolio import timeline
from intake.problems.subscribers import Subscribers
from intake.triage import similar
from intake.triage.sla import clocks

SUBSCRIBERS = Subscribers(
    event_recorded=(fan_out.notify, timeline.on_event, similar.on_event),
    state_changed=(clocks.on_state_changed,),
    event_rows=(fan_out.rows, timeline.rows, similar.rows),
)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose changes to problems reach every subscriber."""
    return session.create_sessionmaker(engine, info=SUBSCRIBERS.session_info())
