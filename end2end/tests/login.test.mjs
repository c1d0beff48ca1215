// What a person does first: sign in (wrongly, then rightly) and read the dashboard.
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

test("anonymous visitors are sent to the login page", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await page.goto(`${BASE_URL}/`, { waitUntil: "networkidle" });
  assert.match(page.url(), /\/auth\/login\?next=\//);
  await screenshot(page, "login");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a wrong password shows an error and stays on the login page", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page, "definitely-wrong");
  const error = page.getByTestId("login-error");
  await error.waitFor({ timeout: 10_000 });
  assert.equal((await error.textContent()).trim(), "Wrong email or password.");
  assert.match(page.url(), /\/auth\/login/);
  await screenshot(page, "login-error");
  // The failed server-function call logs a 401 in the console; anything else is a defect.
  assert.deepEqual(problems.filter((p) => !p.includes("401")), []);
  await context.close();
});

test("the right password lands on the dashboard with the stored numbers", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.getByTestId("node-table").waitFor();

  // The same numbers the REST API gives an integrator.
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: DEMO_EMAIL, password: DEMO_PASSWORD }),
  });
  assert.equal(login.status, 200);
  const { access_token } = await login.json();
  const api = await (
    await fetch(`${BASE_URL}/api/v1/dashboard/summary`, {
      headers: { authorization: `Bearer ${access_token}` },
    })
  ).json();

  assert.equal(await page.getByTestId("kpi-nodes").textContent(), String(api.node_count));
  const rows = await page.locator("[data-testid=node-table] tbody tr").evaluateAll((trs) =>
    trs.map((tr) => tr.getAttribute("data-node")),
  );
  assert.deepEqual(rows, api.nodes.map((n) => n.external_id));
  assert.ok(rows.includes("F01") && rows.includes("T01"), `seeded nodes missing: ${rows}`);
  const f01Flow = await page.locator("tr[data-node=F01] td[data-metric=flow_rate]").textContent();
  assert.match(f01Flow.trim(), /^\d+\.\d L\/s$/);
  // The tank shows its level; the flow meter has none.
  assert.ok(api.nodes.find((n) => n.external_id === "T01").level, "the API gives the tank's level");
  const t01Level = await page.locator("tr[data-node=T01] td[data-metric=level]").textContent();
  assert.match(t01Level.trim(), /^\d+\.\d m$/);
  assert.equal((await page.locator("tr[data-node=F01] td[data-metric=level]").textContent()).trim(), "—");
  assert.equal(await page.getByTestId("tenant-name").textContent(), "Roccavina Demo · Cagliari");
  await screenshot(page, "dashboard");
  assert.deepEqual(problems, []);
  await context.close();
});

test("refresh calls a server function and updates the page without reloading it", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.waitForLoadState("networkidle");
  const count = page.getByTestId("kpi-readings");
  const before = Number(await count.textContent());
  // A full reload would wipe this marker.
  await page.evaluate(() => {
    window.__roccavinaMarker = 42;
  });
  let navigations = 0;
  page.on("framenavigated", () => navigations++);
  // A new reading arrives meanwhile: it drops the cached summary, so the refresh shows it.
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: DEMO_EMAIL, password: DEMO_PASSWORD }),
  });
  const { access_token } = await login.json();
  const stored = await fetch(`${BASE_URL}/api/v1/readings`, {
    method: "POST",
    headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
    body: JSON.stringify([
      { node_id: "P02", metric: "pressure", timestamp: new Date().toISOString(), value: 3.21 },
    ]),
  });
  assert.equal(stored.status, 200);
  const serverCall = page.waitForResponse((r) => r.url().includes("/api/get_summary"));
  await page.getByTestId("refresh").click();
  const response = await serverCall;
  assert.equal(response.status(), 200);
  await page.waitForFunction(
    (old) => Number(document.querySelector("[data-testid=kpi-readings]")?.textContent) > old,
    before,
  );
  assert.equal(await page.evaluate(() => window.__roccavinaMarker), 42);
  assert.equal(navigations, 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("sign out ends the session", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.waitForLoadState("networkidle");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/auth\/login/, { timeout: 10_000 });
  await page.goto(`${BASE_URL}/`, { waitUntil: "networkidle" });
  assert.match(page.url(), /\/auth\/login/);
  assert.deepEqual(problems, []);
  await context.close();
});
