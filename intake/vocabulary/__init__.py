"""The words every layer shares: a problem's states and its history's event types.

A leaf: it imports nothing from Intake, so the models, the core and the read models all
name states and events the same way without depending on each other.
"""
