"""Self-contained HTML reports with embedded plots."""

from dataqa.report.html import HtmlReport, figure_to_data_uri, subplots

__all__ = ["HtmlReport", "figure_to_data_uri", "subplots"]
