// A new utility signs up from the login page and lands in its own, empty workspace.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, screenshot, watchedPage } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("registering a new utility opens its own empty workspace", async () => {
  const { page, problems, context } = await watchedPage(browser);
  await page.goto(`${BASE_URL}/auth/login`, { waitUntil: "networkidle" });
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.waitForURL(/\/auth\/register/);
  await page.waitForLoadState("networkidle");
  const stamp = Date.now();
  await page.fill("#display_name", "Ada Lovelace");
  await page.fill("#email", `ada${stamp}@acquasud.example`);
  // Long enough for the browser's own check, but on the server's list of common passwords.
  await page.fill("#password", "password1234");
  await page.fill("#tenant_name", `Acqua Sud ${stamp}`);
  await page.click("button[type=submit]");
  const error = page.getByTestId("register-error");
  await error.waitFor({ timeout: 10_000 });
  assert.match(await error.textContent(), /password: is too common/);
  await screenshot(page, "register-error");

  await page.fill("#password", "granite-lagoon-47-tide");
  await page.click("button[type=submit]");
  await page.waitForURL(`${BASE_URL}/`, { timeout: 15_000 });
  await page.getByText("No nodes yet").waitFor();
  await page.getByText("No readings in the last 24 hours").waitFor();
  assert.equal(await page.getByTestId("tenant-name").textContent(), `Acqua Sud ${stamp}`);
  assert.equal(await page.getByTestId("kpi-nodes").textContent(), "0");
  await screenshot(page, "register-new-workspace");
  // The refused first attempt logs its 422 in the console; nothing else may.
  assert.deepEqual(problems.filter((p) => !p.includes("422")), []);
  await context.close();
});
