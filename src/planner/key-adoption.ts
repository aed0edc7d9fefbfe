/**
 * Taking over an existing key scw-gitops did not create (`spec.adoptAccessKey` with
 * `metadata.adopt`): the executor adds our marker with state `external` (its secret never passed
 * through us, so custody is not checked) plus the in-place fields. Its first rotation makes a
 * `ready` key. The key must exist, carry no marker, not be protected, and belong to the declared
 * application.
 */
import { defined } from '../model/defined.js';
import type { DesiredApiKey } from '../model/desired.js';
import { isProtected } from '../model/ownership.js';
import type { FieldChange, PlannedApiKey } from '../model/plan.js';
import type { PlanContext } from './context.js';
import { refIdentity } from './references.js';

export function planKeyAdoption(
  ctx: PlanContext,
  desired: DesiredApiKey,
  accessKey: string,
  planned: PlannedApiKey,
): void {
  const entry = ctx.index.keys.find((k) => k.key.accessKey === accessKey);
  const refuse = (code: string, message: string, field = 'spec.adoptAccessKey', hint?: string) =>
    ctx.diagnose({ severity: 'error', code, message, subject: desired, field, ...defined({ hint }) });
  if (!entry) {
    refuse(
      'adopt-key-not-found',
      `no API key ${accessKey} in the organization`,
      undefined,
      'remove spec.adoptAccessKey to create a new key instead',
    );
    return;
  }
  ctx.touch('ApiKey', accessKey);
  const key = entry.key;
  if (entry.marker && entry.marker.instance !== ctx.instance) {
    refuse('foreign-owner', `API key ${accessKey} belongs to scw-gitops instance "${entry.marker.instance}"`);
    return;
  }
  if (entry.marker) {
    refuse('adopt-key-taken', `API key ${accessKey} is already managed as ApiKey/${entry.marker.name}`);
    return;
  }
  if (isProtected(key)) {
    refuse(
      'protected-conflict',
      `API key ${accessKey} is managed by Scaleway or not editable; scw-gitops never changes it`,
    );
    return;
  }
  if (key.bearer.type !== 'application' || key.bearer.id !== refIdentity(planned.application)) {
    const owner =
      key.bearer.type === 'user'
        ? `user ${key.bearer.id}`
        : `application ${ctx.index.describeBearer(key.bearer)}`;
    refuse(
      'adopt-key-bearer',
      `API key ${accessKey} belongs to ${owner}, not application ${desired.application}`,
      'spec.application',
    );
    return;
  }
  const changes: FieldChange[] = [];
  if (entry.description !== desired.description) {
    changes.push({ field: 'description', before: entry.description, after: desired.description });
  }
  if (refIdentity(planned.defaultProject) !== key.defaultProjectId) {
    changes.push({
      field: 'defaultProject',
      before: ctx.index.projectName(key.defaultProjectId),
      after: desired.defaultProject,
    });
  }
  ctx.addStep({
    id: `adopt:${desired.address}@${accessKey}`,
    action: 'adopt',
    kind: 'ApiKey',
    name: desired.name,
    address: desired.address,
    reason: 'adopt-requested',
    detail: `take over the existing key ${accessKey} (marked external: its secret stays where it is until the first rotation)`,
    before: { kind: 'ApiKey', object: key },
    after: { ...planned, marker: { ...planned.marker, state: 'external' } },
    changes,
    warnings: [],
  });
}
