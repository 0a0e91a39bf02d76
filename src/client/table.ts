/**
 * Tables as Go's text/tabwriter draws them, because `list` prints what deployctl's
 * scripts parse: `tabwriter.NewWriter(os.Stdout, 0, 8, 4, ' ', 0)`, i.e. every column
 * but the last is padded with spaces to its widest cell + 4; the last cell of a line is
 * written as is (tabwriter never aligns the text after the last tab).
 */
export interface TableOptions {
  /** Spaces after the widest cell of a column (tabwriter's `padding`). */
  padding?: number;
}

/** Width as tabwriter counts it: one per code point (Go counts runes). */
function cellWidth(text: string): number {
  return [...text].length;
}

export function formatTable(rows: string[][], options: TableOptions = {}): string {
  const padding = options.padding ?? 4;
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, cellWidth(cell) + padding);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i < row.length - 1 ? cell + " ".repeat(widths[i] - cellWidth(cell)) : cell))
        .join(""),
    )
    .map((line) => `${line}\n`)
    .join("");
}
