// The sandbox Key Vault's secrets, as a pure model: names (case-insensitive), versions (32 hex
// characters), values, content types, tags and attributes, soft delete with a 90-day retention,
// recover, purge, backup/restore, and keyset paging. No HTTP and no files: server.ts speaks the REST
// API over it and index.ts persists `toDocument()`.
//
// Secret values live in this model and in the persisted document only. Nothing here puts a value in
// an error message; callers must not log them either.
import { randomBytes } from 'node:crypto'
import { z } from 'zod'

/** The vault's deletion recovery level (soft delete on, purge allowed). */
export const RECOVERY_LEVEL = 'Recoverable+Purgeable'
/** Soft-delete retention: a deleted secret is purged this many days after its deletion. */
export const RECOVERABLE_DAYS = 90
/** Key Vault's limit on a secret value (25 KB). */
export const MAX_VALUE_BYTES = 25 * 1024
export const MAX_TAGS = 15
export const MAX_TAG_NAME_LENGTH = 512
export const MAX_TAG_VALUE_LENGTH = 256
export const MAX_CONTENT_TYPE_LENGTH = 255
/** The largest page Key Vault serves, and the default page size. */
export const MAX_PAGE_SIZE = 25

const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/
const VERSION_PATTERN = /^[0-9a-f]{32}$/

const DAY_SECONDS = 24 * 3600

/** A Key Vault error: the HTTP status and the `{"error":{"code","message","innererror"}}` body. */
export class KeyVaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message)
    this.name = 'KeyVaultError'
  }

  toBody(): { error: { code: string; message: string; innererror?: { code: string } } } {
    return { error: { code: this.code, message: this.message, ...(this.innerCode === undefined ? {} : { innererror: { code: this.innerCode } }) } }
  }
}

export const badParameter = (message: string): KeyVaultError => new KeyVaultError(400, 'BadParameter', message)

export function secretNotFound(name: string, version?: string): KeyVaultError {
  const id = version === undefined || version === '' ? name : `${name}/${version}`
  return new KeyVaultError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`,
  )
}

export function deletedSecretNotFound(name: string): KeyVaultError {
  return new KeyVaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`)
}

function deletedButRecoverable(name: string): KeyVaultError {
  return new KeyVaultError(
    409,
    'Conflict',
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
    'ObjectIsDeletedButRecoverable',
  )
}

/** One version of a secret. Times are Unix seconds, like the REST API's. */
export interface SecretVersion {
  version: string
  value: string
  contentType?: string
  tags?: Record<string, string>
  enabled: boolean
  /** `nbf`: not valid before. */
  notBefore?: number
  /** `exp`: not valid after. */
  expires?: number
  created: number
  updated: number
}

export interface Deletion {
  deletedDate: number
  scheduledPurgeDate: number
}

/** A secret: its name as first set, its versions in creation order (the last one is current). */
export interface SecretRecord {
  name: string
  versions: SecretVersion[]
  deleted?: Deletion
}

/** A secret's properties as returned to clients: one version, without the value unless asked. */
export interface SecretView {
  name: string
  version: SecretVersion
  deleted?: Deletion
}

export interface AttributesInput {
  enabled?: boolean
  notBefore?: number
  expires?: number
}

export interface SetSecretInput {
  value: string
  contentType?: string
  tags?: Record<string, string>
  attributes?: AttributesInput
}

/** What an update changes: only the fields present. */
export interface UpdateSecretInput {
  contentType?: string
  tags?: Record<string, string>
  attributes?: AttributesInput
}

export interface KeyVaultStats {
  /** Successful changes: set, update, delete, recover, purge, restore. */
  writes: number
  /** New versions made by set. */
  versionsCreated: number
}

export interface KeyVaultDocument {
  version: 1
  secrets: SecretRecord[]
}

// ---- validation of request bodies and the persisted document ------------------------------------

export function validateName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw badParameter(`The request URI contains an invalid name: ${JSON.stringify(name.slice(0, 200))}. A secret name is 1-127 characters: letters, digits and dashes.`)
  }
}

export function isVersionId(version: string): boolean {
  return VERSION_PATTERN.test(version)
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isAbsent = (value: unknown): value is undefined | null => value === undefined || value === null

function parseTags(raw: unknown): Record<string, string> | undefined {
  if (isAbsent(raw)) return undefined
  if (!isRecord(raw)) throw badParameter('Property tags must be an object of string values.')
  const entries = Object.entries(raw)
  if (entries.length > MAX_TAGS) throw badParameter(`At most ${MAX_TAGS} tags are allowed.`)
  const tags: Record<string, string> = {}
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw badParameter('Property tags must be an object of string values.')
    if (key.length === 0 || key.length > MAX_TAG_NAME_LENGTH) throw badParameter(`A tag name must be 1-${MAX_TAG_NAME_LENGTH} characters.`)
    if (value.length > MAX_TAG_VALUE_LENGTH) throw badParameter(`A tag value must be at most ${MAX_TAG_VALUE_LENGTH} characters.`)
    tags[key] = value
  }
  return tags
}

function parseContentType(raw: unknown): string | undefined {
  if (isAbsent(raw)) return undefined
  if (typeof raw !== 'string') throw badParameter('Property contentType must be a string.')
  if (raw.length > MAX_CONTENT_TYPE_LENGTH) throw badParameter(`Property contentType must be at most ${MAX_CONTENT_TYPE_LENGTH} characters.`)
  return raw
}

function parseSeconds(raw: unknown, property: string): number | undefined {
  if (isAbsent(raw)) return undefined
  if (typeof raw !== 'number' || !Number.isInteger(raw)) throw badParameter(`Property attributes.${property} must be a Unix time in seconds.`)
  return raw
}

function parseAttributes(raw: unknown): AttributesInput | undefined {
  if (isAbsent(raw)) return undefined
  if (!isRecord(raw)) throw badParameter('Property attributes must be an object.')
  const attributes: AttributesInput = {}
  if (!isAbsent(raw.enabled)) {
    if (typeof raw.enabled !== 'boolean') throw badParameter('Property attributes.enabled must be a boolean.')
    attributes.enabled = raw.enabled
  }
  const notBefore = parseSeconds(raw.nbf, 'nbf')
  const expires = parseSeconds(raw.exp, 'exp')
  if (notBefore !== undefined) attributes.notBefore = notBefore
  if (expires !== undefined) attributes.expires = expires
  return attributes
}

/** The body of `PUT /secrets/{name}` (SecretSetParameters). Messages never quote the value. */
export function parseSetBody(body: unknown): SetSecretInput {
  if (!isRecord(body)) throw badParameter('The request body must be a JSON object.')
  if (typeof body.value !== 'string') throw badParameter('Property value is required and must be a string.')
  if (Buffer.byteLength(body.value, 'utf8') > MAX_VALUE_BYTES) throw badParameter(`The secret value exceeds the maximum size of ${MAX_VALUE_BYTES} bytes.`)
  // The optional fields are an update's.
  return { value: body.value, ...parseUpdateBody(body) }
}

/** The body of `PATCH /secrets/{name}/{version}` (SecretUpdateParameters). */
export function parseUpdateBody(body: unknown): UpdateSecretInput {
  if (!isRecord(body)) throw badParameter('The request body must be a JSON object.')
  const input: UpdateSecretInput = {}
  const contentType = parseContentType(body.contentType)
  const tags = parseTags(body.tags)
  const attributes = parseAttributes(body.attributes)
  if (contentType !== undefined) input.contentType = contentType
  if (tags !== undefined) input.tags = tags
  if (attributes !== undefined) input.attributes = attributes
  return input
}

const versionSchema = z.object({
  version: z.string().regex(VERSION_PATTERN),
  value: z.string(),
  contentType: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  enabled: z.boolean(),
  notBefore: z.number().int().optional(),
  expires: z.number().int().optional(),
  created: z.number().int(),
  updated: z.number().int(),
})

const recordSchema = z.object({
  name: z.string().regex(NAME_PATTERN),
  versions: z.array(versionSchema).min(1),
  deleted: z.object({ deletedDate: z.number().int(), scheduledPurgeDate: z.number().int() }).optional(),
})

const documentSchema = z.object({ version: z.literal(1), secrets: z.array(recordSchema) })

/**
 * Checks a persisted document (keyvault.json) or a backup. The error names where the document is
 * wrong, never what it holds.
 */
export function parseDocument(input: unknown, what = 'the Key Vault document'): KeyVaultDocument {
  const result = documentSchema.safeParse(input)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Error(`${what} is invalid at ${issue?.path.join('.') || '(root)'} (${issue?.code ?? 'unknown'})`)
  }
  return result.data as KeyVaultDocument
}

// ---- paging -------------------------------------------------------------------------------------

export interface Page<T> {
  items: T[]
  /** Where the next page starts (the `$skiptoken` of the nextLink), absent on the last page. */
  skipToken?: string
}

/** The page size from `maxresults`: 1..25, default 25. */
export function parseMaxResults(raw: string | null): number {
  if (raw === null || raw === '') return MAX_PAGE_SIZE
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw badParameter(`Invalid maxresults ${JSON.stringify(raw.slice(0, 20))}: it must be an integer from 1 to ${MAX_PAGE_SIZE}.`)
  return n
}

/**
 * One page of `items` (ordered by `keyOf`, ascending, or in a fixed order whose keys never go away).
 * The skip token names the last key served, so a page does not shift when items before it are
 * added or removed between requests.
 */
export function pageOf<T>(items: readonly T[], keyOf: (item: T) => string, options: { skipToken?: string | null; maxResults: number }): Page<T> {
  let start = 0
  if (options.skipToken) {
    const after = decodeSkipToken(options.skipToken)
    const index = items.findIndex((item) => keyOf(item) === after)
    if (index >= 0) start = index + 1
    else {
      const next = items.findIndex((item) => keyOf(item) > after)
      start = next >= 0 ? next : items.length
    }
  }
  const slice = items.slice(start, start + options.maxResults)
  const page: Page<T> = { items: slice }
  if (start + slice.length < items.length && slice.length > 0) page.skipToken = encodeSkipToken(keyOf(slice[slice.length - 1]!))
  return page
}

function encodeSkipToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url')
}

function decodeSkipToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown }
    if (typeof parsed.after === 'string') return parsed.after
  } catch {
    // reported below
  }
  throw badParameter('Invalid $skiptoken.')
}

// ---- the store ----------------------------------------------------------------------------------

export interface SecretStoreOptions {
  /** Milliseconds since the epoch (the sandbox clock, which tests may move forward). */
  now: () => number
  /** New version ids (default: 16 random bytes as 32 hex characters). */
  newVersion?: () => string
  /** Records to start with (a loaded keyvault.json). */
  document?: KeyVaultDocument
}

const copyVersion = (v: SecretVersion): SecretVersion => ({ ...v, ...(v.tags === undefined ? {} : { tags: { ...v.tags } }) })

const latest = (record: SecretRecord): SecretVersion => record.versions[record.versions.length - 1]!

/**
 * The secrets of one vault. Every method that changes something bumps `revision`, so the server
 * knows when to persist. Deleted secrets past their scheduled purge date disappear on the next call.
 */
export class SecretStore {
  private readonly records = new Map<string, SecretRecord>()
  private readonly now: () => number
  private readonly newVersion: () => string
  private revisionCounter = 0
  readonly stats: KeyVaultStats = { writes: 0, versionsCreated: 0 }

  constructor(options: SecretStoreOptions) {
    this.now = options.now
    this.newVersion = options.newVersion ?? (() => randomBytes(16).toString('hex'))
    for (const record of options.document?.secrets ?? []) this.records.set(record.name.toLowerCase(), structuredClone(record))
  }

  /** Increases with every change (including purges at the scheduled date). */
  get revision(): number {
    return this.revisionCounter
  }

  /** Everything, for keyvault.json. */
  toDocument(): KeyVaultDocument {
    return { version: 1, secrets: [...this.records.values()].map((record) => structuredClone(record)) }
  }

  /** PUT /secrets/{name}: a new version (always, as Key Vault does), the secret created if absent. */
  set(name: string, input: SetSecretInput): SecretView {
    validateName(name)
    this.purgeExpired()
    const key = name.toLowerCase()
    const existing = this.records.get(key)
    if (existing?.deleted !== undefined) throw deletedButRecoverable(existing.name)
    const now = this.seconds()
    const version: SecretVersion = { version: this.uniqueVersion(existing), value: input.value, enabled: input.attributes?.enabled ?? true, created: now, updated: now }
    if (input.contentType !== undefined) version.contentType = input.contentType
    if (input.tags !== undefined) version.tags = { ...input.tags }
    if (input.attributes?.notBefore !== undefined) version.notBefore = input.attributes.notBefore
    if (input.attributes?.expires !== undefined) version.expires = input.attributes.expires
    const record = existing ?? { name, versions: [] }
    record.versions.push(version)
    this.records.set(key, record)
    this.stats.versionsCreated++
    this.changed()
    return { name: record.name, version: copyVersion(version) }
  }

  /** GET /secrets/{name}/[version]: the current version, or the given one; disabled versions are 403. */
  get(name: string, version?: string): SecretView {
    const record = this.active(name, version)
    const found = this.findVersion(record, version)
    if (!found.enabled) throw new KeyVaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled')
    return { name: record.name, version: copyVersion(found) }
  }

  /** PATCH /secrets/{name}/[version]: replaces the content type, tags and attributes given. */
  update(name: string, version: string | undefined, input: UpdateSecretInput): SecretView {
    const record = this.active(name, version)
    const found = this.findVersion(record, version)
    if (input.contentType !== undefined) found.contentType = input.contentType
    if (input.tags !== undefined) found.tags = { ...input.tags }
    const attributes = input.attributes ?? {}
    if (attributes.enabled !== undefined) found.enabled = attributes.enabled
    if (attributes.notBefore !== undefined) found.notBefore = attributes.notBefore
    if (attributes.expires !== undefined) found.expires = attributes.expires
    found.updated = this.seconds()
    this.changed()
    return { name: record.name, version: copyVersion(found) }
  }

  /** GET /secrets: every secret not deleted, with its current version, by name. */
  list(): SecretView[] {
    this.purgeExpired()
    return this.sorted()
      .filter((record) => record.deleted === undefined)
      .map((record) => ({ name: record.name, version: copyVersion(latest(record)) }))
  }

  /** GET /secrets/{name}/versions: oldest first; empty for a secret that does not exist (or is deleted). */
  listVersions(name: string): SecretView[] {
    validateName(name)
    this.purgeExpired()
    const record = this.records.get(name.toLowerCase())
    if (record === undefined || record.deleted !== undefined) return []
    return record.versions.map((version) => ({ name: record.name, version: copyVersion(version) }))
  }

  /** DELETE /secrets/{name}: soft delete (every version), purged after the retention period. */
  delete(name: string): SecretView {
    const record = this.active(name)
    const deletedDate = this.seconds()
    record.deleted = { deletedDate, scheduledPurgeDate: deletedDate + RECOVERABLE_DAYS * DAY_SECONDS }
    this.changed()
    return this.deletedView(record)
  }

  /** GET /deletedsecrets/{name}. */
  getDeleted(name: string): SecretView {
    return this.deletedView(this.deletedRecord(name))
  }

  /** GET /deletedsecrets: by name. */
  listDeleted(): SecretView[] {
    this.purgeExpired()
    return this.sorted()
      .filter((record) => record.deleted !== undefined)
      .map((record) => this.deletedView(record))
  }

  /** POST /deletedsecrets/{name}/recover: back to active, every version as it was. */
  recover(name: string): SecretView {
    const record = this.deletedRecord(name)
    delete record.deleted
    this.changed()
    return { name: record.name, version: copyVersion(latest(record)) }
  }

  /** DELETE /deletedsecrets/{name}: gone for good; the name can be set again. */
  purge(name: string): void {
    const record = this.deletedRecord(name)
    this.records.delete(record.name.toLowerCase())
    this.changed()
  }

  /** POST /secrets/{name}/backup: the secret with every version, as a one-secret document. */
  backup(name: string): KeyVaultDocument {
    const record = this.active(name)
    return { version: 1, secrets: [structuredClone(record)] }
  }

  /** POST /secrets/restore: a backup back into the vault; the name must be free (not even deleted). */
  restore(backup: KeyVaultDocument): SecretView {
    const record = backup.secrets[0]
    if (backup.secrets.length !== 1 || record === undefined) throw badParameter('The backup blob is invalid.')
    this.purgeExpired()
    const key = record.name.toLowerCase()
    const existing = this.records.get(key)
    if (existing !== undefined) {
      throw existing.deleted === undefined
        ? new KeyVaultError(409, 'Conflict', `Secret ${existing.name} already exists; a backup can only be restored under a free name.`)
        : deletedButRecoverable(existing.name)
    }
    const restored = structuredClone(record)
    delete restored.deleted
    this.records.set(key, restored)
    this.changed()
    return { name: restored.name, version: copyVersion(latest(restored)) }
  }

  // ---- internals --------------------------------------------------------------------------------

  private seconds(): number {
    return Math.floor(this.now() / 1000)
  }

  private changed(): void {
    this.revisionCounter++
    this.stats.writes++
  }

  /** Removes deleted secrets whose scheduled purge date has passed (Key Vault's own purge). */
  private purgeExpired(): void {
    const now = this.seconds()
    let purged = false
    for (const [key, record] of this.records) {
      if (record.deleted !== undefined && record.deleted.scheduledPurgeDate <= now) {
        this.records.delete(key)
        purged = true
      }
    }
    if (purged) this.revisionCounter++
  }

  private sorted(): SecretRecord[] {
    return [...this.records.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, record]) => record)
  }

  /** The secret, not deleted; 404 otherwise (a deleted secret is invisible under /secrets). */
  private active(name: string, version?: string): SecretRecord {
    validateName(name)
    this.purgeExpired()
    const record = this.records.get(name.toLowerCase())
    if (record === undefined || record.deleted !== undefined) throw secretNotFound(name, version)
    return record
  }

  private deletedRecord(name: string): SecretRecord {
    validateName(name)
    this.purgeExpired()
    const record = this.records.get(name.toLowerCase())
    if (record?.deleted === undefined) throw deletedSecretNotFound(name)
    return record
  }

  private findVersion(record: SecretRecord, version: string | undefined): SecretVersion {
    if (version === undefined || version === '') return latest(record)
    const wanted = version.toLowerCase()
    const found = record.versions.find((v) => v.version === wanted)
    if (found === undefined) throw secretNotFound(record.name, version)
    return found
  }

  private deletedView(record: SecretRecord): SecretView {
    return { name: record.name, version: copyVersion(latest(record)), deleted: { ...record.deleted! } }
  }

  private uniqueVersion(record: SecretRecord | undefined): string {
    for (;;) {
      const version = this.newVersion()
      if (!isVersionId(version)) throw new Error('version ids must be 32 lowercase hex characters')
      if (!record?.versions.some((v) => v.version === version)) return version
    }
  }
}
