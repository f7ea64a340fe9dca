// Names the parts of a split bundle after the bundle (scripts/build-site.sh).
//
//   node split-bundle.mjs DIR NAME
//
// DIR holds what wasm-split-cli and wasm-bindgen wrote: NAME.js (the glue,
// importing ./__wasm_split.js), NAME.wasm, __wasm_split.js (the loader,
// importing ./relance.js and fetching ./split_*.wasm and ./chunk_*.wasm).
// Every file becomes NAME.<part>, so all of them are cached for a year
// like the rest of the bundle, and every reference follows the new names.
// Writes NAME.parts.json: for each lazy part (the name the server's pages
// ask for), the files to preload, without `.wasm` (what Leptos expects).
import fs from "node:fs";
import path from "node:path";

const [dir, name] = process.argv.slice(2);
if (!dir || !name) {
  console.error("usage: split-bundle.mjs DIR NAME");
  process.exit(2);
}
const at = (f) => path.join(dir, f);
let loader = fs.readFileSync(at("__wasm_split.js"), "utf8");

// const __chunk_3 = makeLoad(() => { const src = fetch(new URL("./chunk_3.wasm", …
const chunks = new Map();
for (const m of loader.matchAll(/const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/([\w.-]+)\.wasm"/g)) {
  chunks.set(m[1], m[2]);
}
// export const __wasm_split_load_X = wrapAsyncCb(makeLoad(<fetch or empty>, [__chunk_1, …]));
const parts = {};
const exports = [...loader.matchAll(/export const __wasm_split_load_(\w+) = wrapAsyncCb\(makeLoad\(/g)];
for (const [i, m] of exports.entries()) {
  const body = loader.slice(m.index, i + 1 < exports.length ? exports[i + 1].index : loader.length);
  const own = body.match(/fetch\(new URL\("\.\/([\w.-]+)\.wasm"/);
  const deps = (body.match(/, \[([^\]]*)\]\)\);/) || [, ""])[1].split(",").map((s) => s.trim()).filter(Boolean);
  const files = deps.map((d) => {
    if (!chunks.has(d)) throw new Error(`loader: unknown chunk ${d}`);
    return chunks.get(d);
  });
  if (own) files.push(own[1]);
  parts[m[1]] = files.map((f) => `${name}.${f}`);
}
if (exports.length === 0) throw new Error("loader: no lazy parts found");

const files = new Set([...chunks.values(), ...Object.values(parts).flat().map((f) => f.slice(name.length + 1))]);
for (const f of files) {
  if (!fs.existsSync(at(`${f}.wasm`))) throw new Error(`missing part ${f}.wasm`);
  fs.renameSync(at(`${f}.wasm`), at(`${name}.${f}.wasm`));
}
loader = loader.replace(/new URL\("\.\/([\w.-]+)\.wasm"/g, (all, f) => (files.has(f) ? `new URL("./${name}.${f}.wasm"` : all));
const mainImport = /from "\.\/relance\.js";/;
if (!mainImport.test(loader)) throw new Error('loader: no import of "./relance.js"');
loader = loader.replace(mainImport, `from "./${name}.js";`);
fs.writeFileSync(at(`${name}.split.js`), loader);
fs.unlinkSync(at("__wasm_split.js"));

// The glue imports the loader (the main module's imports from it).
const glue = at(`${name}.js`);
const js = fs.readFileSync(glue, "utf8");
const glueImport = /from ['"]\.\/__wasm_split\.js['"]/g;
if (!glueImport.test(js)) throw new Error("glue: no import of ./__wasm_split.js");
fs.writeFileSync(glue, js.replace(glueImport, `from "./${name}.split.js"`));

fs.writeFileSync(at(`${name}.parts.json`), JSON.stringify(parts, null, 1) + "\n");
console.log(`${Object.keys(parts).length} lazy parts, ${files.size} files`);
