import { Flags } from '@oclif/core'
import { checkLogin, loginExitCode, type LoginCheck } from '../src/azure/login.js'
import { timeoutFlag } from '../src/cli/duration-flag.js'
import { envFlag, MktCommand } from '../src/cli/mkt-command.js'
import { groupEqual, renderTable, sameAsEarlier } from '../src/cli/output.js'
import { parseDuration } from '../src/duration.js'
import { MktError, type ExitCodeValue } from '../src/errors.js'

const labelOf = (c: LoginCheck) => `${c.check}${c.region ? ` ${c.region}` : ''}`

export default class Login extends MktCommand<typeof Login> {
  static override summary = "Check this identity's access to an environment: ARM and each cluster, Service Bus, Key Vault, the database."
  static override description = `All checks run at once. Exit 0 when everything configured is reachable; otherwise 77 (a permission or sign-in
problem), 69 (something unreachable) or 78 (missing configuration), with a hint per failed line.
--auth picks the Azure credential: default (DefaultAzureCredential), cli (az login), workload (federated token in
a pipeline), managed (managed identity), environment (AZURE_CLIENT_SECRET…), device (device code on a terminal).`
  static override flags = {
    env: envFlag,
    auth: Flags.string({ summary: 'Azure credential to use (default: auth in mkt.yaml, else default).', options: ['default', 'cli', 'workload', 'managed', 'environment', 'device'], env: 'MKT_AUTH' }),
    timeout: timeoutFlag({ summary: 'Per-check timeout.', default: parseDuration('10s'), env: 'MKT_TIMEOUT' }),
  }
  static override examples = ['<%= config.bin %> login', '<%= config.bin %> login --env prod --auth cli', '<%= config.bin %> login --env staging --json']

  async run() {
    const { platform } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const { identity, checks } = await checkLogin(platform, environment, { ...(this.flags.auth ? { auth: this.flags.auth } : {}), timeoutMs: this.flags.timeout })
    const mark = { ok: '✓ ok', failed: '✗ failed', skipped: '- skipped' } as const
    this.out.result(
      renderTable(checks, [
        { header: 'check', get: (c) => c.check },
        { header: 'region', get: (c) => c.region ?? '*' },
        { header: 'status', get: (c) => mark[c.status], style: (c) => (c.status === 'ok' ? 'green' : c.status === 'failed' ? 'red' : undefined) },
        { header: 'detail', get: sameAsEarlier(checks, (c) => c.detail, labelOf) },
      ], this.out),
    )
    const hints = checks.filter((c) => c.status === 'failed').flatMap((c) => c.hints.map((text) => ({ label: labelOf(c), text })))
    for (const { labels, text } of groupEqual(hints)) this.out.info(`${labels.join(', ')}: ${text}`)
    const result = { environment: environment.name, identity, checks }
    const code = loginExitCode(checks)
    if (code !== 0) {
      const failed = checks.filter((c) => c.status === 'failed')
      throw new MktError(code === 77 ? 'AUTH' : code === 69 ? 'UNAVAILABLE' : code === 78 ? 'CONFIG' : 'FAILED', code as ExitCodeValue, `${failed.length} of ${checks.length} checks failed in ${environment.name} (first: ${failed[0]!.check}: ${failed[0]!.detail})`, {
        result,
        hints: [...new Set(failed.flatMap((c) => c.hints))].slice(0, 3),
      })
    }
    return result
  }
}
