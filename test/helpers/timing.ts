// Python's assertTimeout (lock_tests.py), in the only direction that is safe on a loaded machine:
// the wait really lasted its timeout (a few ms of slack for clock granularity), and it did end
// (a generous upper bound that only an endless wait can exceed).
import assert from "node:assert/strict";

export function assertWaited(actualMs: number, expectedMs: number): void {
  assert.ok(actualMs >= expectedMs - 5, `waited ${actualMs.toFixed(1)} ms, expected at least ${expectedMs} ms`);
  assert.ok(actualMs < expectedMs * 10 + 10_000, `waited ${actualMs.toFixed(1)} ms for a ${expectedMs} ms timeout`);
}
