// Row shapes that more than one command's --json result uses (deploy and release report the same moves).
// Their own module, not result-schemas.ts: that one imports the per-topic schema modules, which import these.
import { z } from 'zod'

export const regionComponent = z.object({ region: z.string(), component: z.string() })

/** Waves of (region, component): everything in a wave runs together, after every earlier wave. */
export const waves = z.array(z.array(regionComponent))

export const rolloutStrategy = z.enum(['rolling', 'canary'])

/** A component's move in one region: image and Deployment revision, before and after. */
export const componentMove = z.object({
  ...regionComponent.shape,
  from: z.string().nullable(),
  to: z.string().nullable(),
  fromRevision: z.number().int().nullable(),
  toRevision: z.number().int().nullable(),
})
