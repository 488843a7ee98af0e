"""Compose blocks: Compose itself (`docker compose config`) judges the file; nothing is started."""

from __future__ import annotations

import pytest

from dockerlab.checks import compose
from support import reason, write_files

pytestmark = pytest.mark.engine

GOOD = """\
services:
  web:
    build: .
    ports:
      - "127.0.0.1:8080:8000"
    environment:
      REDIS_HOST: redis
    depends_on:
      redis:
        condition: service_healthy
  redis:
    image: redis:8
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 2s
    volumes:
      - data:/data
volumes:
  data:
"""


@pytest.fixture
def write(tmp_path):
    """``write(text, name)``: a file (text, or bytes as they are) in the test's folder, compose.yaml unless named; its path."""
    return lambda text, name="compose.yaml": write_files(tmp_path, {name: text}) / name


def variant(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new)


def test_good_file_passes_every_block(write):
    path = write(GOOD)
    for req in [
        compose.valid(path),
        compose.no_version_key(path),
        compose.service_exists(path, "web"),
        compose.builds(path, "web"),
        compose.builds(path, "web", context="."),
        compose.uses_image(path, "redis", "redis:8"),
        compose.publishes(path, "web", 8000, host_port=8080),
        compose.depends_on_healthy(path, "web", "redis"),
        compose.has_healthcheck(path, "redis"),
        compose.uses_volume(path, "redis", "data", "/data"),
        compose.env_set(path, "web", "REDIS_HOST", "redis"),
    ]:
        assert req.met, req


# -- bad input: every block says why ---------------------------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "is empty; a compose file starts with services:"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "is not a text file (it contains binary data)"),
        ("services:\n" + "  # padding\n" * 60_000, "far too big for a compose file"),
        ("services: [\n  : : nonsense", "compose.yaml: yaml: line 1: did not find expected node content"),
        ("just some words\n", "compose.yaml: yaml: unmarshal errors: line 1: cannot unmarshal"),
        ("services:\n  web:\n    image: x\n    volumes: [nope:/data]\n", 'service "web" refers to undefined volume nope'),
        ("services:\n  web:\n    imgae: nginx\n", "imgae"),
    ],
    ids=["empty", "binary", "huge", "nonsense-yaml", "not-a-mapping", "undefined-volume", "misspelt-key"],
)
def test_bad_files(write, content, expected):
    path = write(content)
    assert expected in reason(compose.valid(path))
    assert expected in reason(compose.service_exists(path, "web"))


def test_missing_file(write, tmp_path):
    assert "there is no compose file at" in reason(compose.valid(tmp_path / "compose.yaml"))
    write(GOOD, "docker-compose.yml")
    assert "there is no compose file at compose.yaml" not in reason(compose.valid(tmp_path / "compose.yaml"))
    assert "there is docker-compose.yml next to it: is that the file?" in reason(compose.valid(tmp_path / "compose.yaml"))


# -- version: --------------------------------------------------------------------------------------


def test_version_key(write):
    path = write('version: "3.8"\n' + GOOD)
    assert compose.valid(path).met  # Compose accepts it, with a warning
    assert "the top-level version: '3.8' is obsolete: Compose v2 ignores it and warns on every command; delete the line" in reason(
        compose.no_version_key(path)
    )
    assert "is not valid YAML (line 3, column 3): expected <block end>" in reason(compose.no_version_key(write("services:\n  - a\n  b: c\n")))
    assert "is YAML but not a mapping of keys" in reason(compose.no_version_key(write("- a\n- b\n")))
    assert "is empty" in reason(compose.no_version_key(write("# nothing\n")))


# -- services ------------------------------------------------------------------------------------------


def test_service_exists_wrong(write):
    path = write(GOOD)
    assert "there is no service named api; the file defines redis, web" in reason(compose.service_exists(path, "api"))
    assert "(web looks like a typo)" in reason(compose.service_exists(path, "webb"))
    assert "defines no services" in reason(compose.service_exists(write("services: {}\n"), "web"))


def test_builds_wrong(write):
    no_build = write(variant("    build: .\n", "    image: nginx:stable\n"))
    assert "the service web uses the ready-made image nginx:stable, so Compose never builds your Dockerfile; add build: ." in reason(
        compose.builds(no_build, "web")
    )
    assert "the service web is built from" in reason(compose.builds(write(GOOD), "web", context="app"))
    assert "there is no service named api" in reason(compose.builds(write(GOOD), "api"))


def test_uses_image_wrong(write):
    path = write(GOOD)
    full = write(variant("image: redis:8", "image: docker.io/library/redis:8"), "full.yaml")
    assert compose.uses_image(full, "redis", "redis:8").met
    assert "the service redis uses the image redis:8, not redis:7" in reason(compose.uses_image(path, "redis", "redis:7"))
    assert "the service web has no image: line (it is built" in reason(compose.uses_image(path, "web", "web:1"))
    assert "uses the image redis:latest, not redis:8" in reason(compose.uses_image(write(variant("image: redis:8", "image: redis:latest"), "latest.yaml"), "redis", "redis:8"))


# -- ports ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ports, expected",
    [
        ('"8080:8000"', 'the service web publishes 8000 on 0.0.0.0:8080, every address of this machine, so other computers on the network can reach it; bind it to 127.0.0.1 with "127.0.0.1:8080:8000" under ports:'),
        ('"127.0.0.1:8000:8080"', "publishes container port 8080 on host port 8000: the two numbers are swapped"),
        ('"127.0.0.1:9090:8000"', "the service web publishes 8000 on host port 9090, not on host port 8080"),
        ('"127.0.0.1:8080:80"', "publishes container port 80/tcp but not 8000, the port the app listens on"),
        ('"127.0.0.1:8080:8000/udp"', "publishes 8000/udp, not 8000/tcp"),
        ('"127.0.0.1::8000"', "publishes 8000 on a random host port, not on host port 8080"),
    ],
)
def test_publishes_wrong(write, ports, expected):
    path = write(variant('"127.0.0.1:8080:8000"', ports))
    assert expected in reason(compose.publishes(path, "web", 8000, host_port=8080))


def test_publishes_long_syntax_and_none(write):
    long = variant('      - "127.0.0.1:8080:8000"\n', "      - target: 8000\n        published: 8080\n        host_ip: 127.0.0.1\n")
    assert compose.publishes(write(long), "web", 8000, host_port=8080).met
    assert "the service redis publishes no ports" in reason(compose.publishes(write(GOOD), "redis", 6379))


# -- depends_on / healthcheck ----------------------------------------------------------------------------


def test_depends_on_wrong(write):
    short = variant("    depends_on:\n      redis:\n        condition: service_healthy\n", "    depends_on: [redis]\n")
    assert "the service web depends on redis, but it only waits for the container to start, not for the app in it to be ready; use the long form: depends_on: {redis: {condition: service_healthy}}" in reason(
        compose.depends_on_healthy(write(short), "web", "redis")
    )
    none = variant("    depends_on:\n      redis:\n        condition: service_healthy\n", "")
    assert "the service web does not depend on redis, so Compose may start it first" in reason(compose.depends_on_healthy(write(none), "web", "redis"))
    completed = variant("condition: service_healthy", "condition: service_completed_successfully")
    assert "but the condition is service_completed_successfully" in reason(compose.depends_on_healthy(write(completed), "web", "redis"))
    no_check = variant('    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n      interval: 2s\n', "")
    assert "the service redis has no working healthcheck, so it never becomes healthy and web never starts" in reason(
        compose.depends_on_healthy(write(no_check), "web", "redis")
    )


def test_healthcheck_wrong(write):
    assert "the service web has no healthcheck, so Compose" in reason(compose.has_healthcheck(write(GOOD), "web"))
    disabled = variant('      test: ["CMD", "redis-cli", "ping"]\n', "      disable: true\n")
    assert "healthcheck is disabled (disable: true)" in reason(compose.has_healthcheck(write(disabled), "redis"))
    none = variant('test: ["CMD", "redis-cli", "ping"]', 'test: ["NONE"]')
    assert "healthcheck test is NONE" in reason(compose.has_healthcheck(write(none), "redis"))


# -- volumes ---------------------------------------------------------------------------------------------


def test_uses_volume_wrong(write):
    bind = variant("      - data:/data\n", "      - ./data:/data\n")
    assert "the service redis mounts the host folder" in reason(compose.uses_volume(write(bind), "redis", "data", "/data"))
    assert "(a bind mount), not the named volume data; use a name, not a path: data:/data" in reason(
        compose.uses_volume(write(bind), "redis", "data", "/data")
    )
    anon = variant("      - data:/data\n", "      - /data\n")
    assert "mounts an anonymous volume at /data" in reason(compose.uses_volume(write(anon), "redis", "data", "/data"))
    elsewhere = variant("      - data:/data\n", "      - data:/srv\n")
    assert "mounts data at /srv, not at /data" in reason(compose.uses_volume(write(elsewhere), "redis", "data", "/data"))
    assert "the service web mounts nothing at /data" in reason(compose.uses_volume(write(GOOD), "web", "data", "/data"))


# -- environment -----------------------------------------------------------------------------------------


def test_env_wrong(write):
    path = write(GOOD)
    assert "sets REDIS_HOST=redis, not REDIS_HOST=db" in reason(compose.env_set(path, "web", "REDIS_HOST", "db"))
    assert "sets REDIS_HOST, not redis_host (names are case-sensitive)" in reason(compose.env_set(path, "web", "redis_host"))
    assert "does not set REDIS_PORT" in reason(compose.env_set(path, "web", "REDIS_PORT"))
    listed = variant("    environment:\n      REDIS_HOST: redis\n", "    environment:\n      - DOCKERLAB_SURELY_UNSET_VAR\n")
    assert "lists DOCKERLAB_SURELY_UNSET_VAR without a value, so it is taken from your shell, where it is not set" in reason(
        compose.env_set(write(listed), "web", "DOCKERLAB_SURELY_UNSET_VAR")
    )


def test_env_file_counts(write, tmp_path):
    (tmp_path / "web.env").write_text("REDIS_HOST=redis\n")
    path = write(variant("    environment:\n      REDIS_HOST: redis\n", "    env_file: web.env\n"))
    assert compose.env_set(path, "web", "REDIS_HOST", "redis").met
