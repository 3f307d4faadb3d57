// The Linux side of the Windows tests under Wine (test/windows/): does what a
// Windows process cannot, because Windows refuses it while a view of the
// file is mapped (ERROR_USER_MAPPED_FILE), and Wine's node.exe cannot start
// Linux programs: truncate a file under a mapped view, as another program on
// the host (or a file server) would. scripts/ci-windows.sh starts it:
//   node test/support/wine-host.js DIR
// and the tests (test/support/wine.ts) ask it through files in DIR:
// <id>.request holds {"op": "truncate", "path": unix path, "size": n}; the
// answer is <id>.done, {"ok": true} or {"error": message}. It ends when DIR
// disappears or DIR/stop appears.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
if (!dir) throw new Error('usage: node test/support/wine-host.js DIR');

function serve(request) {
  if (request.op === 'truncate') fs.truncateSync(request.path, request.size);
  else throw new Error(`unknown op ${request.op}`);
}

function round() {
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch {
    process.exit(0);  // the directory is gone: the stage is over
  }
  if (names.includes('stop')) process.exit(0);
  for (const name of names.filter((entry) => entry.endsWith('.request'))) {
    const id = name.slice(0, -'.request'.length);
    let answer;
    try {
      serve(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
      answer = { ok: true };
    } catch (error) {
      answer = { error: String(error && error.message) };
    }
    fs.rmSync(path.join(dir, name), { force: true });
    // Written aside, then renamed: the test never reads half an answer.
    fs.writeFileSync(path.join(dir, `${id}.tmp`), JSON.stringify(answer));
    fs.renameSync(path.join(dir, `${id}.tmp`), path.join(dir, `${id}.done`));
  }
  setTimeout(round, 2);
}
round();
