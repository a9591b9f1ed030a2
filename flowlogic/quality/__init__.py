"""Quality gates: can this recording be scored at all? (PRODUCT.md §4)"""

from flowlogic.quality.gates import Check, Feedback, QualityReport, run_quality_checks

__all__ = ["Check", "Feedback", "QualityReport", "run_quality_checks"]
