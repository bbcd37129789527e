"""Speed and exactness of ``dataqa.ood.gradient_norms``.

For an MLP and a small CNN (Conv2d, BatchNorm2d, Linear), on the same 2,000 items in the
same run, three ways to get per-item gradient information:

- **loop**: one forward and one backward pass per item, then the norm over all parameter
  gradients (the textbook way, written without waste: see :func:`loop_norms`);
- **plain**: one batched forward + backward of the same items with the summed loss, in
  batches of ``--batch-size`` (gives only the batch gradient: the yardstick);
- **dataqa**: ``gradient_norms`` (exact per-item norms from layer hooks), same batch size.

``gradient_norms`` backpropagates only to the layer outputs, not to the weights, so it
can come out slightly cheaper than the plain pass on models made of ``Linear`` layers.

Timing: one warm-up call of each, then ``repeats`` rounds (7, or 3 with ``--quick``) that
run loop, plain and dataqa one after the other, all with the same torch thread count
(``--threads``). Reported: best-of-rounds seconds, ``loop / dataqa`` (speed-up) and
``dataqa / plain`` (overhead over the plain pass), the same two ratios from the medians,
and the largest relative difference between ``gradient_norms`` and the loop, computed on
float64 copies (float32 rounding differs between a batch and a single item).
Goals: difference <= 1e-5; ``dataqa / plain`` <= 3 on both models; ``loop / dataqa`` >= 50
on the MLP (checked on the best-of times). ``--device cuda`` runs the same on a GPU.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

from dataqa.ood import gradient_norms  # noqa: E402


def make_mlp(g: torch.Generator) -> tuple[nn.Module, torch.Tensor]:
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    _init(model, g)
    return model, torch.randn(2000, 64, generator=g)


def make_cnn(g: torch.Generator) -> tuple[nn.Module, torch.Tensor]:
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )
    _init(model, g)
    return model, torch.randn(2000, 1, 28, 28, generator=g)


def _init(model: nn.Module, g: torch.Generator) -> None:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear | nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) / fan_in ** 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    model.eval()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def loop_norms(model: nn.Module, X: torch.Tensor) -> np.ndarray:
    """One forward and one backward pass per item; the norm over all parameter gradients.

    Written to be quick: ``autograd.grad`` (no ``.grad`` fields to zero), one fused
    ``_foreach_norm`` over the per-parameter gradients and one norm of those norms.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    out = torch.empty(len(X), dtype=X.dtype, device=X.device)
    for i in range(len(X)):
        logits = model(X[i:i + 1])
        loss = F.cross_entropy(logits, logits.detach().argmax(1), reduction="sum")
        gs = torch.autograd.grad(loss, params)
        out[i] = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(gs)))
    return out.double().cpu().numpy()


def plain_pass(model: nn.Module, X: torch.Tensor, batch_size: int) -> None:
    params = [p for p in model.parameters() if p.requires_grad]
    for s in range(0, len(X), batch_size):
        logits = model(X[s:s + batch_size])
        loss = F.cross_entropy(logits, logits.detach().argmax(1), reduction="sum")
        torch.autograd.grad(loss, params)


def _times(fns, device, repeats: int) -> list[list[float]]:
    """Wall times of each function over ``repeats`` rounds, run interleaved (loop, plain,
    dataqa, loop, ...) so that a busy machine slows all of them alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            times[k].append(time.perf_counter() - t0)
    return times


def run_model(name: str, model: nn.Module, X: torch.Tensor, *, device: torch.device,
              batch_size: int, repeats: int, n_diff: int) -> dict:
    model = model.to(device)
    X = X.to(device)
    fn_loop = lambda: loop_norms(model, X)  # noqa: E731
    fn_plain = lambda: plain_pass(model, X, batch_size)  # noqa: E731
    fn_ours = lambda: gradient_norms(model, X, batch_size=batch_size)  # noqa: E731
    # warm-up (allocations, kernels, lazy imports)
    loop_norms(model, X[:batch_size])
    fn_plain()
    fn_ours()
    t_loop, t_plain, t_ours = _times([fn_loop, fn_plain, fn_ours], device, repeats)
    best = {k: min(v) for k, v in (("loop", t_loop), ("plain", t_plain), ("dataqa", t_ours))}
    med = {k: float(np.median(v)) for k, v in (("loop", t_loop), ("plain", t_plain),
                                                ("dataqa", t_ours))}
    ref32 = fn_loop()
    ours32 = fn_ours()
    # exactness on float64 copies (rounding in float32 differs between batch and single item)
    m64 = copy.deepcopy(model).double()
    X64 = X[:n_diff].double()
    ours64 = gradient_norms(m64, X64, batch_size=batch_size)
    ref64 = loop_norms(m64, X64)
    return {
        "model": name,
        "device": str(device),
        "n_items": len(X),
        "n_params": sum(p.numel() for p in model.parameters()),
        "batch_size": batch_size,
        "repeats": repeats,
        "t_loop_s": best["loop"],
        "t_plain_s": best["plain"],
        "t_dataqa_s": best["dataqa"],
        "speedup_vs_loop": best["loop"] / best["dataqa"],
        "ratio_vs_plain": best["dataqa"] / best["plain"],
        "median_t_loop_s": med["loop"],
        "median_t_plain_s": med["plain"],
        "median_t_dataqa_s": med["dataqa"],
        "median_speedup_vs_loop": med["loop"] / med["dataqa"],
        "median_ratio_vs_plain": med["dataqa"] / med["plain"],
        "max_rel_diff_float64": float(np.max(np.abs(ours64 - ref64) / ref64)),
        "n_items_float64_check": n_diff,
        "max_rel_diff_float32": float(np.max(np.abs(ours32 - ref32) / ref32)),
    }


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: torch's choice); 1 is steadier on a busy machine")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    g = torch.Generator().manual_seed(0)
    n = 300 if args.quick else 2000
    repeats = 3 if args.quick else 7
    rows = []
    for name, make in (("mlp", make_mlp), ("cnn", make_cnn)):
        model, X = make(g)
        rows.append(run_model(name, model, X[:n], device=device, batch_size=args.batch_size,
                              repeats=repeats, n_diff=min(n, 500)))
    goals = {
        "max_rel_diff_float64 <= 1e-5": all(r["max_rel_diff_float64"] <= 1e-5 for r in rows),
        "ratio_vs_plain <= 3 (both)": all(r["ratio_vs_plain"] <= 3 for r in rows),
        "speedup_vs_loop >= 50 (mlp)": rows[0]["speedup_vs_loop"] >= 50,
    }
    print_table(f"gradient_norms speed ({device}, torch {torch.__version__}, "
                f"{torch.get_num_threads()} threads)", rows,
                ["model", "n_items", "n_params", "t_loop_s", "t_plain_s", "t_dataqa_s",
                 "speedup_vs_loop", "ratio_vs_plain", "median_speedup_vs_loop",
                 "median_ratio_vs_plain", "max_rel_diff_float64", "max_rel_diff_float32"],
                float_format="{:.3g}")
    payload = {"device": str(device), "torch": torch.__version__,
               "threads": torch.get_num_threads(), "quick": args.quick, "rows": rows,
               "goals": goals}
    path = write_json(args.out, "ood_speed", payload)
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    sys.exit(finish("ood_speed", main()["goals"]))
