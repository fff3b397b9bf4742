"""Routing's consumer: the decisions and commands topics, into the service layer's handler tables."""

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts import topics
from safetynet.platform.messaging.broker import Broker
from safetynet.platform.messaging.consumer import ConsumerLoop, bind_handlers
from safetynet.routing.service_layer.messagebus import HANDLERS, Dependencies

GROUP = "safetynet-routing"


def consumer_loop(*, dependencies: Dependencies, broker: Broker, engine: AsyncEngine) -> ConsumerLoop:
    return ConsumerLoop(
        service="routing",
        group=GROUP,
        topics=[topics.DECISIONS, topics.COMMANDS],
        broker=broker,
        handlers=bind_handlers(HANDLERS, dependencies),
        engine=engine,
    )
