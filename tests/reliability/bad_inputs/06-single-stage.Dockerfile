FROM debian:trixie-slim AS build
RUN apt-get update && apt-get install -y gcc
COPY stars.c .
RUN gcc -static -o /usr/local/bin/stars stars.c
CMD ["/usr/local/bin/stars"]
