"""SafetyNet Dispatch policy: the rules more than one service applies, each in one module.

- `referral_lifecycle`: referral statuses, the transitions of each action, and the
  report status and SLA completion they imply (routing, intake, notify);
- `repeat_window`: the 365-day window (intake's repeat detection and KPIs, routing's
  re-report after closure);
- `sla`: the deadline from the accepted time and the SLA length (intake, screening), and
  the 24-hour dispatch target (KPIs);
- `risk_lights` and `destination_kinds`: the order lists and queues follow;
- `tipvda`: the high-danger threshold (screening's red light, the high-danger list);
- `outcomes`: the close and reject vocabulary (API, routing, read model, KPIs, console).

Pure: no I/O, no service, only `safetynet.contracts` for the vocabulary.
"""
