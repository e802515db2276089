/**
 * The who-met-whom graph: a force layout (d3-force) from a seeded start, so the
 * same database always gives the same picture, drawn as plain SVG with a
 * `<title>` on every member and meeting for hover without scripts.
 */
import {
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  forceX,
  forceY,
  type SimulationLinkDatum,
  type SimulationNodeDatum,
} from 'd3-force';
import type { GraphInput } from './model.js';
import { escapeXml } from './escape.js';

const GRAPH_WIDTH = 900;
const GRAPH_HEIGHT = 620;
const PAD = 24;
/** Labels are drawn only where they fit, at most this many; every node has its name on hover. */
const MAX_LABELS = 60;

interface Node extends SimulationNodeDatum {
  id: string;
  r: number;
}

/** A small deterministic random source (LCG), the kind d3-force itself uses. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(1664525, s) + 1013904223) >>> 0) / 4294967296;
}

interface Layout {
  positions: Map<string, { x: number; y: number; r: number }>;
}

/** Positions every node in the picture's box; fewer ticks for bigger graphs keep it bounded in time. */
function layoutGraph(graph: GraphInput): Layout {
  const nodes: Node[] = graph.nodes.map((n) => ({ id: n.id, r: Math.min(10, 3 + Math.sqrt(n.meetings)) }));
  const links: SimulationLinkDatum<Node>[] = graph.edges.map((e) => ({ source: e.a, target: e.b }));
  const ticks = Math.round(Math.max(60, Math.min(300, 30_000 / Math.max(1, nodes.length))));
  const simulation = forceSimulation(nodes)
    .randomSource(seededRandom(48))
    .force(
      'link',
      forceLink<Node, SimulationLinkDatum<Node>>(links)
        .id((d) => d.id)
        .distance(40)
        .strength(0.3),
    )
    .force('charge', forceManyBody<Node>().strength(-60).distanceMax(300))
    .force(
      'collide',
      forceCollide<Node>((d) => d.r + 2),
    )
    // Pull loose pieces (people who met only each other) toward the middle.
    .force('x', forceX<Node>(0).strength(0.06))
    .force('y', forceY<Node>(0).strength(0.08))
    .stop();
  simulation.tick(ticks);
  const xs = nodes.map((n) => n.x!);
  const ys = nodes.map((n) => n.y!);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min((GRAPH_WIDTH - 2 * PAD) / Math.max(1, maxX - minX), (GRAPH_HEIGHT - 2 * PAD) / Math.max(1, maxY - minY), 5);
  const offX = (GRAPH_WIDTH - (maxX - minX) * scale) / 2;
  const offY = (GRAPH_HEIGHT - (maxY - minY) * scale) / 2;
  const positions = new Map(
    nodes.map((n) => [n.id, { x: round1(offX + (n.x! - minX) * scale), y: round1(offY + (n.y! - minY) * scale), r: round1(n.r) }]),
  );
  return { positions };
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

export function renderGraphSvg(graph: GraphInput): string {
  if (graph.nodes.length === 0) return '';
  const { positions } = layoutGraph(graph);
  const lasts = graph.edges.map((e) => e.last).sort();
  const oldest = Date.parse(lasts[0]!);
  const span = Math.max(1, Date.parse(lasts.at(-1)!) - oldest);
  const names = new Map(graph.nodes.map((n) => [n.id, n.name]));
  const lines = graph.edges.map((e) => {
    const a = positions.get(e.a)!;
    const b = positions.get(e.b)!;
    // Recent meetings are drawn darker; repeated ones thicker.
    const recency = (Date.parse(e.last) - oldest) / span;
    const opacity = (0.12 + 0.7 * recency).toFixed(2);
    const width = (0.6 + 0.6 * Math.min(4, e.meetings - 1)).toFixed(1);
    const title = `${names.get(e.a)} – ${names.get(e.b)}: ${e.meetings === 1 ? 'met once' : `met ${e.meetings} times`}, last ${e.last}`;
    return `<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" stroke-opacity="${opacity}" stroke-width="${width}"><title>${escapeXml(title)}</title></line>`;
  });
  const circles = graph.nodes.map((n) => {
    const p = positions.get(n.id)!;
    const title = `${n.name}: ${n.meetings === 1 ? '1 meeting' : `${n.meetings} meetings`}${n.active ? '' : ' (no longer active)'}`;
    return `<circle cx="${p.x}" cy="${p.y}" r="${p.r}" class="${n.active ? 'active' : 'gone'}"><title>${escapeXml(title)}</title></circle>`;
  });
  const labels = placeLabels(graph, positions);
  return [
    `<svg class="network" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${GRAPH_WIDTH} ${GRAPH_HEIGHT}" width="${GRAPH_WIDTH}" height="${GRAPH_HEIGHT}" role="img" aria-label="who met whom: ${graph.nodes.length} members, ${graph.edges.length} pairs">`,
    `<g class="edges">${lines.join('')}</g>`,
    `<g class="nodes">${circles.join('')}</g>`,
    `<g class="labels">${labels.join('')}</g>`,
    '</svg>',
  ].join('\n');
}

/** Names of the most-met members, each only where it overlaps no other label and stays inside the picture. */
function placeLabels(graph: GraphInput, positions: Layout['positions']): string[] {
  const boxes: { x1: number; y1: number; x2: number; y2: number }[] = [];
  const out: string[] = [];
  const ranked = [...graph.nodes].sort((a, b) => b.meetings - a.meetings || (a.id < b.id ? -1 : 1));
  for (const n of ranked) {
    if (out.length >= MAX_LABELS) break;
    const p = positions.get(n.id)!;
    const text = n.name.length > 18 ? `${n.name.slice(0, 17)}…` : n.name;
    const box = { x1: p.x + p.r + 2, y1: p.y - 6, x2: p.x + p.r + 2 + text.length * 6.2, y2: p.y + 6 };
    if (box.x2 > GRAPH_WIDTH || box.y1 < 0 || box.y2 > GRAPH_HEIGHT) continue;
    if (boxes.some((b) => b.x1 < box.x2 && box.x1 < b.x2 && b.y1 < box.y2 && box.y1 < b.y2)) continue;
    boxes.push(box);
    out.push(`<text x="${round1(box.x1)}" y="${round1(p.y + 4)}">${escapeXml(text)}</text>`);
  }
  return out;
}
