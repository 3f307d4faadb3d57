#!/usr/bin/env node
// safe-mmap bench [file] [--chunk 64k] [--rounds N] [--json] [--svg path] [--size 1g]
//
// Benchmarks safe-mmap against fs.readSync, fs.read, FileHandle.read,
// readFileSync and fs.createReadStream on `file`, or, without one, on a
// generated file of random bytes (1 GiB unless --size), plus write cases on a
// scratch file. Rounds are interleaved; each figure is a median, with its
// ratio against fs measured in the same run. Progress goes to stderr, a
// markdown report (or JSON with --json) to stdout.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { runSuite, checkTargets } = require('../bench/suite');
const report = require('../bench/report');

const USAGE = 'usage: safe-mmap bench [file] [--chunk 64k] [--rounds N] [--json] [--svg path] [--size 1g]';

/** "64k", "1m", "4096" -> bytes. */
function parseSize(text, option) {
  const match = /^(\d+)([kmg]?)(i?b)?$/i.exec(String(text).trim());
  const bytes = match && Number(match[1]) * 1024 ** ' kmg'.indexOf((match[2] || ' ').toLowerCase());
  if (!match || !Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${option}: not a size: ${text}`);
  return bytes;
}

class UsageError extends Error {}

function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      chunk: { type: 'string' },
      rounds: { type: 'string' },
      json: { type: 'boolean', default: false },
      svg: { type: 'string' },
      size: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true };
  const [command, file, ...extra] = positionals;
  if (command !== 'bench') throw new UsageError(command === undefined ? 'no command' : `unknown command: ${command}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  const rounds = values.rounds === undefined ? 15 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds: not a positive integer: ${values.rounds}`);
  return {
    file,
    chunks: values.chunk === undefined ? [4 << 10, 64 << 10, 1 << 20] : [parseSize(values.chunk, '--chunk')],
    rounds,
    json: values.json,
    svg: values.svg,
    generatedSize: values.size === undefined ? 1 << 30 : parseSize(values.size, '--size'),
  };
}

function generateFile(filePath, size) {
  const fd = fs.openSync(filePath, 'w');
  try {
    for (let at = 0; at < size; at += 64 << 20) fs.writeSync(fd, crypto.randomBytes(Math.min(64 << 20, size - at)));
    fs.fsyncSync(fd);  // dirty pages cannot be evicted for the cold-cache case
  } finally {
    fs.closeSync(fd);
  }
}

async function main() {
  let options;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError) && error.code?.startsWith('ERR_PARSE_ARGS') !== true) throw error;
    console.error(`safe-mmap: ${error.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options.help) return console.log(USAGE);
  const progress = (line) => process.stderr.write(`\r\x1b[K${line}`);
  const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-bench-'));
  try {
    let filePath = options.file;
    if (filePath === undefined) {
      filePath = path.join(scratchDir, 'random.bin');
      progress(`generating ${options.generatedSize} random bytes in ${filePath}`);
      generateFile(filePath, options.generatedSize);
    }
    const result = await runSuite(filePath, {
      chunks: options.chunks, rounds: options.rounds, progress, writes: options.file === undefined, scratchDir,
    });
    process.stderr.write('\r\x1b[K');
    const run = {
      machine: report.machine(),
      date: new Date().toISOString().slice(0, 10),
      rounds: options.rounds,
      ...result,
      targets: checkTargets(result.groups),
    };
    if (options.svg) fs.writeFileSync(options.svg, report.svg(run));
    process.stdout.write(options.json ? JSON.stringify(run, null, 2) + '\n' : report.markdown(run));
  } finally {
    fs.rmSync(scratchDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write('\n');
  console.error(`safe-mmap bench: ${error.message}`);
  process.exitCode = 1;
});
