import { el, svg } from './dom.js';

export interface Series {
  name: string;
  /** One value per epoch; null where it was not finite. */
  values: Array<number | null>;
}

const WIDTH = 420;
const HEIGHT = 240;
const PAD = { left: 52, right: 16, top: 14, bottom: 40 };

/**
 * A line chart of per-epoch values, one line per experiment, as plain SVG: a handful of points
 * needs no chart library, and text stays selectable and sharp. Lines differ in colour and dash
 * pattern, and the same figures are in a table for screen readers and for copying.
 */
export function lineChart(options: {
  id: string;
  title: string;
  yLabel: string;
  series: Series[];
  format: (value: number) => string;
}): HTMLElement {
  const { series } = options;
  const epochs = Math.max(1, ...series.map((s) => s.values.length));
  const values = series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  let low = values.length ? Math.min(...values) : 0;
  let high = values.length ? Math.max(...values) : 1;
  if (high - low < 1e-9) {
    low -= 0.5;
    high += 0.5;
  }
  const margin = (high - low) * 0.08;
  low -= margin;
  high += margin;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (epoch: number) =>
    PAD.left + (epochs === 1 ? plotW / 2 : ((epoch - 1) / (epochs - 1)) * plotW);
  const y = (value: number) => PAD.top + (1 - (value - low) / (high - low)) * plotH;

  const titleId = `${options.id}-title`;
  const chart = svg('svg', {
    class: 'chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: WIDTH,
    height: HEIGHT,
    role: 'img',
    'aria-labelledby': titleId,
  });
  chart.appendChild(
    svg('title', { id: titleId }, `${options.title}; the table below has the figures`),
  );
  for (let i = 0; i <= 4; i += 1) {
    const value = low + ((high - low) * i) / 4;
    chart.appendChild(
      svg('line', {
        class: 'grid',
        x1: PAD.left,
        x2: WIDTH - PAD.right,
        y1: y(value),
        y2: y(value),
      }),
    );
    chart.appendChild(
      svg(
        'text',
        { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' },
        options.format(value),
      ),
    );
  }
  for (let epoch = 1; epoch <= epochs; epoch += 1) {
    chart.appendChild(
      svg('text', { x: x(epoch), y: HEIGHT - PAD.bottom + 16, 'text-anchor': 'middle' }, epoch),
    );
  }
  chart.appendChild(
    svg('text', { x: PAD.left + plotW / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }, 'epoch'),
  );
  chart.appendChild(
    svg('line', {
      class: 'axis',
      x1: PAD.left,
      x2: PAD.left,
      y1: PAD.top,
      y2: HEIGHT - PAD.bottom,
    }),
  );
  chart.appendChild(
    svg('line', {
      class: 'axis',
      x1: PAD.left,
      x2: WIDTH - PAD.right,
      y1: HEIGHT - PAD.bottom,
      y2: HEIGHT - PAD.bottom,
    }),
  );
  // Lines first, then their points on top.
  const points: SVGElement[] = [];
  series.forEach((s, index) => {
    const style = `s${index % 8}`;
    let d = '';
    let pen = false;
    s.values.forEach((value, i) => {
      if (value === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i + 1).toFixed(1)},${y(value).toFixed(1)}`;
      pen = true;
      points.push(svg('circle', { class: style, cx: x(i + 1), cy: y(value), r: 3.5 }));
    });
    if (d) chart.appendChild(svg('path', { class: `line ${style}`, d }));
  });
  for (const point of points) chart.appendChild(point);

  const legend = el(
    'ul',
    { class: 'legend', 'aria-hidden': 'true' },
    ...series.map((s, index) =>
      el('li', {}, el('span', { class: `swatch s${index % 8}` }), s.name),
    ),
  );
  const table = el(
    'table',
    {},
    el('caption', {}, `${options.title}, per epoch`),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'experiment'),
        ...Array.from({ length: epochs }, (_, i) =>
          el('th', { scope: 'col', class: 'num' }, `epoch ${i + 1}`),
        ),
      ),
    ),
    el(
      'tbody',
      {},
      ...series.map((s) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, s.name),
          ...Array.from({ length: epochs }, (_, i) => {
            const value = s.values[i];
            return el(
              'td',
              { class: 'num' },
              value === null || value === undefined ? '—' : options.format(value),
            );
          }),
        ),
      ),
    ),
  );
  return el(
    'figure',
    { id: options.id },
    el('figcaption', {}, options.title),
    chart,
    legend,
    el('details', {}, el('summary', {}, `${options.title}: figures`), table),
  );
}
