"""How a rule's source reads on a screen: the regulation and article, or 本地规定.

Rule data carries maintainers' notes in its ``source`` text — research tags (``[reg]``,
``[local]``, ``[verify]``), references to the seed files the rules were researched from, doubts
(待核实, 可配置). They stay in the data (and its exports); every page shows a source through
``rule_source_text`` (the ``rule_source`` template filter), which removes them.
"""

from __future__ import annotations

import re

LOCAL = "本地规定"
_TAG = re.compile(r"\s*\[(?:reg|local|verify)\]\s*")
_SEED_NOTE = re.compile(r"[（(][^（）()]*种子文件[^（）()]*[）)]|种子文件[^，。；;）)]*")
_DOUBT = re.compile(r"[（(]\s*(?:待核实|可配置)\s*[）)]|[，,；;]?\s*(?:待核实|可配置)")
_LOCAL_WORDS = re.compile(r"^(?:地方通行做法|地方做法|常见做法|地方规定)")
_EDGES = " \t\r\n，,；;：:。"


def rule_source_text(source: str | None, tag: str = "") -> str:
    """The source as users read it: no research tags, seed-file notes or doubts."""
    raw = source or ""
    local = tag in ("local", "verify") or bool(re.search(r"\[(?:local|verify)\]", raw))
    text = _SEED_NOTE.sub("", raw)
    text = _TAG.sub(" ", text)
    text = _DOUBT.sub("", text)
    text = _LOCAL_WORDS.sub(LOCAL, text.strip(_EDGES)).strip(_EDGES)
    if not text:
        return LOCAL
    if local and "《" not in text and not text.startswith(LOCAL):
        # An article alone (第八条: the regulation's article, the number set locally).
        if text.startswith(("第", "党章")):
            return f"{text}（{LOCAL}）"
        return f"{LOCAL}：{text}"
    return text
