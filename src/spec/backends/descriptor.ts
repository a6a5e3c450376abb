// What a training backend is, declared in one place (docs/architecture.md, Adding a backend): its tfjs id,
// what it can do and which of the engine's workarounds it needs. The validator (memory, K-FAC's inverse
// method), the thread count and the ops read these; the engine's backend.ts says how to start each one.
export interface BackendDescriptor {
  /** The spec's `training.backend` name, also tfjs's backend id. */
  name: string;
  /** A CPU or a GPU: what `auto` prefers, and where K-FAC's inverse method `auto` runs. */
  device: 'cpu' | 'gpu';
  /** Runs on an installed native engine (libtensorflow, Dawn) rather than JavaScript or WebAssembly. */
  nativeEngine: boolean;
  /** `auto` tries backends in this order (lower first). */
  autoRank: number;
  capabilities: {
    /**
     * Float32 matmuls of K-FAC-factor size are cheap and run on the training backend: `inverseMethod: auto`
     * inverts the factors there by Newton-Schulz (docs/science.md section 6) instead of on the CPU.
     */
    deviceInverses: boolean;
    /**
     * Data-parallel gradient threads (training.threads, engine/parallel/): `none`, an explicit count only
     * (`explicit`), or also one per core under `auto` for conv nets (`auto`).
     */
    gradientThreads: 'none' | 'explicit' | 'auto';
    /** The most memory it can address, where that is smaller than the machine's (32-bit wasm: 4 GiB). */
    memoryLimitBytes?: number;
  };
  /** The engine's backend-specific code paths (docs/engines.md, Backend-specific code). */
  workarounds: {
    /** MatMul with a transpose flag takes a slow path: transpose the operand explicitly (ops/matmul.ts). */
    explicitTranspose: boolean;
    /** Reductions over outer axes are slow: per-channel sums and means as a matMul (ops/channels.ts). */
    channelReductionByMatmul: boolean;
  };
}
