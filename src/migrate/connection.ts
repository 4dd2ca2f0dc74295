// Where the SQL runner's connection string comes from, and what it says. A connection string is a secret: its
// password is registered with the redactor the moment it is read, and everything mkt prints about a database is
// built from host, port, database and user only.
//
// Two formats are accepted: a PostgreSQL URL (`postgresql://user:pass@host:5432/db?sslmode=require`) and the
// Npgsql keyword format the .NET services use (`Host=…;Port=5432;Database=…;Username=…;Password=…;SSL Mode=Require`),
// so the same Key Vault secret serves the services and mkt.
import { configError, usageError } from '../errors.js'
import type { Environment } from '../platform/schema.js'
import { redactor } from '../redact.js'

/** What node-postgres needs; built by hand so both formats mean the same thing (libpq's sslmode semantics). */
export interface PgConfig {
  host: string
  port: number
  database: string
  user?: string
  password?: string
  ssl?: false | { rejectUnauthorized: boolean }
}

/** A database as mkt may print it: no password, ever. */
export interface DatabaseTarget {
  host: string
  port: number
  database: string
  user: string | null
}

export interface DatabaseConnection {
  config: PgConfig
  target: DatabaseTarget
  /** Where the connection string came from, for messages: `MKT_DATABASE_URL`, `environment variable X`, … */
  source: string
  /**
   * The server is one PostgreSQL session shared by every connection (the sandbox's PGlite): advisory locks are
   * granted to everyone there, so the run takes the environment's migration Lease instead.
   */
  sharedSession?: boolean
}

export const describeTarget = (t: DatabaseTarget): string => `${t.host}:${t.port}/${t.database}${t.user ? ` as ${t.user}` : ''}`

/**
 * libpq's sslmode: disable/allow/prefer → no TLS (node-postgres cannot fall back, so "prefer" means plain, as for
 * a server without TLS); require → TLS without verifying the certificate; verify-ca/verify-full → verified.
 */
export function sslFor(mode: string | undefined): PgConfig['ssl'] {
  switch ((mode ?? '').toLowerCase().replace(/[-_\s]/g, '')) {
    case '':
    case 'disable':
    case 'allow':
    case 'prefer':
      return false
    case 'require':
      return { rejectUnauthorized: false }
    case 'verifyca':
    case 'verifyfull':
      return { rejectUnauthorized: true }
    default:
      throw usageError(`unknown sslmode "${mode}" in the database connection string`, { hints: ['Use disable, require, verify-ca or verify-full.'] })
  }
}

function fromUrl(text: string): PgConfig {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // Never echo the string: it holds the password.
    throw usageError('the database connection string is not a valid URL', { hints: ['Expected postgresql://user:password@host:5432/database (password URL-encoded).'] })
  }
  const decode = (value: string) => (value === '' ? undefined : decodeURIComponent(value))
  const host = url.searchParams.get('host') ?? (url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost')
  const config: PgConfig = {
    host,
    port: url.port ? Number(url.port) : 5432,
    database: decode(url.pathname.replace(/^\//, '')) ?? decode(url.username) ?? 'postgres',
    ssl: sslFor(url.searchParams.get('sslmode') ?? undefined),
  }
  const user = decode(url.username)
  const password = decode(url.password)
  if (user !== undefined) config.user = user
  if (password !== undefined) config.password = password
  return config
}

/** Splits `Key=Value;Key="quoted;value"` (Npgsql/ADO.NET syntax: keys case-insensitive, `""` escapes a quote). */
export function parseKeywordString(text: string): Map<string, string> {
  const pairs = new Map<string, string>()
  let i = 0
  while (i < text.length) {
    while (i < text.length && (text[i] === ';' || /\s/.test(text[i]!))) i++
    if (i >= text.length) break
    const eq = text.indexOf('=', i)
    if (eq === -1) throw usageError('the database connection string is neither a postgresql:// URL nor Key=Value pairs')
    const key = text.slice(i, eq).trim().toLowerCase().replace(/\s+/g, ' ')
    i = eq + 1
    while (i < text.length && /\s/.test(text[i]!)) i++
    let value = ''
    const quote = text[i]
    if (quote === '"' || quote === "'") {
      i++
      for (; i < text.length; i++) {
        if (text[i] === quote && text[i + 1] === quote) {
          value += quote
          i++
        } else if (text[i] === quote) {
          i++
          break
        } else value += text[i]
      }
      while (i < text.length && text[i] !== ';') i++
    } else {
      const end = text.indexOf(';', i)
      value = (end === -1 ? text.slice(i) : text.slice(i, end)).trim()
      i = end === -1 ? text.length : end
    }
    pairs.set(key, value)
  }
  return pairs
}

function fromKeywords(text: string): PgConfig {
  const pairs = parseKeywordString(text)
  const get = (...keys: string[]) => keys.map((k) => pairs.get(k)).find((v) => v !== undefined && v !== '')
  const host = get('host', 'server', 'data source')
  if (!host) throw usageError('the database connection string has no Host', { hints: ['Expected Host=…;Port=5432;Database=…;Username=…;Password=… or a postgresql:// URL.'] })
  const config: PgConfig = {
    host,
    port: Number(get('port') ?? 5432),
    database: get('database', 'initial catalog', 'db') ?? 'postgres',
    ssl: sslFor(get('ssl mode', 'sslmode')),
  }
  if (get('trust server certificate')?.toLowerCase() === 'true' && config.ssl) config.ssl = { rejectUnauthorized: false }
  const user = get('username', 'user id', 'userid', 'user name', 'user', 'uid')
  const password = get('password', 'pwd')
  if (user !== undefined) config.user = user
  if (password !== undefined) config.password = password
  return config
}

/**
 * Every value that follows a `Password=`/`Pwd=` anywhere in the text, even inside another keyword's value when a
 * `;` is missing (`Host=db Password=S3cret;…`), quoted or not, and its first word: registered before parsing.
 */
function keywordPasswordsIn(text: string): string[] {
  const found: string[] = []
  for (const match of text.matchAll(/(?:^|[\s;,])(?:password|pwd)\s*=\s*("(?:[^"]|"")*"?|'(?:[^']|'')*'?|[^;]*)/gi)) {
    const raw = match[1]!.trim()
    const unquoted = /^["']/.test(raw) ? raw.slice(1, raw.at(-1) === raw[0] && raw.length > 1 ? -1 : undefined).replace(/""|''/g, (q) => q[0]!) : raw
    found.push(raw, unquoted, unquoted.split(/\s/)[0]!)
  }
  return found
}

/** The URL password (raw and decoded), found before the URL is parsed. */
function urlPasswordsIn(text: string): string[] {
  const raw = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@/]*)@/i.exec(text)?.[1]
  if (!raw) return []
  try {
    return [raw, decodeURIComponent(raw)]
  } catch {
    return [raw]
  }
}

/** A printable part (host, database, user) swallowed another keyword: a `;` is missing before it. */
const SWALLOWED_KEYWORD = /[\s;]*[A-Za-z][A-Za-z ]*\s*=/

function refuseUnclean(config: PgConfig): void {
  const parts: Array<[string, string | undefined]> = [
    ['Host', config.host],
    ['Database', config.database],
    ['Username', config.user],
  ]
  for (const [name, value] of parts) {
    if (value === undefined) continue
    // Never echo the value: it may hold the password.
    if (SWALLOWED_KEYWORD.test(value)) {
      throw usageError(`the database connection string's ${name} holds a "Key=" part: is a ";" missing before it?`, {
        hints: ['Separate every Key=Value pair with ";" (Host=…;Port=5432;Database=…;Username=…;Password=…), or use a postgresql:// URL.'],
      })
    }
  }
  if (!/^[A-Za-z0-9._\-:[\],%/]+$/.test(config.host)) {
    throw usageError("the database connection string's Host is not a host name, an IP address or a list of them", {
      hints: ['Check Host= (or the URL host); a value with spaces usually means a missing ";".'],
    })
  }
}

/** Parses either format. Registers every password-bearing part with the redactor before anything can print it. */
export function parseConnectionString(text: string): PgConfig {
  const trimmed = text.trim()
  // Register the raw secrets first: if parsing fails half-way, nothing they contain may reach an error message.
  for (const secret of [...urlPasswordsIn(trimmed), ...keywordPasswordsIn(trimmed)]) redactor.register(secret)
  const config = /^postgres(?:ql)?:\/\//i.test(trimmed) ? fromUrl(trimmed) : fromKeywords(trimmed)
  redactor.register(config.password)
  if (!Number.isInteger(config.port) || config.port < 1 || config.port > 65535) throw usageError('the database connection string has an invalid port')
  refuseUnclean(config)
  return config
}

export const targetOf = (config: PgConfig): DatabaseTarget => ({ host: config.host, port: config.port, database: config.database, user: config.user ?? null })

export type DatabaseSource =
  | { kind: 'override'; value: string }
  | { kind: 'env'; name: string }
  | { kind: 'secret'; name: string }
  | { kind: 'sandbox' }

/** Which source a command uses: MKT_DATABASE_URL overrides mkt.yaml's `database.url`. */
export function databaseSource(environment: Environment, env: Record<string, string | undefined>): DatabaseSource {
  const override = env.MKT_DATABASE_URL
  if (override) return { kind: 'override', value: override }
  const database = environment.database
  if (database?.engine === 'sqlserver') {
    throw usageError(`environment ${environment.name} uses SQL Server: the SQL runner (--sql) applies PostgreSQL migrations only`, {
      hints: ['Run the migrations image as a Kubernetes Job instead: mkt migrate run --image <ref>.'],
    })
  }
  const url = database?.url
  if (!url) {
    throw configError(`environment ${environment.name} has no database configured`, {
      hints: ['Add `database: { engine: postgresql, url: { env: DATABASE_URL } }` to the environment in mkt.yaml, or set MKT_DATABASE_URL.'],
    })
  }
  if ('env' in url) return { kind: 'env', name: url.env }
  if ('secret' in url) return { kind: 'secret', name: url.secret }
  return { kind: 'sandbox' }
}

/** The connection string of a non-sandbox source (the sandbox's is asked of the sandbox: sandbox-database.ts). */
export function connectionStringOf(environment: Environment, source: Exclude<DatabaseSource, { kind: 'sandbox' }>, env: Record<string, string | undefined>): { text: string; source: string } {
  switch (source.kind) {
    case 'override':
      return { text: source.value, source: 'MKT_DATABASE_URL' }
    case 'env': {
      const value = env[source.name]
      if (!value) {
        throw configError(`environment ${environment.name} reads its database connection string from the environment variable ${source.name}, which is not set`, {
          hints: [`Set ${source.name} (or MKT_DATABASE_URL) to the connection string; never pass it as an argument.`],
        })
      }
      return { text: value, source: `environment variable ${source.name}` }
    }
    case 'secret':
      // Read from Key Vault by the SQL runner (sql-runner.ts), which has the environment's vault at hand.
      throw configError(`environment ${environment.name} keeps its database connection string in Key Vault secret ${source.name}`, {
        hints: ['Set MKT_DATABASE_URL to override it.'],
      })
  }
}
