// The --json result schemas of the `mkt migrate …` commands (merged into src/cli/result-schemas.ts).
import type { z } from 'zod'

export const migrateResultSchemas: Record<string, z.ZodType> = {}
