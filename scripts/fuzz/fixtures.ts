// The bad-input fuzz's files (the fixtures, made once per run) and each case's
// context: the subject it opens over them, and everything it must close.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE } from '../../test/support/files';
import { prng } from '../../test/support/random';
import type { MappedFile, MappedView, SafeMmap } from '../package';
import type { Case, Subject } from './cases';

const CONTENT_LENGTH = 2 * PAGE + 3;  // three pages, the last one partial

export interface Paths {
  dir: string; ro: string; empty: string; rw: string; wplus: string; truncated: string; grown: string;
  target: string; created: string; protectedLink: string; fifo: string; loop: string; junk: string;
}
export interface Fixtures { content: Buffer; paths: Paths }

/** What one case runs against: its subject and the files it opened. */
export interface Context {
  fixtures: Fixtures;
  file: MappedFile | null;
  view: MappedView | null;
  size: number;
  /** Done right after the call starts (e.g. aborting a signal). */
  afterCall: (() => void)[];
  /** Another file over a fixture, closed with the case. */
  extraFile(which: keyof Paths): MappedFile;
  close(): void;
}

/** n modulo m, or 0 when m is not positive. */
export const mod = (n: number, m: number): number => (m <= 0 ? 0 : n % m);

function makeContent(seed: number): Buffer {
  // The content follows from the seed, so needles taken from it replay.
  const random = prng(seed);
  const bytes = Buffer.alloc(CONTENT_LENGTH);
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.uint32() & 0xff;
  return bytes;
}

export function makeFixtures(dir: string, seed: number): Fixtures {
  const fixtureDir = fs.mkdtempSync(path.join(dir, 'fuzz-'));
  const p = (name: string): string => path.join(fixtureDir, name);
  const content = makeContent(seed);
  const paths: Paths = {
    dir: fixtureDir, ro: p('ro.bin'), empty: p('empty.bin'), rw: p('rw.bin'), wplus: p('wplus.bin'),
    truncated: p('truncated.bin'), grown: p('grown.bin'), target: p('target.bin'), created: p('created.bin'),
    protectedLink: p('ro-link.bin'), fifo: p('fifo'), loop: p('loop'), junk: p('junk'),
  };
  fs.mkdirSync(paths.junk);
  fs.writeFileSync(paths.ro, content);
  fs.writeFileSync(paths.empty, '');
  fs.writeFileSync(paths.rw, content);
  fs.writeFileSync(paths.target, content);
  fs.symlinkSync(paths.ro, paths.protectedLink);
  fs.symlinkSync(paths.loop, paths.loop);  // ELOOP
  try {
    execFileSync('mkfifo', [paths.fifo]);
  } catch {
    paths.fifo = '/dev/null';  // no mkfifo: another non-regular file
  }
  return { content, paths };
}

function openSubject(lib: SafeMmap, fixtures: Fixtures, subject: Subject): { file: MappedFile; afterView?: () => void } {
  const { paths, content } = fixtures;
  const options = { validate: subject.validate, populate: subject.populate, grow: subject.grow ? 'auto' as const : 'never' as const };
  switch (subject.file) {
    case 'ro': return { file: lib.open(paths.ro, options) };
    case 'empty': return { file: lib.open(paths.empty, options) };
    case 'rw': return { file: lib.open(paths.rw, { ...options, mode: 'r+' }) };
    case 'wplus': return { file: lib.open(paths.wplus, { ...options, mode: 'w+', size: mod(subject.cut, 3 * PAGE + 1) }) };
    case 'truncated': {  // mapped at full size, then cut on disk: past the cut is MappedFileTruncated
      fs.writeFileSync(paths.truncated, content);
      const file = lib.open(paths.truncated, { ...options, mode: subject.writable ? 'r+' : 'r' });
      return { file, afterView: () => fs.truncateSync(paths.truncated, mod(subject.cut, content.length)) };
    }
    default: {  // grown: mapped short, then extended on disk (grow: 'auto' and refresh() reach the rest)
      const cut = mod(subject.cut, content.length);
      fs.writeFileSync(paths.grown, content.subarray(0, cut));
      const file = lib.open(paths.grown, { ...options, mode: subject.writable ? 'r+' : 'r' });
      fs.appendFileSync(paths.grown, content.subarray(cut));
      return { file };
    }
  }
}

export function makeContext(lib: SafeMmap, fixtures: Fixtures, testCase: Case): Context {
  const opened: MappedFile[] = [];
  const ctx: Context = {
    fixtures, file: null, view: null, size: fixtures.content.length, afterCall: [],
    extraFile(which) {
      const file = lib.open(fixtures.paths[which]);
      opened.push(file);
      return file;
    },
    close() {
      for (const file of opened) file.close();
    },
  };
  if (testCase.method.on === 'module' && !testCase.method.over) return ctx;
  const { subject } = testCase;
  const { file, afterView } = openSubject(lib, fixtures, subject);
  opened.push(file);
  ctx.file = file;
  ctx.size = file.size;
  if (testCase.method.on === 'view' || testCase.method.over === 'view') {
    const at = mod(subject.at, file.size + 1);
    let view = file.view(at, mod(subject.length, file.size - at + 1));
    if (subject.sub) view = view.subarray(subject.sub[0], subject.sub[1]);
    ctx.view = view;
  }
  if (afterView) afterView();
  if (subject.closed) file.close();
  return ctx;
}
