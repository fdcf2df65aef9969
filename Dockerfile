# syntax=docker/dockerfile:1

# ---- build stage -----------------------------------------------------------
# Base images are pinned: the Go toolchain by its exact version (go.mod's),
# the runtime by digest. Refresh both in a reviewed commit.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src

# Download modules first so this layer is cached until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
# Pure-Go build (the embedded SQLite driver needs no cgo), so the binary is
# fully static and runs on distroless/static.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/timeline .

# ---- runtime stage ---------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639
# The nonroot user owns its home directory, so the default embedded SQLite
# file (SQLITE_PATH=timeline.db, relative to the working directory) is writable.
WORKDIR /home/nonroot
COPY --from=build /out/timeline /timeline
ENV GIN_MODE=release
USER nonroot:nonroot
EXPOSE 8080
# Distroless has no shell or curl: health checks run the binary itself,
# `/timeline healthcheck` (GET /readyz on this host), as compose.yaml does.
ENTRYPOINT ["/timeline"]
CMD ["serve"]
