"""SafetyNet Dispatch platform: what every service runs on and no service owns — the
message plumbing (outbox, inbox, relay, consumer loops, Kafka and the embedded log),
storage, migrations, crypto, county data and the settings base. It names no service:
each passes in its own schema, tables and settings."""
