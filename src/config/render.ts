// Configuration files to .NET Options environment variables: `config/<env>/_shared.yaml` then
// `config/<env>/<component>.yaml`, nested keys joined with `__` (Logging:LogLevel:Default →
// Logging__LogLevel__Default). Secrets are references (`{ secret: name }`) resolved by the app's Key Vault
// configuration provider; a value that looks like a secret is refused. Pure functions.

export type ConfigValue = string | number | boolean

export interface SecretRef {
  secret: string
}

export interface RenderedEntry {
  /** `Logging__LogLevel__Default` */
  key: string
  /** The Options path, `Logging:LogLevel:Default`. */
  path: string
  source: 'shared' | 'component'
  /** Where in the file (for errors): the YAML path. */
  yamlPath: string[]
  value?: string
  secret?: string
}

export interface RenderProblem {
  yamlPath: string[]
  message: string
}

/** Key Vault secret names: 1–127 letters, digits and dashes (`catalog--ConnectionStrings--Database`). */
export const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/
/** One Options key segment: .NET binds letters, digits and underscores (no `__`, which is the separator). */
const KEY_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/
/**
 * Keys whose literal values are secrets by another name (.NET Options names: what a provider-token pattern set
 * cannot know). A list's items are judged by the key that holds the list (`Tokens: [a, b]`).
 */
const SECRETISH_KEY = /(password|passwd|passphrase|pwd|secret|apikey|api_key|accesskey|access_key|token|connectionstring|sharedaccesskey|privatekey|clientsecret|signingkey|signing_key|credential|^pass$|^pw$)/i
/**
 * Values that carry credentials whatever their key: `Password=x`/`Password: x` (also URL-encoded), a URL with
 * a password of any scheme, an Authorization header value, a JWT, a PEM private key, a SAS signature. Provider
 * token formats (AWS, GitHub, Slack, …) come from secretlint (secret-scan.ts).
 */
const SECRETISH_VALUES = [
  /\b(password|passwd|pwd|passphrase|sharedaccesskey|accountkey|clientsecret|client_secret)\s*[=:]\s*[^\s;]/i,
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@/i,
  /\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/-]{8,}=*/i,
  /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bsig=[A-Za-z0-9%]+/i,
]

/** The value with %-escapes undone (`Password%3Dx`), as far as they decode. */
const percentDecoded = (value: string) => value.replace(/%[0-9a-f]{2}/gi, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)))

/** Whether a literal value at `path` looks like a secret (by its key or its shape). */
export function looksLikeSecret(path: string[], value: string): boolean {
  const key = path.findLast((segment) => !/^\d+$/.test(segment)) ?? ''
  if (SECRETISH_KEY.test(key) && value !== '') return true
  const decoded = percentDecoded(value)
  return SECRETISH_VALUES.some((pattern) => pattern.test(value) || pattern.test(decoded))
}

const isSecretRef = (value: unknown): value is SecretRef =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'secret' in (value as Record<string, unknown>)

/** Flattens one file's content; problems name the YAML path. */
export function flattenConfig(content: unknown, source: RenderedEntry['source']): { entries: RenderedEntry[]; problems: RenderProblem[] } {
  const entries: RenderedEntry[] = []
  const problems: RenderProblem[] = []
  const walk = (node: unknown, path: string[]) => {
    if (isSecretRef(node)) {
      const extra = Object.keys(node).filter((k) => k !== 'secret')
      if (extra.length > 0) problems.push({ yamlPath: path, message: `a secret reference takes only "secret" (found ${extra.map((k) => `"${k}"`).join(', ')}); values live in Key Vault` })
      else if (typeof node.secret !== 'string' || !SECRET_NAME.test(node.secret)) problems.push({ yamlPath: [...path, 'secret'], message: 'a Key Vault secret name has 1 to 127 letters, digits and dashes' })
      else entries.push({ key: path.join('__'), path: path.join(':'), source, yamlPath: path, secret: node.secret })
      return
    }
    if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      for (const [key, child] of Object.entries(node)) {
        if (!KEY_SEGMENT.test(key)) {
          problems.push({ yamlPath: [...path, key], message: `"${key}" is not a valid Options key (letters, digits and underscores, not starting with a digit)` })
          continue
        }
        walk(child, [...path, key])
      }
      return
    }
    if (Array.isArray(node)) {
      // .NET binds arrays by index: Section__0, Section__1.
      node.forEach((child, i) => walk(child, [...path, String(i)]))
      return
    }
    if (path.length === 0) {
      problems.push({ yamlPath: [], message: 'a configuration file is a mapping of keys' })
      return
    }
    if (node === null || node === undefined) {
      problems.push({ yamlPath: path, message: 'has no value (use "" for an empty string)' })
      return
    }
    const value = String(node as ConfigValue)
    if (looksLikeSecret(path, value)) {
      problems.push({ yamlPath: path, message: 'looks like a secret given as a literal value: put it in Key Vault and reference it with { secret: <name> }' })
      return
    }
    entries.push({ key: path.join('__'), path: path.join(':'), source, yamlPath: path, value })
  }
  walk(content ?? {}, [])
  return { entries, problems }
}

/** Shared first, the component's file on top (its keys win). Sorted by key for stable output and diffs. */
export function mergeConfig(shared: RenderedEntry[], component: RenderedEntry[]): RenderedEntry[] {
  const byKey = new Map<string, RenderedEntry>()
  for (const entry of [...shared, ...component]) byKey.set(entry.key.toLowerCase(), entry)
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key))
}

/** The ConfigMap data: plain values only; secrets stay in Key Vault. */
export function configMapData(entries: RenderedEntry[]): Record<string, string> {
  return Object.fromEntries(entries.filter((e) => e.value !== undefined).map((e) => [e.key, e.value!]))
}

/** A content checksum of the data (stamped on the pod template so a change rolls the pods). */
export async function checksumOf(data: Record<string, string>, secretVersions: Record<string, string>): Promise<string> {
  const { createHash } = await import('node:crypto')
  return createHash('sha256').update(JSON.stringify([Object.entries(data).sort(), Object.entries(secretVersions).sort()])).digest('hex').slice(0, 16)
}

export interface DataDiff {
  added: Array<{ key: string; value: string }>
  changed: Array<{ key: string; from: string; to: string }>
  removed: Array<{ key: string; value: string }>
}

export function diffData(desired: Record<string, string>, actual: Record<string, string> | undefined): DataDiff {
  const current = actual ?? {}
  return {
    added: Object.entries(desired).filter(([k]) => !(k in current)).map(([key, value]) => ({ key, value })),
    changed: Object.entries(desired).filter(([k, v]) => k in current && current[k] !== v).map(([key, to]) => ({ key, from: current[key]!, to })),
    removed: Object.entries(current).filter(([k]) => !(k in desired)).map(([key, value]) => ({ key, value })),
  }
}

export const dataDiffIsEmpty = (diff: DataDiff) => diff.added.length + diff.changed.length + diff.removed.length === 0
