# Roccavina Water: multi-stage build. Stage 1 builds the server and the wasm bundle with
# cargo-leptos; stage 2 is a slim runtime running as a non-root user.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --locked --version 0.3.10
WORKDIR /src
# npm packages first (wasm-opt from binaryen, ECharts), cached while package.json is unchanged.
COPY end2end/package.json end2end/package-lock.json end2end/
RUN cd end2end && npm ci --no-audit --no-fund
COPY Cargo.lock ./
RUN cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
COPY . .
ENV PATH=/src/end2end/node_modules/.bin:$PATH
# ECharts is served from public/ (no CDN): the npm package's build, copied over.
RUN mkdir -p public/vendor \
 && cp end2end/node_modules/echarts/dist/echarts.min.js public/vendor/ \
 && cargo leptos build --release --split

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /app roccavina
WORKDIR /app
COPY --from=build /src/target/release/server /app/server
COPY --from=build /src/target/site /app/site
RUN mkdir -p /app/data && chown roccavina:roccavina /app/data
ENV LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    LEPTOS_ENV=PROD \
    DATABASE_URL=sqlite:///app/data/roccavina.db?mode=rwc \
    LOG_FORMAT=json
USER roccavina
EXPOSE 3000
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/app/server", "healthcheck", "--url", "http://127.0.0.1:3000/healthz"]
CMD ["/app/server", "serve"]
