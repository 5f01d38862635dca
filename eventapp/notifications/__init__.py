"""Notifications: what the platform tells its people — an inbox, email and SMS, reminders and announcements.

Everything sent is first an outbox row (``models.Delivery``) keyed by (kind, subject, recipient, channel), so a
retried job, a second worker or a restart sends nothing twice and loses nothing. ``receivers.py`` turns the
platform's signals (``eventapp/signals.py``) into notifications; ``scheduling.py`` finds what is due
(reminders, scheduled announcements, the pipeline's milestones); ``delivery.py`` sends the outbox.
"""
