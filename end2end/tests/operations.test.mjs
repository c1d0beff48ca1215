// An operator's live view and an admin's page: readings appear on /monitoring as soon as they
// are stored (Server-Sent Events after hydration), and the admin page hands out an invitation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO_EMAIL, DEMO_PASSWORD, launch, screenshot, signIn, watchedPage } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function apiToken() {
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: DEMO_EMAIL, password: DEMO_PASSWORD }),
  });
  assert.equal(login.status, 200);
  return (await login.json()).access_token;
}

test("a reading stored through the API appears live on the monitoring page", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  // Let the dashboard finish hydrating, then move on the way a person does: by the menu.
  await page.waitForLoadState("networkidle");
  await page.getByRole("link", { name: "Monitoring" }).click();
  await page.waitForURL(`${BASE_URL}/monitoring`);
  const status = page.getByTestId("live-status");
  await page.waitForFunction(
    () => document.querySelector("[data-testid=live-status]")?.textContent.includes("live"),
    null,
    { timeout: 15_000 },
  );
  const token = await apiToken();
  const sent = Date.now();
  const reply = await fetch(`${BASE_URL}/api/v1/readings`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify([
      { node_id: "P03", metric: "pressure", timestamp: new Date().toISOString(), value: 3.456 },
    ]),
  });
  assert.equal(reply.status, 200, await reply.text());
  const feed = page.getByTestId("live-feed");
  await feed.waitFor({ timeout: 5_000 });
  await page.waitForFunction(
    () => document.querySelector("[data-testid=live-feed]")?.textContent.includes("3.46 bar"),
    null,
    { timeout: 5_000 },
  );
  const latency = Date.now() - sent;
  assert.ok(latency < 5_000, `took ${latency} ms`);
  assert.match(await feed.textContent(), /Logger Via Roma 3\.46 bar/);
  assert.match(await status.textContent(), /live/);
  await screenshot(page, "monitoring");
  assert.deepEqual(problems, []);
  await context.close();
});

test("an admin creates an invitation code on the administration page", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.getByRole("link", { name: "Administration" }).click();
  await page.waitForURL(`${BASE_URL}/admin`);
  await page.getByTestId("members").waitFor();
  await page.waitForLoadState("networkidle");
  await page.getByTestId("create-invitation").click();
  const code = page.getByTestId("invitation-code");
  await code.waitFor({ timeout: 10_000 });
  assert.match(await code.textContent(), /Code for a new operator: \S{10,}/);
  await screenshot(page, "admin");
  // The other administration pages load on demand, through the tabs.
  await page.getByRole("link", { name: "Background jobs" }).click();
  await page.waitForURL(`${BASE_URL}/admin/jobs`);
  await page.getByTestId("jobs").waitFor();
  assert.ok((await page.getByTestId("job-row").count()) >= 5, "the jobs are listed");
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.waitForURL(`${BASE_URL}/admin/audit`);
  await page.getByTestId("audit").waitFor();
  await screenshot(page, "admin-audit");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the incidents page lists the detector's open incidents as the API does", async () => {
  const token = await apiToken();
  // Let the detector look at the newest data first (admins may run a job now).
  const run = await fetch(`${BASE_URL}/api/v1/jobs/anomaly_detection/run`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.ok([202, 409].includes(run.status), await run.text());
  // Wait until no run of the detector is in progress, so the page and the API see the same rows.
  for (let i = 0; i < 60; i++) {
    const jobs = await (await fetch(`${BASE_URL}/api/v1/jobs`, { headers: { authorization: `Bearer ${token}` } })).json();
    const detector = jobs.find((j) => j.name === "anomaly_detection");
    assert.ok(detector, "the detector is a registered job");
    if (!detector.runs.some((r) => r.status === "running")) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.waitForLoadState("networkidle");
  await page.getByRole("link", { name: "Incidents", exact: true }).click();
  await page.waitForURL(`${BASE_URL}/anomalies`);
  await page.getByRole("heading", { name: "Incidents" }).waitFor();
  await page.waitForSelector("[data-testid=incidents], [data-testid=no-incidents]", { timeout: 10_000 });
  await page.waitForLoadState("networkidle");
  const api = await fetch(`${BASE_URL}/api/v1/anomalies?status=open`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(api.status, 200);
  const open = await api.json();
  const rows = await page.getByTestId("incident-row").count();
  assert.equal(rows, open.length, "the page shows the API's open incidents");
  if (rows > 0) {
    // An admin may act: every open incident offers Acknowledge.
    assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), rows);
  } else {
    assert.match(await page.getByTestId("no-incidents").textContent(), /every 15 minutes/);
  }
  // The export link downloads the same open incidents as CSV, with the page's own session.
  const href = await page.getByTestId("export-csv").getAttribute("href");
  assert.match(href, /format=csv&limit=1000&status=open&kind=&severity=$/);
  const download = await page.request.get(`${BASE_URL}${href}`);
  assert.equal(download.status(), 200);
  assert.match(download.headers()["content-type"], /^text\/csv/);
  const lines = (await download.text()).trim().split("\n");
  assert.match(lines[0], /^id,kind,severity,status,district,/);
  const ids = new Set(lines.slice(1).map((l) => Number(l.split(",")[0])));
  assert.ok(open.every((o) => ids.has(o.id)), "every open incident of the API is in the file");
  await screenshot(page, "anomalies");

  // Narrowed to any status, one district and the last 24 hours: the page lists what the API
  // lists for the same filters, and the export link carries them.
  const districts = await page.getByTestId("district-filter").locator("option").allTextContents();
  assert.ok(districts.length > 1, `districts offered: ${districts}`);
  const district = districts[1];
  await page.getByTestId("status-filter").selectOption("");
  await page.getByTestId("district-filter").selectOption(district);
  await page.getByTestId("window-filter").selectOption("Last 24 hours");
  await page.waitForFunction(
    (d) => document.querySelector("[data-testid=export-csv]")?.getAttribute("href").includes(d),
    `district=${encodeURIComponent(district)}`,
  );
  await page.waitForLoadState("networkidle");
  const filtered = await page.getByTestId("export-csv").getAttribute("href");
  assert.match(filtered, /&from=\d{4}-\d\d-\d\dT/);
  const narrowed = await (
    await fetch(`${BASE_URL}${filtered.replace("format=csv&", "")}`, { headers: { authorization: `Bearer ${token}` } })
  ).json();
  assert.ok(narrowed.every((i) => i.district === district), "only the district's incidents");
  await page.waitForFunction(
    (n) => document.querySelectorAll("[data-testid=incident-row]").length === n,
    narrowed.length,
    { timeout: 10_000 },
  );
  assert.deepEqual(problems, []);
  await context.close();
});

test("a viewer sees the incidents without actions, and the API refuses them", async () => {
  const admin = await apiToken();
  const invite = await fetch(`${BASE_URL}/api/v1/invitations`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ role: "viewer" }),
  });
  const inviteBody = await invite.text();
  assert.equal(invite.status, 201, inviteBody);
  const { code } = JSON.parse(inviteBody);
  const email = `viewer-${Date.now()}@roccavina.test`;
  const password = "a quiet reservoir at dawn";
  const joined = await fetch(`${BASE_URL}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, display_name: "Viewer", enrolment: { kind: "join", code } }),
  });
  const joinedBody = await joined.text();
  assert.ok([200, 201].includes(joined.status), joinedBody);
  const viewer = JSON.parse(joinedBody).access_token;
  const listed = await fetch(`${BASE_URL}/api/v1/anomalies`, { headers: { authorization: `Bearer ${viewer}` } });
  assert.equal(listed.status, 200);
  const all = await listed.json();
  const target = all.find((i) => i.status !== "resolved");
  if (target) {
    const refused = await fetch(`${BASE_URL}/api/v1/anomalies/${target.id}/acknowledge`, {
      method: "POST",
      headers: { authorization: `Bearer ${viewer}` },
    });
    assert.equal(refused.status, 403);
  }
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page, password, email);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.waitForLoadState("networkidle");
  await page.getByRole("link", { name: "Incidents", exact: true }).click();
  await page.waitForURL(`${BASE_URL}/anomalies`);
  await page.selectOption("[data-testid=status-filter]", "");
  await page.waitForSelector("[data-testid=incidents], [data-testid=no-incidents]", { timeout: 10_000 });
  await page.waitForLoadState("networkidle");
  // The same list as the API gives the viewer now.
  const now = await (await fetch(`${BASE_URL}/api/v1/anomalies`, { headers: { authorization: `Bearer ${viewer}` } })).json();
  assert.equal(await page.getByTestId("incident-row").count(), now.length);
  assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Resolve" }).count(), 0);
  await screenshot(page, "anomalies-viewer");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the diagnostics page is all green for an admin, hydration included", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.waitForLoadState("networkidle");
  await page.getByRole("link", { name: "Diagnostics" }).click();
  await page.waitForURL(`${BASE_URL}/test`);
  await page.getByTestId("diagnostics").waitFor();
  await page.waitForFunction(
    () => document.querySelector("tr[data-check=browser]")?.dataset.status === "ok",
    null,
    { timeout: 10_000 },
  );
  const rows = await page.locator("tr[data-check]").evaluateAll((trs) =>
    trs.map((tr) => [tr.dataset.check, tr.dataset.status]),
  );
  const checks = Object.fromEntries(rows);
  assert.deepEqual(Object.keys(checks), [
    "database", "cache", "sessions", "live events", "warehouse", "scheduler", "browser",
  ]);
  // This server has no BigQuery source: "not configured" is the honest answer, not a failure.
  for (const [name, status] of rows) {
    assert.ok(status === "ok" || (name === "warehouse" && status === "off"), `${name}: ${status}`);
  }
  assert.match(await page.locator("tr[data-check=database]").textContent(), /SQLite; (\d+) of \1 migrations applied/);
  await screenshot(page, "diagnostics");
  assert.deepEqual(problems, []);
  await context.close();
});
