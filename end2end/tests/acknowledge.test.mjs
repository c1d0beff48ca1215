// The incident lifecycle on a detection that is certain to happen: a new utility imports two
// days of its three pressure loggers, one of which has been stuck for the last four hours;
// the detector, run through the API, opens a stuck-sensor incident on it. An operator of that
// utility acknowledges it with a comment on the incident page; a viewer of the same utility
// sees it without the actions, and the API refuses them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, api, launch, screenshot, signIn, watchedPage } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function ok(method, path, token, body, contentType) {
  const r = await api(method, path, token, body, contentType);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.body;
}

/** Registers `email` into the tenant of `code` with its role; returns the access token. */
async function join(code, email, password) {
  const res = await fetch(`${BASE_URL}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, display_name: email.split("@")[0], enrolment: { kind: "join", code } }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return JSON.parse(text).access_token;
}

test("an operator acknowledges a detected stuck sensor; a viewer may not", async () => {
  const suffix = Date.now().toString(36);
  const reg = await fetch(`${BASE_URL}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      email: `bruna-${suffix}@acquasud.example`,
      password: "basalt-cistern-82",
      display_name: "Bruna",
      enrolment: { kind: "create_tenant", tenant_name: `Acqua Sud ${suffix}` },
    }),
  });
  assert.equal(reg.status, 201, await reg.clone().text());
  const admin = (await reg.json()).access_token;
  await ok(
    "POST",
    "/api/v1/nodes",
    admin,
    "node_id,name,kind,lat,lon,district\n" +
      ["S1", "S2", "S3"].map((n, i) => `${n},Logger ${n},pressure,39.2${i},9.1${i},Sud`).join("\n") +
      "\n",
    "text/csv",
  );
  // Two days on the 15-minute grid up to the last whole quarter hour: a daily cycle per
  // logger with a small irregular wiggle; S2 repeats one value for the last 16 steps.
  const step = 15 * 60_000;
  const end = Math.floor(Date.now() / step) * step;
  const steps = 2 * 96;
  const stuckFrom = steps - 16;
  let csv = "timestamp,node_id,metric,value\n";
  ["S1", "S2", "S3"].forEach((node, i) => {
    let stuck;
    for (let k = 0; k < steps; k++) {
      const t = end - (steps - 1 - k) * step;
      const hour = (t / 3_600_000) % 24;
      let value = 3.2 + 0.1 * i - 0.35 * Math.sin((2 * Math.PI * (hour - 3)) / 24) + 0.004 * (((k * 37 + i * 11) % 9) - 4);
      if (node === "S2" && k >= stuckFrom) value = stuck ??= value;
      csv += `${new Date(t).toISOString()},${node},pressure,${value.toFixed(4)}\n`;
    }
  });
  const imported = await ok("POST", "/api/v1/readings", admin, csv, "text/csv");
  assert.equal(imported.inserted, 3 * steps, JSON.stringify(imported));

  const run = await api("POST", "/api/v1/jobs/anomaly_detection/run", admin);
  assert.ok([200, 202].includes(run.status), run.text);
  let incident;
  for (let i = 0; i < 120 && !incident; i++) {
    const open = await ok("GET", "/api/v1/anomalies?status=open&kind=sensor_stuck", admin);
    incident = open.find((o) => o.affected.some((a) => a.external_id === "S2"));
    if (!incident) await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(incident, "the detector opened a stuck-sensor incident on S2");
  assert.deepEqual(
    incident.affected.map((a) => a.external_id),
    ["S2"],
    "only the stuck logger is named",
  );

  const { code: operatorCode } = await ok("POST", "/api/v1/invitations", admin, { role: "operator" });
  const { code: viewerCode } = await ok("POST", "/api/v1/invitations", admin, { role: "viewer" });
  const operatorEmail = `operator-${suffix}@acquasud.example`;
  const viewerEmail = `viewer-${suffix}@acquasud.example`;
  const password = "a long dry summer in the south";
  await join(operatorCode, operatorEmail, password);
  const viewer = await join(viewerCode, viewerEmail, password);

  // The viewer: refused by the API, no actions on the page.
  const refused = await api("POST", `/api/v1/anomalies/${incident.id}/acknowledge`, viewer, {});
  assert.equal(refused.status, 403, refused.text);
  {
    const { page, problems, context } = await watchedPage(browser);
    await signIn(page, password, viewerEmail);
    await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
    await page.goto(`${BASE_URL}/anomalies/${incident.id}`, { waitUntil: "networkidle" });
    await page.getByTestId("incident-title").waitFor();
    assert.equal(await page.getByTestId("incident-actions").count(), 0);
    assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  }

  // The operator acknowledges with a comment on the incident page.
  const { page, problems, context } = await watchedPage(browser);
  await signIn(page, password, operatorEmail);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.goto(`${BASE_URL}/anomalies/${incident.id}`, { waitUntil: "networkidle" });
  await page.getByTestId("incident-actions").waitFor();
  await page.waitForTimeout(1_000); // hydration, before the form is used
  assert.match(await page.getByTestId("incident-title").textContent(), /Stuck sensor/);
  await page.locator("#incident-comment").fill("Logger S2 frozen: crew sent to replace the battery");
  await page.getByRole("button", { name: "Acknowledge" }).click();
  await page.getByTestId("incident-comment").waitFor({ timeout: 10_000 });
  assert.match(await page.getByTestId("incident-lifecycle").textContent(), /acknowledged .* by operator-/);
  assert.match(await page.getByTestId("incident-comment").textContent(), /crew sent to replace the battery/);
  assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), 0, "no second acknowledgement");
  // The page drew itself again with the new status: each sensor's chart is still there.
  await page.waitForFunction(
    () => {
      const charts = [...document.querySelectorAll("[data-testid=incident-sensor] .echart")];
      return charts.length > 0 && charts.every((e) => e.getBoundingClientRect().height > 100);
    },
    null,
    { timeout: 5_000 },
  );
  await screenshot(page, "incident-acknowledged");
  assert.deepEqual(problems, []);
  await context.close();

  // The API agrees, and the audit log names the operator.
  const after = await ok("GET", `/api/v1/anomalies/${incident.id}`, admin);
  assert.equal(after.status, "acknowledged");
  assert.equal(after.acknowledged_by, operatorEmail.split("@")[0]);
  assert.match(after.comment, /crew sent to replace the battery/);
  const entries = await ok("GET", "/api/v1/audit?limit=50", admin);
  assert.ok(
    entries.some((e) => e.action === "incident.acknowledge" && e.actor === operatorEmail),
    JSON.stringify(entries.slice(0, 5)),
  );
});
