// Renders one benchmark run: a markdown table per group, the targets, and an
// SVG bar chart of the ratios.
'use strict';
const os = require('node:os');

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

function describeMachine(run) {
  const { cpus, model, memoryGiB, kernel, node } = run.machine;
  return `${cpus} × ${model}, ${memoryGiB} GiB, ${kernel}, Node ${node}; ${run.date}; `
    + `${run.rounds} interleaved rounds (a third of them for the large cases), medians.`;
}

function markdown(run) {
  const lines = [`Machine: ${describeMachine(run)}`, `File: ${run.file.path} (${run.file.size} bytes)`];
  for (const group of run.groups) {
    const throughput = group.bytesPerOperation !== undefined;
    const faults = group.rows.some((row) => row.minorFaults !== undefined);  // bench/snapshot.js
    lines.push('', `### ${group.title}`, '',
      `| case | median ns/op | ${throughput ? 'GB/s | ' : ''}speed vs ${group.baseline} |${faults ? ' minor faults/op |' : ''}`,
      `|---|---:|${throughput ? '---:|' : ''}---:|${faults ? '---:|' : ''}`);
    for (const row of group.rows) {
      const rate = throughput ? `${(group.bytesPerOperation / row.nsPerOperation).toFixed(2)} | ` : '';
      lines.push(`| ${row.name} | ${row.nsPerOperation.toFixed(1)} | ${rate}${row.ratio.toFixed(2)}x |${faults ? ` ${row.minorFaults} |` : ''}`);
    }
  }
  if (run.targets.length > 0) {
    lines.push('', '### Targets', '', '| target | wanted | measured | |', '|---|---:|---:|---|');
    for (const target of run.targets) {
      const show = (value) => (target.unit === '%' ? `${(value * 100).toFixed(1)}%`
        : target.unit === 'ms' ? `${value.toFixed(3)} ms` : `${value.toFixed(2)}x`);
      lines.push(`| ${target.name} | ${target.relation} ${show(target.wanted)} | ${show(target.measured)} | ${target.met ? 'met' : '**missed**'} |`);
    }
  }
  for (const note of run.notes) lines.push('', note);
  return lines.join('\n') + '\n';
}

function escapeXml(text) {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
}

/** Horizontal bars, one per non-baseline row, on a log scale around 1x. */
function svg(run) {
  const bars = [];
  for (const group of run.groups) {
    const short = group.title.split(',')[0].replace(/:.*/, '');
    const detail = group.title.match(/(\d+ (?:B|KiB|MiB)) chunks/)?.[1] ?? group.title.match(/(hot|whole)/)?.[1] ?? '';
    for (const row of group.rows) {
      if (row.name !== group.baseline) bars.push({ label: `${short}${detail ? ` (${detail})` : ''}: ${row.name} vs ${group.baseline}`, ratio: row.ratio });
    }
  }
  const width = 980;
  const labelWidth = 560;
  const rowHeight = 18;
  const top = 40;
  const height = top + bars.length * rowHeight + 30;
  const min = 0.25;
  const max = Math.max(32, ...bars.map((bar) => bar.ratio));
  const plot = width - labelWidth - 70;
  const x = (ratio) => labelWidth + (Math.log(Math.max(ratio, min) / min) / Math.log(max / min)) * plot;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="16" font-size="13" font-weight="bold">safe-mmap speed against fs (ratio, log scale; right of the line is faster)</text>`,
    `<text x="10" y="31" fill="#555">${escapeXml(describeMachine(run))}</text>`,
  ];
  for (const tick of [0.25, 0.5, 1, 2, 4, 8, 16, 32].filter((value) => value <= max)) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 4}" x2="${x(tick)}" y2="${height - 24}" stroke="${tick === 1 ? '#000' : '#ddd'}"/>`,
      `<text x="${x(tick)}" y="${height - 10}" text-anchor="middle">${tick}x</text>`);
  }
  bars.forEach((bar, index) => {
    const y = top + index * rowHeight;
    const from = Math.min(x(1), x(bar.ratio));
    const color = bar.ratio >= 1 ? '#2e7d32' : '#c62828';
    parts.push(`<text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${from}" y="${y + 3}" width="${Math.max(1, Math.abs(x(bar.ratio) - x(1)))}" height="${rowHeight - 6}" fill="${color}"/>`,
      `<text x="${Math.max(x(1), x(bar.ratio)) + 4}" y="${y + 12}">${bar.ratio.toFixed(2)}x</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

module.exports = { machine, markdown, svg };
