import { describe, expect, it } from 'vitest'
import type { ReleaseEntry } from '../../src/rollout/history.js'
import { describeCell, historyByImage } from '../../src/rollout/history-regions.js'
import { regionTargets } from '../../src/rollout/region-targets.js'

const entry = (revision: number, image: string, verdict: ReleaseEntry['verdict'], extra: Partial<ReleaseEntry> = {}): ReleaseEntry => ({
  revision,
  replicaSet: `rs-${revision}`,
  image,
  images: [{ container: 'app', image }],
  verdict,
  current: false,
  formerRevisions: [],
  replicas: 0,
  ...extra,
})

// westeurope: 1.1.0 (r2) then 1.3.0 (r3). northeurope ran a restart (r2) and a 1.2.0 hotfix of its own (r4).
const west = [entry(1, 'app:1.0.0', 'external'), entry(2, 'app:1.1.0', 'passed'), entry(3, 'app:1.3.0', 'passed', { current: true })]
const north = [entry(1, 'app:1.0.0', 'external'), entry(2, 'app:1.0.0', 'external'), entry(3, 'app:1.1.0', 'passed'), entry(4, 'app:1.2.0', 'passed'), entry(5, 'app:1.3.0', 'passed', { current: true })]

describe('regionTargets: one image everywhere', () => {
  it("the lead goes to its last good revision; the others to their own revision of that image, not their own last good", () => {
    const [lead, other] = regionTargets([
      { region: 'westeurope', history: west },
      { region: 'northeurope', history: north },
    ])
    expect(lead).toMatchObject({ ok: true, target: { revision: 2, image: 'app:1.1.0' } })
    expect(other).toMatchObject({ ok: true, target: { revision: 3, image: 'app:1.1.0' }, from: { revision: 5 } })
    expect(other!.ok && other!.why).toMatch(/same image as westeurope.*3 here, 2 in westeurope/)
  })

  it('a region already on the image is left unchanged', () => {
    const behind = [entry(1, 'app:1.0.0', 'external'), entry(2, 'app:1.1.0', 'passed', { current: true })]
    const [, other] = regionTargets([
      { region: 'westeurope', history: west },
      { region: 'northeurope', history: behind },
    ])
    expect(other).toMatchObject({ ok: true, unchanged: true, from: { revision: 2 } })
  })

  it('refuses when a region never ran a verified revision of the image', () => {
    const never = [entry(1, 'app:1.0.0', 'external'), entry(2, 'app:1.3.0', 'passed', { current: true })]
    const unverified = [entry(1, 'app:1.1.0', 'external'), entry(2, 'app:1.3.0', 'passed', { current: true })]
    const [, a] = regionTargets([{ region: 'westeurope', history: west }, { region: 'northeurope', history: never }])
    const [, b] = regionTargets([{ region: 'westeurope', history: west }, { region: 'northeurope', history: unverified }])
    expect(a).toMatchObject({ ok: false, reason: 'image-not-in-region' })
    expect(!a!.ok && a!.message).toMatch(/northeurope never ran app:1\.1\.0/)
    expect(!b!.ok && b!.message).toMatch(/only in unverified revisions \(1 external\)/)
  })

  it('one region: the one-region rules, --to-revision included', () => {
    expect(regionTargets([{ region: 'local', history: west }], { toRevision: 1 })).toMatchObject([{ ok: true, target: { revision: 1 }, why: '--to-revision 1' }])
    expect(regionTargets([{ region: 'local', history: [entry(1, 'app:1.0.0', 'external', { current: true })] }])).toMatchObject([{ ok: false, reason: 'no-history' }])
  })
})

describe('historyByImage: regions side by side', () => {
  it('a row per image in order of first appearance, a cell per region', () => {
    const stamp = (e: ReleaseEntry, at: string) => ({ ...e, createdAt: at })
    const rows = historyByImage([
      { region: 'westeurope', revisions: west.map((e, i) => stamp(e, `2026-01-0${[1, 2, 4][i]}`)) },
      { region: 'northeurope', revisions: north.map((e, i) => stamp(e, `2026-01-0${[1, 1, 2, 3, 4][i]}`)) },
    ])
    expect(rows.map((r) => [r.image, describeCell(r.regions.westeurope!), describeCell(r.regions.northeurope!)])).toEqual([
      ['app:1.0.0', '1 external', '1 external, 2 external'],
      ['app:1.1.0', '2 passed', '3 passed'],
      ['app:1.2.0', '-', '4 passed'],
      ['app:1.3.0', '*3 passed', '*5 passed'],
    ])
    expect(describeCell([entry(6, 'app:1.1.0', 'passed', { current: true, formerRevisions: [3] })])).toBe('*6 (was 3) passed')
  })
})
