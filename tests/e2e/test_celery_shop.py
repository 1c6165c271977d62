"""The seed's Celery scenarios from the root jobs.yaml, on real workers: the
welcome email and the image resize (examples/shop handlers).

The spec also has Temporal jobs; these tests import `shop.celery_client`, the
Celery half of `shop.client`, so they need no Temporal server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.shop.images import UnsupportedImage, make_sample_image
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-shop")
    spec = (cs.ROOT / "jobs.yaml").read_text()
    with (
        pytest.MonkeyPatch.context() as patch,
        cs.project(folder, spec, "shop", redis) as proj,
    ):
        patch.setenv("SHOP_OUTBOX", str(folder / "outbox"))
        with cs.worker(proj, "shop", queues=["emails", "images", "maintenance"]):
            yield proj


def test_welcome_email_is_sent(shop: cs.Project) -> None:
    result = shop.celery_client.start_send_welcome_email(email="ada@example.com")
    sent = result.get(timeout=60)
    assert sent["status"] == "sent"
    message = shop.out_dir.parent / "outbox" / f"welcome-{sent['message_id']}.json"
    assert json.loads(message.read_text()) == {
        "kind": "welcome",
        "to": "ada@example.com",
        "template": "welcome",
    }


def test_invalid_input_is_refused_before_sending(shop: cs.Project) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        shop.celery_client.start_resize_image(
            image_path="x.ppm", width="wide", height=2
        )


def test_image_is_resized(shop: cs.Project) -> None:
    source = make_sample_image(str(shop.out_dir.parent / "photo.ppm"), 64, 48)
    result = shop.celery_client.start_resize_image(
        image_path=source, width=16, height=12
    )
    resized = result.get(timeout=60)
    assert resized == {
        "path": str(shop.out_dir.parent / "photo_16x12.ppm"),
        "width": 16,
        "height": 12,
    }
    data = Path(resized["path"]).read_bytes()
    assert data.startswith(b"P6\n16 12\n255\n")
    assert len(data) == len(b"P6\n16 12\n255\n") + 16 * 12 * 3


def test_a_batch_of_images_is_resized_in_upload_order(shop: cs.Project) -> None:
    folder = shop.out_dir.parent
    sources = [
        make_sample_image(str(folder / f"batch-{n}.ppm"), 64, 48) for n in range(6)
    ]
    result = shop.celery_client.start_resize_images(
        image_paths=sources, width=8, height=6
    )
    assert result.get(timeout=60) == [
        {"path": str(folder / f"batch-{n}_8x6.ppm"), "width": 8, "height": 6}
        for n in range(6)
    ]
    for n in range(6):
        data = (folder / f"batch-{n}_8x6.ppm").read_bytes()
        assert data.startswith(b"P6\n8 6\n255\n")


def test_unsupported_image_fails_without_retry(shop: cs.Project) -> None:
    bad = shop.out_dir.parent / "not-an-image.ppm"
    bad.write_bytes(b"GIF89a")
    result = shop.celery_client.start_resize_image(
        image_path=str(bad), width=4, height=4
    )
    with pytest.raises(UnsupportedImage):
        result.get(timeout=60)
    meta = shop.app.backend.get_task_meta(result.id, cache=False)
    assert meta["status"] == "FAILURE"
    assert result.info is not None
