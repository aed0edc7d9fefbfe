/**
 * Where each desired key's secret goes, decided at plan time from the declared sinks (plan
 * options, from the settings) so the plan shows, and the executor uses, the concrete place. Two
 * keys resolving to one place are refused here as in `validate` (model/sink-location.ts). With no
 * sink declared at all, keys are still planned (their destination is `none`) and one warning says
 * that applying them is refused.
 */
import { type DesiredApiKey, fieldLocation } from '../model/desired.js';
import type { PlannedSink } from '../model/plan.js';
import type { Address } from '../model/resources.js';
import {
  type PlacedSecret,
  physicalPlace,
  placeField,
  resolveSink,
  sinkCollisions,
} from '../model/sink-location.js';
import type { PlanContext } from './context.js';

/** The destination of every desired key that has one; a key without one has an error diagnostic. */
export function planSecretDestinations(ctx: PlanContext): Map<Address, PlannedSink> {
  const destinations = new Map<Address, PlannedSink>();
  const placed: PlacedSecret[] = [];
  for (const resource of ctx.desired.resources) {
    if (resource.kind !== 'ApiKey') continue;
    const key: DesiredApiKey = resource;
    const resolved = resolveSink(key, ctx.options.sinks, ctx.options.defaultSink);
    if (!resolved.ok) {
      ctx.diagnose({
        severity: 'error',
        code: 'unknown-sink',
        message: resolved.message,
        subject: key,
        field: resolved.field,
        hint: 'declare the sink in the settings (`sinks:`), or set `defaults.sink`',
      });
      continue;
    }
    destinations.set(key.address, resolved.sink);
    if (!resolved.layout) continue; // no sink declared at all: reported once below
    const field = placeField(key, resolved.sink.type);
    const location = fieldLocation(key, field) ?? key.source;
    placed.push({
      resource: key.address,
      place: physicalPlace(resolved.sink, resolved.layout),
      target: resolved.sink.target,
      location,
      field,
    });
  }
  ctx.diagnostics.push(...sinkCollisions(placed));
  const nowhere = [...destinations.values()].filter((d) => d.type === 'none').length;
  if (nowhere > 0) {
    ctx.diagnose({
      severity: 'warning',
      code: 'no-sink-declared',
      message: `no secret sink is declared in the settings: ${nowhere} API key${nowhere === 1 ? '' : 's'} would have nowhere to go; applying refuses to create keys until one is declared`,
      hint: 'declare `sinks:` (and `defaults.sink`) in a settings file and pass it with --config',
    });
  }
  return destinations;
}
