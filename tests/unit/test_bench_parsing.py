"""bench/'s parsers and selectors: machine description, course images, logs. No timing is asserted here."""

import json

from bench.course_images import course_tags, lesson_tags
from bench.disk import lesson_files, unique_size
from bench.machine import cpu_model, engine_lines, memory_gib
from bench.common import ROOT
from bench.streaming import first_stamp_delay
from bench.suite import summary

STANDIN = {"org.dockerlab.standin": "true", "org.dockerlab.standin.for": "python:3.13-slim",
           "org.dockerlab.image": "true", "org.dockerlab.image.session": "dlbd8ebb"}
MANIFEST = {"python:3.13-slim", "busybox:1.37"}
FIXED = {"my-python-app:latest"}


def test_cpu_and_memory_from_proc():
    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
    assert cpu_model("Hardware\t: BCM2835\n") == "BCM2835"
    assert cpu_model("") == "unknown"
    assert memory_gib("MemTotal:       24641548 kB\nMemFree: 1 kB\n") == 24641548 / 1024**2


def test_engine_lines_from_docker_version_and_info():
    version = {"Client": {"Version": "28.2.2"}, "Server": {"Version": "20.10.24", "ApiVersion": "1.41"}}
    info = {"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]], "CgroupVersion": "1",
            "CgroupDriver": "cgroupfs", "ClientInfo": {"Plugins": [{"Name": "buildx", "Version": "0.13.1"}]}}
    lines = engine_lines(version, info)
    assert lines["Docker engine"] == "20.10.24 (API 1.41), CLI 28.2.2"
    assert lines["storage driver"] == "overlay2 on extfs"
    assert lines["cgroups"] == "v1, driver cgroupfs"
    assert lines["buildx / compose"] == "0.13.1 / missing"


def test_a_stand_in_is_the_course_image_of_its_own_name_only():
    assert course_tags(["python:3.13-slim"], STANDIN, MANIFEST, FIXED) == ["python:3.13-slim"]
    # an official image pulled by the learner, or a stand-in under another manifest name, stays
    assert course_tags(["python:3.13-slim"], {}, MANIFEST, FIXED) == []
    assert course_tags(["busybox:1.37"], STANDIN, MANIFEST, FIXED) == []


def test_a_learners_image_built_from_a_stand_in_is_not_the_courses():
    # it inherits every label of the stand-in, org.dockerlab.image* included
    assert course_tags(["bystander-1a2b3c:mine", "myapp:latest"], STANDIN, MANIFEST, FIXED) == []


def test_session_named_and_lesson_tags_are_the_courses_unless_the_session_lives():
    assert course_tags(["banner-fast-dl9e246c:v1"], STANDIN, MANIFEST, FIXED) == ["banner-fast-dl9e246c:v1"]
    assert course_tags(["banner-fast-dl9e246c:v1"], STANDIN, MANIFEST, FIXED, live=lambda sid: sid == "dl9e246c") == []
    assert course_tags(["my-python-app:latest"], STANDIN, MANIFEST, FIXED) == ["my-python-app:latest"]
    assert course_tags(["my-python-app:latest"], {}, MANIFEST, FIXED) == []


def test_lesson_tags_are_the_fixed_names_of_the_notebooks_builds(tmp_path):
    cells = [{"cell_type": "code", "source": ["!docker build -q -t counter-app:1.0 {app}\n", "!docker build -t greeter .\n"]},
             {"cell_type": "code", "source": ["!docker build --progress=plain -t {app_image} ."]},
             {"cell_type": "markdown", "source": ["`docker build -t prose-only .`"]}]
    (tmp_path / "03-first-image.ipynb").write_text(json.dumps({"cells": cells}))
    assert lesson_tags(tmp_path) == {"counter-app:1.0", "greeter:latest"}
    assert not any("{" in t for t in lesson_tags())


def test_unique_size_counts_a_shared_layer_once():
    base = [{"CreatedBy": "import", "Size": 200}]
    python = [{"CreatedBy": "RUN apt-get install python3", "Size": 50}, *base]
    redis = [{"CreatedBy": "RUN apt-get install redis", "Size": 10}, *base]
    assert unique_size({"debian": base, "python": python, "redis": redis}) == 260
    # the same command on another base is another layer
    other = [{"CreatedBy": "RUN apt-get install redis", "Size": 10}, {"CreatedBy": "import", "Size": 300}]
    assert unique_size({"redis": redis, "other": other}) == 520


def test_lesson_files_are_the_notebooks_writefile_cells():
    files = lesson_files(ROOT / "notebooks" / "06-images-in-depth.ipynb", "greet")
    assert {"greet.c", "Dockerfile.fat", "Dockerfile.multi"} <= set(files)
    assert files["Dockerfile.multi"].startswith("FROM debian:trixie-slim AS build")


def test_first_stamp_delay_skips_the_step_header():
    received = [(100.0, '#5 [2/2] RUN echo "stamp $(date +%s.%N)"; sleep 3'), (100.5, "#5 0.31 stamp 100.25"),
                (103.5, "#5 3.31 stamp 103.3")]
    assert first_stamp_delay(received) == 0.25
    assert first_stamp_delay([(1.0, "no stamp here")]) is None


def test_summary_is_pytests_last_line():
    log = "tests/x.py ....\n===== 848 passed, 2 skipped in 570.12s (0:09:30) =====\n"
    assert summary(log) == "848 passed, 2 skipped"
    assert summary("collected 0 items\n") == ""
