// Parsing and validating mkt.yaml (yaml + zod). Imported lazily by load.ts: a cached, already validated
// platform skips this module and its dependencies entirely, which keeps startup fast.
import { isNode, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { invalidInputError } from '../errors.js'
import { findComponentCycle } from './components.js'
import { platformSchema, type Platform } from './schema.js'

/** Parses and validates mkt.yaml text; `label` names the file in errors. */
export function parsePlatform(text: string, label: string): Platform {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: true })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    const pos = first.linePos?.[0]
    const where = pos ? `${label}:${pos.line}:${pos.col}` : label
    const reason = first.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '')
    throw invalidInputError(`${where}: YAML syntax error: ${reason}`, { hints: ['Fix the YAML syntax at that line and run the command again.'] })
  }
  const data = doc.toJS()
  const parsed = platformSchema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw schemaError(doc, lineCounter, label, issue.path, describeIssue(issue))
  }
  const platform = parsed.data
  const crossCheck = crossCheckPlatform(platform)
  if (crossCheck) throw schemaError(doc, lineCounter, label, crossCheck.path, crossCheck.message)
  return platform
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  if (issue.code === 'invalid_type' && issue.input === undefined) return `is required (${issue.expected})`
  return issue.message
}

function schemaError(doc: Document, lineCounter: LineCounter, label: string, path: PropertyKey[], message: string) {
  const field = formatPath(path)
  const where = locate(doc, lineCounter, path)
  return invalidInputError(`${where ? `${label}:${where.line}:${where.col}` : label}: ${field ? `${field}: ` : ''}${message}`, {
    hints: ['See the mkt.yaml reference in the README, or schemas/mkt.schema.json for editor completion.'],
  })
}

/** `components[3].dependsOn[0]`, and with names where the array holds named items: `components[3] (catalog)` is left to the message. */
export function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '')
}

/** Line and column of the deepest node on `path` that exists in the document. */
function locate(doc: Document, lineCounter: LineCounter, path: PropertyKey[]): { line: number; col: number } | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as (string | number)[], true)
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0])
  }
  return undefined
}

/** Rules zod cannot express per field: unique names and aliases, dependsOn targets, cycles, defaults. */
export function crossCheckPlatform(platform: Platform): { path: PropertyKey[]; message: string } | undefined {
  const owners = new Map<string, number>()
  for (const [i, component] of platform.components.entries()) {
    for (const [j, name] of [component.name, ...component.aliases].entries()) {
      const other = owners.get(name)
      if (other !== undefined && other !== i) {
        return {
          path: j === 0 ? ['components', i, 'name'] : ['components', i, 'aliases', j - 1],
          message: `"${name}" is already used by ${platform.components[other].name}`,
        }
      }
      owners.set(name, i)
    }
  }
  for (const [i, component] of platform.components.entries()) {
    for (const [j, dep] of component.dependsOn.entries()) {
      if (!owners.has(dep)) return { path: ['components', i, 'dependsOn', j], message: `unknown component "${dep}"` }
    }
  }
  const cycle = findComponentCycle(platform.components)
  if (cycle) return { path: ['components'], message: `dependsOn has a cycle: ${cycle.join(' -> ')}` }
  const envNames = new Set<string>()
  for (const [i, env] of platform.environments.entries()) {
    if (envNames.has(env.name)) return { path: ['environments', i, 'name'], message: `duplicate environment "${env.name}"` }
    envNames.add(env.name)
  }
  if (!envNames.has(platform.defaults.environment)) {
    return { path: ['defaults', 'environment'], message: `unknown environment "${platform.defaults.environment}"` }
  }
  return undefined
}
