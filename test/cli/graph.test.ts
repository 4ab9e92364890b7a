import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DOCS_DIRECTORY, MERMAID_FILE_NAME, renderGraph, SVG_FILE_NAME } from '../../cli/commands/graph.ts';
import { layoutGraph, type Layout } from '../../cli/graph/layered-layout.ts';
import { renderWorkflowSvg } from '../../cli/graph/svg-graph.ts';
import { buildWorkflowGraph, describeCondition, END_NODE, START_NODE, toMermaid, type WorkflowGraph } from '../../cli/graph/workflow-graph.ts';
import { readRawDefinition, type Definition } from '../../local/definition.ts';

const definition = readRawDefinition();
const graph = buildWorkflowGraph(definition);
const mermaid = toMermaid(graph);

/** Lists every transition written in the definition as [from, to, kind]. */
function transitionsOf(source: Definition): [string, string, string][] {
  const transitions: [string, string, string][] = [];
  for (const [name, state] of Object.entries(source.States)) {
    if (typeof state['Next'] === 'string') {
      transitions.push([name, state['Next'], 'next']);
    }
    if (typeof state['Default'] === 'string') {
      transitions.push([name, state['Default'], 'default']);
    }
    for (const rule of (state['Choices'] ?? []) as { Next: string }[]) {
      transitions.push([name, rule.Next, 'choice']);
    }
    for (const catcher of (state['Catch'] ?? []) as { Next: string }[]) {
      transitions.push([name, catcher.Next, 'catch']);
    }
  }
  return transitions;
}

const sizeOf = () => ({ width: 120, height: 40 });

function boxOf(layout: Layout, id: string) {
  const node = layout.nodes.find((placed) => placed.node.id === id);
  if (node === undefined) {
    throw new Error(`node ${id} is not placed`);
  }
  return { left: node.x - node.width / 2, right: node.x + node.width / 2, top: node.y - node.height / 2, bottom: node.y + node.height / 2 };
}

describe('workflow graph', () => {
  it('every state is a node', () => {
    const names = Object.keys(definition.States);

    expect(names.length).toBeGreaterThan(10);
    expect(graph.nodes.map((node) => node.id)).toEqual([START_NODE, ...names, END_NODE]);
  });

  it('every transition is an edge', () => {
    const edges = graph.edges.map((edge) => [edge.from, edge.to, edge.kind]);

    for (const transition of transitionsOf(definition)) {
      expect(edges).toContainEqual(transition);
    }
    expect(edges).toContainEqual([START_NODE, definition.StartAt, 'next']);
    for (const [name, state] of Object.entries(definition.States)) {
      if (state['End'] === true) {
        expect(edges).toContainEqual([name, END_NODE, 'end']);
      }
    }
    const catches = transitionsOf(definition).filter(([, , kind]) => kind === 'catch');
    expect(catches.length).toBeGreaterThan(3);
  });

  it('labels choice and catch edges', () => {
    const choice = graph.edges.find((edge) => edge.from === 'IsLeaseAcquired' && edge.kind === 'choice');
    const catcher = graph.edges.find((edge) => edge.from === 'EnsureLockTable' && edge.kind === 'catch');

    expect(choice?.label).toBe('$.lease.acquired == true');
    expect(catcher?.label).toBe('lock store unavailable');
    expect(graph.edges.find((edge) => edge.from === 'AcquireLock' && edge.kind === 'catch')?.label).toBe('any error');
  });

  it('rejects a transition to a missing state', () => {
    const broken: Definition = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };

    expect(() => buildWorkflowGraph(broken)).toThrow('State A has a transition to "Nowhere", which is not a state of the definition');
  });

  it('compound choice rules', () => {
    expect(describeCondition({ And: [], Next: 'X' })).toBe('And rule');
    expect(describeCondition({ Variable: '$.n', NumericGreaterThan: 3 })).toBe('$.n > 3');
  });
});

describe('mermaid', () => {
  const lines = mermaid.split('\n').map((line) => line.trim());

  it('a state diagram', () => {
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain(`[*] --> ${definition.StartAt}`);
  });

  it('every transition as a line', () => {
    for (const [from, to, kind] of transitionsOf(definition)) {
      const line = lines.find((candidate) => candidate === `${from} --> ${to}` || candidate.startsWith(`${from} --> ${to}: `));
      expect(line, `${from} --> ${to}`).toBeDefined();
      if (kind === 'catch') {
        expect(line).toMatch(/: catch - /);
      }
      if (kind === 'default') {
        expect(line).toBe(`${from} --> ${to}: otherwise`);
      }
    }
  });

  it('ends at the terminal states', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type === 'Succeed' || state.Type === 'Fail' || state['End'] === true) {
        expect(lines).toContain(`${name} --> [*]`);
      }
    }
  });

  it('labels carry no second colon', () => {
    for (const line of lines.filter((candidate) => candidate.includes('-->'))) {
      expect(line.split(':').length, line).toBeLessThanOrEqual(2);
    }
  });
});

describe('svg picture', () => {
  const svg = renderWorkflowSvg(graph, 'cronlock workflow');

  it('names every state', () => {
    for (const name of Object.keys(definition.States)) {
      expect(svg).toContain(`>${name}</text>`);
    }
  });

  it('draws one path per edge', () => {
    expect(svg.match(/<path d="M[^"]*" fill="none"/g)?.length).toBe(graph.edges.length);
    expect(svg.match(/<path d="M[^"]*" fill="none" [^>]*stroke-dasharray="6 4"/g)?.length).toBe(graph.edges.filter((edge) => edge.kind === 'catch').length);
  });

  it('standalone SVG with a background', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('fill="#ffffff"');
    expect(svg).not.toContain('<script');
  });
});

describe('layered layout', () => {
  const layout = layoutGraph(graph, { sizeOf });

  it('nodes never overlap', () => {
    const boxes = layout.nodes.map((node) => boxOf(layout, node.node.id));
    for (let a = 0; a < boxes.length; a += 1) {
      for (let b = a + 1; b < boxes.length; b += 1) {
        const first = boxes[a] as ReturnType<typeof boxOf>;
        const second = boxes[b] as ReturnType<typeof boxOf>;
        const overlap = first.left < second.right && second.left < first.right && first.top < second.bottom && second.top < first.bottom;
        expect(overlap, `${layout.nodes[a]?.node.id} and ${layout.nodes[b]?.node.id}`).toBe(false);
      }
    }
  });

  it('edges join their nodes', () => {
    for (const routed of layout.edges) {
      const from = boxOf(layout, routed.edge.from);
      const to = boxOf(layout, routed.edge.to);
      const first = routed.points[0];
      const last = routed.points.at(-1);
      expect(first?.x).toBeGreaterThanOrEqual(from.left);
      expect(first?.x).toBeLessThanOrEqual(from.right);
      expect([from.top, from.bottom]).toContain(first?.y);
      expect(last?.x).toBeGreaterThanOrEqual(to.left);
      expect(last?.x).toBeLessThanOrEqual(to.right);
      expect([to.top, to.bottom]).toContain(last?.y);
    }
  });

  it('only loops run upward', () => {
    const layerOf = new Map(layout.nodes.map((node) => [node.node.id, node.layer]));
    const reaches = (from: string, to: string): boolean => {
      const seen = new Set<string>();
      const queue = [from];
      while (queue.length > 0) {
        const id = queue.shift() as string;
        if (id === to) {
          return true;
        }
        if (!seen.has(id)) {
          seen.add(id);
          queue.push(...graph.edges.filter((edge) => edge.from === id).map((edge) => edge.to));
        }
      }
      return false;
    };
    for (const edge of graph.edges) {
      const downward = (layerOf.get(edge.to) ?? 0) > (layerOf.get(edge.from) ?? 0);
      expect(downward || reaches(edge.to, edge.from), `${edge.from} -> ${edge.to}`).toBe(true);
    }
  });

  it('main path in one column', () => {
    const spine = ['ResolveSettings', 'EnsureLockTable', 'InsertLockRow', 'AcquireLock'].map((id) => layout.nodes.find((node) => node.node.id === id)?.x);

    expect(new Set(spine).size).toBe(1);
  });

  it('handles a loop', () => {
    const loop: WorkflowGraph = buildWorkflowGraph({
      StartAt: 'Check',
      States: {
        Check: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:check', Next: 'Done?' },
        'Done?': { Type: 'Choice', Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Finished' }], Default: 'Wait' },
        Wait: { Type: 'Wait', Seconds: 5, Next: 'Check' },
        Finished: { Type: 'Succeed' },
      },
    });

    const placed = layoutGraph(loop, { sizeOf });

    const back = placed.edges.find((routed) => routed.edge.from === 'Wait' && routed.edge.to === 'Check');
    expect(back?.points[0]?.y).toBe(boxOf(placed, 'Wait').top);
    expect(back?.points.at(-1)?.y).toBe(boxOf(placed, 'Check').bottom);
    expect(renderWorkflowSvg(loop, 'loop')).toContain('>Wait 5 s</text>');
  });
});

describe('committed pictures', () => {
  it('docs match the definition', () => {
    const hint = 'docs/workflow.* are out of date; regenerate them with "bin/cronlock graph --docs"';

    expect(readFileSync(join(DOCS_DIRECTORY, MERMAID_FILE_NAME), 'utf8'), hint).toBe(renderGraph(graph, 'mermaid'));
    expect(readFileSync(join(DOCS_DIRECTORY, SVG_FILE_NAME), 'utf8'), hint).toBe(renderGraph(graph, 'svg'));
  });
});

describe('bin/cronlock graph', () => {
  const cronlock = fileURLToPath(new URL('../../bin/cronlock', import.meta.url));

  it('prints Mermaid by default', async () => {
    const { stdout } = await promisify(execFile)(cronlock, ['graph'], { timeout: 60_000 });

    expect(stdout).toBe(mermaid);
  });

  it('prints SVG on request', async () => {
    const { stdout } = await promisify(execFile)(cronlock, ['graph', '--format', 'svg'], { timeout: 60_000 });

    expect(stdout).toBe(renderGraph(graph, 'svg'));
  });
});
