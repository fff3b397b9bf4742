# One image for every SafetyNet service; the command picks the service.
FROM python:3.11-slim
# uv pinned: the version that wrote uv.lock, so `--frozen` reads it the same way on every build.
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY cli ./cli
RUN uv sync --all-packages --frozen --no-dev && useradd --system safetynet
ENV PATH="/app/.venv/bin:$PATH"
USER safetynet
ENTRYPOINT ["safetynet"]
CMD ["--help"]
