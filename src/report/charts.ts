/**
 * Bar charts rendered to SVG on the server by Vega: a declared chart (scales, axes,
 * stacking, legends, tick spacing) instead of hand-placed SVG, and no script in the
 * page, since the result is static SVG. The specs are plain Vega, written out rather
 * than compiled from Vega-Lite at run time: the same picture, without loading and
 * running the Vega-Lite compiler on every report (about a tenth of a large report's time).
 */
import { type Axis, type Legend, type Mark, parse, type Scale, type Spec, View } from 'vega';
import { OUTCOMES, PARTICIPATION, type OutcomeRow, type ParticipationRow } from './model.js';

const HEIGHT = 220;
const FONT = 'system-ui, -apple-system, Segoe UI, sans-serif';

/** Wide enough for a year of weekly rounds, never wider than the page. */
const widthFor = (rounds: number): number => Math.max(280, Math.min(860, rounds * 18));

async function toSvg(spec: Spec): Promise<string> {
  const view = new View(parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The frame every chart shares: size, fonts, and light grid lines behind the marks. */
function frame(width: number): Spec {
  return {
    background: 'transparent',
    padding: 5,
    width,
    height: HEIGHT,
    style: 'cell',
    config: {
      axis: { labelColor: '#333', titleColor: '#333', gridColor: '#eee' },
      style: {
        'guide-label': { font: FONT },
        'guide-title': { font: FONT },
        cell: { stroke: null },
        text: { font: FONT },
      },
    },
  };
}

/** Rounds along the bottom, in order: those with something to draw. */
const roundScale = (...drawn: (readonly { round: string }[])[]): Scale => ({
  name: 'x',
  type: 'band',
  domain: [...new Set(drawn.flat().map((d) => d.round))],
  range: [0, { signal: 'width' }],
  paddingInner: 0.1,
  paddingOuter: 0.05,
});

/** A count from zero up, with whole-number ticks only. */
const countScale = (name: string, data: string, field: string): Scale => ({
  name,
  type: 'linear',
  domain: { data, fields: [`${field}_start`, `${field}_end`] },
  range: [{ signal: 'height' }, 0],
  nice: true,
  zero: true,
});

/** Fixed colours per category, in the categories' order. */
const colorScale = (categories: readonly { label: string; color: string }[]): Scale => ({
  name: 'color',
  type: 'ordinal',
  domain: categories.map((c) => c.label),
  range: categories.map((c) => c.color),
});

const tickCount = { signal: 'ceil(height/40)' };

/** Grid lines (drawn as axes without labels, under the marks), the rounds' labels, and the count's axis. */
function axes(countScaleName: string, countTitle: string): Axis[] {
  const gridOnly = { grid: true, domain: false, labels: false, aria: false, maxExtent: 0, minExtent: 0, ticks: false, zindex: 0 };
  return [
    { scale: 'x', orient: 'bottom', gridScale: countScaleName, ...gridOnly },
    { scale: countScaleName, orient: 'left', gridScale: 'x', tickCount, tickMinStep: 1, ...gridOnly },
    {
      scale: 'x',
      orient: 'bottom',
      grid: false,
      labelAngle: 315,
      labelOverlap: true,
      labelAlign: 'right',
      labelBaseline: 'top',
      zindex: 0,
    },
    { scale: countScaleName, orient: 'left', grid: false, title: countTitle, labelOverlap: true, tickCount, tickMinStep: 1, zindex: 0 },
  ];
}

/** The categories' colours under the chart. */
const legend: Legend = { direction: 'horizontal', orient: 'bottom', fill: 'color', symbolType: 'square' };

interface Segment {
  round: string;
  category: string;
  count: number;
  order: number;
  description: string;
}

/** Stacked bars: one bar per round, one segment per non-zero category, stacked in the categories' order. */
function stackedBars(data: string, values: Segment[], scale: string): { data: Spec['data']; mark: Mark } {
  return {
    data: [
      {
        name: data,
        values,
        transform: [
          {
            type: 'stack',
            groupby: ['round'],
            field: 'count',
            sort: { field: ['order'], order: ['ascending'] },
            as: ['count_start', 'count_end'],
            offset: 'zero',
          },
        ],
      },
    ],
    mark: {
      type: 'rect',
      style: ['bar'],
      from: { data },
      encode: {
        update: {
          fill: { scale: 'color', field: 'category' },
          ariaRoleDescription: { value: 'bar' },
          description: { field: 'description' },
          x: { scale: 'x', field: 'round' },
          width: { signal: "max(0.25, bandwidth('x'))" },
          y: { scale, field: 'count_end' },
          y2: { scale, field: 'count_start' },
        },
      },
    },
  };
}

function segments<K extends string>(
  round: string,
  counts: Record<K, number>,
  categories: readonly { key: K; label: string }[],
  noun: string,
): Segment[] {
  return categories
    .map((c, order) => ({
      round,
      category: c.label,
      count: counts[c.key],
      order,
      description: `round: ${round}; ${c.label}: ${counts[c.key]} ${noun}`,
    }))
    .filter((s) => s.count > 0);
}

/** Members per round by what happened to them: one stacked bar per round, one segment per non-zero state. */
export function participationChart(rows: readonly ParticipationRow[]): Promise<string> {
  const values = rows.flatMap((r) => segments(r.round, r.counts, PARTICIPATION, 'members'));
  const bars = stackedBars('participation', values, 'y');
  return toSvg({
    ...frame(widthFor(rows.length)),
    data: bars.data,
    scales: [roundScale(values), countScale('y', 'participation', 'count'), colorScale(PARTICIPATION)],
    axes: axes('y', 'members'),
    legends: [legend],
    marks: [bars.mark],
  });
}

/** Outcomes of the asked groups per round as stacked bars, and the response rate as a line on its own axis. */
export function outcomesChart(rows: readonly OutcomeRow[]): Promise<string> {
  const values = rows.flatMap((r) => segments(r.round, r.counts, OUTCOMES, 'groups'));
  const bars = stackedBars('outcomes', values, 'y');
  const rates = rows
    .filter((r) => r.responseRate !== null)
    .map((r) => ({
      round: r.round,
      rate: r.responseRate,
      description: `round: ${r.round}; response rate: ${Math.round(r.responseRate! * 100)}%`,
    }));
  const atRate = {
    x: { scale: 'x', field: 'round', band: 0.5 },
    y: { scale: 'rate', field: 'rate' },
    description: { field: 'description' },
  };
  return toSvg({
    ...frame(widthFor(rows.length)),
    data: [...(bars.data ?? []), { name: 'rates', values: rates }],
    scales: [
      roundScale(values, rates),
      countScale('y', 'outcomes', 'count'),
      { name: 'rate', type: 'linear', domain: [0, 1], range: [{ signal: 'height' }, 0], zero: true },
      colorScale(OUTCOMES),
    ],
    axes: [
      ...axes('y', 'groups asked'),
      { scale: 'rate', orient: 'right', grid: false, title: 'response rate', format: '.0%', labelOverlap: true, tickCount, zindex: 0 },
    ],
    legends: [legend],
    marks: [
      bars.mark,
      {
        type: 'line',
        style: ['line'],
        sort: { field: 'x' },
        from: { data: 'rates' },
        encode: { update: { strokeWidth: { value: 1.5 }, stroke: { value: '#222' }, ...atRate } },
      },
      {
        type: 'symbol',
        style: ['point'],
        from: { data: 'rates' },
        encode: {
          update: {
            opacity: { value: 1 },
            size: { value: 18 },
            fill: { value: '#222' },
            ariaRoleDescription: { value: 'point' },
            ...atRate,
          },
        },
      },
    ],
  });
}
