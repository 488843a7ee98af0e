"""The image kit's pull progress, fed a pull status stream as the engine sends it (no engine needed).

The events have the shape of the engine's JSON messages for `POST /images/create` (what
`docker pull` draws its bars from): two layers downloading side by side, each then extracted.
"""

from __future__ import annotations

import pytest

from dockerlab import errors
from dockerlab.services.images.kit import show_pull_progress

MB = 1_000_000


def _bytes(status: str, layer: str, current: int, total: int) -> dict:
    return {"status": status, "id": layer, "progressDetail": {"current": current, "total": total},
            "progress": f"[=>    ] {current / MB:.1f}MB/{total / MB:.1f}MB"}


def _stream() -> list[dict]:
    big, small = "8d30e94188e7", "4f4fb700ef54"
    events = [{"status": "Pulling from library/python", "id": "3.13-slim"}]
    events += [{"status": "Pulling fs layer", "progressDetail": {}, "id": layer} for layer in (big, small)]
    # The small layer finishes downloading while the big one is at 20 %...
    for step in range(0, 11):
        events.append(_bytes("Downloading", small, step * 300_000, 3 * MB))
        if step % 5 == 0:
            events.append(_bytes("Downloading", big, step * 4 * MB, 200 * MB))
    events += [{"status": "Verifying Checksum", "progressDetail": {}, "id": small},
               {"status": "Download complete", "progressDetail": {}, "id": small}]
    # ...and the big one goes on, in chunks that do not fall on 10 % marks.
    events += [_bytes("Downloading", big, current, 200 * MB) for current in range(41 * MB, 200 * MB, 13 * MB)]
    events.append(_bytes("Downloading", big, 200 * MB, 200 * MB))
    events += [{"status": "Download complete", "progressDetail": {}, "id": big}]
    for layer, total in ((big, 200 * MB), (small, 3 * MB)):
        events += [_bytes("Extracting", layer, current, total) for current in range(0, total + 1, total // 4)]
        events.append({"status": "Pull complete", "progressDetail": {}, "id": layer})
    events += [{"status": "Digest: sha256:2ae0d2c881c7123870114fb9cc7afabd1e31f9888dac8286884f6cf59373ed9b"},
               {"status": "Status: Downloaded newer image for python:3.13-slim"}]
    return events


def _percents(lines: list[str], layer: str, phase: str) -> list[int]:
    prefix = f"layer {layer}: {phase} "
    return [int(line.removeprefix(prefix).rstrip("%")) for line in lines if line.startswith(prefix)]


def test_each_layer_and_phase_is_followed_to_100_percent():
    lines = []
    show_pull_progress(_stream(), "python:3.13-slim", lines.append)
    tens = list(range(0, 101, 10))
    assert _percents(lines, "4f4fb700ef54", "downloading") == tens
    # The big layer's download goes on after the small one's has reached 100 %.
    assert _percents(lines, "8d30e94188e7", "downloading") == tens
    assert _percents(lines, "8d30e94188e7", "extracting") == [0, 20, 50, 70, 100]  # quarter chunks, floored to 10s
    assert _percents(lines, "4f4fb700ef54", "extracting") == [0, 20, 50, 70, 100]
    assert lines.index("layer 8d30e94188e7: done") < lines.index("layer 4f4fb700ef54: done") == len(lines) - 1
    assert len(lines) == len(set(lines))  # no step is said twice


@pytest.mark.parametrize(
    "error, expected",
    [
        ("Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host",
         errors.RegistryUnreachable),
        ("toomanyrequests: You have reached your pull rate limit.", errors.PullRateLimited),
    ],
)
def test_an_error_event_ends_the_pull_with_a_typed_error(error, expected):
    events = _stream()[:6] + [{"errorDetail": {"message": error}, "error": error}] + _stream()[6:]
    lines = []
    with pytest.raises(expected):
        show_pull_progress(iter(events), "python:3.13-slim", lines.append)
    assert lines and all("%" in line for line in lines)  # the progress up to the error was shown
