"""gradient_norms equals a per-item loop (float64, rtol 1e-5) on every code path."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from dataqa.errors import InvalidSettingError, NotFittedError
from dataqa.ood import OODInputError, gradient_norms, gradient_score, sklearn_gradient_norms
from dataqa.ood._closed_forms import _outer_sq

RTOL = 1e-5


def loop_norms(model, X, *, labels=None, temperature=1.0, epsilon=0.0):
    """Reference: one forward and one backward per item, summing squared gradients."""
    model.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    out = []
    for i in range(len(X)):
        x = X[i:i + 1]
        with torch.no_grad():
            y = model(x).argmax(1) if labels is None else torch.as_tensor(labels[i:i + 1])
        if epsilon:
            xg = x.clone().requires_grad_(True)
            loss = F.cross_entropy(model(xg) / temperature, y, reduction="sum")
            (gx,) = torch.autograd.grad(loss, xg)
            x = (x - epsilon * gx.sign()).detach()
        loss = F.cross_entropy(model(x) / temperature, y, reduction="sum")
        gs = torch.autograd.grad(loss, params, allow_unused=True)
        out.append(float(sum((g.double() ** 2).sum() for g in gs if g is not None).sqrt()))
    return np.array(out)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _randomise_bn(model, g):
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g))
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.num_features, generator=g))
                m.bias.copy_(torch.randn(m.num_features, generator=g))


def _check(model, X, **kw):
    bs = kw.pop("batch_size", 5)
    got = gradient_norms(model, X, batch_size=bs, **kw)
    ref = loop_norms(model, X, **kw)
    assert got.shape == (len(X),) and got.dtype == np.float64
    assert (ref > 0).all()
    np.testing.assert_allclose(got, ref, rtol=RTOL)
    return got


def test_mlp_with_inplace_relu():
    g = _gen(0)
    mlp = nn.Sequential(nn.Linear(6, 12), nn.ReLU(inplace=True), nn.Linear(12, 12), nn.Tanh(),
                        nn.Linear(12, 4)).double()
    X = torch.randn(13, 6, generator=g, dtype=torch.float64)
    _check(mlp, X)
    _check(mlp, X, temperature=3.0, labels=np.arange(13) % 4)
    _check(mlp, X, epsilon=0.01, temperature=5.0)


def test_cnn_with_batchnorm_and_conv_variants():
    g = _gen(1)
    cnn = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, padding_mode="reflect"), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 6, 3, stride=2, groups=2, dilation=1, padding="valid"), nn.ReLU(),
        nn.Conv2d(6, 6, 3, padding="same", dilation=2, bias=False), nn.ReLU(),
        nn.Flatten(), nn.Linear(6 * 3 * 3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 5),
    ).double()
    with torch.no_grad():
        _randomise_bn(cnn, g)
    X = torch.randn(11, 2, 8, 8, generator=g, dtype=torch.float64)
    _check(cnn, X, batch_size=4)


class _SeqModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(25, 16, padding_idx=0, scale_grad_by_freq=True)
        self.ln = nn.LayerNorm(16)
        self.mix = nn.Linear(16, 16)  # used twice: calls are concatenated
        self.conv = nn.Conv1d(16, 8, 2, padding=1, padding_mode="replicate")
        self.head = nn.Linear(8, 3)

    def forward(self, tokens):
        h = self.ln(self.emb(tokens))
        h = torch.tanh(self.mix(h))
        h = self.mix(h)
        h = self.conv(h.transpose(1, 2)).mean(2)
        return self.head(h)


def test_embedding_layernorm_sequence_linear_conv1d():
    g = _gen(2)
    model = _SeqModel().double()
    X = torch.randint(0, 25, (12, 3), generator=g)
    X[:3, -1] = 0  # padding tokens
    X[3:6, 1] = X[3:6, 0]  # repeated tokens (scale_grad_by_freq)
    _check(model, X)


class _Scale(nn.Module):
    """A layer with a parameter and no closed form: goes through torch.func."""

    def __init__(self, d):
        super().__init__()
        self.s = nn.Parameter(torch.linspace(0.5, 1.5, d))

    def forward(self, x):
        return x * self.s + torch.sin(x) * self.s ** 2


def test_fallback_unsupported_layers_and_tied_weights():
    g = _gen(3)
    first = nn.Linear(5, 5)
    model = nn.Sequential(first, _Scale(5), nn.GroupNorm(1, 5), nn.ReLU(), nn.Linear(5, 5),
                          nn.Tanh(), nn.Linear(5, 3)).double()
    model[4].weight = model[0].weight  # tied: both modules go to the fallback
    X = torch.randn(9, 5, generator=g, dtype=torch.float64)
    _check(model, X)


def test_fallback_loop_when_vmap_fails():
    class GRUNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(4, 6, batch_first=True)
            self.out = nn.Linear(6, 3)

        def forward(self, x):
            return self.out(self.gru(x)[0][:, -1])

    g = _gen(4)
    model = GRUNet().double()
    X = torch.randn(5, 3, 4, generator=g, dtype=torch.float64)
    with pytest.warns(RuntimeWarning, match="one backward pass per item"):
        _check(model, X)
    # one warning a call, not one a batch (it came once per item with batch_size=1)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _check(model, X, batch_size=1)
    assert [str(w.message)[:22] for w in seen] == ["torch.func.vmap failed"]


def test_frozen_parameters_are_excluded():
    g = _gen(5)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.LayerNorm(6), nn.Linear(6, 3)).double()
    model[0].weight.requires_grad_(False)
    model[2].bias.requires_grad_(False)
    X = torch.randn(7, 4, generator=g, dtype=torch.float64)
    _check(model, X)


class _Reuse(nn.Module):
    """A Linear called twice on (n, in), a bias-free Linear, one run on (2n, in) rows."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4, bias=False)
        self.tok = nn.Linear(2, 4)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        h = torch.tanh(self.a(torch.tanh(self.a(x))))
        t = self.tok(x.reshape(-1, 2)).reshape(len(x), 2, 4).sum(1)
        return self.head(h + t)


def test_linear_reused_bias_free_and_row_reshaped():
    g = _gen(9)
    model = _Reuse().double()
    X = torch.randn(11, 4, generator=g, dtype=torch.float64)
    _check(model, X)
    _check(model, X, batch_size=11)


def test_hooks_removed_after_success_and_error():
    g = _gen(10)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 2)).double()
    X = torch.randn(7, 3, generator=g, dtype=torch.float64)
    first = gradient_norms(model, X, batch_size=3)  # in-place ReLU: tensor-hook path
    assert all(not m._forward_hooks for m in model.modules())
    np.testing.assert_allclose(gradient_norms(model, X, batch_size=3), first, rtol=1e-12)
    bad = nn.Sequential(nn.Linear(3, 2), nn.Flatten(0))
    with pytest.raises(OODInputError, match="logits of shape"):
        gradient_norms(bad, np.zeros((2, 3)))
    assert not bad[0]._forward_hooks
    # hooks are inactive between passes: the model's own calls during ODIN's perturbation
    # and the label check record nothing, so results match the per-item loop
    _check(model, X, labels=np.arange(7) % 2, epsilon=0.01, batch_size=3)


@pytest.mark.parametrize("T,o,i", [(1, 3, 4), (3, 16, 16), (9, 2, 3)])
def test_outer_sq_both_branches(T, o, i):
    g = _gen(6)
    D = torch.randn(4, T, o, generator=g, dtype=torch.float64)
    A = torch.randn(4, T, i, generator=g, dtype=torch.float64)
    ref = (torch.einsum("rto,rti->roi", D, A) ** 2).sum((1, 2))
    torch.testing.assert_close(_outer_sq(D, A), ref)


def test_float32_model_close_and_state_untouched():
    g = _gen(7)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.ReLU(), nn.Linear(8, 3)).train()
    with torch.no_grad():  # seeded weights: no draw from torch's global generator
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    X = torch.randn(10, 4, generator=g)
    got = gradient_norms(model, X.numpy())  # numpy float64 input is cast to float32
    assert model.training and all(p.grad is None for p in model.parameters())
    ref = loop_norms(model.double(), X.double())
    # float32 forward and backward against float64: a few hundred float32 eps (1.2e-7)
    assert got.min() > 1e-2  # norms of order 1, so a relative bound is meaningful
    np.testing.assert_allclose(got, ref, rtol=1e-4)


def test_gradient_score_parts_and_direction():
    g = _gen(8)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2)).double()
    Xin = torch.cat([torch.randn(100, 2, generator=g) - 2, torch.randn(100, 2, generator=g) + 2])
    y = torch.cat([torch.zeros(100), torch.ones(100)]).long()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    Xin = Xin.double()
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(model(Xin), y).backward()
        opt.step()
    X = torch.tensor([[-2.0, -2.0], [0.05, -0.05]], dtype=torch.float64)  # typical vs boundary
    sg = gradient_score(model, X, part="SG")
    G = gradient_score(model, X)
    probs = torch.softmax(model(X), 1).max(1).values.detach().numpy()
    np.testing.assert_allclose(sg, gradient_norms(model, X))
    np.testing.assert_allclose(G, sg / probs, rtol=1e-12)
    assert G[1] > G[0] and sg[1] > sg[0]


def test_torch_errors():
    model = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(OODInputError, match="NaN or infinite values in 1 item"):
        gradient_norms(model, np.array([[0.0, 1.0, np.nan], [0.0, 0.0, 0.0]]))
    for bad in (np.inf, -np.inf):
        with pytest.raises(OODInputError, match=r"NaN or infinite values in 1 item\(s\) \(first: \[1\]\)"):
            gradient_norms(model, np.array([[0.0, 1.0, 2.0], [0.0, bad, 0.0]]))
    with pytest.raises(OODInputError, match=r"labels must have shape \(2,\)"):
        gradient_norms(model, np.zeros((2, 3)), labels=[0])
    with pytest.raises(OODInputError, match="labels must lie in 0..1"):
        gradient_norms(model, np.zeros((2, 3)), labels=[0, 5])
    with pytest.raises(InvalidSettingError, match="part='X' must be 'G' or 'SG'"):
        gradient_score(model, np.zeros((2, 3)), part="X")
    with pytest.raises(OODInputError, match="logits of shape"):
        gradient_norms(nn.Sequential(nn.Linear(3, 2), nn.Flatten(0)), np.zeros((2, 3)))
    frozen = nn.Linear(3, 2).requires_grad_(False)
    with pytest.raises(InvalidSettingError, match="no trainable parameters"):
        gradient_norms(frozen, np.zeros((2, 3)))
    bn = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3, track_running_stats=False), nn.Linear(3, 2))
    with pytest.raises(InvalidSettingError, match="without running statistics"):
        gradient_norms(bn, np.zeros((2, 3)))
    emb = nn.Sequential(nn.Embedding(5, 2), nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(InvalidSettingError, match="X must be floating point"):
        gradient_norms(emb, np.zeros((2, 2), dtype=int), epsilon=0.1)


# ------------------------------------------------------------------ scikit-learn closed form
def _torch_twin(lr: LogisticRegression) -> nn.Module:
    """Same logits as ``lr``: binary -> 2-class logits [0, z] with only w, b trainable."""
    W = torch.tensor(lr.coef_, dtype=torch.float64)
    b = torch.tensor(lr.intercept_, dtype=torch.float64)
    lin = nn.Linear(W.shape[1], W.shape[0], bias=lr.fit_intercept).double()
    with torch.no_grad():
        lin.weight.copy_(W)
        if lr.fit_intercept:
            lin.bias.copy_(b)
    if W.shape[0] > 1:
        return lin

    class Binary(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lin

        def forward(self, x):
            z = self.lin(x)
            return torch.cat([torch.zeros_like(z), z], dim=1)

    return Binary()


@pytest.mark.parametrize("n_classes,intercept", [(2, True), (3, True), (4, False)])
def test_sklearn_closed_form_matches_autograd(n_classes, intercept):
    rng = np.random.default_rng(n_classes)
    X = rng.normal(size=(60, 5))
    y = rng.integers(0, n_classes, 60)
    lr = LogisticRegression(fit_intercept=intercept, max_iter=500).fit(X, y)
    twin = _torch_twin(lr)
    Xt = torch.tensor(X)
    for T in (1.0, 2.5):
        got = sklearn_gradient_norms(lr, X, temperature=T)
        np.testing.assert_allclose(got, loop_norms(twin, Xt, temperature=T), rtol=1e-10)
        np.testing.assert_allclose(gradient_norms(twin, Xt, temperature=T), got, rtol=1e-10)
    labels = rng.integers(0, n_classes, 60)
    np.testing.assert_allclose(sklearn_gradient_norms(lr, X, labels=labels),
                               loop_norms(twin, Xt, labels=labels), rtol=1e-10)
    # labels are class values, as the model's y: with classes 0, 2, 5 the label 2 is
    # position 1 (read as a position it was the class 5)
    y3 = np.array([0, 2, 5])[rng.integers(0, 3, 60)]
    lr3 = LogisticRegression(fit_intercept=intercept, max_iter=500).fit(X, y3)
    np.testing.assert_allclose(sklearn_gradient_norms(lr3, X, labels=y3),
                               loop_norms(_torch_twin(lr3), Xt,
                                          labels=np.searchsorted([0, 2, 5], y3)), rtol=1e-10)
    with pytest.raises(OODInputError, match=r"labels\[3\] = 1 is not one of the model's "
                                            r"classes \(0, 2, 5\): give each item's class"):
        gradient_norms(lr3, X, labels=np.r_[y3[:3], 1, y3[4:]])
    # predictions agree with sklearn's probabilities for the G part
    G = gradient_score(lr, X)
    np.testing.assert_allclose(G, gradient_norms(lr, X) / lr.predict_proba(X).max(1), rtol=1e-10)


def test_sklearn_pipeline_and_sparse():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(50, 4)) * 5 + 1
    y = (X[:, 0] > 1).astype(int) + (X[:, 1] > 1).astype(int)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    direct = sklearn_gradient_norms(pipe[-1], pipe[:-1].transform(X))
    np.testing.assert_allclose(gradient_norms(pipe, X), direct)
    lr = LogisticRegression(max_iter=500).fit(X, y)
    np.testing.assert_allclose(sklearn_gradient_norms(lr, sp.csr_matrix(X)),
                               sklearn_gradient_norms(lr, X), rtol=1e-12)


def test_sklearn_errors():
    from sklearn.ensemble import RandomForestClassifier

    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.arange(20) % 2
    with pytest.raises(InvalidSettingError, match="closed form only for LogisticRegression"):
        gradient_norms(RandomForestClassifier(n_estimators=2).fit(X, y), X)
    with pytest.raises(NotFittedError, match="not fitted"):
        gradient_norms(LogisticRegression(), X)
    lr = LogisticRegression().fit(X, y)
    with pytest.raises(InvalidSettingError, match="epsilon > 0 needs a torch model"):
        gradient_norms(lr, X, epsilon=0.1)
    with pytest.raises(OODInputError, match="X has 2 features; the model expects 3"):
        gradient_norms(lr, X[:, :2])
    with pytest.raises(OODInputError, match="NaN"):
        gradient_norms(lr, np.where(X > 1, np.nan, X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradient_norms(lr, X).shape == (20,)


class _SeqFirst(nn.Module):  # the items on axis 0 of X; the layer sees (T, n, d)
    def __init__(self):
        super().__init__()
        self.fc, self.out = nn.Linear(5, 8), nn.Linear(8, 3)

    def forward(self, x):
        return self.out(torch.tanh(self.fc(x.transpose(0, 1))).mean(0))


class _OnAParameter(nn.Module):  # a Linear applied to a learned (1, d) query
    def __init__(self):
        super().__init__()
        self.q = nn.Parameter(torch.randn(1, 5))
        self.proj, self.out = nn.Linear(5, 5), nn.Linear(5, 3)

    def forward(self, x):
        return self.out(x * self.proj(self.q))


class _TokensFlat(nn.Module):  # (n, T, d) -> (n * T, d): each item's rows in turn
    def __init__(self):
        super().__init__()
        self.fc, self.out = nn.Linear(5, 4), nn.Linear(4, 3)

    def forward(self, x):
        n, t, d = x.shape
        return self.out(torch.tanh(self.fc(x.reshape(n * t, d))).reshape(n, t, 4).mean(1))


def test_layers_that_do_not_see_one_item_per_row_are_scored_item_by_item():
    # the closed forms mixed the items of a sequence-first layer (up to 6% off, scores
    # depending on the batch) and crashed on a layer applied to a parameter
    g = _gen(12)
    torch.manual_seed(0)
    seq, T_is_n = _SeqFirst().double(), _SeqFirst().double()
    for model, X, layer in (
            (seq, torch.randn(6, 4, 5, generator=g, dtype=torch.float64), "fc"),
            (T_is_n, torch.randn(6, 6, 5, generator=g, dtype=torch.float64), "fc"),
            (_OnAParameter().double(), torch.randn(6, 5, generator=g, dtype=torch.float64),
             "proj")):
        with pytest.warns(RuntimeWarning, match=rf"^{layer} \(Linear\) .*: the gradient norms "
                                                rf"of its weights are computed item by item "
                                                rf"instead \(exact, slower\)"):
            _check(model, X, batch_size=6)
    emb = nn.Sequential()
    emb.e, emb.out = nn.Embedding(20, 6), nn.Linear(6, 3)
    emb.forward = lambda x: emb.out(emb.e(x.t()).mean(0))
    with pytest.warns(RuntimeWarning, match=r"e \(Embedding\) gives an item another gradient"):
        _check(emb.double(), torch.randint(0, 20, (6, 7), generator=g), batch_size=6)
    # an item-major layout keeps the closed form, without a word
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check(_TokensFlat().double(), torch.randn(7, 3, 5, generator=g, dtype=torch.float64),
               batch_size=4)


class _ParamRows(nn.Module):  # a Linear on a (4, d) parameter, with batches of 4 items
    def __init__(self):
        super().__init__()
        self.P = nn.Parameter(torch.randn(4, 5))
        self.proj, self.out = nn.Linear(5, 5), nn.Linear(4, 3)

    def forward(self, x):
        return self.out(torch.softmax(x @ self.proj(self.P).T, 1))


class _LayerNormSeqFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.ln, self.out = nn.Linear(5, 6), nn.LayerNorm(6), nn.Linear(6, 3)

    def forward(self, x):
        return self.out(self.ln(self.fc(x).transpose(0, 1)).mean(0))


class _ItemMajorNorms(nn.Module):  # (n * T, ...) into LayerNorm, BatchNorm1d or Conv1d
    def __init__(self, kind):
        super().__init__()
        self.kind, self.fc, self.out = kind, nn.Linear(5, 6), nn.Linear(6, 3)
        self.ln, self.bn, self.cv = nn.LayerNorm(6), nn.BatchNorm1d(6), nn.Conv1d(6, 6, 1)

    def forward(self, x):
        n, t, d = x.shape
        h = self.fc(x.reshape(n * t, d))
        h = (self.ln(h) if self.kind == "ln" else self.bn(h) if self.kind == "bn"
             else self.cv(h.unsqueeze(2)).squeeze(2))
        return self.out(h.reshape(n, t, 6).mean(1))


def test_parameter_rows_item_major_norms_and_batches_of_one_are_exact():
    g = _gen(13)
    torch.manual_seed(1)
    with pytest.warns(RuntimeWarning, match=r"proj \(Linear\) gives an item another gradient"):
        _check(_ParamRows().double(), torch.randn(9, 5, generator=g, dtype=torch.float64),
               batch_size=4)
    seq = _LayerNormSeqFirst().double()
    X = torch.randn(5, 4, 5, generator=g, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check(seq, X, batch_size=1)  # (T, 1, d): every row is the one item's
    with pytest.warns(RuntimeWarning, match=r"ln \(LayerNorm\)"):
        _check(seq, X, batch_size=5)
    for kind in ("ln", "bn", "cv"):
        model = _ItemMajorNorms(kind).double()
        _randomise_bn(model, g)
        X = torch.randn(7, 3, 5, generator=g, dtype=torch.float64)
        if kind == "cv":
            with pytest.warns(RuntimeWarning, match=r"cv \(Conv1d\) does not see the items"):
                _check(model, X, batch_size=4)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                _check(model, X, batch_size=4)


def test_a_model_that_cannot_take_one_item_is_scored_unchecked():
    class Squeezer(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(5, 3)

        def forward(self, x):
            return self.fc(x).mean(1).squeeze()

    X = torch.randn(8, 4, 5, generator=_gen(14), dtype=torch.float64)
    norms = gradient_norms(Squeezer().double(), X, batch_size=8)
    assert norms.shape == (8,) and np.isfinite(norms).all()


def test_the_first_item_check_runs_once_per_model_and_item_shape(monkeypatch):
    import dataqa.ood.gradients as gradients

    calls = []
    real = gradients._mixing
    monkeypatch.setattr(gradients, "_mixing", lambda *a: calls.append(1) or real(*a))
    mlp = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)).double()
    X = torch.randn(20, 5, generator=_gen(15), dtype=torch.float64)
    first = gradient_norms(mlp, X, batch_size=8)
    np.testing.assert_array_equal(gradient_norms(mlp, X, batch_size=8), first)
    assert len(calls) == 1
    gradient_norms(mlp, X.float().double()[:, :5], batch_size=8)  # same shape: no check
    assert len(calls) == 1
    # a model that failed it is checked (and warned about) at every call
    model = _ParamRows().double()
    X = torch.randn(9, 5, generator=_gen(16), dtype=torch.float64)
    for _ in range(2):
        with pytest.warns(RuntimeWarning, match="gives an item another gradient"):
            gradient_norms(model, X, batch_size=4)
    assert len(calls) == 5  # (each call: the check, and again once that layer is moved)
