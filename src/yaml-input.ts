// Reading a YAML input file against a zod schema, with errors that name the file, line, column and field
// (exit 65). mkt.yaml, topology.yaml and the config files all go through here.
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { invalidInputError } from './errors.js'

export interface YamlInput<T> {
  value: T
  /** Line and column of the node at a path (for errors found after parsing). */
  locate(path: PropertyKey[]): { line: number; col: number } | undefined
  /** An exit-65 error at a path, naming file, line, column and field. */
  errorAt(path: PropertyKey[], message: string, hints?: string[]): ReturnType<typeof invalidInputError>
  /** The same for a character offset in the text (line and column of the offset, field of the node there). */
  errorAtOffset(offset: number, message: string, hints?: string[]): ReturnType<typeof invalidInputError>
}

export function parseYamlInput<S extends z.ZodType>(text: string, label: string, schema: S, hint: string): YamlInput<z.output<S>> {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: true })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!
    const pos = first.linePos?.[0]
    const where = pos ? `${label}:${pos.line}:${pos.col}` : label
    const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '')
    throw invalidInputError(`${where}: YAML syntax error: ${reason}`, { hints: ['Fix the YAML syntax at that line and run the command again.'] })
  }
  const locate = (path: PropertyKey[]) => locateNode(doc, lineCounter, path)
  const errorAt = (path: PropertyKey[], message: string, hints = [hint]) => {
    const field = formatPath(path)
    const where = locate(path)
    return invalidInputError(`${where ? `${label}:${where.line}:${where.col}` : label}: ${field ? `${field}: ` : ''}${message}`, { hints })
  }
  const errorAtOffset = (offset: number, message: string, hints = [hint]) => {
    const { line, col } = lineCounter.linePos(offset)
    const field = formatPath(pathAt(doc.contents, offset))
    return invalidInputError(`${label}:${line}:${col}: ${field ? `${field}: ` : ''}${message}`, { hints })
  }
  // Before toJS(): `__proto__` would vanish into the prototype, and `constructor: { prototype: … }` reaches
  // Object.prototype through any code that walks keys into an object.
  const polluting = prototypeKeyIn(doc.contents)
  if (polluting) throw errorAtOffset(polluting.offset, `"${polluting.key}" cannot be a key: it names a JavaScript object prototype`, ['Rename the key; __proto__, constructor and prototype are refused in every mkt input file.'])
  const parsed = schema.safeParse(doc.toJS())
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw errorAt(issue.path, describeIssue(issue))
  }
  return { value: parsed.data, locate, errorAt, errorAtOffset }
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** The first mapping key named __proto__, constructor or prototype (any case), and where it starts. */
function prototypeKeyIn(node: unknown): { key: string; offset: number } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      if (PROTOTYPE_KEYS.has(key.toLowerCase())) return { key, offset: isNode(pair.key) && pair.key.range ? pair.key.range[0] : 0 }
      const found = prototypeKeyIn(pair.value)
      if (found) return found
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const found = prototypeKeyIn(item)
      if (found) return found
    }
  }
  return undefined
}

/** The path of the deepest mapping value or sequence item whose text holds `offset` (a key's line counts as its value's). */
function pathAt(node: unknown, offset: number, path: Array<string | number> = []): Array<string | number> {
  const within = (n: unknown) => isNode(n) && n.range !== undefined && n.range !== null && offset >= n.range[0] && offset < n.range[2]
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      if (within(pair.key) || within(pair.value)) return pathAt(pair.value, offset, [...path, key])
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) if (within(item)) return pathAt(item, offset, [...path, i])
  }
  return path
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  if (issue.code === 'invalid_type' && issue.input === undefined) return `is required (${issue.expected})`
  return issue.message
}

/** `components[3].dependsOn[0]` */
export function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '')
}

/** Line and column of the deepest node on `path` that exists in the document. */
function locateNode(doc: Document, lineCounter: LineCounter, path: PropertyKey[]): { line: number; col: number } | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as (string | number)[], true)
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0])
  }
  return undefined
}
