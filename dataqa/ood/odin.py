"""ODIN: temperature scaling plus a small input perturbation."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from dataqa._validation import check_int, check_nonneg, check_positive
from dataqa.errors import InvalidSettingError
from dataqa.ood._torch import (
    as_model_input,
    check_logits_tensor,
    check_model_accepts,
    eval_mode,
    is_torch_model,
)

__all__ = ["odin_score", "perturb_inputs"]


def perturb_inputs(model, x: torch.Tensor, *, temperature: float, epsilon: float,
                   labels: torch.Tensor | None = None) -> torch.Tensor:
    """ODIN's perturbation of one batch (model already in eval mode, input validated).

    ``x_p = x - epsilon * sign(grad_x CE(f(x) / T, y))``, with ``y`` the predicted class
    unless ``labels`` is given; this is ``x - eps * sign(-grad_x log S_y(x; T))``.
    """
    xg = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = check_logits_tensor(model(xg), len(x))
        y = logits.argmax(dim=1) if labels is None else labels
        loss = F.cross_entropy(logits / temperature, y, reduction="sum")
        (g,) = torch.autograd.grad(loss, xg)
    return (x - epsilon * torch.sign(g)).detach()


def odin_score(model, X, *, temperature: float = 1000.0, epsilon: float = 0.0014,
               batch_size: int = 256) -> np.ndarray:
    """ODIN score: the negative max tempered softmax of a perturbed input.

    ``x_p = x - epsilon * sign(-grad_x log S_yhat(x; T))`` with ``S(x; T) = softmax(f(x)/T)``
    and ``yhat`` the predicted class; ``score = -max_k S_k(x_p; T)``. Higher = more OOD.
    The model runs in eval mode (restored afterwards); its parameters are not changed.

    Liang, Li & Srikant, "Enhancing The Reliability of Out-of-distribution Image Detection in
    Neural Networks", ICLR 2018. (Unlike the reference code, the gradient sign is not divided
    by a per-channel normalisation std; fold that into ``epsilon`` if your model normalises.)

    Parameters
    ----------
    model : torch.nn.Module returning logits (n, K)
    X : array or tensor (n, ...), floating inputs
    temperature : float > 0
    epsilon : float >= 0, perturbation size (0 = temperature scaling only)
    batch_size : int >= 1

    Returns
    -------
    scores : float64 ndarray (n,)
    """
    if not is_torch_model(model):
        raise InvalidSettingError(
            f"odin needs a torch.nn.Module (it differentiates with respect to the input); "
            f"got {type(model).__name__}. Use 'msp' or 'energy' for scikit-learn models."
        )
    t = check_positive(temperature, "temperature")
    eps = check_nonneg(epsilon, "epsilon")
    bs = check_int(batch_size, "batch_size")
    x = as_model_input(X, model)
    if not x.is_floating_point():
        raise InvalidSettingError("odin perturbs the input, so X must be floating point (not token ids).")
    check_model_accepts(model, x)
    out = []
    with eval_mode(model):
        for start in range(0, len(x), bs):
            xb = x[start:start + bs]
            if eps > 0:
                xb = perturb_inputs(model, xb, temperature=t, epsilon=eps)
            with torch.no_grad():
                logits = check_logits_tensor(model(xb), len(xb)).double()
                out.append(-torch.softmax(logits / t, dim=1).max(dim=1).values.cpu())
    return torch.cat(out).numpy()
