# bitnet serve as a static, CPU-only container image (issue 17).
#
#   docker build -t bitnet:dev --build-arg VERSION=dev .
#   docker run --read-only -p 8080:8080 bitnet:dev                    # embedded kjv-tiny model
#   docker run --read-only -p 8080:8080 -v /srv/models:/models:ro bitnet:dev serve -m /models/model.gguf
#
# The binary is built with -tags nocuda and CGO_ENABLED=0, so it needs no
# libc and runs FROM scratch as a non-root uid on a read-only root file
# system. bitnet has no probe subcommand: the HEALTHCHECK runs
# bitnet-probe (deploy/cmd/bitnet-probe), a static GET of /health.
# CUDA variant: build without -tags nocuda on a CUDA base image (see the
# comment at the end of this file).
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -tags nocuda -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/bitnet ./cmd/bitnet
RUN cd deploy && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/bitnet-probe ./cmd/bitnet-probe

FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title="bitnet" \
      org.opencontainers.image.description="BitNet b1.58 inference server (OpenAI-compatible)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/bitnet-go/bitnet"
COPY --from=build /out/bitnet /usr/local/bin/bitnet
COPY --from=build /out/bitnet-probe /usr/local/bin/bitnet-probe
# Listen on every interface inside the container (the default is loopback).
ENV BITNET_SERVER_ADDR=0.0.0.0:8080 \
    BITNET_TELEMETRY_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/bitnet-probe", "http://127.0.0.1:8080/health"]
ENTRYPOINT ["/usr/local/bin/bitnet"]
CMD ["serve"]

# CUDA variant (GPU backend, docs/gpu.md): the GPU path loads libcuda and
# NVRTC at run time through purego, so the binary is still CGO_ENABLED=0 but
# without -tags nocuda, on a base that ships NVRTC; the NVIDIA container
# toolkit mounts libcuda from the host:
#   FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04   (needs libnvrtc)
#   COPY --from=build /out/bitnet-cuda /usr/local/bin/bitnet
#   CMD ["serve", "--device", "cuda"]
# built with: CGO_ENABLED=0 go build -trimpath -o /out/bitnet-cuda ./cmd/bitnet
