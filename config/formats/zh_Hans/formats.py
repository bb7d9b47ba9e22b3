"""zh-hans input formats with ISO first.

Django's zh_Hans locale lists ``%Y/%m/%d`` first, and a widget without its own format renders
its value with the first input format: ``value="2010/03/23"`` in an ``<input type="date">``,
which a browser shows as empty and submits as empty. The site's widgets (``dangjian.core.forms``)
carry ISO formats themselves; this keeps any other widget honest too. Parsing still accepts the
locale's slash and 年月日 forms. Display formats (``DATE_FORMAT`` …) come from Django's locale.
"""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2016-09-05' — what <input type="date"> sends
    "%Y/%m/%d",  # '2016/09/05'
    "%Y年%m月%d日",  # '2016年9月5日'
]

TIME_INPUT_FORMATS = [
    "%H:%M",  # '20:45' — what <input type="time"> sends
    "%H:%M:%S",
    "%H:%M:%S.%f",
]

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",  # '2016-09-05T20:45' — what <input type="datetime-local"> sends
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
]
