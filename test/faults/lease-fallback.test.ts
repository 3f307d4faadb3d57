// Where no lease can be had, 'always' mode falls back to the fstat seqlock
// silently, and every guarantee still holds (the FUSE case is in
// test/faults/faultfs). validationMethod says which method is in force.
import { closeSync, openSync, truncateSync } from 'node:fs';
import { MappedFileTruncated, open } from '../../src';
import { spawn } from 'node:child_process';
import { packageCopyForOtherUsers } from '../support/processes';
import { PAGE, firstPatternMismatch, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { heatUntilLeased } from '../support/lease-heat.cjs';

const dir = useTempDir();

test('a lease on a local file; none in validate fault mode or on a writable mapping', () => {
  const path = dir.patternFile('local', 4 * PAGE);
  const leased = open(path);
  expect(heatUntilLeased(leased)).toBe('lease');
  const fault = open(path, { validate: 'fault' });
  expect(fault.validationMethod).toBe('none');
  leased.close();
  const writable = open(path, { mode: 'r+' });
  expect(heatUntilLeased(writable)).toBe('fstat');
  writable.close();
  const optedOut = open(path, { lease: false });
  expect(heatUntilLeased(optedOut)).toBe('fstat');
  expect(optedOut.view().subarray(0, PAGE).snapshot()).toEqual(patternBuffer(0, PAGE));
  optedOut.close();
  expect(() => open(path, { lease: 'no' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  fault.close();
  expect(fault.validationMethod).toBe('closed');
});

test('a writer holding the file open at open(): fstat mode, truncation still caught, the lease taken once it closes', async () => {
  const path = dir.patternFile('held', 4 * PAGE);
  const writerFd = openSync(path, 'r+');
  const file = open(path);
  expect(heatUntilLeased(file)).toBe('fstat');  // EAGAIN
  const view = file.view();
  truncateSync(path, PAGE + 10);
  expect(() => view.readUInt8(PAGE + 20)).toThrow(MappedFileTruncated);  // the zero tail page is refused
  expect(firstPatternMismatch(view.subarray(0, PAGE + 10).snapshot(), 0)).toBe(-1);
  closeSync(writerFd);
  const deadline = Date.now() + 3000;
  while (file.validationMethod !== 'lease' && Date.now() < deadline) {
    heatUntilLeased(file, 100);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(file.validationMethod).toBe('lease');
  file.close();
});

test('a process that does not own the file and lacks CAP_LEASE (nobody): fstat mode, truncation still caught', async () => {
  const path = dir.patternFile('not-mine', 4 * PAGE);
  const packageCopy = packageCopyForOtherUsers(dir.path);  // makes dir.path readable too
  // setpriv runs node as nobody with no capabilities: F_SETLEASE gives EACCES.
  const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all',
    process.execPath, '-e', `
      const { open } = require(${JSON.stringify(packageCopy)});
      const file = open(${JSON.stringify(path)});
      const view = file.view();
      console.log(file.validationMethod);
      require('node:fs').readSync(0, Buffer.alloc(1));  // the parent truncates meanwhile
      try { view.readUInt8(${PAGE + 20}); console.log('read'); } catch (error) { console.log(error.name); }
    `], { stdio: ['pipe', 'pipe', 'inherit'], cwd: dir.path });  // Node 24 reads package.json files above the cwd
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Also settles when the child ends without a line (it could not read the
  // package, say): the expectations below then say so, instead of a timeout.
  await Promise.race([exited, new Promise<void>((resolve) => child.stdout.on('data', (chunk) => {
    output += chunk;
    if (output.includes('\n')) resolve();
  }))]);
  truncateSync(path, PAGE + 10);
  child.stdin.on('error', () => {});  // EPIPE when the child already ended: its exit code below tells
  child.stdin.end('go\n');
  const code = await exited;
  expect(code).toBe(0);
  expect(output.trim().split('\n')).toEqual(['fstat', 'MappedFileTruncated']);
});
