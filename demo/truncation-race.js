#!/usr/bin/env node
// Proof of concept, side by side: two readers map the same file and read it
// in a loop while another process (program B, the truncator) keeps truncating
// it and writing it back.
//
//   raw mapping  what every other Node mmap package does: a plain mmap and a
//                memcpy, no fault guard, no size check. Modelled with this
//                package's own addon in `validate: 'fault'` mode with the guard
//                switched off (SAFE_MMAP_TEST_DISABLE_GUARD=1). It dies by SIGBUS.
//   safe-mmap    the default mode. It catches MappedFileTruncated, checks every
//                byte it got against the pattern, and survives.
//
// Usage: npm run demo [-- --seconds N]      (default 3 seconds)
// Exits 0 only if the raw reader died by SIGBUS and the safe-mmap reader
// survived with only MappedFileTruncated errors and no wrong byte.
//
// The same file is also the child programs, picked by `--role`:
//   --role raw|safe <file> <statusFile>   a reader
//   --role truncator <file>               program B
// Each child opens the file, reports 'ready' over IPC, then runs until the
// deadline the parent sends with 'go'. Readers keep their tally in a status
// file (rewritten in place), so a reader killed by a signal still leaves its
// count behind.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');

const FILE_LENGTH = 4 * 1024 * 1024 + 1234;  // a few MiB, not a whole number of pages
const CHUNK = 64 * 1024;
const PAGE = 4096;
const STATUS_BYTES = 4096;

/** The byte the file holds at `offset`. Never 0, and different on neighbouring pages. */
function patternByte(offset) {
  return 1 + ((offset + 7 * Math.floor(offset / PAGE)) % 251);
}

function patternBuffer(length) {
  const buffer = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buffer[i] = patternByte(i);
  return buffer;
}

// ---------------------------------------------------------------- children

function childMain(role, args) {
  if (role === 'truncator') return truncatorMain(args[0]);
  if (role === 'raw' || role === 'safe') return readerMain(role, args[0], args[1]);
  throw new Error(`unknown role ${role}`);
}

/** Waits for the parent's 'go' and calls run(deadline). */
function onGo(run) {
  process.once('message', (message) => {
    if (!message || message.type !== 'go') process.exit(2);
    run(message.deadline);
  });
  process.send({ type: 'ready' });
}

function readerMain(role, file, statusPath) {
  // Loads lib/ (the package's main entry); binding.ts reads
  // SAFE_MMAP_TEST_DISABLE_GUARD at load time.
  const safeMmap = require(path.join(__dirname, '..'));
  const statusFd = fs.openSync(statusPath, 'w');
  const tally = { role, reads: 0, bytesChecked: 0, wrongBytes: 0, firstWrong: null, errors: {}, errorMessages: {} };
  const writeStatus = () => {
    const text = JSON.stringify(tally);
    const buffer = Buffer.alloc(Math.max(STATUS_BYTES, text.length + 1), ' ');
    buffer.write(text);
    fs.writeSync(statusFd, buffer, 0, buffer.length, 0);
  };
  writeStatus();

  // Mapped while the file is whole: the truncator only starts after 'ready'.
  const mapped = safeMmap.open(file, role === 'raw' ? { validate: 'fault' } : undefined);
  const view = mapped.view();
  const expected = patternBuffer(view.length);
  const target = Buffer.alloc(CHUNK);  // reused for every read

  onGo((deadline) => {
    // The raw reader records every read, so that its count is exact when the
    // signal comes; the safe one every 256 operations and at the end.
    const every = role === 'raw' ? 1 : 256;
    let operations = 0;
    while (Date.now() < deadline) {
      for (let offset = 0; offset < view.length; offset += CHUNK) {
        const end = Math.min(offset + CHUNK, view.length);
        try {
          const copied = view.copy(target, 0, offset, end);
          tally.reads++;
          tally.bytesChecked += copied;
          if (target.compare(expected, offset, offset + copied, 0, copied) !== 0) {
            for (let i = 0; i < copied; i++) {
              if (target[i] !== expected[offset + i]) {
                if (tally.firstWrong === null) {
                  tally.firstWrong = `offset ${offset + i}: got ${target[i]}, the file holds ${expected[offset + i]}`;
                }
                tally.wrongBytes++;
              }
            }
          }
        } catch (error) {
          const name = (error && error.name) || typeof error;
          const key = error && error.code && !String(name).startsWith('Mapped') ? `${name} ${error.code}` : name;
          tally.errors[key] = (tally.errors[key] || 0) + 1;
          if (!(key in tally.errorMessages)) tally.errorMessages[key] = String(error && error.message);
        }
        if (++operations % every === 0) writeStatus();
      }
    }
    mapped.close();
    writeStatus();
    fs.closeSync(statusFd);
    process.exit(0);
  });
}

function truncatorMain(file) {
  const pattern = patternBuffer(FILE_LENGTH);
  const fd = fs.openSync(file, 'r+');
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const sleep = (ms) => Atomics.wait(sleeper, 0, 0, ms);
  onGo((deadline) => {
    let cycles = 0;
    while (Date.now() < deadline) {
      // Sizes: 0, anywhere (almost never page-aligned), just past a page
      // boundary, and just short of the end.
      let size;
      switch (cycles % 4) {
        case 0: size = 0; break;
        case 1: size = Math.floor(Math.random() * FILE_LENGTH); break;
        case 2: size = PAGE * Math.floor(Math.random() * (FILE_LENGTH / PAGE)) + 1 + Math.floor(Math.random() * 100); break;
        default: size = FILE_LENGTH - 1 - Math.floor(Math.random() * 2 * PAGE); break;
      }
      fs.ftruncateSync(fd, size);
      sleep(Math.random());  // let the readers run into the short file
      // Write the pattern back from the cut, a page at a time, so the file
      // only ever holds pattern bytes or is shorter.
      for (let at = size; at < FILE_LENGTH; at += PAGE) {
        fs.writeSync(fd, pattern, at, Math.min(PAGE, FILE_LENGTH - at), at);
      }
      cycles++;
      sleep(2 * Math.random());  // and give them whole-file reads too
    }
    fs.closeSync(fd);
    process.send({ type: 'done', cycles }, () => process.exit(0));
  });
}

// ---------------------------------------------------------------- parent

function parseArguments(argv) {
  let seconds = 3;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log('usage: node demo/truncation-race.js [--seconds N]');
      process.exit(0);
    }
    let value;
    if (arg === '--seconds') value = argv[++i];
    else if (arg.startsWith('--seconds=')) value = arg.slice('--seconds='.length);
    else throw usageError(`unknown argument ${arg}`);
    seconds = Number(value);
    if (!Number.isFinite(seconds) || seconds <= 0) throw usageError(`--seconds needs a positive number, got ${value}`);
  }
  return { seconds };
}

function usageError(message) {
  return Object.assign(new Error(`${message}\nusage: node demo/truncation-race.js [--seconds N]`), { usage: true });
}

function startChild(name, role, args, dir, extraEnv) {
  const env = { ...process.env, ...extraEnv };
  if (!extraEnv.SAFE_MMAP_TEST_DISABLE_GUARD) delete env.SAFE_MMAP_TEST_DISABLE_GUARD;
  // cwd: the temp dir, so that a core dump of the crashing reader (where the
  // system writes them to the current directory) is removed with it.
  const child = fork(__filename, ['--role', role, ...args], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const state = { name, child, ready: false, exit: null, messages: [] };
  state.readyPromise = new Promise((resolve, reject) => {
    child.on('message', (message) => {
      state.messages.push(message);
      if (message && message.type === 'ready') { state.ready = true; resolve(); }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`${name} exited (${signal || code}) before it was ready`)));
  });
  state.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => { state.exit = { code, signal }; resolve(state.exit); });
  });
  state.readyPromise.catch(() => {});
  return state;
}

function readStatus(statusPath) {
  try {
    return JSON.parse(fs.readFileSync(statusPath, 'utf8').trim());
  } catch {
    return null;
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function describeExit(exit) {
  if (!exit) return 'still running';
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

function describeErrors(errors, skip) {
  return Object.entries(errors || {}).filter(([name]) => name !== skip).map(([name, count]) => `${name}: ${count}`).join(', ');
}

async function parentMain(argv) {
  const { seconds } = parseArguments(argv);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-demo-'));
  const file = path.join(dir, 'pattern.bin');
  fs.writeFileSync(file, patternBuffer(FILE_LENGTH));
  const rawStatus = path.join(dir, 'raw.status');
  const safeStatus = path.join(dir, 'safe.status');

  console.log(`truncation race: ${(FILE_LENGTH / 1048576).toFixed(1)} MiB pattern file, ${seconds} s, ` +
    `two readers copying it in ${CHUNK / 1024} KiB reads while program B truncates it (to 0 and to unaligned sizes) and writes it back`);

  const children = [
    startChild('raw mapping', 'raw', [file, rawStatus], dir, { SAFE_MMAP_TEST_DISABLE_GUARD: '1' }),
    startChild('safe-mmap', 'safe', [file, safeStatus], dir, {}),
    startChild('truncator', 'truncator', [file], dir, {}),
  ];
  const [raw, safe, truncator] = children;
  let failed = false;
  const killAll = () => { for (const { child, exit } of children) if (!exit) child.kill('SIGKILL'); };
  try {
    await withTimeout(Promise.all(children.map((c) => c.readyPromise)), 60_000, 'the children to start');
    const deadline = Date.now() + seconds * 1000;
    for (const { child } of children) child.send({ type: 'go', deadline });
    await withTimeout(Promise.all(children.map((c) => c.exitPromise)), seconds * 1000 + 60_000, 'the children to finish');
  } catch (error) {
    console.error(`demo: ${error.message}`);
    failed = true;
    killAll();
    await Promise.all(children.map((c) => c.exitPromise));
  }

  const done = truncator.messages.find((m) => m && m.type === 'done');
  console.log(`program B: ${done ? `${done.cycles} truncate/write-back cycles` : describeExit(truncator.exit)}`);

  // raw mapping
  const rawTally = readStatus(rawStatus) || { reads: 0, errors: {} };
  const rawDiedBySigbus = !!raw.exit && raw.exit.signal === 'SIGBUS';
  let rawLine = `raw mapping: ${describeExit(raw.exit)} after ${rawTally.reads} reads`;
  if (rawTally.wrongBytes) rawLine += ` (${rawTally.wrongBytes} wrong bytes returned before that)`;
  if (!rawDiedBySigbus) rawLine += ' -- expected it to die by SIGBUS';
  console.log(rawLine);

  // safe-mmap
  const safeTally = readStatus(safeStatus) || { reads: 0, wrongBytes: 0, errors: {} };
  const survived = !!safe.exit && safe.exit.code === 0 && safe.exit.signal === null;
  const truncatedCaught = (safeTally.errors && safeTally.errors.MappedFileTruncated) || 0;
  const otherErrors = describeErrors(safeTally.errors, 'MappedFileTruncated');
  let safeLine = `safe-mmap: ${survived ? 'survived' : describeExit(safe.exit)}; ${safeTally.reads} reads ok, ` +
    `${truncatedCaught} MappedFileTruncated caught, `;
  if (otherErrors) safeLine += `other errors (${otherErrors}), `;
  safeLine += `${safeTally.wrongBytes} wrong bytes`;
  console.log(safeLine);
  if (safeTally.firstWrong) console.log(`  first wrong byte: ${safeTally.firstWrong}`);
  for (const [name, message] of Object.entries(safeTally.errorMessages || {})) {
    if (name !== 'MappedFileTruncated') console.log(`  ${name}: ${message}`);
  }
  if (truncatedCaught === 0) console.log('  note: the safe-mmap reader never ran into a truncation');

  fs.rmSync(dir, { recursive: true, force: true });

  const ok = !failed && rawDiedBySigbus && survived && safeTally.wrongBytes === 0 && !otherErrors && safeTally.reads > 0;
  console.log(ok
    ? 'PASS: the unguarded mapping was killed by SIGBUS; safe-mmap turned every truncation into a catchable error'
    : 'FAIL: the demo did not show the expected outcome');
  return ok ? 0 : 1;
}

if (process.argv[2] === '--role') {
  childMain(process.argv[3], process.argv.slice(4));
} else {
  parentMain(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    console.error(`demo: ${error && error.usage ? error.message : (error && error.stack) || error}`);
    process.exitCode = 1;
  });
}
