// The --json result schemas of the `mkt migrate …` commands (merged into src/cli/result-schemas.ts).
import { z } from 'zod'

const jobResult = z.enum(['pending', 'running', 'succeeded', 'failed', 'timed-out'])

const database = z
  .object({ host: z.string(), port: z.number().int(), database: z.string(), user: z.string().nullable() })
  .describe('The database, without its password (never printed)')

const migrationFile = z.object({ version: z.number().int(), name: z.string(), file: z.string(), checksum: z.string().describe('md5 of the file, line endings normalised') })

const appliedRow = z.object({
  version: z.number().int(),
  name: z.string().nullable(),
  file: z.string().nullable().describe('The file in the directory with this version, null when none'),
  checksum: z.string().nullable(),
  appliedAt: z.string().nullable(),
  appliedBy: z.string().nullable(),
})

const drift = z.object({ version: z.number().int(), file: z.string(), recorded: z.string(), actual: z.string() })

const sqlRun = z.object({
  database,
  source: z.string().describe('Where the connection string came from (MKT_DATABASE_URL, an environment variable, the sandbox)'),
  historyTable: z.string(),
  databaseVersionBefore: z.number().int(),
  databaseVersion: z.number().int(),
  targetVersion: z.number().int(),
  applied: z.array(migrationFile.extend({ durationMs: z.number() })),
  failed: z.object({ version: z.number().int(), file: z.string(), error: z.string(), line: z.number().int().nullable() }).nullable(),
  lockWaitMs: z.number(),
})

const jobRun = z.object({
  region: z.string(),
  namespace: z.string(),
  name: z.string(),
  image: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number(),
  result: z.enum([...jobResult.options, 'interrupted']),
  reason: z.string(),
  runBy: z.string(),
  logTail: z.array(z.string()).describe('The last lines of the pod log'),
})

export const migrateResultSchemas = {
  'migrate run': z.object({
    environment: z.string(),
    runner: z.enum(['job', 'sql']),
    job: jobRun.nullable().describe('With --image'),
    sql: sqlRun.nullable().describe('With --sql'),
  }),
  'migrate plan': z.object({
    environment: z.string(),
    database,
    source: z.string(),
    historyTable: z.string(),
    databaseVersion: z.number().int(),
    targetVersion: z.number().int(),
    pending: z.array(migrationFile),
    applied: z.array(appliedRow),
    drifted: z.array(drift).describe('Applied files changed since (a run fails with exit 65)'),
    outOfOrder: z.array(migrationFile).describe('Files below the database version that were never applied (never will be)'),
    missing: z.array(appliedRow).describe('Applied versions without a file'),
  }),
  'migrate status': z.object({
    environment: z.string(),
    runner: z.enum(['job', 'sql']).describe('job: the Jobs of `migrate run --image`; sql (with --sql): the history table of `migrate run --sql`'),
    region: z.string().nullable().describe('Where the Jobs run (null with --sql)'),
    namespace: z.string().nullable(),
    sql: z
      .object({
        database,
        source: z.string(),
        historyTable: z.string(),
        databaseVersion: z.number().int(),
        history: z.array(appliedRow).describe('Applied versions, newest first (up to --limit): who applied each and when'),
        pending: z.array(migrationFile).describe('Files in the directory not applied yet'),
        drifted: z.array(drift).describe('Applied files changed since (a run fails with exit 65)'),
      })
      .nullable()
      .describe('With --sql'),
    jobs: z.array(
      z.object({
        name: z.string(),
        image: z.string().nullable(),
        startedAt: z.string().nullable(),
        finishedAt: z.string().nullable(),
        durationMs: z.number().nullable(),
        result: jobResult,
        reason: z.string(),
        runBy: z.string().nullable(),
        why: z.string().nullable().describe('--reason of the run'),
      }),
    ),
  }),
} satisfies Record<string, z.ZodType>

export type MigrateRunResult = z.infer<(typeof migrateResultSchemas)['migrate run']>
export type MigratePlanResult = z.infer<(typeof migrateResultSchemas)['migrate plan']>
export type MigrateStatusResult = z.infer<(typeof migrateResultSchemas)['migrate status']>
