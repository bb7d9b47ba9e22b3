"""The UI speaks Chinese whatever language the browser prefers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone


@pytest.mark.django_db
def test_an_english_browser_still_gets_django_strings_in_chinese(client):
    page = client.post(
        "/accounts/login/", {"username": "", "password": ""}, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    )
    text = page.content.decode()
    assert "这个字段是必填项" in text
    assert "This field is required" not in text


def test_durations_come_out_in_chinese():
    now = timezone.now()
    text = Template("{{ due|timeuntil:now }}").render(
        Context({"due": now + dt.timedelta(hours=18, minutes=45), "now": now})
    )
    assert text.replace("\xa0", " ") == "18 小时，45 分钟"
