"""Small torch helpers shared by ODIN and the gradient method."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from dataqa.errors import OODInputError

__all__ = ["is_torch_model", "model_device_dtype", "as_model_input", "eval_mode",
           "batched_logits", "check_logits_tensor", "check_model_accepts"]


def is_torch_model(model: Any) -> bool:
    return isinstance(model, nn.Module)


def model_device_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device of the first parameter/buffer and dtype of the first floating parameter."""
    device = torch.device("cpu")
    dtype = torch.get_default_dtype()
    for t in list(model.parameters()) + list(model.buffers()):
        device = t.device
        break
    for p in model.parameters():
        if p.is_floating_point():
            dtype = p.dtype
            break
    return device, dtype


def as_model_input(X: Any, model: nn.Module, *, name: str = "X") -> torch.Tensor:
    """``X`` (array or tensor, first axis = items) on the model's device.

    Floating inputs take the model's floating dtype; integer inputs (token ids for an
    ``Embedding``) become int64. NaN/inf in a floating input is an error.
    """
    if X is None:
        raise OODInputError(f"{name} is None; pass the model inputs, first axis = items.")
    device, dtype = model_device_dtype(model)
    if isinstance(X, torch.Tensor):
        t = X.detach()
    elif hasattr(X, "tocsr") and hasattr(X, "nnz"):  # a scipy sparse matrix or array
        raise OODInputError(f"{name} is a sparse matrix, which a torch model does not take; "
                            f"pass {name}.toarray() (in batches when it is large).")
    else:
        try:
            arr = np.asarray(X)
        except Exception as exc:  # pragma: no cover - exotic inputs
            raise OODInputError(f"{name} could not be converted to an array: {exc}") from None
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise OODInputError(f"{name} must be numeric; got dtype {arr.dtype}.")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.ndim == 0:
        raise OODInputError(f"{name} must have a first axis of items; got a scalar.")
    if t.shape[0] == 0:
        raise OODInputError(f"{name} has no items; pass at least one.")
    if t.is_floating_point():
        # amax/amin propagate NaN and show +-inf: two reductions instead of a full mask
        if not (torch.isfinite(t.amax()) and torch.isfinite(t.amin())):
            rows = torch.nonzero(~torch.isfinite(t.reshape(len(t), -1)).all(dim=1)).flatten()
            raise OODInputError(
                f"{name} holds NaN or infinite values in {len(rows)} item(s) (first: "
                f"{rows[:5].tolist()}); remove or impute them first."
            )
        t = t.to(device=device, dtype=dtype)
    elif t.dtype == torch.bool:
        t = t.to(device=device, dtype=dtype)
    else:
        t = t.to(device=device, dtype=torch.int64)
    return t


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put every submodule in eval mode, restoring each one's own flag afterwards."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, f in flags:
            m.training = f


def check_logits_tensor(logits: Any, n: int) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or logits.shape[0] != n:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise OODInputError(
            f"the model must return logits of shape (n_items, n_classes) = ({n}, K); got {shape}."
        )
    if logits.shape[1] < 2:
        raise OODInputError("the model returns a single logit per item; OOD scores need K >= 2 classes.")
    return logits


def check_model_accepts(model: nn.Module, x: torch.Tensor, *, name: str = "X") -> int:
    """Run the model (eval mode, no gradients) on the first two items of ``x``; return K.

    An input the model cannot take (wrong width, channels or token ids out of range)
    becomes an :class:`OODInputError` naming ``name`` and its item shape, before any work.
    (Two items, not one: a layer using batch statistics needs more than one.)
    """
    probe = x[:2]
    try:
        with eval_mode(model), torch.no_grad():
            out = model(probe)
    except (RuntimeError, ValueError, IndexError, TypeError) as exc:
        first = " ".join(str(exc).split())[:300]
        hint = (f" {name} is 1-D, so it was read as {len(x)} items of shape (): for one item "
                f"pass {name}[None, :] ({name}.reshape(1, -1))." if x.ndim == 1 else "")
        weights = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
        if (weights is not None and x.dtype != weights and "dtype" in str(exc).lower()
                or "expected scalar type" in str(exc).lower()):
            raise OODInputError(
                f"{name} holds {str(x.dtype).replace('torch.', '')} values and the model's "
                f"weights are {str(weights).replace('torch.', '')} ({type(exc).__name__}: "
                f"{first}); pass {name} as {str(weights).replace('torch.', '')} (e.g. "
                f"{name}.astype(np.float32))."
            ) from None
        raise OODInputError(
            f"{name} does not fit the model: its items have shape {tuple(x.shape[1:])} and the "
            f"model failed on the first items ({type(exc).__name__}: {first}); pass inputs of "
            f"the shape the model was built for.{hint}"
        ) from None
    return int(check_logits_tensor(out, len(probe)).shape[1])


def batched_logits(model: nn.Module, X: Any, *, batch_size: int = 256) -> np.ndarray:
    """Logits (n, K) as float64 numpy, computed in eval mode without gradients."""
    x = as_model_input(X, model)
    check_model_accepts(model, x)
    outs = []
    with eval_mode(model), torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size]
            outs.append(check_logits_tensor(model(xb), len(xb)).double().cpu())
    return torch.cat(outs).numpy()
