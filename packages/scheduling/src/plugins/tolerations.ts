import type { Taint, TaintEffect, Toleration } from '@flotilla/model';

/**
 * Kubernetes' Toleration.ToleratesTaint: an empty effect matches every effect, an empty key (only
 * valid with Exists) matches every key, an empty operator means Equal, and Equal compares values
 * (a missing value is the empty string).
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  if (toleration.key !== undefined && toleration.key !== '' && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (tolerations === undefined) return false;
  for (const toleration of tolerations) if (toleratesTaint(toleration, taint)) return true;
  return false;
}

/** The first taint (in the node's order) with one of the effects that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  effects: ReadonlySet<TaintEffect>,
): Taint | undefined {
  if (taints === undefined) return undefined;
  for (const taint of taints) {
    if (effects.has(taint.effect) && !tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}
