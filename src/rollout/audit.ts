// Who is deploying, from where, and why: the holder of locks and the author recorded on each release.
import { hostname, userInfo } from 'node:os'
import { holderIdentity } from '../kube/lease-logic.js'

type Env = Record<string, string | undefined>

export function currentUser(env: Env = process.env): string {
  if (env.MKT_USER) return env.MKT_USER
  try {
    return userInfo().username || env.USER || 'unknown'
  } catch {
    return env.USER || env.USERNAME || 'unknown'
  }
}

/** The pipeline run, when mkt runs in one (GitHub Actions, Azure Pipelines, GitLab). */
export function ciRunId(env: Env = process.env): string | undefined {
  return env.GITHUB_RUN_ID || env.BUILD_BUILDID || env.CI_PIPELINE_ID || undefined
}

export function ciRunUrl(env: Env = process.env): string | undefined {
  if (env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY) return `${env.GITHUB_SERVER_URL || 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
  if (env.BUILD_BUILDID && env.SYSTEM_COLLECTIONURI && env.SYSTEM_TEAMPROJECT) {
    return `${env.SYSTEM_COLLECTIONURI}${encodeURIComponent(env.SYSTEM_TEAMPROJECT)}/_build/results?buildId=${env.BUILD_BUILDID}`
  }
  return env.CI_PIPELINE_URL || undefined
}

export function ciGitSha(env: Env = process.env): string | undefined {
  return env.GITHUB_SHA || env.BUILD_SOURCEVERSION || env.CI_COMMIT_SHA || undefined
}

/** `user@host` (the author of a release). */
export function whoAmI(env: Env = process.env): string {
  return `${currentUser(env)}@${hostname()}`
}

/** `user@host/pid[/run-ID]`: the lock holder, unique per process. */
export function lockIdentity(env: Env = process.env): string {
  const run = ciRunId(env)
  return holderIdentity({ user: currentUser(env), host: hostname(), pid: process.pid, ...(run ? { ciRunId: run } : {}) })
}

/** The commit and pipeline run of a release: the flags when given, else what the CI variables say. */
export function provenance(flags: { gitSha?: string; runUrl?: string }, env: Env = process.env): { gitSha?: string; runUrl?: string } {
  const gitSha = flags.gitSha ?? ciGitSha(env)
  const runUrl = flags.runUrl ?? ciRunUrl(env)
  return { ...(gitSha ? { gitSha } : {}), ...(runUrl ? { runUrl } : {}) }
}
