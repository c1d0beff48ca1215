// The network overview: the map draws every located node the REST API lists, with the
// API's statuses; the gauges and the district table show the API's figures; the district
// charts are drawn; each district's demand forecast gives the API's next-day volume and is
// drawn with its band; a node on the map leads to its page; the map zooms to a part of the
// network given in the URL and back.
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

  // The demand forecast of each district with inlet meters: the next day's volume is the
  // REST forecast's first 24 hourly means × 3.6 m³, and the chart draws measured + band.
  const demand = page.getByTestId("district-demand");
  const headers = { authorization: `Bearer ${await apiToken()}` };
  let shown = 0;
  const volumeOf = async (id) => {
    const res = await fetch(`${BASE_URL}/api/v1/districts/${id}/forecast?horizon=24`, { headers });
    if (res.status === 409) return null; // no inlet meter: no demand to forecast
    assert.equal(res.status, 200, await res.clone().text());
    const fc = await res.json();
    return `${(fc.points.reduce((sum, p) => sum + p.value, 0) * 3.6).toFixed(0)} m³`;
  };
  for (const d of api.districts) {
    await demand.getByTestId("demand-district").selectOption(String(d.id));
    // Polled: the hourly refresh may refit the forecast between the page's read and ours.
    let want = await volumeOf(d.id);
    if (want === null) continue;
    let got = "";
    for (let i = 0; i < 40 && got !== want; i += 1) {
      await page.waitForTimeout(500);
      got = (await demand.getByTestId("demand-volume").textContent({ timeout: 20_000 })) ?? "";
      if (got !== want) want = await volumeOf(d.id);
    }
    assert.equal(got, want, `district ${d.name}: next-day volume`);
    const option = await demand
      .locator("[data-testid=echart]")
      .evaluate((el) => JSON.parse(el.getAttribute("data-option")));
    assert.equal(option.series.length, 4, `district ${d.name}: measured, band (2) and mean`);
    assert.ok(option.series[0].data.length >= 48, `district ${d.name}: measured hours`);
    assert.equal(option.series[3].data.length, 48);
    shown += 1;
  }
  assert.ok(shown > 0, "no district of the demo network has a demand forecast");
  await demand.locator(".echart.ready canvas").waitFor({ timeout: 15_000 });
  const demandInk = await inked(page, "[data-testid=district-demand] [data-testid=echart] canvas");
  assert.ok(demandInk.inked > demandInk.total / 100, `demand chart nearly blank: ${demandInk.inked}`);
  await demand.scrollIntoViewIfNeeded();
  await screenshot(page, "overview-demand");

  // A marker is a link to its node's page.
  const target = located[0];
  await page.getByTestId("network-map").locator(`a[href='/nodes/${target.id}'] .map-node`).click();
  await page.waitForURL(`${BASE_URL}/nodes/${target.id}`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  assert.match(await page.getByRole("heading", { level: 1 }).textContent(), new RegExp(target.name));
  assert.deepEqual(problems, []);

  // Loaded whole (server-rendered, then hydrated) rather than reached by a link: hydration
  // matches the server's markup every time (the demand chart's resource once made it depend
  // on which server call finished first).
  for (let i = 0; i < 4; i += 1) {
    await page.goto(`${BASE_URL}/enhanced-overview`, { waitUntil: "networkidle" });
    await page.waitForFunction(() => document.documentElement.hasAttribute("data-hydrated"), null, {
      timeout: 15_000,
    });
    await page.getByTestId("district-demand").locator(".echart.ready canvas").waitFor({ timeout: 15_000 });
    assert.deepEqual(problems, [], `load ${i + 1}`);
  }
  await context.close();
});

test("the map zooms to a part of the network from the URL and goes back to the whole", async () => {
  const api = await overview("range=24h");
  const located = api.nodes.filter((n) => n.lat !== null && n.lon !== null);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [lat, lon] = [median(located.map((n) => n.lat)), median(located.map((n) => n.lon))];
  const south = Math.min(...located.map((n) => n.lat)) - 1e-4;
  const west = Math.min(...located.map((n) => n.lon)) - 1e-4;
  const inside = located.filter((n) => n.lat <= lat && n.lon <= lon);
  assert.ok(inside.length > 0 && inside.length < located.length, `${inside.length} of ${located.length}`);

  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.goto(`${BASE_URL}/enhanced-overview?range=24h&map=${south},${west},${lat},${lon}`);
  const map = page.getByTestId("network-map");
  await map.locator("svg").waitFor({ timeout: 15_000 });
  const markers = map.locator("a[href^='/nodes/']");
  assert.deepEqual(
    (await markers.evaluateAll((as) => as.map((a) => Number(a.getAttribute("href").split("/").pop())))).sort(),
    inside.map((n) => n.id).sort(),
  );
  await screenshot(page, "overview-zoomed");
  await map.locator("a.map-back").click();
  await page.waitForURL(`${BASE_URL}/enhanced-overview?range=24h`);
  await page.waitForFunction(
    (n) => document.querySelectorAll("[data-testid=network-map] a[href^='/nodes/']").length === n,
    located.length,
    { timeout: 15_000 },
  );
  assert.equal(await map.locator("a.map-back").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});
