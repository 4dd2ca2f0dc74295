// The --json result schemas of the `mkt topics …` commands (merged into src/cli/result-schemas.ts).
import { z } from 'zod'

const value = z.union([z.string(), z.number(), z.boolean()])
const change = z.object({
  action: z.enum(['create', 'update', 'delete']),
  kind: z.enum(['queue', 'topic', 'subscription', 'rule']),
  key: z.string(),
  fields: z.array(z.object({ field: z.string(), from: value.nullable(), to: value })),
})

export const topologyResultSchemas: Record<string, z.ZodType> = {
  'sandbox fault servicebus': z.object({ entities: z.array(z.object({ entity: z.string(), counts: z.record(z.string(), z.number()) })) }),
  'topics plan': z.object({ environment: z.string(), namespace: z.string(), file: z.string(), changes: z.array(change), unmanaged: z.array(change) }),
  'topics apply': z.object({
    environment: z.string(),
    namespace: z.string(),
    file: z.string(),
    applied: z.array(change),
    failed: z.array(change.extend({ error: z.string() })),
    skipped: z.array(change.extend({ error: z.string() })),
    unmanaged: z.array(change),
  }),
  'topics list': z.object({
    environment: z.string(),
    namespace: z.string(),
    entities: z.array(
      z.object({
        kind: z.enum(['queue', 'topic', 'subscription']),
        name: z.string(),
        settings: z.record(z.string(), value),
        counts: z.object({ active: z.number().int(), deadLetter: z.number().int(), scheduled: z.number().int() }).nullable(),
      }),
    ),
  }),
}
