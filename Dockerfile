# The kit's base image: the airbyte_dest_kit wheel with every extra, run as a non-root user.
# Connector images (destinations/*/Dockerfile, sources/*/Dockerfile) start from it and only name their command.
#
#   docker build -t airbyte-dest-kit:0.1.0 .
#   docker build -t airbyte-dest-kit/destination-duckdb:0.1.0 destinations/destination-duckdb

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY airbyte_dest_kit ./airbyte_dest_kit
RUN pip install --no-cache-dir build==1.6.1 \
    && python -m build --wheel --outdir /dist .

FROM python:3.11-slim
ARG KIT_VERSION=0.1.0
COPY --from=wheel /dist/airbyte_dest_kit-${KIT_VERSION}-py3-none-any.whl /tmp/
RUN pip install --no-cache-dir "/tmp/airbyte_dest_kit-${KIT_VERSION}-py3-none-any.whl[all]" \
    && rm /tmp/airbyte_dest_kit-${KIT_VERSION}-py3-none-any.whl \
    && useradd --create-home --uid 1000 airbyte
USER 1000
WORKDIR /home/airbyte
LABEL org.opencontainers.image.title="airbyte_dest_kit" \
      org.opencontainers.image.version="${KIT_VERSION}" \
      org.opencontainers.image.licenses="MIT"
