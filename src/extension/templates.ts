// Starter specs for "New Experiment". Pure data (no `vscode`), so a unit test validates every template
// with the same validator the editor and the CLI use.

export interface SpecTemplate {
  id: string;
  label: string;
  detail: string;
  /** File name stem: `<fileStem>.wdlab.json`. */
  fileStem: string;
  text: string;
}

const quickstart = `{
  // A small VGG11 with batch norm on CIFAR-shaped synthetic images, SGD with momentum, trained without
  // and with weight decay (Zhang et al. 2019, section 4.1). ~2 minutes on 2 CPU cores.
  "name": "quickstart",
  "description": "VGG11-BN (width 1/8) on synthetic images: SGD without vs with weight decay.",
  "data": { "dataset": "synthetic-images", "trainSize": 4096, "testSize": 1000, "augment": false },
  "model": { "arch": "vgg", "depth": 11, "width": 0.125, "batchNorm": true, "batchNormMomentum": 0.9 },
  "optimizer": { "type": "sgd", "lr": 0.1, "momentum": 0.9 },
  "regularization": { "type": "weightDecay", "coefficient": 0.005, "apply": "all" },
  "schedule": { "type": "constant" },
  "training": { "epochs": 4, "batchSize": 64, "seed": 1, "backend": "auto", "logEverySteps": 8 },
  "sweep": { "regularization.type": ["none", "weightDecay"] }
}
`;

const mechanism1 = `{
  // Mechanism 1 (Zhang et al. 2019, section 3): with batch norm after a layer, its output does not
  // depend on the scale of its weights W, only on the direction W/||W||. SGD then moves the direction
  // with an effective learning rate lr/||W||^2. Without weight decay ||W|| grows and the effective
  // learning rate decays; weight decay holds ||W|| at an equilibrium and keeps it high.
  // Compare effectiveLr/* and weightNorm/* of the two trials.
  "name": "mechanism-1-effective-lr",
  "description": "BN MLP + SGD: the effective learning rate lr/||W||^2 with and without weight decay.",
  "data": { "dataset": "synthetic-vectors", "trainSize": 4096, "testSize": 1024 },
  "model": { "arch": "mlp", "hidden": [256, 256], "batchNorm": true, "batchNormMomentum": 0.9 },
  "optimizer": { "type": "sgd", "lr": 0.1, "momentum": 0.9 },
  "regularization": { "type": "weightDecay", "coefficient": 0.005, "apply": "all" },
  "schedule": { "type": "constant" },
  "training": { "epochs": 10, "batchSize": 64, "seed": 1, "backend": "auto", "logEverySteps": 8 },
  "sweep": { "regularization.type": ["none", "weightDecay"] }
}
`;

const mechanism2 = `{
  // Mechanism 2 (Zhang et al. 2019, section 4): without batch norm, weight decay is no longer only a
  // change of learning rate. The paper shows that for K-FAC with the Gauss-Newton metric it
  // approximately regularizes the input-output Jacobian norm ||df(x)/dx||_F^2, a measure of how
  // sensitive the network is to its input. This template measures jacobianNorm (and the Gauss-Newton
  // norm) at every epoch end, without and with weight decay.
  "name": "mechanism-2-jacobian",
  "description": "MLP without BN: the input-output Jacobian norm with and without weight decay.",
  "data": { "dataset": "synthetic-vectors", "trainSize": 4096, "testSize": 1024 },
  "model": { "arch": "mlp", "hidden": [256, 256], "batchNorm": false },
  "optimizer": { "type": "sgd", "lr": 0.05, "momentum": 0.9 },
  "regularization": { "type": "weightDecay", "coefficient": 0.001, "apply": "all" },
  "schedule": { "type": "constant" },
  "training": { "epochs": 10, "batchSize": 64, "seed": 1, "backend": "auto", "logEverySteps": 8 },
  "metrics": { "jacobian": "exact", "gaussNewton": true },
  "sweep": { "regularization.type": ["none", "weightDecay"] }
}
`;

export const SPEC_TEMPLATES: readonly SpecTemplate[] = [
  {
    id: 'quickstart',
    label: 'Quickstart',
    detail: 'VGG11 with batch norm on synthetic images: SGD without vs with weight decay (2 trials)',
    fileStem: 'quickstart',
    text: quickstart,
  },
  {
    id: 'mechanism-1',
    label: 'Mechanism 1: effective learning rate',
    detail: 'BN network + SGD: lr/‖W‖² falls without weight decay, holds with it (2 trials)',
    fileStem: 'mechanism-1-effective-lr',
    text: mechanism1,
  },
  {
    id: 'mechanism-2',
    label: 'Mechanism 2: Jacobian norm',
    detail: 'No batch norm: the input-output Jacobian norm without vs with weight decay (2 trials)',
    fileStem: 'mechanism-2-jacobian',
    text: mechanism2,
  },
];
