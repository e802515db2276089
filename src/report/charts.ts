/**
 * Bar charts rendered to SVG on the server by Vega-Lite and Vega: a declared
 * chart (axes, stacking, legends, tick spacing) instead of hand-placed SVG, and
 * no script in the page, since the result is static SVG.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { OUTCOMES, PARTICIPATION, type OutcomeRow, type ParticipationRow } from './model.js';

const HEIGHT = 220;

/** Wide enough for a year of weekly rounds, never wider than the page. */
const widthFor = (rounds: number): number => Math.max(280, Math.min(860, rounds * 18));

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  height: HEIGHT,
  background: 'transparent',
  config: {
    font: 'system-ui, -apple-system, Segoe UI, sans-serif',
    axis: { labelColor: '#333', titleColor: '#333', grid: true, gridColor: '#eee' },
    view: { stroke: null },
  },
} as const;

const roundAxis = (rounds: readonly string[]) => ({
  field: 'round',
  type: 'ordinal' as const,
  sort: [...rounds],
  title: null,
  axis: { labelAngle: -45, labelOverlap: true },
});

/** Fixed colours per category, in the categories' order, with the legend under the chart. */
const colorOf = (field: string, categories: readonly { label: string; color: string }[]) => ({
  field,
  type: 'nominal' as const,
  scale: { domain: categories.map((c) => c.label), range: categories.map((c) => c.color) },
  legend: { orient: 'bottom' as const, title: null, direction: 'horizontal' as const },
});

/** Members per round by what happened to them: one stacked bar per round, one segment per non-zero state. */
export function participationChart(rows: readonly ParticipationRow[]): Promise<string> {
  const values = rows.flatMap((r) =>
    PARTICIPATION.map((c, order) => ({ round: r.round, state: c.label, members: r.counts[c.key], order })).filter((v) => v.members > 0),
  );
  return toSvg({
    ...base,
    width: widthFor(rows.length),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: roundAxis(rows.map((r) => r.round)),
      y: { field: 'members', type: 'quantitative', stack: 'zero', title: 'members' },
      color: colorOf('state', PARTICIPATION),
      order: { field: 'order', type: 'quantitative' },
    },
  });
}

/** Outcomes of the asked groups per round as stacked bars, and the response rate as a line on its own axis. */
export function outcomesChart(rows: readonly OutcomeRow[]): Promise<string> {
  const bars = rows.flatMap((r) =>
    OUTCOMES.map((c, order) => ({ round: r.round, outcome: c.label, groups: r.counts[c.key], order })).filter((v) => v.groups > 0),
  );
  const rates = rows.filter((r) => r.responseRate !== null).map((r) => ({ round: r.round, rate: r.responseRate }));
  const x = roundAxis(rows.map((r) => r.round));
  return toSvg({
    ...base,
    width: widthFor(rows.length),
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar' },
        encoding: {
          x,
          y: { field: 'groups', type: 'quantitative', stack: 'zero', title: 'groups asked' },
          color: colorOf('outcome', OUTCOMES),
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: rates },
        mark: { type: 'line', color: '#222', strokeWidth: 1.5, point: { filled: true, size: 18, color: '#222' } },
        encoding: {
          x,
          y: {
            field: 'rate',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            axis: { format: '.0%', orient: 'right', grid: false },
            title: 'response rate',
          },
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  });
}
