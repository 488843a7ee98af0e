# Offline stand-in for redis:8: Debian trixie's Redis 8 server.
FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
EXPOSE 6379
# Listen on every interface of the container's network, as the official image does: protected
# mode would refuse other containers, and the container's network is what isolates it.
CMD ["redis-server", "--protected-mode", "no", "--bind", "0.0.0.0", "--dir", "/data"]
