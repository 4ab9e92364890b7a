import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DEFINITION_PATH, readRawDefinition } from '../../local/definition.ts';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { renderWorkflowSvg } from '../graph/svg-graph.ts';
import { buildWorkflowGraph, toMermaid, type WorkflowGraph } from '../graph/workflow-graph.ts';
import { reserveStdoutForResult, writeNote, writeResult } from '../output.ts';

/** The repository's docs folder, where the README's picture of the workflow lives. */
export const DOCS_DIRECTORY = fileURLToPath(new URL('../../docs/', import.meta.url));
export const MERMAID_FILE_NAME = 'workflow.mmd';
export const SVG_FILE_NAME = 'workflow.svg';
export const SVG_TITLE = 'cronlock workflow';

const FORMATS = ['mermaid', 'svg', 'json'] as const;
type GraphFormat = (typeof FORMATS)[number];

export interface GraphOptions {
  readonly definition: string;
  readonly format: string;
  readonly output?: string;
  readonly docs?: boolean;
  readonly json?: boolean;
}

/** Adds `cronlock graph`. */
export function registerGraphCommand(program: Command): void {
  program
    .command('graph')
    .description('draw the workflow from its definition file, with every Next, Choice, Default and Catch edge')
    .option('--definition <path>', 'the ASL definition file', DEFINITION_PATH)
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`, 'mermaid')
    .option('--output <file>', 'write to this file instead of stdout')
    .option('--docs', `write docs/${MERMAID_FILE_NAME} and docs/${SVG_FILE_NAME}, the pictures the README shows`)
    .option('--json', 'print the graph as JSON (same as --format json)')
    .action((options: GraphOptions) => {
      reserveStdoutForResult();
      const graph = buildWorkflowGraph(readDefinition(options.definition));
      if (options.docs) {
        const written = writeDocs(graph, DOCS_DIRECTORY);
        writeNote(`Wrote ${written.join(' and ')}.`);
      } else {
        const text = renderGraph(graph, options.json ? 'json' : readFormat(options.format));
        if (options.output === undefined) {
          writeResult(text);
        } else {
          writeFileSync(options.output, text);
          writeNote(`Wrote ${options.output}.`);
        }
      }
      process.exitCode = EXIT_CODES.success;
    });
}

export function renderGraph(graph: WorkflowGraph, format: GraphFormat): string {
  switch (format) {
    case 'mermaid':
      return toMermaid(graph);
    case 'svg':
      return renderWorkflowSvg(graph, SVG_TITLE);
    case 'json':
      return `${JSON.stringify({ nodes: graph.nodes, edges: graph.edges, mermaid: toMermaid(graph) }, null, 2)}\n`;
  }
}

/** Writes the Mermaid text and the SVG picture into `directory`; returns the paths written. */
export function writeDocs(graph: WorkflowGraph, directory: string): string[] {
  mkdirSync(directory, { recursive: true });
  const mermaidPath = join(directory, MERMAID_FILE_NAME);
  const svgPath = join(directory, SVG_FILE_NAME);
  writeFileSync(mermaidPath, renderGraph(graph, 'mermaid'));
  writeFileSync(svgPath, renderGraph(graph, 'svg'));
  return [mermaidPath, svgPath];
}

function readFormat(format: string): GraphFormat {
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`--format "${format}" is not one of ${FORMATS.join(', ')}`);
  }
  return format as GraphFormat;
}

function readDefinition(path: string) {
  try {
    return readRawDefinition(path);
  } catch (error) {
    throw new CliError(`Cannot read the definition ${path}: ${(error as Error).message}`);
  }
}
