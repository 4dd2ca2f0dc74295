// The --json result schemas of the `mkt config …` commands (merged into src/cli/result-schemas.ts).
import type { z } from 'zod'

export const configResultSchemas: Record<string, z.ZodType> = {}
