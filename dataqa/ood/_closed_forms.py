"""Closed forms of the per-item squared gradient norms of the layers in
:data:`dataqa.ood.gradients.FAST_LAYER_TYPES`, from each call's input ``a`` and output
gradient ``d`` (see :mod:`dataqa.ood.gradients`). Each takes the layer, its calls and
the number of items ``n``, and assumes that the rows of ``a`` and ``d`` hold the items in
turn (``(n, ...)``, or item-major ``(n * T, ...)``); the caller checks that."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__: list[str] = []

_MAX_MATERIALISE = 1 << 24  # elements of per-item (out, in) products held at once


def _cat(parts: list[torch.Tensor], dim: int) -> torch.Tensor:
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=dim)


def _outer_sq(D: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """Per-row ``||sum_t D[r, t] (x) A[r, t]||_F^2`` for D (R, T, o), A (R, T, i) -> (R,)."""
    R, T, o = D.shape
    i = A.shape[2]
    if T == 1:
        return (D[:, 0] ** 2).sum(1) * (A[:, 0] ** 2).sum(1)
    if T * (o + i) <= o * i:
        gd = torch.bmm(D, D.transpose(1, 2))
        ga = torch.bmm(A, A.transpose(1, 2))
        return (gd * ga).sum((1, 2))
    step = max(1, _MAX_MATERIALISE // (o * i))
    out = []
    for s in range(0, R, step):
        g = torch.bmm(D[s:s + step].transpose(1, 2), A[s:s + step])
        out.append((g ** 2).sum((1, 2)))
    return torch.cat(out)


def _linear_sq(m: nn.Linear, calls, n: int) -> torch.Tensor:
    has_w = m.weight.requires_grad
    has_b = m.bias is not None and m.bias.requires_grad
    a, d = calls[0]
    if len(calls) == 1 and a.ndim == 2 and len(a) == n:  # (n, in): ||d||^2 (||a||^2 + 1)
        dd = torch.linalg.vector_norm(d, dim=1).square_()
        if not has_w:
            return dd
        aa = torch.linalg.vector_norm(a, dim=1).square_()
        return dd.mul_(aa.add_(1) if has_b else aa)
    A = _cat([a.reshape(n, -1, a.shape[-1]) for a, _ in calls], 1)
    D = _cat([d.reshape(n, -1, d.shape[-1]) for _, d in calls], 1)
    sq = torch.zeros(n, dtype=D.dtype, device=D.device)
    if has_w:
        sq = sq + _outer_sq(D, A)
    if has_b:
        sq = sq + (D.sum(1) ** 2).sum(1)
    return sq


def _conv_patches(m: nn.Module, a: torch.Tensor) -> torch.Tensor:
    """Unfolded input patches (n, C_in * prod(kernel), L) of a Conv1d/Conv2d call."""
    two_d = isinstance(m, nn.Conv2d)
    if not two_d:
        a = a.unsqueeze(2)
    ks = m.kernel_size if two_d else (1, m.kernel_size[0])
    st = m.stride if two_d else (1, m.stride[0])
    dil = m.dilation if two_d else (1, m.dilation[0])
    if isinstance(m.padding, str):
        if m.padding == "valid":
            pads = (0, 0, 0, 0)
        else:  # "same"
            tot = [d * (k - 1) for d, k in zip(dil, ks, strict=True)]
            pads = (tot[1] // 2, tot[1] - tot[1] // 2, tot[0] // 2, tot[0] - tot[0] // 2)
    else:
        pad = m.padding if two_d else (0, m.padding[0])
        pads = (pad[1], pad[1], pad[0], pad[0])
    if any(pads):
        mode = "constant" if m.padding_mode == "zeros" else m.padding_mode
        a = F.pad(a, pads, mode=mode)
    # im2col as one strided view and one copy (faster than F.unfold on CPU, which is
    # very slow for few channels); column order (channel, kernel row, kernel column).
    n, c, h, w = a.shape
    ho = (h - dil[0] * (ks[0] - 1) - 1) // st[0] + 1
    wo = (w - dil[1] * (ks[1] - 1) - 1) // st[1] + 1
    sn, sc, sh, sw = a.stride()
    view = a.as_strided((n, c, ks[0], ks[1], ho, wo),
                        (sn, sc, sh * dil[0], sw * dil[1], sh * st[0], sw * st[1]),
                        a.storage_offset())
    return view.reshape(n, c * ks[0] * ks[1], ho * wo)


def _conv_sq(m: nn.Module, calls, n: int) -> torch.Tensor:
    g = m.groups
    us, ds = [], []
    for a, d in calls:
        if a.shape[0] != n:  # (its rows are not the items: the caller goes item by item)
            raise RuntimeError(f"convolution input of shape {tuple(a.shape)} for {n} items")
        u = _conv_patches(m, a)  # (n, C_in*k, L)
        L = u.shape[2]
        us.append(u.reshape(n, g, -1, L))
        ds.append(d.reshape(n, g, -1, L))
    U = _cat(us, 3)
    D = _cat(ds, 3)
    L = U.shape[3]
    sq = torch.zeros(n, dtype=D.dtype, device=D.device)
    if m.weight.requires_grad:
        Dr = D.reshape(n * g, -1, L).transpose(1, 2)
        Ur = U.reshape(n * g, -1, L).transpose(1, 2)
        sq = sq + _outer_sq(Dr, Ur).reshape(n, g).sum(1)
    if m.bias is not None and m.bias.requires_grad:
        sq = sq + (D.sum(3) ** 2).sum((1, 2))
    return sq


def _embedding_sq(m: nn.Embedding, calls, n: int) -> torch.Tensor:
    idx = _cat([a.reshape(n, -1) for a, _ in calls], 1)
    D = _cat([d.reshape(n, -1, d.shape[-1]) for _, d in calls], 1)
    T = idx.shape[1]
    rows = torch.arange(n, device=idx.device).repeat_interleave(T)
    flat_idx = idx.reshape(-1)
    flat_d = D.reshape(n * T, -1)
    if m.padding_idx is not None:
        keep = flat_idx != m.padding_idx
        rows, flat_idx, flat_d = rows[keep], flat_idx[keep], flat_d[keep]
    key = rows * m.num_embeddings + flat_idx
    uniq, inv, counts = torch.unique(key, return_inverse=True, return_counts=True)
    S = torch.zeros(len(uniq), flat_d.shape[1], dtype=flat_d.dtype, device=flat_d.device)
    S.index_add_(0, inv, flat_d)
    if m.scale_grad_by_freq:
        S = S / counts.unsqueeze(1).to(S.dtype)
    sq = torch.zeros(n, dtype=flat_d.dtype, device=flat_d.device)
    sq.index_add_(0, uniq // m.num_embeddings, (S ** 2).sum(1))
    return sq


def _norm_sq(m: nn.Module, calls, n: int) -> torch.Tensor:
    gw = gb = None
    for a, d in calls:
        if isinstance(m, nn.LayerNorm):
            xhat = F.layer_norm(a, m.normalized_shape, None, None, m.eps)
            lead = tuple(range(1, a.ndim - len(m.normalized_shape)))
        else:  # eval BatchNorm: xhat = (a - mean) * inv_std per channel, so
            # sum_s d * xhat = (sum_s d * a - mean * sum_s d) * inv_std (no xhat formed)
            shape = (1, -1) + (1,) * (a.ndim - 2)
            inv_std = torch.rsqrt(m.running_var + m.eps).to(a.dtype)
            if a.ndim == 2:
                b = d
                w = (a - m.running_mean.view(shape)) * inv_std.view(shape) * d
            else:
                b = d.flatten(2).sum(2)
                da = torch.linalg.vecdot(d.flatten(2), a.flatten(2))
                w = (da - m.running_mean.to(a.dtype) * b) * inv_std
            w, b = _per_item(w, n), _per_item(b, n)
            gw = w if gw is None else gw + w
            gb = b if gb is None else gb + b
            continue
        w = _per_item((d * xhat).sum(lead) if lead else d * xhat, n)
        b = _per_item(d.sum(lead) if lead else d, n)
        gw = w if gw is None else gw + w
        gb = b if gb is None else gb + b
    sq = torch.zeros(n, dtype=gw.dtype, device=gw.device)
    if m.weight is not None and m.weight.requires_grad:
        sq = sq + (_per_item(gw, n) ** 2).flatten(1).sum(1)
    if m.bias is not None and m.bias.requires_grad:
        sq = sq + (_per_item(gb, n) ** 2).flatten(1).sum(1)
    return sq


def _per_item(t: torch.Tensor, n: int) -> torch.Tensor:
    """Rows of ``t`` (its first axis: the items, or each item's rows in turn) summed per
    item, ``(n, ...)``."""
    return t if t.shape[0] == n else t.reshape(n, -1, *t.shape[1:]).sum(1)


def _module_sq(m: nn.Module, calls, n: int) -> torch.Tensor:
    if type(m) is nn.Linear:
        return _linear_sq(m, calls, n)
    if type(m) in (nn.Conv1d, nn.Conv2d):
        return _conv_sq(m, calls, n)
    if type(m) is nn.Embedding:
        return _embedding_sq(m, calls, n)
    return _norm_sq(m, calls, n)
