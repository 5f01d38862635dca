"""The default rubric of the demo and of new events, from the article (see DESIGN.md)."""

# (title_fa, title_en, weight)
DEFAULT_CRITERIA = (
    ("شناخت منطقه و مسائل", "Knowledge of the region and its problems", 20),
    ("بهره‌گیری از ظرفیت‌های منطقه", "Use of the region's capacities", 20),
    ("نقش‌آفرینی مردم", "The people's role", 20),
    ("امکان‌پذیری و برنامه اقدام", "Feasibility and action plan", 15),
    ("شاخص‌های سنجش‌پذیر", "Measurable indicators", 15),
    ("پایداری و محرومیت‌زدایی", "Sustainability and removal of deprivation", 10),
)

# Descriptors of the levels of a 0-10 scale, in five bands.
DEFAULT_LEVELS = (
    (0, "ندارد یا نامرتبط است", "Missing or off the point"),
    (3, "ضعیف: کلی و بدون شواهد", "Weak: general, without evidence"),
    (5, "متوسط: درست ولی ناقص", "Fair: right but incomplete"),
    (7, "خوب: روشن، با شواهد و برنامه", "Good: clear, with evidence and a plan"),
    (10, "عالی: دقیق، سنجش‌پذیر و قابل اجرا", "Excellent: precise, measurable and ready to carry out"),
)
