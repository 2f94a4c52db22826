// Prints what a component imports and exports and which sections and canon options it uses, as Markdown, for
// docs/components.md ("What real toolchains emit").
//
//   node tests/guests/tools/inspect.mjs <component.wasm>
//
// Section counts and core module sizes come from the binary itself (Binary.md's section ids); names, types and canon
// options come from `jco print` (wasm-tools print) of the same file, read line by line outside the core modules.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2];
if (!file) {
  console.error('usage: node tests/guests/tools/inspect.mjs <component.wasm>');
  process.exit(2);
}

const sectionNames = {
  0: 'custom', 1: 'core module', 2: 'core instance', 3: 'core type', 4: 'component', 5: 'instance', 6: 'alias',
  7: 'type', 8: 'canon', 9: 'start', 10: 'import', 11: 'export', 12: 'value',
};

function leb(bytes, offset) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[offset++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) {
      return [result, offset];
    }
  }
}

// Walks one component's sections; nested components (id 4) are walked too, at depth + 1.
function sections(bytes, start, end, depth, out) {
  let offset = start + 8; // magic + version/layer
  while (offset < end) {
    const id = bytes[offset++];
    let size;
    [size, offset] = leb(bytes, offset);
    out.push({ depth, id, size });
    if (id === 4) {
      sections(bytes, offset, offset + size, depth + 1, out);
    }
    offset += size;
  }
}

const bytes = readFileSync(file);
const version = bytes.readUInt16LE(4);
const layer = bytes.readUInt16LE(6);
const found = [];
sections(bytes, 0, bytes.length, 0, found);

const here = dirname(fileURLToPath(import.meta.url));
const jco = join(here, 'node_modules', '.bin', 'jco');
const scratch = mkdtempSync(join(tmpdir(), 'spindle-inspect-'));
const watPath = join(scratch, 'component.wat');
execFileSync(jco, ['print', file, '-o', watPath], { stdio: ['ignore', 'ignore', 'inherit'] });

// State for the line reader. wasm-tools prints one item per line, two spaces of indent per level, and closes a
// multi-line item at the end of its last line, so an item of the outer component starts with exactly two spaces.
const instanceTypes = new Map(); // $ty-name -> { funcs: [], resources: [], types: [] }
const imports = [];
const exports = [];
const canon = new Map(); // "lower (memory realloc utf8)" -> count
const coreModules = [];
let currentType = null;
let inCoreModule = false;
let nested = 0;

function optionsOf(line) {
  const options = [];
  if (/\(memory /.test(line)) options.push('memory');
  if (/\(realloc /.test(line)) options.push('realloc');
  const encoding = /string-encoding=([a-z0-9+-]+)/.exec(line);
  if (encoding) options.push(encoding[1]);
  if (/\(post-return /.test(line)) options.push('post-return');
  if (/\(dtor /.test(line) || /resource\.new.*\(dtor/.test(line)) options.push('dtor');
  return options.length ? options.join('+') : 'none';
}

const lines = createInterface({ input: createReadStream(watPath), crlfDelay: Infinity });
for await (const line of lines) {
  const outer = /^  \(/.test(line);
  if (outer) {
    inCoreModule = /^  \(core module /.test(line);
    if (inCoreModule) {
      coreModules.push(/^  \(core module \$?("[^"]*"|\S+)/.exec(line)[1]);
    }
    currentType = null;
    const type = /^  \(type \$(ty-\S+)/.exec(line);
    if (type) {
      currentType = { funcs: [], resources: [], types: [] };
      instanceTypes.set(type[1], currentType);
    }
    const imp = /^  \(import "([^"]+)" \((instance|func|type|component)\b.*?(?:\(type \$(ty-\S+?)\))?\)*$/.exec(line);
    if (imp) {
      imports.push({ name: imp[1], kind: imp[2], type: imp[3] });
    }
    const exp = /^  \(export \S+ \(;\d+;\) "([^"]+)" \((instance|func|type|component)/.exec(line);
    if (exp) {
      exports.push({ name: exp[1], kind: exp[2] });
    }
    if (/^  \(component /.test(line)) {
      nested++;
    }
  } else if (inCoreModule) {
    continue;
  }
  if (currentType && /^      \(export /.test(line)) {
    const item = /"([^"]+)" \((func|type) (.*)$/.exec(line);
    if (item) {
      if (item[2] === 'func') currentType.funcs.push(item[1]);
      else if (/sub resource/.test(item[3])) currentType.resources.push(item[1]);
      else currentType.types.push(item[1]);
    }
  }
  for (const match of line.matchAll(/\(canon ([a-z.-]+)/g)) {
    const key = `${match[1]} (${optionsOf(line)})`;
    canon.set(key, (canon.get(key) ?? 0) + 1);
  }
}
rmSync(scratch, { recursive: true, force: true });

const out = [];
out.push(`- file: ${bytes.length.toLocaleString('en-US')} bytes; binary version 0x${version.toString(16).padStart(2, '0')}, layer ${layer}`);
const counts = new Map();
for (const s of found) {
  const key = `${s.depth === 0 ? 'outer' : 'nested'} ${sectionNames[s.id] ?? `unknown(${s.id})`}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
out.push(`- sections (count): ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}`);
const moduleSizes = found.filter((s) => s.id === 1 && s.depth === 0).map((s) => s.size);
out.push(`- core modules: ${coreModules.map((name, i) => `${name} ${(moduleSizes[i] ?? 0).toLocaleString('en-US')} B`).join(', ')}`);
out.push(`- nested components: ${nested}`);
out.push(`- canon (options): ${[...canon].sort().map(([k, n]) => `${k} ×${n}`).join(', ')}`);
let functionCount = 0;
let resourceCount = 0;
out.push('- imports:');
for (const imp of imports) {
  const type = imp.type ? instanceTypes.get(imp.type) : undefined;
  if (!type) {
    out.push(`  - \`${imp.name}\` (${imp.kind})`);
    continue;
  }
  functionCount += type.funcs.length;
  resourceCount += type.resources.length;
  const parts = [];
  if (type.resources.length) parts.push(`resources ${type.resources.join(', ')}`);
  if (type.funcs.length) parts.push(`functions ${type.funcs.join(', ')}`);
  if (!type.funcs.length && !type.resources.length) parts.push(`types only: ${type.types.join(', ')}`);
  out.push(`  - \`${imp.name}\`: ${parts.join('; ')}`);
}
out.push(`- import totals: ${imports.length} instances, ${functionCount} functions, ${resourceCount} resource types`);
out.push(`- exports: ${exports.map((e) => `\`${e.name}\` (${e.kind})`).join(', ')}`);
console.log(out.join('\n'));
