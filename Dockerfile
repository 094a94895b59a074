# One image for every Plinth process: `plinth serve <component>`, `plinth dev`, `plinth audit …`.
#   docker build -t plinth .
#   docker run plinth serve relay      (configure with PLINTH_* variables: docs/configuration.md)
# docs/deployment.md describes the processes; no container engine runs where Plinth is
# developed, so this file is not built by `make test`.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p plinth-cli --bin plinth

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/plinth --create-home plinth
COPY --from=build /src/target/release/plinth /usr/local/bin/plinth
USER plinth
# Relative paths in the settings (the audit signing key's, .plinth/keys/…) resolve here: mount
# a volume, or point audit.signing_key_path at a mounted secret.
WORKDIR /var/lib/plinth
# Listen beyond the container's loopback. The schema registry refuses to, without
# PLINTH_SCHEMA_REGISTRY_PASSWORD.
ENV PLINTH_GATEWAY_LISTEN=0.0.0.0:8080 \
    PLINTH_SCHEMA_REGISTRY_LISTEN=0.0.0.0:8081 \
    PLINTH_TELEMETRY_LOG_FORMAT=json
EXPOSE 8080 8081
ENTRYPOINT ["plinth"]
CMD ["serve", "gateway"]
