"""Vocabularies for invented party members: names by generation, places, destinations.

Surname weights follow the published frequency ranking (王, 李, 张 … each a few percent);
given names follow the fashions of three generations, so a 1950s farmer is 王秀英 or 李建国 and a
1990s teacher is 张欣怡 or 刘浩然. Division codes and places outside the invented county are
real (the first six digits of a 公民身份号码 are where a birth was registered).
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

# (surname, weight ‰): the most common surnames, then a long tail.
_SURNAMES = (
    "王 71 李 70 张 67 刘 54 陈 45 杨 31 黄 22 赵 21 吴 20 周 19 徐 15 孙 14 马 13 朱 13 胡 12 "
    "郭 11 何 10 高 10 林 10 罗 9 郑 9 梁 8 谢 7 宋 7 唐 7 许 6 韩 6 冯 6 邓 6 曹 6 彭 5 曾 5 "
    "肖 5 田 5 董 5 袁 4 潘 4 于 4 蒋 4 蔡 4 余 4 杜 4 叶 4 程 4 苏 3 魏 3 吕 3 丁 3 任 3 沈 3 "
    "姚 3 卢 3 姜 3 崔 3 钟 3 谭 3 陆 2 汪 2 范 2 金 2 石 2 廖 2 贾 2 夏 2 韦 2 付 2 方 2 白 2 "
    "邹 2 孟 2 熊 2 秦 2 邱 2 江 2 尹 2 薛 2 闫 2 段 2 雷 2 侯 2 龙 2 史 2 黎 1 贺 1 顾 1 毛 1 "
    "郝 1 龚 1 邵 1 万 1 钱 1 严 1 覃 1 武 1 戴 1 莫 1 孔 1 向 1 汤 1"
).split()
SURNAMES = tuple(_SURNAMES[0::2])
_SURNAME_CUM = tuple(accumulate(int(w) for w in _SURNAMES[1::2]))

# Given names by birth cohort: (born before 1966, 1966–1985, after 1985) × (male, female).
GIVEN = {
    ("old", "1"): (
        "建国 国庆 建华 志明 德明 长林 福生 永祥 树林 振华 国强 保国 玉山 宝山 金山 富贵 有福 "
        "文华 德胜 解放 援朝 卫东 红军 学军 长海 明山 春生 秋生 来福 顺利 连生 国华 忠 "
        "才 富 贵 林 山 祥 福 德 发 荣 宝 成 财 明 "
    ).split(),
    ("old", "2"): (
        "秀英 桂英 秀兰 玉兰 桂兰 凤英 玉珍 淑珍 秀珍 素芳 翠花 凤兰 桂芳 秀芝 玉梅 春花 "
        "金凤 玉英 淑英 秀云 桂珍 兰英 美华 素英 冬梅 秀梅 凤琴 玉芬 淑兰 红英 英 兰 "
        "珍 芳 秀 梅 凤 "
    ).split(),
    ("mid", "1"): (
        "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 波 宁 健 峰 海峰 建军 志强 永刚 "
        "小军 建平 晓东 卫国 红兵 海涛 志刚 建伟 振宇 国栋 立新 文斌 俊 亮 毅 东 "
    ).split(),
    ("mid", "2"): (
        "芳 娟 敏 静 丽 艳 燕 霞 红 玲 丹 萍 慧 琳 晓燕 丽娟 海燕 春梅 红梅 秀梅 丽华 "
        "晓红 美玲 雪梅 玉洁 丽萍 小燕 金花 艳红 桂香 莉 英 洁 颖 "
    ).split(),
    ("young", "1"): (
        "浩 宇 浩然 子轩 俊杰 宇航 晨 博文 天宇 鹏飞 文博 志远 嘉豪 一鸣 思远 子豪 泽宇 "
        "明轩 家乐 昊天 伟 强 磊 杰 鑫 帅 凯 阳 旭 超 "
    ).split(),
    ("young", "2"): (
        "婷 雪 欣怡 梓涵 诗涵 雨欣 佳怡 思琪 梦瑶 婉婷 晓雯 雅琪 佳琪 悦 钰 倩 璐 "
        "丹丹 莹 琪 芳 静 敏 颖 晶晶 媛 "
    ).split(),
}

# Minorities a county may have (GB/T 3304 codes): 回 壮 满 苗 土家 彝 蒙古 布依 侗 瑶 白 朝鲜.
MINORITIES = ("03", "08", "11", "06", "15", "07", "02", "09", "12", "13", "14", "10")

# Division codes of real city districts, for people registered at birth far away.
FAR_REGIONS = (
    "110101", "310101", "440106", "330106", "420106", "510104", "410102", "430102",
    "370102", "320102", "500103", "610102", "130102", "340102", "360102", "450102",
    "520102", "530102", "210102", "220102", "230102", "140105", "620102", "650102",
)  # fmt: skip
FAR_NATIVE_PLACES = (
    "河南省周口市 四川省南充市 湖北省黄冈市 山东省菏泽市 安徽省阜阳市 湖南省邵阳市 河北省保定市 "
    "江西省赣州市 广西壮族自治区玉林市 贵州省遵义市 重庆市万州区 陕西省汉中市 甘肃省天水市 "
    "山西省运城市 江苏省徐州市 浙江省温州市 福建省莆田市 辽宁省锦州市 吉林省四平市 黑龙江省绥化市"
).split()

# Where members go to work, by province (the county's 驻外流动党支部 sits in one of them).
DESTINATIONS = {
    "广东省": "广东省深圳市 广东省东莞市 广东省广州市 广东省佛山市 广东省中山市".split(),
    "浙江省": "浙江省宁波市 浙江省义乌市 浙江省杭州市 浙江省温州市".split(),
    "江苏省": "江苏省苏州市 江苏省无锡市 江苏省南京市 江苏省常州市".split(),
    "福建省": "福建省晋江市 福建省厦门市 福建省泉州市".split(),
    "上海市": "上海市松江区 上海市闵行区 上海市浦东新区".split(),
    "北京市": "北京市朝阳区 北京市大兴区".split(),
    "新疆维吾尔自治区": "新疆维吾尔自治区昌吉市 新疆维吾尔自治区乌鲁木齐市".split(),
}
STUDY_DESTINATIONS = "湖北省武汉市 陕西省西安市 四川省成都市 江苏省南京市 北京市海淀区".split()
MOBILE_REASONS = (("务工", 70), ("经商", 22), ("求学", 8))

XIAOQU = (
    "锦绣花园 金桂苑 翠湖湾 阳光城 书香门第 江畔华府 丽景新城 滨河苑 学府名邸 紫荆花园 "
    "幸福家园 和谐家园 凤凰城 怡景苑 康城 新天地 教师新村 电力小区 粮食局家属院 人民医院家属院"
).split()

ADMIN_POSTS = {
    "village": ("村党支部书记、村民委员会主任", "村党支部书记"),
    "community": ("社区党组织书记、居民委员会主任", "社区党组织书记"),
}


def surname(rng: random.Random) -> str:
    return SURNAMES[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]


def cohort(birth_year: int) -> str:
    return "old" if birth_year < 1966 else "mid" if birth_year <= 1985 else "young"


def person_name(rng: random.Random, sex: str, birth_year: int) -> str:
    """A name for a person of ``sex`` ("1"/"2") born in ``birth_year``."""
    return surname(rng) + rng.choice(GIVEN[(cohort(birth_year), sex)])


def sex_of_name(name: str) -> str:
    """A best guess of the sex code a given name suggests (for names taken from accounts)."""
    given = name[1:]
    female = sum(given in g or any(c in g for c in given) for g in _FEMALE_NAMES)
    male = sum(given in g or any(c in g for c in given) for g in _MALE_NAMES)
    return "2" if female > male else "1"


_MALE_NAMES = frozenset(n for (c, s), ns in GIVEN.items() if s == "1" for n in ns)
_FEMALE_NAMES = frozenset(n for (c, s), ns in GIVEN.items() if s == "2" for n in ns)
