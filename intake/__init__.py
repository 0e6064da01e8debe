"""Intake: the API a city technology department uses to take in, triage and track problems."""

__version__ = "0.1.0"
