import { Flags } from '@oclif/core'

/** --git-sha and --run-url: where a release comes from (default: the CI variables; see rollout/audit.ts provenance). */
export const provenanceFlags = {
  'git-sha': Flags.string({ summary: 'Commit being released (default: from CI variables).', env: 'MKT_GIT_SHA' }),
  'run-url': Flags.string({ summary: 'Pipeline run URL (default: from CI variables).', env: 'MKT_RUN_URL' }),
}
