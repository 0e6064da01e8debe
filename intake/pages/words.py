"""The words the pages say for Intake's states, written once: a problem's state (as its
requester reads it; triagers and leadership wait on someone else), the delivery phases,
an outcome review's result and a status update's status."""

from __future__ import annotations

STATUS_WORDS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "triage": "In triage",
    "needs_info": "Waiting for your answer",
    "declined": "Declined",
    "redirected": "Redirected",
    "duplicate": "Duplicate",
    "accepted": "Accepted",
    "discovery": "Discovery",
    "delivery": "Delivery",
    "live": "Live",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
    "on_hold": "On hold",
}
# The states as a triager says them.
TRIAGER_WORDS = {**STATUS_WORDS, "needs_info": "Waiting for the requester"}
DELIVERY_PHASES = {"alpha": "Alpha", "beta": "Beta"}
RESULTS = {
    "achieved": "Achieved",
    "partially_achieved": "Partially achieved",
    "not_achieved": "Not achieved",
    "not_measurable": "Not measurable",
}
UPDATE_STATUSES = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}
