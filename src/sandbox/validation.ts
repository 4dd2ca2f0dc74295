// Name, label and value validators with the apiserver's messages (k8s.io/apimachinery/pkg/util/validation).
import { invalidValue, type FieldError } from './errors.js'

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/

export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label'

/** Problems with a name (empty list = valid), worded like apimachinery's validators. */
export function nameProblems(name: string, rule: NameRule): string[] {
  const problems: string[] = []
  if (rule === 'dns1123-subdomain') {
    if (name.length > 253) problems.push('must be no more than 253 characters')
    if (!DNS1123_SUBDOMAIN.test(name)) {
      problems.push(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      )
    }
  } else if (rule === 'dns1123-label') {
    if (name.length > 63) problems.push('must be no more than 63 characters')
    if (!DNS1123_LABEL.test(name)) {
      problems.push(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      )
    }
  } else {
    if (name.length > 63) problems.push('must be no more than 63 characters')
    if (!DNS1035_LABEL.test(name)) {
      problems.push(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      )
    }
  }
  return problems
}

export function validateName(field: string, name: string, rule: NameRule): FieldError[] {
  return nameProblems(name, rule).map((p) => invalidValue(field, name, p))
}

/** Label/annotation keys: `[prefix/]name`, prefix a DNS subdomain, name a qualified name part. */
function qualifiedNameProblems(key: string): string[] {
  const slash = key.indexOf('/')
  const name = slash >= 0 ? key.slice(slash + 1) : key
  const problems: string[] = []
  if (slash >= 0) {
    const prefix = key.slice(0, slash)
    if (prefix.length === 0) problems.push('prefix part must be non-empty')
    else problems.push(...nameProblems(prefix, 'dns1123-subdomain').map((p) => `prefix part ${p}`))
  }
  if (name.length === 0) problems.push('name part must be non-empty')
  else if (name.length > 63) problems.push('name part must be no more than 63 characters')
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) {
    problems.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    )
  }
  return problems
}

export function validateLabels(field: string, labels: unknown): FieldError[] {
  if (labels === undefined || labels === null) return []
  if (typeof labels !== 'object' || Array.isArray(labels)) return [invalidValue(field, labels, 'must be a map of string to string')]
  const errors: FieldError[] = []
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    for (const p of qualifiedNameProblems(key)) errors.push(invalidValue(field, key, p))
    if (typeof value !== 'string') {
      errors.push(invalidValue(field, value, 'must be a string'))
      continue
    }
    if (value.length > 63) errors.push(invalidValue(field, value, 'must be no more than 63 characters'))
    if (!LABEL_VALUE.test(value)) {
      errors.push(
        invalidValue(
          field,
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      )
    }
  }
  return errors
}

export function validateAnnotations(field: string, annotations: unknown): FieldError[] {
  if (annotations === undefined || annotations === null) return []
  if (typeof annotations !== 'object' || Array.isArray(annotations)) return [invalidValue(field, annotations, 'must be a map of string to string')]
  const errors: FieldError[] = []
  let totalSize = 0
  for (const [key, value] of Object.entries(annotations as Record<string, unknown>)) {
    for (const p of qualifiedNameProblems(key.toLowerCase())) errors.push(invalidValue(field, key, p))
    if (typeof value !== 'string') errors.push(invalidValue(field, value, 'must be a string'))
    else totalSize += key.length + value.length
  }
  if (totalSize > 256 * 1024) errors.push({ type: 'TooLong', field, detail: `: must have at most ${256 * 1024} bytes` })
  return errors
}

export function validateConfigKeys(field: string, data: unknown): FieldError[] {
  if (data === undefined || data === null || typeof data !== 'object') return []
  const errors: FieldError[] = []
  for (const key of Object.keys(data)) {
    if (!CONFIG_KEY.test(key) || key.length > 253) {
      errors.push(
        invalidValue(
          `${field}[${key}]`,
          key,
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        ),
      )
    }
  }
  return errors
}

// ---- MicroTime (metav1.MicroTime, RFC3339 with exactly 6 fractional digits) ------------------

const MICRO_LAYOUT = '2006-01-02T15:04:05.000000Z07:00'

/**
 * Why `value` is not a MicroTime, worded like Go's time.Parse with the RFC3339Micro layout
 * (`parsing time "…" as "…": cannot parse ".103Z" as ".000000"`); undefined when it parses.
 */
export function microTimeProblem(value: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(.*)$/.exec(value)
  if (match === null) return `parsing time ${JSON.stringify(value)} as ${JSON.stringify(MICRO_LAYOUT)}: cannot parse ${JSON.stringify(value)} as "2006"`
  const rest = match[2]!
  if (!/^\.\d{6}/.test(rest)) return `parsing time ${JSON.stringify(value)} as ${JSON.stringify(MICRO_LAYOUT)}: cannot parse ${JSON.stringify(rest)} as ".000000"`
  const zone = rest.slice(7)
  if (!/^(Z|[+-]\d{2}:\d{2})$/.test(zone)) return `parsing time ${JSON.stringify(value)} as ${JSON.stringify(MICRO_LAYOUT)}: cannot parse ${JSON.stringify(zone)} as "Z07:00"`
  if (Number.isNaN(Date.parse(value))) return `parsing time ${JSON.stringify(value)}: day out of range`
  return undefined
}
