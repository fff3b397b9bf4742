"""SafetyNet Dispatch contracts: the partner report, the events between services, the
topics, county data, and the message plumbing every service shares."""
