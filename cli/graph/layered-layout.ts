import type { EdgeKind, GraphEdge, GraphNode, WorkflowGraph } from './workflow-graph.ts';

/**
 * A small layered (Sugiyama-style) layout for the workflow graph, top to bottom. Each node's layer
 * is its longest path from the start, and an edge that spans several layers gets a dummy point in
 * each. Barycenter sweeps reduce crossings, and x positions are pulled towards connected nodes.
 * It is meant for state machines of a few dozen states.
 */

export interface NodeSize {
  readonly width: number;
  readonly height: number;
}

export interface PlacedNode {
  readonly node: GraphNode;
  readonly layer: number;
  /** Center of the node. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface RoutedEdge {
  readonly edge: GraphEdge;
  /** From the source's bottom to the target's top, through one point above and below each layer crossed. */
  readonly points: readonly Point[];
}

export interface Layout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly RoutedEdge[];
  readonly width: number;
  readonly height: number;
}

export interface LayoutOptions {
  /** Size of each node, from its text. */
  readonly sizeOf: (node: GraphNode) => NodeSize;
  /** Horizontal space between neighbours in a layer, in pixels. */
  readonly nodeGap?: number;
  /** Vertical space between layers, in pixels; edge labels sit in it. */
  readonly layerGap?: number;
  readonly margin?: number;
}

/** Pull of each edge kind on its ends' x positions; the main path (Next) pulls hardest. */
const EDGE_WEIGHTS: Readonly<Record<EdgeKind, number>> = { next: 8, end: 8, choice: 3, default: 3, catch: 1 };
const DUMMY_WEIGHT = 16;

/**
 * Barycenter sweeps for crossing reduction, and relaxation rounds for x positions. The number of
 * rounds is odd so that the last one runs downward: children settle under their parents.
 */
const ORDERING_SWEEPS = 12;
const POSITION_ROUNDS = 41;

interface LayoutItem {
  readonly id: string;
  readonly layer: number;
  readonly width: number;
  readonly height: number;
  readonly node: GraphNode | null;
}

/** A link between items of adjacent layers, part of one graph edge. */
interface Link {
  readonly upper: string;
  readonly lower: string;
  readonly weight: number;
}

export function layoutGraph(graph: WorkflowGraph, options: LayoutOptions): Layout {
  const nodeGap = options.nodeGap ?? 36;
  const layerGap = options.layerGap ?? 64;
  const margin = options.margin ?? 24;

  const layers = assignLayers(graph);
  const items = new Map<string, LayoutItem>();
  for (const node of graph.nodes) {
    const size = options.sizeOf(node);
    items.set(node.id, { id: node.id, layer: layers.get(node.id) ?? 0, width: size.width, height: size.height, node });
  }

  // Split every edge into links between adjacent layers, through dummy items.
  const links: Link[] = [];
  const chains = new Map<GraphEdge, string[]>();
  graph.edges.forEach((edge, index) => {
    const fromLayer = layers.get(edge.from) ?? 0;
    const toLayer = layers.get(edge.to) ?? 0;
    const [upper, lower] = fromLayer < toLayer ? [edge.from, edge.to] : [edge.to, edge.from];
    const top = Math.min(fromLayer, toLayer);
    const bottom = Math.max(fromLayer, toLayer);
    const chain = [upper];
    for (let layer = top + 1; layer < bottom; layer += 1) {
      const id = `dummy:${index}:${layer}`;
      items.set(id, { id, layer, width: 0, height: 0, node: null });
      chain.push(id);
    }
    chain.push(lower);
    for (let position = 0; position + 1 < chain.length; position += 1) {
      // Links between two dummies pull hardest, so a long edge runs straight and bends only at its ends.
      const inner = position > 0 && position + 2 < chain.length;
      links.push({ upper: chain[position] as string, lower: chain[position + 1] as string, weight: inner ? DUMMY_WEIGHT : EDGE_WEIGHTS[edge.kind] });
    }
    chains.set(edge, fromLayer < toLayer ? chain : [...chain].reverse());
  });

  const order = orderLayers(graph, items, links);
  const xs = positionLayers(order, items, links, nodeGap);
  straightenLongEdges([...chains.values()], order, items, xs, nodeGap);

  // Row heights: each layer as tall as its tallest node.
  const layerCount = order.length;
  const rowHeights = order.map((row) => Math.max(0, ...row.map((id) => items.get(id)?.height ?? 0)));
  const rowCenters: number[] = [];
  let y = margin;
  for (let layer = 0; layer < layerCount; layer += 1) {
    const height = rowHeights[layer] ?? 0;
    rowCenters.push(y + height / 2);
    y += height + layerGap;
  }

  const minX = Math.min(...[...items.values()].map((item) => (xs.get(item.id) ?? 0) - item.width / 2));
  const shift = margin - minX;
  const placed = new Map<string, PlacedNode>();
  for (const item of items.values()) {
    if (item.node !== null) {
      placed.set(item.id, {
        node: item.node,
        layer: item.layer,
        x: (xs.get(item.id) ?? 0) + shift,
        y: rowCenters[item.layer] ?? 0,
        width: item.width,
        height: item.height,
      });
    }
  }

  const edges = graph.edges.map((edge): { edge: GraphEdge; points: Point[] } => {
    const chain = chains.get(edge) ?? [];
    // An edge back to an earlier layer (a loop) leaves its source's top and enters its target's bottom.
    const side = (layers.get(edge.from) ?? 0) > (layers.get(edge.to) ?? 0) ? -1 : 1;
    const points: Point[] = [];
    chain.forEach((id, position) => {
      const item = items.get(id) as LayoutItem;
      const x = (xs.get(id) ?? 0) + shift;
      const center = rowCenters[item.layer] ?? 0;
      const halfRow = (rowHeights[item.layer] ?? 0) / 2;
      // Loops attach off-center, clear of the forward edges that use the middle of the same sides.
      const offset = side < 0 ? item.width * LOOP_PORT_SHARE : 0;
      if (position === 0) {
        points.push({ x: x + offset, y: center + (side * item.height) / 2 });
      } else if (position === chain.length - 1) {
        points.push({ x: x + offset, y: center - (side * item.height) / 2 });
      } else {
        // A dummy runs straight through its layer, so the edge never cuts a node of that row.
        points.push({ x, y: center - side * halfRow }, { x, y: center + side * halfRow });
      }
    });
    return { edge, points };
  });
  spreadIncomingEdges(edges, placed);

  const width = Math.max(...[...placed.values()].map((node) => node.x + node.width / 2)) + margin;
  const height = y - layerGap + margin;
  return { nodes: [...placed.values()], edges, width, height };
}

/**
 * Puts each node one layer below its lowest predecessor (longest path from the start). Edges that
 * close a cycle, such as a Wait state that leads back to the state before it, are ignored here.
 */
function assignLayers(graph: WorkflowGraph): Map<string, number> {
  const successors = new Map<string, string[]>();
  for (const edge of graph.edges) {
    successors.set(edge.from, [...(successors.get(edge.from) ?? []), edge.to]);
  }

  // Depth-first search to find a topological order and skip back edges.
  const state = new Map<string, 'visiting' | 'done'>();
  const postOrder: string[] = [];
  const forward = new Map<string, string[]>();
  const visit = (id: string) => {
    state.set(id, 'visiting');
    for (const next of successors.get(id) ?? []) {
      if (state.get(next) === 'visiting') {
        continue;
      }
      forward.set(id, [...(forward.get(id) ?? []), next]);
      if (!state.has(next)) {
        visit(next);
      }
    }
    state.set(id, 'done');
    postOrder.push(id);
  };
  for (const node of graph.nodes) {
    if (!state.has(node.id)) {
      visit(node.id);
    }
  }

  const layers = new Map<string, number>();
  for (const id of postOrder.reverse()) {
    const layer = layers.get(id) ?? 0;
    layers.set(id, layer);
    for (const next of forward.get(id) ?? []) {
      layers.set(next, Math.max(layers.get(next) ?? 0, layer + 1));
    }
  }
  return layers;
}

/** Orders each layer: first in search order from the start, then by weighted barycenters. */
function orderLayers(graph: WorkflowGraph, items: Map<string, LayoutItem>, links: readonly Link[]): string[][] {
  const layerCount = Math.max(...[...items.values()].map((item) => item.layer)) + 1;
  const below = new Map<string, Link[]>();
  const above = new Map<string, Link[]>();
  for (const link of links) {
    below.set(link.upper, [...(below.get(link.upper) ?? []), link]);
    above.set(link.lower, [...(above.get(link.lower) ?? []), link]);
  }

  // Initial order: breadth-first from the start along the links, in the order the edges were listed.
  const rank = new Map<string, number>();
  const queue = [graph.nodes[0]?.id ?? ''];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (rank.has(id)) {
      continue;
    }
    rank.set(id, rank.size);
    for (const link of below.get(id) ?? []) {
      queue.push(link.lower);
    }
  }
  const layers: string[][] = Array.from({ length: layerCount }, () => []);
  for (const item of items.values()) {
    layers[item.layer]?.push(item.id);
  }
  for (const layer of layers) {
    layer.sort((a, b) => (rank.get(a) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b) ?? Number.MAX_SAFE_INTEGER));
  }

  let best = layers.map((layer) => [...layer]);
  let bestCrossings = countCrossings(best, below);
  for (let sweep = 0; sweep < ORDERING_SWEEPS; sweep += 1) {
    const downward = sweep % 2 === 0;
    const sequence = downward ? range(1, layerCount) : range(0, layerCount - 1).reverse();
    for (const index of sequence) {
      const reference = layers[downward ? index - 1 : index + 1] ?? [];
      const neighbours = downward ? above : below;
      sortByBarycenter(layers[index] ?? [], reference, (id) => (neighbours.get(id) ?? []).map((link) => ({
        id: downward ? link.upper : link.lower,
        weight: link.weight,
      })));
    }
    const crossings = countCrossings(layers, below);
    if (crossings < bestCrossings) {
      best = layers.map((layer) => [...layer]);
      bestCrossings = crossings;
    }
  }
  return best;
}

function sortByBarycenter(
  layer: string[],
  reference: readonly string[],
  neighboursOf: (id: string) => readonly { id: string; weight: number }[],
): void {
  const positions = new Map(reference.map((id, index) => [id, index]));
  const current = new Map(layer.map((id, index) => [id, index]));
  const barycenter = (id: string): number => {
    const neighbours = neighboursOf(id).filter((neighbour) => positions.has(neighbour.id));
    const total = neighbours.reduce((sum, neighbour) => sum + neighbour.weight, 0);
    if (total === 0) {
      return current.get(id) ?? 0;
    }
    return neighbours.reduce((sum, neighbour) => sum + (positions.get(neighbour.id) ?? 0) * neighbour.weight, 0) / total;
  };
  const keys = new Map(layer.map((id) => [id, barycenter(id)]));
  // Ties keep the current order, so the sweeps settle instead of swapping back and forth.
  layer.sort((a, b) => (keys.get(a) ?? 0) - (keys.get(b) ?? 0) || (current.get(a) ?? 0) - (current.get(b) ?? 0));
}

function countCrossings(layers: readonly string[][], below: ReadonlyMap<string, Link[]>): number {
  let crossings = 0;
  for (let index = 0; index + 1 < layers.length; index += 1) {
    const upper = new Map((layers[index] ?? []).map((id, position) => [id, position]));
    const lower = new Map((layers[index + 1] ?? []).map((id, position) => [id, position]));
    const pairs = (layers[index] ?? []).flatMap((id) => (below.get(id) ?? []).map((link) => [upper.get(id) ?? 0, lower.get(link.lower) ?? 0] as const));
    for (let a = 0; a < pairs.length; a += 1) {
      for (let b = a + 1; b < pairs.length; b += 1) {
        const [a1, a2] = pairs[a] as readonly [number, number];
        const [b1, b2] = pairs[b] as readonly [number, number];
        if ((a1 - b1) * (a2 - b2) < 0) {
          crossings += 1;
        }
      }
    }
  }
  return crossings;
}

/**
 * Places items left to right in their order, then moves each towards the weighted mean of its
 * neighbours' x in the layers above and below, alternately downward and upward. Within a layer,
 * items with the heaviest links move first and the others make room, so the main path stays
 * straight and long edges bend around it.
 */
function positionLayers(order: readonly string[][], items: ReadonlyMap<string, LayoutItem>, links: readonly Link[], nodeGap: number): Map<string, number> {
  const neighbours = new Map<string, { id: string; weight: number; upper: boolean }[]>();
  for (const link of links) {
    neighbours.set(link.lower, [...(neighbours.get(link.lower) ?? []), { id: link.upper, weight: link.weight, upper: true }]);
    neighbours.set(link.upper, [...(neighbours.get(link.upper) ?? []), { id: link.lower, weight: link.weight, upper: false }]);
  }
  const gapBetween = centerDistance(items, nodeGap);
  const priority = (id: string) => {
    const weight = (neighbours.get(id) ?? []).reduce((sum, neighbour) => sum + neighbour.weight, 0);
    return items.get(id)?.node === null ? weight : weight + 100;
  };

  const xs = new Map<string, number>();
  for (const layer of order) {
    let x = 0;
    layer.forEach((id, index) => {
      x += index === 0 ? 0 : gapBetween(layer[index - 1] as string, id);
      xs.set(id, x);
    });
  }

  for (let round = 0; round < POSITION_ROUNDS; round += 1) {
    const downward = round % 2 === 0;
    const sequence = downward ? order : [...order].reverse();
    for (const layer of sequence) {
      const desired = layer.map((id) => {
        const pulls = (neighbours.get(id) ?? []).filter((neighbour) => neighbour.upper === downward);
        const total = pulls.reduce((sum, pull) => sum + pull.weight, 0);
        return total === 0 ? (xs.get(id) ?? 0) : pulls.reduce((sum, pull) => sum + (xs.get(pull.id) ?? 0) * pull.weight, 0) / total;
      });
      placeByPriority(layer, desired, layer.map(priority), gapBetween).forEach((x, index) => xs.set(layer[index] as string, x));
    }
  }
  return xs;
}

/**
 * Returns x positions that keep the layer's order and gaps: items are placed in order of
 * priority, each as close to its desired x as the items already placed allow. The interval left
 * for an item is never empty, because the items placed around it already keep the gaps that the
 * items between them need.
 */
function placeByPriority(
  layer: readonly string[],
  desired: readonly number[],
  priorities: readonly number[],
  gapBetween: (left: string, right: string) => number,
): number[] {
  const count = layer.length;
  // offsets[i]: the least distance from item 0 to item i.
  const offsets: number[] = [0];
  for (let index = 1; index < count; index += 1) {
    offsets.push((offsets[index - 1] ?? 0) + gapBetween(layer[index - 1] as string, layer[index] as string));
  }
  const placed: (number | null)[] = new Array<number | null>(count).fill(null);
  const sequence = range(0, count).sort((a, b) => (priorities[b] ?? 0) - (priorities[a] ?? 0) || a - b);
  for (const index of sequence) {
    let low = Number.NEGATIVE_INFINITY;
    let high = Number.POSITIVE_INFINITY;
    for (let left = index - 1; left >= 0; left -= 1) {
      const x = placed[left];
      if (x !== null && x !== undefined) {
        low = x + (offsets[index] ?? 0) - (offsets[left] ?? 0);
        break;
      }
    }
    for (let right = index + 1; right < count; right += 1) {
      const x = placed[right];
      if (x !== null && x !== undefined) {
        high = x - (offsets[right] ?? 0) + (offsets[index] ?? 0);
        break;
      }
    }
    placed[index] = Math.min(high, Math.max(low, desired[index] ?? 0));
  }
  return placed.map((x) => x ?? 0);
}

/** Offset of a loop's end from a node's center, as a share of the node's width. */
const LOOP_PORT_SHARE = 0.3;

/** Space between the ends of edges that enter one node, so that their arrowheads stay apart. */
const PORT_SPACING = 14;

/** Moves the ends of edges that enter the same node apart along its top, in the order they come from. */
function spreadIncomingEdges(edges: readonly { edge: GraphEdge; points: Point[] }[], placed: ReadonlyMap<string, PlacedNode>): void {
  const byTarget = new Map<string, { edge: GraphEdge; points: Point[] }[]>();
  for (const routed of edges) {
    // Only edges that come down into the node's top; loops enter from below at their own place.
    const entersFromAbove = (routed.points.at(-1)?.y ?? 0) >= (routed.points.at(-2)?.y ?? 0);
    if (entersFromAbove) {
      byTarget.set(routed.edge.to, [...(byTarget.get(routed.edge.to) ?? []), routed]);
    }
  }
  for (const [target, incoming] of byTarget) {
    const node = placed.get(target);
    if (node === undefined || incoming.length < 2) {
      continue;
    }
    const spacing = Math.min(PORT_SPACING, (node.width * 0.6) / (incoming.length - 1));
    const fromX = (routed: { points: Point[] }) => routed.points.at(-2)?.x ?? node.x;
    [...incoming].sort((a, b) => fromX(a) - fromX(b)).forEach((routed, index) => {
      const last = routed.points.at(-1);
      if (last !== undefined) {
        routed.points[routed.points.length - 1] = { x: node.x + (index - (incoming.length - 1) / 2) * spacing, y: last.y };
      }
    });
  }
}

/** Returns the least distance between the centers of two neighbours in a layer. */
function centerDistance(items: ReadonlyMap<string, LayoutItem>, nodeGap: number): (left: string, right: string) => number {
  const widthOf = (id: string) => items.get(id)?.width ?? 0;
  return (left, right) => {
    const dummies = Number(items.get(left)?.node === null) + Number(items.get(right)?.node === null);
    return (widthOf(left) + widthOf(right)) / 2 + (dummies === 2 ? nodeGap / 2 : nodeGap);
  };
}

/**
 * Moves the dummies of each long edge to one common x where the neighbours in every layer leave
 * room, so the edge runs straight down between its two bends. An edge without such an x keeps
 * its dummies where they are.
 */
function straightenLongEdges(
  chains: readonly (readonly string[])[],
  order: readonly string[][],
  items: ReadonlyMap<string, LayoutItem>,
  xs: Map<string, number>,
  nodeGap: number,
): void {
  const gapBetween = centerDistance(items, nodeGap);
  const positions = new Map<string, { layer: readonly string[]; index: number }>();
  for (const layer of order) {
    layer.forEach((id, index) => positions.set(id, { layer, index }));
  }

  for (const chain of chains) {
    const dummies = chain.filter((id) => items.get(id)?.node === null);
    if (dummies.length < 2) {
      continue;
    }
    let low = Number.NEGATIVE_INFINITY;
    let high = Number.POSITIVE_INFINITY;
    for (const id of dummies) {
      const position = positions.get(id);
      if (position === undefined) {
        continue;
      }
      const left = position.layer[position.index - 1];
      const right = position.layer[position.index + 1];
      if (left !== undefined) {
        low = Math.max(low, (xs.get(left) ?? 0) + gapBetween(left, id));
      }
      if (right !== undefined) {
        high = Math.min(high, (xs.get(right) ?? 0) - gapBetween(id, right));
      }
    }
    if (low > high) {
      continue;
    }
    // Prefer the x of the dummy nearest the target, where the edge would otherwise bend last.
    const preferred = xs.get(dummies.at(-1) as string) ?? 0;
    const x = Math.min(high, Math.max(low, preferred));
    for (const id of dummies) {
      xs.set(id, x);
    }
  }
}

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, index) => start + index);
}
