// mkt migrate run|plan|status through the built CLI:
// - the SQL runner against the sandbox's PGlite (the local environment, always) and against a real PostgreSQL
//   (MKT_TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test; a fresh database per test, dropped after);
// - the Job runner against the sandbox (its Job controller simulates success, failure and slow runs through the
//   sandbox.mkt/job-behavior annotation, which only these tests' Job templates carry).
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { binPath, cleanEnv, parseEnvelope, repoRoot, runMkt, validateEnvelope, type RunResult } from '../helpers/cli.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-migrate-e2e-'))
const workDir = mkdtempSync(join(tmpdir(), 'mkt-migrate-work-'))
const sandboxEnv = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150' }
const mkt = (args: string[], env: Record<string, string | undefined> = {}) => runMkt(args, { cwd: workDir, env: { ...sandboxEnv, ...env }, timeoutMs: 120_000 })
const samples = join(repoRoot, 'templates', 'migrations')

// ---- fixtures ---------------------------------------------------------------------------------------

/** mkt.yaml: the built-in components, and environments for each way a database is configured. */
function writeConfig(): void {
  const platform = parse(readFileSync(join(repoRoot, 'templates', 'mkt.yaml'), 'utf8')) as Record<string, unknown>
  const region = [{ name: 'local', sandbox: true, namespace: 'marketplace' }]
  platform.environments = [
    { name: 'local', regions: region, database: { engine: 'postgresql', url: { sandbox: true } } },
    { name: 'pgtest', regions: region, database: { engine: 'postgresql', url: { env: 'MARKETPLACE_DB_URL' } } },
    { name: 'guarded', protected: true, regions: region, database: { engine: 'postgresql', url: { env: 'MARKETPLACE_DB_URL' } } },
    { name: 'vault', regions: region, database: { engine: 'postgresql', url: { secret: 'marketplace--ConnectionStrings--Database' } } },
  ]
  writeFileSync(join(workDir, 'mkt.yaml'), stringify(platform))
}

/** The built-in Job template plus the sandbox's job-behavior annotation (tests only: mkt's template has none). */
function jobTemplate(behavior: string): string {
  const job = parse(readFileSync(join(repoRoot, 'templates', 'migration-job.yaml'), 'utf8')) as { spec: { template: { metadata: { annotations?: Record<string, string> } } } }
  job.spec.template.metadata.annotations = { 'sandbox.mkt/job-behavior': behavior }
  const path = join(workDir, `job-${behavior.replace(/[^a-z0-9]/g, '-')}.yaml`)
  writeFileSync(path, stringify(job))
  return path
}

/** A directory of migration files: name → SQL. */
function sqlDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(workDir, 'sql-'))
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql)
  return dir
}

function copyOfSamples(): string {
  const dir = mkdtempSync(join(workDir, 'samples-'))
  cpSync(samples, dir, { recursive: true })
  return dir
}

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

/** The mkt process itself, to signal it (runMkt waits for the exit). */
function startMkt(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, [binPath, ...args], { cwd: workDir, env: cleanEnv({ ...sandboxEnv, ...env }), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<RunResult>((resolve) => child.on('close', (code) => resolve({ exitCode: code, stdout, stderr })))
  return { child, done, stderr: () => stderr }
}

interface SqlRun {
  sql: { databaseVersionBefore: number; databaseVersion: number; applied: Array<{ file: string; version: number }>; failed: { file: string; line: number | null } | null; lockWaitMs: number }
}
interface Plan {
  databaseVersion: number
  pending: Array<{ file: string }>
  applied: Array<{ version: number; file: string; appliedBy: string | null; appliedAt: string | null; checksum: string | null }>
}
const sqlResult = (run: RunResult) => (parseEnvelope(run).result as SqlRun).sql

// ---- the real PostgreSQL ----------------------------------------------------------------------------

const adminUrl = process.env.MKT_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
async function reachable(url: string): Promise<boolean> {
  try {
    await query(url, 'SELECT 1')
    return true
  } catch {
    return false
  }
}
// Set MKT_TEST_DATABASE_URL (.ci/run does) to make these tests mandatory; without it they run when the default is up.
const realPostgres = process.env.MKT_TEST_DATABASE_URL !== undefined || (await reachable(adminUrl))
const runId = Math.random().toString(36).slice(2, 8)
const databases: string[] = []

async function freshDatabase(): Promise<string> {
  const name = `mkt_test_${runId}_${databases.length + 1}`
  await query(adminUrl, `CREATE DATABASE ${name}`)
  databases.push(name)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

beforeAll(async () => {
  writeConfig()
  const start = await mkt(['sandbox', 'start', '--json'])
  expect(start.exitCode, start.stderr).toBe(0)
})

afterAll(async () => {
  await mkt(['sandbox', 'stop'])
  for (const name of databases) await query(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined)
  rmSync(workDir, { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
})

// ---- the SQL runner: one scenario, against PGlite (local) and a real server ------------------------------

interface Target {
  name: string
  /** CLI arguments and environment that select the database. */
  setup: () => Promise<{ args: string[]; env: Record<string, string>; url: string }>
}

const targets: Array<Target & { enabled: boolean }> = [
  {
    name: "the sandbox's PGlite (--env local)",
    enabled: true,
    setup: async () => {
      const status = parseEnvelope(await mkt(['sandbox', 'status', '--json'])).result as { endpoints: { postgres: string } }
      return { args: ['--env', 'local'], env: {}, url: status.endpoints.postgres }
    },
  },
  {
    name: 'a real PostgreSQL ({ env: MARKETPLACE_DB_URL })',
    enabled: realPostgres,
    setup: async () => {
      const url = await freshDatabase()
      return { args: ['--env', 'pgtest'], env: { MARKETPLACE_DB_URL: url }, url }
    },
  },
]

for (const target of targets) {
  describe.skipIf(!target.enabled)(`SQL runner against ${target.name}`, () => {
    let args: string[] = []
    let env: Record<string, string> = {}
    let url = ''
    let dir = ''
    const run = (...more: string[]) => mkt(['migrate', 'run', ...args, ...more], env)
    const plan = (...more: string[]) => mkt(['migrate', 'plan', ...args, ...more], env)

    beforeAll(async () => {
      ;({ args, env, url } = await target.setup())
      dir = copyOfSamples()
    })

    it('--to applies up to a version; plan lists what is pending (--exit-code 2) without writing', async () => {
      const first = await run('--sql', dir, '--to', '3', '--json')
      expect(first.exitCode, first.stderr).toBe(0)
      expect(validateEnvelope('migrate run', parseEnvelope(first))).toEqual([])
      expect(sqlResult(first).applied.map((a) => a.file)).toEqual(['V001__create_publishers.sql', 'V002__create_assets.sql', 'V003__create_asset_versions.sql'])

      const before = await query(url, 'SELECT count(*)::int AS n FROM mkt_schema_version')
      const pending = await plan('--sql', dir, '--exit-code', '--json')
      expect(pending.exitCode).toBe(2)
      const envelope = parseEnvelope(pending)
      expect(validateEnvelope('migrate plan', envelope)).toEqual([])
      const result = envelope.result as Plan
      expect(result.databaseVersion).toBe(3)
      expect(result.pending.map((p) => p.file)).toEqual(['V004__create_licenses.sql', 'V005__create_prices.sql', 'V006__create_reviews.sql', 'V007__create_installations.sql'])
      expect(await query(url, 'SELECT count(*)::int AS n FROM mkt_schema_version')).toEqual(before)

      const human = await plan('--sql', dir)
      expect(human.exitCode).toBe(0)
      expect(human.stdout).toContain('4 pending:')
      expect(human.stdout).toContain('V004__create_licenses.sql')
    })

    it('applies the rest with checksum, who and when in the history; a re-run is a no-op', async () => {
      const rest = await run('--sql', dir)
      expect(rest.exitCode, rest.stderr).toBe(0)
      expect(rest.stderr).toContain('applying V004__create_licenses.sql')
      expect(rest.stdout).toContain('version 3 → 7')
      const history = parseEnvelope(await plan('--sql', dir, '--json')).result as Plan
      expect(history.pending).toEqual([])
      expect(history.applied.map((a) => a.version)).toEqual([1, 2, 3, 4, 5, 6, 7])
      for (const row of history.applied) {
        expect(row.appliedBy).toMatch(/@/)
        expect(row.checksum).toMatch(/^[0-9a-f]{32}$/)
        expect(Date.parse(row.appliedAt!)).toBeGreaterThan(Date.now() - 600_000)
      }
      const tables = await query<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['assets', 'asset_versions', 'installations', 'licenses', 'prices', 'publishers', 'reviews']))

      const again = await run('--sql', dir, '--json')
      expect(again.exitCode).toBe(0)
      expect(sqlResult(again)).toMatchObject({ applied: [], databaseVersionBefore: 7, databaseVersion: 7 })
    })

    it('status --sql shows the applied versions newest first, who applied each and when (JSON and table)', async () => {
      const status = await mkt(['migrate', 'status', ...args, '--sql', dir, '--limit', '3', '--json'], env)
      expect(status.exitCode, status.stderr).toBe(0)
      const envelope = parseEnvelope(status)
      expect(validateEnvelope('migrate status', envelope)).toEqual([])
      const result = envelope.result as { runner: string; jobs: unknown[]; sql: { databaseVersion: number; pending: unknown[]; history: Array<{ version: number; file: string; appliedBy: string; appliedAt: string }> } }
      expect(result).toMatchObject({ runner: 'sql', jobs: [], sql: { databaseVersion: 7, pending: [] } })
      expect(result.sql.history.map((h) => h.version)).toEqual([7, 6, 5])
      expect(result.sql.history[0]).toMatchObject({ file: 'V007__create_installations.sql', appliedBy: expect.stringMatching(/@/) })
      const table = await mkt(['migrate', 'status', ...args, '--sql', dir], env)
      expect(table.exitCode).toBe(0)
      expect(table.stdout).toMatch(/at version 7, nothing pending/)
      expect(table.stdout).toMatch(/^VERSION\s+FILE\s+APPLIED\s+BY$/m)
      expect(table.stdout).toMatch(/^7\s+V007__create_installations\.sql\s+\d{4}-\d\d-\d\dT/m)
    })

    it('a failing file is rolled back on its own (exit 1, naming file and line); the files before it stay applied', async () => {
      writeFileSync(join(dir, 'V008__add_featured.sql'), 'ALTER TABLE assets ADD COLUMN featured boolean NOT NULL DEFAULT false;\n')
      writeFileSync(join(dir, 'V009__broken.sql'), 'CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nSELEC 1;\n')
      const failed = await run('--sql', dir, '--json')
      expect(failed.exitCode).toBe(1)
      const envelope = parseEnvelope(failed)
      expect(validateEnvelope('migrate run', envelope)).toEqual([])
      expect(envelope.error!.message).toContain('V009__broken.sql failed and was rolled back (line 3)')
      expect(sqlResult(failed)).toMatchObject({ applied: [{ file: 'V008__add_featured.sql' }], failed: { file: 'V009__broken.sql', line: 3 }, databaseVersion: 8 })
      expect(await query(url, "SELECT to_regclass('half_done')::text AS t")).toEqual([{ t: null }])
      expect(await query(url, 'SELECT max(version)::int AS v FROM mkt_schema_version')).toEqual([{ v: 8 }])
      rmSync(join(dir, 'V009__broken.sql'))
    })

    it('a file changed after it was applied fails with exit 65 naming it, in run and in plan', async () => {
      const path = join(dir, 'V002__create_assets.sql')
      const original = readFileSync(path, 'utf8')
      writeFileSync(path, `${original}\nCREATE INDEX assets_name_idx ON assets (name);\n`)
      try {
        const changed = await run('--sql', dir)
        expect(changed.exitCode).toBe(65)
        expect(changed.stderr).toContain('V002__create_assets.sql changed after it was applied')
        const planned = await plan('--sql', dir, '--json')
        expect(planned.exitCode).toBe(65)
        expect(parseEnvelope(planned).error!.message).toContain('V002__create_assets.sql')
        // Line endings alone are not a change (a Windows checkout).
        writeFileSync(path, original.replace(/\n/g, '\r\n'))
        expect((await run('--sql', dir)).exitCode).toBe(0)
      } finally {
        writeFileSync(path, original)
      }
    })
  })
}

/** Starts a run whose slow file (V…__slow.sql) holds the lock; resolves once it is applying that file. */
async function slowHolder(args: string[], env: Record<string, string> = {}) {
  const holder = startMkt(args, env)
  const deadline = Date.now() + 120_000
  while (!/applying V\d+__slow\.sql/.test(holder.stderr())) {
    if (Date.now() > deadline || holder.child.exitCode !== null) throw new Error(`the holder never started applying: ${holder.stderr()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return holder
}

/** A refused run ends well before the 20 s holder would have: process start + 1 s --lock-wait, on a busy machine. */
const holderBudgetMs = 18_000

describe("SQL runner against the sandbox's PGlite: concurrent runs", () => {
  // PGlite is one PostgreSQL session shared by every connection, so advisory locks cannot keep runs apart there:
  // mkt takes the environment's migration Lease instead, with the same --lock-wait and holder naming.
  it('two concurrent runs never interleave: the second waits for the lock (naming its holder), then finds nothing to do', async () => {
    const dir = sqlDir({ 'V301__conc.sql': 'CREATE TABLE conc (id int PRIMARY KEY);\n', 'V302__slow.sql': 'SELECT pg_sleep(8);\nINSERT INTO conc VALUES (1);\n' })
    const holder = await slowHolder(['migrate', 'run', '--env', 'local', '--sql', dir])
    const second = await mkt(['migrate', 'run', '--env', 'local', '--sql', dir])
    expect(second.exitCode, second.stderr).toBe(0)
    expect(second.stderr, second.stderr + '\n--- holder:\n' + holder.stderr()).toMatch(/waiting up to 2m for the migration lock: held by [^ ]+@[^ ]+\/\d+/)
    expect(second.stdout).toContain('nothing to apply')
    expect((await holder.done).exitCode).toBe(0)
    const { endpoints } = parseEnvelope(await mkt(['sandbox', 'status', '--json'])).result as { endpoints: { postgres: string } }
    expect(await query(endpoints.postgres, 'SELECT count(*)::int AS n FROM conc')).toEqual([{ n: 1 }])
    expect(await query(endpoints.postgres, 'SELECT count(*)::int AS n FROM mkt_schema_version WHERE version IN (301, 302)')).toEqual([{ n: 2 }])
  })

  it('--lock-wait is honoured: exit 73 naming the holder (user@host/pid) once it has passed, nothing applied', async () => {
    const dir = sqlDir({ 'V401__slow.sql': 'SELECT pg_sleep(20);\n' })
    const holder = await slowHolder(['migrate', 'run', '--env', 'local', '--sql', dir])
    const started = Date.now()
    const refused = await mkt(['migrate', 'run', '--env', 'local', '--sql', dir, '--lock-wait', '1s', '--json'])
    expect(refused.exitCode, refused.stderr).toBe(73)
    expect(parseEnvelope(refused).error!.message).toMatch(/migrations in environment local is locked: held by [^ ]+@[^ ]+\/\d+ .*running migrate run --sql/)
    expect(Date.now() - started).toBeLessThan(holderBudgetMs) // refused after --lock-wait, not after the holder's 20 s
    expect((await holder.done).exitCode).toBe(0)
  }, 120_000)
})

describe.skipIf(!realPostgres)('SQL runner connections and locking (real PostgreSQL)', () => {
  it('takes the connection string from MKT_DATABASE_URL, overriding mkt.yaml (a Key Vault reference here)', async () => {
    const url = await freshDatabase()
    const withoutOverride = await mkt(['migrate', 'run', '--env', 'vault', '--sql', samples, '--json'])
    expect(withoutOverride.exitCode).toBe(78)
    // Read from the environment's Key Vault, and this environment names none.
    expect(parseEnvelope(withoutOverride).error!.message).toContain('environment vault has no keyVault in mkt.yaml')
    const run = await mkt(['migrate', 'run', '--env', 'vault', '--sql', samples, '--to', '2', '--json'], { MKT_DATABASE_URL: url })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(sqlResult(run).applied).toHaveLength(2)
    expect((parseEnvelope(run).result as { sql: { source: string } }).sql.source).toBe('MKT_DATABASE_URL')
  })

  it('two concurrent runs never interleave: the second waits for the advisory lock, then finds nothing to do', async () => {
    const url = await freshDatabase()
    const dir = sqlDir({
      'V001__events.sql': 'CREATE TABLE events (version int PRIMARY KEY, backend int NOT NULL);\nINSERT INTO events VALUES (1, pg_backend_pid());\n',
      'V002__slow.sql': 'SELECT pg_sleep(1.5);\nINSERT INTO events VALUES (2, pg_backend_pid());\n',
    })
    const env = { MKT_DATABASE_URL: url }
    const [a, b] = await Promise.all([mkt(['migrate', 'run', '--sql', dir, '--json'], env), mkt(['migrate', 'run', '--sql', dir, '--json'], env)])
    expect([a.exitCode, b.exitCode]).toEqual([0, 0])
    const applied = [sqlResult(a).applied.length, sqlResult(b).applied.length].sort()
    expect(applied).toEqual([0, 2])
    const waited = sqlResult(a).applied.length === 0 ? sqlResult(a) : sqlResult(b)
    expect(waited.lockWaitMs).toBeGreaterThan(500)
    const events = await query<{ backend: number }>(url, 'SELECT backend FROM events ORDER BY version')
    expect(events).toHaveLength(2)
    expect(new Set(events.map((e) => e.backend)).size).toBe(1) // one session applied both files
    expect(await query(url, 'SELECT version::int FROM mkt_schema_version WHERE version > 0 ORDER BY 1')).toEqual([{ version: 1 }, { version: 2 }])
  })

  it('says who holds the lock while waiting, and exits 73 naming the holder after --lock-wait', async () => {
    const url = await freshDatabase()
    const dir = sqlDir({ 'V001__slow.sql': 'SELECT pg_sleep(8);\n' })
    const env = { MKT_DATABASE_URL: url }
    const holder = await slowHolder(['migrate', 'run', '--sql', dir], env)
    const refused = await mkt(['migrate', 'run', '--sql', dir, '--lock-wait', '1s', '--json'], env)
    expect(refused.exitCode).toBe(73)
    const envelope = parseEnvelope(refused)
    expect(validateEnvelope('migrate run', envelope)).toEqual([])
    expect(envelope.error!.message).toMatch(/holds the lock on 127\.0\.0\.1:\d+\/mkt_test_\w+ as postgres: "mkt migrate run [^"]+@[^"]+" \(backend pid \d+/)
    const waiting = await mkt(['migrate', 'run', '--sql', dir, '--lock-wait', '30s'], env)
    expect(waiting.stderr).toMatch(/waiting up to 30s for the migration lock, held by "mkt migrate run/)
    expect(waiting.exitCode).toBe(0)
    expect((await holder.done).exitCode).toBe(0)
  })

  it('Ctrl-C during a file: exit 130, that file rolled back, the ones before it committed', async () => {
    const url = await freshDatabase()
    const dir = sqlDir({ 'V001__a.sql': 'CREATE TABLE a (id int);\n', 'V002__slow.sql': 'CREATE TABLE b (id int);\nSELECT pg_sleep(5);\n' })
    const run = startMkt(['migrate', 'run', '--sql', dir, '--json'], { MKT_DATABASE_URL: url })
    // Interrupt while V002 sleeps (seen in pg_stat_activity), not after a fixed delay a busy machine may not reach.
    const deadline = Date.now() + 60_000
    while ((await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()"))[0]!.n === 0) {
      if (Date.now() > deadline || run.child.exitCode !== null) throw new Error('V002 never started')
      await new Promise((r) => setTimeout(r, 100))
    }
    run.child.kill('SIGTERM')
    const interrupted = await run.done
    expect(interrupted.exitCode).toBe(130)
    expect(sqlResult(interrupted)).toMatchObject({ applied: [{ file: 'V001__a.sql' }], failed: { file: 'V002__slow.sql' } })
    expect(await query(url, "SELECT to_regclass('a')::text AS a, to_regclass('b')::text AS b")).toEqual([{ a: 'a', b: null }])
  })

  it('unreachable database: exit 69 naming host and port, the password masked everywhere', async () => {
    const canary = 'Canary-e2e-5f3b1c'
    const url = `postgresql://app:${canary}@127.0.0.1:1/marketplace`
    for (const env of [{ MKT_DATABASE_URL: url }, { MARKETPLACE_DB_URL: url }]) {
      for (const json of [true, false]) {
        const run = await mkt(['migrate', 'run', '--env', 'pgtest', '--sql', samples, '--verbose', ...(json ? ['--json'] : [])], env)
        expect(run.exitCode).toBe(69)
        expect(run.stdout + run.stderr).not.toContain(canary)
        expect(run.stdout + run.stderr).not.toContain(encodeURIComponent(canary))
        const text = json ? parseEnvelope(run).error!.message : run.stderr
        expect(text).toContain('cannot reach the database at 127.0.0.1:1 (marketplace): ECONNREFUSED')
      }
    }
    const plan = await mkt(['migrate', 'plan', '--sql', samples, '--json'], { MKT_DATABASE_URL: url })
    expect(plan.exitCode).toBe(69)
    expect(plan.stdout + plan.stderr).not.toContain(canary)
  })

  it('a password that reaches the server is never printed either', async () => {
    const canary = 'Canary-e2e-9d8e7f'
    const url = new URL(await freshDatabase())
    url.username = 'postgres'
    url.password = canary // trust authentication accepts and ignores it
    const run = await mkt(['migrate', 'run', '--sql', samples, '--verbose', '--json'], { MKT_DATABASE_URL: url.toString() })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout + run.stderr).not.toContain(canary)
  })

  it('protected environments need --yes', async () => {
    const url = await freshDatabase()
    const refused = await mkt(['migrate', 'run', '--env', 'guarded', '--sql', samples], { MARKETPLACE_DB_URL: url })
    expect(refused.exitCode).toBe(64)
    expect(refused.stderr).toContain('--yes')
    expect(await query(url, "SELECT to_regclass('mkt_schema_version')::text AS t")).toEqual([{ t: null }])
    expect((await mkt(['migrate', 'run', '--env', 'guarded', '--sql', samples, '--yes'], { MARKETPLACE_DB_URL: url })).exitCode).toBe(0)
  })
})

// ---- the Job runner against the sandbox ----------------------------------------------------------------

describe('Job runner against the sandbox', () => {
  interface JobRun {
    job: { name: string; image: string; result: string; logTail: string[]; runBy: string }
  }
  const job = (run: RunResult) => (parseEnvelope(run).result as JobRun).job

  it('runs the image as a Job, streams its log to stderr, exits 0', async () => {
    const run = await mkt(['migrate', 'run', '--image', 'acr.example.io/marketplace-migrations:1.0.0', '--job-template', jobTemplate('succeed'), '--reason', 'PRJ-42'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/created Job marketplace\/mkt-migration-\d{8}-\d{6}-\w+/)
    expect(run.stderr).toMatch(/^\| {7}mkt-migration-[\w-]+ completed successfully$/m)
    expect(run.stdout).toMatch(/migration Job marketplace\/mkt-migration-[\w-]+ \(acr\.example\.io\/marketplace-migrations:1\.0\.0\) succeeded/)

    const json = await mkt(['migrate', 'run', '--image', '1.0.1', '--job-template', jobTemplate('succeed'), '--json'])
    expect(json.exitCode).toBe(0)
    expect(json.stderr).toBe('')
    const envelope = parseEnvelope(json)
    expect(validateEnvelope('migrate run', envelope)).toEqual([])
    // A bare tag applies to the template's image repository.
    expect(job(json)).toMatchObject({ image: 'marketplace-migrations:1.0.1', result: 'succeeded' })
    expect(job(json).logTail.join('\n')).toContain('completed successfully')
  })

  it('a failed Job exits 1 with the last log lines', async () => {
    const run = await mkt(['migrate', 'run', '--image', '2.0.0', '--job-template', jobTemplate('fail')])
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toMatch(/Error: migration Job mkt-migration-[\w-]+ \(marketplace-migrations:2\.0\.0\) failed in local: BackoffLimitExceeded/)
    expect(run.stderr).toContain('last log lines:\n')
    expect(run.stderr).toContain('  Unhandled exception. System.InvalidOperationException: Simulated job failure (sandbox).')

    const json = await mkt(['migrate', 'run', '--image', '2.0.1', '--job-template', jobTemplate('fail'), '--json'])
    expect(json.exitCode).toBe(1)
    const envelope = parseEnvelope(json)
    expect(validateEnvelope('migrate run', envelope)).toEqual([])
    expect(envelope.error!.code).toBe('FAILED')
    expect(job(json).result).toBe('failed')
    expect(job(json).logTail.at(-1)).toContain('Simulated job failure')
  })

  it('a Job that outlives --timeout exits 75, and the cluster stops it at the same deadline', async () => {
    const started = Date.now()
    const run = await mkt(['migrate', 'run', '--image', '3.0.0', '--job-template', jobTemplate('slow=60s'), '--timeout', '2s', '--json'])
    expect(run.exitCode).toBe(75)
    expect(Date.now() - started).toBeLessThan(20_000)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('migrate run', envelope)).toEqual([])
    expect(envelope.error!.message).toContain('timed out after 2s')
    expect(job(run).result).toBe('timed-out')
    expect(job(run).logTail.join('\n')).toContain('Working…')
  })

  it('one migration per environment: a second run exits 73 naming the holder', async () => {
    const first = startMkt(['migrate', 'run', '--image', '4.0.0', '--job-template', jobTemplate('slow=4s'), '--timeout', '30s'])
    await new Promise((r) => setTimeout(r, 1500))
    const second = await mkt(['migrate', 'run', '--image', '4.0.1', '--json'])
    expect(second.exitCode).toBe(73)
    expect(validateEnvelope('migrate run', parseEnvelope(second))).toEqual([])
    expect(parseEnvelope(second).error!.message).toMatch(/migrations in environment local is locked: held by [^ ]+@[^ ]+\/\d+ .*running migrate run marketplace-migrations:4\.0\.0/)
    expect((await first.done).exitCode).toBe(0)
  })

  it('Ctrl-C leaves the Job running (exit 130); the next run exits 73 naming that Job', async () => {
    const first = startMkt(['migrate', 'run', '--image', '5.0.0', '--job-template', jobTemplate('slow=6s'), '--timeout', '30s', '--json'])
    // Interrupt once its Job exists (a fixed sleep missed it on a busy machine: then there was no Job to leave running).
    for (let i = 0; i < 120; i++) {
      const status = parseEnvelope(await mkt(['migrate', 'status', '--json'])).result as { jobs: Array<{ image: string | null; result: string }> }
      if (status.jobs.some((j) => j.image?.endsWith(':5.0.0') && j.result === 'running')) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const signalled = Date.now()
    first.child.kill('SIGTERM')
    const interrupted = await first.done
    expect(interrupted.exitCode).toBe(130)
    expect(Date.now() - signalled).toBeLessThan(8_000) // at once, not after the Job's 6 s: generous for a busy machine
    expect(job(interrupted).result).toBe('interrupted')
    const next = await mkt(['migrate', 'run', '--image', '5.0.1'])
    expect(next.exitCode).toBe(73)
    expect(next.stderr).toMatch(/a migration Job is still running in local: mkt-migration-[\w-]+ \(image marketplace-migrations:5\.0\.0/)
    // Wait for it to finish so later runs are not blocked.
    for (let i = 0; i < 60; i++) {
      const status = parseEnvelope(await mkt(['migrate', 'status', '--json'])).result as { jobs: Array<{ result: string }> }
      if (status.jobs[0]!.result !== 'running') break
      await new Promise((r) => setTimeout(r, 250))
    }
  })

  it('status lists the runs newest first: image, started, duration, result, who', async () => {
    const run = await mkt(['migrate', 'status', '--json'])
    expect(run.exitCode).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('migrate status', envelope)).toEqual([])
    const jobs = (envelope.result as { jobs: Array<{ image: string; result: string; runBy: string; startedAt: string; durationMs: number; why: string | null }> }).jobs
    expect(jobs.map((j) => j.image)).toEqual([
      'marketplace-migrations:5.0.0',
      'marketplace-migrations:4.0.0',
      'marketplace-migrations:3.0.0',
      'marketplace-migrations:2.0.1',
      'marketplace-migrations:2.0.0',
      'marketplace-migrations:1.0.1',
      'acr.example.io/marketplace-migrations:1.0.0',
    ])
    expect(jobs.map((j) => j.result)).toEqual(['succeeded', 'succeeded', 'timed-out', 'failed', 'failed', 'succeeded', 'succeeded'])
    expect(jobs.at(-1)!.why).toBe('PRJ-42')
    for (const j of jobs) {
      expect(j.runBy).toMatch(/@/)
      expect(j.durationMs).toBeGreaterThanOrEqual(0)
    }
    const human = await mkt(['migrate', 'status'])
    expect(human.stdout.split('\n')[0]).toMatch(/^JOB\s+IMAGE\s+STARTED\s+DURATION\s+RESULT\s+BY\s+REASON$/)
    expect(human.stdout).toContain('timed-out')
  })

  it('refuses a template with a literal connection string (65) and bad flag combinations (64)', async () => {
    const path = join(workDir, 'literal.yaml')
    const template = parse(readFileSync(join(repoRoot, 'templates', 'migration-job.yaml'), 'utf8')) as { spec: { template: { spec: { containers: Array<{ env: unknown[] }> } } } }
    template.spec.template.spec.containers[0]!.env = [{ name: 'ConnectionStrings__Database', value: 'Host=db;Username=app;Password=hunter22' }]
    writeFileSync(path, stringify(template))
    const literal = await mkt(['migrate', 'run', '--image', '6.0.0', '--job-template', path])
    expect(literal.exitCode).toBe(65)
    expect(literal.stderr).toContain('holds a literal connection string')
    expect((await mkt(['migrate', 'run'])).exitCode).toBe(64)
    expect((await mkt(['migrate', 'run', '--image', '1.0.0', '--sql', samples])).exitCode).toBe(64)
    expect((await mkt(['migrate', 'run', '--image', '1.0.0', '--to', '3'])).exitCode).toBe(64)
  })
})
