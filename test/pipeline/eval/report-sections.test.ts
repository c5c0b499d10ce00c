// The report's sections say what they claim: worst misses are defect images the model passed (label 0), worst false
// alarms are normal images it flagged (label 1), every category is in the contents bar, each defect type is counted,
// and heatmaps come with their colour scale. Checked against the fixture's own labels, not against the code's output.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluate } from '../../../src/pipeline/services/evaluate.js';
import { e2e, writeE2e } from './e2e-data.js';
import { useTempDir } from '../../helpers/temp-dir.js';

/** The inner HTML of the element carrying data-role=role inside the section of `category`. */
function part(html: string, category: string, role: string): string {
  const start = html.indexOf(`data-category="${category}"`);
  const end = html.indexOf('</section>', start);
  const section = html.slice(start, end);
  const at = section.indexOf(`data-role="${role}"`);
  return at < 0 ? '' : section.slice(at, section.indexOf('</div>\n', at) + 1 || undefined);
}

describe('report sections', () => {
  const tmp = useTempDir('madenet-report-');
  let html: string;
  beforeAll(async () => {
    const { data, predictions } = await writeE2e(tmp.path);
    const { files } = await evaluate({ predictions, data, out: join(tmp.path, 'out'), examples: 20 });
    html = await readFile(files.html, 'utf8');
  });

  const categories = [...new Set(e2e.images.map((i) => i.category))].sort();
  // What the fixture's predictions say (writeE2e labels score >= threshold as flagged).
  const flagged = (i: (typeof e2e.images)[number]): boolean => i.score >= e2e.threshold;

  it('lists every category in the sticky contents bar, linked to its section', () => {
    const nav = html.slice(html.indexOf('<nav class="toc"'), html.indexOf('</nav>'));
    for (const c of categories) expect(nav).toContain(`>${c}</a>`);
    expect(html).toMatch(/nav\.toc\{position:sticky/);
  });

  it('shows as misses exactly the defect images that passed, and as false alarms exactly the flagged normals', () => {
    // The fixture has both kinds, so neither check below can pass by being empty.
    expect(e2e.images.filter((i) => i.defectType !== 'good' && !flagged(i)).length).toBeGreaterThan(0);
    expect(e2e.images.filter((i) => i.defectType === 'good' && flagged(i)).length).toBeGreaterThan(0);
    for (const c of categories) {
      const images = e2e.images.filter((i) => i.category === c);
      const missed = images.filter((i) => i.defectType !== 'good' && !flagged(i)).map((i) => `/${i.defectType}/${i.stem}.png`);
      const alarms = images.filter((i) => i.defectType === 'good' && flagged(i)).map((i) => `/good/${i.stem}.png`);
      const misses = part(html, c, 'misses');
      const falseAlarms = part(html, c, 'false-alarms');
      const captions = (s: string): string[] => [...s.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1] as string);
      expect([c, captions(misses).length]).toEqual([c, missed.length]);
      for (const m of missed) expect(misses).toContain(m);
      expect(captions(misses).every((t) => t.includes('(passed'))).toBe(true);
      expect([c, captions(falseAlarms).length]).toEqual([c, alarms.length]);
      for (const a of alarms) expect(falseAlarms).toContain(a);
      expect(captions(falseAlarms).every((t) => t.includes('(flagged'))).toBe(true);
      if (missed.length === 0) expect(misses).toMatch(/No misses|defect images; no pictures|No defect/);
    }
  });

  it('counts each defect type: images, flagged and missed', () => {
    for (const c of categories) {
      const start = html.indexOf(`data-category="${c}"`);
      const section = html.slice(start, html.indexOf('</section>', start));
      const types = [...new Set(e2e.images.filter((i) => i.category === c && i.defectType !== 'good').map((i) => i.defectType))];
      for (const t of types) {
        const of = e2e.images.filter((i) => i.category === c && i.defectType === t);
        const hits = of.filter(flagged).length;
        const row = section.match(new RegExp(`<tr data-defect-type="${t}"><td>${t}</td><td>(\\d+)</td><td>(\\d+)</td><td>(\\d+)</td>`));
        expect([c, t, row?.slice(1).map(Number)]).toEqual([c, t, [of.length, hits, of.length - hits]]);
      }
    }
  });

  it('gives the heatmaps a colour scale, and keeps the histogram threshold label off the title', () => {
    expect(html).toContain('data-role="colour-scale"');
    expect(html).toMatch(/\.scale \.bar\{[^}]*linear-gradient/);
    const label = html.match(/<text x='[^']*' y='([\d.]+)'[^>]*data-role='threshold-label'>/);
    expect(label).not.toBeNull();
    // The title's baseline is y=20 (14 px font); the label must sit inside the plot, below its top edge (34).
    expect(Number(label?.[1])).toBeGreaterThan(34 + 11);
  });
});
