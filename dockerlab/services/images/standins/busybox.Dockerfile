# Offline stand-in for busybox:1.37: Debian trixie's static BusyBox in an otherwise empty image.
# A two-stage build: the first stage only fetches the binary, the second keeps just that file.
FROM debian:trixie-slim AS fetch
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static

FROM scratch
COPY --from=fetch /bin/busybox /bin/busybox
# Make sh, ls, ps, wget ... as links to the one binary, as the official image does.
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["sh"]
