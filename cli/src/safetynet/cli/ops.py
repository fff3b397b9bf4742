"""A small HTTP app for the services that have no API of their own: liveness and
readiness probes for Kubernetes and docker-compose health checks."""

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def ops_app(name: str, engine: AsyncEngine) -> FastAPI:
    app = FastAPI(title=f"SafetyNet Dispatch — {name} (ops)", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "service": name}, status_code=503)
        return JSONResponse({"status": "ready", "service": name})

    return app
