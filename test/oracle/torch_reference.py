"""An independent reference in PyTorch for the engine's step and metrics (test/unit/engine/torchOracle.test.ts).

Written from the paper (Zhang et al. 2019, section 2 and section 4) and the official code's definitions, not
from this project's code:

  network    an MLP: linear -> batch norm without gamma/beta (training mode: batch statistics, biased
             variance, eps 1e-3; inference mode: the moving averages) -> ReLU for each hidden layer, then
             a linear classifier. Kernels are [in, out] (x @ W + b), as the engine stores them.
  loss       mean softmax cross-entropy.
  SGD        heavy ball: g += lambda theta (L2; decoupled weight decay is the same for SGD), v = mu v + g,
             theta -= eta v.
  Adam       bias-corrected, eps added to sqrt(vhat). L2: g += lambda theta first. AdamW: theta -= eta
             (adam_step + lambda theta).
  metrics    jacobianNorm = mean over examples of ||d logits / d x||_F^2 (autograd, one pass per class);
             gnNorm = mean ||J_theta theta||^2, J_theta theta by forward-mode AD (torch.func.jvp, exact),
             BN in inference mode.

Usage: python3 torch_reference.py IN.json OUT.json. IN holds the layers' kernels and biases, which are
batch-normed, the batch (x, y), the moving averages, and the optimizer; OUT the weights after one step and
the metrics at the initial weights.
"""

import json
import sys

import torch
import torch.nn.functional as F
from torch.func import functional_call, jvp

torch.set_default_dtype(torch.float32)
EPS_BN = 1e-3


def forward(params, moving, bn, x, training):
    h = x
    last = len(bn)
    for i in range(last):
        h = h @ params[f"k{i}"] + params[f"b{i}"]
        if bn[i]:
            if training:
                h = F.batch_norm(h, None, None, None, None, True, 0.0, EPS_BN)
            else:
                mean, var = moving[i]
                h = (h - mean) / torch.sqrt(var + EPS_BN)
        if i < last - 1:
            h = torch.relu(h)
    return h


def main(src, dst):
    spec = json.load(open(src))
    bn = [layer["bn"] for layer in spec["layers"]]
    params = {}
    for i, layer in enumerate(spec["layers"]):
        params[f"k{i}"] = torch.tensor(layer["kernel"], dtype=torch.float32, requires_grad=True)
        params[f"b{i}"] = torch.tensor(layer["bias"], dtype=torch.float32, requires_grad=True)
    moving = [
        (torch.tensor(layer["movingMean"], dtype=torch.float32), torch.tensor(layer["movingVariance"], dtype=torch.float32))
        if layer["bn"]
        else None
        for layer in spec["layers"]
    ]
    x = torch.tensor(spec["x"], dtype=torch.float32)
    y = torch.tensor(spec["y"], dtype=torch.long)

    # Metrics at the initial weights, BN in inference mode.
    frozen = {k: v.detach() for k, v in params.items()}
    xs = x.clone().requires_grad_(True)
    logits = forward(frozen, moving, bn, xs, False)
    classes = logits.shape[1]
    jac = 0.0
    for c in range(classes):
        (g,) = torch.autograd.grad(logits[:, c].sum(), xs, retain_graph=True)
        jac += float((g**2).sum())
    jacobian_norm = jac / x.shape[0]
    names = list(frozen.keys())

    def f(*tensors):
        return forward(dict(zip(names, tensors)), moving, bn, x, False)

    _, tangent = jvp(f, tuple(frozen[n] for n in names), tuple(frozen[n] for n in names))
    gn_norm = float((tangent**2).sum()) / x.shape[0]

    # One step.
    opt = spec["optimizer"]
    reg = spec["regularization"]
    lam = reg["coefficient"] if reg["type"] != "none" else 0.0
    eta = spec["lr"]
    loss = F.cross_entropy(forward(params, moving, bn, x, True), y)
    grads = torch.autograd.grad(loss, [params[n] for n in names])
    out = {}
    with torch.no_grad():
        for n, g in zip(names, grads):
            theta = params[n].detach()
            if opt["type"] == "sgd":
                g = g + lam * theta  # L2 and weight decay are the same for SGD
                v = g  # v = mu * 0 + g on the first step
                new = theta - eta * v
            else:
                b1, b2 = opt["betas"]
                if reg["type"] == "l2":
                    g = g + lam * theta
                m = (1 - b1) * g
                s = (1 - b2) * g * g
                step = (m / (1 - b1)) / (torch.sqrt(s / (1 - b2)) + opt["eps"])
                new = theta - eta * (step + (lam * theta if reg["type"] == "weightDecay" else 0.0))
            out[n] = new.tolist()
    json.dump({"weights": out, "loss": float(loss), "jacobianNorm": jacobian_norm, "gnNorm": gn_norm}, open(dst, "w"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
