"""Gradient-norm OOD scores: exact per-item gradient norms in one forward and one backward.

For an item ``x`` with label ``y`` (default: the predicted class) the score is

    g(x) = || grad_theta CE(f(x; theta) / T, y) ||_2

over all trainable parameters ``theta``. With ``S(x)`` the maximum softmax probability,
``g = S * G``; :func:`gradient_score` returns ``G = g / S`` (default) or ``SG = g``.
Higher = more out-of-distribution (a confident in-distribution prediction barely moves
the weights). See Igoe, Kim & Kreis, "How Useful are Gradients for OOD Detection?" (2022)
and Huang, Geng & Li, "On the Importance of Gradients for Detecting Distributional Shifts
in the Wild" (GradNorm, NeurIPS 2021).

How it is fast: the loss is summed over the batch, so the gradient of item ``i`` only
involves item ``i``'s activations. Forward hooks (registered once per call) record each
layer's input ``a`` and output, and one ``autograd.grad`` call returns the gradients ``d``
of the layer outputs only (no weight gradients are computed, so the backward pass does
less work than a training step; when a later operation changes a layer output in place,
tensor hooks catch ``d`` instead and the backward runs to the weights). The per-item squared norm of each layer's gradient
follows without forming per-item gradients:

- ``Linear`` (2-D input): ``||d_i a_i^T||^2 + ||d_i||^2 = ||d_i||^2 (||a_i||^2 + 1)``
  (weight and bias); for sequence input
  ``sum_ts (d_it . d_is)(a_it . a_is)`` (Gram matrices) or, when cheaper, the per-item
  ``(out, in)`` product;
- ``Conv1d``/``Conv2d``: the same, on unfolded input patches (groups, stride, dilation,
  padding modes included);
- ``Embedding``: output gradients summed per (item, token id), honouring ``padding_idx``
  and ``scale_grad_by_freq``;
- ``LayerNorm`` and ``BatchNorm`` (eval mode, running statistics): closed form from the
  normalised input;
- any other module that owns trainable parameters (and parameters shared between
  modules): per-item gradients with ``torch.func.vmap(grad(...))`` over the model, so
  the result stays exact for any model whose forward treats items independently.

The closed forms need a layer's input to hold the items along its first axis (``(n, ...)``,
or item-major ``(n * T, ...)``). A layer that sees them otherwise (a sequence-first
``(T, n, d)`` layout, as PyTorch's ``batch_first=False`` modules take, or a layer applied
to a parameter) goes to the per-item path, with a warning: found when its input cannot be
split into the items, or, on a call's first batch, when the first item's norm differs
from that item's alone (one extra single-item pass, once per model and item shape;
skipped for a model that cannot take a single item).

The model runs in eval mode (each module's flag is restored afterwards) and its ``.grad``
fields are never touched.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dataqa._validation import as_2d_float, check_int, check_nonneg, check_positive
from dataqa.errors import InvalidSettingError, OODInputError
from dataqa.ood._closed_forms import _MAX_MATERIALISE, _module_sq
from dataqa.ood._torch import (
    as_model_input,
    check_logits_tensor,
    check_model_accepts,
    eval_mode,
    is_torch_model,
)
from dataqa.ood.odin import perturb_inputs

__all__ = [
    "gradient_norms",
    "gradient_score",
    "sklearn_gradient_norms",
    "FAST_LAYER_TYPES",
]

_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
#: Module types whose per-item gradient norms have a closed form (exact type match).
FAST_LAYER_TYPES: tuple[type, ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Embedding,
                                      nn.LayerNorm, *_BN_TYPES)


# ----------------------------------------------------------------------------- planning
class _Plan:
    """Which modules take a closed form and which parameters need torch.func."""

    def __init__(self, model: nn.Module) -> None:
        # each module's own trainable parameters, read from ``_parameters`` directly
        # (``parameters(recurse=False)`` walks the module tree again for every module)
        mods: list[tuple[nn.Module, list[nn.Parameter]]] = []
        owners: dict[int, int] = {}
        for m in model.modules():
            own = list({id(p): p for p in m._parameters.values()
                        if p is not None and p.requires_grad}.values())
            if own:
                mods.append((m, own))
                for p in own:
                    owners[id(p)] = owners.get(id(p), 0) + 1
        self.fast: list[nn.Module] = []
        self.fast_params: list[nn.Parameter] = []
        self.demoted = False
        slow: set[int] = set()
        for m, own in mods:
            if type(m) in _BN_TYPES and (m.running_mean is None or m.running_var is None):
                raise InvalidSettingError(
                    f"{type(m).__name__} without running statistics normalises with batch "
                    "statistics even in eval mode, so items in a batch are not independent "
                    "and per-item gradients are not defined; use track_running_stats=True."
                )
            if type(m) in FAST_LAYER_TYPES and all(owners[id(p)] == 1 for p in own):
                self.fast.append(m)
                self.fast_params.extend(own)
            else:
                slow.update(id(p) for p in own)
        self.slow_names = ([n for n, p in model.named_parameters() if id(p) in slow]
                           if slow else [])
        if not self.fast and not self.slow_names:
            raise InvalidSettingError("the model has no trainable parameters; nothing to differentiate.")

    def demote(self, model: nn.Module, mods: list[nn.Module]) -> None:
        """Move ``mods`` from the closed forms to the item-by-item path."""
        self.demoted = True
        gone = {id(p) for m in mods for p in m._parameters.values() if p is not None}
        self.fast = [m for m in self.fast if all(m is not d for d in mods)]
        self.fast_params = [p for p in self.fast_params if id(p) not in gone]
        slow = set(self.slow_names)
        self.slow_names = [n for n, p in model.named_parameters()
                           if n in slow or id(p) in gone]


# ------------------------------------------------------------------------ batch passes
class _Recorder:
    """Forward hooks on the closed-form layers, registered once per call.

    While ``active``, each call of a hooked layer appends ``[input, input version, output,
    output version, output gradient]``. Tensor hooks that catch the output gradient are
    added only when ``tensor_hooks`` is set: that is needed only when a later operation
    changes a layer output in place (e.g. ``ReLU(inplace=True)``), since the gradient of
    the changed tensor is no longer the gradient of the layer's output. Otherwise the
    backward pass asks for the outputs' gradients directly.
    """

    def __init__(self, plan: _Plan) -> None:
        self.records: dict[nn.Module, list[list[Any]]] = {m: [] for m in plan.fast}
        self.active = False
        self.tensor_hooks = False
        self._handles: dict[nn.Module, Any] = {}

    def __enter__(self) -> _Recorder:
        self._handles = {m: m.register_forward_hook(self._hook) for m in self.records}
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self._handles.values():
            h.remove()
        self._handles = {}

    def drop(self, mods: list[nn.Module]) -> None:
        """Stop recording ``mods`` (moved to the item-by-item path)."""
        for m in mods:
            self._handles.pop(m).remove()
            del self.records[m]

    def _hook(self, mod: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if not self.active:
            return
        a = inputs[0]
        rec = [a.detach(), a._version, output, output._version, None]
        self.records[mod].append(rec)
        if self.tensor_hooks and output.requires_grad:
            output.register_hook(lambda g, rec=rec: rec.__setitem__(4, g))

    def forward(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        for recs in self.records.values():
            recs.clear()
        self.active = True
        try:
            with torch.enable_grad():
                return check_logits_tensor(model(x), len(x))
        finally:
            self.active = False

    def modified(self) -> bool:
        return any(r[2]._version != r[3] for recs in self.records.values() for r in recs)


def _ce_logit_grad(z: torch.Tensor, y: torch.Tensor, temperature: float) -> torch.Tensor:
    """Gradient of ``sum_i CE(z_i / T, y_i)`` with respect to ``z``: ``(softmax(z / T) - e_y) / T``.

    Formed directly (a few small kernels) instead of backpropagating through the loss.
    """
    if temperature != 1.0:
        z = z / temperature
    e = (z - z.amax(dim=1, keepdim=True)).exp_()
    e /= e.sum(dim=1, keepdim=True)
    e.scatter_add_(1, y[:, None], torch.full((len(y), 1), -1.0, dtype=e.dtype, device=e.device))
    if temperature != 1.0:
        e /= temperature
    return e


class _NotPerItem(Exception):
    """Closed-form layers whose input does not hold the items along its first axis."""

    def __init__(self, mods: list[nn.Module], shape: tuple, n: int) -> None:
        super().__init__()
        self.mods, self.shape, self.n = mods, shape, n


def _fast_pass(model: nn.Module, plan: _Plan, rec: _Recorder, x: torch.Tensor,
               y: torch.Tensor | None, temperature: float,
               ) -> tuple[dict[nn.Module, torch.Tensor], torch.Tensor, torch.Tensor]:
    """One hooked forward + one backward: (squared norms of each fast layer that ran,
    logits, labels). The squared norms come in the model's dtype.

    Raises
    ------
    _NotPerItem
        For layers whose input or output does not have the items along its first axis (a
        sequence-first layout, a layer applied to a parameter): their closed forms would
        mix the items.
    """
    n = len(x)
    logits = rec.forward(model, x)
    if not rec.tensor_hooks and rec.modified():
        rec.tensor_hooks = True  # redo this batch (and hook all later ones) with tensor hooks
        logits = rec.forward(model, x)
    if y is None:
        y = logits.detach().argmax(dim=1)
    recs = [(m, r) for m, rs in rec.records.items() for r in rs]
    odd = [(m, tuple(r[0].shape)) for m, r in recs
           if r[0].numel() % n or r[2].numel() % n or r[0].ndim < 1]
    if odd:  # (an item-major layout, (n * T, d), is each item's rows in turn: kept)
        raise _NotPerItem(list({id(m): m for m, _ in odd}.values()), odd[0][1], n)
    outs = [r[2] for _, r in recs if r[2].requires_grad]
    if not outs:
        return {}, logits.detach(), y
    dz = _ce_logit_grad(logits.detach(), y, temperature)
    if rec.tensor_hooks:
        torch.autograd.grad(logits, plan.fast_params, grad_outputs=dz, allow_unused=True)
    else:
        grads = iter(torch.autograd.grad(logits, outs, grad_outputs=dz, allow_unused=True))
        for _, r in recs:
            if r[2].requires_grad:
                r[4] = next(grads)
    parts = {}
    for m, rs in rec.records.items():
        calls = []
        for a, a_ver, out, _, g in rs:
            if a._version != a_ver:
                raise InvalidSettingError(
                    f"the input of {type(m).__name__} was changed in place after the layer "
                    "ran; make the following operation out-of-place (e.g. inplace=False)."
                )
            calls.append((a, g if g is not None else torch.zeros_like(out)))
        if calls:
            try:
                parts[m] = _module_sq(m, calls, n)
            except RuntimeError:  # (a shape the closed form cannot split into the items)
                raise _NotPerItem([m], tuple(calls[0][0].shape), n) from None
    return parts, logits.detach(), y


def _sum_parts(parts: dict[nn.Module, torch.Tensor]) -> torch.Tensor | None:
    """The fast layers' squared norms summed (in at least float32), or None."""
    sq = None
    for s in parts.values():
        if s.dtype in (torch.float16, torch.bfloat16):
            s = s.float()  # sum the layers in at least float32
        if sq is None:
            sq = s
        elif s.dtype == sq.dtype:
            sq = sq + s
        else:
            sq = sq.double() + s.double()
    return sq


def _mixing(parts: dict[nn.Module, torch.Tensor], alone: dict[nn.Module, torch.Tensor]
            ) -> list[nn.Module]:
    """The layers whose closed form gives the first item of a batch another squared norm
    than that item alone does: they mix the items (a sequence-first layout whose length
    happens to equal the batch size passes the shape check)."""
    bad = []
    for m, s in parts.items():
        a, b = float(s[0]), float(alone[m][0]) if m in alone else 0.0
        tol = 1e-3 if s.dtype in (torch.float16, torch.bfloat16, torch.float32) else 1e-8
        if abs(a - b) > tol * max(abs(a), abs(b)) + 1e-30:
            bad.append(m)
    return bad


def _slow_pass(model: nn.Module, names: list[str], x: torch.Tensor, y: torch.Tensor,
               temperature: float, state: dict) -> torch.Tensor:
    """Squared per-item gradient norms of ``names`` by torch.func (vmap over items), or one
    backward pass per item once vmap has failed (``state["vmap"]``: warned once a call)."""
    from torch.func import functional_call, grad, vmap

    all_params = dict(model.named_parameters())
    params = {k: all_params[k].detach() for k in names}
    size = sum(p.numel() for p in params.values())

    def loss_one(p, xi, yi):
        out = functional_call(model, p, (xi.unsqueeze(0),))
        return F.cross_entropy(out / temperature, yi.unsqueeze(0), reduction="sum")

    per_item = vmap(grad(loss_one), in_dims=(None, 0, 0))
    step = max(1, _MAX_MATERIALISE // max(size, 1))
    out = []
    if state.get("vmap", True):  # (it failed on an earlier batch: straight to the loop)
        try:
            with torch.no_grad():
                for s in range(0, len(x), step):
                    g = per_item(params, x[s:s + step], y[s:s + step])
                    out.append(sum((v.reshape(len(v), -1).double() ** 2).sum(1)
                                   for v in g.values()))
            return torch.cat(out)
        except (RuntimeError, NotImplementedError) as exc:
            # some layers (e.g. fused RNN kernels) cannot be vmapped: one backward per item
            state["vmap"] = False
            warnings.warn(f"torch.func.vmap failed ({str(exc).splitlines()[0][:120]}); "
                          "computing the gradient norms of the remaining layers with one "
                          "backward pass per item.", RuntimeWarning, stacklevel=4)
    plist = [all_params[k] for k in names]
    sq = torch.empty(len(x), dtype=torch.float64, device=x.device)
    with torch.enable_grad():
        for i in range(len(x)):
            out_i = check_logits_tensor(model(x[i:i + 1]), 1)
            loss = F.cross_entropy(out_i / temperature, y[i:i + 1], reduction="sum")
            gs = torch.autograd.grad(loss, plist, allow_unused=True)
            sq[i] = sum(((g.double() ** 2).sum() for g in gs if g is not None),
                        torch.zeros((), dtype=torch.float64, device=x.device))
    return sq


#: Models whose layers passed the first-item check, with the item shapes and dtypes they
#: passed it for: a model's layout does not change between calls, so later calls (the
#: rounds of active learning) skip the extra pass.
_CHECKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fast_pass_checked(model: nn.Module, plan: _Plan, rec: _Recorder, xb: torch.Tensor,
                       yb: torch.Tensor | None, t: float, *, first: bool):
    """:func:`_fast_pass`, with the closed-form layers that do not see one item per row of
    their input moved to the item-by-item path (said once), and on a call's first batch
    the first item checked against that item alone."""
    while True:
        try:
            parts, logits, yb = _fast_pass(model, plan, rec, xb, yb, t)
            bad, why, alone = [], "", None
            key = (tuple(xb.shape[1:]), xb.dtype)
            if first and len(xb) > 1 and parts and key not in _CHECKED.get(model, ()):
                shapes = {m: tuple(rs[0][0].shape) for m, rs in rec.records.items() if rs}
                try:
                    alone, _, _ = _fast_pass(model, plan, rec, xb[:1], yb[:1], t)
                except _NotPerItem:
                    raise
                except Exception:  # noqa: BLE001 - a model that cannot take one item: unchecked
                    alone = None
                bad = _mixing(parts, alone) if alone is not None else []
                why = (f"{'gives' if len(bad) == 1 else 'give'} an item another gradient in "
                       f"a batch than alone (input shape {shapes.get(bad[0]) if bad else ''} "
                       f"for {len(xb)} items: a sequence-first layout?)")
        except _NotPerItem as exc:
            bad = exc.mods
            why = (f"{'does' if len(bad) == 1 else 'do'} not see the items along the first "
                   f"axis of {'its' if len(bad) == 1 else 'their'} input (shape {exc.shape} "
                   f"for {exc.n} item{'s' if exc.n > 1 else ''}: a sequence-first layout, "
                   f"or a layer applied to a parameter)")
        if not bad:
            if alone is not None and not plan.demoted:  # (a layout that passed whole)
                _CHECKED.setdefault(model, set()).add(key)
            return parts, logits, yb
        names = {m: name for name, m in model.named_modules()}
        listed = ", ".join(f"{names.get(m) or type(m).__name__} ({type(m).__name__})"
                           for m in bad[:5])
        its = "its" if len(bad) == 1 else "their"
        warnings.warn(f"{listed} {why}: the gradient norms of {its} weights are computed "
                      f"item by item instead (exact, slower).", RuntimeWarning, stacklevel=4)
        plan.demote(model, bad)
        rec.drop(bad)


def _torch_norms(model: nn.Module, X, *, labels, temperature, epsilon, batch_size,
                 want_msp: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(gradient norms, max tempered softmax probabilities or None), both (n,)."""
    t = check_positive(temperature, "temperature")
    eps = check_nonneg(epsilon, "epsilon")
    bs = check_int(batch_size, "batch_size")
    x = as_model_input(X, model)
    if eps > 0 and not x.is_floating_point():
        raise InvalidSettingError("epsilon > 0 perturbs the input, so X must be floating point.")
    y_all = None
    if labels is not None:
        lab = np.asarray(labels)
        if lab.ndim != 1 or len(lab) != len(x):
            raise OODInputError(f"labels must have shape ({len(x)},); got {lab.shape}.")
        if not np.issubdtype(lab.dtype, np.integer):
            raise OODInputError(f"labels must be integer class indices; got dtype {lab.dtype}.")
        y_all = torch.as_tensor(lab, dtype=torch.int64, device=x.device)
    sqs, msp, slow_state = [], [], {}
    with eval_mode(model):
        plan = _Plan(model)
        k = check_model_accepts(model, x)
        if y_all is not None:
            if int(y_all.min()) < 0 or int(y_all.max()) >= k:
                raise OODInputError(f"labels must lie in 0..{k - 1} (the model has {k} classes).")
        with _Recorder(plan) as rec:
            for s in range(0, len(x), bs):
                xb = x[s:s + bs]
                yb = None if y_all is None else y_all[s:s + bs]
                if eps > 0:
                    if yb is None:
                        with torch.no_grad():
                            yb = check_logits_tensor(model(xb), len(xb)).argmax(dim=1)
                    xb = perturb_inputs(model, xb, temperature=t, epsilon=eps, labels=yb)
                parts, logits, yb = _fast_pass_checked(model, plan, rec, xb, yb, t,
                                                       first=s == 0)
                sq = _sum_parts(parts)
                sq = (torch.zeros(len(xb), dtype=torch.float64, device=x.device) if sq is None
                      else sq.double())
                if plan.slow_names:
                    sq = sq + _slow_pass(model, plan.slow_names, xb, yb, t, slow_state)
                sqs.append(sq)
                if want_msp:
                    msp.append(torch.softmax(logits.double() / t, dim=1).amax(dim=1))
    norms = torch.cat(sqs).clamp_min_(0).sqrt_().cpu().numpy()
    return norms, (torch.cat(msp).cpu().numpy() if want_msp else None)


# ------------------------------------------------------------------------- scikit-learn
def _split_sklearn(model):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    pre, est = None, model
    if isinstance(model, Pipeline):
        pre, est = model[:-1], model.steps[-1][1]
    if not isinstance(est, LogisticRegression):
        raise InvalidSettingError(
            "the gradient score of a scikit-learn model has a closed form only for "
            f"LogisticRegression (alone or as a Pipeline's last step); got {type(est).__name__}. "
            "Use a torch model, or the 'msp'/'energy'/'entropy' scores."
        )
    if not hasattr(est, "coef_"):
        from dataqa.errors import NotFittedError

        raise NotFittedError("the LogisticRegression is not fitted; fit it before scoring.")
    return pre, est


def _sklearn_norms(model, X, *, labels=None, temperature=1.0) -> tuple[np.ndarray, np.ndarray]:
    import scipy.sparse as sp
    from scipy.special import expit, softmax

    t = check_positive(temperature, "temperature")
    pre, est = _split_sklearn(model)
    Xt = pre.transform(X) if pre is not None else X
    if sp.issparse(Xt):
        Xt = sp.csr_matrix(Xt, dtype=np.float64)
        if not np.isfinite(Xt.data).all():
            raise OODInputError("X holds NaN or infinite values; remove or impute them first.")
        x2 = np.asarray(Xt.multiply(Xt).sum(axis=1)).ravel()
    else:
        Xt = as_2d_float(Xt, "X")
        x2 = (Xt ** 2).sum(axis=1)
    if Xt.shape[1] != est.coef_.shape[1]:
        raise OODInputError(f"X has {Xt.shape[1]} features; the model expects {est.coef_.shape[1]}.")
    z = Xt @ est.coef_.T + est.intercept_  # (n, 1) binary or (n, K)
    z = np.asarray(z)
    k = max(2, z.shape[1])
    if labels is not None:
        y = _class_positions(labels, getattr(est, "classes_", np.arange(k)), len(z))
    if z.shape[1] == 1:  # binary: p1 = sigmoid(z / T), gradient (p1 - y) [x, 1] / T
        p1 = expit(z[:, 0] / t)
        if labels is None:
            y = (z[:, 0] > 0).astype(int)
        r2 = (p1 - y) ** 2
        smax = np.maximum(p1, 1 - p1)
    else:  # multinomial: gradient (p - e_y) [x, 1]^T / T
        p = softmax(z / t, axis=1)
        if labels is None:
            y = z.argmax(axis=1)
        e = p.copy()
        e[np.arange(len(e)), y] -= 1.0
        r2 = (e ** 2).sum(axis=1)
        smax = p.max(axis=1)
    feat2 = x2 + (1.0 if est.fit_intercept else 0.0)
    return np.sqrt(r2 * feat2) / t, smax


def _class_positions(labels, classes, n: int) -> np.ndarray:
    """Positions in ``classes`` (a model's ``classes_``) of the class values ``labels``,
    as scikit-learn reads ``y``: with ``classes_ = [0, 2, 5]`` the label 2 is position 1
    (read as a position it was the class 5, with no error)."""
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != n:
        raise OODInputError(f"labels must have shape ({n},); got {y.shape}.")
    classes = np.asarray(classes)
    pos = {c: i for i, c in enumerate(classes.tolist())}
    out = np.empty(n, dtype=np.int64)
    for i, v in enumerate(y.tolist()):
        j = pos.get(v)
        if j is None:
            raise OODInputError(
                f"labels[{i}] = {v!r} is not one of the model's classes "
                f"({', '.join(map(repr, classes.tolist()))}): give each item's class as "
                f"the model was fitted with it (its y), not its position in classes_.")
        out[i] = j
    return out


def sklearn_gradient_norms(model, X, *, labels=None, temperature: float = 1.0) -> np.ndarray:
    """Closed-form per-item gradient norm of a fitted scikit-learn ``LogisticRegression``.

    For logits ``z = W x + b`` and ``p = softmax(z / T)`` (``sigmoid`` for two classes), the
    gradient of ``CE(z / T, y)`` with respect to ``(W, b)`` is ``(p - e_y) [x, 1]^T / T``, so
    ``g(x) = ||p - e_y|| * sqrt(||x||^2 + 1) / T`` (no ``+ 1`` without an intercept; for
    two classes ``||p - e_y||`` is ``|p_1 - y|``). A ``Pipeline`` whose last step is a
    ``LogisticRegression`` applies its earlier steps to ``X`` first. Higher = more OOD.

    Parameters
    ----------
    model : fitted LogisticRegression or Pipeline ending in one
    X : array or sparse matrix (n, d), the model's raw input
    labels : array (n,) of class values (of ``classes_``, as the model's ``y``), default
        the predicted class
    temperature : float > 0

    Returns
    -------
    norms : float64 ndarray (n,)
    """
    return _sklearn_norms(model, X, labels=labels, temperature=temperature)[0]


# ------------------------------------------------------------------------------ public
def gradient_norms(model, X, *, labels=None, temperature: float = 1.0, epsilon: float = 0.0,
                   batch_size: int = 256) -> np.ndarray:
    """Exact per-item L2 norm of the cross-entropy gradient over all trainable parameters.

    ``g(x) = || grad_theta CE(f(x_p) / T, y) ||_2`` with ``y`` = ``labels`` (default: the
    predicted class) and ``x_p`` ODIN's perturbed input
    ``x - epsilon * sign(grad_x CE(f(x) / T, y))`` (``x_p = x`` when ``epsilon == 0``).
    Each batch takes one forward and one backward pass (plus one of each for the
    perturbation, plus a ``torch.func`` pass when the model has layers without a closed
    form; see the module docstring). Higher = more OOD.

    A fitted scikit-learn ``LogisticRegression`` (or a Pipeline ending in one) is scored in
    closed form (:func:`sklearn_gradient_norms`; ``epsilon`` must then be 0).

    Parameters
    ----------
    model : torch.nn.Module returning logits (n, K), or a scikit-learn logistic regression
    X : array or tensor (n, ...), first axis = items (int64 token ids are fine)
    labels : array (n,) or None
        The class of each item, default the predicted one: a torch model's class
        position (0..K-1, as its logits are ordered); a scikit-learn model's class value
        (one of ``classes_``, as its ``y``).
    temperature : float > 0
    epsilon : float >= 0
    batch_size : int >= 1, items per forward/backward pass

    Returns
    -------
    norms : float64 ndarray (n,)
    """
    if is_torch_model(model):
        return _torch_norms(model, X, labels=labels, temperature=temperature, epsilon=epsilon,
                            batch_size=batch_size, want_msp=False)[0]
    if check_nonneg(epsilon, "epsilon") != 0:
        raise InvalidSettingError("epsilon > 0 needs a torch model; scikit-learn models use epsilon=0.")
    return sklearn_gradient_norms(model, X, labels=labels, temperature=temperature)


def gradient_score(model, X, *, part: str = "G", labels=None, temperature: float = 1.0,
                   epsilon: float = 0.0, batch_size: int = 256) -> np.ndarray:
    """Gradient OOD score: ``part="SG"`` is the gradient norm ``g(x)``; ``part="G"`` is
    ``g(x) / S(x)``, with ``S`` the maximum softmax probability ``max_k softmax(f(x_p)/T)_k``.

    Higher = more OOD for both. Arguments as in :func:`gradient_norms`.

    Returns
    -------
    scores : float64 ndarray (n,)
    """
    if isinstance(part, str) and part.strip().upper() in ("G", "SG"):
        part = part.strip().upper()  # 'sg' as 'SG', as names are read elsewhere
    if part not in ("G", "SG"):
        raise InvalidSettingError(f"part={part!r} must be 'G' or 'SG'.")
    if is_torch_model(model):
        g, s = _torch_norms(model, X, labels=labels, temperature=temperature, epsilon=epsilon,
                            batch_size=batch_size)
    else:
        if check_nonneg(epsilon, "epsilon") != 0:
            raise InvalidSettingError("epsilon > 0 needs a torch model; scikit-learn models use epsilon=0.")
        g, s = _sklearn_norms(model, X, labels=labels, temperature=temperature)
    return g if part == "SG" else g / s
