/**
 * The self-contained HTML report: inline SVG charts (phase times per mode,
 * ratios, latency distributions) and the result JSON, no external assets.
 */
import { writeFileSync } from 'node:fs';
import type { BenchSyncResult } from './run.js';
import type { Latency } from './stats.js';
import { formatBenchSync } from './text.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS: Record<string, string> = { ovnscale: '#2b7bb9', naive: '#d9534f', floor: '#5cb85c' };

interface Bar {
  label: string;
  value: number;
  color: string;
  note?: string;
}

/** Horizontal bars on a log10 axis (phase times span five orders of magnitude). */
function barChart(title: string, bars: Bar[], unit: string): string {
  const w = 760;
  const rowH = 22;
  const left = 250;
  const h = 40 + bars.length * rowH;
  const positive = bars.map((b) => b.value).filter((v) => v > 0);
  if (!positive.length) return '';
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.ceil(Math.log10(Math.max(...positive))) + (Math.min(...positive) === Math.max(...positive) ? 1 : 0);
  const x = (v: number) => left + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / Math.max(1, hi - lo)) * (w - left - 120);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img"><title>${esc(title)}</title>`, `<text x="0" y="16" font-weight="bold">${esc(title)}</text>`];
  for (let e = lo; e <= hi; e++) parts.push(`<line x1="${x(10 ** e)}" y1="24" x2="${x(10 ** e)}" y2="${h - 4}" stroke="#ddd"/><text x="${x(10 ** e)}" y="${h}" font-size="10" text-anchor="middle">${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)}</text>`);
  bars.forEach((b, i) => {
    const y = 28 + i * rowH;
    parts.push(`<text x="${left - 6}" y="${y + 13}" font-size="12" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value) - left)}" height="${rowH - 6}" fill="${b.color}"/>`);
    parts.push(`<text x="${x(b.value) + 4}" y="${y + 13}" font-size="11">${b.value.toPrecision(3)} ${unit}${b.note ? ` ${esc(b.note)}` : ''}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Each latency series as an empirical CDF (x: ms, log10). */
function cdfChart(title: string, series: { name: string; l: Latency; color: string }[]): string {
  const all = series.flatMap((s) => s.l.samplesMs).filter((v) => v > 0);
  if (!all.length) return '';
  const w = 760;
  const h = 260;
  const left = 50;
  const lo = Math.floor(Math.log10(Math.min(...all)));
  const hi = Math.ceil(Math.log10(Math.max(...all))) + 0.001;
  const x = (v: number) => left + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (w - left - 20);
  const y = (q: number) => 30 + (1 - q) * (h - 60);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img"><title>${esc(title)}</title>`, `<text x="0" y="16" font-weight="bold">${esc(title)}</text>`];
  for (let e = lo; e <= Math.floor(hi); e++) parts.push(`<line x1="${x(10 ** e)}" y1="30" x2="${x(10 ** e)}" y2="${h - 30}" stroke="#ddd"/><text x="${x(10 ** e)}" y="${h - 16}" font-size="10" text-anchor="middle">${10 ** e} ms</text>`);
  for (const q of [0, 0.5, 0.99, 1]) parts.push(`<text x="${left - 4}" y="${y(q) + 4}" font-size="10" text-anchor="end">${q}</text>`);
  series.forEach((s, i) => {
    const xs = [...s.l.samplesMs].sort((a, b) => a - b);
    const pts = xs.map((v, k) => `${x(v).toFixed(1)},${y((k + 1) / xs.length).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
    parts.push(`<text x="${w - 200}" y="${44 + i * 14}" font-size="11" fill="${s.color}">${esc(s.name)} (n ${s.l.n}, p99 ${s.l.p99Ms} ms)</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

const PALETTE = ['#2b7bb9', '#f0ad4e', '#5cb85c', '#9b59b6', '#d9534f', '#16a085', '#7f8c8d', '#34495e'];

export function reportHtml(r: BenchSyncResult): string {
  const phaseBars: Bar[] = r.phases.map((p) => ({ label: `${p.mode}: ${p.phase}`, value: p.seconds, color: COLORS[p.mode] ?? '#888', ...(p.scaled ? { note: '(scaled)' } : {}) }));
  const ratioBars: Bar[] = [];
  if (r.ratios.coldOverFloor !== undefined) ratioBars.push({ label: 'cold sync / raw floor', value: r.ratios.coldOverFloor, color: COLORS.floor! });
  if (r.ratios.warmOverFloor !== undefined) ratioBars.push({ label: 'warm restart (own process) / raw monitor floor', value: r.ratios.warmOverFloor, color: COLORS.floor! });
  for (const [k, v] of Object.entries(r.ratios.naiveOverOvnscale)) ratioBars.push({ label: `naive / ovnscale: ${k}`, value: v, color: COLORS.naive! });
  const o = r.ovnscale;
  const series: { name: string; l: Latency }[] = [];
  if (o?.service) series.push({ name: 'Service create', l: o.service.create }, { name: 'Service delete', l: o.service.delete });
  if (o?.churn) series.push({ name: 'pod create', l: o.churn.create }, { name: 'pod delete', l: o.churn.delete });
  if (o?.netpol) series.push({ name: 'NetworkPolicy create', l: o.netpol.create }, { name: 'NetworkPolicy update', l: o.netpol.update });
  const c = r.cluster;
  const json = JSON.stringify(r, null, 1).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ovnscale bench sync: ${c.pods} pods</title>
<style>body{font-family:sans-serif;max-width:820px;margin:2em auto;color:#222}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}svg{display:block;margin:1.5em 0;font-family:sans-serif}</style>
</head><body>
<h1>ovnscale bench sync</h1>
<p>${esc(`${c.nodes} nodes, ${c.subnets} subnets, ${c.pods} pods, ${c.policies} NetworkPolicies, ${c.services} Services (${c.objects} objects), ${r.machine.cpus} CPUs, ${r.date}`)}</p>
${barChart('Phase times (seconds, log scale; latency phases: median)', phaseBars, 's')}
${barChart('Ratios (log scale)', ratioBars, '×')}
${cdfChart('API write → NB commit, ovnscale (cumulative share of samples)', series.map((s, i) => ({ ...s, color: PALETTE[i % PALETTE.length]! })))}
<h2>Figures</h2>
<pre>${esc(formatBenchSync(r))}</pre>
<h2>JSON</h2>
<pre id="result-json">${esc(JSON.stringify(r, null, 1))}</pre>
<script type="application/json" id="result">${json}</script>
</body></html>
`;
}

export function writeReport(path: string, r: BenchSyncResult): void {
  writeFileSync(path, reportHtml(r));
}
