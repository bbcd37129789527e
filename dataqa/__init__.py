"""dataqa: data quality and labeling in one toolkit.

See ``dataqa.types`` for the data contracts (score direction: higher = more suspicious /
more worth labeling).
"""

from dataqa.data import LabeledTable, load_table, prepare_labeled
from dataqa.errors import DataqaError
from dataqa.stats import ErrorRate, error_rate_interval, required_test_size, subgroup_metrics
from dataqa.types import ABSTAIN

__version__ = "0.1.0"

__all__ = [
    "ABSTAIN",
    "DataqaError",
    "ErrorRate",
    "LabeledTable",
    "error_rate_interval",
    "load_table",
    "prepare_labeled",
    "required_test_size",
    "subgroup_metrics",
    "__version__",
]
