"""Exercises of notebook 11-security.

``11.secret-mount``      rewrite a Dockerfile that takes a token as a build argument so that it uses
                         a BuildKit secret mount instead; the built image must not contain the token.
``11.hardened-server``   run busybox's web server as a hardened container: non-root, read-only
                         root filesystem, no capabilities, memory, CPU and process limits.

The notebook writes the token to ``work/11-security/token.txt``; :data:`TOKEN` is its content.
"""

from __future__ import annotations

import io
import json
import re
import tarfile

import docker.errors

from dockerlab import engine
from dockerlab.checks import containers, dockerfile, exercise, http, images, prerequisite
from dockerlab.checks.blocks import Unmet, block, show
from dockerlab.services import dockerfile as dockerfiles

#: A made-up token: the notebook writes it to token.txt (no newline) and hunts for it in images.
TOKEN = "s3cr3t-demo-token-4f9a2c"
SECRET_ID = "api_token"
SERVER_PORT = 8080


# -- finding a secret in an image ---------------------------------------------------------------


def where_in_image(ref: str, needle: str) -> list[str]:
    """Every place in the image ``ref`` whose bytes contain ``needle``: its config, a layer's file, or
    another file the image carries (an attestation, on the containerd image store).

    Reads the image as ``docker save`` writes it (the engine's ``images/get``), so it sees every
    layer, also files that a later layer deletes.
    """
    wanted = needle.encode()
    found: list[str] = []
    raw = engine.client().api.get_image(ref)
    archive = io.BytesIO(b"".join(raw))
    with tarfile.open(fileobj=archive) as image:
        manifest = json.load(image.extractfile("manifest.json"))[0]
        config = image.extractfile(manifest["Config"]).read()
        if wanted in config:
            found.append("the image's configuration (docker history and docker inspect show it)")
        for number, layer in enumerate(manifest["Layers"], 1):
            with tarfile.open(fileobj=image.extractfile(layer)) as files:
                for member in files.getmembers():
                    if member.isfile():
                        handle = files.extractfile(member)
                        if handle is not None and wanted in handle.read():
                            found.append(f"layer {number}, file /{member.name}")
        # Whatever else the image carries: on the containerd image store, its attestations (a provenance
        # attestation built with --provenance=mode=max lists the build arguments).
        read = {manifest["Config"], *manifest["Layers"]}
        for other in image.getmembers():
            handle = image.extractfile(other) if other.isfile() and other.name not in read else None
            if handle is not None and wanted in handle.read():
                found.append(f"/{other.name} in the saved image (an attestation that comes with it)")
    return found


@block("the image {ref} does not contain the token")
def token_not_in(ref: str, token: str = TOKEN):
    images.get(ref)
    places = where_in_image(ref, token)
    if not places:
        return None
    return (
        "the token is in the image, readable by anyone who has it: " + "; ".join(places)
        + ". A file deleted by a later RUN is still in the layer that added it; a build argument used by RUN is "
        "written into the history. Use RUN --mount=type=secret,id=api_token and read /run/secrets/api_token"
    )


@block(lambda path, secret_id=SECRET_ID: f"{show(dockerfiles.resolve(path))} mounts the build secret {secret_id} in a RUN")
def mounts_secret(path, secret_id: str = SECRET_ID):
    df = dockerfile.parse(path)
    mounts = []
    for ins in df.find("RUN"):
        for word in ins.value.split():
            if word.startswith("--mount=") and "type=secret" in word:
                mounts.append((ins, word))
    if not mounts:
        uses_arg = [i for i in df.find("ARG") if "TOKEN" in i.value.upper()]
        was = f" (line {uses_arg[0].line} still takes it as ARG)" if uses_arg else ""
        return (
            f"no RUN mounts a secret{was}; write RUN --mount=type=secret,id={secret_id} ... and read the token from "
            f"/run/secrets/{secret_id} in that RUN"
        )
    for ins, word in mounts:
        options = dict(part.split("=", 1) for part in word.removeprefix("--mount=").split(",") if "=" in part)
        got = options.get("id") or options.get("target", "").rsplit("/", 1)[-1]
        if got == secret_id:
            return None
    ins, word = mounts[0]
    options = dict(part.split("=", 1) for part in word.removeprefix("--mount=").split(",") if "=" in part)
    return (
        f"line {ins.line} mounts a secret with id={options.get('id', '(none)')}, but the build passes it as "
        f"id={secret_id} (docker build --secret id={secret_id},src=...): the two ids must match"
    )


@block("the image {ref} was built with the token (its /fetched.txt says so)")
def used_the_token(ref: str, token: str = TOKEN):
    images.get(ref)
    text = _read_file(ref, "/fetched.txt")
    wanted = f"{len(token)}-character"
    if wanted in text:
        return None
    if re.search(r"with an? (0)?-character", text) or not text.strip():
        return (
            f"/fetched.txt says {text.strip()!r}: the RUN saw no token. Read it from /run/secrets/api_token "
            "in the RUN that mounts it, and build with --secret id=api_token,src=token.txt. (If you did pass "
            "--secret, BuildKit reused a cached result of a build without it: the secret is not part of the "
            "cache key. Build again with --no-cache.)"
        )
    return f"/fetched.txt says {text.strip()!r}, not a {wanted} token; keep the RUN's echo line as it was"


def _read_file(ref: str, path: str) -> str:
    """A file's text from an image, through a created (never started) container."""
    from dockerlab.engine import session

    api = engine.client().api
    created = api.create_container(ref, command=["true"], labels=session.current().labels())
    try:
        try:
            stream, _stat = api.get_archive(created["Id"], path)
        except docker.errors.NotFound:
            raise Unmet(f"the image {ref} has no {path}: keep the RUN that writes it") from None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            member = archive.getmembers()[0]
            handle = archive.extractfile(member)
            return handle.read().decode("utf-8", "replace") if handle else ""
    finally:
        api.remove_container(created["Id"], force=True)


@block("the image {ref} exists")
def built(ref: str, folder: str):
    try:
        engine.client().images.get(ref)
    except docker.errors.ImageNotFound:
        return (
            f"no image is tagged {ref}; build it with docker build --no-cache --secret id={SECRET_ID},src=token.txt -t {ref} {folder}"
        )
    return None


@exercise(
    "11.secret-mount",
    title="Use the token at build time without leaving it in the image",
    hints=[
        "Delete ARG API_TOKEN. Instead, mount the secret into the one RUN that needs it: "
        "RUN --mount=type=secret,id=api_token ...",
        "Inside that RUN the token is the file /run/secrets/api_token: its length is $(wc -c < /run/secrets/api_token).",
        "Build with the secret: docker build --no-cache --secret id=api_token,src=PATH/token.txt -t TAG FOLDER",
    ],
)
def secret_mount(lesson):
    folder = lesson.path("exercise")
    tag = lesson.name("fetcher")
    yield prerequisite(dockerfile.parses(folder))
    yield dockerfile.no_secrets(folder)
    yield mounts_secret(folder)
    yield prerequisite(built(tag, show(folder)))
    yield token_not_in(tag)
    yield used_the_token(tag)


# -- a hardened container -------------------------------------------------------------------


@block(lambda name, at_most: f"the container {name} may use at most {at_most:g} CPUs")
def cpu_limit(name: str, at_most: float):
    host = containers.host_config(name)
    cpus = (host.get("NanoCpus") or 0) / 1e9
    if not cpus and (host.get("CpuQuota") or 0) > 0:
        cpus = host["CpuQuota"] / (host.get("CpuPeriod") or 100_000)
    if not cpus:
        return f"the container has no CPU limit, so it may use every core of the machine; start it with --cpus {at_most:g}"
    if cpus > at_most + 1e-9:
        return f"the container may use {cpus:g} CPUs, more than {at_most:g}; use --cpus {at_most:g}"
    return None


@block("the container {name} has a read-only root filesystem")
def read_only(name: str):
    if containers.host_config(name).get("ReadonlyRootfs"):
        return None
    return "the container's filesystem is writable, so an attacker could change its programs; start it with --read-only"


#: Docker's default capabilities: Podman 4.3 records `--cap-drop ALL` as this list, not as ALL.
DEFAULT_CAPABILITIES = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
                                  "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})


@block("the container {name} runs with every capability dropped")
def no_capabilities(name: str):
    host = containers.host_config(name)
    dropped = {str(c).upper().removeprefix("CAP_") for c in host.get("CapDrop") or ()}
    added = sorted(str(c).upper().removeprefix("CAP_") for c in host.get("CapAdd") or ())
    if "ALL" not in dropped and not dropped >= DEFAULT_CAPABILITIES:
        some = f" (it drops only {', '.join(sorted(dropped))})" if dropped else ""
        return f"the container keeps Docker's default capabilities{some}; start it with --cap-drop ALL"
    if added:
        return (
            f"the container drops all capabilities but adds {', '.join(added)} back; a web server on port "
            f"{SERVER_PORT} needs none, so remove --cap-add"
        )
    return None


@block("the container {name} runs as a user other than root")
def non_root(name: str):
    container = containers.get(name)
    user = ((container.attrs.get("Config") or {}).get("User") or "").strip()
    if not user or user.split(":", 1)[0] in ("root", "0"):
        shown = f"runs as {user}" if user else "runs as root (the image's default)"
        return f"the container {shown}; start it with --user 1000:1000"
    return None


@exercise(
    "11.hardened-server",
    title="Run busybox's web server as a hardened container",
    hints=[
        "Every requirement is one docker run flag: --user, --read-only, --cap-drop, --memory, --cpus, --pids-limit.",
        "Mount the site read-only and publish the server's port: -v SITE_FOLDER:/www:ro -p 127.0.0.1::8080",
        "The command runs busybox httpd in the foreground: busybox:1.37 httpd -f -p 8080 -h /www",
    ],
)
def hardened_server(lesson):
    name = lesson.name("hardened")
    yield prerequisite(containers.running(name))
    yield containers.no_host_access(name)
    yield non_root(name)
    yield read_only(name)
    yield no_capabilities(name)
    yield containers.memory_limit(name, at_most="32m")
    yield cpu_limit(name, 0.25)
    yield containers.pids_limit(name, at_most=30)
    yield prerequisite(containers.publishes(name, SERVER_PORT, host_ip="127.0.0.1"))
    yield http.container_answers(name, SERVER_PORT, contains="hardened")


__all__ = [
    "TOKEN",
    "where_in_image",
    "token_not_in",
    "mounts_secret",
    "used_the_token",
    "cpu_limit",
    "read_only",
    "no_capabilities",
    "non_root",
    "secret_mount",
    "hardened_server",
]
