"""A rule's source on a screen: the regulation and article, or 本地规定 — never our research
tags, seed-file references or doubts."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from dangjian.core.rule_sources import LOCAL, rule_source_text


@pytest.mark.parametrize(
    ("source", "tag", "shown"),
    [
        (
            "《中国共产党支部工作条例（试行）》第十条",
            "reg",
            "《中国共产党支部工作条例（试行）》第十条",
        ),
        (
            "[local] 由省级党委组织部在 0.2–1 元之间确定",
            "",
            "本地规定：由省级党委组织部在 0.2–1 元之间确定",
        ),
        ("[local]", "", LOCAL),
        ("第八条", "local", "第八条（本地规定）"),
        ("地方做法（三年未发展党员的村）", "local", "本地规定（三年未发展党员的村）"),
        ("", "local", LOCAL),
        ("地方做法，待核实", "verify", LOCAL),
        (
            "地方做法（待核实）：领单后24小时未办理退回待领",
            "verify",
            "本地规定：领单后24小时未办理退回待领",
        ),
        (
            "网格划在村（社区）范围内，由村（社区）党组织负责（种子文件 000、001：党员联户、"
            "党员中心户+网格责任田）",
            "",
            "网格划在村（社区）范围内，由村（社区）党组织负责",
        ),
        (
            "地方通行做法（可配置）：每名党员联系 10 户以内（种子文件 000“建立党员联户制度”）；"
            "村情民意收集后 15 日内办结 [verify]",
            "verify",
            "本地规定：每名党员联系 10 户以内；村情民意收集后 15 日内办结",
        ),
        (
            "《中国共产党基层组织选举工作条例》（2020）第五条：每届任期 5 年 [local]",
            "",
            "《中国共产党基层组织选举工作条例》（2020）第五条：每届任期 5 年",
        ),
    ],
)
def test_a_source_reads_as_regulation_or_local_rule(source: str, tag: str, shown: str) -> None:
    assert rule_source_text(source, tag) == shown


@pytest.mark.parametrize("mark", ["[local]", "[verify]", "[reg]", "种子文件", "待核实", "可配置"])
def test_no_internal_mark_survives(mark: str) -> None:
    text = f"某某规定第三条 {mark}（种子文件 002）待核实"
    assert mark not in rule_source_text(text, "verify")


def test_the_template_filter_is_the_same_function() -> None:
    t = Template("{% load rule_sources %}{{ s|rule_source }}|{{ s|rule_source:'local' }}")
    got = t.render(Context({"s": "按月足额交纳党费每月1分 [local]"}))
    assert got == "本地规定：按月足额交纳党费每月1分|本地规定：按月足额交纳党费每月1分"
