// A virtual MicroPython board that speaks the REPL protocol on stdin/stdout.
//
//   node tools/repl_board.mjs [--fs-size BYTES] [--state FILE] [--heap BYTES] [--window BYTES]
//                             [--no-raw-paste] [--uid HEX] [--mpy N] [--baud N]
//
// --uid: machine.unique_id() (default: derived from --state, so a board keeps its identity)
// --mpy: fault injection: sys.implementation._mpy says N (another MicroPython's .mpy version)
// --baud: the host's bytes reach the board at a serial line's rate (10 bits per byte), as
//   through a USB-serial bridge; 0 (default) is as fast as the pseudo-terminal goes
//
// One MicroPython (the WebAssembly build from the npm registry) runs with an in-memory
// filesystem that lives as long as the process (or longer, with --state). stdin carries the
// bytes a host writes to the board's serial port, stdout the board's replies; the Python side
// (vitrine.sim.repl_board) bridges both to a pseudo-terminal, so unmodified mpremote can drive it.
//
// Emulated, byte for byte as MicroPython's pyexec.c does it:
//   friendly REPL  ">>> " prompt, line input (with "... " continuation), Ctrl-C (new prompt),
//                  Ctrl-A (raw REPL), Ctrl-B (banner), Ctrl-D (soft reset)
//   raw REPL       Ctrl-A: "raw REPL; CTRL-B to exit\r\n>"; code ended by Ctrl-D, answered
//                  "OK", output, "\x04", error text (a MicroPython traceback), "\x04", ">";
//                  Ctrl-D on an empty line: soft reset ("OK\r\nMPY: soft reboot\r\n" and the
//                  raw REPL prompt again); Ctrl-C clears the line; Ctrl-B back to friendly
//   raw-paste      "\x05A\x01" answered "R\x01" + 2-byte little-endian window size; one "\x01"
//                  per window of bytes consumed; the host's "\x04" is acknowledged with "\x04";
//                  then output, "\x04", error text, "\x04", ">" (no "OK"). With --no-raw-paste
//                  the board answers "R\x00" (understood, not supported) and hosts fall back.
//
// Soft reset starts a fresh MicroPython instance (a new heap, new globals, no imported
// modules) and copies the filesystem over. A soft reset from the raw REPL (what mpremote does)
// does not run boot.py and main.py, as on a real board; a soft reset from the friendly REPL,
// machine.reset(), a watchdog reset and power-on (the process starting, or --reset-cause)
// run boot.py and then main.py.
//
// Running firmware (main.py): the board adds what the WebAssembly port lacks and a real port
// has (tools/repl_board/: `machine`, `rp2`, `micropython.kbd_intr`, a blocking-looking asyncio.run
// and asyncio.StreamReader over stdin); see those files for what each emulates. While the
// firmware runs, bytes from the host go to its stdin and everything it writes goes out raw (no
// "\n" to "\r\n" conversion); Ctrl-C interrupts it unless it called micropython.kbd_intr(-1),
// as the Vitrine firmware does on a USB port. When the firmware ends the board prints the
// REPL banner and ">>> ", as a real board does after main.py.
//
// Filesystem: Emscripten's MEMFS with /tmp, /home and /dev removed; /proc cannot be removed (the
// runtime mounts into it), so os.listdir/os.ilistdir hide it at the root and it is not counted. --fs-size (default 2 MiB) is the capacity: os.statvfs
// reports it in 4096-byte blocks, and a write that would grow the files' total size beyond it
// fails with OSError 28 (ENOSPC), as littlefs does on a full board. The limit is enforced in
// the JavaScript filesystem layer (FS.write), so it holds for every write path.
//
// errno: the WebAssembly build raises OSError with WASI errno numbers (ENOENT is 44 there);
// the board wraps open() and the os functions so they raise the numbers MicroPython's errno
// module and real boards use ("OSError: [Errno 2] ENOENT"), which mpremote relies on to turn
// board errors into local ones.
//
// --state FILE: the filesystem is loaded from FILE at start and written back (atomically)
// whenever a command changed it and at exit, as JSON {path: base64 of the contents}; a
// directory is a key ending in "/" with an empty value. An unplugged and replugged board
// keeps its files, as flash does.
//
// Not emulated: interrupting running code (execution is synchronous, Ctrl-C is read after it
// ends), input() / sys.stdin during a command, the friendly REPL's paste mode (Ctrl-E) and
// auto-indent, machine/hardware modules the WebAssembly port lacks, real timing.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PLATFORM_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "repl_board");
// Every module in tools/repl_board/ goes onto the board's platform path (a list here once
// forgot rp2.py, and the touch firmware reset at every boot on `import rp2`).
const PLATFORM_FILES = fs.readdirSync(PLATFORM_DIR).filter((name) => name.endsWith(".py")).sort();
const RESET = { PWRON: 1, HARD: 2, WDT: 3, DEEPSLEEP: 4, SOFT: 5 }; // machine.*_RESET

const BLOCK = 4096;
const BOARD = "vitrine-virtual with WebAssembly";
const RAW_BANNER = "raw REPL; CTRL-B to exit\r\n";

function usage(msg) {
  process.stderr.write(`repl_board.mjs: ${msg}\n`);
  process.exit(2);
}

const opts = {
  fsSize: 2 * 1024 * 1024, state: null, heap: 4 * 1024 * 1024, window: 256, paste: true,
  uid: null, mpy: null, baud: 0,
};
{
  const argv = process.argv.slice(2);
  const num = (i, name) => {
    const v = Number.parseInt(argv[i] ?? "", 10);
    if (!Number.isFinite(v) || v <= 0) usage(`${name} takes a positive number of bytes`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--fs-size") opts.fsSize = num(++i, a);
    else if (a === "--state") opts.state = argv[++i] || usage("--state takes a file");
    else if (a === "--heap") opts.heap = num(++i, a);
    else if (a === "--window") opts.window = Math.min(num(++i, a), 0xffff);
    else if (a === "--no-raw-paste") opts.paste = false;
    else if (a === "--uid") opts.uid = (argv[++i] || "").toLowerCase();
    else if (a === "--mpy") opts.mpy = num(++i, a);
    else if (a === "--baud") opts.baud = num(++i, a);
    else usage(`unknown argument ${a}`);
  }
}

// ---- output -------------------------------------------------------------------------------

const out = [];
function emit(data) {
  if (typeof data === "string") data = Buffer.from(data, "latin1");
  for (const b of data) out.push(b);
}
function emitCooked(bytes) {
  // The REPL prints through MicroPython's cooked stdout: "\n" goes out as "\r\n".
  for (const b of bytes) {
    if (b === 10) out.push(13);
    out.push(b);
  }
}
function flush() {
  if (out.length) {
    process.stdout.write(Buffer.from(out));
    out.length = 0;
  }
}

// ---- the filesystem -----------------------------------------------------------------------

// The runtime's own (/proc) and the board's platform modules (/board): hidden from listings,
// not counted in the filesystem's use, not saved with --state.
const SKIP = new Set(["/proc", "/board"]);

function walk(FS, visit, dir = "/") {
  for (const name of FS.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const path = dir === "/" ? `/${name}` : `${dir}/${name}`;
    if (SKIP.has(path)) continue;
    const st = FS.lstat(path);
    if (FS.isDir(st.mode)) {
      visit(path, st, true);
      walk(FS, visit, path);
    } else if (FS.isFile(st.mode)) visit(path, st, false);
  }
}

function rmTree(FS, path) {
  if (FS.isDir(FS.lstat(path).mode)) {
    for (const name of FS.readdir(path)) {
      if (name !== "." && name !== "..") rmTree(FS, `${path}/${name}`);
    }
    FS.rmdir(path);
  } else {
    FS.unlink(path);
  }
}

function usedBytes(FS) {
  let total = 0;
  walk(FS, (_path, st, isDir) => {
    if (!isDir) total += st.size;
  });
  return total;
}

function dumpFs(FS) {
  const files = {};
  walk(FS, (path, _st, isDir) => {
    files[isDir ? `${path}/` : path] = isDir ? "" : Buffer.from(FS.readFile(path)).toString("base64");
  });
  return files;
}

function restoreFs(FS, files) {
  for (const key of Object.keys(files).sort()) {
    const dir = key.endsWith("/");
    const path = dir ? key.slice(0, -1) : key;
    let cur = "";
    const parts = path.split("/").filter(Boolean);
    for (const part of dir ? parts : parts.slice(0, -1)) {
      cur += `/${part}`;
      try { FS.mkdir(cur); } catch { /* exists */ }
    }
    if (!dir) FS.writeFile(path, Buffer.from(files[key], "base64"));
  }
}

let dirty = false;
function saveState(files) {
  if (!opts.state) return;
  const tmp = `${opts.state}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(files));
  fs.renameSync(tmp, opts.state);
}

function loadState() {
  if (!opts.state || !fs.existsSync(opts.state)) return {};
  return JSON.parse(fs.readFileSync(opts.state, "utf8"));
}

// ---- MicroPython ---------------------------------------------------------------------------

// WASI errno (what the WebAssembly build's OSErrors carry) -> Linux/MicroPython errno.
const ERRNO = {
  63: 1, 44: 2, 71: 3, 27: 4, 29: 5, 60: 6, 1: 7, 45: 8, 8: 9, 12: 10, 6: 11, 48: 12, 2: 13,
  21: 14, 10: 16, 20: 17, 75: 18, 43: 19, 54: 20, 31: 21, 28: 22, 41: 23, 33: 24, 59: 25,
  22: 27, 51: 28, 70: 29, 69: 30, 34: 31, 64: 32, 37: 36, 52: 38, 55: 39, 32: 40, 138: 95,
};
const ENOSPC = 28; // thrown by the size limit below in Linux numbering: f.write is not wrapped

const BOOT_FILE = "<board>";
const BOOT = `
def _setup():
    import builtins, os
    table = ${JSON.stringify(ERRNO).replace(/"/g, "")}
    depth = [0]
    def wrap(f, materialise=False):
        def call(*args):
            depth[0] += 1
            try:
                r = f(*args)
                return iter(list(r)) if materialise else r
            except OSError as e:
                if depth[0] == 1 and e.errno in table:
                    raise OSError(table[e.errno])
                raise
            finally:
                depth[0] -= 1
        return call
    for name in ("stat", "statvfs", "listdir", "mkdir", "rmdir", "remove", "unlink", "rename",
                 "chdir"):
        if hasattr(os, name):
            setattr(os, name, wrap(getattr(os, name)))
    def at_root(args):
        path = args[0] if args else ""
        return path == "/" or (path in ("", ".") and os.getcwd() == "/")
    def hide(f, name_of):
        def call(*args):
            entries = f(*args)
            if at_root(args):
                entries = [e for e in entries if name_of(e) not in ("proc", "board")]
            return entries
        return call
    os.listdir = hide(os.listdir, lambda e: e)
    ilistdir = hide(wrap(os.ilistdir, True), lambda e: e[0])
    stat = os.stat
    def sized(*args):
        # Board filesystems (littlefs, FAT) list (name, type, inode, size); VfsPosix leaves
        # the size out.
        base = args[0] if args and args[0] else "."
        for e in ilistdir(*args):
            if len(e) == 3:
                size = stat(base.rstrip("/") + "/" + e[0])[6] if e[1] == 0x8000 else 0
                e = (e[0], e[1], e[2], size)
            yield e
    os.ilistdir = sized
    builtins.open = wrap(builtins.open)
_setup()
del _setup
`;

let mp = null;
let stdoutSink = null; // where MicroPython's stdout goes: null (dropped) or a byte array
let version = "MicroPython";
let mpyVersion = null;
let generation = 0; // one per boot: an old instance's timers and output are ignored
let resetCause = RESET.PWRON;
let resetPending = null; // a reset cause, while a reset is on its way
let kbdIntr = 3;
let rx = []; // bytes from the host waiting for the running firmware
let wdtTimer = null;
let wdtFed = 0;
const uid = opts.uid || crypto.createHash("sha256").update(opts.state || `pid${process.pid}`)
  .digest("hex").slice(0, 12);

// The board's own module for its platform files (tools/repl_board/*.py).
function boardModule(gen) {
  const live = () => gen === generation;
  return {
    uid: () => uid,
    cause: () => resetCause,
    reset: (cause) => { if (live()) requestReset(cause); },
    kbd: (c) => { if (live()) kbdIntr = c; },
    available: () => (live() ? rx.length : 0),
    take: (n) => {
      if (!live()) return "";
      const chunk = rx.splice(0, Math.max(0, n));
      return Buffer.from(chunk).toString("hex");
    },
    wdt: (ms) => { if (live()) startWatchdog(ms); },
    feed: () => { if (live()) wdtFed = Date.now(); },
    ended: (text) => { if (live()) firmwareEnded(text); },
  };
}

function startWatchdog(ms) {
  if (wdtTimer) clearInterval(wdtTimer);
  wdtFed = Date.now();
  wdtTimer = setInterval(() => {
    if (Date.now() - wdtFed > ms) requestReset(RESET.WDT);
  }, Math.max(10, Math.min(ms / 4, 250)));
}

async function boot(files) {
  const gen = ++generation;
  if (wdtTimer) clearInterval(wdtTimer);
  wdtTimer = null;
  kbdIntr = 3;
  rx = [];
  mp = await loadMicroPython({
    heapsize: opts.heap,
    linebuffer: false,
    stdout: (bytes) => output(gen, bytes),
    stderr: (bytes) => output(gen, bytes),
  });
  const FS = mp.FS;
  for (const dir of ["/tmp", "/home", "/dev"]) {
    try { rmTree(FS, dir); } catch { /* not there */ }
  }
  restoreFs(FS, files);
  FS.mkdir("/board"); // before the size limit below: the platform is not on the board's flash
  for (const name of PLATFORM_FILES) {
    FS.writeFile(`/board/${name}`, fs.readFileSync(path.join(PLATFORM_DIR, name)));
  }
  if (opts.mpy) {
    // Fault injection: a board whose sys.implementation._mpy says another .mpy version.
    FS.writeFile("/board/sys_board.py", `from sys import *
import sys as _sys
class _Impl:
    name = _sys.implementation.name
    version = _sys.implementation.version
    _machine = _sys.implementation._machine
    _mpy = ${opts.mpy}
implementation = _Impl()
`);
  }

  const write = FS.write;
  FS.write = function (stream, buffer, offset, length, position, canOwn) {
    const size = stream.node && stream.node.usedBytes !== undefined ? stream.node.usedBytes : 0;
    const at = (stream.flags & 1024) ? size : (position ?? stream.position); // 1024: O_APPEND
    const grow = Math.max(0, at + length - size);
    if (grow > 0 && usedBytes(FS) + grow > opts.fsSize) throw new FS.ErrnoError(ENOSPC);
    dirty = true;
    return write.apply(this, arguments);
  };
  for (const name of ["mknod", "unlink", "rmdir", "rename", "truncate", "ftruncate"]) {
    const orig = FS[name];
    FS[name] = function (...args) {
      dirty = true;
      return orig.apply(this, args);
    };
  }
  FS.statfsNode = () => {
    const blocks = Math.floor(opts.fsSize / BLOCK);
    const free = Math.max(0, Math.floor((opts.fsSize - usedBytes(FS)) / BLOCK));
    return { bsize: BLOCK, frsize: BLOCK, blocks, bfree: free, bavail: free, files: 0,
             ffree: 0, fsid: 42, flags: 0, namelen: 255 };
  };

  mp.registerJsModule("_vboard", boardModule(gen));
  mp.globals.set("_board_boot", BOOT);
  mp.runPython(`exec(compile(_board_boot, ${JSON.stringify(BOOT_FILE)}, "exec"))`);
  mp.runPython('import sys\nsys.path.insert(0, "/board")\nimport platform_board\ndel sys');
  if (opts.mpy) {
    // Fault injection: report another .mpy version in sys.implementation._mpy.
    mp.runPython('import sys, sys_board\nsys.modules["sys"] = sys_board\ndel sys, sys_board');
  }
  mp.runPython("import sys\n_board_v = sys.version\n_board_m = sys.implementation._mpy");
  version = String(mp.globals.get("_board_v")).split("; ").pop();
  mpyVersion = mp.globals.get("_board_m");
  mp.runPython("del sys, _board_boot, _board_v, _board_m");
  dirty = false;
}

// MicroPython's stdout: into the sink while the REPL runs code; straight out while the
// firmware runs; dropped otherwise (an old instance, or a task left over after a reset).
function output(gen, bytes) {
  if (gen !== generation) return;
  if (stdoutSink) {
    for (const b of bytes) stdoutSink.push(b);
  } else if (mode === FIRMWARE) {
    emit(bytes);
    flush();
  }
}

function banner() {
  return `${version}; ${BOARD}\r\nType "help()" for more information.\r\n`;
}

// Run code; returns [stdout bytes, error text ("" when it ran to the end), the exception's
// type name or null].
function run(code) {
  const sink = [];
  stdoutSink = sink;
  let err = "";
  let type = null;
  try {
    mp.runPython(code);
  } catch (e) {
    if (e && e.name === "PythonError") {
      type = e.type;
      if (e.type !== "SystemExit" && e.type !== "Running") err = e.message.split("\n").filter((l) => !l.includes(`"${BOOT_FILE}"`)).join("\n");
    } else {
      err = `${e && e.stack ? e.stack : e}\n`;
    }
  } finally {
    stdoutSink = null;
  }
  return [sink, err, type];
}

function persist() {
  if (dirty) {
    saveState(dumpFs(mp.FS));
    dirty = false;
  }
}

// ---- the REPL state machine ----------------------------------------------------------------

const FRIENDLY = 0;
const RAW = 1;
const PASTE_A = 2; // got \x05 on an empty raw line, expecting 'A'
const PASTE_1 = 3; // got \x05 'A', expecting \x01
const PASTE = 4; // receiving raw-paste data
const FIRMWARE = 5; // main.py's firmware is running: the port is its
let mode = FRIENDLY;
let line = []; // raw REPL: the code so far; friendly: the current line
let block = []; // friendly: lines of a compound statement
let pasteRemain = 0;
let queue = Promise.resolve();

async function softReset() {
  persist();
  const files = dumpFs(mp.FS);
  emit("MPY: soft reboot\r\n");
  flush();
  resetCause = RESET.SOFT;
  await boot(files);
}

// Run boot.py, then main.py, as a real board does after a reset. main.py's asyncio.run()
// leaves the board in FIRMWARE mode; otherwise the board ends at the friendly REPL.
function runMain() {
  mode = FRIENDLY;
  line = [];
  block = [];
  for (const file of ["boot.py", "main.py"]) {
    if (!exists(`/${file}`)) continue;
    mp.globals.set("_board_file", file);
    const [stdout, err, type] = run("exec(compile(open(_board_file).read(), _board_file, 'exec'))");
    emitCooked(stdout);
    if (type === "Running") {
      mode = FIRMWARE;
      flush();
      return;
    }
    if (err) emitCooked(Buffer.from(err.split("\n").filter((l) => !l.includes('"<stdin>"')).join("\n")));
    if (resetPending !== null) {
      flush();
      return;
    }
  }
  emit(`${banner()}>>> `);
  flush();
}

function exists(file) {
  try {
    return mp.FS.isFile(mp.FS.stat(file).mode);
  } catch {
    return false;
  }
}

function firmwareEnded(text) {
  if (mode !== FIRMWARE || resetPending !== null) return;
  mode = FRIENDLY;
  rx = [];
  emitCooked(Buffer.from(text, "utf8"));
  emit(`${banner()}>>> `);
  flush();
}

// A hard reset (machine.reset(), the watchdog): a fresh instance that runs boot.py and main.py.
function requestReset(cause) {
  if (resetPending !== null) return;
  resetPending = cause;
  queue = queue.then(async () => {
    try {
      mp.runPython("import platform_board\nplatform_board.stop()"); // the old firmware's tasks end
    } catch { /* a board without the platform module */ }
    persist();
    const files = dumpFs(mp.FS);
    resetCause = resetPending;
    mode = FRIENDLY;
    await boot(files);
    resetPending = null;
    runMain();
  });
}

function execRaw(code) {
  const [stdout, err] = run(Buffer.from(code).toString("utf8"));
  if (resetPending !== null) return; // the board is resetting: it never answers
  emitCooked(stdout);
  emit("\x04");
  emitCooked(Buffer.from(err, "utf8"));
  emit("\x04");
  persist();
}

function execFriendly(src) {
  mp.globals.set("_board_src", src);
  const [stdout, err] = run("exec(compile(_board_src, '<stdin>', 'single'))");
  if (resetPending !== null) return;
  emitCooked(stdout);
  if (err) {
    // The wrapper's own frame is not the user's: drop the first "<stdin>" frame line.
    const lines = err.split("\n");
    const i = lines.findIndex((l) => l.startsWith('  File "<stdin>"'));
    if (i >= 0) lines.splice(i, 1);
    emitCooked(Buffer.from(lines.join("\n"), "utf8"));
  }
  persist();
}

async function friendlyChar(c) {
  if (c === 0x01) {
    mode = RAW;
    line = [];
    block = [];
    emit(`\r\n${RAW_BANNER}>`);
  } else if (c === 0x02) {
    line = [];
    block = [];
    emit(`\r\n${banner()}>>> `);
  } else if (c === 0x03) {
    line = [];
    block = [];
    emit("\r\n>>> ");
  } else if (c === 0x04) {
    if (line.length || block.length) return;
    emit("\r\n");
    await softReset();
    runMain();
  } else if (c === 0x08 || c === 0x7f) {
    if (line.length) {
      line.pop();
      emit("\b \b");
    }
  } else if (c === 0x0d || c === 0x0a) {
    if (c === 0x0a) return; // a terminal sends \r; \r\n counts once
    const text = Buffer.from(line).toString("utf8");
    line = [];
    emit("\r\n");
    if (block.length) {
      if (text.trim() === "") {
        execFriendly(`${block.join("\n")}\n`);
        block = [];
      } else {
        block.push(text);
        emit("... ");
        return;
      }
    } else if (text.trimEnd().endsWith(":")) {
      block.push(text);
      emit("... ");
      return;
    } else if (text.trim() !== "") {
      execFriendly(text);
    }
    if (resetPending === null) emit(">>> ");
  } else if (c >= 0x20 || c === 0x09) {
    line.push(c);
    emit(Buffer.from([c]));
  }
}

async function rawChar(c) {
  switch (mode) {
    case RAW:
      if (c === 0x01) {
        line = [];
        emit(`${RAW_BANNER}>`);
      } else if (c === 0x02) {
        mode = FRIENDLY;
        line = [];
        emit(`\r\n${banner()}>>> `);
      } else if (c === 0x03) {
        line = [];
      } else if (c === 0x04) {
        emit("OK");
        if (line.length === 0) {
          emit("\r\n");
          await softReset();
          emit(`${RAW_BANNER}>`);
          return;
        }
        const code = line;
        line = [];
        execRaw(code);
        emit(">");
      } else if (c === 0x05 && line.length === 0) {
        mode = PASTE_A;
        emit("R");
      } else {
        line.push(c);
      }
      return;
    case PASTE_A:
      if (c === 0x41) {
        mode = PASTE_1;
      } else {
        mode = RAW; // not a raw-paste request after all: the byte is code
        line.push(c);
      }
      return;
    case PASTE_1:
      if (c === 0x01 && opts.paste) {
        mode = PASTE;
        line = [];
        pasteRemain = opts.window;
        emit(Buffer.from([0x01, opts.window & 0xff, opts.window >> 8]));
      } else {
        mode = RAW;
        emit("\x00");
        if (c !== 0x01) line.push(c);
      }
      return;
    case PASTE:
      if (c === 0x04 || c === 0x03) {
        emit("\x04"); // end of data acknowledged
        mode = RAW;
        const code = line;
        line = [];
        if (c === 0x03) {
          emit("\x04");
          emitCooked(Buffer.from("KeyboardInterrupt: \n"));
          emit("\x04");
        } else {
          execRaw(code);
        }
        emit(">");
        return;
      }
      line.push(c);
      if (--pasteRemain === 0) {
        pasteRemain = opts.window;
        emit("\x01"); // room for another window
      }
      return;
    default:
  }
}

async function feed(data) {
  if (opts.baud) {
    // A serial line carries 10 bits per byte (start, 8 data, stop): the board hears the
    // host's bytes no faster than that.
    await new Promise((resolve) => setTimeout(resolve, (data.length * 10 * 1000) / opts.baud));
  }
  for (const c of data) {
    if (resetPending !== null) continue; // a resetting board hears nothing
    if (mode === FIRMWARE) {
      if (c === 0x03 && kbdIntr === 3) mp.runPython("import platform_board\nplatform_board.interrupt()");
      else rx.push(c);
      continue;
    }
    if (mode === FRIENDLY) await friendlyChar(c);
    else await rawChar(c);
    // Raw-paste flow control and prompts must not wait for the rest of the chunk.
    if (mode === PASTE ? out.length > 0 && out.at(-1) === 0x01 : false) flush();
  }
  flush();
}

function shutdown(code) {
  try {
    flush();
    if (mp) {
      dirty = true;
      persist();
    }
  } finally {
    process.exit(code);
  }
}

await boot(loadState());
if (process.env.REPL_BOARD_INFO) {
  // One line of JSON about the board on stderr, for tools and tests.
  process.stderr.write(`${JSON.stringify({ version, mpy: mpyVersion, fsSize: opts.fsSize, uid })}\n`);
}
// The firmware's tasks run from JavaScript timers, so what escapes a task lands here. SystemExit
// is how machine.reset() and the stopped tasks of an ended firmware unwind (ignored); another
// Python exception is printed on the port, as MicroPython's asyncio prints an exception no one
// retrieved, and the board goes on.
process.on("uncaughtException", (e) => {
  if (e && e.name === "PythonError") {
    if (e.type !== "SystemExit" && mode === FIRMWARE && resetPending === null) {
      emitCooked(Buffer.from(`Task exception wasn't retrieved\n${e.message}`, "utf8"));
      flush();
    }
    return;
  }
  process.stderr.write(`repl_board.mjs: ${e && e.stack ? e.stack : e}\n`);
  shutdown(1);
});
runMain(); // power-on
process.stdin.on("data", (data) => {
  queue = queue.then(() => feed(data)).catch((e) => {
    process.stderr.write(`repl_board.mjs: ${e && e.stack ? e.stack : e}\n`);
    shutdown(1);
  });
});
process.stdin.on("end", () => queue.then(() => shutdown(0)));
process.on("SIGTERM", () => queue.then(() => shutdown(0)));
process.on("SIGINT", () => queue.then(() => shutdown(0)));
