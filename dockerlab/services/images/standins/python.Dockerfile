# Offline stand-in for python:3.13-slim, built by `dockerlab images ensure` when no registry answers.
# The official image compiles CPython into /usr/local; this one installs Debian trixie's Python 3.13,
# the same language version on the same Debian release. `python` and `pip` both answer, and pip
# installs local wheels (`pip install --no-index --find-links wheels/ NAME`).
FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip python-is-python3 \
 && rm -rf /var/lib/apt/lists/* \
 # Debian marks its Python "externally managed" so pip leaves it alone; in an image, pip is the point.
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
ENV LANG=C.UTF-8
CMD ["python3"]
