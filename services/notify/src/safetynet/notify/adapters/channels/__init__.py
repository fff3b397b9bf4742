"""Notification channels: one typed interface, one adapter per way of telling someone."""

from safetynet.notify.adapters.channels.base import NotificationChannel
from safetynet.notify.adapters.channels.recording import RecordingChannel

__all__ = ["NotificationChannel", "RecordingChannel"]
