# The lobby: python -m game.lobby (FastAPI on uvicorn) with its Agones backend, as a
# non-root user, with the key mounted at /etc/cloudbreak/key. No game server, no pygame.
#
#   docker build -f deploy/docker/lobby.Dockerfile -t cloudbreak-lobby:0.1.0 .
#
# In Kubernetes (deploy/lobby.yaml) it runs with --backend=agones under a service account
# that may create GameServerAllocations.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY game ./game
RUN python -m venv /opt/cloudbreak \
    && /opt/cloudbreak/bin/pip install --no-cache-dir --disable-pip-version-check ".[lobby]"

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/cloudbreak/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /opt/cloudbreak /opt/cloudbreak
RUN groupadd --system --gid 10001 cloudbreak \
    && useradd --system --uid 10001 --gid cloudbreak --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin cloudbreak
USER 10001:10001
EXPOSE 8000/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["cloudbreak-lobby"]
CMD ["--backend=agones", "--host=0.0.0.0", "--port=8000", \
     "--key-file=/etc/cloudbreak/key", "--log-format=json"]
