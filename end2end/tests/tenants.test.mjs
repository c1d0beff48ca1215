// A person in two tenants: another utility invites the demo administrator, who joins with
// the code on the account page, switches tenant in the header and sees that utility's own
// data (as the REST API gives it for that tenant), with the role held there; then back, and
// leaves that tenant again from the account page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, api, apiToken, launch, screenshot, signIn, watchedPage } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function call(method, path, token, body, contentType = "application/json", tenant) {
  const r = await api(method, path, token, body, contentType, tenant);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.body;
}

test("joining a second tenant with a code, switching to it shows its data and role", async () => {
  // Another utility, with one flow meter that has just reported.
  const suffix = Date.now().toString(36);
  const reg = await fetch(`${BASE_URL}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      email: `ada-${suffix}@acquanord.example`,
      password: "granite-lagoon-47",
      display_name: "Ada",
      enrolment: { kind: "create_tenant", tenant_name: `Acqua Nord ${suffix}` },
    }),
  });
  assert.equal(reg.status, 201, await reg.clone().text());
  const registered = await reg.json();
  const ada = registered.access_token;
  const other = registered.user.tenant;
  await call("POST", "/api/v1/nodes", ada, "node_id,name,kind,lat,lon,district\nNX1,Nord inlet,flow,45.1,9.2,Nord\n", "text/csv");
  const now = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  await call("POST", "/api/v1/readings", ada, [
    { node_id: "NX1", metric: "flow_rate", timestamp: now, value: 12.5 },
    { node_id: "NX1", metric: "pressure", timestamp: now, value: 3.25 },
  ]);
  const { code } = await call("POST", "/api/v1/invitations", ada, { role: "viewer" });

  const { page, problems, context } = await watchedPage(browser);
  await signIn(page);
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  // The account page: one tenant, then the code.
  await page.getByTestId("user-email").click();
  await page.waitForURL(`${BASE_URL}/account`);
  await page.getByTestId("memberships").waitFor();
  await page.waitForTimeout(1_000); // hydration, before the form is used
  assert.equal(await page.locator("[data-testid=memberships] tbody tr").count(), 1);
  await page.getByTestId("join-code").fill(code);
  await page.getByRole("button", { name: "Join" }).click();
  const result = page.getByTestId("join-result");
  await result.waitFor({ timeout: 10_000 });
  assert.match(await result.textContent(), new RegExp(`You joined ${other.name} as viewer`));
  await page.locator(`[data-testid=memberships] tr[data-tenant="${other.slug}"]`).waitFor();
  await screenshot(page, "account");

  // The header now offers the switch; the other tenant's dashboard is its own.
  await page.goto(`${BASE_URL}/`, { waitUntil: "networkidle" });
  await page.waitForTimeout(1_000);
  await page.getByTestId("tenant-select").selectOption(String(other.id));
  await page.getByRole("button", { name: "Switch" }).click();
  await page.locator("[data-testid=node-table] tr[data-node=NX1]").waitFor({ timeout: 15_000 });
  const demo = await apiToken();
  const theirs = await call("GET", "/api/v1/dashboard/summary", demo, undefined, undefined, other.slug);
  const rows = await page.locator("[data-testid=node-table] tbody tr").evaluateAll((trs) =>
    trs.map((tr) => tr.getAttribute("data-node")),
  );
  assert.deepEqual(rows, theirs.nodes.map((n) => n.external_id));
  assert.deepEqual(rows, ["NX1"]);
  assert.equal(await page.getByTestId("kpi-inflow").textContent(), "12.5 L/s");
  assert.match(await page.getByTestId("user-email").textContent(), /viewer/);
  // A viewer there: no administration link.
  assert.equal(await page.getByRole("link", { name: "Administration" }).count(), 0);
  await screenshot(page, "tenant-switched");

  // And back to the demo network.
  const home = (await call("GET", "/api/v1/auth/me", demo)).tenant;
  await page.getByTestId("tenant-select").selectOption(String(home.id));
  await page.getByRole("button", { name: "Switch" }).click();
  await page.locator("[data-testid=node-table] tr[data-node=F01]").waitFor({ timeout: 15_000 });
  assert.match(await page.getByTestId("user-email").textContent(), /admin/);

  // Leaving the other tenant: one press, then a confirmation naming it.
  await page.goto(`${BASE_URL}/account`, { waitUntil: "networkidle" });
  await page.waitForTimeout(1_000);
  const row = page.locator(`[data-testid=memberships] tr[data-tenant="${other.slug}"]`);
  await row.getByTestId("leave").click();
  const confirm = row.getByTestId("leave-confirm");
  assert.equal(await confirm.textContent(), `Leave ${other.name}`);
  await screenshot(page, "account-leave");
  await confirm.click();
  await page.waitForFunction(
    () => document.querySelectorAll("[data-testid=memberships] tbody tr").length === 1,
    null,
    { timeout: 15_000 },
  );
  await page.getByTestId("tenant-name").waitFor({ timeout: 15_000 }); // no switcher with one tenant
  const left = await call("GET", "/api/v1/auth/tenants", demo);
  assert.deepEqual(left.map((m) => m.tenant.slug), [home.slug]);
  assert.deepEqual(problems, []);
  await context.close();
});
