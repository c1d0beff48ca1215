// The node page: reached from the dashboard's node table, it draws the node's history from
// the same numbers the REST API gives, the forecast band after it, and follows the range
// picker through the URL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO_EMAIL, DEMO_PASSWORD, inked, launch, screenshot, signIn, watchedPage } from "./browser.mjs";

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
  // The page's range ends at the next full hour; the window is taken when each call is made,
  // so an hour that turns while the page loads is the window of one of the two calls.
  const readings = (id) => {
    const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
    const from = new Date(to.getTime() - 24 * 3_600_000);
    return api(`/api/v1/nodes/${id}/readings?metric=flow_rate&from=${from.toISOString()}&to=${to.toISOString()}&max_points=500`);
  };
  const summary = await api("/api/v1/dashboard/summary");
  const f01 = summary.nodes.find((n) => n.external_id === "F01");
  // The simulator stores a new reading every 5 minutes: the page must match the API just
  // before or just after it was drawn.
  const before = await readings(f01.id);
  await page.locator("tr[data-node=F01] a").click();
  await page.waitForURL(/\/nodes\/\d+$/);
  const id = Number(new URL(page.url()).pathname.split("/").pop());
  // A page built in the browser lets ECharts draw at once; the SVG chart is the server's
  // first paint (and the picture without JavaScript), so load the page itself to read it.
  await page.reload();
  // (The server-rendered SVG is hidden once ECharts has drawn: attached, not visible.)
  await page.getByTestId("node-chart").waitFor({ state: "attached" });
  assert.match(await page.getByTestId("node-title").textContent(), /^F01 · /);

  // The history drawn is the API's series for the same range (the count of readings too).
  const chart = page.getByTestId("node-chart");
  const drawn = Number(await chart.getAttribute("data-history-points"));
  const line = await page.getByTestId("history-line").getAttribute("points");
  assert.equal(line.trim().split(/\s+/).length, drawn);
  assert.ok(drawn >= 90, `only ${drawn} points for 24 h of 5-minute data`);
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

  // ECharts draws the same series (its option comes from the server) on a canvas that is
  // not blank, with the forecast as a band (lower bound + width, stacked) and its mean.
  const canvas = page.locator("[data-testid=echart] canvas").first();
  await canvas.waitFor({ timeout: 15_000 });
  const option = JSON.parse(await page.getByTestId("echart").getAttribute("data-option"));
  assert.equal(option.series[0].data.length, drawn);
  assert.equal(option.series.length, 4);
  assert.equal(option.series[1].stack, option.series[2].stack);
  assert.equal(option.series[3].data.length, 48);
  assert.match(option.yAxis[0]?.name ?? option.yAxis.name, /\(L\/s\)$/);
  const first = await inked(page);
  assert.ok(first.inked > first.total / 100, `canvas nearly blank: ${first.inked} of ${first.total}`);
  // The tooltip over the forecast: its value and the interval as one line, rounded, as the
  // forecast API gives them (never below zero for a flow that never was).
  const tip = await page.evaluate(async () => {
    const el = document.querySelector("[data-testid=echart]");
    const chart = window.echarts.getInstanceByDom(el);
    chart.dispatchAction({ type: "showTip", seriesIndex: 3, dataIndex: 10 });
    await new Promise((r) => setTimeout(r, 300));
    return el.innerText;
  });
  const low = forecast.points[10].lower;
  assert.ok(low >= 0, `negative lower bound ${low}`);
  assert.match(tip, /Forecast \d[\d,.]*/);
  assert.match(tip, /95 % interval \d[\d,.]* – \d[\d,.]*/);
  assert.doesNotMatch(tip, /lower bound|width|\.\d{4}/, tip);
  // Zoom with the mouse wheel over the plot; export as PNG.
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -600);
  await page.waitForFunction(() => {
    const zoom = window.echarts.getInstanceByDom(document.querySelector("[data-testid=echart]")).getOption().dataZoom[0];
    return zoom.end - zoom.start < 100;
  });
  const png = await page.evaluate(() =>
    window.echarts.getInstanceByDom(document.querySelector("[data-testid=echart]")).getDataURL({ type: "png" }),
  );
  assert.match(png, /^data:image\/png;base64,/);
  assert.ok(option.toolbox?.feature?.saveAsImage ?? option.toolbox[0].feature.saveAsImage);
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
  // The chart follows: a new option, drawn anew (different pixels, still not blank).
  await page.waitForFunction(
    (n) => JSON.parse(document.querySelector("[data-testid=echart]").getAttribute("data-option")).series[0].data.length !== n,
    drawn,
    { timeout: 10_000 },
  );
  await page.waitForFunction(
    (before) => document.querySelector("[data-testid=echart] canvas").toDataURL() !== before,
    first.png,
    { timeout: 10_000 },
  );
  const second = await inked(page);
  assert.ok(second.inked > second.total / 100, `canvas nearly blank: ${second.inked} of ${second.total}`);
  await screenshot(page, "node-7d");
  assert.deepEqual(problems, []);
  await context.close();
});
