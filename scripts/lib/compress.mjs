// Pre-compresses the site's text and wasm files once, at build time: for
// each FILE given, writes FILE.gz (gzip -9) and FILE.br (brotli, quality
// 11) beside it, when that is smaller. The server sends them as they are
// to a browser that accepts them, instead of compressing on every request.
// Node's own zlib does both; nothing to install.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';

for (const file of process.argv.slice(2)) {
  const raw = readFileSync(file);
  const variants = {
    gz: gzipSync(raw, { level: 9 }),
    br: brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        [constants.BROTLI_PARAM_MODE]: file.endsWith('.wasm') ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
      },
    }),
  };
  const sizes = [];
  for (const [ext, body] of Object.entries(variants)) {
    if (body.length < raw.length) {
      writeFileSync(`${file}.${ext}`, body);
      sizes.push(`${ext} ${body.length}`);
    }
  }
  console.log(`${file}: ${raw.length} bytes${sizes.length ? `, ${sizes.join(', ')}` : ''}`);
}
