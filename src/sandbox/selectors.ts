// Label and field selectors, parsed the way the apiserver parses them
// (k8s.io/apimachinery/pkg/labels and .../fields), and matched against stored objects.
import { badRequest } from './errors.js'
import { getPath, isPlainObject } from './json.js'
import type { KubeObject } from './types.js'

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists' | 'gt' | 'lt'

export interface LabelRequirement {
  key: string
  operator: LabelOperator
  values: string[]
}

// ---- label selector string parsing ------------------------------------------------------------

type Token = { kind: 'word'; text: string } | { kind: 'op'; text: string }

/** Splits a selector string into words and the operators = == != ! ( ) , < >. */
function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const ch = input[i]!
    if (/\s/.test(ch)) {
      i++
    } else if (input.startsWith('==', i) || input.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: input.slice(i, i + 2) })
      i += 2
    } else if ('=!(),<>'.includes(ch)) {
      tokens.push({ kind: 'op', text: ch })
      i++
    } else {
      let j = i
      while (j < input.length && !/\s/.test(input[j]!) && !'=!(),<>'.includes(input[j]!)) j++
      tokens.push({ kind: 'word', text: input.slice(i, j) })
      i = j
    }
  }
  return tokens
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`; throws 400 BadRequest like the apiserver. */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (selector === undefined || selector.trim() === '') return []
  const tokens = tokenize(selector)
  const requirements: LabelRequirement[] = []
  let pos = 0
  const fail = (why: string): never => {
    throw badRequest(`unable to parse requirement: ${why}`)
  }
  const peek = (): Token | undefined => tokens[pos]
  const next = (): Token | undefined => tokens[pos++]
  const readValue = (): string => {
    const t = peek()
    if (t?.kind === 'word') {
      pos++
      return t.text
    }
    return '' // `key=` selects an empty value
  }

  while (pos < tokens.length) {
    let negated = false
    if (peek()?.kind === 'op' && peek()!.text === '!') {
      negated = true
      pos++
    }
    const keyToken = next()
    if (keyToken?.kind !== 'word') fail(`found '${keyToken?.text ?? ''}', expected: identifier`)
    const key = (keyToken as { text: string }).text
    validateLabelKey(key)
    const opToken = peek()
    if (negated) {
      requirements.push({ key, operator: '!exists', values: [] })
    } else if (opToken === undefined || (opToken.kind === 'op' && opToken.text === ',')) {
      requirements.push({ key, operator: 'exists', values: [] })
    } else if (opToken.kind === 'op' && (opToken.text === '=' || opToken.text === '==' || opToken.text === '!=')) {
      pos++
      requirements.push({ key, operator: opToken.text === '!=' ? '!=' : '=', values: [readValue()] })
    } else if (opToken.kind === 'op' && (opToken.text === '<' || opToken.text === '>')) {
      pos++
      const value = readValue()
      if (!/^-?\d+$/.test(value)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`)
      requirements.push({ key, operator: opToken.text === '>' ? 'gt' : 'lt', values: [value] })
    } else if (opToken.kind === 'word' && (opToken.text === 'in' || opToken.text === 'notin')) {
      pos++
      if (next()?.text !== '(') fail(`found '${tokens[pos - 1]?.text ?? ''}', expected: '('`)
      const values: string[] = []
      for (;;) {
        const t = next()
        if (t === undefined) fail(`found '', expected: ',', ')' or identifier`)
        if (t!.kind === 'op' && t!.text === ')') break
        if (t!.kind === 'op' && t!.text === ',') continue
        if (t!.kind !== 'word') fail(`found '${t!.text}', expected: ',', ')' or identifier`)
        values.push(t!.text)
      }
      requirements.push({ key, operator: opToken.text as 'in' | 'notin', values })
    } else {
      fail(`found '${opToken.text}', expected: in, notin, =, ==, !=, gt, lt`)
    }
    const sep = next()
    if (sep !== undefined && !(sep.kind === 'op' && sep.text === ',')) fail(`found '${sep.text}', expected: ',' or 'end of string'`)
  }
  return requirements
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

function validateLabelKey(key: string): void {
  const slash = key.indexOf('/')
  const name = slash >= 0 ? key.slice(slash + 1) : key
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined
  if (!LABEL_NAME.test(name) || name.length > 63 || (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix))) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`)
  }
}

export function matchesLabelRequirements(requirements: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const present = labels ?? {}
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(present, r.key)
    const value = present[r.key]
    switch (r.operator) {
      case '=':
      case 'in':
        return has && r.values.includes(value!)
      case '!=':
      case 'notin':
        return !has || !r.values.includes(value!)
      case 'exists':
        return has
      case '!exists':
        return !has
      case 'gt':
        return has && /^-?\d+$/.test(value!) && Number(value) > Number(r.values[0])
      case 'lt':
        return has && /^-?\d+$/.test(value!) && Number(value) < Number(r.values[0])
    }
  })
}

// ---- metav1.LabelSelector (spec.selector) -----------------------------------------------------

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>
  matchExpressions?: { key: string; operator: string; values?: string[] }[]
}

/** Requirements of a structured selector; an empty selector yields [] (which matches everything). */
export function requirementsOfSelector(selector: LabelSelectorSpec | undefined): LabelRequirement[] {
  if (selector === undefined) return []
  const requirements: LabelRequirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, operator: '=', values: [value] }))
  for (const e of selector.matchExpressions ?? []) {
    const operator = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const)[e.operator as 'In']
    if (operator !== undefined) requirements.push({ key: e.key, operator, values: e.values ?? [] })
  }
  return requirements
}

/** The string form kubectl shows, e.g. `app=web,tier in (a,b)` (`<none>` semantics are the caller's). */
export function formatLabelSelector(selector: LabelSelectorSpec | undefined): string {
  return requirementsOfSelector(selector)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => {
      switch (r.operator) {
        case '=':
          return `${r.key}=${r.values[0]}`
        case '!=':
          return `${r.key}!=${r.values[0]}`
        case 'in':
          return `${r.key} in (${[...r.values].sort().join(',')})`
        case 'notin':
          return `${r.key} notin (${[...r.values].sort().join(',')})`
        case 'exists':
          return r.key
        case '!exists':
          return `!${r.key}`
        case 'gt':
          return `${r.key}>${r.values[0]}`
        case 'lt':
          return `${r.key}<${r.values[0]}`
      }
    })
    .join(',')
}

export function isEmptySelector(selector: LabelSelectorSpec | undefined): boolean {
  return requirementsOfSelector(selector).length === 0
}

// ---- field selectors --------------------------------------------------------------------------

export interface FieldRequirement {
  field: string
  operator: '=' | '!='
  value: string
}

/** Fields each resource can be selected on besides metadata.name and metadata.namespace. */
const SELECTABLE_FIELDS: Record<string, string[]> = {
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  events: [
    'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
    'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type',
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
  nodes: ['spec.unschedulable'],
  'replicasets.apps': ['status.replicas'],
  'jobs.batch': ['status.successful'],
}

/** Parses `a=b,c!=d` (also `a==b`); unknown fields are a 400 like the apiserver's `field label not supported`. */
export function parseFieldSelector(selector: string | undefined, resource: string): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return []
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(SELECTABLE_FIELDS[resource] ?? [])])
  return splitUnescaped(selector).map((term) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term)
    if (match === null) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`)
    const [, field, op, raw] = match
    if (!allowed.has(field!)) throw badRequest(`field label not supported: ${field}`)
    return { field: field!, operator: op === '!=' ? '!=' : '=', value: unescapeFieldValue(raw!) }
  })
}

/** Splits on commas that are not escaped with a backslash (field values may contain `\,`). */
function splitUnescaped(input: string): string[] {
  const parts: string[] = []
  let current = ''
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!
    if (ch === '\\' && i + 1 < input.length) {
      current += ch + input[i + 1]
      i++
    } else if (ch === ',') {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  parts.push(current)
  return parts.filter((p) => p.trim() !== '')
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, '$1')
}

/** The string value of a selectable field (missing → ""; booleans as "true"/"false"). */
export function fieldValue(object: KubeObject, field: string): string {
  if (field === 'source' && object.kind === 'Event') {
    const source = object.source
    return isPlainObject(source) && typeof source.component === 'string' ? source.component : ''
  }
  const value = getPath(object, field.split('.'))
  if (value === undefined || value === null) return ''
  return typeof value === 'string' ? value : String(value)
}

export function matchesFieldRequirements(requirements: readonly FieldRequirement[], object: KubeObject): boolean {
  return requirements.every((r) => (fieldValue(object, r.field) === r.value) === (r.operator === '='))
}

/** A compiled label + field selector for one resource, applied to lists and watch events. */
export interface ObjectSelector {
  labels: LabelRequirement[]
  fields: FieldRequirement[]
}

export function compileSelector(resource: string, options: { labelSelector?: string; fieldSelector?: string }): ObjectSelector {
  return { labels: parseLabelSelector(options.labelSelector), fields: parseFieldSelector(options.fieldSelector, resource) }
}

export function matchesSelector(selector: ObjectSelector, object: KubeObject): boolean {
  return matchesLabelRequirements(selector.labels, object.metadata.labels) && matchesFieldRequirements(selector.fields, object)
}
