"""Audit the SMS spam collection for label errors and write a report.

Run: .venv/bin/python examples/audit_labels.py [--data-home ../shared/data] [--out audit_sms]
"""

from __future__ import annotations

import argparse

from dataqa.audit import audit
from dataqa.datasets import load_sms_spam


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-home", default=None)
    ap.add_argument("--out", default="audit_sms")
    args = ap.parse_args()
    frame = load_sms_spam(args.data_home)
    result = audit(frame, label_column="label", text_column="text", id_column="id")
    paths = result.save(args.out)
    print(f"{result.n_flagged} of {len(result.issues)} messages flagged for review; "
          f"{result.model_error_rate}")
    top = result.issues.head(10).merge(frame[["id", "text"]], on="id")
    for row in top.itertuples(index=False):
        print(f"{row.label_issue_score:.3f}  {row.given_label} -> {row.suggested_label}  {row.text[:80]}")
    print("review queue for Label Studio:", len(result.review_queue()), "items")
    print("written:", ", ".join(str(p) for p in paths.values()))


if __name__ == "__main__":
    main()
