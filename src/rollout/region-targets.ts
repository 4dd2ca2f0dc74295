// Where a rollback goes in each region. Revision numbers are per region (each cluster's Deployment counts its
// own), so after a region-only deploy or a rollback in one region the same image has different numbers in
// different regions: a multi-region rollback agrees on an *image*, not a number. The lead region (the first in
// rollout order: the primary) picks its target as a one-region rollback does (its newest verified revision
// before the current one); every other region goes to its own newest verified revision of that image, and says
// which number that is there. A region already running that image is left as it is.
import { rollbackTarget, type ReleaseEntry, type RollbackRefusal } from './history.js'

export type RegionTarget =
  | { region: string; ok: true; target: ReleaseEntry; from?: ReleaseEntry; why: string }
  | { region: string; ok: true; unchanged: true; from?: ReleaseEntry; why: string }
  | { region: string; ok: false; reason: RollbackRefusal | 'image-not-in-region'; message: string }

const describe = (entry: ReleaseEntry | undefined): string => (entry === undefined ? 'nothing' : `revision ${entry.revision} (${entry.image ?? 'no image'})`)

/** The target of every region, lead region first (`regions` in rollout order, primary first). */
export function regionTargets(regions: ReadonlyArray<{ region: string; history: readonly ReleaseEntry[] }>, options: { toRevision?: number } = {}): RegionTarget[] {
  const [lead, ...others] = regions
  if (lead === undefined) return []
  const leadTarget = rollbackTarget(lead.history, options)
  if (!leadTarget.ok) return [{ region: lead.region, ok: false, reason: leadTarget.reason, message: leadTarget.message }]
  const leadWhy = options.toRevision !== undefined ? `--to-revision ${options.toRevision}` : 'its newest verified revision before the current one'
  const first: RegionTarget = { region: lead.region, ok: true, target: leadTarget.target, ...(leadTarget.from ? { from: leadTarget.from } : {}), why: leadWhy }
  return [first, ...others.map(({ region, history }) => sameImageTarget(region, history, lead.region, leadTarget.target))]
}

/** A region's newest verified revision of the lead's target image; unchanged when it runs that image already. */
export function sameImageTarget(region: string, history: readonly ReleaseEntry[], leadRegion: string, leadTarget: ReleaseEntry): RegionTarget {
  const image = leadTarget.image
  const from = history.find((entry) => entry.current)
  const withFrom = from === undefined ? {} : { from }
  const leadSays = `${leadRegion}'s target is ${describe(leadTarget)}`
  if (from !== undefined && from.image === image) return { region, ok: true, unchanged: true, ...withFrom, why: `already runs ${image} (${describe(from)}); ${leadSays}` }
  const sameImage = [...history].filter((entry) => entry.image === image && !entry.current).sort((a, b) => b.revision - a.revision)
  const verified = sameImage.find((entry) => entry.verdict === 'passed')
  if (verified !== undefined) {
    const numbers = verified.revision === leadTarget.revision ? '' : ` (revision numbers differ per region: ${verified.revision} here, ${leadTarget.revision} in ${leadRegion})`
    return { region, ok: true, target: verified, ...withFrom, why: `the same image as ${leadRegion}: its newest verified revision of ${image}${numbers}` }
  }
  const unverified = sameImage.map((entry) => `${entry.revision} ${entry.verdict}`).join(', ')
  return {
    region,
    ok: false,
    reason: 'image-not-in-region',
    message:
      sameImage.length === 0
        ? `${region} never ran ${image} (${leadSays}), so it cannot go to the same image; revisions there: ${history.map((e) => `${e.revision} ${e.image ?? ''}`.trim()).join(', ') || 'none'}`
        : `${region} ran ${image} only in unverified revisions (${unverified}); ${leadSays}`,
  }
}
