"""The static catalogue of the demo knowledge base (知识库).

Drugs, medical-service items, materials, diseases, code sets and places, written as plain
data.  :mod:`ruledsl.demo.kb` turns them into the knowledge-base tables and into the numpy
lookup arrays that the background generator indexes.

Every restriction here is designed together with the background generator: a restricted item
only appears in background visits where the restriction is met (a female-only item in pools of
female-only diseases, an inpatient-only drug in inpatient pools, …), so the rules fire mainly on
the injected scenarios (:mod:`ruledsl.demo.scenarios`) and on a little realistic noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------- places
#: Ningxia districts: admdvs -> (city name, district name).  City = first 4 digits.
DISTRICTS: dict[str, tuple[str, str]] = {
    "640104": ("银川市", "兴庆区"),
    "640105": ("银川市", "西夏区"),
    "640106": ("银川市", "金凤区"),
    "640121": ("银川市", "永宁县"),
    "640122": ("银川市", "贺兰县"),
    "640181": ("银川市", "灵武市"),
    "640202": ("石嘴山市", "大武口区"),
    "640205": ("石嘴山市", "惠农区"),
    "640221": ("石嘴山市", "平罗县"),
    "640302": ("吴忠市", "利通区"),
    "640303": ("吴忠市", "红寺堡区"),
    "640323": ("吴忠市", "盐池县"),
    "640381": ("吴忠市", "青铜峡市"),
    "640402": ("固原市", "原州区"),
    "640422": ("固原市", "西吉县"),
    "640423": ("固原市", "隆德县"),
    "640502": ("中卫市", "沙坡头区"),
    "640521": ("中卫市", "中宁县"),
    "640522": ("中卫市", "海原县"),
}

#: Relative population of each district (persons live there; institutions are spread alike).
DISTRICT_WEIGHT: dict[str, float] = {
    "640104": 8, "640105": 6, "640106": 7, "640121": 3, "640122": 3, "640181": 3,
    "640202": 3, "640205": 2, "640221": 3, "640302": 4, "640303": 2, "640323": 2,
    "640381": 3, "640402": 4, "640422": 4, "640423": 2, "640502": 4, "640521": 3,
    "640522": 4,
}

#: Towns and streets, per district, for primary-care centres and pharmacies.
PLACES: dict[str, list[str]] = {
    "640104": ["中山南街", "玉皇阁北街", "丽景街", "凤凰北街", "胜利街", "大新镇", "掌政镇",
               "通贵乡"],
    "640105": ["朔方路", "贺兰山西路", "宁华路", "文昌路", "北京西路", "兴泾镇", "镇北堡镇"],
    "640106": ["满城北街", "黄河东路", "长城中路", "北京中路", "上海西路", "良田镇", "丰登镇"],
    "640121": ["杨和镇", "李俊镇", "望洪镇", "闽宁镇", "胜利乡"],
    "640122": ["习岗镇", "金贵镇", "立岗镇", "洪广镇", "常信乡"],
    "640181": ["东塔镇", "郝家桥镇", "崇兴镇", "宁东镇", "梧桐树乡"],
    "640202": ["人民路", "朝阳街", "长胜街", "长兴街", "星海镇"],
    "640205": ["育才路", "北街", "红果子镇", "尾闸镇"],
    "640221": ["城关镇", "黄渠桥镇", "宝丰镇", "头闸镇", "姚伏镇"],
    "640302": ["胜利镇", "金积镇", "金银滩镇", "高闸镇", "扁担沟镇"],
    "640303": ["红寺堡镇", "太阳山镇", "大河乡"],
    "640323": ["花马池镇", "大水坑镇", "惠安堡镇", "高沙窝镇"],
    "640381": ["小坝镇", "大坝镇", "叶盛镇", "瞿靖镇"],
    "640402": ["南关街", "三营镇", "开城镇", "头营镇", "彭堡镇"],
    "640422": ["吉强镇", "兴隆镇", "平峰镇", "将台堡镇"],
    "640423": ["城关镇", "沙塘镇", "联财镇", "神林乡"],
    "640502": ["文昌镇", "迎水桥镇", "宣和镇", "镇罗镇", "柔远镇"],
    "640521": ["宁安镇", "鸣沙镇", "石空镇", "恩和镇"],
    "640522": ["海城镇", "李旺镇", "西安镇", "三河镇"],
}

#: Named hospitals: (name, admdvs, hosp_lv, equipment classes licensed).
HOSPITALS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("宁夏医科大学总医院", "640104", "01", ("CT", "MRI", "DSA", "PET-CT", "LINAC")),
    ("宁夏回族自治区人民医院", "640105", "02", ("CT", "MRI", "DSA", "PET-CT", "LINAC")),
    ("银川市第一人民医院", "640104", "02", ("CT", "MRI", "DSA")),
    ("银川市第二人民医院", "640105", "03", ("CT", "MRI", "DSA")),
    ("宁夏回族自治区中医医院暨中医研究院", "640106", "02", ("CT", "MRI")),
    ("宁夏医科大学附属回医中医医院", "640105", "05", ("CT", "MRI")),
    ("银川市妇幼保健院", "640106", "05", ("CT",)),
    ("石嘴山市第一人民医院", "640202", "02", ("CT", "MRI", "DSA")),
    ("石嘴山市第二人民医院", "640205", "05", ("CT", "MRI")),
    ("吴忠市人民医院", "640302", "02", ("CT", "MRI", "DSA", "LINAC")),
    ("吴忠市中医医院", "640302", "05", ("CT",)),
    ("固原市人民医院", "640402", "02", ("CT", "MRI", "DSA")),
    ("固原市中医医院", "640402", "06", ("CT",)),
    ("中卫市人民医院", "640502", "02", ("CT", "MRI", "DSA")),
    ("永宁县人民医院", "640121", "05", ("CT",)),
    ("贺兰县人民医院", "640122", "05", ("CT", "MRI")),
    ("灵武市人民医院", "640181", "05", ("CT", "MRI")),
    ("平罗县人民医院", "640221", "05", ("CT",)),
    ("青铜峡市人民医院", "640381", "05", ("CT",)),
    ("盐池县人民医院", "640323", "06", ("CT",)),
    ("红寺堡区人民医院", "640303", "07", ("CT",)),
    ("西吉县人民医院", "640422", "05", ("CT",)),
    ("隆德县人民医院", "640423", "06", ("CT",)),
    ("中宁县人民医院", "640521", "05", ("CT", "MRI")),
    ("海原县人民医院", "640522", "06", ("CT",)),
]

PHARMACY_CHAINS = ["国大药房", "众欣康大药房", "德立信医药", "新世纪大药房", "惠民大药房",
                   "同仁堂药店", "百济堂大药房", "万家康大药房", "九州通大药房", "仁和堂药店"]
PRIVATE_CLINICS = ["康泰诊所", "仁爱门诊部", "济民诊所", "博爱门诊部", "安康诊所", "华康门诊部"]

SURNAMES = "王李张刘陈杨马赵黄周吴徐孙胡朱高林何郭罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞红建国文斌宁海燕春梅亮鹏晓东婷慧雪辉波琳颖浩宇欣怡佳俊峰瑞凯博志坤成"  # noqa: E501


# --------------------------------------------------------------------------- drugs
@dataclass(frozen=True)
class Generic:
    """One generic (通用名+剂型); ``variants`` national codes (manufacturers) share it."""

    key: str
    name: str
    atc: str
    kind: str  # "west" (西药), "tcm" (中成药), "herb" (中药饮片)
    route: str
    price: float
    variants: int = 2
    sex_limit: str | None = None
    child_only: bool = False
    min_rank: int | None = None
    scope: str | None = None
    insu_only: str | None = None
    course: int | None = None
    role: str | None = None
    group: str | None = None
    indication: str | None = None
    herb_rule: str | None = None
    watch: bool = False


def _g(key: str, name: str, atc: str, route: str, price: float, **kw: object) -> Generic:
    return Generic(key, name, atc, "west", route, price, **kw)  # type: ignore[arg-type]


def _z(key: str, name: str, atc: str, route: str, price: float, **kw: object) -> Generic:
    return Generic(key, name, atc, "tcm", route, price, **kw)  # type: ignore[arg-type]


def _h(key: str, name: str, price: float, **kw: object) -> Generic:
    return Generic(key, name, "T", "herb", "oral", price, variants=1, **kw)  # type: ignore[arg-type]


GENERICS: list[Generic] = [
    # cardiovascular, metabolic (chronic care)
    _g("amlodipine", "苯磺酸氨氯地平片", "C08CA", "oral", 14.70, variants=3),
    _g("nifedipine", "硝苯地平控释片", "C08CA", "oral", 32.50),
    _g("valsartan", "缬沙坦胶囊", "C09CA", "oral", 24.80),
    _g("irbesartan", "厄贝沙坦片", "C09CA", "oral", 18.60),
    _g("metoprolol", "琥珀酸美托洛尔缓释片", "C07AB", "oral", 29.90),
    _g("hctz", "氢氯噻嗪片", "C03AA", "oral", 3.20, variants=1),
    _g("metformin", "盐酸二甲双胍片", "A10BA", "oral", 9.80, variants=3),
    _g("glimepiride", "格列美脲片", "A10BB", "oral", 16.40),
    _g("acarbose", "阿卡波糖片", "A10BF", "oral", 26.70),
    _g("sitagliptin", "磷酸西格列汀片", "A10BH", "oral", 38.20),
    _g("glargine", "甘精胰岛素注射液", "A10AE", "injection", 72.00, indication="IND_DIAB"),
    _g("aspart", "门冬胰岛素注射液", "A10AB", "injection", 41.50, indication="IND_DIAB"),
    _g("insulin", "胰岛素注射液", "A10AB", "injection", 18.00, variants=1,
       indication="IND_DIAB"),
    _g("atorvastatin", "阿托伐他汀钙片", "C10AA", "oral", 21.30, variants=3),
    _g("rosuvastatin", "瑞舒伐他汀钙片", "C10AA", "oral", 17.80),
    _g("aspirin", "阿司匹林肠溶片", "B01AC", "oral", 12.50, variants=3),
    _g("clopidogrel", "硫酸氢氯吡格雷片", "B01AC", "oral", 19.90, indication="IND_CLOPI"),
    _g("isosorbide", "单硝酸异山梨酯缓释片", "C01DA", "oral", 15.60),
    _g("levothyroxine", "左甲状腺素钠片", "H03AA", "oral", 24.00, variants=1),
    _g("furosemide_oral", "呋塞米片", "C03CA", "oral", 3.50, variants=1),
    _g("spironolactone", "螺内酯片", "C03DA", "oral", 6.50, variants=1),
    _g("allopurinol", "别嘌醇片", "M04AA", "oral", 8.00, variants=1),
    _g("calcitriol", "骨化三醇软胶囊", "A11CC", "oral", 26.00),
    _g("calcium", "碳酸钙D3片", "A12AX", "oral", 19.00),
    # digestive
    _g("omeprazole", "奥美拉唑肠溶胶囊", "A02BC", "oral", 8.90, variants=3),
    _g("rabeprazole", "雷贝拉唑钠肠溶片", "A02BC", "oral", 23.50),
    _g("hydrotalcite", "铝碳酸镁咀嚼片", "A02AD", "oral", 15.20),
    _g("domperidone", "多潘立酮片", "A03FA", "oral", 13.80),
    _g("smectite", "蒙脱石散", "A07BC", "oral", 12.00),
    # anti-infectives: first and second line (YP-07)
    _g("amoxicillin", "阿莫西林胶囊", "J01CA", "oral", 9.60, variants=3, role="first",
       group="G-RESP"),
    _g("cefuroxime", "头孢呋辛酯片", "J01DC", "oral", 18.40, role="first", group="G-RESP"),
    _g("azithromycin", "阿奇霉素片", "J01FA", "oral", 16.20, role="first", group="G-RESP"),
    _g("levofloxacin", "左氧氟沙星片", "J01MA", "oral", 14.50, role="second", group="G-RESP"),
    _g("moxifloxacin", "盐酸莫西沙星片", "J01MA", "oral", 36.80, role="second",
       group="G-RESP"),
    # pain, allergy, respiratory
    _g("ibuprofen", "布洛芬缓释胶囊", "M01AE", "oral", 11.20, variants=3),
    _g("paracetamol", "对乙酰氨基酚片", "N02BE", "oral", 5.60),
    _g("loratadine", "氯雷他定片", "R06AX", "oral", 13.50),
    _g("cetirizine", "盐酸西替利嗪片", "R06AE", "oral", 12.00),
    _g("montelukast", "孟鲁司特钠片", "R03DC", "oral", 45.60),
    _g("salbutamol", "硫酸沙丁胺醇吸入气雾剂", "R03AC", "other", 22.00),
    _g("symbicort", "布地奈德福莫特罗吸入粉雾剂", "R03AK", "other", 186.00),
    _g("tiotropium", "噻托溴铵吸入粉雾剂", "R03BB", "other", 96.00),
    _g("licorice", "复方甘草口服溶液", "R05DA", "oral", 6.80, scope="outpatient"),
    _g("celecoxib", "塞来昔布胶囊", "M01AH", "oral", 32.00),
    _g("diclofenac_gel", "双氯芬酸二乙胺乳胶剂", "M02AA", "external", 18.00),
    _g("eye_levo", "左氧氟沙星滴眼液", "S01AE", "external", 14.00),
    _g("mecobalamin", "甲钴胺片", "B03BA", "oral", 18.00),
    _g("escin", "七叶皂苷钠片", "C05CX", "oral", 22.40, course=14),
    _g("zolpidem", "酒石酸唑吡坦片", "N05CF", "oral", 28.00),
    _g("estazolam", "艾司唑仑片", "N05CD", "oral", 4.50, variants=1),
    _g("sertraline", "盐酸舍曲林片", "N06AB", "oral", 52.00),
    # sex-limited
    _g("tamsulosin", "盐酸坦索罗辛缓释胶囊", "G04CA", "oral", 28.90, sex_limit="1"),
    _g("finasteride", "非那雄胺片", "G04CB", "oral", 42.30, sex_limit="1"),
    _g("bicalutamide", "比卡鲁胺片", "L02BB", "oral", 96.00, sex_limit="1", min_rank=2),
    _g("dydrogesterone", "地屈孕酮片", "G03DB", "oral", 98.50, sex_limit="2"),
    _g("progesterone", "黄体酮软胶囊", "G03DA", "oral", 45.00, sex_limit="2"),
    _g("estradiol", "戊酸雌二醇片", "G03CA", "oral", 36.00, sex_limit="2"),
    _g("metronidazole_vag", "甲硝唑阴道泡腾片", "G01AF", "external", 12.60, sex_limit="2"),
    # children only
    _g("ped_cold", "小儿氨酚黄那敏颗粒", "N02BE", "oral", 9.80, child_only=True),
    _g("ped_montelukast", "孟鲁司特钠颗粒", "R03DC", "oral", 62.00, child_only=True),
    _g("ped_probiotic", "枯草杆菌二联活菌颗粒", "A07FA", "oral", 28.00, child_only=True),
    _g("ped_ibuprofen", "布洛芬混悬液", "M01AE", "oral", 15.00, child_only=True),
    # work-injury and maternity insurance only
    _g("glucosamine", "硫酸氨基葡萄糖胶囊", "M01AX", "oral", 38.00, insu_only="work_injury"),
    _g("egf", "重组人表皮生长因子外用溶液", "D03AX", "external", 48.00,
       insu_only="work_injury"),
    _g("carboprost", "卡前列素氨丁三醇注射液", "G02AD", "injection", 158.00,
       insu_only="maternity"),
    _g("dinoprostone", "地诺前列酮栓", "G02AD", "external", 298.00, insu_only="maternity"),
    # inpatient injections
    _g("saline", "0.9%氯化钠注射液", "B05XA", "injection", 4.20, variants=3),
    _g("glucose", "5%葡萄糖注射液", "B05BA", "injection", 4.50),
    _g("kcl", "氯化钾注射液", "B05XA", "injection", 1.20, variants=1),
    _g("ceftriaxone", "注射用头孢曲松钠", "J01DD", "injection", 12.80, variants=3,
       role="first", group="G-SEV"),
    _g("levofloxacin_inj", "左氧氟沙星氯化钠注射液", "J01MA", "injection", 18.00,
       role="first", group="G-SEV"),
    _g("cefazolin", "注射用头孢唑林钠", "J01DB", "injection", 6.50),
    _g("cefoperazone", "注射用头孢哌酮钠舒巴坦钠", "J01DD", "injection", 45.00,
       role="second", group="G-SEV", min_rank=2),
    _g("piperacillin", "注射用哌拉西林钠他唑巴坦钠", "J01CR", "injection", 38.00,
       role="second", group="G-SEV"),
    _g("meropenem", "注射用美罗培南", "J01DH", "injection", 98.00, role="second",
       group="G-SEV", min_rank=3, scope="inpatient"),
    _g("vancomycin", "注射用盐酸万古霉素", "J01XA", "injection", 86.00, role="second",
       group="G-SEV", min_rank=3, scope="inpatient"),
    _g("pantoprazole_inj", "注射用泮托拉唑钠", "A02BC", "injection", 36.00,
       scope="inpatient", indication="IND_PPI"),
    _g("omeprazole_inj", "注射用奥美拉唑钠", "A02BC", "injection", 28.00, scope="inpatient",
       indication="IND_PPI"),
    _g("lmwh", "低分子量肝素钙注射液", "B01AB", "injection", 32.00, scope="inpatient"),
    _g("furosemide_inj", "呋塞米注射液", "C03CA", "injection", 1.50, variants=1),
    _g("ntg", "硝酸甘油注射液", "C01DA", "injection", 8.00),
    _g("amiodarone", "盐酸胺碘酮注射液", "C01BD", "injection", 28.00),
    _g("albumin", "人血白蛋白", "B05AA", "injection", 380.00, scope="inpatient",
       indication="IND_ALB", min_rank=2),
    _g("ppc", "多烯磷脂酰胆碱注射液", "A05BA", "injection", 23.00, scope="inpatient",
       indication="IND_HEPATIC"),
    _g("tanshinone", "丹参酮ⅡA磺酸钠注射液", "C01EB", "injection", 15.00, course=14,
       watch=True, min_rank=2),
    _g("alprostadil", "前列地尔注射液", "C01EA", "injection", 65.00, course=14, watch=True),
    _g("oxiracetam", "注射用奥拉西坦", "N06BX", "injection", 55.00, course=14, watch=True,
       indication="IND_OXI"),
    _g("edaravone", "依达拉奉注射液", "N07XX", "injection", 48.00, course=14, watch=True,
       indication="IND_STROKE"),
    _g("butylphthalide", "丁苯酞氯化钠注射液", "N07XX", "injection", 168.00, course=14,
       watch=True, indication="IND_STROKE"),
    _g("ngf", "注射用鼠神经生长因子", "N07XX", "injection", 138.00, watch=True),
    _g("cerebroprotein", "脑苷肌肽注射液", "N07XX", "injection", 100.00, watch=True),
    _g("methylpred", "注射用甲泼尼龙琥珀酸钠", "H02AB", "injection", 18.00),
    _g("dexamethasone", "地塞米松磷酸钠注射液", "H02AB", "injection", 0.80, variants=1),
    _g("ambroxol_inj", "盐酸氨溴索注射液", "R05CB", "injection", 6.00),
    _g("budesonide_neb", "吸入用布地奈德混悬液", "R03BA", "other", 12.00),
    _g("mannitol", "甘露醇注射液", "B05BC", "injection", 5.00, variants=1),
    _g("ondansetron", "盐酸昂丹司琼注射液", "A04AA", "injection", 12.00),
    _g("cisplatin", "注射用顺铂", "L01XA", "injection", 28.00, min_rank=3,
       scope="inpatient"),
    _g("paclitaxel", "紫杉醇注射液", "L01CD", "injection", 420.00, min_rank=3,
       scope="inpatient"),
    _g("gemcitabine", "注射用盐酸吉西他滨", "L01BC", "injection", 180.00, min_rank=3,
       scope="inpatient"),
    _g("lidocaine", "盐酸利多卡因注射液", "N01BB", "injection", 0.90, variants=1),
    _g("propofol", "丙泊酚乳状注射液", "N01AX", "injection", 25.00),
    _g("remifentanil", "注射用盐酸瑞芬太尼", "N01AH", "injection", 48.00),
    _g("parecoxib", "注射用帕瑞昔布钠", "M01AH", "injection", 68.00),
    _g("tramadol", "盐酸曲马多注射液", "N02AX", "injection", 3.00, variants=1),
    _g("metoclopramide", "甲氧氯普胺注射液", "A03FA", "injection", 0.60, variants=1),
    _g("oxytocin", "缩宫素注射液", "H01BB", "injection", 2.50),
    # 中成药
    _z("danshen_pill", "复方丹参滴丸", "ZA12", "oral", 25.00),
    _z("lianhua", "连花清瘟胶囊", "ZA01", "oral", 16.80),
    _z("huoxiang", "藿香正气水", "ZA04", "oral", 8.50),
    _z("banlangen", "板蓝根颗粒", "ZA01", "oral", 9.00, variants=3),
    _z("tongxinluo", "通心络胶囊", "ZA12", "oral", 38.00),
    _z("liuwei", "六味地黄丸", "ZA09", "oral", 15.00),
    _z("xuefu", "血府逐瘀胶囊", "ZA12", "oral", 24.00),
    _z("ganmao", "感冒清热颗粒", "ZA01", "oral", 12.00),
    _z("pudilan", "蒲地蓝消炎口服液", "ZA02", "oral", 28.00),
    _z("shuanghuanglian", "双黄连口服液", "ZA01", "oral", 16.00),
    _z("yangxue", "养血清脑颗粒", "ZA06", "oral", 36.00),
    _z("qili", "芪苈强心胶囊", "ZA12", "oral", 58.00),
    _z("xuesaitong", "注射用血塞通(冻干)", "ZA12", "injection", 22.00, course=14, watch=True),
    _z("ped_feire", "小儿豉翘清热颗粒", "ZA01", "oral", 28.00, child_only=True),
    _z("ped_feike", "小儿肺咳颗粒", "ZA02", "oral", 32.00, child_only=True),
    # 中药饮片 (price per gram)
    _h("huangqi", "黄芪", 0.12),
    _h("danggui", "当归", 0.35),
    _h("dangshen", "党参", 0.28),
    _h("baizhu", "白术", 0.18),
    _h("fuling", "茯苓", 0.10),
    _h("gancao", "甘草", 0.08),
    _h("chuanxiong", "川芎", 0.15),
    _h("shudi", "熟地黄", 0.12),
    _h("baishao", "白芍", 0.11),
    _h("chenpi", "陈皮", 0.06),
    _h("banxia", "法半夏", 0.45),
    _h("chaihu", "柴胡", 0.30),
    _h("huangqin", "黄芩", 0.14),
    _h("jinyinhua", "金银花", 0.55),
    _h("lianqiao", "连翘", 0.25),
    _h("jiegeng", "桔梗", 0.13),
    _h("danshen", "丹参", 0.09),
    _h("shanyao", "山药", 0.10),
    _h("chongcao", "冬虫夏草", 380.00, herb_rule="never"),
    _h("maca", "玛咖", 1.20, herb_rule="never"),
    _h("lurong", "鹿茸", 45.00, herb_rule="never"),
    _h("ejiao", "阿胶", 3.60, herb_rule="not_single"),
    _h("xiyangshen", "西洋参", 2.80, herb_rule="not_single"),
    _h("hongshen", "红参", 1.60, herb_rule="not_single"),
    _h("sanqi", "三七粉", 2.20, herb_rule="not_single"),
]

#: Herbs a background 中药 prescription draws from (6-10 of them, so never 单方).
HERB_POOL = ["huangqi", "danggui", "dangshen", "baizhu", "fuling", "gancao", "chuanxiong",
             "shudi", "baishao", "chenpi", "banxia", "chaihu", "huangqin", "jinyinhua",
             "lianqiao", "jiegeng", "danshen", "shanyao", "ejiao", "xiyangshen", "sanqi"]


# --------------------------------------------------------------------------- services
@dataclass(frozen=True)
class Service:
    """A medical-service item; ``price`` is the rank-3 cap (caps 1/2 are 80 % / 90 %)."""

    key: str
    name: str
    cat: str  # 4-digit section of the national code
    chrg: str  # med_chrgitm_type
    price: float
    capped: bool = True
    sex_limit: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    max_per_day: float | None = None
    period_days: int | None = None
    period_max: float | None = None
    per_day_group: str | None = None
    indication: str | None = None
    equipment: str | None = None
    exam_group: str | None = None
    surgery: bool = False
    course: int | None = None
    flat: bool = False  # the same cap at every rank
    oprn: str | None = None  # ICD-9-CM-3 code of a surgery


def _s(key: str, name: str, cat: str, chrg: str, price: float, **kw: object) -> Service:
    return Service(key, name, cat, chrg, price, **kw)  # type: ignore[arg-type]


SERVICES: list[Service] = [
    _s("reg", "普通挂号费", "1101", "13", 1.00, flat=True, max_per_day=1),
    _s("consult_out", "普通门诊诊察费", "1102", "02", 10.00, max_per_day=1),
    _s("consult_expert", "副主任医师门诊诊察费", "1102", "02", 20.00, max_per_day=1),
    _s("consult_er", "急诊诊察费", "1102", "02", 12.00, max_per_day=1),
    _s("consult_opsp", "门诊慢特病诊察费", "1102", "02", 10.00, max_per_day=1),
    _s("general_fee", "一般诊疗费", "1105", "12", 10.00, flat=True, max_per_day=1),
    _s("consult_ip", "住院诊察费", "1102", "02", 15.00, max_per_day=1, per_day_group="consult"),
    _s("bed", "普通病房床位费(三人间)", "1109", "01", 45.00, max_per_day=1, per_day_group="bed"),
    _s("bed2", "普通病房床位费(双人间)", "1109", "01", 60.00, max_per_day=1,
       per_day_group="bed"),
    _s("nursing1", "一级护理", "1202", "07", 40.00, max_per_day=1, per_day_group="nursing"),
    _s("nursing2", "二级护理", "1202", "07", 25.00, max_per_day=1, per_day_group="nursing"),
    _s("iv", "静脉输液(第一组)", "1203", "05", 10.00, max_per_day=1),
    _s("iv_push", "静脉注射", "1203", "05", 5.00, max_per_day=3),
    _s("im", "肌肉注射", "1203", "05", 3.00, max_per_day=2),
    _s("neb", "雾化吸入", "1204", "05", 8.00, max_per_day=3),
    _s("dressing", "换药(小)", "1205", "05", 12.00, max_per_day=2),
    _s("o2", "氧气吸入(每小时)", "1206", "05", 3.00, max_per_day=24),
    _s("ecg_monitor", "心电监测(每小时)", "1207", "05", 3.00, max_per_day=24),
    _s("acupuncture", "普通针刺", "4302", "05", 25.00, max_per_day=1, period_days=30,
       period_max=20),
    _s("tuina_child", "小儿推拿", "4303", "05", 30.00, max_per_day=1, max_age=14),
    _s("rehab_pt", "运动疗法", "4101", "05", 40.00, max_per_day=1, period_days=7,
       period_max=6, course=90),
    _s("dialysis", "血液透析", "3113", "05", 400.00, max_per_day=1, period_days=7,
       period_max=3),
    _s("elderly_assess", "老年综合评估", "1106", "05", 60.00, min_age=60, max_per_day=1),
    _s("delivery", "单胎顺产接生", "3313", "05", 800.00, sex_limit="2", max_per_day=1),
    _s("anesthesia_general", "气管插管全身麻醉", "3301", "06", 600.00, max_per_day=1),
    _s("anesthesia_local", "局部浸润麻醉", "3301", "06", 50.00, max_per_day=1),
    # laboratory (04)
    _s("cbc", "血细胞分析(血常规)", "2501", "04", 20.00, max_per_day=2),
    _s("urine", "尿液分析", "2501", "04", 10.00, max_per_day=2),
    _s("stool", "粪便常规", "2501", "04", 5.00, max_per_day=2),
    _s("crp", "C反应蛋白测定", "2503", "04", 25.00, max_per_day=2),
    _s("liver_pkg", "肝功能组合", "2503", "04", 40.00, max_per_day=1),
    _s("alt", "丙氨酸氨基转移酶测定", "2503", "04", 15.00, max_per_day=2),
    _s("ast", "天门冬氨酸氨基转移酶测定", "2503", "04", 15.00, max_per_day=2),
    _s("tbil", "总胆红素测定", "2503", "04", 12.00, max_per_day=2),
    _s("alb", "白蛋白测定", "2503", "04", 10.00, max_per_day=2),
    _s("lipid_pkg", "血脂四项", "2503", "04", 60.00, max_per_day=1),
    _s("tc", "总胆固醇测定", "2503", "04", 18.00, max_per_day=1),
    _s("tg", "甘油三酯测定", "2503", "04", 18.00, max_per_day=1),
    _s("hdl", "高密度脂蛋白胆固醇测定", "2503", "04", 20.00, max_per_day=1),
    _s("ldl", "低密度脂蛋白胆固醇测定", "2503", "04", 20.00, max_per_day=1),
    _s("renal", "肾功能检测", "2503", "04", 36.00, max_per_day=2),
    _s("electrolyte", "电解质四项", "2503", "04", 32.00, max_per_day=3),
    _s("glu", "葡萄糖测定", "2503", "04", 5.00, max_per_day=4),
    _s("poct_glu", "快速血糖测定", "2503", "04", 6.00, max_per_day=8),
    _s("hba1c", "糖化血红蛋白测定", "2503", "04", 60.00, max_per_day=1,
       indication="IND_HBA1C"),
    _s("coag", "凝血四项", "2502", "04", 80.00, max_per_day=2),
    _s("bnp", "N端脑钠肽前体测定", "2504", "04", 180.00, max_per_day=1, indication="IND_HF"),
    _s("tni", "肌钙蛋白I测定", "2504", "04", 90.00, max_per_day=3, indication="IND_TNI"),
    _s("psa", "前列腺特异性抗原测定", "2504", "04", 60.00, max_per_day=1, sex_limit="1"),
    _s("hcg", "绒毛膜促性腺激素测定", "2504", "04", 50.00, max_per_day=1, sex_limit="2"),
    _s("tct", "宫颈液基薄层细胞学检查", "2502", "04", 120.00, max_per_day=1, sex_limit="2"),
    _s("ca199", "糖类抗原CA199测定", "2504", "04", 70.00, max_per_day=1),
    _s("special_lab", "特殊病原体核酸检测", "2505", "04", 0.0, capped=False, max_per_day=1),
    # imaging and examinations (03)
    _s("xray_chest", "胸部X线摄影(DR)", "2101", "03", 70.00, max_per_day=1,
       exam_group="DR-胸部"),
    _s("ct_head", "颅脑CT平扫", "2103", "03", 160.00, max_per_day=1, exam_group="CT-头颅",
       equipment="CT"),
    _s("ct_chest", "胸部CT平扫", "2103", "03", 180.00, max_per_day=1, exam_group="CT-胸部",
       equipment="CT"),
    _s("ct_abd", "上腹部CT平扫", "2103", "03", 200.00, max_per_day=1, exam_group="CT-腹部",
       equipment="CT"),
    _s("mri_head", "颅脑磁共振平扫", "2102", "03", 480.00, max_per_day=1,
       exam_group="MRI-头颅", equipment="MRI"),
    _s("mri_spine", "腰椎磁共振平扫", "2102", "03", 480.00, max_per_day=1,
       exam_group="MRI-腰椎", equipment="MRI"),
    _s("mri_knee", "膝关节磁共振平扫", "2102", "03", 480.00, max_per_day=1,
       exam_group="MRI-膝关节", equipment="MRI"),
    _s("petct", "PET-CT全身显像", "2106", "03", 7000.00, max_per_day=1, exam_group="PET-CT",
       equipment="PET-CT"),
    _s("us_abd", "腹部彩色多普勒超声", "2201", "03", 120.00, max_per_day=1,
       exam_group="US-腹部"),
    _s("us_heart", "超声心动图", "2201", "03", 180.00, max_per_day=1, exam_group="US-心脏"),
    _s("us_gyn", "妇科彩色多普勒超声", "2201", "03", 100.00, max_per_day=1,
       exam_group="US-妇科", sex_limit="2"),
    _s("us_uro", "泌尿系彩色多普勒超声", "2201", "03", 100.00, max_per_day=1,
       exam_group="US-泌尿"),
    _s("us_ob", "产科彩色多普勒超声", "2201", "03", 150.00, max_per_day=1,
       exam_group="US-产科", sex_limit="2"),
    _s("ecg", "常规心电图检查", "3102", "03", 25.00, max_per_day=3),
    _s("holter", "动态心电图", "3102", "03", 200.00, max_per_day=1),
    _s("gastroscopy", "电子胃镜检查", "3103", "03", 260.00, max_per_day=1,
       exam_group="ENDO-胃"),
    _s("special_exam", "特殊检查(市场调节价)", "2199", "03", 0.0, capped=False, max_per_day=1),
    # surgery (06)
    _s("appendectomy", "阑尾切除术", "3310", "06", 1000.00, surgery=True, oprn="47.0900"),
    _s("lap_chole", "腹腔镜下胆囊切除术", "3310", "06", 2200.00, surgery=True, oprn="51.2300"),
    _s("hernia", "腹股沟疝修补术", "3310", "06", 1200.00, surgery=True, oprn="53.0000"),
    _s("pci", "经皮冠状动脉支架置入术", "3309", "06", 3800.00, surgery=True, oprn="36.0700"),
    _s("cataract", "白内障超声乳化摘除术+人工晶体植入术", "3304", "06", 2000.00,
       surgery=True, oprn="13.4100"),
    _s("thr", "人工全髋关节置换术", "3315", "06", 3200.00, surgery=True, oprn="81.5100"),
    _s("tkr", "人工全膝关节置换术", "3315", "06", 3200.00, surgery=True, oprn="81.5400"),
    _s("orif", "骨折切开复位内固定术", "3315", "06", 1800.00, surgery=True, oprn="79.3500"),
    _s("gastrectomy", "胃大部切除术", "3310", "06", 3000.00, surgery=True, oprn="43.7000"),
    _s("turp", "经尿道前列腺电切术", "3311", "06", 2400.00, surgery=True, sex_limit="1",
       oprn="60.2900"),
    _s("cesarean", "子宫下段剖宫产术", "3313", "06", 1600.00, surgery=True, sex_limit="2",
       oprn="74.1x00"),
    _s("hysterectomy", "经腹子宫切除术", "3313", "06", 2000.00, surgery=True, sex_limit="2",
       oprn="68.4900"),
    _s("debridement", "清创缝合术", "3316", "06", 300.00, surgery=True, oprn="86.2200"),
    _s("lymph_biopsy", "淋巴结活检术", "3316", "06", 500.00, surgery=True, oprn="40.1100"),
    _s("adhesiolysis", "肠粘连松解术", "3310", "06", 1200.00, surgery=True, oprn="54.5900"),
]

#: item_pair rows: (code_a key, code_b key, period).
ITEM_PAIRS: list[tuple[str, str, str]] = [
    ("general_fee", "consult_out", "day"),
    ("iv", "iv_push", "day"),
    ("anesthesia_general", "anesthesia_local", "visit"),
    ("holter", "holter", "day"),
    ("dialysis", "o2", "day"),
]

#: package rows: package key -> (component keys, price).
PACKAGES: dict[str, tuple[list[str], float]] = {
    "liver_pkg": (["alt", "ast", "tbil", "alb"], 40.00),
    "lipid_pkg": (["tc", "tg", "hdl", "ldl"], 60.00),
}


# --------------------------------------------------------------------------- materials
@dataclass(frozen=True)
class Material:
    """A medical consumable (医用耗材)."""

    key: str
    name: str
    cls: str  # 2-digit class of the national code
    price: float
    device_class: str | None = None
    watch: bool = False


MATERIALS: list[Material] = [
    Material("infusion_set", "一次性使用输液器", "14", 2.50),
    Material("syringe", "一次性使用无菌注射器", "14", 0.60),
    Material("gauze", "医用纱布块", "14", 3.00),
    Material("catheter", "一次性使用导尿管", "14", 12.00),
    Material("suture", "可吸收缝合线", "14", 85.00),
    Material("stent", "药物洗脱冠状动脉支架系统", "01", 780.00, "冠脉支架"),
    Material("balloon", "PTCA球囊扩张导管", "01", 1200.00, "冠脉球囊"),
    Material("guide_wire", "冠脉导引导丝", "01", 350.00),
    Material("hip_joint", "人工髋关节假体", "03", 7500.00, "人工关节"),
    Material("knee_joint", "人工膝关节假体", "03", 5000.00, "人工关节"),
    Material("plate", "锁定接骨板", "03", 2200.00, "骨科内固定"),
    Material("screw", "接骨螺钉", "03", 300.00, "骨科内固定"),
    Material("iol", "人工晶状体", "04", 1200.00, "人工晶体"),
    Material("pacemaker", "双腔心脏起搏器", "08", 18000.00, "心脏起搏器"),
    Material("hemostatic", "可吸收止血纱布", "14", 380.00, watch=True),
    Material("antiadhesion", "医用透明质酸钠凝胶", "14", 460.00, watch=True),
    Material("trocar", "一次性腹腔镜穿刺器", "02", 600.00),
    Material("dialyzer", "血液透析器", "12", 180.00),
]

#: device_rule rows: device_class -> required code set.
DEVICE_RULES: dict[str, str] = {
    "冠脉支架": "DEV_STENT",
    "人工关节": "DEV_JOINT",
    "人工晶体": "DEV_IOL",
    "心脏起搏器": "DEV_PACE",
}

# --------------------------------------------------------------------------- code sets
CODE_SETS: list[tuple[str, str, str]] = [
    ("sex_female_only", "O00", "O9A"),
    ("sex_female_only", "N70", "N98"),
    ("sex_male_only", "N40", "N51"),
    ("sex_male_only", "C60", "C63"),
    ("age_newborn", "P00", "P96"),
    ("age_maternity", "O00", "O9A"),
    ("planned_readmission", "Z51", "Z51"),
    ("symptom_codes", "R00", "R99"),
    ("IND_DIAB", "E10", "E14"),
    ("IND_HBA1C", "E10", "E14"),
    ("IND_HBA1C", "R73", "R73"),
    ("IND_CLOPI", "I20", "I25"),
    ("IND_CLOPI", "I63", "I63"),
    ("IND_CLOPI", "Z95.5", "Z95.5"),
    ("IND_PPI", "K25", "K28"),
    ("IND_PPI", "K92.2", "K92.2"),
    ("IND_ALB", "K74", "K74"),
    ("IND_ALB", "R57", "R57"),
    ("IND_ALB", "E88.0", "E88.0"),
    ("IND_HEPATIC", "K70", "K77"),
    ("IND_HEPATIC", "B15", "B19"),
    ("IND_OXI", "S06", "S06"),
    ("IND_OXI", "I61", "I62"),
    ("IND_STROKE", "I63", "I63"),
    ("IND_HF", "I50", "I50"),
    ("IND_TNI", "I20", "I25"),
    ("IND_TNI", "R07", "R07"),
    ("DEV_STENT", "I20", "I25"),
    ("DEV_JOINT", "M16", "M17"),
    ("DEV_JOINT", "S72", "S72"),
    ("DEV_IOL", "H25", "H26"),
    ("DEV_PACE", "I44", "I49"),
]

# --------------------------------------------------------------------------- chronic diseases
#: 门诊慢特病: dise_codg -> (name, diagnosis code, drug generic keys in scope).
OPSP: dict[str, tuple[str, str, list[str]]] = {
    "M03900": ("高血压", "I10.X00",
               ["amlodipine", "nifedipine", "valsartan", "irbesartan", "metoprolol", "hctz"]),
    "M01600": ("糖尿病", "E11.900",
               ["metformin", "glimepiride", "acarbose", "sitagliptin", "glargine", "aspart"]),
    "M04600": ("冠心病", "I25.100",
               ["aspirin", "clopidogrel", "atorvastatin", "rosuvastatin", "isosorbide",
                "metoprolol", "danshen_pill", "tongxinluo"]),
    "M05900": ("慢性阻塞性肺疾病", "J44.900", ["tiotropium", "symbicort", "salbutamol"]),
    "M07800": ("慢性肾脏病", "N18.900", ["calcitriol", "calcium", "allopurinol",
                                          "furosemide_oral", "spironolactone"]),
}
#: chronic-care labs per 门慢特病 (one in ~4 visits).
OPSP_LABS: dict[str, list[str]] = {
    "M03900": ["renal", "electrolyte", "ecg"],
    "M01600": ["hba1c", "glu", "renal"],
    "M04600": ["lipid_pkg", "ecg", "liver_pkg"],
    "M05900": ["cbc", "xray_chest"],
    "M07800": ["renal", "electrolyte", "cbc"],
}


# --------------------------------------------------------------------------- diseases
@dataclass(frozen=True)
class Disease:
    """A diagnosis with the care it receives in background visits.

    ``kinds``: ``o`` 普通门诊, ``e`` 急诊, ``p`` 药店, ``i`` 住院, ``m`` 生育门诊, ``d`` 生育住院.
    ``ages``: ``c`` children (< 14 at the end of the period), ``a`` adults, ``e`` elderly (≥ 60).
    """

    code: str
    name: str
    kinds: str
    sex: str | None = None
    ages: str = "ae"
    weight: float = 1.0
    out: list[str] = field(default_factory=list)
    ph: list[str] = field(default_factory=list)
    labs: list[str] = field(default_factory=list)
    imgs: list[str] = field(default_factory=list)
    trts: list[str] = field(default_factory=list)
    tcm: float = 0.0
    ip: list[str] = field(default_factory=list)
    ip_labs: list[str] = field(default_factory=list)
    ip_trts: list[str] = field(default_factory=list)
    surg: list[str] = field(default_factory=list)
    sec_surg: list[str] = field(default_factory=list)
    mats: list[str] = field(default_factory=list)
    dis: list[str] = field(default_factory=list)
    std_los: float = 0.0
    std_cost: float = 0.0
    med_ip: str = "21"
    er_admit: float = 0.0  # share of stays admitted through the emergency room (24)


_RESP_OUT = ["amoxicillin", "cefuroxime", "azithromycin", "paracetamol", "ibuprofen",
             "lianhua", "ganmao", "banlangen", "shuanghuanglian", "licorice", "pudilan"]
_RESP_PH = ["paracetamol", "ibuprofen", "loratadine", "lianhua", "ganmao", "banlangen",
            "huoxiang", "shuanghuanglian", "licorice"]
_GI_OUT = ["omeprazole", "rabeprazole", "hydrotalcite", "domperidone"]
_PED_RESP = ["ped_cold", "ped_ibuprofen", "ped_feire", "ped_feike", "ped_montelukast",
             "amoxicillin"]
_IP_BASE = ["saline", "glucose"]
_IP_LABS = ["cbc", "urine", "crp", "liver_pkg", "renal", "electrolyte", "coag", "glu"]
_SURG_IP = ["saline", "glucose", "cefazolin", "parecoxib", "tramadol"]
_SURG_MATS = ["infusion_set", "syringe", "gauze", "suture"]

DISEASES: list[Disease] = [
    # ----- outpatient and pharmacy
    Disease("J06.900", "急性上呼吸道感染", "oep", ages="cae", weight=10, out=_RESP_OUT,
            ph=_RESP_PH, labs=["cbc", "crp"], tcm=0.05),
    Disease("J06.900", "急性上呼吸道感染", "oep", ages="c", weight=12, out=_PED_RESP,
            ph=["ped_cold", "ped_feire", "ped_ibuprofen"], labs=["cbc", "crp"],
            trts=["tuina_child"]),
    Disease("J20.900", "急性支气管炎", "oep", ages="cae", weight=5,
            out=_RESP_OUT, ph=_RESP_PH, labs=["cbc", "crp"],
            imgs=["xray_chest"], trts=["neb"]),
    Disease("J02.900", "急性咽炎", "op", weight=4, out=_RESP_OUT, ph=_RESP_PH, labs=["cbc"]),
    Disease("J03.900", "急性扁桃体炎", "oe", ages="c", weight=4, out=_PED_RESP,
            labs=["cbc", "crp"]),
    Disease("H66.900", "中耳炎", "o", ages="c", weight=1.5, out=["amoxicillin", "ped_ibuprofen"],
            labs=["cbc"]),
    Disease("A08.000", "轮状病毒性肠炎", "oe", ages="c", weight=3,
            out=["smectite", "ped_probiotic"], ph=["smectite", "ped_probiotic"],
            labs=["stool", "cbc"]),
    Disease("L22.X00", "尿布皮炎", "op", ages="c", weight=1, out=["loratadine"], ph=["loratadine"]),
    Disease("K29.700", "胃炎", "op", weight=6, out=_GI_OUT, ph=_GI_OUT,
            labs=["cbc"], imgs=["gastroscopy", "us_abd"], tcm=0.08),
    Disease("K30.X00", "功能性消化不良", "op", weight=4, out=_GI_OUT, ph=_GI_OUT, tcm=0.10),
    Disease("K21.900", "胃食管反流病", "o", weight=2, out=_GI_OUT, imgs=["gastroscopy"]),
    Disease("A09.900", "胃肠炎和结肠炎", "oep", weight=3, out=["smectite", "huoxiang"],
            ph=["smectite", "huoxiang"], labs=["stool", "cbc"]),
    Disease("I10.X00", "特发性（原发性）高血压", "op", weight=6,
            out=["amlodipine", "nifedipine", "valsartan", "irbesartan", "metoprolol"],
            ph=["amlodipine", "nifedipine", "valsartan"], labs=["renal", "ecg"], tcm=0.05),
    Disease("E11.900", "2型糖尿病", "op", weight=4,
            out=["metformin", "glimepiride", "acarbose", "glargine"],
            ph=["metformin", "acarbose"], labs=["hba1c", "glu"]),
    Disease("E78.500", "高脂血症", "op", weight=3, out=["atorvastatin", "rosuvastatin"],
            ph=["atorvastatin"], labs=["lipid_pkg"]),
    Disease("E03.900", "甲状腺功能减退症", "o", weight=1, out=["levothyroxine"]),
    Disease("I25.100", "动脉硬化性心脏病", "op", ages="e", weight=3,
            out=["aspirin", "clopidogrel", "isosorbide", "atorvastatin", "danshen_pill",
                 "tongxinluo"], ph=["aspirin", "danshen_pill"], labs=["lipid_pkg", "tni"],
            imgs=["ecg", "holter", "us_heart"]),
    Disease("I83.900", "下肢静脉曲张", "o", weight=1, out=["escin"]),
    Disease("M54.500", "腰痛", "op", weight=4, out=["celecoxib", "ibuprofen", "diclofenac_gel",
            "mecobalamin"], ph=["diclofenac_gel", "ibuprofen"], imgs=["mri_spine"],
            trts=["acupuncture"], tcm=0.12),
    Disease("M17.900", "膝关节病", "o", ages="e", weight=3,
            out=["celecoxib", "diclofenac_gel"], imgs=["mri_knee"],
            trts=["acupuncture", "rehab_pt"], tcm=0.08),
    Disease("L30.900", "皮炎", "op", weight=2, out=["loratadine", "cetirizine"],
            ph=["loratadine", "cetirizine"]),
    Disease("H10.900", "结膜炎", "op", ages="cae", weight=2, out=["eye_levo"],
            ph=["eye_levo"]),
    Disease("K02.900", "龋病", "o", ages="cae", weight=1.5, out=["ibuprofen"]),
    Disease("R50.900", "发热", "oe", ages="ae", weight=2, out=["paracetamol", "ibuprofen"],
            labs=["cbc", "crp", "urine"]),
    Disease("R05.X00", "咳嗽", "op", weight=2, out=["licorice", "pudilan", "montelukast"],
            ph=["licorice", "loratadine"]),
    Disease("R51.X00", "头痛", "oe", weight=1.5, out=["ibuprofen", "yangxue"],
            imgs=["ct_head"]),
    Disease("N39.000", "尿路感染", "o", weight=2, out=["cefuroxime", "amoxicillin"],
            labs=["urine", "cbc"], imgs=["us_uro"]),
    Disease("G47.000", "失眠", "o", ages="ae", weight=2, out=["zolpidem", "estazolam"],
            tcm=0.15),
    Disease("F41.100", "广泛性焦虑障碍", "o", weight=1, out=["sertraline"]),
    Disease("J45.900", "哮喘", "op", ages="cae", weight=1.5,
            out=["montelukast", "salbutamol", "symbicort"], ph=["salbutamol"]),
    Disease("I20.900", "心绞痛", "e", ages="e", weight=1, out=["isosorbide", "aspirin"],
            labs=["tni"], imgs=["ecg"]),
    Disease("N76.000", "急性阴道炎", "o", sex="F", weight=3, out=["metronidazole_vag"],
            imgs=["us_gyn"]),
    Disease("N92.000", "月经过多", "o", sex="F", ages="a", weight=2,
            out=["dydrogesterone", "progesterone"], labs=["cbc", "hcg"], imgs=["us_gyn"]),
    Disease("N95.100", "绝经期综合征", "o", sex="F", ages="ae", weight=1.5,
            out=["estradiol"], imgs=["us_gyn"], tcm=0.2),
    Disease("N40.X00", "前列腺增生", "op", sex="M", ages="e", weight=3,
            out=["tamsulosin", "finasteride"], ph=["tamsulosin"], labs=["psa", "urine"],
            imgs=["us_uro"]),
    Disease("N41.000", "急性前列腺炎", "o", sex="M", ages="a", weight=1,
            out=["cefuroxime"], labs=["urine"]),
    # ----- inpatient
    Disease("I63.900", "脑梗死", "i", ages="e", weight=5,
            ip=_IP_BASE + ["edaravone", "butylphthalide", "tanshinone", "xuesaitong",
                           "aspirin", "atorvastatin", "mannitol"],
            ip_labs=_IP_LABS + ["lipid_pkg"], imgs=["ct_head", "mri_head"],
            dis=["aspirin", "atorvastatin", "clopidogrel"], std_los=14, std_cost=15000,
            er_admit=0.3),
    Disease("I61.900", "脑出血", "i", ages="e", weight=1.5,
            ip=_IP_BASE + ["mannitol", "oxiracetam", "ngf"],
            ip_labs=_IP_LABS, imgs=["ct_head"], std_los=18, std_cost=25000, er_admit=0.6),
    Disease("J18.900", "肺炎", "i", ages="ae", weight=6,
            ip=_IP_BASE + ["ceftriaxone", "levofloxacin_inj", "ambroxol_inj",
                           "methylpred", "budesonide_neb"],
            ip_labs=_IP_LABS, imgs=["ct_chest", "xray_chest"], ip_trts=["neb", "o2"],
            dis=["cefuroxime"], std_los=10, std_cost=8000, er_admit=0.2),
    Disease("J18.900", "肺炎", "i", ages="c", weight=4,
            ip=_IP_BASE + ["ceftriaxone", "ambroxol_inj", "budesonide_neb", "ped_montelukast"],
            ip_labs=["cbc", "crp", "urine"], imgs=["xray_chest"], ip_trts=["neb"],
            dis=["ped_feike"], std_los=7, std_cost=4000),
    Disease("J44.100", "慢性阻塞性肺病伴有急性加重", "i", ages="e", weight=3,
            ip=_IP_BASE + ["ceftriaxone", "methylpred", "budesonide_neb", "ambroxol_inj"],
            ip_labs=_IP_LABS, imgs=["ct_chest"], ip_trts=["o2", "neb"],
            dis=["tiotropium", "symbicort"], std_los=10, std_cost=9000),
    Disease("I50.900", "心力衰竭", "i", ages="e", weight=3,
            ip=_IP_BASE + ["furosemide_inj", "ntg", "qili", "spironolactone"],
            ip_labs=_IP_LABS + ["bnp"], imgs=["us_heart", "xray_chest"],
            ip_trts=["ecg_monitor", "o2"], dis=["spironolactone", "metoprolol"], std_los=10,
            std_cost=10000),
    Disease("I20.000", "不稳定性心绞痛", "i", ages="e", weight=3,
            ip=_IP_BASE + ["lmwh", "ntg", "aspirin", "clopidogrel", "atorvastatin"],
            ip_labs=_IP_LABS + ["tni", "lipid_pkg"], imgs=["us_heart"],
            ip_trts=["ecg_monitor"], surg=["pci"], mats=["stent", "balloon", "guide_wire"],
            dis=["aspirin", "clopidogrel", "atorvastatin"], std_los=7, std_cost=30000,
            er_admit=0.2),
    Disease("I21.900", "急性心肌梗死", "i", ages="e", weight=1.5,
            ip=_IP_BASE + ["lmwh", "ntg", "aspirin", "clopidogrel", "amiodarone"],
            ip_labs=_IP_LABS + ["tni"], imgs=["us_heart"], ip_trts=["ecg_monitor", "o2"],
            surg=["pci"], mats=["stent", "balloon", "guide_wire"],
            dis=["aspirin", "clopidogrel", "atorvastatin"], std_los=10, std_cost=45000,
            er_admit=0.8),
    Disease("E11.900", "2型糖尿病", "i", ages="ae", weight=2,
            ip=_IP_BASE + ["insulin", "metformin", "mecobalamin"],
            ip_labs=_IP_LABS + ["hba1c", "poct_glu"], imgs=["us_abd"],
            dis=["metformin", "acarbose"], std_los=8, std_cost=6000),
    Disease("K80.200", "胆囊结石", "i", weight=3, ip=_SURG_IP, ip_labs=_IP_LABS,
            imgs=["us_abd", "ct_abd"], surg=["lap_chole"], sec_surg=["adhesiolysis"],
            mats=_SURG_MATS + ["trocar", "hemostatic"], std_los=6, std_cost=12000),
    Disease("K35.900", "急性阑尾炎", "i", ages="cae", weight=2.5, ip=_SURG_IP + ["ceftriaxone"],
            ip_labs=["cbc", "crp", "coag"], imgs=["us_abd"], surg=["appendectomy"],
            mats=_SURG_MATS, std_los=6, std_cost=8000, er_admit=0.7),
    Disease("K40.900", "腹股沟疝", "i", weight=1.5, ip=_SURG_IP, ip_labs=["cbc", "coag"],
            surg=["hernia"], mats=_SURG_MATS, std_los=5, std_cost=7000),
    Disease("H25.900", "老年性白内障", "i", ages="e", weight=3,
            ip=["saline", "eye_levo", "dexamethasone"], ip_labs=["cbc", "coag", "glu"],
            surg=["cataract"], mats=["iol", "syringe", "gauze"], dis=["eye_levo"], std_los=3,
            std_cost=6000),
    Disease("M16.900", "髋关节病", "i", ages="e", weight=1,
            ip=_SURG_IP + ["lmwh", "alprostadil"], ip_labs=_IP_LABS,
            imgs=["xray_chest"], surg=["thr"], mats=["hip_joint"] + _SURG_MATS + ["hemostatic"],
            ip_trts=["rehab_pt"], dis=["celecoxib", "calcium"], std_los=14, std_cost=45000),
    Disease("M17.900", "膝关节病", "i", ages="e", weight=1,
            ip=_SURG_IP + ["lmwh"], ip_labs=_IP_LABS, imgs=["mri_knee"], surg=["tkr"],
            mats=["knee_joint"] + _SURG_MATS, ip_trts=["rehab_pt"], dis=["celecoxib"],
            std_los=14, std_cost=42000),
    Disease("S72.000", "股骨颈骨折", "i", ages="e", weight=1.5,
            ip=_SURG_IP + ["lmwh"], ip_labs=_IP_LABS, imgs=["xray_chest"], surg=["thr"],
            mats=["hip_joint"] + _SURG_MATS, dis=["calcium", "celecoxib"], std_los=14,
            std_cost=48000, med_ip="22"),
    Disease("S82.200", "胫骨骨干骨折", "i", ages="ae", weight=1.5,
            ip=_SURG_IP, ip_labs=_IP_LABS, imgs=["xray_chest"], surg=["orif"],
            sec_surg=["debridement"], mats=["plate", "screw"] + _SURG_MATS,
            dis=["celecoxib"], std_los=12, std_cost=25000, med_ip="22"),
    Disease("S06.000", "脑震荡", "i", ages="cae", weight=1.5,
            ip=_IP_BASE + ["mannitol"], ip_labs=["cbc", "electrolyte"], imgs=["ct_head"],
            std_los=5, std_cost=4000, med_ip="22"),
    Disease("C34.900", "支气管或肺恶性肿瘤", "i", ages="e", weight=1,
            ip=_IP_BASE + ["ondansetron", "cisplatin", "gemcitabine"], ip_labs=_IP_LABS,
            imgs=["ct_chest", "petct"], std_los=12, std_cost=30000),
    Disease("Z51.100", "为肿瘤化学治疗疗程", "i", ages="ae", weight=2,
            ip=_IP_BASE + ["ondansetron", "paclitaxel", "cisplatin"],
            ip_labs=["cbc", "liver_pkg", "renal"],
            std_los=5, std_cost=9000),
    Disease("C16.900", "胃恶性肿瘤", "i", ages="e", weight=0.8, ip=_SURG_IP + ["ondansetron"],
            ip_labs=_IP_LABS + ["ca199"], imgs=["ct_abd", "gastroscopy"], surg=["gastrectomy"],
            sec_surg=["lymph_biopsy"], mats=_SURG_MATS + ["hemostatic", "antiadhesion"],
            std_los=16, std_cost=60000),
    Disease("C61.X00", "前列腺恶性肿瘤", "i", sex="M", ages="e", weight=0.6,
            ip=_IP_BASE + ["bicalutamide"], ip_labs=_IP_LABS + ["psa"], dis=["bicalutamide"], std_los=10, std_cost=20000),
    Disease("N40.X00", "前列腺增生", "i", sex="M", ages="e", weight=1.2,
            ip=_SURG_IP + ["tamsulosin"], ip_labs=_IP_LABS + ["psa"], imgs=["us_uro"],
            surg=["turp"], mats=["catheter"] + _SURG_MATS, dis=["tamsulosin"], std_los=8,
            std_cost=15000),
    Disease("D25.900", "子宫平滑肌瘤", "i", sex="F", ages="a", weight=1,
            ip=_SURG_IP, ip_labs=_IP_LABS + ["hcg"], imgs=["us_gyn"], surg=["hysterectomy"],
            mats=_SURG_MATS + ["hemostatic"], std_los=8, std_cost=16000),
    Disease("K92.200", "消化道出血", "i", ages="ae", weight=1.5,
            ip=_IP_BASE + ["pantoprazole_inj", "omeprazole_inj"], ip_labs=_IP_LABS,
            imgs=["gastroscopy"], std_los=8, std_cost=9000, er_admit=0.6),
    Disease("K74.600", "肝硬化", "i", ages="ae", weight=1,
            ip=_IP_BASE + ["albumin", "ppc", "furosemide_inj", "spironolactone"],
            ip_labs=_IP_LABS, imgs=["us_abd", "ct_abd"], std_los=12, std_cost=15000),
    Disease("A08.000", "轮状病毒性肠炎", "i", ages="c", weight=2,
            ip=_IP_BASE + ["kcl", "ped_probiotic"], ip_labs=["cbc", "stool", "electrolyte"],
            std_los=4, std_cost=2500, med_ip="24"),
    Disease("I10.X00", "特发性（原发性）高血压", "i", ages="ae", weight=1.5,
            ip=_IP_BASE + ["amlodipine", "valsartan"], ip_labs=_IP_LABS,
            imgs=["us_heart", "ecg"], dis=["amlodipine"], std_los=7, std_cost=5000),
    Disease("R55.X00", "晕厥", "i", ages="e", weight=0.8, ip=_IP_BASE,
            ip_labs=["cbc", "electrolyte", "glu"], imgs=["ct_head", "holter"], std_los=5,
            std_cost=4000, er_admit=0.5),
    # ----- maternity (生育)
    Disease("Z34.900", "正常妊娠监督", "m", sex="F", ages="a", weight=3, out=[],
            labs=["cbc", "urine", "hcg"], imgs=["us_ob"]),
    Disease("O21.000", "轻度妊娠剧吐", "m", sex="F", ages="a", weight=1, out=[],
            labs=["urine", "electrolyte"], imgs=["us_ob"]),
    Disease("O80.000", "单胎顺产", "d", sex="F", ages="a", weight=3,
            ip=["saline", "oxytocin"], ip_labs=["cbc", "coag", "urine"], imgs=["us_ob"],
            ip_trts=["delivery"], std_los=3, std_cost=4000, med_ip="52"),
    Disease("O82.000", "经选择性剖宫产术的单胎分娩", "d", sex="F", ages="a", weight=2,
            ip=_SURG_IP[:3] + ["oxytocin"], ip_labs=["cbc", "coag", "urine"], imgs=["us_ob"],
            surg=["cesarean"], mats=_SURG_MATS, std_los=5, std_cost=8000, med_ip="52"),
]

#: Secondary diagnoses for adults (neutral codes only).
COMORBID = ["I10.X00", "E11.900", "E78.500", "K21.900", "M54.500", "G47.000", "I25.100",
            "K29.700", "E03.900", "N39.000"]

# --------------------------------------------------------------------------- ICD-10 titles
ICD10: dict[str, str] = {
    "A00": "霍乱", "A01": "伤寒和副伤寒", "A02": "其他沙门菌感染", "A03": "志贺菌病",
    "A04": "其他细菌性肠道感染", "A05": "细菌性食物中毒", "A06": "阿米巴病",
    "A08": "病毒性和其他特指的肠道感染", "A09": "胃肠炎和结肠炎", "A15": "呼吸道结核",
    "A16": "呼吸道结核，未经细菌学或组织学证实", "A37": "百日咳", "A38": "猩红热",
    "A39": "脑膜炎球菌感染", "A40": "链球菌性败血症", "A41": "其他败血症", "A46": "丹毒",
    "A49": "未特指部位的细菌性感染", "A50": "先天性梅毒", "A51": "早期梅毒",
    "B00": "疱疹病毒感染", "B01": "水痘", "B02": "带状疱疹", "B05": "麻疹", "B06": "风疹",
    "B08": "其他以皮肤和黏膜损害为特征的病毒感染", "B15": "急性甲型肝炎",
    "B16": "急性乙型肝炎", "B17": "其他急性病毒性肝炎", "B18": "慢性病毒性肝炎",
    "B19": "未特指的病毒性肝炎", "B20": "人类免疫缺陷病毒病", "B34": "未特指部位的病毒感染",
    "B35": "皮肤癣菌病", "B37": "念珠菌病", "B86": "疥疮",
    "C15": "食管恶性肿瘤", "C16": "胃恶性肿瘤", "C18": "结肠恶性肿瘤",
    "C20": "直肠恶性肿瘤", "C22": "肝和肝内胆管恶性肿瘤", "C25": "胰恶性肿瘤",
    "C32": "喉恶性肿瘤", "C34": "支气管和肺恶性肿瘤", "C50": "乳房恶性肿瘤",
    "C53": "子宫颈恶性肿瘤", "C54": "子宫体恶性肿瘤", "C56": "卵巢恶性肿瘤",
    "C61": "前列腺恶性肿瘤", "C62": "睾丸恶性肿瘤", "C64": "肾恶性肿瘤",
    "C67": "膀胱恶性肿瘤", "C71": "脑恶性肿瘤", "C73": "甲状腺恶性肿瘤",
    "C78": "呼吸和消化器官继发性恶性肿瘤", "C79": "其他部位继发性恶性肿瘤",
    "C85": "非霍奇金淋巴瘤", "C91": "淋巴样白血病", "C92": "髓样白血病",
    "D05": "乳房原位癌", "D12": "结肠、直肠、肛门和肛管良性肿瘤", "D17": "良性脂肪瘤样肿瘤",
    "D24": "乳房良性肿瘤", "D25": "子宫平滑肌瘤", "D27": "卵巢良性肿瘤", "D34": "甲状腺良性肿瘤",
    "D50": "缺铁性贫血", "D64": "其他贫血", "D69": "紫癜和其他出血性情况",
    "E03": "其他甲状腺功能减退症", "E04": "其他非毒性甲状腺肿", "E05": "甲状腺毒症",
    "E06": "甲状腺炎", "E10": "1型糖尿病", "E11": "2型糖尿病", "E13": "其他特指的糖尿病",
    "E14": "未特指的糖尿病", "E16": "其他胰腺内分泌疾患", "E66": "肥胖症",
    "E78": "脂蛋白代谢紊乱和其他脂血症", "E79": "嘌呤和嘧啶代谢紊乱", "E83": "矿物质代谢紊乱",
    "E86": "血容量不足", "E87": "其他体液、电解质和酸碱平衡紊乱", "E88": "其他代谢紊乱",
    "F03": "未特指的痴呆", "F20": "精神分裂症", "F32": "抑郁发作", "F41": "其他焦虑障碍",
    "F45": "躯体形式障碍", "F51": "非器质性睡眠障碍",
    "G20": "帕金森病", "G30": "阿尔茨海默病", "G40": "癫痫", "G43": "偏头痛",
    "G45": "短暂性大脑缺血性发作", "G47": "睡眠障碍", "G51": "面神经疾患",
    "G62": "其他多神经病",
    "H10": "结膜炎", "H16": "角膜炎", "H25": "老年性白内障", "H26": "其他白内障",
    "H40": "青光眼", "H52": "屈光和调节疾患", "H60": "外耳炎", "H65": "非化脓性中耳炎",
    "H66": "化脓性和未特指的中耳炎", "H81": "前庭功能疾患", "H91": "其他听觉丧失",
    "I10": "特发性（原发性）高血压", "I11": "高血压性心脏病", "I20": "心绞痛",
    "I21": "急性心肌梗死", "I24": "其他急性缺血性心脏病", "I25": "慢性缺血性心脏病",
    "I26": "肺栓塞", "I27": "其他肺源性心脏病", "I42": "心肌病", "I44": "房室传导阻滞和左束支传导阻滞",
    "I47": "阵发性心动过速", "I48": "心房纤颤和扑动", "I49": "其他心律失常", "I50": "心力衰竭",
    "I60": "蛛网膜下出血", "I61": "脑内出血", "I62": "其他非创伤性颅内出血", "I63": "脑梗死",
    "I67": "其他脑血管病", "I69": "脑血管病后遗症", "I70": "动脉粥样硬化",
    "I80": "静脉炎和血栓性静脉炎", "I83": "下肢静脉曲张", "I84": "痔", "I95": "低血压",
    "J00": "急性鼻咽炎", "J01": "急性鼻窦炎", "J02": "急性咽炎", "J03": "急性扁桃体炎",
    "J04": "急性喉炎和气管炎", "J06": "多发性和未特指部位的急性上呼吸道感染", "J10": "流行性感冒",
    "J11": "流行性感冒，病毒未标明", "J12": "病毒性肺炎", "J15": "细菌性肺炎",
    "J18": "肺炎，病原体未特指", "J20": "急性支气管炎", "J21": "急性细支气管炎",
    "J30": "血管舒缩性和变应性鼻炎", "J31": "慢性鼻炎、鼻咽炎和咽炎", "J32": "慢性鼻窦炎",
    "J35": "扁桃体和腺样体慢性疾病", "J40": "支气管炎", "J42": "未特指的慢性支气管炎",
    "J43": "肺气肿", "J44": "其他慢性阻塞性肺病", "J45": "哮喘", "J47": "支气管扩张",
    "J84": "其他间质性肺病", "J90": "胸腔积液", "J96": "呼吸衰竭",
    "K02": "龋病", "K04": "牙髓和根尖周组织疾病", "K05": "龈炎和牙周疾病", "K12": "口炎和有关损害",
    "K20": "食管炎", "K21": "胃-食管反流性疾病", "K25": "胃溃疡", "K26": "十二指肠溃疡",
    "K27": "未特指部位的消化性溃疡", "K28": "胃空肠溃疡", "K29": "胃炎和十二指肠炎",
    "K30": "功能性消化不良", "K35": "急性阑尾炎", "K40": "腹股沟疝", "K42": "脐疝",
    "K50": "克罗恩病", "K51": "溃疡性结肠炎", "K56": "麻痹性肠梗阻和肠梗阻", "K57": "肠憩室性疾病",
    "K58": "肠易激综合征", "K59": "其他功能性肠疾患", "K63": "肠的其他疾病", "K70": "酒精性肝病",
    "K72": "肝衰竭", "K73": "慢性肝炎", "K74": "肝纤维化和肝硬化", "K75": "其他炎性肝病",
    "K76": "其他肝病", "K77": "分类于他处的疾病引起的肝疾患", "K80": "胆石症", "K81": "胆囊炎",
    "K85": "急性胰腺炎", "K86": "其他胰腺疾病", "K92": "消化系统其他疾病",
    "L02": "皮肤脓肿、疖和痈", "L03": "蜂窝织炎", "L20": "特应性皮炎", "L22": "尿布皮炎",
    "L23": "变应性接触性皮炎", "L30": "其他皮炎", "L40": "银屑病", "L50": "荨麻疹",
    "L70": "痤疮",
    "M05": "血清反应阳性的类风湿性关节炎", "M06": "其他类风湿性关节炎", "M10": "痛风",
    "M15": "多关节病", "M16": "髋关节病", "M17": "膝关节病", "M19": "其他关节病",
    "M47": "脊椎关节强硬", "M48": "其他脊椎病", "M50": "颈椎间盘疾患", "M51": "其他椎间盘疾患",
    "M54": "背痛", "M75": "肩损害", "M79": "其他软组织疾患", "M81": "骨质疏松不伴有病理性骨折",
    "M87": "骨坏死",
    "N02": "复发性和持续性血尿", "N03": "慢性肾炎综合征", "N04": "肾病综合征",
    "N10": "急性肾小管-间质肾炎", "N17": "急性肾衰竭", "N18": "慢性肾脏病", "N20": "肾和输尿管结石",
    "N30": "膀胱炎", "N39": "泌尿系统其他疾患", "N40": "前列腺增生", "N41": "前列腺炎性疾病",
    "N43": "睾丸鞘膜积液和精子囊肿", "N45": "睾丸炎和附睾炎", "N60": "良性乳腺发育不良",
    "N61": "乳房炎性疾患", "N70": "输卵管炎和卵巢炎", "N71": "子宫炎性疾病", "N72": "子宫颈炎性疾病",
    "N73": "其他女性盆腔炎性疾病", "N76": "阴道和外阴的其他炎症", "N80": "子宫内膜异位症",
    "N83": "卵巢、输卵管和阔韧带的非炎性疾患", "N84": "女性生殖道息肉", "N92": "月经过多、频繁和不规则",
    "N93": "子宫和阴道其他异常出血", "N94": "与女性生殖器官和月经周期有关的疼痛和其他情况",
    "N95": "绝经期和其他绝经周围期疾患", "N97": "女性不孕症",
    "O00": "异位妊娠", "O02": "受孕的其他异常产物", "O03": "自然流产", "O04": "医疗性流产",
    "O13": "妊娠期高血压", "O14": "先兆子痫", "O20": "妊娠早期出血", "O21": "妊娠剧吐",
    "O24": "妊娠期糖尿病", "O26": "为主要与妊娠有关的其他情况给予的孕产妇医疗",
    "O36": "为其他已知或可疑胎儿问题给予的孕产妇医疗", "O42": "胎膜早破", "O47": "假临产",
    "O60": "早产", "O62": "产力异常", "O63": "滞产", "O68": "产程和分娩并发胎儿应激",
    "O70": "分娩时会阴裂伤", "O72": "产后出血", "O80": "单胎顺产", "O82": "经剖宫产术的单胎分娩",
    "O99": "可归类于他处的其他孕产妇疾病",
    "P05": "胎儿生长缓慢和胎儿营养不良", "P07": "与孕期短和低出生体重有关的疾患",
    "P22": "新生儿呼吸窘迫", "P23": "先天性肺炎", "P36": "新生儿细菌性脓毒症", "P55": "胎儿和新生儿溶血性疾病",
    "P59": "其他和未特指原因所致的新生儿黄疸", "P70": "特异于胎儿和新生儿的暂时性碳水化合物代谢疾患",
    "P92": "新生儿喂养问题",
    "Q21": "心间隔先天性畸形", "Q35": "腭裂", "Q53": "未降睾丸", "Q65": "髋先天性变形",
    "R00": "心搏异常", "R04": "呼吸道出血", "R05": "咳嗽", "R06": "呼吸异常",
    "R07": "咽喉痛和胸痛", "R10": "腹部和盆腔痛", "R11": "恶心和呕吐", "R19": "涉及消化系统和腹部的其他症状和体征",
    "R31": "未特指的血尿", "R42": "头晕和眩晕", "R50": "其他原因的发热", "R51": "头痛",
    "R53": "不适和疲劳", "R55": "晕厥和虚脱", "R56": "惊厥，不可归类在他处者", "R57": "休克",
    "R63": "与食物和液体摄入有关的症状和体征", "R73": "血糖升高",
    "S00": "头部浅表损伤", "S01": "头部开放性伤口", "S02": "颅骨和面骨骨折", "S06": "颅内损伤",
    "S22": "肋骨、胸骨和胸部脊柱骨折", "S32": "腰部脊柱和骨盆骨折", "S42": "肩和上臂骨折",
    "S52": "前臂骨折", "S61": "腕和手开放性伤口", "S62": "腕和手水平的骨折", "S72": "股骨骨折",
    "S82": "小腿（包括踝）骨折", "S83": "膝关节和韧带脱位、扭伤和劳损", "S92": "足骨折，除外踝",
    "S93": "踝和足水平的关节和韧带脱位、扭伤和劳损",
    "T14": "身体未特指部位的损伤", "T20": "头和颈部烧伤和腐蚀伤", "T78": "不良反应，不可归类在他处者",
    "Z00": "无主诉或无报告诊断者的一般检查和调查", "Z01": "个人的其他特殊检查和调查",
    "Z30": "避孕管理", "Z34": "正常妊娠监督", "Z35": "高危妊娠监督", "Z39": "产后医疗和检查",
    "Z47": "其他矫形外科的随诊医疗", "Z48": "其他手术的随诊医疗", "Z51": "其他医疗照顾",
    "Z95": "具有心脏和血管植入物和移植物",
}
