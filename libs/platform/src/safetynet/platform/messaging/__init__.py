"""How events travel: a broker interface with two implementations (Kafka and the
embedded SQL log), the transactional outbox and its relay, and the consumer loop that
commits offsets only after the database transaction commits."""

from safetynet.platform.messaging.broker import Broker, Consumer, Message

__all__ = ["Broker", "Consumer", "Message"]
