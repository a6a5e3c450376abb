// A minimal test runner for the extension host: `suite`/`test` register at import time, `runSuites`
// runs them one after another and returns the number of failures.
//
// Not mocha: the root type-check (`tsc -p .`, types: ["node"]) runs in CI before the harness tools are
// installed, so the test files may import only what the root package provides. The output reads
// like node's spec reporter and reaches the CI log through the workbench's automation log.
import { inspect } from 'node:util';

type TestBody = () => unknown;
interface TestCase {
  title: string;
  body: TestBody;
  timeoutMs: number;
}
interface Suite {
  title: string;
  tests: TestCase[];
}

const suites: Suite[] = [];
let current: Suite | undefined;

export function suite(title: string, register: () => void): void {
  const s: Suite = { title, tests: [] };
  suites.push(s);
  const outer = current;
  current = s;
  try {
    register();
  } finally {
    current = outer;
  }
}

/** A test; `timeoutMs` bounds an async body (default 30 s). */
export function test(title: string, body: TestBody, timeoutMs = 30_000): void {
  if (!current) throw new Error(`test "${title}" must be declared inside suite()`);
  current.tests.push({ title, body, timeoutMs });
}

function withTimeout(body: TestBody, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve().then(body), timeout]).finally(() => clearTimeout(timer));
}

export async function runSuites(log: (line: string) => void = console.log): Promise<number> {
  const started = Date.now();
  let passed = 0;
  const failures: { name: string; error: unknown }[] = [];
  for (const s of suites) {
    log(`▶ ${s.title}`);
    for (const t of s.tests) {
      const t0 = Date.now();
      try {
        await withTimeout(t.body, t.timeoutMs);
        passed++;
        log(`  ✔ ${t.title} (${Date.now() - t0} ms)`);
      } catch (error) {
        failures.push({ name: `${s.title} › ${t.title}`, error });
        log(`  ✖ ${t.title} (${Date.now() - t0} ms)`);
        log(indent(describe(error)));
      }
    }
  }
  log(
    `ℹ tests ${passed + failures.length}, pass ${passed}, fail ${failures.length} (${Date.now() - started} ms)`,
  );
  for (const f of failures) log(`✖ failed: ${f.name}`);
  return failures.length;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : inspect(error);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
