// Speaking the CI runner's language when mkt runs in GitHub Actions (GITHUB_ACTIONS=true) or Azure Pipelines
// (TF_BUILD=True): failures as annotations, progress phases as collapsible groups, a Markdown job summary, and
// every secret mkt reads handed to the runner's masker the moment it is read, before anything could print it.
//
// Workflow commands go to stderr: both runners read them from either stream, and stdout stays the result (or the
// one --json envelope). Everything is plain functions over an env, so tests drive them without a runner.
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redactor } from '../redact.js'
import { writeUnredacted } from './streams.js'

export type Runner = 'github' | 'azure'
type Env = Record<string, string | undefined>

export function runnerOf(env: Env = process.env): Runner | undefined {
  if (env.GITHUB_ACTIONS === 'true') return 'github'
  if ((env.TF_BUILD ?? '').toLowerCase() === 'true') return 'azure'
  return undefined
}

// GitHub's escaping of workflow command data and properties (actions/toolkit command.ts).
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
// Azure Pipelines' escaping of logging command values (azure-pipelines-task-lib).
const escapeAzure = (s: string) => s.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/]/g, '%5D').replace(/;/g, '%3B')

/** The line that tells the runner to mask `secret` in its log, per line of it (the runner masks line by line). */
export function maskCommands(runner: Runner, secret: string): string[] {
  return secret
    .split(/\r?\n/)
    .filter((line) => line.length > 0)
    .map((line) => (runner === 'github' ? `::add-mask::${escapeData(line)}` : `##vso[task.setvariable variable=MKT_MASKED_${Math.abs(hash(line))};issecret=true]${escapeAzure(line)}`))
}

const hash = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7)

export function errorAnnotation(runner: Runner, title: string, message: string): string {
  return runner === 'github' ? `::error title=${escapeProperty(title)}::${escapeData(message)}` : `##vso[task.logissue type=error]${escapeAzure(`${title}: ${message}`)}`
}

export function warningAnnotation(runner: Runner, message: string): string {
  return runner === 'github' ? `::warning::${escapeData(message)}` : `##vso[task.logissue type=warning]${escapeAzure(message)}`
}

export const groupStart = (runner: Runner, title: string) => (runner === 'github' ? `::group::${escapeData(title)}` : `##[group]${title}`)
export const groupEnd = (runner: Runner) => (runner === 'github' ? '::endgroup::' : '##[endgroup]')

let masking = false

/** From now on, every secret registered with the redactor is first handed to the runner's masker. */
export function maskSecretsForRunner(env: Env = process.env): void {
  const runner = runnerOf(env)
  if (!runner || masking) return
  masking = true
  redactor.onRegister((secret) => {
    for (const line of maskCommands(runner, secret)) writeUnredacted(process.stderr, `${line}\n`)
  })
}

/** Collapsible groups for the phases of a long command; one open at a time. */
export class PipelineGroups {
  private open = false
  constructor(private readonly runner: Runner | undefined) {}

  /** Starts `title` (closing the one open), or just closes with undefined. */
  phase(title: string | undefined): void {
    if (!this.runner) return
    if (this.open) process.stderr.write(`${groupEnd(this.runner)}\n`)
    this.open = title !== undefined
    if (title !== undefined) process.stderr.write(`${groupStart(this.runner, title)}\n`)
  }
}

/** Appends a Markdown job summary: GitHub's $GITHUB_STEP_SUMMARY file, or an Azure Pipelines uploaded summary. */
export function writeJobSummary(markdown: string, env: Env = process.env): string | undefined {
  const runner = runnerOf(env)
  // The summary goes through the redactor like everything mkt writes.
  const text = `${redactor.redact(markdown)}\n`
  if (runner === 'github' && env.GITHUB_STEP_SUMMARY) {
    appendFileSync(env.GITHUB_STEP_SUMMARY, text)
    return env.GITHUB_STEP_SUMMARY
  }
  if (runner === 'azure') {
    const file = join(env.AGENT_TEMPDIRECTORY || mkdtempSync(join(tmpdir(), 'mkt-summary-')), `mkt-summary-${process.pid}.md`)
    writeFileSync(file, text)
    process.stderr.write(`##vso[task.uploadsummary]${file}\n`)
    return file
  }
  return undefined
}
