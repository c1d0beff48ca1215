// The network overview: the map draws every located node the REST API lists, with the
// API's statuses; the gauges and the district table show the API's figures; the district
// charts are drawn; a node on the map leads to its page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, apiToken, inked, launch, screenshot, signIn, watchedPage } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function overview(query) {
  const res = await fetch(`${BASE_URL}/api/v1/network/overview?${query}`, {
    headers: { authorization: `Bearer ${await apiToken()}` },
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

/** Runs the network efficiency job now (as the demo admin) and waits for it to finish. */
async function runEfficiencyJob() {
  const headers = { authorization: `Bearer ${await apiToken()}` };
  const res = await fetch(`${BASE_URL}/api/v1/jobs/network_efficiency/run`, { method: "POST", headers });
  const text = await res.text();
  assert.ok([200, 202].includes(res.status), text);
  const { run_id } = JSON.parse(text);
  for (let i = 0; i < 60; i += 1) {
    const jobs = await (await fetch(`${BASE_URL}/api/v1/jobs`, { headers })).json();
    const run = jobs.flatMap((j) => j.runs).find((r) => r.id === run_id);
    if (run && run.status !== "running") {
      assert.equal(run.status, "succeeded", JSON.stringify(run));
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail("the efficiency job did not finish in 30 s");
}

test("the network overview draws the API's nodes, districts and health, and links to nodes", async () => {
  // The district charts draw the efficiency job's daily rows: have them computed now.
  await runEfficiencyJob();
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.getByRole("link", { name: "Network", exact: true }).click();
  await page.waitForURL(`${BASE_URL}/enhanced-overview`);
  await page.getByTestId("network-map").locator("svg").waitFor({ timeout: 15_000 });
  const api = await overview("range=24h");

  // One marker per located node, each with the API's status.
  const located = api.nodes.filter((n) => n.lat !== null && n.lon !== null);
  assert.ok(located.length > 0, "the demo network has positions");
  const markers = page.getByTestId("network-map").locator("a[href^='/nodes/']");
  assert.equal(await markers.count(), located.length);
  const drawn = await markers.evaluateAll((as) =>
    Object.fromEntries(as.map((a) => [a.getAttribute("href").split("/").pop(), a.getAttribute("data-status")])),
  );
  for (const n of located) assert.equal(drawn[String(n.id)], n.status, `node ${n.external_id}`);
  // The legend counts agree with the API.
  for (const status of ["incident", "fault", "stale", "normal"]) {
    const text = await page.getByTestId("map-legend").locator(`li[data-status=${status}]`).textContent();
    const count = api.nodes.filter((n) => n.status === status).length;
    assert.match(text, new RegExp(`\\(${count}\\)$`), `${status}: ${text}`);
  }

  // Gauges and districts: the API's figures.
  assert.equal(
    await page.getByTestId("gauge-online-value").textContent(),
    `${api.health.sensors_online} / ${api.health.sensors_total}`,
  );
  assert.equal(await page.getByTestId("gauge-critical-value").textContent(), String(api.health.open_critical));
  const rows = page.getByTestId("district-table").locator("tbody tr");
  assert.deepEqual(
    await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-district"))),
    api.districts.map((d) => d.name),
  );
  const first = api.districts[0];
  assert.equal(
    (await rows.first().locator("td").first().textContent()).trim(),
    `${first.online} / ${first.nodes}`,
  );

  // The three district charts are drawn by ECharts, one line per district with figures.
  const perf = page.getByTestId("network-performance");
  await perf.locator(".echart.ready canvas").nth(2).waitFor({ timeout: 15_000 });
  const pressure = await perf
    .locator("[data-testid=echart]")
    .first()
    .evaluate((el) => JSON.parse(el.getAttribute("data-option")));
  const withPressure = new Set(
    api.days.filter((d) => d.avg_pressure_bar !== null).map((d) => d.district ?? "Whole network"),
  );
  assert.deepEqual(new Set(pressure.series.map((s) => s.name)), withPressure);
  const ink = await inked(page, "[data-testid=network-performance] [data-testid=echart] canvas");
  assert.ok(ink.inked > ink.total / 100, `pressure chart nearly blank: ${ink.inked} of ${ink.total}`);
  await screenshot(page, "overview");

  // A marker is a link to its node's page.
  const target = located[0];
  await page.getByTestId("network-map").locator(`a[href='/nodes/${target.id}'] .map-node`).click();
  await page.waitForURL(`${BASE_URL}/nodes/${target.id}`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  assert.match(await page.getByRole("heading", { level: 1 }).textContent(), new RegExp(target.name));
  assert.deepEqual(problems, []);
  await context.close();
});
