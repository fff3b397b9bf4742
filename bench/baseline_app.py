"""The baseline: the least a JSON-over-HTTP intake can do on this stack. FastAPI reads
the body, asyncpg inserts it as jsonb in one statement, 202 with the new id. No key
check, no validation, no subject hashing, no outbox, no ORM.

    BENCH_BASELINE_DSN=postgresql://... uvicorn bench.baseline_app:app --port 8099
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline_reports (
    report_id uuid PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    body jsonb NOT NULL
)"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    dsn = os.environ["BENCH_BASELINE_DSN"].replace("postgresql+asyncpg://", "postgresql://")
    # The services' pool (safetynet.platform.storage.make_engine): 5 + 5 overflow.
    app.state.pool = await asyncpg.create_pool(dsn, min_size=5, max_size=10)
    async with app.state.pool.acquire() as conn:
        await conn.execute(SCHEMA)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/reports", status_code=202)
async def post_report(request: Request) -> JSONResponse:
    body = (await request.body()).decode()
    report_id = uuid.uuid4()
    async with request.app.state.pool.acquire() as conn:
        received_at = await conn.fetchval(
            "INSERT INTO baseline_reports (report_id, body) VALUES ($1, $2::jsonb) RETURNING received_at",
            report_id,
            body,
        )
    return JSONResponse({"report_id": str(report_id), "received_at": received_at.isoformat()}, status_code=202)
