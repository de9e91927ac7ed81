# The gateway as a static, non-root image. Build: docker build -t gateway .
# The revision and build time are stamped by ldflags (the build context
# holds no .git): docker build --build-arg REVISION=$(git rev-parse HEAD) .

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG REVISION=unknown
RUN BUILD_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ) && \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.revision=${REVISION} -X main.buildTime=${BUILD_TIME}" \
      -o /out/gateway ./cmd/gateway && \
    mkdir -p /out/data

# distroless/static: CA certificates and tzdata, no shell, user 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /gateway
# The embedded SQLite store lives on the /data volume; with DATABASE_URL
# set to postgres://... the volume stays empty.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
ENV ADDR=:8080 \
    DATABASE_URL=sqlite:///data/gateway.db
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/gateway", "healthcheck"]
ENTRYPOINT ["/gateway"]
