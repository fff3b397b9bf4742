"""Screening's consumer: the reports topic, into the service layer's handler table."""

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts import topics
from safetynet.platform.messaging.broker import Broker
from safetynet.platform.messaging.consumer import ConsumerLoop, bind_handlers
from safetynet.screening.service_layer.messagebus import EVENT_HANDLERS, Dependencies

GROUP = "safetynet-screening"


def consumer_loop(*, dependencies: Dependencies, broker: Broker, engine: AsyncEngine) -> ConsumerLoop:
    return ConsumerLoop(
        service="screening",
        group=GROUP,
        topics=[topics.REPORTS],
        broker=broker,
        handlers=bind_handlers(EVENT_HANDLERS, dependencies),
        engine=engine,
    )
