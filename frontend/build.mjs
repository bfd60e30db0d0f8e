// Bundle the card into the integration: `node build.mjs` writes it, `--check` fails if it is stale.
import { build } from "esbuild";
import { readFileSync } from "node:fs";

const OUT = "../custom_components/mlwatch/frontend/mlwatch-review-card.js";
const check = process.argv.includes("--check");

const result = await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  charset: "utf8",
  write: !check,
  outfile: OUT,
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs)[0].bytes;
if (check) {
  const built = result.outputFiles[0].contents;
  let committed;
  try {
    committed = readFileSync(OUT);
  } catch {
    committed = Buffer.alloc(0);
  }
  if (Buffer.compare(Buffer.from(built), committed) !== 0) {
    console.error(`${OUT} is stale: run 'npm run build' in frontend/ and commit it`);
    process.exit(1);
  }
  console.log(`${OUT} is up to date (${bytes} bytes)`);
} else {
  console.log(`wrote ${OUT} (${bytes} bytes)`);
}
