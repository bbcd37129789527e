"""Out-of-distribution scores for a torch MLP and a scikit-learn model on digits.

Trains on digits 0-4 and asks every OOD method which of the unseen digits 5-9 look
unfamiliar. Run: ``python examples/ood_scores.py`` (10-20 seconds on a laptop CPU).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from dataqa.ood import gradient_norms, ood_method_names, ood_metrics, score_ood


def main() -> None:
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rng = np.random.default_rng(0)
    idx = rng.permutation(np.flatnonzero(y < 5))
    train, test = idx[:600], idx[600:]
    ood = np.flatnonzero(y >= 5)

    g = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    Xt, yt = torch.tensor(X[train], dtype=torch.float32), torch.tensor(y[train])
    for _ in range(40):
        for b in torch.randperm(len(Xt), generator=g).split(64):
            opt.zero_grad()
            F.cross_entropy(model(Xt[b]), yt[b]).backward()
            opt.step()
    model.eval()
    body = model[:-1]  # penultimate features for Mahalanobis and kNN

    def feats(rows):
        with torch.no_grad():
            return body(torch.tensor(X[rows], dtype=torch.float32)).numpy()

    print(f"{'method':<12} AUROC  FPR@95   (in: digits 0-4 test, out: digits 5-9)")
    for method in ood_method_names():
        kw = {}
        if method in ("mahalanobis", "knn"):
            kw = {"fit_features": feats(train), "fit_labels": y[train]}
            s_in = score_ood(method, features=feats(test), **kw)
            s_out = score_ood(method, features=feats(ood), **kw)
        else:
            s_in = score_ood(method, model=model, X=X[test])
            s_out = score_ood(method, model=model, X=X[ood])
        m = ood_metrics(s_in, s_out)
        print(f"{method:<12} {m['auroc']:.3f}  {m['fpr_at_95_tpr']:.3f}")

    # exact per-item gradient norms, one forward + one backward pass per batch
    norms = gradient_norms(model, X[ood[:5]])
    print("gradient norms of five unseen digits:", np.round(norms, 3))

    # scikit-learn: same entry point, closed-form gradient for logistic regression
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X[train], y[train])
    for method in ("msp", "energy", "gradient"):
        m = ood_metrics(score_ood(method, model=lr, X=X[test]), score_ood(method, model=lr, X=X[ood]))
        print(f"logistic regression {method:<9} AUROC {m['auroc']:.3f}")


if __name__ == "__main__":
    main()
