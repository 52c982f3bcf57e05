import { LabelSelectorError, matchesLabelSelector, parseLabelSelector, type LabelRequirement } from '@flotilla/model';
import { ApiError } from '../api-status.ts';

export interface ListQuery {
  watch?: string;
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  gracePeriodSeconds?: string;
  /** Time travel: a past sequence or RFC 3339 time (see time-travel.ts). */
  at?: string;
}

export function labelFilter(selector: string | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (!selector) return () => true;
  let requirements: LabelRequirement[];
  try {
    requirements = parseLabelSelector(selector);
  } catch (error) {
    if (error instanceof LabelSelectorError) throw new ApiError('BadRequest', `labelSelector: ${error.message}`);
    throw error;
  }
  return (labels) => matchesLabelSelector(requirements, labels);
}

/** Field selectors: `key=value` / `key!=value` pairs over the fields each route supports. */
export function fieldFilter<T>(selector: string | undefined, fields: Record<string, (item: T) => string | undefined>): (item: T) => boolean {
  if (!selector) return () => true;
  const terms = selector.split(',').filter((t) => t.trim() !== '').map((term) => {
    const match = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!match) throw new ApiError('BadRequest', `fieldSelector: cannot parse ${JSON.stringify(term)}`);
    const [, field, op, value] = match;
    const getter = fields[field!];
    if (!getter) {
      throw new ApiError('BadRequest', `fieldSelector: field label not supported: ${field}; supported: ${Object.keys(fields).join(', ')}`);
    }
    return { getter, negate: op === '!=', value: value ?? '' };
  });
  return (item) => terms.every(({ getter, negate, value }) => ((getter(item) ?? '') === value) !== negate);
}

export function isWatch(query: ListQuery): boolean {
  const watch = query.watch === 'true' || query.watch === '1';
  // A watch follows the present; the past is a list (?at= without watch).
  if (watch && query.at !== undefined && query.at !== '') throw new ApiError('BadRequest', 'at: cannot be combined with watch (a watch follows the present)');
  return watch;
}
