// release.yaml parsing, GitOps ownership and the CI runner's workflow commands: pure functions.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync as read } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { vi } from 'vitest'
import { errorAnnotation, groupEnd, groupStart, maskCommands, runnerOf, writeJobSummary } from '../../src/cli/pipeline.js'
import { builtInPlatformPath } from '../../src/platform/load.js'
import { parsePlatform } from '../../src/platform/parse.js'
import { parseReleaseManifest } from '../../src/release/manifest.js'
import { releaseSummaryMarkdown } from '../../src/release/summary.js'
import { emptySteps, type ReleaseRecord } from '../../src/release/record.js'
import { gitopsOwnerOf } from '../../src/rollout/gitops.js'
import { errorOf } from '../helpers/errors.js'

const platform = parsePlatform(readFileSync(builtInPlatformPath(), 'utf8'), 'mkt.yaml')
const parse = (text: string) => parseReleaseManifest(text, '/work/release.yaml', platform)

describe('release.yaml', () => {
  it('resolves aliases, images, strategies, bakes and relative paths', () => {
    const m = parse(`name: m\nversion: '1'\nbake: 20s\nmigrations:\n  sql: db\nconfiguration: {}\ncomponents:\n  catalog:\n    image: 2.0.0\n  search:\n    image: 2.1.0\n    strategy: { type: canary, steps: [25], bake: 1m }\n`)
    expect(m.components.map((c) => [c.component.name, c.image, c.strategy, c.canarySteps, c.bakeMs])).toEqual([
      ['marketplace-catalog-service', '2.0.0', 'rolling', undefined, 20_000],
      ['marketplace-search-service', '2.1.0', 'canary', [25, 100], 60_000],
    ])
    expect(m.migrations).toEqual({ kind: 'sql', dir: '/work/db' })
    expect(m.configuration!.components.map((c) => c.name)).toEqual(['marketplace-catalog-service', 'marketplace-search-service'])
    expect(m.configuration!.restart).toBe(true)
    expect(m.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it.each([
    ['name: m\nversion: 1\ncomponents:\n  nope:\n    image: 2.0.0\n', /components\.nope: unknown component "nope"/],
    ['name: m\nversion: 1\ncomponents:\n  catalog:\n    image: "Bad Image"\n', /components\.catalog\.image: invalid image reference/],
    ['name: m\nversion: 1\nmigrations: { sql: a, image: b }\n', /exactly one of sql/],
    ['name: m\nversion: 1\ncomponents:\n  catalog: { image: 2.0.0, strategy: { steps: [10] } }\n', /steps need type: canary/],
    ['name: m\nversion: 1\nbake: soon\ncomponents:\n  catalog: { image: 2.0.0 }\n', /bake: /],
    ['name: m\nversion: 1\n', /changes nothing/],
    ['name: m\nversion: 1\ncomponents:\n  catalog: { image: 2.0.0 }\n  marketplace-catalog-service: { image: 2.0.0 }\n', /named twice/],
  ])('refuses %j with exit 65', (text, message) => {
    const error = errorOf(() => parse(text))
    expect(error.exitCode).toBe(65)
    expect(error.message).toMatch(message)
  })
})

describe('GitOps ownership', () => {
  const deployment = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({ metadata: { name: 'x', labels, annotations } })
  it('names Flux and Argo CD owners, and nothing else', () => {
    expect(gitopsOwnerOf(deployment({ 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' }))).toBe('Flux Kustomization flux-system/apps')
    expect(gitopsOwnerOf(deployment({ 'helm.toolkit.fluxcd.io/name': 'web' }))).toBe('Flux HelmRelease web')
    expect(gitopsOwnerOf(deployment({ 'argocd.argoproj.io/instance': 'shop' }))).toBe('Argo CD application shop')
    expect(gitopsOwnerOf(deployment({}, { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:marketplace/x' }))).toBe('Argo CD application shop')
    expect(gitopsOwnerOf(deployment({ app: 'x', 'app.kubernetes.io/managed-by': 'Helm' }))).toBeUndefined()
  })
})

describe('CI runner commands', () => {
  it('detects the runner', () => {
    expect(runnerOf({ GITHUB_ACTIONS: 'true' })).toBe('github')
    expect(runnerOf({ TF_BUILD: 'True' })).toBe('azure')
    expect(runnerOf({ CI: 'true' })).toBeUndefined()
  })

  it('escapes data and properties the way the runners parse them', () => {
    expect(errorAnnotation('github', 'mkt release run (exit 80)', 'a: b, 100%\nnext')).toBe('::error title=mkt release run (exit 80)::a: b, 100%25%0Anext')
    expect(errorAnnotation('github', 'a:b,c', 'x')).toBe('::error title=a%3Ab%2Cc::x')
    expect(errorAnnotation('azure', 'mkt', 'bad]; x')).toBe('##vso[task.logissue type=error]mkt: bad%5D%3B x')
    expect([groupStart('github', 'Migrations'), groupEnd('github'), groupStart('azure', 'Migrations'), groupEnd('azure')]).toEqual(['::group::Migrations', '::endgroup::', '##[group]Migrations', '##[endgroup]'])
  })

  it('masks every line of a multi-line secret', () => {
    expect(maskCommands('github', 'line-one\nline-two')).toEqual(['::add-mask::line-one', '::add-mask::line-two'])
    expect(maskCommands('azure', 's3cret;]')[0]).toMatch(/^##vso\[task\.setvariable variable=MKT_MASKED_\d+;issecret=true\]s3cret%3B%5D$/)
  })
})

describe('job summary', () => {
  it('is Markdown of the record: steps, items, and how to roll back', () => {
    const record: ReleaseRecord = {
      id: '20261202-121530-a1b2', name: 'm', version: '2', environment: 'staging', primaryRegion: 'we', regions: ['we'], manifestDigest: 'sha256:x', startedBy: 'ci@runner', reason: 'PRJ|1', gitSha: 'abcdef1234567890', runUrl: null,
      startedAt: '', updatedAt: '', finishedAt: null, status: 'rolled-back', exitCode: 80, failure: 'we/search: CrashLoopBackOff', attempts: 1, steps: emptySteps(), migrations: null, configuration: [],
      items: [{ wave: 1, region: 'we', component: 'search', from: 'a:1', to: 'a:2', fromRevision: 1, toRevision: 2, changes: ['image'], outcome: 'rolled-back', reason: '', durationMs: 1 }],
    }
    const markdown = releaseSummaryMarkdown(record)
    expect(markdown).toMatch(/mkt release m 2 → staging: rolled-back/)
    expect(markdown).toContain('PRJ\\|1')
    expect(markdown).toContain('| 1 | we | search | a:1 | a:2 | image | rolled-back |')
    expect(markdown).toContain('mkt release rollback 20261202-121530-a1b2 --env staging')
  })
})

describe('writeJobSummary', () => {
  it('appends to $GITHUB_STEP_SUMMARY in GitHub Actions', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mkt-summary-')), 'summary.md')
    expect(writeJobSummary('# one', { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: file })).toBe(file)
    writeJobSummary('# two', { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: file })
    expect(read(file, 'utf8')).toBe('# one\n# two\n')
  })

  it('uploads a file with ##vso[task.uploadsummary] in Azure Pipelines, and does nothing elsewhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkt-agent-'))
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const file = writeJobSummary('# release', { TF_BUILD: 'True', AGENT_TEMPDIRECTORY: dir })!
      expect(read(file, 'utf8')).toBe('# release\n')
      expect(write).toHaveBeenCalledWith(`##vso[task.uploadsummary]${file}\n`)
      expect(writeJobSummary('# release', {})).toBeUndefined()
    } finally {
      write.mockRestore()
    }
  })
})
