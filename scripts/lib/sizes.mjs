// Prints what a browser downloads for the site's bundle in SITE_ROOT
// (default target/site), raw, gzip and brotli (the pre-compressed files when
// present, else compressed here): the main part every page loads (the glue
// JS, the main wasm, the stylesheet, the split loader), then, for the
// client's first pages, the page's own parts (pkg/<name>.parts.json) and the
// total against the 300 KB gzip budget.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const site = process.argv[2] || "target/site";
const pkg = path.join(site, "pkg");
const name = fs.readFileSync(path.join(pkg, "NAME"), "utf8").trim();
const sizes = (file) => {
  const f = path.join(pkg, file);
  const raw = fs.readFileSync(f);
  const pre = (ext) => (fs.existsSync(`${f}.${ext}`) ? fs.statSync(`${f}.${ext}`).size : null);
  return {
    raw: raw.length,
    gz: pre("gz") ?? zlib.gzipSync(raw, { level: 9 }).length,
    br: pre("br") ?? zlib.brotliCompressSync(raw).length,
  };
};
const add = (a, b) => ({ raw: a.raw + b.raw, gz: a.gz + b.gz, br: a.br + b.br });
const zero = { raw: 0, gz: 0, br: 0 };
const row = (label, s) =>
  console.log(`${label.padEnd(44)} ${String(s.raw).padStart(10)} ${String(s.gz).padStart(10)} ${String(s.br).padStart(10)}`);

console.log(`${"bundle (bytes)".padEnd(44)} ${"raw".padStart(10)} ${"gzip".padStart(10)} ${"brotli".padStart(10)}`);
let main = zero;
for (const ext of ["wasm", "js", "css", "split.js"]) {
  const s = sizes(`${name}.${ext}`);
  row(`${name}.${ext}`, s);
  main = add(main, s);
}
row("main part, every page", main);

const partsFile = path.join(pkg, `${name}.parts.json`);
const parts = JSON.parse(fs.readFileSync(partsFile, "utf8"));
const all = fs.readdirSync(pkg).filter((f) => f.endsWith(".wasm") && f !== `${name}.wasm`);
row(`every page part (${all.length} files)`, all.map(sizes).reduce(add, zero));
console.log();
// One part per group of pages (app/src/pages.rs). The client's first page
// is the sign-in page (auth) or, signed in, the portal's overview (portal);
// paying and promises or disputes load their own parts when opened.
const client = {
  auth_pages_: "sign-in pages",
  portal_pages_: "client portal",
  pay_pages_: "client portal, paying",
  hold_pages_: "client portal, promises and disputes",
  public_pages_: "pay-by-link pages",
  back_pages_: "back-office",
};
let worst = 0;
for (const [key, files] of Object.entries(parts).sort()) {
  const prefix = Object.keys(client).find((p) => key.startsWith(p));
  const label = prefix ? client[prefix] : key;
  const own = files.map((f) => sizes(`${f}.wasm`)).reduce(add, zero);
  row(`${label}: own part (${files.length} files)`, own);
  const total = add(main, own);
  row(`${label}: first visit, in all`, total);
  if (prefix === "auth_pages_" || prefix === "portal_pages_") worst = Math.max(worst, total.gz);
}
if (worst === 0) throw new Error(`no sign-in or portal part in ${partsFile}`);
console.log(`client's first page: at most ${Math.round(worst / 1024)} KB gzip (budget: 300 KB gzip)`);
