// The --json contract of each command: the shape of `result` in `{ ok: true, result, warnings }`.
// schemas/results/<command>.schema.json is generated from these (`npm run schemas`); tests validate real
// CLI output against the committed files and fail when they are stale.
import { z } from 'zod'
import { configResultSchemas } from '../config/result-schemas.js'
import { migrateResultSchemas } from '../migrate/result-schemas.js'
import { releaseResultSchemas } from '../release/result-schemas.js'
import { topologyResultSchemas } from '../topology/result-schemas.js'
import { componentMove, rolloutStrategy, waves } from './result-rows.js'

const clusterTarget = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sandbox') }),
  z.object({ type: z.literal('aks'), subscription: z.string(), resourceGroup: z.string(), cluster: z.string() }),
  z.object({ type: z.literal('kubeContext'), context: z.string() }),
  z.object({ type: z.literal('containerApps'), subscription: z.string(), resourceGroup: z.string(), environment: z.string(), sandbox: z.boolean() }),
])

export const componentSummary = z.object({
  name: z.string(),
  displayName: z.string(),
  kind: z.enum(['service', 'worker']),
  aliases: z.array(z.string()),
  public: z.boolean(),
  port: z.number().int(),
  dependsOn: z.array(z.string()).describe('Names (not aliases) of the components this one depends on'),
})

export const environmentSummary = z.object({
  name: z.string(),
  description: z.string().nullable(),
  protected: z.boolean(),
  default: z.boolean(),
  cloud: z.string(),
  regions: z.array(z.object({ name: z.string(), primary: z.boolean(), namespace: z.string(), cluster: clusterTarget, clusterDescription: z.string() })),
  serviceBusNamespace: z.string().nullable(),
  keyVaultUrl: z.string().nullable(),
  database: z.object({ engine: z.string().nullable(), source: z.string() }),
})

const sandboxRegion = z.object({ region: z.string(), endpoint: z.string(), kubeconfigPath: z.string(), context: z.string(), up: z.boolean() })

const sandboxStatus = z.object({
  running: z.boolean(),
  dataDir: z.string(),
  pid: z.number().int().nullable(),
  startedAt: z.string().nullable(),
  uptimeSeconds: z.number().nullable(),
  endpoints: z
    .object({
      kubernetes: z.string(),
      serviceBus: z.string().optional().describe('Service Bus administration (ATOM) endpoint'),
      keyVault: z.string().optional().describe('Key Vault secrets endpoint'),
      arm: z.string().optional().describe('Azure Resource Manager endpoint (managedClusters)'),
      postgres: z.string().optional().describe('The embedded PostgreSQL (PGlite); starts on first use'),
    })
    .nullable(),
  kubeconfig: z.string(),
  objects: z.record(z.string(), z.number().int()),
  log: z.string(),
  regions: z.array(sandboxRegion).optional().describe('Regional clusters started so far (multi-region environments such as local-multi)'),
})

const fault = z.object({ id: z.string(), type: z.enum(['pod', 'api']) }).passthrough()

const gateResult = z.object({ gate: z.enum(['progress', 'pods', 'readiness', 'bake']), status: z.enum(['passed', 'failed', 'pending']), reason: z.string() })

const deployPlan = z.object({
  regions: z.array(
    z.object({
      region: z.string(),
      components: z.array(
        z.object({
          component: z.string(),
          from: z.string().nullable(),
          to: z.string().nullable(),
          revision: z.number().int().nullable(),
          changes: z.boolean(),
          strategy: rolloutStrategy,
          canarySteps: z.array(z.object({ weight: z.number(), canaryReplicas: z.number().int() })),
          blockers: z.array(z.string()),
          notes: z.array(z.string()),
        }),
      ),
    }),
  ),
  waves,
  blockers: z.array(z.string()),
})

const deployItem = z.object({
  ...componentMove.shape,
  outcome: z.enum(['deployed', 'unchanged', 'rolled-back', 'rollback-failed', 'failed', 'not-started', 'interrupted', 'paused']),
  reason: z.string(),
  gates: z.array(gateResult),
  durationMs: z.number(),
  undo: z.string().nullable(),
  rollback: z.object({ toRevision: z.number().int(), outcome: z.enum(['healthy', 'unhealthy']), reason: z.string(), durationMs: z.number() }).nullable(),
})

const health = z.enum(['Healthy', 'Degraded', 'Unhealthy'])
// A roll-up (a component in a region, a component, a region, the environment) is Unknown when a region could not be read.
const rolledUp = z.enum(['Healthy', 'Degraded', 'Unhealthy', 'Unknown'])
const healthCounts = z.object({ Healthy: z.number().int(), Degraded: z.number().int(), Unhealthy: z.number().int(), Unknown: z.number().int() })

const healthModel = z.object({
  environment: z.string(),
  health: rolledUp,
  regions: z.array(
    z.object({
      region: z.string(),
      reachable: z.boolean(),
      health: rolledUp,
      error: z.string().nullable(),
      exitCode: z.number().int().nullable(),
      counts: healthCounts.describe("The components' lines in this region by state (all Unknown when it is unreachable)"),
    }),
  ),
  components: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['service', 'worker']),
      health: rolledUp,
      regions: z.array(
        z.object({
          region: z.string(),
          health: rolledUp,
          explanation: z.string(),
          replicas: z.object({ desired: z.number().int(), ready: z.number().int(), updated: z.number().int(), available: z.number().int() }),
          rolloutInProgress: z.boolean(),
          conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().nullable() })),
          pods: z.array(z.object({ name: z.string(), phase: z.string(), ready: z.boolean(), restarts: z.number().int(), reason: z.string().nullable() })),
          probes: z.array(
            z.object({
              kind: z.enum(['ready', 'live', 'url']),
              target: z.string(),
              health,
              httpStatus: z.number().int().nullable(),
              durationMs: z.number(),
              summary: z.string(),
              report: z
                .object({
                  status: z.string(),
                  entries: z.array(z.object({ name: z.string(), status: z.string(), duration: z.string().nullable(), description: z.string().nullable() })),
                })
                .nullable(),
              error: z.string().nullable(),
              explainOnly: z.boolean(),
              at: z.string().describe('When the answer came (ISO 8601)'),
            }),
          ),
          observedAt: z.string().describe('When the Kubernetes state behind this line was read (ISO 8601)'),
          // The autoscaler's view (HPA or KEDA ScaledObject targeting the Deployment), null when none does.
          scaling: z
            .object({
              kind: z.enum(['HorizontalPodAutoscaler', 'ScaledObject']),
              name: z.string(),
              minReplicas: z.number().int(),
              maxReplicas: z.number().int(),
              currentReplicas: z.number().int().nullable(),
              desiredReplicas: z.number().int().nullable(),
              metric: z.string().nullable(),
              atMaxSince: z.string().nullable(),
              conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().nullable(), message: z.string().nullable(), lastTransitionTime: z.string().nullable() })),
              backlog: z
                .object({
                  entity: z.string(),
                  active: z.number().int().nullable(),
                  change: z.number().int().nullable(),
                  overSeconds: z.number().nullable(),
                  trend: z.enum(['growing', 'shrinking', 'steady', 'unknown']),
                  messagesPerReplica: z.number(),
                  wantsReplicas: z.number().int().nullable(),
                })
                .nullable(),
              health,
              summary: z.string(),
            })
            .nullable(),
        }),
      ),
      backlog: z.array(
        z.object({ entity: z.string(), active: z.number().int().nullable(), deadLetter: z.number().int().nullable(), health, summary: z.string(), at: z.string().describe('When the counts were read (ISO 8601)') }),
      ),
    }),
  ),
  counts: healthCounts.describe('Components by their rolled-up health'),
  durationMs: z.number(),
  checkedAt: z.string().describe('When this roll-up was made (ISO 8601)'),
})

export const resultSchemas = {
  'components list': z.object({ platform: z.string(), source: z.string(), components: z.array(componentSummary) }),
  'env list': z.object({ source: z.string(), environments: z.array(environmentSummary) }),
  'env show': z.object({ source: z.string(), environment: environmentSummary }),
  init: z.object({ directory: z.string(), written: z.array(z.string()), overwritten: z.array(z.string()) }),
  'sandbox start': sandboxStatus.extend({ alreadyRunning: z.boolean() }),
  'sandbox stop': z.object({ dataDir: z.string(), stopped: z.boolean() }),
  'sandbox status': sandboxStatus,
  'sandbox reset': sandboxStatus,
  'sandbox fault set': z.object({ fault }),
  'sandbox fault api': z.object({ fault }),
  'sandbox fault list': z.object({ faults: z.array(fault) }),
  'sandbox fault clear': z.object({ deleted: z.number().int() }),
  'sandbox region list': z.object({ regions: z.array(sandboxRegion) }),
  'sandbox region down': z.object({ region: sandboxRegion }),
  'sandbox region up': z.object({ region: sandboxRegion }),
  health: healthModel,
  login: z.object({
    environment: z.string(),
    identity: z.string(),
    checks: z.array(
      z.object({
        check: z.enum(['cluster', 'serviceBus', 'keyVault', 'database']),
        region: z.string().nullable(),
        target: z.string(),
        status: z.enum(['ok', 'failed', 'skipped']),
        detail: z.string(),
        exitCode: z.number().int().nullable(),
        hints: z.array(z.string()),
        durationMs: z.number(),
      }),
    ),
  }),
  history: z.object({
    environment: z.string(),
    component: z.string(),
    regions: z.array(
      z.object({
        region: z.string(),
        revisions: z.array(
          z.object({
            revision: z.number().int(),
            current: z.boolean(),
            image: z.string().nullable(),
            replicaSet: z.string(),
            createdAt: z.string().nullable(),
            deployedAt: z.string().nullable(),
            deployedBy: z.string().nullable(),
            reason: z.string().nullable(),
            changeCause: z.string().nullable(),
            gitSha: z.string().nullable(),
            runUrl: z.string().nullable(),
            verdict: z.enum(['pending', 'passed', 'rolled-back', 'failed', 'external']),
            verdictReason: z.string().nullable(),
            formerRevisions: z.array(z.number().int()),
            replicas: z.number().int(),
          }),
        ),
      }),
    ),
  }),
  rollback: z.object({
    environment: z.string(),
    component: z.string(),
    regions: z.array(
      z.object({
        region: z.string(),
        fromRevision: z.number().int().nullable(),
        fromImage: z.string().nullable(),
        toRevision: z.number().int(),
        toImage: z.string().nullable(),
        why: z.string().optional().describe("Why this target in this region: its own last good revision, or the lead region's image"),
        outcome: z.enum(['rolled-back', 'unhealthy', 'not-waited', 'unchanged']),
        reason: z.string(),
        durationMs: z.number(),
        newRevision: z.number().int().nullable(),
      }),
    ),
  }),
  'lock status': z.object({
    environment: z.string(),
    locks: z.array(
      z.object({
        region: z.string(),
        name: z.string(),
        component: z.string(),
        holder: z.string().nullable(),
        operation: z.string().nullable(),
        reason: z.string().nullable(),
        acquiredAt: z.string().nullable(),
        renewedAt: z.string().nullable(),
        expiresAt: z.string().nullable(),
        expired: z.boolean(),
      }),
    ),
  }),
  'lock break': z.object({
    environment: z.string(),
    component: z.string(),
    brokenBy: z.string(),
    reason: z.string(),
    regions: z.array(z.object({ region: z.string(), broken: z.boolean(), holder: z.string().nullable() })),
  }),
  'deploy service': z.object({
    environment: z.string(),
    image: z.string(),
    strategy: rolloutStrategy,
    planOnly: z.boolean(),
    changed: z.boolean(),
    plan: deployPlan,
    items: z.array(deployItem),
  }),
} as const

/** Every command's result schema: the ones above plus those the topology, config and migrate modules declare. */
export const allResultSchemas: Record<string, z.ZodType> = { ...resultSchemas, ...topologyResultSchemas, ...configResultSchemas, ...migrateResultSchemas, ...releaseResultSchemas }

export type CommandId = keyof typeof resultSchemas
export type ResultOf<Id extends CommandId> = z.infer<(typeof resultSchemas)[Id]>

/** The full envelope schema for a command, as published in schemas/results/. */
export function envelopeSchema(id: string) {
  const failure = z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), exitCode: z.number().int(), message: z.string(), hints: z.array(z.string()) }),
    result: z.unknown(),
    warnings: z.array(z.string()),
  })
  const success = z.object({ ok: z.literal(true), result: allResultSchemas[id]!, warnings: z.array(z.string()) })
  return z.union([success, failure])
}
