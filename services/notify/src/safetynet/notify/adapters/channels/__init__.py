"""Notification channels: one typed interface, one adapter per way of telling someone."""

from safetynet.notify.adapters.channels.base import NotificationChannel
from safetynet.notify.adapters.channels.mail import EmailChannel
from safetynet.notify.adapters.channels.recording import RecordingChannel
from safetynet.notify.adapters.channels.webhook import WebhookChannel

__all__ = ["EmailChannel", "NotificationChannel", "RecordingChannel", "WebhookChannel"]
