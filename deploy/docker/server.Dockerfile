# The dedicated server, headless: python -m game.server (no pygame, no SDL), as a non-root
# user, with the key mounted at /etc/cloudbreak/key (a Secret; never in the image).
#
#   docker build -f deploy/docker/server.Dockerfile -t cloudbreak-server:0.1.0 .
#   docker run --rm -p 7654:7654/udp -p 7654:7654/tcp \
#       -v "$PWD/cloudbreak.key:/etc/cloudbreak/key:ro" cloudbreak-server:0.1.0
#
# Under Agones the Fleet (deploy/fleet.yaml) passes --agones; the image is the same.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY game ./game
RUN python -m venv /opt/cloudbreak \
    && /opt/cloudbreak/bin/pip install --no-cache-dir --disable-pip-version-check ".[server]"

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/cloudbreak/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /opt/cloudbreak /opt/cloudbreak
RUN groupadd --system --gid 10001 cloudbreak \
    && useradd --system --uid 10001 --gid cloudbreak --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin cloudbreak
USER 10001:10001
EXPOSE 7654/udp 7654/tcp 9100/tcp
# Healthy while the game loop answers on its own TCP port: the loop itself serves
# GET /ticket (403 "hands out no tickets" with a key file), so a stalled loop fails this.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import http.client as h; c = h.HTTPConnection('127.0.0.1', 7654, timeout=2); c.request('GET', '/ticket'); raise SystemExit(0 if c.getresponse().status in (200, 403) else 1)"]
ENTRYPOINT ["cloudbreak-server"]
CMD ["--host=0.0.0.0", "--port=7654", "--key-file=/etc/cloudbreak/key", \
     "--metrics-port=9100", "--log-format=json"]
