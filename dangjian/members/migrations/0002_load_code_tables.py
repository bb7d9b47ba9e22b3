"""Load the national code tables and the default dossier checklist (RULES.md §7).

Sources: 性别 GB/T 2261.1-2003; 民族 GB/T 3304-1991; 学历 GB/T 4658-2006 plus the 党校 codes
used by the 全国党员管理信息系统; 婚姻 GB/T 2261.2-2003; 健康 GB/T 2261.3-2003; 学位
GB/T 6864-2003 (top levels); 工作岗位, 党内职务 and the increase/decrease reasons follow the
党内统计 forms ([verify]: the JobCode sub-levels differ slightly between provinces).
"""

from django.db import migrations

SEX = [("1", "男"), ("2", "女"), ("0", "未知的性别"), ("9", "未说明的性别")]

ETHNICITY = list(
    enumerate(
        "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
        "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
        "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
        "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
        "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族".split(),
        start=1,
    )
)
ETHNICITY = [(f"{n:02d}", label) for n, label in ETHNICITY] + [
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
]

# (code, label, 党统 table-4 group)
EDUCATION = [
    ("11", "博士研究生毕业", "postgraduate"),
    ("14", "硕士研究生毕业", "postgraduate"),
    ("1A", "中央党校研究生", "postgraduate"),
    ("1B", "省（区、市）委党校研究生", "postgraduate"),
    ("21", "大学本科毕业", "bachelor"),
    ("2A", "中央党校大学", "bachelor"),
    ("2B", "省（区、市）委党校大学", "bachelor"),
    ("31", "大学专科毕业", "college"),
    ("2C", "中央党校大专", "college"),
    ("2D", "省（区、市）委党校大专", "college"),
    ("41", "中等专科毕业", "secondary"),
    ("44", "职业高中毕业", "secondary"),
    ("47", "技工学校毕业", "secondary"),
    ("61", "普通高中毕业", "high_school"),
    ("71", "初中毕业", "junior"),
    ("81", "小学毕业", "junior"),
    ("90", "其他", "junior"),
]

MARITAL = [
    ("10", "未婚"),
    ("20", "已婚"),
    ("21", "初婚"),
    ("22", "再婚"),
    ("23", "复婚"),
    ("30", "丧偶"),
    ("40", "离婚"),
    ("90", "未说明的婚姻状况"),
]
HEALTH = [("1", "健康或良好"), ("2", "一般或较弱"), ("3", "有慢性病"), ("6", "残疾")]
DEGREE = [("2", "博士"), ("3", "硕士"), ("4", "学士"), ("0", "无")]

# (code, label, parent)
JOB = [
    ("0", "在岗职工", ""),
    ("01", "企业管理人员", "0"),
    ("02", "专业技术人员", "0"),
    ("03", "工勤技能人员", "0"),
    ("04", "党政机关工作人员", "0"),
    ("05", "事业单位管理人员", "0"),
    ("1", "农牧渔民", ""),
    ("2", "学生", ""),
    ("3", "离退休人员", ""),
    ("4", "解放军、武警", ""),
    ("5", "其他", ""),
    ("51", "自由职业人员", "5"),
    ("52", "个体工商户", "5"),
    ("53", "无固定职业人员", "5"),
]

PARTY_POST = [
    ("001A", "书记"),
    ("001B", "副书记"),
    ("030U", "组织委员"),
    ("031U", "宣传委员"),
    ("034U", "纪检委员"),
    ("401A", "党小组组长"),
    ("999", "无"),
]

INCREASE = [
    ("11", "新发展（吸收预备党员）", ""),
    ("21", "从系统外转入", ""),
    ("22", "系统内转入", ""),
    ("31", "恢复党籍", ""),
    ("41", "重新入党", ""),
    ("91", "其他原因增加", ""),
]
DECREASE = [
    ("11", "死亡", ""),
    ("21", "出党", ""),
    ("211", "开除党籍", "21"),
    ("212", "劝退除名", "21"),
    ("213", "自行脱党除名", "21"),
    ("214", "取消预备党员资格", "21"),
    ("215", "不予承认", "21"),
    ("31", "停止党籍", ""),
    ("41", "转出到系统外", ""),
    ("42", "系统内转出", ""),
    ("91", "其他原因减少", ""),
]

DOSSIER = [
    ("入党申请书", True, "《中国共产党发展党员工作细则》第四十四条"),
    ("入党积极分子培养考察登记表", True, "细则第十一条"),
    ("政治审查材料", True, "细则第十六条"),
    ("入党志愿书", True, "细则第二十条"),
    ("入党宣誓记录", True, "细则第二十七条"),
    ("转正申请书", False, "细则第三十一条"),
    ("预备党员考察表", False, "细则第二十八条"),
]


def load(apps, schema_editor):
    CodeItem = apps.get_model("members", "CodeItem")
    rows = []

    def add(table, items, group=None):
        for i, item in enumerate(items):
            code, label = item[0], item[1]
            extra = item[2] if len(item) > 2 else ""
            rows.append(
                CodeItem(
                    table=table,
                    code=code,
                    label=label,
                    parent_code=extra if group is None else "",
                    group=extra if group else "",
                    sort=i,
                )
            )

    add("sex", SEX)
    add("ethnicity", ETHNICITY)
    add("education", EDUCATION, group=True)
    add("marital", MARITAL)
    add("health", HEALTH)
    add("degree", DEGREE)
    add("job", JOB)
    add("party_post", PARTY_POST)
    add("increase", INCREASE)
    add("decrease", DECREASE)
    CodeItem.objects.bulk_create(rows)
    Requirement = apps.get_model("members", "DossierRequirement")
    Requirement.objects.bulk_create(
        Requirement(name=n, applies_to_probationary=p, source=s, sort=i)
        for i, (n, p, s) in enumerate(DOSSIER)
    )


def unload(apps, schema_editor):
    apps.get_model("members", "CodeItem").objects.all().delete()
    apps.get_model("members", "DossierRequirement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
