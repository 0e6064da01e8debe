"""E-mail notifications: the inbox's notifications, mailed once to people who want them."""
