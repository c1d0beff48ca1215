// The node page: reached from the dashboard's node table, it draws the node's history from
// the same numbers the REST API gives, the forecast band after it, and follows the range
// picker through the URL.
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

async function api(path) {
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: DEMO_EMAIL, password: DEMO_PASSWORD }),
  });
  assert.equal(login.status, 200);
  const token = (await login.json()).access_token;
  const res = await fetch(`${BASE_URL}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

test("the node page charts the history and the forecast band, and its range follows the URL", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.waitForLoadState("networkidle");
  const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  const from = new Date(to.getTime() - 24 * 3_600_000);
  const readings = (id) =>
    api(`/api/v1/nodes/${id}/readings?metric=flow_rate&from=${from.toISOString()}&to=${to.toISOString()}&max_points=500`);
  const summary = await api("/api/v1/dashboard/summary");
  const f01 = summary.nodes.find((n) => n.external_id === "F01");
  // The simulator stores a new reading every 15 minutes: the page must match the API just
  // before or just after it was drawn.
  const before = await readings(f01.id);
  await page.locator("tr[data-node=F01] a").click();
  await page.waitForURL(/\/nodes\/\d+$/);
  const id = Number(new URL(page.url()).pathname.split("/").pop());
  await page.getByTestId("node-chart").waitFor();
  assert.match(await page.getByTestId("node-title").textContent(), /^F01 · /);

  // The history drawn is the API's series for the same range (the count of readings too).
  const chart = page.getByTestId("node-chart");
  const drawn = Number(await chart.getAttribute("data-history-points"));
  const line = await page.getByTestId("history-line").getAttribute("points");
  assert.equal(line.trim().split(/\s+/).length, drawn);
  assert.ok(drawn >= 90, `only ${drawn} points for 24 h of 15-minute data`);
  const count = Number(await page.getByTestId("stat-count").textContent());
  const after = await readings(id);
  assert.equal(id, f01.id);
  assert.ok(
    [before.stats.count, after.stats.count].includes(count),
    `page ${count} readings, API ${before.stats.count} / ${after.stats.count}`,
  );
  assert.ok([before.points.length, after.points.length].includes(drawn));

  // The forecast band: 48 hours, as the forecast API gives them.
  const forecast = await api(`/api/v1/forecasts/${id}/flow_rate?horizon=48`);
  assert.equal(Number(await chart.getAttribute("data-forecast-points")), forecast.points.length);
  assert.equal(forecast.points.length, 48);
  const band = await page.getByTestId("forecast-band").getAttribute("points");
  assert.equal(band.trim().split(/\s+/).length, 96, "upper and lower bound of each hour");
  assert.match(await page.getByTestId("forecast-note").textContent(), /95 % interval/);
  await screenshot(page, "node");

  // A longer range through the picker: the URL carries it and the chart reads hourly rollups.
  await page.getByTestId("range-picker").getByRole("link", { name: "7 days" }).click();
  await page.waitForURL(/range=7d/);
  await page.waitForFunction(
    () => document.querySelector("[data-testid=series-stats]")?.textContent.includes("hourly"),
    null,
    { timeout: 10_000 },
  );
  await page.waitForLoadState("networkidle");
  assert.deepEqual(problems, []);
  await context.close();
});
