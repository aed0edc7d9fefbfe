/** The settings file of a benchmark organization: a file sink, every kind pruned. */

export interface BenchSettings {
  readonly instance: string;
  /** source.dir, as written (relative to the settings file, or absolute). */
  readonly dir: string;
  /** The lines under `scaleway:`, indented by two spaces. */
  readonly scaleway: string;
  /** More top-level lines, appended as written. */
  readonly extra?: string;
}

export function benchSettingsYaml(s: BenchSettings): string {
  return `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: ${s.instance}
source:
  dir: ${s.dir}
scaleway:
${s.scaleway}
sinks:
  - name: local
    type: file
    dir: secrets
    format: dotenv
defaults:
  sink: local
prune: { Project: true, Application: true, Group: true, Policy: true, ApiKey: true }
${s.extra ?? ''}`;
}

/** The `scaleway:` lines for a sandbox in another process. */
export function sandboxApi(ready: { readonly url: string; readonly organizationId: string }): string {
  return `  apiUrl: ${ready.url}\n  organizationId: ${ready.organizationId}`;
}
