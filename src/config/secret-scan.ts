// Literal secrets in configuration files, by a maintained pattern set: secretlint's recommended preset
// (provider token formats such as AWS access key ids, GitHub/Slack/OpenAI/npm tokens, private keys, basic-auth
// and database URLs, kept up to date by its authors) over the text of each file. mkt's own checks by .NET key
// name and value shape (render.ts looksLikeSecret) cover what a provider pattern set cannot know.
type SecretLintCoreConfig = Parameters<(typeof import('@secretlint/core'))['lintSource']>[0]['options']['config']

export interface SecretFinding {
  /** Character offset of the finding in the text. */
  offset: number
  /** What matched, without the value: `aws/AWSAccessKeyID`. */
  rule: string
}

let config: Promise<SecretLintCoreConfig> | undefined

/** The preset, with the AWS rule's access-key-id scan switched on (off by default upstream). */
async function presetConfig(): Promise<SecretLintCoreConfig> {
  const { creator } = await import('@secretlint/secretlint-rule-preset-recommend')
  return { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator, rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }] }] }
}

/** Every place in `text` where the preset finds a credential. Messages are not kept: they quote the value. */
export async function scanForSecrets(text: string, filePath: string): Promise<SecretFinding[]> {
  const { lintSource } = await import('@secretlint/core')
  config ??= presetConfig()
  const result = await lintSource({ source: { filePath, content: text, contentType: 'text' }, options: { config: await config, maskSecrets: true } })
  return result.messages
    .map((message) => ({ offset: message.range[0], rule: `${message.ruleId.replace(/^@secretlint\/secretlint-rule-/, '')}/${message.messageId}` }))
    .sort((a, b) => a.offset - b.offset)
}
