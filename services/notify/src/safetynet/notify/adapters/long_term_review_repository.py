"""Long-term care households' review dates (orm.long_term_reviews, issue 14)."""

from datetime import date

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.notify.adapters import orm
from safetynet.notify.domain.long_term_review import LongTermReview

_t = orm.long_term_reviews


class LongTermReviewRepository:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def keep(self, review: LongTermReview) -> None:
        """Placed or renewed: the household's next review is `review.review_on`."""
        values = {"report_id": review.report_id, "county": review.county, "unit": review.unit}
        found = await self._session.scalar(select(_t.c.referral_id).where(_t.c.referral_id == review.referral_id))
        if found is None:
            await self._session.execute(
                insert(_t).values(referral_id=review.referral_id, review_on=review.review_on, **values)
            )
        else:
            await self._session.execute(
                update(_t).where(_t.c.referral_id == review.referral_id).values(review_on=review.review_on, **values)
            )

    async def forget(self, referral_id: str) -> None:
        """Closed: no more reviews."""
        await self._session.execute(delete(_t).where(_t.c.referral_id == referral_id))

    async def due(self, *, today: date, limit: int) -> list[LongTermReview]:
        """Households whose review date passed before `today` and was not reminded yet,
        locked (on PostgreSQL) so two schedulers do not remind the same one at once."""
        query = (
            select(_t.c.referral_id, _t.c.report_id, _t.c.county, _t.c.unit, _t.c.review_on)
            .where(_t.c.review_on < today, or_(_t.c.reminded_on.is_(None), _t.c.reminded_on != _t.c.review_on))
            .order_by(_t.c.review_on, _t.c.referral_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [LongTermReview(**row._mapping) for row in await self._session.execute(query)]

    async def reminded(self, review: LongTermReview) -> None:
        await self._session.execute(
            update(_t).where(_t.c.referral_id == review.referral_id).values(reminded_on=review.review_on)
        )
