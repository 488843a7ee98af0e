# Offline stand-in for hello-world: prints a greeting and exits 0.
FROM busybox:1.37
COPY hello.txt /hello.txt
CMD ["cat", "/hello.txt"]
