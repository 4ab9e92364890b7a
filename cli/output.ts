/**
 * Keeps standard output for the command's result. The Powertools Logger writes its JSON lines to
 * process.stdout, so while a command runs every other write to stdout goes to stderr, and only
 * `writeResult` reaches stdout. This lets `--json` output be piped into jq while logs stay visible.
 */
const writeStdout = process.stdout.write.bind(process.stdout);
let redirected = false;

export function reserveStdoutForResult(): void {
  if (!redirected) {
    process.stdout.write = process.stderr.write.bind(process.stderr);
    redirected = true;
  }
}

/** Writes one line of the command's result to the real standard output. */
export function writeResult(text: string): void {
  writeStdout(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes a line for the person at the terminal (progress, notes) to stderr. */
export function writeNote(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}
