import type { LabelSelector } from '@flotilla/model';

/**
 * A metav1 LabelSelector in the string form Kubernetes prints and `?labelSelector=` takes
 * (metav1.FormatLabelSelector without its `<none>`): requirements sorted by key, matchLabels as
 * `k=v`, In/NotIn as `k in (a,b)` with sorted values, Exists as `k`, DoesNotExist as `!k`.
 * An empty selector is ''.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  const terms: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) terms.push({ key, text: `${key}=${value}` });
  for (const { key, operator, values } of selector?.matchExpressions ?? []) {
    const set = [...new Set(values ?? [])].sort().join(',');
    switch (operator) {
      case 'In':
        terms.push({ key, text: `${key} in (${set})` });
        break;
      case 'NotIn':
        terms.push({ key, text: `${key} notin (${set})` });
        break;
      case 'Exists':
        terms.push({ key, text: key });
        break;
      case 'DoesNotExist':
        terms.push({ key, text: `!${key}` });
        break;
    }
  }
  // Stable: two terms on one key keep their order (matchLabels first), as Kubernetes adds them.
  return terms
    .map((term, i) => ({ ...term, i }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map((term) => term.text)
    .join(',');
}
