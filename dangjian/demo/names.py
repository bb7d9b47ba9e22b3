"""Chinese vocabularies for invented people, places and units, drawn from a seeded Random.

Every function takes the caller's ``random.Random`` so a seed reproduces the same names; none
touches the global ``random`` state. Place names are invented combinations, not a gazetteer.
"""

from __future__ import annotations

import random
from collections.abc import Callable

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵"
)
GIVEN_MALE = "建国军伟强磊涛斌鹏俊杰志明华文武刚勇毅峰超亮东海林波辉平宏成明春晓天永兴德福新"
GIVEN_FEMALE = "秀英红梅丽娟芳霞燕玲敏静丹萍桂兰琴云凤洁慧娜艳霞雪婷玉珍淑华春晓颖莉"

# Two-character stems for invented counties, cities and provinces.
PLACE_FIRST = "青云安临永清长宁平兴丰凤龙泰嘉宜和德华明顺鹤瑞阳岚溪江源新崇乐庆广南汉武昌盛"
PLACE_SECOND = "岚溪川源江阳平宁山泽陵州城安林丰河沙峰宁川霞泉谷原陂湖岭"

TOWN_STEMS = (
    "柳河 石桥 龙泉 白沙 青山 双河 黄坪 桃源 马鞍 金鸡 太平 永兴 新民 高桥 三合 大坪 红岩 凤凰 "
    "观音 清水 杨柳 莲花 梅子 龙门 桂花 长岭 东岳 石门 云台 九龙 白鹤 花园 回龙 铁佛 柏林 金山 "
    "玉泉 天池 万家 安乐 仁和 大兴 石板 河口 沙坪 龙潭 兴隆 新店 李渡 黄土 杉木 茶园 古城 水口 "
    "官庄 牛角 板桥 松林 鹿鸣 星火 土门 五龙 桥头 宝山 响水 罗家 丁家 枫林 梨树 乌龙 镇江"
).split()
STREET_STEMS = (
    "城东 城西 城南 城北 文峰 滨江 凤鸣 锦屏 东城 西城 鼓楼 朝阳 文昌 新城 江北 河西 龙山 "
    "金台 临江 玉带 望江 南湖"
).split()

_VILLAGE_FEATURES = "庄湾坝沟坪寨岭河山院店铺岗洼营屯"
_DIRECTIONS = "东西南北前后上下中"
_TERRAIN = "河山岭坝湾坪桥塘"  # not 岗: 下岗村 would read as "laid off"
_AUSPICIOUS = (
    "新华 红星 光明 胜利 团结 和平 民主 友谊 建设 幸福 五星 联合 永丰 丰收 长青 向阳 新农 "
    "先锋 富民 和谐 振兴 兴旺 前进 红旗 东风 新风 安康 太和"
).split()
_NATURE = (
    "柳树 石桥 桃花 杏林 枣园 竹林 松林 梨园 桑园 荷塘 青石 白杨 槐树 柏树 龙潭 金井 银杏 "
    "核桃 板栗 茶山 菜园 稻香 麦田 蔡湾 岩口 响滩 鹰嘴 柿子 樱桃 花果"
).split()
_NUMBERED = "一里 二道 三岔 四方 五里 六合 七星 八角 九龙 十里 双井 三棵 五道 八里".split()
_NUMBERED_END = "铺河沟坡桥店营"

COMMUNITY_STEMS = (
    "滨河 文昌 人民路 解放路 建设路 花园 锦绣 翠苑 书院 新街 老街 南门 北门 东关 西关 学府 "
    "阳光 和平里 幸福里 长乐 安康 康宁 金桥 紫荆 龙湾 江畔 水岸 望江 凤凰 星光 桂园 育才 "
    "站前 府前 迎宾 桃园 明珠 玉兰 丽景 新村 东苑 西苑 怡和 清华园 体育场 广场 青年路 "
    "健康路 民主路 胜利路 北环路 南环路 中心街 东大街 西大街 工业园 火车站 汽车站 水厂 "
    "电厂 粮站 红旗 荷花池 柏树林 南河 北河 东湖 西湖 龙井 花溪 银河 天元 "
    "锦江 金堂 西街 东街 南街 北街"
).split()
XIAOQU = (
    "锦绣花园 金桂苑 翠湖湾 阳光城 书香门第 江畔华府 丽景新城 滨河苑 学府名邸 紫荆花园 "
    "幸福家园 和谐家园 龙湾壹号 凤凰城 怡景苑 康城 碧水蓝天 御景湾 香榭里 新天地"
).split()
ROADS = (
    "人民路 解放路 建设路 新华路 文化路 迎宾大道 滨江路 府前街 北环路 南环路 东大街 西大街 "
    "育才路 民主路 胜利路 长征路 兴业大道 工业园路 健康路 教育路 中心街 和平路 朝阳路 青年路"
).split()

COMPANY_BRANDS = (
    "恒通 鑫源 宏达 盛丰 华宇 金穗 永泰 瑞丰 天成 嘉禾 兴旺 同心 隆昌 润泽 绿源 福瑞 "
    "鼎盛 利民 宏图 中兴 正大 长盛 新锐 康达 顺通 远航 佳和 聚丰 安达 汇通 德润 青禾"
).split()
INDUSTRIES = (
    ("机械制造", "机械"),
    ("食品", "食品"),
    ("农业开发", "农业"),
    ("新型建材", "建材"),
    ("纺织", "纺织"),
    ("电子科技", "电子"),
    ("物流", "物流"),
    ("茶业", "茶业"),
    ("药业", "药业"),
    ("新能源科技", "新能源"),
    ("酒业", "酒业"),
    ("包装材料", "包装"),
    ("生态农业", "生态农业"),
    ("商贸", "商贸"),
    ("服饰", "服饰"),
    ("竹木制品", "竹木"),
    ("农产品加工", "农产品"),
    ("汽车销售服务", "汽车"),
)
COOPERATIVES = "蔬菜 茶叶 水果 中药材 生猪养殖 肉牛 食用菌 花椒 猕猴桃 水产 烟叶 蜂蜜".split()

CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Chinese numerals for 1–99 (一, 十, 十二, 二十三)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    head = "" if tens == 1 else CN_DIGITS[tens]
    return head + "十" + (CN_DIGITS[ones] if ones else "")


def person_name(rng: random.Random) -> str:
    chars = GIVEN_MALE if rng.random() < 0.55 else GIVEN_FEMALE
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def place_stem(rng: random.Random) -> str:
    first = rng.choice(PLACE_FIRST)
    second = rng.choice(PLACE_SECOND)
    while second == first:
        second = rng.choice(PLACE_SECOND)
    return first + second


def village_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.32:
        stem = rng.choice(SURNAMES) + "家" + rng.choice(_VILLAGE_FEATURES)
    elif roll < 0.5:
        if rng.random() < 0.5:
            stem = rng.choice(_TERRAIN) + rng.choice(_DIRECTIONS)
        else:
            stem = rng.choice(_DIRECTIONS) + rng.choice(_TERRAIN)
    elif roll < 0.68:
        stem = rng.choice(_AUSPICIOUS)
    elif roll < 0.9:
        stem = rng.choice(_NATURE)
    else:
        stem = rng.choice(_NUMBERED) + rng.choice(_NUMBERED_END)
    return stem + "村"


def community_name(rng: random.Random) -> str:
    return rng.choice(COMMUNITY_STEMS) + "社区"


def company(rng: random.Random) -> tuple[str, str]:
    """An invented company: (brand + industry, short label for the branch's short name)."""
    brand = rng.choice(COMPANY_BRANDS)
    industry, short = rng.choice(INDUSTRIES)
    return brand + industry, brand + short


def unique(
    rng: random.Random, make: Callable[[random.Random], str], used: set[str], suffix: str = ""
) -> str:
    """Draw from ``make`` until the result is not in ``used``; record and return it.

    When the vocabulary runs dry, a direction or ordinal is put before ``suffix`` (河东村 →
    河东新村, 滨河社区 → 滨河东社区), the way real places split.
    """
    value = make(rng)
    for _ in range(60):
        if value not in used:
            used.add(value)
            return value
        value = make(rng)
    stem = value[: len(value) - len(suffix)] if suffix else value
    extras = [*"新东西南北中", *(cn_number(n) for n in range(2, 100))]
    for extra in extras:
        candidate = f"{stem}{extra}{suffix}"
        if candidate not in used:
            used.add(candidate)
            return candidate
    raise ValueError(f"名称已用尽：{stem}")


# Offices under a 机关工委, as stems after the division name: 县 + 教育局 = 县教育局,
# 县 + 委组织部 = 县委组织部.
COUNTY_BUREAUS = (
    "委办公室 人大常委会机关 政府办公室 政协机关 纪委监委机关 委组织部 委宣传部 委统战部 "
    "委政法委员会 委老干部局 发展和改革局 教育局 科学技术局 民政局 司法局 财政局 "
    "人力资源和社会保障局 自然资源局 生态环境局 住房和城乡建设局 交通运输局 水利局 农业农村局 "
    "商务局 文化广播电视和旅游局 卫生健康局 退役军人事务局 应急管理局 审计局 市场监督管理局 "
    "统计局 医疗保障局 林业局 乡村振兴局 信访局 总工会机关 妇女联合会机关 供销合作社联合社 "
    "融媒体中心 人民法院 人民检察院"
).split()
CITY_EXTRA_BUREAUS = "工业和信息化局 住房公积金管理中心 国有资产监督管理委员会 城市管理局".split()
PROVINCE_BUREAUS = (
    "委办公厅 人大常委会机关 政府办公厅 政协机关 纪委监委机关 委组织部 委宣传部 委统战部 "
    "委政法委员会 发展和改革委员会 教育厅 科学技术厅 工业和信息化厅 民政厅 司法厅 财政厅 "
    "人力资源和社会保障厅 自然资源厅 生态环境厅 住房和城乡建设厅 交通运输厅 水利厅 农业农村厅 "
    "商务厅 文化和旅游厅 卫生健康委员会 退役军人事务厅 应急管理厅 审计厅 市场监督管理局 统计局 "
    "医疗保障局 林业和草原局 乡村振兴局 信访局 国有资产监督管理委员会 总工会机关 妇女联合会机关"
).split()
# Offices big enough for a 党总支 with several branches.
LARGE_BUREAUS = frozenset({"人民法院", "人民检察院", "财政厅", "教育厅", "委组织部"})
SCHOOL_BRANCHES = "高一年级 高二年级 高三年级 初中部 行政后勤".split()
HOSPITAL_DEPARTMENTS = (
    "内科第一 内科第二 外科 妇产儿科 急诊重症医学科 医技 护理 行政后勤 门诊 中医康复"
).split()
SOE_GROUPS = (
    ("城市建设投资集团有限公司", "城投集团"),
    ("交通投资集团有限公司", "交投集团"),
    ("水务投资有限公司", "水务公司"),
    ("国有资产投资经营有限公司", "国投公司"),
    ("农业发展投资有限公司", "农投公司"),
    ("文化旅游投资开发有限公司", "文旅公司"),
)
SOE_SUBSIDIARIES = (
    "建设工程 物业管理 置业 砂石资源 供水 污水处理 公交 建材 旅游开发 酒店管理".split()
)
SOCIAL_ORGS = (
    ("个体劳动者协会", "51"),
    ("慈善总会", "51"),
    ("物流行业协会", "51"),
    ("餐饮行业协会", "51"),
    ("建筑业协会", "51"),
    ("社会工作服务中心", "52"),
    ("志愿者协会", "51"),
    ("老年大学协会", "51"),
    ("民办教育协会", "51"),
    ("家政服务协会", "51"),
)
LAW_FIRM_STEMS = "明德 正衡 公信 天平 大成 同济 信达 守正".split()
PRIVATE_SCHOOL_STEMS = "育英 启航 博雅 英才 德馨".split()
