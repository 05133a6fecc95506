// The browser check of the built site (run by .ci/docs after the build):
//   node docs/check_site.mjs SITE_DIR [SCREENSHOT_DIR]
// serves SITE_DIR on 127.0.0.1 and opens every page in Debian's Chromium (driven by
// playwright-core, which downloads no browser), with every host name but 127.0.0.1 unresolvable.
// Each page must load (HTTP 200, no script error), make no request outside the site, have every
// formula typeset by KaTeX (no KaTeX error, no TeX left in the text), with KaTeX's fonts loaded
// from the site. Exits 1 naming each failure, 0 with a one-line summary per page.
import { createServer } from "node:http";
import { readFile, readdir, mkdir } from "node:fs/promises";
import { extname, join, relative, resolve, sep } from "node:path";
import { chromium } from "playwright-core";

const REQUIRED_PAGES = [
  "index.html", "conventions.html", "checker.html", "rules.html", "training.html", "benchmarks.html",
  "reference/index.html",
  ...["scalar", "jacobian", "elementwise", "expansion", "reduction", "chain", "neuron", "loss", "training",
      "layers", "softmax", "activations", "norms", "normalization", "matrices"].map((t) => `reference/${t}.html`),
];
const TYPES = {
  ".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".woff2": "font/woff2", ".woff": "font/woff",
  ".ttf": "font/ttf", ".svg": "image/svg+xml", ".png": "image/png", ".inv": "application/octet-stream",
};

const [siteArg, shotsArg] = process.argv.slice(2);
if (!siteArg) {
  console.error("usage: node check_site.mjs SITE_DIR [SCREENSHOT_DIR]");
  process.exit(2);
}
const site = resolve(siteArg);

async function htmlPages(dir) {
  const pages = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith("_")) pages.push(...await htmlPages(path));
    else if (entry.isFile() && entry.name.endsWith(".html")) pages.push(relative(site, path).split(sep).join("/"));
  }
  return pages.sort();
}

const server = createServer(async (request, response) => {
  const path = resolve(site, "." + decodeURIComponent(new URL(request.url, "http://x").pathname));
  if (!path.startsWith(site)) { response.writeHead(403).end(); return; }
  try {
    const body = await readFile(path.endsWith(sep) ? join(path, "index.html") : path);
    response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
});
const failures = [];
const pages = await htmlPages(site);
for (const required of REQUIRED_PAGES) {
  if (!pages.includes(required)) failures.push(`${required}: the page is missing from the site`);
}
if (shotsArg) await mkdir(shotsArg, { recursive: true });

let formulas = 0;
for (const name of pages) {
  const page = await browser.newPage();
  const problems = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(origin + "/") && !request.url().startsWith("data:")) {
      problems.push(`requests ${request.url()}, outside the site`);
    }
  });
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on("pageerror", (error) => problems.push(`script error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  const response = await page.goto(`${origin}/${name}`, { waitUntil: "load" });
  if (response?.status() !== 200) problems.push(`loads with HTTP ${response?.status()}`);
  const found = await page.evaluate(async () => {
    await document.fonts.ready;
    const math = [...document.querySelectorAll("span.math, div.math")];
    const untypeset = math.filter((element) => !element.querySelector(".katex")).map((element) => element.textContent.slice(0, 80));
    const errors = [...document.querySelectorAll(".katex-error")].map((element) => element.getAttribute("title") ?? element.textContent);
    // The page's own text, without code and without the typeset formulas: no TeX may be left in it.
    const body = document.querySelector("article") ?? document.body;
    const copy = body.cloneNode(true);
    copy.querySelectorAll("pre, code, .katex, script, style").forEach((element) => element.remove());
    const text = copy.textContent;
    const tex = [...text.matchAll(/\\[A-Za-z]+|\$\$|\$[^$\s][^$]*\$|:math:`/g)].map((match) => match[0]).slice(0, 5);
    const katexFonts = [...document.fonts].filter((font) => font.family.includes("KaTeX") && font.status === "loaded").length;
    return { count: math.length, untypeset, errors, tex, katexFonts, title: document.title };
  });
  for (const text of found.untypeset) problems.push(`formula not typeset: ${text}`);
  for (const text of found.errors) problems.push(`KaTeX error: ${text}`);
  if (found.tex.length) problems.push(`TeX left in the text: ${found.tex.join(" ")}`);
  if (found.count > 0 && found.katexFonts === 0) problems.push("no KaTeX font loaded, though the page has formulas");
  if (shotsArg) await page.screenshot({ path: join(shotsArg, name.replaceAll("/", "_") + ".png"), fullPage: false });
  await page.close();
  formulas += found.count;
  for (const problem of problems) failures.push(`${name}: ${problem}`);
  console.log(`${problems.length ? "FAIL" : "ok  "} ${name}: ${found.count} formulas typeset, ${found.katexFonts} KaTeX fonts loaded`);
}
await browser.close();
server.close();

if (failures.length) {
  console.error(`\nbrowser check failed (${failures.length}):`);
  for (const failure of failures) console.error(`  ${failure}`);
  process.exit(1);
}
console.log(`browser check: ${pages.length} pages, ${formulas} formulas, every request to ${origin}, no TeX left`);
