// Prints what a browser downloads for the site's bundle in SITE_ROOT
// (default target/site), raw, gzip and brotli (the pre-compressed files when
// present, else compressed here): the main part every page with the bundle
// loads (the glue JS, the main wasm, the stylesheet, the split loader), what
// the client's first pages load (they are documents: the stylesheet only),
// and each group's first visit (main part and the group's own parts, from
// pkg/<name>.parts.json), against the 300 KB gzip budget. scripts/bench.sh
// adds the pages' own HTML.
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
  console.log(`${label.padEnd(64)} ${String(s.raw).padStart(10)} ${String(s.gz).padStart(10)} ${String(s.br).padStart(10)}`);

console.log(`${"bundle (bytes)".padEnd(64)} ${"raw".padStart(10)} ${"gzip".padStart(10)} ${"brotli".padStart(10)}`);
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
// One part per group of pages (app/src/pages.rs). The client's first pages
// (signing in, the overview, the invoices, an invoice, the history) are
// documents: the page and its stylesheet, no script. Paying and promises or
// disputes load the main part and their own when opened.
const css = sizes(`${name}.css`);
row("client's first pages (documents): stylesheet", css);
const client = {
  auth_pages_: "sign-in pages with the bundle (forgotten password, links)",
  portal_pages_: "portal's first pages, rendered in the browser",
  pay_pages_: "client portal, paying",
  hold_pages_: "client portal, promises and disputes",
  public_pages_: "pay-by-link pages",
  back_pages_: "back-office",
};
let found = false;
for (const [key, files] of Object.entries(parts).sort()) {
  const prefix = Object.keys(client).find((p) => key.startsWith(p));
  const label = prefix ? client[prefix] : key;
  found ||= prefix === "portal_pages_";
  const own = files.map((f) => sizes(`${f}.wasm`)).reduce(add, zero);
  row(`${label}: own part (${files.length} files)`, own);
  row(`${label}: first visit, in all`, add(main, own));
}
if (!found) throw new Error(`no portal part in ${partsFile}`);
console.log(`client's first page: ${Math.round(css.gz / 1024)} KB gzip and the page itself, no script (budget: 300 KB gzip)`);
