// What a failed trial's reason says to a user: the trainer's own messages are already written for people;
// a few errors from below (the WebAssembly runtime) are not, and get what to do added (docs/engines.md: the wasm
// backend runs in 32-bit memory, which the paper's wide ResNet32 at batch 128 overflows).
const WASM_OUT_OF_MEMORY = /memory access out of bounds|Out of memory|Cannot allocate Wasm memory/i;

export function explainFailure(message: string): string {
  if (!WASM_OUT_OF_MEMORY.test(message)) return message;
  return `the wasm backend ran out of its 32-bit WebAssembly memory (${message.split('\n')[0]}): use a smaller training.batchSize or model.width, or a GPU backend (tensorflow, webgpu)`;
}

/**
 * Lines a native engine prints at start-up on every run (TensorFlow's absl INFO/WARNING log lines about
 * oneDNN and CPU features; Dawn's warnings while `auto` probes for a GPU: no Vulkan loader, reduced limits,
 * and the Dawn source line it names): not a reason for a failure, so kept out of the stderr tail a failure
 * quotes.
 */
const ENGINE_NOISE = [
  /^Warning: Couldn't load Vulkan: /,
  /^at operator\(\) \(\S*third_party\/dawn\/\S+:\d+\)$/,
  /^Warning: \w+ artificially reduced from \d+ to \d+ /,
  /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/,
  /^[IW]\d{4} [\d:.]+\s+\d+ [\w.]+\.cc:\d+\] /,
  /^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.$/,
];

export const isEngineNoise = (line: string): boolean => ENGINE_NOISE.some((re) => re.test(line.trim()));
