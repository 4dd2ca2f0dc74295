// The --json result schemas of the `mkt topology …` commands (merged into src/cli/result-schemas.ts).
import type { z } from 'zod'

export const topologyResultSchemas: Record<string, z.ZodType> = {}
