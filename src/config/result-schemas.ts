// The --json result schemas of the `mkt config …` commands (merged into src/cli/result-schemas.ts).
import { z } from 'zod'

const dataDiff = z.object({
  added: z.array(z.object({ key: z.string(), value: z.string() })),
  changed: z.array(z.object({ key: z.string(), from: z.string(), to: z.string() })),
  removed: z.array(z.object({ key: z.string(), value: z.string() })),
})
const secretState = z.enum(['present', 'missing', 'changed', 'unchanged', 'deleted'])

export const configResultSchemas: Record<string, z.ZodType> = {
  'config plan': z.object({
    environment: z.string(),
    changed: z.boolean(),
    components: z.array(
      z.object({
        component: z.string(),
        region: z.string(),
        configMap: z.string(),
        data: dataDiff,
        envFromWired: z.boolean(),
        secrets: z.array(z.object({ name: z.string(), key: z.string(), state: secretState })),
        files: z.array(z.string()),
        checksum: z.string(),
      }),
    ),
  }),
  'config push': z.object({
    environment: z.string(),
    configMaps: z.array(
      z.object({
        component: z.string(),
        region: z.string(),
        configMap: z.string(),
        changed: z.boolean(),
        envFromAdded: z.boolean().describe('The Deployment was wired to the ConfigMap (envFrom), by a --restart rollout'),
        waitingForRestart: z.boolean().describe('Its running pods do not have this configuration and no rollout was run (push again with --restart)'),
        checksum: z.string(),
      }),
    ),
    secrets: z.array(z.object({ name: z.string(), outcome: z.enum(['unchanged', 'created', 'updated', 'recovered']) })),
    restarts: z.array(z.object({ region: z.string(), component: z.string(), outcome: z.string(), reason: z.string(), fromRevision: z.number().int().nullable(), toRevision: z.number().int().nullable() })),
  }),
  'config get': z.object({ environment: z.string(), component: z.string(), files: z.array(z.string()), entries: z.array(z.object({ key: z.string(), value: z.string(), source: z.string() })) }),
}
