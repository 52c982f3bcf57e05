// A port of Go's text/tabwriter (flags 0, space padding), which kubectl uses for both `get` tables
// and `describe`. Cells end in "\t"; the text after a line's last tab is not part of any column.
// A column is aligned over a *block*: consecutive lines that have a cell in it. So a line without
// tabs (a heading such as "Containers:") starts new blocks, which is what gives `describe` its look.

export interface TabwriterOptions {
  /** Minimal cell width including padding. */
  minWidth: number;
  /** Added to the widest cell of a column. */
  padding: number;
}

/** kubectl get: printers.GetNewTabWriter (minwidth 6, padding 3). */
export const TABLE_OPTIONS: TabwriterOptions = { minWidth: 6, padding: 3 };
/** kubectl describe: tabbedString (minwidth 0, padding 2). */
export const DESCRIBE_OPTIONS: TabwriterOptions = { minWidth: 0, padding: 2 };

/** Formats tab-separated text like one Go tabwriter Write followed by Flush. */
export function tabwrite(text: string, options: TabwriterOptions): string {
  if (text === '') return '';
  const endsWithNewline = text.endsWith('\n');
  const rawLines = text.split('\n');
  if (endsWithNewline) rawLines.pop();
  const lines = rawLines.map((line) => line.split('\t'));
  const out: string[] = [];
  format(lines, [], 0, lines.length, options, out);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}

function format(lines: string[][], widths: number[], line0: number, line1: number, options: TabwriterOptions, out: string[]): void {
  const column = widths.length;
  let start = line0;
  for (let i = line0; i < line1; i++) {
    if (column >= lines[i]!.length - 1) continue;
    // A cell exists in this column: this line starts a block.
    writeLines(lines, widths, start, i, out);
    start = i;
    let width = options.minWidth;
    let j = i;
    for (; j < line1; j++) {
      const line = lines[j]!;
      if (column >= line.length - 1) break;
      width = Math.max(width, cellWidth(line[column]!) + options.padding);
    }
    format(lines, [...widths, width], start, j, options, out);
    start = j;
    i = j; // line j (if any) has no cell here; Go's loop skips it too.
  }
  writeLines(lines, widths, start, line1, out);
}

function writeLines(lines: string[][], widths: number[], line0: number, line1: number, out: string[]): void {
  for (let i = line0; i < line1; i++) {
    const line = lines[i]!;
    let text = '';
    line.forEach((cell, j) => {
      text += cell;
      const width = widths[j];
      if (j < widths.length && width !== undefined) text += ' '.repeat(Math.max(0, width - cellWidth(cell)));
    });
    out.push(text);
  }
}

/** Go counts runes. */
export function cellWidth(cell: string): number {
  let n = 0;
  for (const _ of cell) n++;
  return n;
}

/**
 * kubectl's PrefixWriter over a tabwriter: `write(level, text)` indents by two spaces per level;
 * `flush()` formats what was written so far on its own (kubectl flushes before the Events table).
 */
export class PrefixWriter {
  private buffer = '';
  private done = '';

  write(level: number, text: string): void {
    this.buffer += '  '.repeat(level) + sanitize(text);
  }

  flush(): void {
    this.done += tabwrite(this.buffer, DESCRIBE_OPTIONS);
    this.buffer = '';
  }

  toString(): string {
    this.flush();
    return this.done;
  }
}

/** Drops terminal control characters from values (kubectl escapes them) but keeps tabs and newlines. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

/** A `get`-style table: header and rows, columns separated by three spaces, last column unpadded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const text = [header, ...rows].map((row) => row.map((cell) => sanitize(cell).replace(/[\t\n]/g, ' ')).join('\t')).join('\n') + '\n';
  return tabwrite(text, TABLE_OPTIONS);
}
