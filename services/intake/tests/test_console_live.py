"""The console's live updates never miss a change that lands while a page is rendered
(issue 11, item 12: a report page stayed on `received` although routing had answered)."""

import re
import uuid
from datetime import UTC, datetime

from safetynet.intake.adapters import orm
from safetynet.intake.entrypoints.console import pages


async def test_a_change_committed_while_the_report_page_renders_is_still_streamed(
    client, keys, post_report, report, engine, monkeypatch
):
    posted = await post_report(report())
    assert posted.status_code == 202, posted.text
    rid = posted.json()["report_id"]
    landed: list[int] = []
    read = pages.report_context

    async def read_then_a_projection_commits(*args, **kwargs):
        context = await read(*args, **kwargs)
        # Routing's snapshot is projected just after the page read the report.
        async with engine.begin() as conn:
            result = await conn.execute(
                orm.timeline.insert().values(
                    report_id=rid,
                    event_id=str(uuid.uuid4()),
                    at=datetime.now(UTC),
                    event="status_awaiting_review",
                    actor="routing",
                )
            )
            landed.append(int(result.inserted_primary_key[0]))
        return context

    monkeypatch.setattr(pages, "report_context", read_then_a_projection_commits)
    page = await client.get(f"/console/reports/{rid}", headers=keys.dispatcher_miaoli.headers)
    assert page.status_code == 200, page.text
    since = int(re.search(r'data-events="/console/events\?since=(\d+)"', page.text).group(1))
    # The page's stream starts before that change, so the browser is told to refetch.
    assert since < landed[0]
