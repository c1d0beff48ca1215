// The dashboard over a period: the ribbon shows the REST API's figures, the range picker
// lives in the URL and every widget follows it, the flow chart is drawn; and the page's
// largest contentful paint is measured (written to end2end/results/, reported in
// BENCHMARKS.md; a measurement, not a pass/fail timer).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BASE_URL, apiToken, inked, launch, screenshot, signIn, watchedPage } from "./browser.mjs";

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results");

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function period(query) {
  const res = await fetch(`${BASE_URL}/api/v1/dashboard/period?${query}`, {
    headers: { authorization: `Bearer ${await apiToken()}` },
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

const chartOption = (page) =>
  page.evaluate(() => JSON.parse(document.querySelector("[data-testid=echart]").getAttribute("data-option")));

test("the dashboard's period follows the URL, with the API's figures and a drawn chart", async () => {
  const { page, problems, context } = await watchedPage(browser);
  // The simulator may store a reading, or the hour may turn, while the page loads: the page
  // matches the API's figures from just before or just after.
  const day = [await period("range=24h")];
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.getByTestId("kpi-reporting-value").waitFor();
  day.push(await period("range=24h"));
  const reporting = await page.getByTestId("kpi-reporting-value").textContent();
  const pressure = await page.getByTestId("kpi-avg-pressure-value").textContent();
  const quality = await page.getByTestId("kpi-quality").textContent();
  day.push(await period("range=24h"));
  assert.ok(day.some((d) => String(d.nodes_reporting.current) === reporting), `page ${reporting}`);
  assert.ok(
    day.some((d) => `${d.mean_pressure_bar.current.toFixed(2)} bar` === pressure),
    `page ${pressure}, API ${day.map((d) => d.mean_pressure_bar.current)}`,
  );
  // The data quality card: the period's daily reports, or, in the hours before the newest
  // day's report is made (06:00 UTC), the latest report with its day.
  const qualityText = (d) => {
    if (d.quality_score.current != null) return `${d.quality_score.current.toFixed(0)} / 100`;
    if (d.quality_latest) return `${d.quality_latest.score.toFixed(0)} / 100latest report, ${d.quality_latest.day}`;
    return "—no daily report yet";
  };
  assert.ok(
    day.some((d) => quality.replace("Data quality score", "").startsWith(qualityText(d))),
    `page ${quality}, API ${day.map(qualityText)}`,
  );
  // The picker says which period is shown.
  const picker = page.getByTestId("period-picker");
  assert.equal(await picker.getByRole("link", { name: "24 hours" }).getAttribute("aria-current"), "page");

  // ECharts draws the flow chart from the server's option: inflow, previous period, pressure.
  await page.locator("[data-testid=echart] canvas").first().waitFor({ timeout: 15_000 });
  const option = await chartOption(page);
  assert.deepEqual(option.series.map((s) => s.name), ["Inflow", "Inflow, previous period", "Mean pressure"]);
  assert.ok(day.some((d) => d.inflow.length === option.series[0].data.length));
  const first = await inked(page);
  assert.ok(first.inked > first.total / 100, `canvas nearly blank: ${first.inked} of ${first.total}`);
  await screenshot(page, "dashboard");

  // Seven days: the URL carries it, the figures and the chart follow.
  await picker.getByRole("link", { name: "7 days" }).click();
  await page.waitForURL(/\?range=7d$/);
  await page.waitForFunction(
    (n) => JSON.parse(document.querySelector("[data-testid=echart]").getAttribute("data-option")).series[0].data.length !== n,
    option.series[0].data.length,
    { timeout: 10_000 },
  );
  const week = await period("range=7d");
  const weekOption = await chartOption(page);
  assert.ok(
    Math.abs(weekOption.series[0].data.length - week.inflow.length) <= 1,
    `chart ${weekOption.series[0].data.length} points, API ${week.inflow.length}`,
  );
  assert.ok(week.inflow.length > day[0].inflow.length, "a week holds more hours than a day");
  assert.equal(await picker.getByRole("link", { name: "7 days" }).getAttribute("aria-current"), "page");
  assert.equal(await picker.getByRole("link", { name: "24 hours" }).getAttribute("aria-current"), null);
  await page.waitForFunction(
    (before) => document.querySelector("[data-testid=echart] canvas").toDataURL() !== before,
    first.png,
    { timeout: 10_000 },
  );
  const second = await inked(page);
  assert.ok(second.inked > second.total / 100, `canvas nearly blank: ${second.inked} of ${second.total}`);
  await screenshot(page, "dashboard-7d");

  // A custom period of whole hours chosen by hand: yesterday 06:00 until today 06:00 (the
  // tenant's local time; dates of the browser).
  const iso = (d) => d.toISOString().slice(0, 10);
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86_400_000);
  const form = page.getByTestId("custom-range");
  await form.locator("input[name=from]").fill(`${iso(yesterday)}T06:00`);
  await form.locator("input[name=to]").fill(`${iso(today)}T06:00`);
  await form.getByRole("button", { name: "Show" }).click();
  const query = `from=${iso(yesterday)}T06%3A00&to=${iso(today)}T06%3A00`;
  await page.waitForURL(new RegExp(query));
  await page.getByTestId("kpi-reporting-value").waitFor();
  const custom = await period(query);
  // A day of local hours: 24 of them, or 23/25 across a change of summer time.
  const hours = (Date.parse(custom.to) - Date.parse(custom.from)) / 3_600_000;
  assert.ok([23, 24, 25].includes(hours), `${custom.from} – ${custom.to}`);
  const minute = (t) => `${t.slice(0, 10)} ${t.slice(11, 16)} UTC`;
  const bounds = await page.getByTestId("period-bounds").textContent();
  assert.ok(bounds.includes(`${minute(custom.from)} to ${minute(custom.to)}`), bounds);
  assert.equal(await form.locator("input[name=from]").inputValue(), `${iso(yesterday)}T06:00`, "the form keeps the period");
  assert.equal(await picker.locator("[aria-current=page]").count(), 0, "no preset is current");
  assert.deepEqual(problems, []);
  await context.close();
});

test("largest contentful paint of the dashboard (measured)", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  const samples = [];
  for (let i = 0; i < 5; i += 1) {
    await page.goto(`${BASE_URL}/?range=24h`, { waitUntil: "load" });
    const lcp = await page.evaluate(
      () =>
        new Promise((resolve) => {
          new PerformanceObserver((list) => {
            const entries = list.getEntries();
            resolve(entries[entries.length - 1].startTime);
          }).observe({ type: "largest-contentful-paint", buffered: true });
        }),
    );
    samples.push(lcp);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    path.join(RESULTS, "lcp.json"),
    JSON.stringify({ page: "/?range=24h", samples_ms: samples, median_ms: median, at: new Date().toISOString() }, null, 2),
  );
  console.log(`dashboard LCP median ${median.toFixed(0)} ms (samples ${samples.map((s) => s.toFixed(0)).join(", ")})`);
  assert.ok(samples.every((s) => s > 0), "every navigation painted");
  assert.deepEqual(problems, []);
  await context.close();
});

test("recent incidents follow the API, and the theme button switches and is remembered", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  const recent = page.getByTestId("recent-incidents");
  await recent.waitFor();
  const res = await fetch(`${BASE_URL}/api/v1/anomalies?limit=5`, {
    headers: { authorization: `Bearer ${await apiToken()}` },
  });
  const incidents = await res.json();
  if (incidents.length === 0) {
    await recent.getByTestId("recent-empty").waitFor();
  } else {
    assert.equal(await recent.getByTestId("recent-incident").count(), incidents.length);
  }

  // Headless Chromium prefers light: the button turns the page dark, and back.
  const look = () =>
    page.evaluate(() => ({
      theme: document.documentElement.getAttribute("data-theme"),
      background: getComputedStyle(document.body).backgroundColor,
    }));
  const light = await look();
  assert.equal(light.theme, null, "no choice made yet: the system's theme");
  await page.getByTestId("theme-toggle").click();
  const dark = await look();
  assert.equal(dark.theme, "dark");
  assert.notEqual(dark.background, light.background, "the page turned dark");
  await page.locator("[data-testid=echart] canvas").first().waitFor({ timeout: 15_000 });
  await screenshot(page, "dashboard-dark");
  // Remembered across a reload, applied before the page hydrates.
  await page.reload({ waitUntil: "load" });
  assert.deepEqual(await look(), dark);
  await page.getByTestId("theme-toggle").click();
  const back = await look();
  assert.equal(back.theme, "light");
  assert.equal(back.background, light.background);
  assert.deepEqual(problems, []);
  await context.close();
});
