"""SafetyNet Dispatch contracts: what crosses the wire — the partner report, the events
and commands between services, their envelope, the topics, and the compatibility rules
that keep them readable by older consumers. How messages travel is `safetynet.platform`."""
