# One image for every role: api, worker, beat and the migration job differ only by command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY alerting ./alerting
COPY dispatch_adapter ./dispatch_adapter
COPY geo ./geo
COPY scripts ./scripts
RUN if [ -f scripts/build-web.sh ]; then bash scripts/build-web.sh; fi \
 && pip install --no-cache-dir . \
 && useradd --system --home /app alerting && mkdir -p /app/var && chown alerting /app/var
USER alerting
EXPOSE 8000
CMD ["python", "-m", "alerting", "serve", "--host", "0.0.0.0", "--port", "8000"]
