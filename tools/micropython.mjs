// Run a script under real MicroPython (the WebAssembly build from the npm registry) in Node.js.
//
//   node tools/micropython.mjs [--mount MPDIR=HOSTDIR]... [--path MPDIR]... [--heap BYTES] SCRIPT.py [ARG...]
//
// Each --mount copies a host directory tree into MicroPython's in-memory filesystem (MicroPython
// cannot see the host's files otherwise); each --path is prepended to sys.path. sys.argv is
// [SCRIPT, ARG...]. Exit status: 0 when the script finished, 1 when it raised (the traceback goes
// to stderr), 2 for a usage error.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "node:fs";
import path from "node:path";

function usage(msg) {
  process.stderr.write(`micropython.mjs: ${msg}\n`);
  process.exit(2);
}

const mounts = [];
const paths = [];
let heap = 8 * 1024 * 1024;
let script = null;
const args = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (script !== null) args.push(a);
  else if (a === "--mount") {
    const [mp, host] = (argv[++i] || "").split("=");
    if (!mp || !host) usage("--mount takes MPDIR=HOSTDIR");
    mounts.push([mp, host]);
  } else if (a === "--path") paths.push(argv[++i]);
  else if (a === "--heap") heap = parseInt(argv[++i], 10);
  else if (a.startsWith("--")) usage(`unknown option ${a}`);
  else script = a;
}
if (script === null) usage("no script given");

const mp = await loadMicroPython({
  heapsize: heap,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});

function mkdirs(dir) {
  let cur = "";
  for (const part of dir.split("/").filter(Boolean)) {
    cur += "/" + part;
    try { mp.FS.mkdir(cur); } catch (e) { /* exists */ }
  }
}

function copyTree(mpDir, hostDir) {
  mkdirs(mpDir);
  for (const entry of fs.readdirSync(hostDir, { withFileTypes: true })) {
    if (entry.name === "__pycache__" || entry.name.startsWith(".")) continue;
    const src = path.join(hostDir, entry.name);
    const dst = `${mpDir}/${entry.name}`;
    if (entry.isDirectory()) copyTree(dst, src);
    else if (entry.isFile()) mp.FS.writeFile(dst, fs.readFileSync(src));
  }
}

for (const [mpDir, hostDir] of mounts) copyTree(mpDir, hostDir);
const code = fs.readFileSync(script, "utf8");
const setup = [
  "import sys",
  ...paths.map((p) => `sys.path.insert(0, ${JSON.stringify(p)})`),
  `sys.argv[:] = ${JSON.stringify([script, ...args])}`,
].join("\n");

try {
  mp.runPython(setup);
  mp.runPython(code);
} catch (err) {
  if (err && err.name === "PythonError") {
    if (err.type === "SystemExit") process.exit(0);
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
