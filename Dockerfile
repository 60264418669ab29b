# mockserver in a container: both mock APIs on port 4010, the control plane behind a token.
#   docker build -t mockserver .
#   docker run -p 4010:4010 -e MOCKSERVER_CONTROL_TOKEN=change-me mockserver
# Several replicas as one mock: add --state redis://HOST:6379/0 (deploy/compose.yaml,
# deploy/kubernetes/, docs/SCALING.md).

FROM python:3.12-slim AS build
WORKDIR /src
# Every package (build backend included) at the version requirements.lock pins.
ENV PIP_CONSTRAINT=/src/requirements.lock \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY pyproject.toml requirements.lock README.md ./
COPY mockserver ./mockserver
COPY specs ./specs
COPY fixtures ./fixtures
RUN python -m venv /opt/mockserver \
    && /opt/mockserver/bin/pip install --no-cache-dir ".[redis]"

FROM python:3.12-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mockserver
COPY --from=build /opt/mockserver /opt/mockserver
ENV PATH=/opt/mockserver/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001
EXPOSE 4010
# The health endpoint is part of the control plane: the check sends the control token.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "mockserver.healthcheck", "--port", "4010"]
# Listening beyond loopback: the control plane answers only with the token, which
# `serve` reads from MOCKSERVER_CONTROL_TOKEN (never from the command line, where ps shows it).
ENTRYPOINT ["mockserver", "serve", "--host", "0.0.0.0", "--port", "4010"]
CMD []
