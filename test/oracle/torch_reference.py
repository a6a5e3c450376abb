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
  K-FAC      (section 6; the official code) one step from zero-initialised factors: the step's statistics
             replace them. Per dense layer, with the sampled logit-side vector g_i (K-FAC-G: the given
             sqrt(2) N(0, I) draw; K-FAC-F: softmax(f_i) - onehot(y_i), y_i the first class whose cumulative
             softmax exceeds the given uniform u_i): A = mean_i [a_i; 1][a_i; 1]^T, S = mean_i ds_i ds_i^T,
             ds_i = d <g_i, f_i> / d pre-activation. G = [dkernel; dbias] of the mean loss (+ lambda theta
             for L2). factored: U = (A + pi r I)^-1 G (S + r/pi I)^-1, r = sqrt(damping),
             pi = sqrt((tr A / d_A) / (tr S / d_S)); eigen: U = Q_A [(Q_A^T G Q_S) / (a s^T + damping)] Q_S^T.
             KL clip nu = min(1, sqrt(klClip / (eta^2 sum <G, U>))); v = nu U (zero velocity);
             theta -= eta v (L2), theta -= eta (v + lambda theta) (weight decay).
  metrics    jacobianNorm = mean over examples of ||d logits / d x||_F^2 (autograd, one pass per class);
             kfacGnNorm = sum_l tr(W_l^T A_l W_l S_l) with S_l = sum_c E[ds_c ds_c^T] (H = I), inference mode;
             effectiveDamping_l = damping / ((tr A_l / d_A)(tr S_l / d_S)) from the K-FAC step's factors;
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
    kfac_gn_norm = kfac_gauss_newton_norm(frozen, moving, bn, x)

    # One step.
    opt = spec["optimizer"]
    reg = spec["regularization"]
    lam = reg["coefficient"] if reg["type"] != "none" else 0.0
    eta = spec["lr"]
    loss = F.cross_entropy(forward(params, moving, bn, x, True), y)
    grads = torch.autograd.grad(loss, [params[n] for n in names])
    if opt["type"] in ("kfac-f", "kfac-g"):
        out, nu, damping_of = kfac_step(spec, params, moving, bn, x, dict(zip(names, grads)), lam, eta)
        result = {"weights": out, "loss": float(loss), "jacobianNorm": jacobian_norm, "gnNorm": gn_norm, "klClip": nu}
        result.update(damping_of)
        result["kfacGnNorm"] = kfac_gn_norm
        json.dump(result, open(dst, "w"))
        return
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
    result = {"weights": out, "loss": float(loss), "jacobianNorm": jacobian_norm, "gnNorm": gn_norm}
    result["kfacGnNorm"] = kfac_gn_norm
    json.dump(result, open(dst, "w"))


def tapped_forward(p64, moving, bn, x, training):
    """The network in float64, keeping every layer's input and (differentiable) pre-activation."""
    h = x.double()
    inputs, pres = [], []
    for i in range(len(bn)):
        inputs.append(h)
        pre = (h @ p64[f"k{i}"] + p64[f"b{i}"]).requires_grad_(True)
        pres.append(pre)
        h = pre
        if bn[i]:
            if training:
                h = F.batch_norm(h, None, None, None, None, True, 0.0, EPS_BN)
            else:
                mean, var = moving[i]
                h = (h - mean.double()) / torch.sqrt(var.double() + EPS_BN)
        if i < len(bn) - 1:
            h = torch.relu(h)
    return h, inputs, pres


def kfac_step(spec, params, moving, bn, x, grads, lam, eta):
    opt = spec["optimizer"]
    reg = spec["regularization"]
    noise = torch.tensor(spec["noise"], dtype=torch.float64)
    p64 = {k: v.detach().double() for k, v in params.items()}
    # The sampled backward pass, in float64, training mode (batch statistics), capturing pre-activations.
    logits, inputs, pres = tapped_forward(p64, moving, bn, x, True)
    if opt["type"] == "kfac-g":
        g = noise
    else:
        p = torch.softmax(logits.detach(), 1)
        below = (torch.cumsum(p, 1) < noise).sum(1).clamp(max=p.shape[1] - 1)
        g = p - F.one_hot(below, p.shape[1]).double()
    ds = torch.autograd.grad((logits * g).sum(), pres)
    n = x.shape[0]
    out = {}
    scores = []
    updates = []
    damping_of = {}
    for i in range(len(bn)):
        a = torch.cat([inputs[i].detach(), torch.ones(n, 1, dtype=torch.float64)], 1)
        A = a.T @ a / n
        S = ds[i].T @ ds[i] / n
        theta = torch.cat([p64[f"k{i}"], p64[f"b{i}"][None, :]], 0)
        G = torch.cat([grads[f"k{i}"].double(), grads[f"b{i}"].double()[None, :]], 0)
        if reg["type"] == "l2":
            G = G + lam * theta
        damping = opt["damping"]
        if opt["dampingScheme"] == "factored":
            pi = torch.sqrt((torch.trace(A) / A.shape[0]) / (torch.trace(S) / S.shape[0]))
            r = damping**0.5
            U = torch.linalg.solve(A + pi * r * torch.eye(A.shape[0], dtype=torch.float64), G)
            U = torch.linalg.solve((S + (r / pi) * torch.eye(S.shape[0], dtype=torch.float64)).T, U.T).T
        else:
            ea, qa = torch.linalg.eigh(A)
            es, qs = torch.linalg.eigh(S)
            U = qa @ ((qa.T @ G @ qs) / (ea[:, None] * es[None, :] + damping)) @ qs.T
        # Effective damping (section 5): damping over the block's mean eigenvalue (tr A / d_A)(tr S / d_S).
        damping_of[f"effectiveDamping{i}"] = damping / float((torch.trace(A) / A.shape[0]) * (torch.trace(S) / S.shape[0]))
        scores.append(float((G * U).sum()))
        updates.append((theta, U))
    nu = 1.0
    if opt.get("klClip") is not None:
        nu = min(1.0, (opt["klClip"] / (eta * eta * sum(scores))) ** 0.5)
    for i, (theta, U) in enumerate(updates):
        step = nu * U + (lam * theta if reg["type"] == "weightDecay" else 0.0)
        new = theta - eta * step
        out[f"k{i}"] = new[:-1].tolist()
        out[f"b{i}"] = new[-1].tolist()
    return out, nu, damping_of


def kfac_gauss_newton_norm(params, moving, bn, x):
    """sum_l tr(W_l^T A_l W_l S_l): A_l = E[[a;1][a;1]^T], S_l = sum_c E[ds_c ds_c^T] (H = I), inference mode."""
    p64 = {k: v.double() for k, v in params.items()}
    h, inputs, pres = tapped_forward(p64, moving, bn, x, False)
    n, classes = h.shape
    S = [0.0] * len(bn)
    for c in range(classes):
        ds = torch.autograd.grad(h[:, c].sum(), pres, retain_graph=True)
        for i in range(len(bn)):
            S[i] = S[i] + ds[i].T @ ds[i] / n
    total = 0.0
    for i in range(len(bn)):
        a = torch.cat([inputs[i].detach(), torch.ones(n, 1, dtype=torch.float64)], 1)
        A = a.T @ a / n
        W = torch.cat([p64[f"k{i}"], p64[f"b{i}"][None, :]], 0)
        total += float(torch.trace(W.T @ A @ W @ S[i]))
    return total


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
