# Multi-stage build of the Ordera server: a full Rust toolchain to build, a slim Debian to run.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p ordera-server \
    && cp "$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/ordera-server" /ordera-server

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/ordera --create-home ordera
COPY --from=build /ordera-server /usr/local/bin/ordera-server
USER ordera
WORKDIR /var/lib/ordera
ENV ORDERA_DATA_DIR=/var/lib/ordera ORDERA_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/ordera-server"]
