// An esbuild plugin that makes tfjs-core's backward pass release each intermediate gradient once it has
// been used (memory: docs/performance.md).
//
// tfjs-core 4.22's `backpropagateGradients` (dist/tape.js) walks the tape in reverse and keeps every
// intermediate tensor's gradient in a map until the whole backward pass ends, so a step's peak holds the
// saved activations plus one gradient per intermediate tensor: ResNet32 x4 with BN needed 93 MB per image
// on wasm (batch 16: 1,490 MB), and batch 64 overflowed the 4 GB wasm32 memory. In reverse topological
// order a tensor's gradient is complete, and read for the last time, when the node that produced the
// tensor is processed (every consumer came later on the tape), so it can be disposed right there.
//
// Kept: the gradients the pass started from (the caller's `dy` or the engine's ones), and any tensor that
// is still the gradient of another tensor (a gradient function may return its `dy` itself, even for two
// inputs). Saved activations are left to the engine, which frees them after the pass (and keeps them for
// higher-order gradients). The build fails if tape.js no longer has the code this patches, so a tfjs
// upgrade is reviewed, never silently unpatched. Tested in test/unit/engine/tapeMemory.test.ts.
import { readFile } from 'node:fs/promises';

const FUNCTION_START =
  'export function backpropagateGradients(tensorAccumulatedGradientMap, filteredTape, tidy, add) {\n';
const NODE_END = `                curGradient.dispose();
            }
        }
    }
}`;

const RELEASE = `
/** Disposes the gradients of \`node\`'s outputs (read for the last time): wdlab's build patch. */
function releaseOutputGradients(gradients, node, seeds) {
    for (const output of node.outputs) {
        const gradient = gradients[output.id];
        if (gradient == null) continue;
        delete gradients[output.id];
        if (seeds.has(gradient)) continue;
        let shared = false;
        for (const id in gradients) {
            if (gradients[id] === gradient) { shared = true; break; }
        }
        if (!shared) gradient.dispose();
    }
}
`;

export const tfjsTapeReleasesGradients = {
  name: 'tfjs-tape-releases-gradients',
  setup(build) {
    build.onLoad({ filter: /[\\/]@tensorflow[\\/]tfjs-core[\\/]dist[\\/]tape\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(FUNCTION_START) || source.split(NODE_END).length !== 2) {
        throw new Error(
          `${args.path}: backpropagateGradients is not the tfjs-core 4.22 code that ` +
            'scripts/tfjsTapeReleasesGradients.mjs patches; review the patch for this tfjs version',
        );
      }
      const contents = source
        .replace(
          FUNCTION_START,
          `${FUNCTION_START}    const seeds = new Set(Object.values(tensorAccumulatedGradientMap));\n`,
        )
        .replace(
          NODE_END,
          `                curGradient.dispose();
            }
        }
        releaseOutputGradients(tensorAccumulatedGradientMap, node, seeds);
    }
}
${RELEASE}`,
        );
      return { contents, loader: 'js' };
    });
  },
};
