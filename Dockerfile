# sdrs-bot: the Slack bot for Huawei Cloud SDRS, as a container.
#   docker build -t sdrs-bot .          (or: podman build --format docker -t sdrs-bot .)
#   docker run --env-file bot.env -v sdrs-bot-data:/data -p 3000:3000 -p 9464:9464 sdrs-bot
# Configuration comes only from the environment (docs/configuration.md, "Environment
# variables"); nothing is read from files in the image. CI builds this from a Debian-packaged
# stand-in for the base (deploy/ci-image.sh), so keep to what both provide: python3 with venv,
# /bin/sh.
ARG BASE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/venv
WORKDIR /src
# Dependencies first, pinned and hash-checked (requirements.lock, from deploy/lock.sh), in their
# own layer so a code change does not reinstall them. A mounted CA bundle (CI) is used if there.
# The lock holds the postgresql extra (psycopg, PostgreSQL's driver): the image runs on SQLite
# (the default below) or PostgreSQL (the compose and Kubernetes examples) alike.
COPY requirements.lock ./
RUN if [ -s /etc/ssl/certs/ca-certificates.crt ]; then \
        export PIP_CERT=/etc/ssl/certs/ca-certificates.crt; fi; \
    /opt/venv/bin/pip install --require-hashes --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md MANIFEST.in babel.cfg ./
# the build backend compiles the message catalogs (handlers/locale/*.po -> .mo) into the wheel
COPY build_backend ./build_backend
COPY bot ./bot
COPY handlers ./handlers
RUN if [ -s /etc/ssl/certs/ca-certificates.crt ]; then \
        export PIP_CERT=/etc/ssl/certs/ca-certificates.crt; fi; \
    /opt/venv/bin/pip install --no-deps '.[postgresql]' \
    && /opt/venv/bin/python -c "import importlib.metadata as m; print('sdrs-bot', m.version('sdrs-bot'))" \
    && /opt/venv/bin/python -c "import psycopg; print('postgresql extra: psycopg', psycopg.__version__)"

FROM ${BASE}
ARG VERSION=unknown
LABEL org.opencontainers.image.title="sdrs-bot" \
      org.opencontainers.image.description="Slack chat-ops bot for Huawei Cloud SDRS" \
      org.opencontainers.image.version="${VERSION}"
# A fixed non-root user; /data holds the SQLite database (DATABASE_URL below) - mount a volume.
RUN groupadd --gid 10001 sdrs \
    && useradd --uid 10001 --gid sdrs --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin sdrs \
    && mkdir -p /data && chown sdrs:sdrs /data && chmod 0700 /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL=sqlite:////data/sdrs-bot.sqlite3 \
    HTTP_PORT=3000 \
    HEALTH_PORT=9464
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 3000 9464
# HTTP mode answers Slack on 3000; /healthz, /readyz and /metrics are on 9464 in both modes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HEALTH_PORT', '9464'), timeout=4)"]
# Exec form: sdrs-bot is PID 1 and gets SIGTERM itself; it stops within SHUTDOWN_SECONDS
# (default 20 s), so give the runtime longer than that (docker stop -t 30; Kubernetes
# terminationGracePeriodSeconds: 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["sdrs-bot"]
CMD ["serve"]
