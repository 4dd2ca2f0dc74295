// The --json contract of each command: the shape of `result` in `{ ok: true, result, warnings }`.
// schemas/results/<command>.schema.json is generated from these (`npm run schemas`); tests validate real
// CLI output against the committed files and fail when they are stale.
import { z } from 'zod'

const clusterTarget = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sandbox') }),
  z.object({ type: z.literal('aks'), subscription: z.string(), resourceGroup: z.string(), cluster: z.string() }),
  z.object({ type: z.literal('kubeContext'), context: z.string() }),
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

const sandboxStatus = z.object({
  running: z.boolean(),
  dataDir: z.string(),
  pid: z.number().int().nullable(),
  startedAt: z.string().nullable(),
  uptimeSeconds: z.number().nullable(),
  endpoints: z.object({ kubernetes: z.string() }).nullable(),
  kubeconfig: z.string(),
  objects: z.record(z.string(), z.number().int()),
  log: z.string(),
})

const fault = z.object({ id: z.string(), type: z.enum(['pod', 'api']) }).passthrough()

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
} as const

export type CommandId = keyof typeof resultSchemas
export type ResultOf<Id extends CommandId> = z.infer<(typeof resultSchemas)[Id]>

/** The full envelope schema for a command, as published in schemas/results/. */
export function envelopeSchema(id: CommandId) {
  const failure = z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), exitCode: z.number().int(), message: z.string(), hints: z.array(z.string()) }),
    result: z.unknown(),
    warnings: z.array(z.string()),
  })
  const success = z.object({ ok: z.literal(true), result: resultSchemas[id], warnings: z.array(z.string()) })
  return z.union([success, failure])
}
