# The akhbar workers (producer, processor, sink); docker-compose.yml runs one container per command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 akhbar
WORKDIR /app

COPY pyproject.toml README.md ./
COPY akhbar ./akhbar
COPY schemas ./schemas
COPY producers ./producers
COPY processors ./processors
COPY sinks ./sinks
RUN pip install .

USER akhbar
WORKDIR /home/akhbar
# The commands come from docker-compose.yml, e.g. ["akhbar", "process"].
CMD ["akhbar", "--help"]
