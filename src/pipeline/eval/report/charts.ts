// Report charts drawn as SVG (ROC/PR lines, score histograms), inlined in report.html.
// Layout and drawing only: the points come from curve-metrics.ts; text needs any system sans-serif font.

export interface Series {
  name: string;
  x: number[];
  y: number[];
  color: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Dashed chance line from (0,0) to (1,1) (ROC). */
  diagonal?: boolean;
  /** Shown in the plot area when there is nothing to draw. */
  emptyNote?: string;
  /** Where the legend goes, away from where the curves usually run. */
  legend?: 'top-right' | 'bottom-right' | 'bottom-left';
}

export interface HistogramGroup {
  name: string;
  values: number[];
  color: string;
}

export interface Histogram {
  title: string;
  xLabel: string;
  groups: HistogramGroup[];
  bins?: number;
  /** Vertical markers (e.g. the threshold in force). */
  markers?: { x: number; label: string }[];
}

const W = 480;
const H = 360;
const PAD = { left: 56, right: 16, top: 34, bottom: 46 };
const PW = W - PAD.left - PAD.right;
const PH = H - PAD.top - PAD.bottom;
const FONT = "font-family='DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif'";

export function lineChartSvg(c: LineChart): string {
  const sx = (x: number): number => PAD.left + x * PW;
  const sy = (y: number): number => PAD.top + (1 - y) * PH;
  const parts = [frame(c.title, c.xLabel, c.yLabel, [0, 1], [0, 1])];
  if (c.diagonal) parts.push(`<line x1='${sx(0)}' y1='${sy(0)}' x2='${sx(1)}' y2='${sy(1)}' stroke='#999' stroke-dasharray='4 4'/>`);
  c.series.forEach((s, i) => {
    const pts = s.x.map((x, k) => `${sx(x).toFixed(1)},${sy(s.y[k] as number).toFixed(1)}`).join(' ');
    parts.push(`<polyline points='${pts}' fill='none' stroke='${s.color}' stroke-width='2'/>`);
    parts.push(legend(i, s.name, s.color, c.legend ?? 'top-right', c.series.length));
  });
  if (c.series.length === 0 && c.emptyNote) parts.push(note(c.emptyNote));
  return svg(parts);
}

export function histogramSvg(h: Histogram): string {
  const all = h.groups.flatMap((g) => g.values);
  const bins = h.bins ?? 30;
  if (all.length === 0) return svg([frame(h.title, h.xLabel, 'images', [0, 1], [0, 1]), note('no scores')]);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  for (const m of h.markers ?? []) {
    if (Number.isFinite(m.x)) {
      lo = Math.min(lo, m.x);
      hi = Math.max(hi, m.x);
    }
  }
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const span = hi - lo;
  lo -= span * 0.02;
  hi += span * 0.02;
  const counts = h.groups.map((g) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of g.values) c[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
    return c;
  });
  // A multiple of 5 keeps the five y ticks on whole image counts.
  const top = Math.max(5, Math.ceil(Math.max(...counts.flat()) / 5) * 5);
  const sx = (x: number): number => PAD.left + ((x - lo) / (hi - lo)) * PW;
  const sy = (y: number): number => PAD.top + (1 - y / top) * PH;
  const parts = [frame(h.title, h.xLabel, 'images', [lo, hi], [0, top])];
  const bw = PW / bins;
  counts.forEach((c, gi) => {
    const g = h.groups[gi] as HistogramGroup;
    c.forEach((n, b) => {
      if (n === 0) return;
      const x = PAD.left + b * bw;
      parts.push(`<rect x='${x.toFixed(1)}' y='${sy(n).toFixed(1)}' width='${(bw - 1).toFixed(1)}' height='${(sy(0) - sy(n)).toFixed(1)}' fill='${g.color}' fill-opacity='0.55'/>`);
    });
    parts.push(legend(gi, `${g.name} (${g.values.length})`, g.color, 'top-right', h.groups.length));
  });
  (h.markers ?? []).forEach((m, i) => {
    if (!Number.isFinite(m.x)) return;
    const px = sx(m.x);
    const x = px.toFixed(1);
    // Labels sit inside the plot, under its top edge (stacked when several), on a white box: above the plot they
    // ran into the title. Beside the line, on the side with room.
    const right = px < PAD.left + PW * 0.6;
    const lx = right ? px + 4 : px - 4;
    const ly = PAD.top + PH - 10 - i * 15;
    const width = 6.2 * m.label.length + 4;
    parts.push(`<line x1='${x}' y1='${PAD.top}' x2='${x}' y2='${PAD.top + PH}' stroke='#222' stroke-dasharray='5 3'/>`);
    parts.push(`<rect x='${(right ? lx - 2 : lx - width + 2).toFixed(1)}' y='${ly - 11}' width='${width.toFixed(1)}' height='15' fill='white' fill-opacity='0.85'/>`);
    parts.push(`<text x='${lx.toFixed(1)}' y='${ly}' ${FONT} font-size='11' text-anchor='${right ? 'start' : 'end'}' data-role='threshold-label'>${esc(m.label)}</text>`);
  });
  return svg(parts);
}

function frame(title: string, xLabel: string, yLabel: string, xr: [number, number], yr: [number, number]): string {
  const out = [
    `<rect width='${W}' height='${H}' fill='white'/>`,
    `<rect x='${PAD.left}' y='${PAD.top}' width='${PW}' height='${PH}' fill='none' stroke='#444'/>`,
    `<text x='${W / 2}' y='20' ${FONT} font-size='14' font-weight='bold' text-anchor='middle'>${esc(title)}</text>`,
    `<text x='${PAD.left + PW / 2}' y='${H - 8}' ${FONT} font-size='12' text-anchor='middle'>${esc(xLabel)}</text>`,
    `<text x='14' y='${PAD.top + PH / 2}' ${FONT} font-size='12' text-anchor='middle' transform='rotate(-90 14 ${PAD.top + PH / 2})'>${esc(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const fx = xr[0] + ((xr[1] - xr[0]) * i) / 5;
    const fy = yr[0] + ((yr[1] - yr[0]) * i) / 5;
    const x = PAD.left + (PW * i) / 5;
    const y = PAD.top + PH - (PH * i) / 5;
    out.push(`<line x1='${x}' y1='${PAD.top + PH}' x2='${x}' y2='${PAD.top + PH + 4}' stroke='#444'/>`);
    out.push(`<text x='${x}' y='${PAD.top + PH + 16}' ${FONT} font-size='10' text-anchor='middle'>${tick(fx)}</text>`);
    out.push(`<line x1='${PAD.left - 4}' y1='${y}' x2='${PAD.left}' y2='${y}' stroke='#444'/>`);
    out.push(`<line x1='${PAD.left}' y1='${y}' x2='${PAD.left + PW}' y2='${y}' stroke='#eee'/>`);
    out.push(`<text x='${PAD.left - 6}' y='${y + 3}' ${FONT} font-size='10' text-anchor='end'>${tick(fy)}</text>`);
  }
  return out.join('');
}

function legend(i: number, name: string, color: string, at: NonNullable<LineChart['legend']>, n: number): string {
  const y = at === 'top-right' ? PAD.top + 14 + i * 16 : PAD.top + PH - 8 - (n - 1 - i) * 16;
  const x = at === 'bottom-left' ? PAD.left + 10 : PAD.left + PW - 170;
  return `<rect x='${x - 4}' y='${y - 11}' width='166' height='15' fill='white' fill-opacity='0.8'/><rect x='${x}' y='${y - 9}' width='12' height='10' fill='${color}'/><text x='${x + 18}' y='${y}' ${FONT} font-size='11'>${esc(name)}</text>`;
}

function note(text: string): string {
  return `<text x='${PAD.left + PW / 2}' y='${PAD.top + PH / 2}' ${FONT} font-size='13' fill='#a00' text-anchor='middle'>${esc(text)}</text>`;
}

function svg(parts: string[]): string {
  return `<svg xmlns='http://www.w3.org/2000/svg' width='${W}' height='${H}' viewBox='0 0 ${W} ${H}'>${parts.join('')}</svg>`;
}

function tick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 10000)) return v.toExponential(1);
  return Number(v.toFixed(a < 1 ? 2 : a < 100 ? 1 : 0)).toString();
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
