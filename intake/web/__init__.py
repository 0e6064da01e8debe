"""The request's plumbing that knows the configuration and the database.

Who is calling (``auth``: the token middleware, ``Caller``, ``require_role``) and
``Idempotency-Key`` (``idempotency``). It sits above ``intake.db``; ``intake.lib`` below it
holds the helpers that know neither.
"""
