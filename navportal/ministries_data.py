"""Central ministries and ministry-level bodies whose affiliated units may apply (SPEC §4).

(code, Chinese name, English name). Codes are the portal's own short identifiers; they never change once
stored. CNIPA can add a ministry later through the data migration pattern below.
"""

MINISTRIES = [
    ("moe", "教育部", "Ministry of Education"),
    ("most", "科学技术部", "Ministry of Science and Technology"),
    ("miit", "工业和信息化部", "Ministry of Industry and Information Technology"),
    ("mnr", "自然资源部", "Ministry of Natural Resources"),
    ("mee", "生态环境部", "Ministry of Ecology and Environment"),
    ("mot", "交通运输部", "Ministry of Transport"),
    ("mwr", "水利部", "Ministry of Water Resources"),
    ("moa", "农业农村部", "Ministry of Agriculture and Rural Affairs"),
    ("mofcom", "商务部", "Ministry of Commerce"),
    ("nhc", "国家卫生健康委员会", "National Health Commission"),
    ("sasac", "国务院国有资产监督管理委员会", "State-owned Assets Supervision and Administration Commission"),
    ("samr", "国家市场监督管理总局", "State Administration for Market Regulation"),
    ("nfga", "国家林业和草原局", "National Forestry and Grassland Administration"),
    ("cas", "中国科学院", "Chinese Academy of Sciences"),
    ("cae", "中国工程院", "Chinese Academy of Engineering"),
    ("caas", "中国农业科学院", "Chinese Academy of Agricultural Sciences"),
    ("cast", "中国科学技术协会", "China Association for Science and Technology"),
    ("cnipa", "国家知识产权局", "China National Intellectual Property Administration"),
]
