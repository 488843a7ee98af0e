# A learner's own Docker engine (Docker-in-Docker sidecar). It must run --privileged: see docs/hub.md.
# Built offline from the engine binaries of the build machine (bin/) and the libraries they link (lib/);
# scripts/hub_smoke.sh assembles the context. Where a registry answers, docker:dind does the same job.
FROM debian:trixie-slim
COPY bin/ /usr/local/bin/
COPY lib/ /usr/local/lib/dind/
ENV LD_LIBRARY_PATH=/usr/local/lib/dind
VOLUME /var/lib/docker
CMD ["dockerd", "-H", "unix:///run/dind/docker.sock"]
