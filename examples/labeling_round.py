"""One full labeling round against a local Label Studio server.

weak labels -> audit -> active-learning batch -> push -> annotations posted through the
API as annotators would -> pull -> consensus -> retrain -> report.

Data: the YouTube spam comments (shared data folder). The two annotators are simulated
from the gold labels (one of them flips 20% of her answers), so the round is
reproducible; in real use people label in the Label Studio UI between push and pull.

Usage: python examples/labeling_round.py [--out labeling_round_out]
(starts its own server; or pass --url with LABEL_STUDIO_API_KEY set)
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from dataqa.active import acquire, select_topk
from dataqa.audit import find_label_issues, out_of_sample_pred_probs
from dataqa.datasets import load_youtube_spam
from dataqa.labelstudio import (
    LabelStudioClient,
    LocalServer,
    consensus_labels,
    pull_annotations,
    push_queue,
)
from dataqa.ledger import Ledger
from dataqa.report.html import HtmlReport
from dataqa.weak import apply_lfs, fit_label_model
from labeling_functions.youtube_spam import lfs

CLASSES = ["ham", "spam"]
PROJECT = "youtube spam round 1"


def _model() -> LogisticRegression:
    return LogisticRegression(C=10.0, max_iter=3000)


def _choice(k: int) -> list[dict]:
    return [{"from_name": "label", "to_name": "text", "type": "choices",
             "value": {"choices": [CLASSES[k]]}}]


def run_round(url: str, api_key: str, out: str | Path, *, batch_size: int = 40,
              review_size: int = 15, seed: int = 0) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    # 1. data and weak labels
    train = load_youtube_spam(split="train").reset_index(drop=True)
    test = load_youtube_spam(split="test").reset_index(drop=True)
    train["id"] = train["id"].astype(str)
    gold = train["label"].to_numpy()            # used only to simulate the annotators
    L = apply_lfs(train, lfs)
    weak = fit_label_model(L, cardinality=2, method="majority").predict(L)
    covered = weak != -1
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X = vec.fit_transform(train["text"])
    X_test = vec.transform(test["text"])

    # 2. audit the weak labels: which covered items look mislabeled?
    cov_idx = np.flatnonzero(covered)
    pp = out_of_sample_pred_probs(X[cov_idx], weak[cov_idx], model=_model(), cv=5,
                                  random_state=seed)
    issues = find_label_issues(weak[cov_idx], pp, ids=train["id"].to_numpy()[cov_idx])
    review = issues.head(review_size)

    # 3. active-learning batch: the items the model is least sure about (out-of-sample
    #    probabilities for the weakly labeled items), leaving out the review queue
    base = _model().fit(X[cov_idx], weak[cov_idx])
    probs = np.zeros((len(train), 2))
    probs[cov_idx] = pp
    probs[~covered] = base.predict_proba(X[~covered])
    in_review = train["id"].isin(set(review["id"].astype(str))).to_numpy()
    pool_idx = np.flatnonzero(~in_review)
    scores = acquire("entropy", pred_probs=probs[pool_idx])
    top = select_topk(scores, batch_size, random_state=seed)
    pick = pool_idx[top]

    led = Ledger(out / "ledger.db")
    led.add_items(train["id"], data=[{"text": t} for t in train["text"]], split="train")
    led.add_labels(train["id"][covered], weak[covered], source="weak")
    round_id = led.start_round("entropy", {"batch_size": batch_size, "seed": seed},
                               train["id"].to_numpy()[pick], scores[top])

    # 4. push both queues
    by_id = train.set_index("id")
    review_items = pd.DataFrame({
        "id": review["id"].astype(str), "text": by_id.loc[review["id"].astype(str), "text"].values,
        "label": review["given_label"].astype(int).values,
        "prediction": review["suggested_label"].astype(int).values,
        "score": review["label_issue_score"].values})
    active_items = pd.DataFrame({
        "id": train["id"].to_numpy()[pick], "text": train["text"].to_numpy()[pick],
        "prediction": probs[pick].argmax(axis=1), "score": scores[top]})
    push_review = push_queue(review_items, project=PROJECT, class_names=CLASSES, ledger=led,
                             queue="review", url=url, api_key=api_key)
    push_active = push_queue(active_items, project=PROJECT, class_names=CLASSES, ledger=led,
                             queue="active", url=url, api_key=api_key)
    again = push_queue(active_items, project=PROJECT, class_names=CLASSES, ledger=led,
                       queue="active", url=url, api_key=api_key)
    assert again.n_created == 0

    # 5. two annotators answer through the API (simulated from the gold labels)
    client = LabelStudioClient(url, api_key)
    alice = client.create_user("alice@example.org", first_name="Alice")
    bob = client.create_user("bob@example.org", first_name="Bob")
    tasks = led.task_ids(project=PROJECT)
    pos = {i: k for k, i in enumerate(train["id"])}
    for iid in active_items["id"]:
        y = int(gold[pos[iid]])
        client.create_annotation(tasks[iid], _choice(y), completed_by=alice,
                                 lead_time=float(rng.uniform(3, 15)))
        y_bob = 1 - y if rng.random() < 0.2 else y
        client.create_annotation(tasks[iid], _choice(y_bob), completed_by=bob,
                                 lead_time=float(rng.uniform(2, 10)))
    for k, iid in enumerate(review_items["id"]):
        if k == 0:  # Bob skips one review task
            client.create_annotation(tasks[iid], [], completed_by=bob, was_cancelled=True)
            continue
        client.create_annotation(tasks[iid], _choice(int(gold[pos[iid]])), completed_by=alice,
                                 lead_time=float(rng.uniform(3, 15)))
    client.close()

    # 6. pull (twice: the second adds nothing) and resolve the double-labeled batch
    ann = pull_annotations(project=PROJECT, ledger=led, url=url, api_key=api_key)
    pull_report = ann.attrs["report"]
    pull_again = pull_annotations(project=PROJECT, ledger=led, url=url, api_key=api_key)
    assert pull_again.attrs["report"].n_new == 0
    batch_ann = ann[ann["id"].isin(set(active_items["id"]))]
    p_batch = probs[[pos[i] for i in active_items["id"]]]
    cons = consensus_labels(batch_ann, class_names=CLASSES, ids=list(active_items["id"]),
                            pred_probs=p_batch)
    led.add_labels(cons.items["id"], cons.items["label"], source="reviewed", round=round_id)

    # 7. retrain on weak + human labels, compare on the held-out video
    latest = led.latest_labels()
    y_new = latest["label"].astype(int).to_numpy()
    X_new = X[[pos[i] for i in latest["id"]]]
    after = _model().fit(X_new, y_new)
    y_test = test["label"].to_numpy()
    pred_before, pred_after = base.predict(X_test), after.predict(X_test)
    review_fixed = int(sum(int(gold[pos[i]]) != g for i, g in
                           zip(review_items["id"], review_items["label"], strict=True)))
    summary = {
        "n_train": len(train), "n_weak_labeled": int(covered.sum()),
        "weak_label_accuracy": float((weak[covered] == gold[covered]).mean()),
        "review_pushed": push_review.n_created, "active_pushed": push_active.n_created,
        "annotations": int(pull_report.n_annotations), "skipped": int(pull_report.n_skipped),
        "review_labels_corrected": review_fixed,
        "consensus_needs_review": len(cons.needs_review),
        "consensus_accuracy": float((cons.items["label"].to_numpy() ==
                                     gold[[pos[i] for i in cons.items["id"]]]).mean()),
        "test_accuracy_before": float(accuracy_score(y_test, pred_before)),
        "test_accuracy_after": float(accuracy_score(y_test, pred_after)),
        "test_f1_before": float(f1_score(y_test, pred_before)),
        "test_f1_after": float(f1_score(y_test, pred_after)),
        "ledger": led.summary(),
    }
    led.finish_round(round_id, {k: summary[k] for k in ("test_accuracy_after", "test_f1_after")})
    led.close()

    # 8. report
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(["before", "after"], [summary["test_f1_before"], summary["test_f1_after"]],
           color=["#999", "#2a7"])
    ax.set_ylabel("spam F1 on the held-out video")
    ax.set_ylim(0, 1)
    fig.tight_layout()
    rep = HtmlReport("Labeling round 1: YouTube spam")
    rep.heading("Summary").key_values({k: v for k, v in summary.items() if k != "ledger"})
    rep.heading("Pushes").paragraph(str(push_review)).paragraph(str(push_active))
    rep.heading("Pull").paragraph(str(pull_report))
    rep.heading("Annotators").table(cons.annotators)
    rep.heading("Items that need another look").table(
        cons.items[cons.items["needs_review"]])
    rep.heading("Retrained model").figure(fig, alt="F1 before and after")
    plt.close(fig)
    rep.write(out / "report.html")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="labeling_round_out")
    ap.add_argument("--url", default=None)
    args = ap.parse_args()
    if args.url:
        summary = run_round(args.url, os.environ["LABEL_STUDIO_API_KEY"], args.out)
    else:
        with LocalServer() as server:
            summary = run_round(server.url, server.api_key, args.out)
    print(json.dumps(summary, indent=2))
    print(f"report: {Path(args.out) / 'report.html'}")


if __name__ == "__main__":
    main()
