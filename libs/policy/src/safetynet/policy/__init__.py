"""SafetyNet Dispatch policy: the rules more than one service applies, each in one module.

- `referral_lifecycle`: referral statuses, the transitions of each action, and the
  report status and SLA completion they imply (routing, intake, notify);
- `repeat_window`: the 365-day window (intake's repeat detection and KPIs, routing's
  re-report after closure);
- `sla`: the deadline from the accepted time and the SLA length (intake, screening), and
  the 24-hour dispatch target (KPIs);
- `risk_lights` and `destination_kinds`: the order lists and queues follow;
- `tipvda`: the high-danger threshold (the high-danger list; screening's red light under v1);
- `long_term_care`: the review date of a long-term care household (API, console, routing,
  notify's reminder);
- `outcomes`: the close and reject vocabulary (API, routing, read model, KPIs, console);
- `destination_reasons`: which decision reason code asked for which destination kind
  (screening's rules, intake's learning KPIs).

Pure: no I/O, no service, only `safetynet.contracts` for the vocabulary.
"""
