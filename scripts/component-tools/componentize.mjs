// Turns a reactor core module into a component with jco's JS API (pinned in package.json):
//
//   node scripts/component-tools/componentize.mjs <core.wasm> <wit-dir> <world> <out.wasm>
//
// 1. componentEmbed puts the WIT world into the module as a `component-type` custom section;
// 2. componentNew wraps the module, adapting its wasi_snapshot_preview1 imports with jco's preview1 reactor
//    adapter, into a component.
// jco 1.35.0's WIT reader cannot open files (its bundled wasm-tools runs without filesystem preopens, so
// `jco embed --wit` and `componentEmbed({witPath})` fail with "No such file or directory"). This script therefore
// reads the WIT folder itself and hands jco one source text: the root package's files at the top level and each
// deps/<name>/ package as a nested `package ... { ... }` block.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { componentEmbed, componentNew, preview1AdapterReactorPath } from "@bytecodealliance/jco";

const [corePath, witDir, world, outPath] = process.argv.slice(2);
if (outPath === undefined) {
  console.error("usage: node componentize.mjs <core.wasm> <wit-dir> <world> <out.wasm>");
  process.exit(2);
}

const witFiles = (dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith(".wit"))
    .sort()
    .map((name) => ({ name: join(dir, name), text: readFileSync(join(dir, name), "utf8") }));

// `package ns:name@version;` (with any doc comments before it) opens a file of a package.
const packageLine = /^\s*package\s+([^\s;{]+)\s*;\s*$/m;

// One package's files as a nested block: its name from the file that declares it, the rest of every file inside.
function nestedPackage(dir) {
  const files = witFiles(dir);
  let name;
  const bodies = files.map(({ name: file, text }) => {
    const m = text.match(packageLine);
    if (m) {
      if (name !== undefined && name !== m[1]) {
        throw new Error(`${file} declares package ${m[1]}, but its folder's package is ${name}`);
      }
      name = m[1];
      return text.slice(0, m.index) + text.slice(m.index + m[0].length);
    }
    return text;
  });
  if (name === undefined) {
    throw new Error(`no file in ${dir} declares its package (\`package ns:name;\`)`);
  }
  return `package ${name} {\n${bodies.join("\n")}\n}\n`;
}

const depsDir = join(witDir, "deps");
const deps = readdirSync(depsDir)
  .filter((name) => statSync(join(depsDir, name)).isDirectory())
  .sort()
  .map((name) => nestedPackage(join(depsDir, name)));
// The root package: its files concatenated, with one package line first (nested blocks may follow it).
const root = witFiles(witDir);
const rootDecl = root.map(({ text }) => text.match(packageLine)).find((m) => m);
if (!rootDecl) {
  throw new Error(`no .wit file in ${witDir} declares the root package`);
}
const rootBody = root.map(({ text }) => text.replace(packageLine, "")).join("\n");
const witSource = `package ${rootDecl[1]};\n${rootBody}\n${deps.join("\n")}`;

const binary = readFileSync(corePath);
let embedded;
try {
  embedded = await componentEmbed({ binary, witSource, world, stringEncoding: "utf8" });
} catch (e) {
  console.error(`error: embedding world ${world} of ${witDir} into ${corePath} failed: ${e.message ?? e}`);
  process.exit(1);
}
const adapter = readFileSync(preview1AdapterReactorPath());
let component;
try {
  component = await componentNew(embedded, [["wasi_snapshot_preview1", adapter]]);
} catch (e) {
  console.error(`error: making a component of ${corePath} (world ${world}) failed: ${e.message ?? e}`);
  process.exit(1);
}
writeFileSync(outPath, component);
