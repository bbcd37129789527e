"""Self-contained HTML reports with embedded plots."""

from dataqa.report.html import HtmlReport, figure_to_data_uri, shorten, subplots

__all__ = ["HtmlReport", "figure_to_data_uri", "shorten", "subplots"]
