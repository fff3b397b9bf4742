"""Screening's consumer: the reports topic (to decide) and the referrals topic (to learn the
outcomes a replay compares against) and the commands topic (only the console's
ReplayRequested; routing's commands are skipped), into the service layer's handler table."""

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
        topics=[topics.REPORTS, topics.REFERRALS, topics.COMMANDS],
        broker=broker,
        handlers=bind_handlers(EVENT_HANDLERS, dependencies),
        engine=engine,
    )
