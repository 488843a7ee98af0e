"""layers service and view on images that are on the engine."""

from __future__ import annotations

import pytest

from dockerlab.services import layers
from dockerlab import errors
from dockerlab.views.layers import LayersView


@pytest.mark.parametrize("image", ["nginx:stable", "busybox:1.37", "python:3.13-slim"])
def test_layers_of_course_images(image):
    found = layers.image_layers(image)
    assert found.layers and found.total == found.size
    assert sum(1 for layer in found.layers if not layer.empty) == found.layer_count
    assert not any("/bin/sh -c" in layer.instruction for layer in found.layers)
    assert found.layers[0].instruction.startswith("CMD")


def test_layers_view_and_missing_image():
    view = LayersView("nginx:stable")
    assert "EXPOSE 80/tcp" in view.html() and "no layer" in view.html()
    assert "█" in view.html() and "#" in str(view)
    with pytest.raises(errors.ImageMissing):
        layers.image_layers("dockerlab-no-such-image:nope")
