// The --json result schemas of the `mkt release …` commands (merged into src/cli/result-schemas.ts).
import { z } from 'zod'
import { componentMove, regionComponent, rolloutStrategy, waves } from '../cli/result-rows.js'

const change = z.enum(['image', 'configuration'])

const migration = z.object({ version: z.number().int(), name: z.string() })

export const releasePlanSchema = z.object({
  name: z.string(),
  version: z.string(),
  digest: z.string().describe('sha256 of release.yaml as read'),
  environment: z.string(),
  primaryRegion: z.string().describe("The environment's primary region"),
  recordRegion: z.string().nullable().describe("Where the release record and lock live: the environment's first Kubernetes region (null: none, the release cannot run)"),
  regions: z.array(z.string()),
  migrations: z
    .object({
      runner: z.enum(['sql', 'job']),
      region: z.string(),
      pending: z.array(migration),
      databaseVersion: z.number().int().nullable(),
      targetVersion: z.number().int().nullable(),
      image: z.string().nullable(),
      dir: z.string().nullable(),
    })
    .nullable(),
  configuration: z.array(
    z.object({
      region: z.string(),
      component: z.string(),
      configMap: z.string(),
      added: z.number().int(),
      changed: z.number().int(),
      removed: z.number().int(),
      envFromWired: z.boolean(),
      secrets: z.array(z.object({ name: z.string(), state: z.string() })),
      checksum: z.string(),
      restart: z.boolean(),
    }),
  ),
  components: z.array(
    z.object({
      wave: z.number().int().nullable(),
      region: z.string(),
      component: z.string(),
      from: z.string().nullable(),
      to: z.string().nullable(),
      revision: z.number().int().nullable(),
      verdict: z.string().nullable(),
      changes: z.array(change),
      strategy: rolloutStrategy,
      canarySteps: z.array(z.number().int()),
      bakeMs: z.number(),
      gitops: z.string().nullable().describe('The reconciler (Flux, Argo CD) that owns the Deployment, or null'),
      blockers: z.array(z.string()),
      notes: z.array(z.string()),
    }),
  ),
  waves,
  changed: z.boolean(),
  blockers: z.array(z.string()),
})

const step = z.object({
  name: z.enum(['migrations', 'configuration', 'components', 'verify', 'rollback']),
  status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  detail: z.string(),
})

export const releaseRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  environment: z.string(),
  primaryRegion: z.string().describe("The environment's primary region"),
  recordRegion: z.string().optional().describe('Where this record and the release lock live (the first Kubernetes region); absent in records of older mkt, where it is primaryRegion'),
  regions: z.array(z.string()),
  manifestDigest: z.string(),
  startedBy: z.string(),
  reason: z.string().nullable(),
  gitSha: z.string().nullable(),
  runUrl: z.string().nullable(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(['running', 'succeeded', 'failed', 'rolled-back', 'rollback-failed', 'interrupted']),
  exitCode: z.number().int().nullable(),
  failure: z.string().nullable(),
  attempts: z.number().int(),
  steps: z.array(step),
  migrations: z
    .object({
      runner: z.enum(['sql', 'job']),
      applied: z.array(migration),
      databaseVersion: z.number().int().nullable(),
      image: z.string().nullable(),
      forwardOnly: z.literal(true),
    })
    .nullable(),
  configuration: z.array(z.object({ region: z.string(), component: z.string(), configMap: z.string(), changed: z.boolean(), previous: z.record(z.string(), z.string()).nullable() })),
  items: z.array(
    z.object({
      wave: z.number().int(),
      ...componentMove.shape,
      changes: z.array(change),
      outcome: z.string(),
      reason: z.string(),
      durationMs: z.number(),
    }),
  ),
})

export const releaseResultSchemas: Record<string, z.ZodType> = {
  'release plan': releasePlanSchema,
  'release run': z.object({ planOnly: z.boolean(), plan: releasePlanSchema, record: releaseRecordSchema.nullable() }),
  'release status': releaseRecordSchema,
  'release history': z.object({ environment: z.string(), releases: z.array(releaseRecordSchema.pick({ id: true, name: true, version: true, status: true, startedAt: true, finishedAt: true, startedBy: true, reason: true, gitSha: true, exitCode: true, attempts: true })) }),
  'release rollback': z.object({
    record: releaseRecordSchema,
    items: z.array(z.object({ ...regionComponent.shape, toRevision: z.number().int().nullable(), outcome: z.string(), reason: z.string() })),
  }),
  'release init': z.object({ file: z.string(), environment: z.string(), components: z.number().int() }),
}
