"""Quality of dataqa's OOD scores on digits, with pytorch-ood as the reference.

In-distribution: scikit-learn's 8x8 digits of classes 0-4 (70% train, 30% test, seeded).
Out-of-distribution sets:

- ``near``: digits of classes 5-9;
- ``noise``: uniform random pixels;
- ``blurred``: the in-distribution test digits blurred (Gaussian, sigma 1.5);
- ``inverted``: the in-distribution test digits with pixel values inverted.

Models: a torch MLP (64-128-128-5) and a logistic regression (StandardScaler + LR). Every
dataqa method is scored; the MLP's features for Mahalanobis/kNN are its penultimate layer,
the logistic regression's are its standardised inputs. pytorch-ood's MaxSoftmax,
EnergyBased, ODIN, Mahalanobis and KNN run on the same MLP and features as the reference
(install it with ``.venv/bin/pip install --no-deps pytorch-ood``; its detectors are imported
without its dataset modules, so torchvision is not needed). AUROC (higher is better) and
FPR at 95% TPR (lower is better) per set.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

from dataqa.ood import KNNDetector, MahalanobisDetector, ood_metrics, score_ood  # noqa: E402

SETS = ("near", "noise", "blurred", "inverted")


def make_data(seed: int = 0) -> dict[str, np.ndarray]:
    from scipy.ndimage import gaussian_filter
    from sklearn.datasets import load_digits

    d = load_digits()
    X, y = d.data / 16.0, d.target
    rng = np.random.default_rng(seed)
    idx = rng.permutation(np.flatnonzero(y < 5))
    cut = int(0.7 * len(idx))
    tr, te = idx[:cut], idx[cut:]
    test = X[te]
    blurred = np.stack([gaussian_filter(im.reshape(8, 8), 1.5).ravel() for im in test])
    blurred = blurred / blurred.max(axis=1, keepdims=True)
    return {
        "X_train": X[tr], "y_train": y[tr], "X_test": test, "y_test": y[te],
        "near": X[y >= 5],
        "noise": rng.uniform(0, 1, size=(len(te), 64)),
        "blurred": blurred,
        "inverted": 1.0 - test,
    }


def train_mlp(X: np.ndarray, y: np.ndarray, seed: int = 0, epochs: int = 60) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                          nn.Linear(128, 5))
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2 / m.in_features) ** 0.5)
                m.bias.zero_()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=g)
        for s in range(0, len(Xt), 64):
            b = perm[s:s + 64]
            opt.zero_grad()
            F.cross_entropy(model(Xt[b]), yt[b]).backward()
            opt.step()
    return model.eval()


def load_pytorch_ood():
    """pytorch-ood's detector module, without running its package __init__ (which imports
    the torchvision-based datasets). Returns None with a reason when it is not installed."""
    spec = importlib.util.find_spec("pytorch_ood")
    if spec is None:
        return None, "pytorch-ood is not installed (.venv/bin/pip install --no-deps pytorch-ood)"
    if "pytorch_ood" not in sys.modules:
        pkg = types.ModuleType("pytorch_ood")
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules["pytorch_ood"] = pkg
    try:
        import pytorch_ood.detector as det
    except Exception as exc:  # pragma: no cover - depends on the installed version
        return None, f"pytorch-ood detectors failed to import: {exc!r}"
    return det, None


def dataqa_scores(model, data, *, kind: str, feats) -> dict[str, dict[str, np.ndarray]]:
    """method -> set name ('in' and the OOD sets) -> scores."""
    sets = {"in": data["X_test"], **{s: data[s] for s in SETS}}
    fit_f = feats(data["X_train"])
    maha = MahalanobisDetector().fit(fit_f, data["y_train"])
    knn = KNNDetector(k=50).fit(fit_f)
    out: dict[str, dict[str, np.ndarray]] = {}
    methods = ["msp", "max_logit", "energy", "entropy", "mahalanobis", "knn", "gradient",
               "gradient_SG"]
    if kind == "torch":
        methods.insert(4, "odin")
    for m in methods:
        out[m] = {}
        for name, X in sets.items():
            if m == "mahalanobis":
                s = score_ood(m, features=feats(X), detector=maha)
            elif m == "knn":
                s = score_ood(m, features=feats(X), detector=knn)
            elif m == "gradient_SG":
                s = score_ood("gradient", model=model, X=X, part="SG")
            else:
                s = score_ood(m, model=model, X=X)
            out[m][name] = s
    return out


def reference_scores(det, model, data, feats) -> dict[str, dict[str, np.ndarray]]:
    sets = {"in": data["X_test"], **{s: data[s] for s in SETS}}
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    fit_f = torch.tensor(feats(data["X_train"]), dtype=torch.float32)
    ytr = torch.tensor(data["y_train"])
    maha = det.Mahalanobis(None).fit_features(fit_f, ytr)
    knn = det.KNN(None, k=50).fit_features(fit_f, ytr)
    detectors = {
        "msp": lambda X: det.MaxSoftmax(model).predict(t(X)),
        "energy": lambda X: det.EnergyBased(model).predict(t(X)),
        "odin": lambda X: det.ODIN(model, eps=0.0014, temperature=1000.0).predict(t(X)),
        "mahalanobis": lambda X: maha.predict_features(t(feats(X))),
        "knn": lambda X: knn.predict_features(t(feats(X))),
    }
    return {m: {name: fn(X).detach().double().numpy() for name, X in sets.items()}
            for m, fn in detectors.items()}


def rows_from(scores, model_name: str, impl: str) -> list[dict]:
    rows = []
    for m, by_set in scores.items():
        row = {"model": model_name, "impl": impl, "method": m}
        for s in SETS:
            r = ood_metrics(by_set["in"], by_set[s])
            row[f"auroc_{s}"] = r["auroc"]
            row[f"fpr95_{s}"] = r["fpr_at_95_tpr"]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> dict:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    torch.set_num_threads(min(torch.get_num_threads(), 2))
    t0 = time.perf_counter()
    data = make_data()
    mlp = train_mlp(data["X_train"], data["y_train"], epochs=20 if args.quick else 60)
    with torch.no_grad():
        acc = float((mlp(torch.tensor(data["X_test"], dtype=torch.float32)).argmax(1).numpy()
                     == data["y_test"]).mean())
    body = mlp[:-1]

    def mlp_feats(X):
        with torch.no_grad():
            return body(torch.tensor(X, dtype=torch.float32)).double().numpy()

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        data["X_train"], data["y_train"])
    lr_acc = float(lr.score(data["X_test"], data["y_test"]))

    rows = rows_from(dataqa_scores(mlp, data, kind="torch", feats=mlp_feats), "mlp", "dataqa")
    rows += rows_from(dataqa_scores(lr, data, kind="sklearn", feats=lr[0].transform), "logreg",
                      "dataqa")
    det, why = load_pytorch_ood()
    agreement = {}
    if det is not None:
        ref = reference_scores(det, mlp, data, mlp_feats)
        rows += rows_from(ref, "mlp", "pytorch-ood")
        ours = {r["method"]: r for r in rows if r["model"] == "mlp" and r["impl"] == "dataqa"}
        for r in rows:
            if r["impl"] == "pytorch-ood":
                agreement[r["method"]] = max(abs(r[f"auroc_{s}"] - ours[r["method"]][f"auroc_{s}"])
                                             for s in SETS)
    cols = ["model", "impl", "method"] + [f"auroc_{s}" for s in SETS] + [f"fpr95_{s}" for s in SETS]
    print_table(f"OOD detection on digits (ID = 0-4; MLP test accuracy {acc:.3f}, "
                f"logistic regression {lr_acc:.3f})", rows, cols)
    if why:
        print(f"pytorch-ood reference: not run ({why})")
    else:
        print("largest AUROC difference, dataqa vs pytorch-ood on the same MLP: "
              + ", ".join(f"{k} {v:.4f}" for k, v in agreement.items()))
    payload = {"quick": args.quick, "mlp_test_accuracy": acc, "logreg_test_accuracy": lr_acc,
               "rows": rows, "pytorch_ood": None if why else "0.4.0-compatible detectors",
               "pytorch_ood_missing_reason": why, "auroc_max_abs_diff_vs_pytorch_ood": agreement,
               "seconds": time.perf_counter() - t0}
    path = write_json(args.out, "ood_quality", payload)
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
    sys.exit(finish("ood_quality", {}))
