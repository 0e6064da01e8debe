"""Webhooks: the event feed pushed to subscribed receivers, one signed POST per event."""
