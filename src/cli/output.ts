// Human output: results to stdout, progress/warnings/errors to stderr. Under --json nothing but the
// envelope reaches stdout (MktCommand prints it), and the human channels stay quiet.

export interface OutputOptions {
  json: boolean
  quiet: boolean
  verbose: boolean
  color: boolean
}

const ANSI = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const
export type Style = keyof typeof ANSI

export class Output {
  readonly warnings: string[] = []

  constructor(readonly options: OutputOptions) {}

  style(text: string, style: Style): string {
    return this.options.color ? `\u001B[${ANSI[style]}m${text}\u001B[0m` : text
  }

  /** A result line (stdout). Kept under --quiet; suppressed under --json (the envelope carries it). */
  result(text = ''): void {
    if (!this.options.json) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  /** Progress and informational lines (stderr); dropped by --quiet and --json. */
  info(text: string): void {
    if (!this.options.json && !this.options.quiet) process.stderr.write(`${text}\n`)
  }

  /** Detail shown only with --verbose (stderr). Never pass secrets, even here. */
  verbose(text: string): void {
    if (this.options.verbose && !this.options.json) process.stderr.write(`${this.style(text, 'dim')}\n`)
  }

  /** Warnings: collected for the --json envelope, printed to stderr otherwise (not under --quiet). */
  warn(text: string): void {
    this.warnings.push(text)
    if (!this.options.json && !this.options.quiet) process.stderr.write(`${this.style('Warning:', 'yellow')} ${text}\n`)
  }
}

export interface Column<Row> {
  header: string
  get: (row: Row) => string
  style?: (row: Row) => Style | undefined
}

// eslint-disable-next-line no-control-regex -- stripping ANSI colour codes is the point
const visibleLength = (text: string) => text.replace(/\u001B\[[0-9;]*m/g, "").length

/** A plain aligned table: upper-case headers, two spaces between columns, no borders (like kubectl). */
export function renderTable<Row>(rows: Row[], columns: Column<Row>[], output?: Pick<Output, 'style'>): string {
  const cells = rows.map((row) => columns.map((column) => column.get(row)))
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((r) => visibleLength(r[i]))))
  const pad = (text: string, i: number) => (i === columns.length - 1 ? text : text + ' '.repeat(widths[i] - visibleLength(text)))
  const lines = [columns.map((c, i) => pad(c.header.toUpperCase(), i)).join('  ').trimEnd()]
  rows.forEach((row, r) => {
    lines.push(
      columns
        .map((column, i) => {
          const style = column.style?.(row)
          const text = pad(cells[r][i], i)
          return style && output ? output.style(text, style) : text
        })
        .join('  ')
        .trimEnd(),
    )
  })
  return lines.join('\n')
}

/** `key: value` lines with aligned values, for single objects (env show). */
export function renderKeyValues(entries: Array<[string, string]>): string {
  const width = Math.max(...entries.map(([k]) => k.length))
  return entries.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`).join('\n')
}

/** Equal texts said once, with every label that has them (`serviceBus, keyVault: Check the network…`), first-seen order. */
export function groupEqual(items: Array<{ label: string; text: string }>): Array<{ labels: string[]; text: string }> {
  const groups = new Map<string, string[]>()
  for (const { label, text } of items) {
    const labels = groups.get(text) ?? []
    if (!labels.includes(label)) labels.push(label)
    groups.set(text, labels)
  }
  return [...groups].map(([text, labels]) => ({ labels, text }))
}

/** For a table column: a text already shown on an earlier row reads `same as <that row>`. */
export function sameAsEarlier<Row>(rows: Row[], text: (row: Row) => string, label: (row: Row) => string): (row: Row) => string {
  const firstWith = new Map<string, Row>()
  for (const row of rows) if (!firstWith.has(text(row))) firstWith.set(text(row), row)
  return (row) => {
    const first = firstWith.get(text(row))!
    return first === row || text(row).length < 40 ? text(row) : `same as ${label(first)}`
  }
}
