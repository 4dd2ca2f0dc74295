// templates/pipelines/*.yml: they parse, have the build → staging → gate → prod-with-approval shape, sign in to
// Azure with workload identity federation, and every mkt command line in them is one the built CLI accepts: the
// command exists (its --help exits 0) and every flag the line passes is one of that command's flags.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { repoRoot, runMkt } from '../helpers/cli.js'

const dir = join(repoRoot, 'templates', 'pipelines')
const files = readdirSync(dir).filter((f) => f.endsWith('.yml'))

/** Every string value anywhere in a parsed document. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node]
  if (Array.isArray(node)) return node.flatMap(strings)
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings)
  return []
}

/** The mkt command lines in a pipeline's scripts, as words (pipeline expressions kept as single words). */
function mktLines(document: unknown): string[][] {
  return strings(document)
    .flatMap((text) => text.split('\n'))
    .map((line) => line.trim())
    .filter((line) => /^mkt\s/.test(line))
    .map((line) => (line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).slice(1))
}

describe('templates/pipelines', () => {
  it('ships a GitHub Actions and an Azure Pipelines template', () => {
    expect(files.sort()).toEqual(['azure-pipelines.yml', 'github-actions.yml'])
  })

  it('GitHub Actions: build → staging → gate → prod behind an environment, OIDC sign-in', () => {
    const workflow = parse(readFileSync(join(dir, 'github-actions.yml'), 'utf8')) as { permissions: Record<string, string>; jobs: Record<string, { needs?: string; environment?: string; steps: Array<{ uses?: string; with?: Record<string, string> }> }> }
    expect(Object.keys(workflow.jobs)).toEqual(['build', 'staging', 'gate', 'prod'])
    expect([workflow.jobs.staging!.needs, workflow.jobs.gate!.needs, workflow.jobs.prod!.needs]).toEqual(['build', 'staging', 'gate'])
    expect(workflow.jobs.prod!.environment).toBe('prod')
    expect(workflow.permissions['id-token']).toBe('write')
    const login = workflow.jobs.prod!.steps.find((s) => s.uses?.startsWith('azure/login'))!
    expect(Object.keys(login.with!).sort()).toEqual(['client-id', 'subscription-id', 'tenant-id'])
  })

  it('Azure Pipelines: build → staging → gate → prod deployment job on an environment, AzureCLI with a service connection', () => {
    const pipeline = parse(readFileSync(join(dir, 'azure-pipelines.yml'), 'utf8')) as { stages: Array<{ stage: string; dependsOn?: string; jobs: Array<{ deployment?: string; environment?: string }> }> }
    expect(pipeline.stages.map((s) => s.stage)).toEqual(['build', 'staging', 'gate', 'prod'])
    expect(pipeline.stages.map((s) => s.dependsOn ?? null)).toEqual([null, 'build', 'staging', 'gate'])
    expect(pipeline.stages[3]!.jobs[0]).toMatchObject({ deployment: 'release', environment: 'prod' })
    expect(readFileSync(join(dir, 'azure-pipelines.yml'), 'utf8')).toMatch(/AzureCLI@2/)
  })

  for (const file of files) {
    it(`${file}: every mkt command line names a command and flags that exist`, async () => {
      const lines = mktLines(parse(readFileSync(join(dir, file), 'utf8')))
      expect(lines.length).toBeGreaterThanOrEqual(4)
      for (const words of lines) {
        const command = words.filter((w, i) => !w.startsWith('-') && words.slice(0, i).every((p) => !p.startsWith('-')))
        const help = await runMkt([...command, '--help'], { timeoutMs: 60_000 })
        expect(help.exitCode, `mkt ${command.join(' ')} --help: ${help.stderr}`).toBe(0)
        expect(help.stdout).toMatch(/USAGE/)
        for (const flag of words.filter((w) => /^--?[a-z]/.test(w)).map((w) => w.replace(/=.*$/, ''))) {
          expect(help.stdout, `mkt ${command.join(' ')} has no flag ${flag}`).toMatch(new RegExp(`(^|[\\s,\\[])${flag}[\\s=,\\]]`, 'm'))
        }
      }
    }, 180_000)
  }
})
