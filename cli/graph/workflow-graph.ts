import { TRANSIENT_LOCK_STORE_ERROR_NAMES } from '../../functions/shared/errors.ts';
import { ECS_RUN_TASK_SYNC, type Definition, type StateDefinition } from '../../local/definition.ts';

/**
 * The workflow as a graph of its states and transitions, read from the definition file as
 * written (with its CloudFormation references): every Next, Choice rule, Default, Catch and End.
 */

/** Node ids of the start and end markers; state names cannot contain brackets. */
export const START_NODE = '[start]';
export const END_NODE = '[end]';

export type NodeKind = 'start' | 'end' | 'lambda' | 'ecs' | 'task' | 'choice' | 'wait' | 'succeed' | 'fail' | 'pass' | 'other';

export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  /** The state name, or "Start"/"End" for the markers. */
  readonly label: string;
  /** A second line: what the state runs, or the error a Fail state ends with. */
  readonly detail: string;
}

/**
 * - `next`: Next, or the first state after the start marker
 * - `choice`: a Choice rule, labelled with its condition
 * - `default`: a Choice state's Default
 * - `catch`: a Catch, labelled with the errors it matches
 * - `end`: End: true, to the end marker
 */
export type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'end';

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label: string;
}

export interface WorkflowGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** Builds the graph of a definition. Throws when a transition names a state that does not exist. */
export function buildWorkflowGraph(definition: Definition): WorkflowGraph {
  const states = definition.States;
  const nodes: GraphNode[] = [{ id: START_NODE, kind: 'start', label: 'Start', detail: '' }];
  const edges: GraphEdge[] = [{ from: START_NODE, to: definition.StartAt, kind: 'next', label: '' }];
  let needsEnd = false;

  for (const [name, state] of Object.entries(states)) {
    nodes.push({ id: name, kind: nodeKind(state), label: name, detail: nodeDetail(state) });
    const choices = Array.isArray(state['Choices']) ? (state['Choices'] as Record<string, unknown>[]) : [];
    for (const rule of choices) {
      edges.push({ from: name, to: String(rule['Next']), kind: 'choice', label: describeCondition(rule) });
    }
    if (typeof state['Default'] === 'string') {
      edges.push({ from: name, to: state['Default'], kind: 'default', label: 'otherwise' });
    }
    if (typeof state['Next'] === 'string') {
      edges.push({ from: name, to: state['Next'], kind: 'next', label: '' });
    }
    const catchers = Array.isArray(state['Catch']) ? (state['Catch'] as Record<string, unknown>[]) : [];
    for (const catcher of catchers) {
      edges.push({ from: name, to: String(catcher['Next']), kind: 'catch', label: describeErrors(catcher['ErrorEquals']) });
    }
    if (state['End'] === true) {
      edges.push({ from: name, to: END_NODE, kind: 'end', label: '' });
      needsEnd = true;
    }
  }
  if (needsEnd) {
    nodes.push({ id: END_NODE, kind: 'end', label: 'End', detail: '' });
  }

  const ids = new Set(nodes.map((node) => node.id));
  for (const edge of edges) {
    if (!ids.has(edge.to)) {
      throw new Error(`State ${edge.from} has a transition to "${edge.to}", which is not a state of the definition`);
    }
  }
  return { nodes, edges };
}

function nodeKind(state: StateDefinition): NodeKind {
  switch (state.Type) {
    case 'Task':
      if (state.Resource === ECS_RUN_TASK_SYNC) {
        return 'ecs';
      }
      return isLambdaReference(state.Resource) ? 'lambda' : 'task';
    case 'Choice':
      return 'choice';
    case 'Wait':
      return 'wait';
    case 'Succeed':
      return 'succeed';
    case 'Fail':
      return 'fail';
    case 'Pass':
      return 'pass';
    default:
      return 'other';
  }
}

function nodeDetail(state: StateDefinition): string {
  switch (nodeKind(state)) {
    case 'lambda':
      return 'Lambda';
    case 'ecs':
      return 'ECS RunTask (sync)';
    case 'fail':
      return typeof state['Error'] === 'string' ? `Fail: ${state['Error']}` : 'Fail: error from the summary';
    case 'wait':
      return describeWait(state);
    default:
      return state.Type;
  }
}

function describeWait(state: StateDefinition): string {
  for (const field of ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']) {
    const value = state[field];
    if (typeof value === 'string' || typeof value === 'number') {
      return field === 'Seconds' ? `Wait ${value} s` : `Wait ${value}`;
    }
  }
  return 'Wait';
}

function isLambdaReference(resource: unknown): boolean {
  if (typeof resource === 'string') {
    return resource.includes(':lambda:');
  }
  const getAtt = (resource as Record<string, unknown> | null)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && String(getAtt[0]).endsWith('LambdaFunction');
}

/** Comparison operators of Choice rules, as shown in edge labels. */
const COMPARISONS: readonly (readonly [string, string])[] = [
  ['BooleanEquals', '=='],
  ['StringEquals', '=='],
  ['NumericEquals', '=='],
  ['NumericLessThan', '<'],
  ['NumericLessThanEquals', '<='],
  ['NumericGreaterThan', '>'],
  ['NumericGreaterThanEquals', '>='],
  ['StringMatches', 'matches'],
  ['IsPresent', 'is present:'],
  ['IsNull', 'is null:'],
];

/** Returns a Choice rule's condition in a short form, such as `$.lease.acquired == true`. */
export function describeCondition(rule: Record<string, unknown>): string {
  const variable = typeof rule['Variable'] === 'string' ? rule['Variable'] : null;
  for (const [operator, symbol] of COMPARISONS) {
    if (variable !== null && operator in rule) {
      return `${variable} ${symbol} ${JSON.stringify(rule[operator])}`;
    }
  }
  for (const compound of ['And', 'Or', 'Not']) {
    if (compound in rule) {
      return `${compound} rule`;
    }
  }
  return variable === null ? 'rule' : `${variable} rule`;
}

/** Returns the errors of a Catch in a short form; the lock store's transient errors get one name. */
export function describeErrors(errorEquals: unknown): string {
  const names = Array.isArray(errorEquals) ? errorEquals.map(String) : [];
  if (names.length === 1 && names[0] === 'States.ALL') {
    return 'any error';
  }
  if (names.length > 0 && names.every((name) => (TRANSIENT_LOCK_STORE_ERROR_NAMES as readonly string[]).includes(name))) {
    return 'lock store unavailable';
  }
  return names.length <= 2 ? names.join(', ') : `${names.slice(0, 2).join(', ')} +${names.length - 2} more`;
}

/** Returns the graph as a Mermaid `stateDiagram-v2`, with Catch edges labelled "catch". */
export function toMermaid(graph: WorkflowGraph): string {
  const mermaidId = (id: string) => (id === START_NODE || id === END_NODE ? '[*]' : id);
  const lines = ['stateDiagram-v2', '    direction TB'];
  for (const edge of graph.edges) {
    const label = edgeLabel(edge);
    lines.push(`    ${mermaidId(edge.from)} --> ${mermaidId(edge.to)}${label === '' ? '' : `: ${mermaidText(label)}`}`);
  }
  for (const node of graph.nodes) {
    if (node.kind === 'succeed' || node.kind === 'fail') {
      lines.push(`    ${node.id} --> [*]`);
    }
  }

  const classes: Readonly<Record<string, string>> = {
    lambda: 'fill:#e8f1fb,stroke:#2f6fb3',
    ecs: 'fill:#fff1e0,stroke:#c46a12',
    choice: 'fill:#fff9db,stroke:#9a7b00',
    wait: 'fill:#f2f2f2,stroke:#777777',
    succeed: 'fill:#e6f4ea,stroke:#2e7d32',
    fail: 'fill:#fdecea,stroke:#c62828',
  };
  for (const [kind, style] of Object.entries(classes)) {
    const members = graph.nodes.filter((node) => node.kind === kind).map((node) => node.id);
    if (members.length > 0) {
      lines.push(`    classDef ${kind} ${style}`);
      lines.push(`    class ${members.join(', ')} ${kind}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Returns the label of an edge: "catch: <errors>" for a Catch, the condition for a Choice rule. */
export function edgeLabel(edge: GraphEdge): string {
  switch (edge.kind) {
    case 'catch':
      return `catch: ${edge.label}`;
    case 'choice':
    case 'default':
      return edge.label;
    default:
      return '';
  }
}

/** Mermaid ends a label at ":" and ";" and reads "#" as an entity, so those become look-alikes. */
function mermaidText(text: string): string {
  return text.replaceAll(':', ' -').replaceAll(';', ',').replaceAll('#', 'no.').replaceAll('"', "'");
}
