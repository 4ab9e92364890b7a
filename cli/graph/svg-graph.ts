import { layoutGraph, type Layout, type PlacedNode, type Point, type RoutedEdge } from './layered-layout.ts';
import { edgeLabel, type EdgeKind, type GraphNode, type NodeKind, type WorkflowGraph } from './workflow-graph.ts';

/**
 * Draws the workflow graph as a standalone SVG picture: no fonts to download, no script, a white
 * background so that it reads on dark pages too. Text widths are estimated from character counts,
 * since there is no browser to measure them.
 */

const FONT_FAMILY = 'Helvetica, Arial, sans-serif';
const NAME_FONT_PIXELS = 14;
const DETAIL_FONT_PIXELS = 11;
const LABEL_FONT_PIXELS = 11;
/** Average advance of a character as a share of the font size; a little wide so that text fits. */
const CHARACTER_WIDTH_EM = 0.6;
const NODE_PADDING_PIXELS = 18;
const NODE_HEIGHT_PIXELS = 46;
const MARKER_RADIUS_PIXELS = 9;
const LEGEND_HEIGHT_PIXELS = 44;

interface NodeStyle {
  readonly fill: string;
  readonly stroke: string;
}

const NODE_STYLES: Readonly<Record<NodeKind, NodeStyle>> = {
  start: { fill: '#333333', stroke: '#333333' },
  end: { fill: '#333333', stroke: '#333333' },
  lambda: { fill: '#e8f1fb', stroke: '#2f6fb3' },
  ecs: { fill: '#fff1e0', stroke: '#c46a12' },
  task: { fill: '#e8f1fb', stroke: '#2f6fb3' },
  choice: { fill: '#fff9db', stroke: '#9a7b00' },
  wait: { fill: '#f2f2f2', stroke: '#777777' },
  succeed: { fill: '#e6f4ea', stroke: '#2e7d32' },
  fail: { fill: '#fdecea', stroke: '#c62828' },
  pass: { fill: '#f2f2f2', stroke: '#777777' },
  other: { fill: '#f2f2f2', stroke: '#777777' },
};

interface EdgeStyle {
  readonly color: string;
  readonly dash: string | null;
}

const EDGE_STYLES: Readonly<Record<EdgeKind, EdgeStyle>> = {
  next: { color: '#555555', dash: null },
  end: { color: '#555555', dash: null },
  choice: { color: '#8a6d00', dash: null },
  default: { color: '#8a6d00', dash: null },
  catch: { color: '#c62828', dash: '6 4' },
};

function textWidth(text: string, fontPixels: number): number {
  return text.length * fontPixels * CHARACTER_WIDTH_EM;
}

function sizeOf(node: GraphNode): { width: number; height: number } {
  if (node.kind === 'start' || node.kind === 'end') {
    return { width: MARKER_RADIUS_PIXELS * 2, height: MARKER_RADIUS_PIXELS * 2 };
  }
  const width = Math.max(textWidth(node.label, NAME_FONT_PIXELS), textWidth(node.detail, DETAIL_FONT_PIXELS)) + NODE_PADDING_PIXELS * 2;
  // Choice states are hexagons, whose pointed ends need room beside the text.
  return { width: Math.ceil(node.kind === 'choice' ? width + 24 : width), height: NODE_HEIGHT_PIXELS };
}

/** Renders the graph as SVG text, with a title and a legend of node and edge kinds. */
export function renderWorkflowSvg(graph: WorkflowGraph, title: string): string {
  const layout = layoutGraph(graph, { sizeOf, nodeGap: 40, layerGap: 58, margin: 28 });
  const titleHeight = 34;
  const width = Math.ceil(Math.max(layout.width, 560));
  const height = Math.ceil(layout.height + titleHeight + LEGEND_HEIGHT_PIXELS);

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`,
    `<title>${escapeXml(title)}</title>`,
    markers(),
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="28" y="26" font-size="16" font-weight="bold" fill="#222222">${escapeXml(title)}</text>`,
    `<g transform="translate(0 ${titleHeight})">`,
    ...layout.edges.map(drawEdge),
    ...layout.nodes.map(drawNode),
    ...drawEdgeLabels(layout),
    '</g>',
    drawLegend(height - LEGEND_HEIGHT_PIXELS + 8, graph),
    '</svg>',
  ];
  return `${parts.filter((part) => part !== '').join('\n')}\n`;
}

function markers(): string {
  const colors = [...new Set(Object.values(EDGE_STYLES).map((style) => style.color))];
  const definitions = colors.map((color) =>
    `<marker id="arrow-${color.slice(1)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`);
  return `<defs>${definitions.join('')}</defs>`;
}

function drawNode(placed: PlacedNode): string {
  const { node, x, y, width, height } = placed;
  const style = NODE_STYLES[node.kind];
  if (node.kind === 'start') {
    return `<circle cx="${round(x)}" cy="${round(y)}" r="${MARKER_RADIUS_PIXELS}" fill="${style.fill}"><title>Start</title></circle>`;
  }
  if (node.kind === 'end') {
    return [
      `<circle cx="${round(x)}" cy="${round(y)}" r="${MARKER_RADIUS_PIXELS}" fill="#ffffff" stroke="${style.stroke}" stroke-width="2"><title>End</title></circle>`,
      `<circle cx="${round(x)}" cy="${round(y)}" r="${MARKER_RADIUS_PIXELS - 4}" fill="${style.fill}"/>`,
    ].join('\n');
  }

  const left = x - width / 2;
  const top = y - height / 2;
  const shape = node.kind === 'choice'
    ? `<polygon points="${[
      [left, y], [left + 14, top], [left + width - 14, top], [left + width, y], [left + width - 14, top + height], [left + 14, top + height],
    ].map(([px, py]) => `${round(px as number)},${round(py as number)}`).join(' ')}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"/>`
    : `<rect x="${round(left)}" y="${round(top)}" width="${round(width)}" height="${round(height)}" rx="${node.kind === 'succeed' || node.kind === 'fail' ? 20 : 6}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"/>`;
  return [
    `<g><title>${escapeXml(`${node.label} (${node.detail})`)}</title>`,
    shape,
    `<text x="${round(x)}" y="${round(y - 3)}" font-size="${NAME_FONT_PIXELS}" font-weight="bold" text-anchor="middle" fill="#1a1a1a">${escapeXml(node.label)}</text>`,
    `<text x="${round(x)}" y="${round(y + 13)}" font-size="${DETAIL_FONT_PIXELS}" text-anchor="middle" fill="#555555">${escapeXml(node.detail)}</text>`,
    '</g>',
  ].join('\n');
}

function drawEdge(routed: RoutedEdge): string {
  const style = EDGE_STYLES[routed.edge.kind];
  const dash = style.dash === null ? '' : ` stroke-dasharray="${style.dash}"`;
  return `<path d="${smoothPath(routed.points)}" fill="none" stroke="${style.color}" stroke-width="1.5"${dash} marker-end="url(#arrow-${style.color.slice(1)})"/>`;
}

/** Builds a path through the points with vertical tangents, so that edges leave and enter nodes straight. */
function smoothPath(points: readonly Point[]): string {
  const [first, ...rest] = points;
  if (first === undefined) {
    return '';
  }
  let path = `M${round(first.x)},${round(first.y)}`;
  let previous = first;
  for (const point of rest) {
    if (point.x === previous.x) {
      path += ` L${round(point.x)},${round(point.y)}`;
    } else {
      const middle = (previous.y + point.y) / 2;
      path += ` C${round(previous.x)},${round(middle)} ${round(point.x)},${round(middle)} ${round(point.x)},${round(point.y)}`;
    }
    previous = point;
  }
  return path;
}

interface LabelBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Puts each label just below its edge's source, on the side the edge leaves to, on a white
 * backing so that lines behind it do not cut the text. A label that would cover an earlier one
 * moves down the edge until it is clear.
 */
function drawEdgeLabels(layout: Layout): string[] {
  // Arrowheads count as taken, so that no label covers where an edge arrives.
  const boxes: LabelBox[] = layout.edges.flatMap((routed) => {
    const end = routed.points.at(-1);
    return end === undefined ? [] : [{ left: end.x - 7, top: end.y - 12, width: 14, height: 24 }];
  });
  const parts: string[] = [];
  for (const routed of layout.edges) {
    const text = edgeLabel(routed.edge);
    const [start, next] = routed.points;
    if (text === '' || start === undefined || next === undefined) {
      continue;
    }
    const direction = Math.sign(next.x - start.x) || sideAwayFromSiblings(routed, layout);
    const anchor = direction < 0 ? 'end' : 'start';
    const width = textWidth(text, LABEL_FONT_PIXELS);
    const height = LABEL_FONT_PIXELS + 4;

    let box: LabelBox | null = null;
    let x = start.x;
    let y = start.y;
    for (let drop = 16; drop < next.y - start.y; drop += height) {
      y = start.y + drop;
      // Where the curve is at this height: it leaves the source straight down and bends toward `next`.
      const progress = Math.min(1, drop / Math.max(1, next.y - start.y));
      x = start.x + (next.x - start.x) * progress * progress * (3 - 2 * progress) + direction * 6;
      const candidate = { left: (anchor === 'end' ? x - width : x) - 2, top: y - LABEL_FONT_PIXELS, width: width + 4, height };
      if (!boxes.some((other) => overlaps(candidate, other))) {
        box = candidate;
        break;
      }
    }
    box ??= { left: (anchor === 'end' ? x - width : x) - 2, top: y - LABEL_FONT_PIXELS, width: width + 4, height };
    boxes.push(box);

    const color = EDGE_STYLES[routed.edge.kind].color;
    parts.push(
      `<rect x="${round(box.left)}" y="${round(box.top)}" width="${round(box.width)}" height="${box.height}" fill="#ffffff" fill-opacity="0.9"/>`,
      `<text x="${round(x)}" y="${round(y)}" font-size="${LABEL_FONT_PIXELS}" text-anchor="${anchor}" fill="${color}">${escapeXml(text)}</text>`,
    );
  }
  return parts;
}

/** For an edge that leaves straight down: -1 (left) when the other edges of its source go right, else 1. */
function sideAwayFromSiblings(routed: RoutedEdge, layout: Layout): number {
  const [start] = routed.points;
  const siblings = layout.edges.filter((other) => other !== routed && other.edge.from === routed.edge.from);
  const drift = siblings.reduce((sum, other) => sum + ((other.points[1]?.x ?? 0) - (start?.x ?? 0)), 0);
  return drift > 0 ? -1 : 1;
}

function overlaps(a: LabelBox, b: LabelBox): boolean {
  return a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
}

/** Legend entries, shown for the kinds of node the graph has. */
const LEGEND_ENTRIES: readonly { kind: NodeKind; text: string }[] = [
  { kind: 'lambda', text: 'Lambda step' },
  { kind: 'ecs', text: 'ECS task' },
  { kind: 'task', text: 'Task' },
  { kind: 'choice', text: 'Choice' },
  { kind: 'wait', text: 'Wait' },
  { kind: 'pass', text: 'Pass' },
  { kind: 'succeed', text: 'Succeed' },
  { kind: 'fail', text: 'Fail' },
];

function drawLegend(top: number, graph: WorkflowGraph): string {
  const entries = LEGEND_ENTRIES.filter((entry) => graph.nodes.some((node) => node.kind === entry.kind));
  const parts: string[] = [];
  let x = 28;
  for (const entry of entries) {
    const style = NODE_STYLES[entry.kind];
    parts.push(`<rect x="${x}" y="${top}" width="16" height="12" rx="3" fill="${style.fill}" stroke="${style.stroke}"/>`);
    parts.push(`<text x="${x + 22}" y="${top + 10}" font-size="11" fill="#333333">${entry.text}</text>`);
    x += 34 + Math.ceil(textWidth(entry.text, 11));
  }
  const catchStyle = EDGE_STYLES.catch;
  parts.push(`<line x1="${x}" y1="${top + 6}" x2="${x + 28}" y2="${top + 6}" stroke="${catchStyle.color}" stroke-width="1.5" stroke-dasharray="${catchStyle.dash ?? ''}"/>`);
  parts.push(`<text x="${x + 34}" y="${top + 10}" font-size="11" fill="#333333">Catch</text>`);
  return `<g>${parts.join('')}</g>`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
