"""Cross-validation folds on a real Dask cluster give the same pred_probs as a local run.

A ``LocalCluster`` of two worker processes on loopback; the folds reach it through
joblib's dask backend (``joblib.parallel_config(backend="dask")``), which
:func:`dataqa.audit.pred_probs.out_of_sample_pred_probs` runs its fits through. Fails in
CI (skips locally) when dask or distributed is missing.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from dataqa.audit.pred_probs import cross_val_pred_probs, out_of_sample_pred_probs
from tests.conftest import require

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def client():
    require(importlib.util.find_spec("dask") is not None
            and importlib.util.find_spec("distributed") is not None,
            "dask and distributed are not installed (pip install -e '.[dask]')")
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=120)
        yield c


def numeric_data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 4)) + 1.5 * np.eye(3, 4)[y]
    flip = rng.choice(n, 20, replace=False)
    y[flip] = (y[flip] + 1) % 3
    return X, y


def run_on_dask(client, fn, *args, **kwargs):
    import distributed

    with parallel_config(backend="dask"), distributed.get_task_stream(client) as stream:
        out = fn(*args, **kwargs)
    return out, stream.data


def test_cluster_has_two_worker_processes(client):
    pids = client.run(os.getpid)
    assert len(pids) == 2
    assert os.getpid() not in pids.values() and len(set(pids.values())) == 2


def test_default_model_numeric_identical_on_dask(client):
    X, y = numeric_data()
    local, info_local = cross_val_pred_probs(X, y, cv=3, progress=False)
    (remote, info_remote), tasks = run_on_dask(client, cross_val_pred_probs, X, y, cv=3,
                                               n_jobs=2, progress=False)
    # identical bits, not only close: each fit is deterministic and single-threaded
    np.testing.assert_array_equal(local, remote)
    assert info_local == info_remote
    workers = {t["worker"] for t in tasks}
    assert tasks and workers <= set(client.scheduler_info()["workers"])


def test_explicit_model_and_sparse_text_identical_on_dask(client):
    rng = np.random.default_rng(1)
    words = np.array(["free", "win", "prize", "call", "hello", "meeting", "lunch", "today"])
    y = rng.integers(0, 2, 150)
    texts = [" ".join(rng.choice(words[:4] if c else words[4:], 5)) + " " + rng.choice(words)
             for c in y]
    X = TfidfVectorizer().fit_transform(texts)
    local = out_of_sample_pred_probs(X, y, cv=3, progress=False)
    remote, tasks = run_on_dask(client, out_of_sample_pred_probs, X, y, cv=3, n_jobs=-1,
                                progress=False)
    np.testing.assert_array_equal(local, remote)
    model = LogisticRegression(C=0.5, max_iter=500)
    local = out_of_sample_pred_probs(X, y, model=model, cv=4, progress=False)
    remote, tasks = run_on_dask(client, out_of_sample_pred_probs, X, y, model=model, cv=4,
                                n_jobs=-1, progress=False)
    np.testing.assert_array_equal(local, remote)
    assert len(tasks) >= 1
