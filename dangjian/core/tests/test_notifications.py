"""In-app notifications: idempotent per key, unread counts, marking read only one's own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core.models import Notification
from dangjian.core.selectors import notification_unread_count, notifications_for
from dangjian.core.services import notification_mark_read, notify

delivered: list[tuple[int, str]] = []


def record_channel(note: Notification) -> None:
    """A stand-in for an SMS gateway, configured by dotted path."""
    delivered.append((note.recipient_id, note.title))


def broken_channel(note: Notification) -> None:
    raise ConnectionError("短信网关超时")


@pytest.fixture(autouse=True)
def clear_delivered():  # type: ignore[no-untyped-def]
    delivered.clear()
    yield
    delivered.clear()


def test_notify_delivers_one_per_recipient(people) -> None:
    notes = notify(
        recipients=[people.member, people.village_secretary],
        title="请按时参加主题党日",
        body="本月 15 日",
        url="/meetings/1/",
    )
    assert [n.recipient_id for n in notes] == [people.member.pk, people.village_secretary.pk]
    assert Notification.objects.filter(title="请按时参加主题党日").count() == 2
    note = Notification.objects.get(recipient=people.member)
    assert (note.body, note.url, note.read_at, note.dedupe_key) == (
        "本月 15 日",
        "/meetings/1/",
        None,
        None,
    )


def test_notify_is_idempotent_per_dedupe_key(people) -> None:
    first = notify(recipients=[people.member], title="换届提醒", dedupe_key="term:42:2026-03")
    again = notify(
        recipients=[people.member, people.township_a],
        title="换届提醒",
        dedupe_key="term:42:2026-03",
    )
    assert len(first) == 1
    assert [n.recipient_id for n in again] == [people.township_a.pk]  # only the new recipient
    assert Notification.objects.filter(recipient=people.member).count() == 1
    assert Notification.objects.filter(recipient=people.township_a).count() == 1


def test_notifications_without_a_key_are_not_deduplicated(people) -> None:
    notify(recipients=[people.member], title="通知")
    notify(recipients=[people.member], title="通知")
    assert Notification.objects.filter(recipient=people.member).count() == 2


def test_another_key_is_another_notification(people) -> None:
    notify(recipients=[people.member], title="换届提醒", dedupe_key="term:42:2026-03")
    notify(recipients=[people.member], title="换届提醒", dedupe_key="term:42:2026-04")
    assert Notification.objects.filter(recipient=people.member).count() == 2


def test_channels_get_each_new_notification_once(people, settings) -> None:
    settings.NOTIFICATION_CHANNELS = ["dangjian.core.tests.test_notifications.record_channel"]
    notify(recipients=[people.member], title="A", dedupe_key="k")
    notify(recipients=[people.member], title="A", dedupe_key="k")
    assert delivered == [(people.member.pk, "A")]


def test_a_failing_channel_does_not_break_the_write(people, settings, caplog) -> None:
    settings.NOTIFICATION_CHANNELS = [
        "dangjian.core.tests.test_notifications.broken_channel",
        "dangjian.core.tests.test_notifications.record_channel",
    ]
    notes = notify(recipients=[people.member], title="B")
    assert len(notes) == 1
    assert Notification.objects.filter(recipient=people.member, title="B").exists()
    assert delivered == [(people.member.pk, "B")]  # the next channel still ran
    assert "broken_channel failed" in caplog.text


def test_unread_count_is_per_viewer(people) -> None:
    notify(recipients=[people.member], title="一")
    notify(recipients=[people.member], title="二")
    notify(recipients=[people.township_a], title="三")
    assert notification_unread_count(viewer=people.member) == 2
    assert notification_unread_count(viewer=people.township_a) == 1
    assert notification_unread_count(viewer=people.nobody) == 0


def test_unread_count_is_capped_at_100(people) -> None:
    Notification.objects.bulk_create(
        Notification(recipient=people.member, title=f"第{i}条") for i in range(105)
    )
    assert notification_unread_count(viewer=people.member) == 100


def test_notifications_for_lists_only_ones_own_newest_first(people) -> None:
    notify(recipients=[people.member], title="旧")
    notify(recipients=[people.township_a], title="别人的")
    notify(recipients=[people.member], title="新")
    assert [n.title for n in notifications_for(viewer=people.member)] == ["新", "旧"]
    assert [n.title for n in notifications_for(viewer=people.member, limit=1)] == ["新"]


def test_mark_read_touches_only_the_actors_own(people) -> None:
    (mine,) = notify(recipients=[people.member], title="我的")
    (theirs,) = notify(recipients=[people.township_a], title="别人的")
    assert notification_mark_read(actor=people.member, ids=[theirs.pk]) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert notification_unread_count(viewer=people.township_a) == 1

    assert notification_mark_read(actor=people.member, ids=[mine.pk, theirs.pk]) == 1
    mine.refresh_from_db()
    assert mine.read_at is not None
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_and_already_read_ones_keep_their_time(people) -> None:
    (first,) = notify(recipients=[people.member], title="一")
    notify(recipients=[people.member], title="二")
    notify(recipients=[people.township_a], title="三")
    earlier = timezone.now() - dt.timedelta(days=1)
    Notification.objects.filter(pk=first.pk).update(read_at=earlier)

    assert notification_mark_read(actor=people.member) == 1
    assert notification_unread_count(viewer=people.member) == 0
    assert Notification.objects.get(pk=first.pk).read_at == earlier
    assert notification_unread_count(viewer=people.township_a) == 1
