"""Notify's consumer: the reports, decisions and referrals topics, into the service
layer's handler table."""

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts import topics
from safetynet.notify.service_layer.messagebus import EVENT_HANDLERS, Dependencies
from safetynet.platform.messaging.broker import Broker
from safetynet.platform.messaging.consumer import ConsumerLoop, bind_handlers

GROUP = "safetynet-notify"


def consumer_loop(*, dependencies: Dependencies, broker: Broker, engine: AsyncEngine) -> ConsumerLoop:
    return ConsumerLoop(
        service="notify",
        group=GROUP,
        topics=[topics.REPORTS, topics.DECISIONS, topics.REFERRALS],
        broker=broker,
        handlers=bind_handlers(EVENT_HANDLERS, dependencies),
        engine=engine,
    )
