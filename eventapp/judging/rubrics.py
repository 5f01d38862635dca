"""The default rubric of the demo and of new events, from the article (see DESIGN.md), and what makes a rubric's
weights look deliberate."""
import math
from collections.abc import Sequence

# Weights are usually shares of 100 (points) or of 1 (fractions); a total uses each weight's share of the sum, so
# any positive sum works, but another sum is most often a mistyped weight.
SENSIBLE_WEIGHT_SUMS = (1.0, 100.0)

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


def weights_look_deliberate(weights: Sequence[float]) -> bool:
    """Whether the weights are all positive and sum to 1 or 100 (to within rounding of the last decimal)."""
    if not weights or any(not math.isfinite(weight) or weight <= 0 for weight in weights):
        return False
    total = math.fsum(weights)
    return any(math.isclose(total, sensible, rel_tol=1e-6) for sensible in SENSIBLE_WEIGHT_SUMS)
