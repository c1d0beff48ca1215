// Waits for the server to answer, then runs every browser test with Node's test runner.
// Used by `scripts/test.sh` and by `cargo leptos end-to-end` (end2end-cmd).
import { spawnSync } from "node:child_process";

const base = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const deadline = Date.now() + 60_000;
for (;;) {
  try {
    const res = await fetch(`${base}/healthz`);
    if (res.ok) break;
  } catch {
    // not up yet
  }
  if (Date.now() > deadline) {
    console.error(`server at ${base} did not answer /healthz within 60 s`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "tests/"], {
  stdio: "inherit",
  env: { ...process.env, BASE_URL: base },
});
process.exit(result.status ?? 1);
