// The SQL runner: applies versioned SQL files to PostgreSQL with postgrator, on one node-postgres connection.
//
// postgrator 8 brings the history table (version, name, md5, run_at), checksum validation and the choice of what to
// run. What it does not do, and mkt adds around it:
// - a lock: postgrator takes none, so two runners would both read version N and both apply N+1. mkt holds a
//   PostgreSQL session advisory lock for the whole run (waiting up to --lock-wait, naming the holder from
//   pg_stat_activity, then exit 73);
// - one transaction per file: postgrator runs the script and then inserts the history row as separate statements.
//   mkt's runMigrations runs BEGIN; script; history row; COMMIT, so a file and its record commit together or not at all;
// - who: a run_by column added to postgrator's table (postgrator ignores columns it does not know);
// - file names: postgrator reads `001.do.name.sql`; mkt reads `V001__name.sql` (sql-files.ts) and hands postgrator
//   the list, so the checksums postgrator stores are the ones mkt computes.
import type { Client } from 'pg'
import { formatDuration } from '../duration.js'
import type { default as PostgratorClass } from 'postgrator'
import { configError, ExitCode, failedError, invalidInputError, lockedError, MktError, unavailableError } from '../errors.js'
import type { Environment, Platform } from '../platform/schema.js'
import { redactor } from '../redact.js'
import { connectionStringOf, databaseSource, describeTarget, parseConnectionString, targetOf, type DatabaseConnection, type DatabaseSource } from './connection.js'
import { connectError, describePgError, isConnectionLoss } from './pg-errors.js'
import { ensureSandboxDatabase, SANDBOX_DATABASE_SOURCE } from './sandbox-database.js'
import { lineOf, type MigrationFile } from './sql-files.js'
import { assertNoDrift, planSql, type AppliedRow, type SqlPlan } from './sql-plan.js'

export const HISTORY_TABLE = 'mkt_schema_version'
/** pg_advisory_lock(int4, int4) keys: "mkt", "mig". Advisory locks are per database, so this is per database. */
export const ADVISORY_LOCK_KEYS = [0x6d6b74, 0x6d6967] as const
const CONNECT_TIMEOUT_MS = 10_000

/** Resolves the environment's database (or MKT_DATABASE_URL) to a connection; the password is registered for redaction. */
export async function resolveDatabase(
  platform: Platform,
  environment: Environment,
  options: { env?: Record<string, string | undefined>; onWait?: (message: string) => void } = {},
): Promise<DatabaseConnection> {
  const env = options.env ?? process.env
  const source = databaseSource(environment, env)
  const { text, source: described } =
    source.kind === 'sandbox' ? { text: await ensureSandboxDatabase(platform, { onWait: options.onWait, environment: environment.name }), source: SANDBOX_DATABASE_SOURCE } : await connectionStringFor(platform, environment, source, env)
  const config = parseConnectionString(text)
  return { config, target: targetOf(config), source: described, ...(source.kind === 'sandbox' ? { sharedSession: true } : {}) }
}

/** The connection string of a source other than the sandbox, and where it came from for messages. */
export async function connectionStringFor(
  platform: Platform,
  environment: Environment,
  source: Exclude<DatabaseSource, { kind: 'sandbox' }>,
  env: Record<string, string | undefined>,
): Promise<{ text: string; source: string }> {
  if (source.kind === 'secret') return { text: await connectionStringFromKeyVault(platform, environment, source.name), source: `Key Vault secret ${source.name}` }
  return connectionStringOf(environment, source, env)
}

/** The connection string kept in the environment's Key Vault (the secret the services read too). */
export async function connectionStringFromKeyVault(platform: Platform, environment: Environment, name: string): Promise<string> {
  const { keyVaultError, keyVaultFor } = await import('../azure/keyvault.js')
  const { client, url } = await keyVaultFor(platform, environment)
  try {
    const secret = await client.getSecret(name)
    redactor.register(secret.value)
    if (!secret.value) throw new Error('empty')
    return secret.value
  } catch (error) {
    const code = (error as { code?: string; statusCode?: number }).code ?? (error as { statusCode?: number }).statusCode
    if (code === 'SecretNotFound' || code === 404 || (error as Error).message === 'empty') {
      throw configError(`environment ${environment.name} keeps its database connection string in Key Vault secret ${name}, which ${url} does not have`, {
        hints: [`Set it with \`mkt config push --env ${environment.name} --from-env ${name}=VAR\`, or set MKT_DATABASE_URL.`],
      })
    }
    throw keyVaultError(error, url, `read secret ${name}`)
  }
}

async function connect(db: DatabaseConnection, applicationName: string): Promise<Client> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ ...db.config, application_name: applicationName.slice(0, 63), connectionTimeoutMillis: CONNECT_TIMEOUT_MS })
  // A broken idle connection emits 'error'; the next query reports it. Unhandled, it would crash the process.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => undefined)
    throw connectError(error, db.target, db.source)
  }
  return client
}

const quoted = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`

async function readHistory(client: Client, table: string): Promise<AppliedRow[]> {
  const { rows: exists } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [quoted(table)])
  if (!exists[0]?.found) return []
  const { rows } = await client.query<Record<string, unknown>>(`SELECT * FROM ${quoted(table)} ORDER BY version`)
  return rows.map((row) => ({
    version: Number(row.version),
    name: typeof row.name === 'string' ? row.name : null,
    md5: typeof row.md5 === 'string' ? row.md5 : null,
    runAt: row.run_at ? new Date(row.run_at as string).toISOString() : null,
    runBy: typeof row.run_by === 'string' ? row.run_by : null,
  }))
}

/** What is applied and what is pending, read in a READ ONLY transaction: a plan cannot write. */
export async function planSqlMigrations(db: DatabaseConnection, files: MigrationFile[], to: number | undefined, applicationName: string): Promise<SqlPlan> {
  const client = await connect(db, applicationName)
  try {
    await client.query('BEGIN READ ONLY')
    const history = await readHistory(client, HISTORY_TABLE)
    await client.query('COMMIT')
    return planSql(files, history, to)
  } catch (error) {
    throw error instanceof MktError ? error : connectError(error, db.target, db.source)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Who holds the advisory lock, from pg_stat_activity (mkt sets application_name to its lock identity). */
async function lockHolder(client: Client): Promise<string> {
  try {
    const { rows } = await client.query<{ pid: number; application_name: string | null; usename: string | null; client_addr: string | null; backend_start: Date | null }>(
      `SELECT a.pid, a.application_name, a.usename, a.client_addr::text AS client_addr, a.backend_start
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 2
        LIMIT 1`,
      [...ADVISORY_LOCK_KEYS],
    )
    const row = rows[0]
    if (!row) return 'another session'
    const who = row.application_name ? `"${row.application_name}"` : 'a session'
    const from = [row.usename ? `user ${row.usename}` : '', row.client_addr ? `from ${row.client_addr}` : '', row.backend_start ? `connected ${new Date(row.backend_start).toISOString()}` : '']
    return `${who} (backend pid ${row.pid}${from.filter(Boolean).map((p) => `, ${p}`).join('')})`
  } catch {
    return 'another session'
  }
}

/**
 * Takes the session advisory lock: at once if free; otherwise says who holds it and waits (a blocking
 * pg_advisory_lock under lock_timeout, so waiters queue fairly) up to waitMs, then exit 73 naming the holder.
 * Returns how long it waited.
 */
async function takeAdvisoryLock(client: Client, db: DatabaseConnection, waitMs: number, onEvent: (message: string) => void): Promise<number> {
  const started = Date.now()
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [...ADVISORY_LOCK_KEYS])
  if (rows[0]?.locked) return 0
  const holder = await lockHolder(client)
  const refuse = () =>
    lockedError(`another migration run holds the lock on ${describeTarget(db.target)}: ${holder}`, {
      hints: ['Wait for it to finish (each file is one transaction), or pass a longer --lock-wait.', 'If that session is stuck, end it: SELECT pg_terminate_backend(<backend pid>).'],
    })
  if (waitMs <= 0) throw refuse()
  onEvent(`waiting up to ${formatDuration(waitMs)} for the migration lock, held by ${holder}`)
  await client.query('BEGIN')
  try {
    // A session-level lock taken inside a transaction outlives it; SET LOCAL keeps lock_timeout to this wait.
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(waitMs))}`)
    await client.query('SELECT pg_advisory_lock($1, $2)', [...ADVISORY_LOCK_KEYS])
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    if ((error as { code?: string }).code === '55P03') throw refuse()
    throw error
  }
  return Date.now() - started
}

export interface AppliedFile {
  version: number
  name: string
  file: string
  md5: string
  durationMs: number
}

export interface FailedFile {
  version: number
  file: string
  error: string
  /** Line in the file the server pointed at, when it did. */
  line: number | null
}

export interface SqlRunResult {
  /** The plan as it stood once the lock was held. */
  plan: SqlPlan
  applied: AppliedFile[]
  failed: FailedFile | null
  lockWaitMs: number
  /** Highest applied version after the run. */
  databaseVersion: number
  /** Set when the run did not complete: the exit code and message to report (the result above is partial). */
  error: MktError | null
}

export interface SqlRunOptions {
  db: DatabaseConnection
  files: MigrationFile[]
  to?: number
  runBy: string
  applicationName: string
  lockWaitMs: number
  signal: AbortSignal
  onEvent: (message: string) => void
}

type FailedMigrationError = Error & { appliedMigrations?: unknown[]; failedMigration?: MigrationFile }

/**
 * postgrator with mkt's file list, one transaction per file and run_by. Loaded on demand: only this code path
 * needs it.
 */
async function createMigrator(client: Client, options: SqlRunOptions, applied: AppliedFile[]) {
  const { default: Postgrator } = await import('postgrator')
  const { files, runBy, onEvent } = options
  const byVersion = new Map(files.map((f) => [f.version, f]))
  const table = quoted(HISTORY_TABLE)

  class MktPostgrator extends Postgrator {
    override async getMigrations() {
      const migrations = files.map((f) => ({ version: f.version, action: 'do' as const, filename: f.path, name: f.name, md5: f.md5, getSql: () => f.sql }))
      // postgrator's getRunnableMigrations and getMaxVersion read this field (not in its typings).
      ;(this as unknown as { migrations: typeof migrations }).migrations = migrations
      return migrations
    }

    override async runMigrations(migrations: PostgratorClass.Migration[] = []) {
      const done: PostgratorClass.Migration[] = []
      const { rows } = await client.query("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'run_by'", [HISTORY_TABLE])
      if (rows.length === 0) await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS run_by TEXT`)
      for (const migration of migrations) {
        const file = byVersion.get(migration.version)!
        if (options.signal.aborted) break
        onEvent(`applying ${file.file}`)
        const started = Date.now()
        try {
          await client.query('BEGIN')
          await client.query(migration.getSql())
          await client.query(`INSERT INTO ${table} (version, name, md5, run_at, run_by) VALUES ($1, $2, $3, now(), $4)`, [migration.version, migration.name, migration.md5, runBy])
          await client.query('COMMIT')
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined)
          const failure = error as FailedMigrationError
          failure.appliedMigrations = done
          failure.failedMigration = file
          throw failure
        }
        done.push(migration)
        applied.push({ version: file.version, name: file.name, file: file.file, md5: file.md5, durationMs: Date.now() - started })
        onEvent(`applied ${file.file} in ${Date.now() - started} ms`)
      }
      return done
    }
  }

  return new MktPostgrator({
    driver: 'pg',
    database: options.db.config.database,
    schemaTable: HISTORY_TABLE,
    validateChecksums: true,
    execQuery: (query: string) => client.query(query),
  })
}

/** Applies the pending files up to `to`. Throws before anything is applied (connect, lock, drift); reports after. */
export async function runSqlMigrations(options: SqlRunOptions): Promise<SqlRunResult> {
  const { db, files, signal, onEvent } = options
  const client = await connect(db, options.applicationName)
  // Ctrl-C: closing the connection makes the server roll back the file in flight; the run stops there.
  const onAbort = () => void client.end().catch(() => undefined)
  signal.addEventListener('abort', onAbort, { once: true })
  const applied: AppliedFile[] = []
  let plan: SqlPlan | undefined
  let lockWaitMs = 0
  try {
    lockWaitMs = await takeAdvisoryLock(client, db, options.lockWaitMs, onEvent)
    plan = planSql(files, await readHistory(client, HISTORY_TABLE), options.to)
    assertNoDrift(plan)
    const migrator = await createMigrator(client, options, applied)
    await migrator.migrate(String(plan.targetVersion))
    const result = { plan, applied, failed: null, lockWaitMs, databaseVersion: versionAfter(plan, applied), error: null }
    if (signal.aborted) return { ...result, error: interrupted(applied, null) }
    return result
  } catch (error) {
    if (!plan) throw signal.aborted ? interrupted([], null) : error instanceof MktError ? error : connectError(error, db.target, db.source)
    const failedMigration = (error as FailedMigrationError).failedMigration
    const failed = failedMigration ? failedFile(failedMigration, error) : null
    const databaseVersion = versionAfter(plan, applied)
    const raced = failed && !signal.aborted ? await appliedMeanwhile(client, failed) : false
    return { plan, applied, failed, lockWaitMs, databaseVersion, error: raced ? racedError(failed!, db) : runError(error, { db, applied, failed, aborted: signal.aborted }) }
  } finally {
    signal.removeEventListener('abort', onAbort)
    // Ending the session releases the advisory lock too; unlock first so a pooled server-side session cannot keep it.
    await client.query('SELECT pg_advisory_unlock($1, $2)', [...ADVISORY_LOCK_KEYS]).catch(() => undefined)
    await client.end().catch(() => undefined)
  }
}

/** Highest applied version after a run: the database's before it, or the last file this run applied. */
const versionAfter = (plan: SqlPlan, applied: readonly AppliedFile[]) => Math.max(plan.databaseVersion, ...applied.map((a) => a.version))

/**
 * Did another run record this version while ours was applying it? Only possible where session advisory locks do not
 * exclude: the sandbox's PGlite (one shared session) or a transaction-mode pooler (PgBouncer) between mkt and the server.
 */
async function appliedMeanwhile(client: Client, failed: FailedFile): Promise<boolean> {
  try {
    return (await readHistory(client, HISTORY_TABLE)).some((row) => row.version === failed.version)
  } catch {
    return false
  }
}

function racedError(failed: FailedFile, db: DatabaseConnection): MktError {
  return lockedError(`another run applied ${failed.file} on ${describeTarget(db.target)} while this one was applying it; this run's copy was rolled back, nothing was applied twice`, {
    hints: [
      'The advisory lock did not keep the runs apart: the sandbox database (PGlite) is one shared session, and a transaction-mode pooler (PgBouncer) drops session locks. Connect directly to the server for migrations.',
      'Run again: what the other run applied is not applied twice.',
    ],
  })
}

function failedFile(file: MigrationFile, error: unknown): FailedFile {
  const position = Number((error as { position?: string }).position)
  return { version: file.version, file: file.file, error: describePgError(error), line: Number.isFinite(position) && position > 0 ? lineOf(file.sql, position) : null }
}

function interrupted(applied: AppliedFile[], failed: FailedFile | null): MktError {
  const kept = applied.length > 0 ? `${applied.map((a) => a.file).join(', ')} committed; ` : ''
  return new MktError('INTERRUPTED', ExitCode.INTERRUPTED, `interrupted: ${kept}${failed ? `${failed.file} was rolled back` : 'nothing in flight'}`)
}

function runError(error: unknown, context: { db: DatabaseConnection; applied: AppliedFile[]; failed: FailedFile | null; aborted: boolean }): MktError {
  const { db, applied, failed } = context
  if (context.aborted) return interrupted(applied, failed)
  if (error instanceof MktError) return error
  const kept = applied.length > 0 ? `applied before it in this run: ${applied.map((a) => a.file).join(', ')}` : 'no file was applied in this run'
  if (isConnectionLoss(error)) {
    return unavailableError(`lost the connection to ${db.target.host}:${db.target.port} ${failed ? `while applying ${failed.file} (not committed)` : 'during the run'}; ${kept}`, {
      hints: ['Run again once the database is reachable: committed files are not applied twice.'],
    })
  }
  const message = (error as Error)?.message ?? String(error)
  // postgrator's own validation (mkt checks first, so this means the history changed under us).
  const checksum = /MD5 checksum failed for migration \[(\d+)\]/.exec(message)
  if (checksum) return invalidInputError(`migration version ${checksum[1]} changed after it was applied`)
  if (failed) {
    return failedError(`${failed.file} failed and was rolled back${failed.line ? ` (line ${failed.line})` : ''}: ${failed.error}; ${kept}`, {
      hints: ['Each file is one transaction: fix the file and run again; the files before it are not applied twice.'],
    })
  }
  return failedError(`migration run failed: ${describePgError(error)}; ${kept}`)
}
