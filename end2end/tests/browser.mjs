// Shared browser set-up: Debian's Chromium through playwright-core, console watching,
// screenshots under end2end/screenshots/.
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
export const DEMO_EMAIL = process.env.DEMO_EMAIL ?? "admin@roccavina.demo";
export const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? "roccavina-demo";
const here = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = path.join(here, "..", "screenshots");

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execSync("command -v chromium || command -v chromium-browser", { shell: "/bin/bash" })
    .toString()
    .trim();
}

export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page that records console errors/warnings and uncaught exceptions. */
export async function watchedPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") {
      problems.push(`${msg.type()}: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  return { context, page, problems };
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the login form and waits for the dashboard. */
export async function signIn(page, password = DEMO_PASSWORD, email = DEMO_EMAIL) {
  await page.goto(`${BASE_URL}/auth/login`, { waitUntil: "networkidle" });
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
}

/** Pixels drawn (alpha > 0) on the first canvas matching `selector` (by default the first
 * chart's), how many there are, and the picture. */
export function inked(page, selector = "[data-testid=echart] canvas") {
  return page.evaluate((selector) => {
    const c = document.querySelector(selector);
    // Read a copy, so the chart's own canvas is never read back (Chromium warns about that).
    const copy = document.createElement("canvas");
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(c, 0, 0);
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0) inked += 1;
    return { inked, total: data.length / 4, png: c.toDataURL() };
  }, selector);
}

/** A bearer token of the demo administrator, through the REST login. */
export async function apiToken(email = DEMO_EMAIL, password = DEMO_PASSWORD) {
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (login.status !== 200) throw new Error(`REST login answered ${login.status}`);
  return (await login.json()).access_token;
}

/**
 * One REST call with a bearer token (and the tenant header when given): its status, its body
 * as JSON (null when empty) and as text. A string body is sent as `contentType`, anything
 * else as JSON.
 */
export async function api(method, path, token, body, contentType = "application/json", tenant) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = contentType;
  if (tenant) headers["x-tenant-id"] = tenant;
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}
