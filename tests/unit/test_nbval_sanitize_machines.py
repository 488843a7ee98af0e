"""tests/nbval_sanitize.cfg makes notebooks 00-02 compare equal on another machine, and no more.

Each pair is the same output as this project's machine printed it (Debian's engine 20.10 on Debian
12, x86-64, cgroup v1, host ``vm``) and as another machine prints it (Docker CE 27 on Ubuntu 24.04,
arm64, cgroup v2 with systemd, Docker Desktop). nbval sanitizes stored and fresh outputs alike with
these patterns (read here with nbval's own parser, applied in the file's order as nbval does), so a
pair must come out the same. Real differences must survive.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CONFIG = Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg"
PATTERNS = get_sanitize_patterns(CONFIG.read_text())


def sanitize(text: str) -> str:
    for regex, replace in PATTERNS:
        text = re.sub(regex, replace, text)
    return text


DOCKER_VERSION_HERE = """Client:
 Version:           28.2.2
 API version:       1.41 (downgraded from 1.50)
 Go version:        go1.24.3
 Git commit:        e6534b4
 Built:             Fri May 30 12:07:14 2025
 OS/Arch:           linux/amd64
 Context:           default

Server:
 Engine:
  Version:          20.10.24+dfsg1
  API version:      1.41 (minimum version 1.12)
  Go version:       go1.19.8
  Git commit:       5d6db84
  Built:            Thu May  7 21:09:36 2026
  OS/Arch:          linux/amd64
  Experimental:     false
 containerd:
  Version:          1.6.20~ds1
  GitCommit:        1.6.20~ds1-1+deb12u3
 runc:
  Version:          1.1.5+ds1
  GitCommit:        1.1.5+ds1-1+deb12u1
 docker-init:
  Version:          0.19.0
  GitCommit:        
"""

DOCKER_VERSION_ELSEWHERE = """Client: Docker Engine - Community
 Version:           27.3.1
 API version:       1.47
 Go version:        go1.22.7
 Git commit:        ce12230
 Built:             Fri Sep 20 11:41:00 2024
 OS/Arch:           linux/arm64
 Context:           desktop-linux

Server: Docker Desktop 4.34.2 (167172)
 Engine:
  Version:          27.3.1
  API version:      1.47 (minimum version 1.24)
  Go version:       go1.22.7
  Git commit:       41ca978
  Built:            Fri Sep 20 11:41:00 2024
  OS/Arch:          linux/arm64
  Experimental:     false
 containerd:
  Version:          1.7.21
  GitCommit:        472731909fa34bd7bc9c087e4c27943f9835f111
 runc:
  Version:          1.1.13
  GitCommit:        v1.1.13-0-g58aa920
 docker-init:
  Version:          0.19.0
  GitCommit:        de40ad0
"""

SAME = {
    "docker version (00, 02)": (DOCKER_VERSION_HERE, DOCKER_VERSION_ELSEWHERE),
    "docker version under a pseudo-terminal": (DOCKER_VERSION_HERE.replace("\n", "\r\n"), DOCKER_VERSION_ELSEWHERE.replace("\n", "\r\n")),
    "doctor, text (00, 02)": (
        "     ok  Python                       3.11.7\n"
        "     ok  CPU architecture             x86_64 (Linux, containers share this kernel)\n"
        "     ok  Docker engine                Debian GNU/Linux 12 (bookworm), engine 20.10.24+dfsg1 (linux/amd64)\n"
        "     ok  BuildKit (docker buildx)     github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3\n"
        "     ok  Compose v2 (docker compose)  Docker Compose version 2.26.1-4\n"
        "     ok  cgroups                      v1 (cgroupfs driver; legacy per-controller hierarchy; the lessons show both layouts)\n"
        "     ok  free disk                    77.6 GB free at /var/lib/docker\n",
        "     ok  Python                       3.12.3\n"
        "     ok  CPU architecture             aarch64 (Linux, containers share this kernel)\n"
        "     ok  Docker engine                Ubuntu 24.04.1 LTS, engine 27.3.1 (linux/arm64)\n"
        "     ok  BuildKit (docker buildx)     github.com/docker/buildx v0.17.1 257815a\n"
        "     ok  Compose v2 (docker compose)  Docker Compose version v2.29.7\n"
        "     ok  cgroups                      v2 (systemd driver; unified hierarchy)\n"
        "     ok  free disk                    412.0 GB free at /var/lib/docker\n",
    ),
    "doctor, HTML (00, 02)": (
        "<td>Python</td><td>3.11.7</td></tr><tr><td>Docker engine</td><td>Debian GNU/Linux 12 (bookworm), engine 20.10.24+dfsg1 (linux/amd64)</td>",
        "<td>Python</td><td>3.13.0rc2</td></tr><tr><td>Docker engine</td><td>Docker Desktop, engine 27.3.1 (linux/arm64)</td>",
    ),
    "docker info fields (02)": (
        "engine:    20.10.24+dfsg1 on Debian GNU/Linux 12 (bookworm) (linux/x86_64)\r\nstorage:   overlay2\r\n"
        "cgroups:   v1 (cgroupfs driver)\r\nsecurity:  name=seccomp,profile=default\r\n",
        "engine:    27.3.1 on Ubuntu 24.04.1 LTS (linux/aarch64)\r\nstorage:   overlayfs\r\n"
        "cgroups:   v2 (systemd driver)\r\nsecurity:  name=apparmor, name=seccomp,profile=builtin, name=cgroupns\r\n",
    ),
    "Python of the notebook (02)": ("Python 3.11.7\nin a virtual environment: .venv\n", "Python 3.13.1\nin a virtual environment: .venv\n"),
    "GET /version (01)": (
        "    Version: 20.10.24+dfsg1\n    ApiVersion: 1.41\n    Os: linux\n    Arch: amd64\n    KernelVersion: 6.18.44-fc-v657\n",
        "    Version: 27.3.1\n    ApiVersion: 1.47\n    Os: linux\n    Arch: arm64\n    KernelVersion: 6.8.0-45-generic\n",
    ),
    "the engine's components (01)": (
        "Engine 20.10.24+dfsg1\r\ncontainerd 1.6.20~ds1\r\nrunc 1.1.5+ds1\r\ndocker-init 0.19.0\r\n",
        "Engine 27.3.1\r\ncontainerd 1.7.21\r\nrunc 1.1.13\r\ndocker-init 0.19.0\r\n",
    ),
    "which engine (01)": (
        "this notebook : Linux 6.18.44-fc-v657 (x86_64)\nthe engine    : Debian GNU/Linux 12 (bookworm), kernel 6.18.44-fc-v657 (linux/x86_64)\n",
        "this notebook : Linux 6.8.0-45-generic (aarch64)\nthe engine    : Ubuntu 24.04.1 LTS, kernel 6.8.0-45-generic (linux/aarch64)\n",
    ),
    "namespaces view, text (01)": (
        "hostname: vm | 944f2af07eb1\nPID 1: process_api | sleep 3600\n",
        "hostname: lab-07.example.org | 0a1b2c3d4e5f\nPID 1: /sbin/init splash | sleep 3600\n",
    ),
    "namespaces view, HTML (01)": (
        "<td style='padding:2px 8px'>hostname</td><td style='padding:2px 8px'>vm</td><td style='padding:2px 8px'>18035dace445</td>"
        "</tr><tr><td style='padding:2px 8px'>PID 1</td><td style='padding:2px 8px'><code>process_api</code></td>",
        "<td style='padding:2px 8px'>hostname</td><td style='padding:2px 8px'>lab-07</td><td style='padding:2px 8px'>0a1b2c3d4e5f</td>"
        "</tr><tr><td style='padding:2px 8px'>PID 1</td><td style='padding:2px 8px'><code>systemd</code></td>",
    ),
    "a container's memory cgroup file (01)": (
        "/sys/fs/cgroup/memory/docker/" + "7" * 64 + "/memory.limit_in_bytes contains 67108864",
        "/sys/fs/cgroup/memory/system.slice/docker-" + "a" * 64 + ".scope/memory.limit_in_bytes contains 67108864",
    ),
}


@pytest.mark.parametrize("here, elsewhere", SAME.values(), ids=SAME.keys())
def test_another_machine_compares_equal(here, elsewhere):
    assert sanitize(here) == sanitize(elsewhere)


DIFFERENT = {
    "an experimental engine": (DOCKER_VERSION_HERE, DOCKER_VERSION_HERE.replace("false", "true")),
    "a component missing": (DOCKER_VERSION_HERE, DOCKER_VERSION_HERE.split(" docker-init:")[0]),
    "a Windows engine": ("engine:    27.3.1 on Windows Server 2022 (windows/x86_64)", "engine:    27.3.1 on Ubuntu 24.04.1 LTS (linux/x86_64)"),
    "a problem in the doctor": ("     ok  Python                       3.11.7", "PROBLEM  Python                       3.10.12"),
    "another process as the container's PID 1": ("PID 1: process_api | sleep 3600", "PID 1: process_api | python app.py"),
    "the limit the kernel holds": ("/sys/fs/cgroup/memory/docker/" + "7" * 64 + "/memory.limit_in_bytes contains 67108864",
                                   "/sys/fs/cgroup/memory/docker/" + "7" * 64 + "/memory.limit_in_bytes contains 9223372036854771712"),
    "the groups a shell has (02)": ("the shell already running:     learner", "the shell already running:     learner docker"),
}


@pytest.mark.parametrize("one, other", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_a_real_difference_stays_visible(one, other):
    assert sanitize(one) != sanitize(other)
