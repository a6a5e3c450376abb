// Test helper: polls `probe` every 50 ms until it returns something other than undefined or false (a
// throw counts as "not yet"), or fails after `timeoutMs` naming what it waited for.
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const v = probe();
      if (v !== undefined && v !== false) return v;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
