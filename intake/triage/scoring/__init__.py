"""Scoring: the score and the suggested ratings as pure functions (``rules``), and a
problem's scores as the triager sets them, with their history (``service``)."""
