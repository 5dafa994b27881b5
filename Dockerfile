# The akhbar workers, one image per role, from one file with build targets (docker-compose.yml picks them):
#   producer, sink   the base install: kafka-python, elasticsearch, pydantic (no faust, no torch, no camel-tools)
#   processor        plus the `processor` extra: faust, camel-tools, the CPU build of torch, crfsuite, scikit-learn
# Training (`training/`, the `train` extra) is not in any image: models are built from a clone and shipped
# inside the processors package.

FROM python:3.11-slim AS base
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
COPY devstack ./devstack

FROM base AS producer
RUN pip install .
USER akhbar
WORKDIR /home/akhbar
CMD ["akhbar", "produce", "--help"]

FROM base AS sink
RUN pip install .
USER akhbar
WORKDIR /home/akhbar
CMD ["akhbar", "sink"]

FROM base AS processor
# torch's CPU wheels: the CUDA build that PyPI serves by default adds ~3 GB a CPU container never uses.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu ".[processor]"
USER akhbar
WORKDIR /home/akhbar
CMD ["akhbar", "process"]
