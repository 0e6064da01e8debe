"""Outcomes endpoints."""

from __future__ import annotations

from litestar import Controller

ROUTES: list[type[Controller]] = []
