// Kubernetes label selectors as written in `-l` and `?labelSelector=`: `app=web,tier!=db`,
// `env in (prod,staging)`, `env notin (dev)`, `gpu`, `!gpu`.

export type LabelRequirement =
  | { key: string; operator: 'In' | 'NotIn'; values: string[] }
  | { key: string; operator: 'Exists' | 'DoesNotExist' };

export class LabelSelectorError extends Error {
  constructor(readonly selector: string, detail: string) {
    super(`invalid label selector ${JSON.stringify(selector)}: ${detail}`);
    this.name = 'LabelSelectorError';
  }
}

const TERM = /^\s*(!)?\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s*(?:(==|=|!=)\s*([-A-Za-z0-9_.]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$/;

/** Parses a selector string; an empty string selects everything. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const terms = splitTerms(selector);
  return terms.map((term) => {
    const match = TERM.exec(term);
    if (!match) throw new LabelSelectorError(selector, `cannot parse ${JSON.stringify(term.trim())}`);
    const [, not, key, eqOp, eqValue, setOp, setValues] = match;
    if (not) {
      if (eqOp || setOp) throw new LabelSelectorError(selector, `'!' takes a key only, got ${JSON.stringify(term.trim())}`);
      return { key: key!, operator: 'DoesNotExist' };
    }
    if (eqOp) return { key: key!, operator: eqOp === '!=' ? 'NotIn' : 'In', values: [eqValue ?? ''] };
    if (setOp) {
      const values = (setValues ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
      return { key: key!, operator: setOp === 'in' ? 'In' : 'NotIn', values };
    }
    return { key: key!, operator: 'Exists' };
  });
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  if (current.trim() !== '' || terms.length > 0) terms.push(current);
  return terms.filter((t) => t.trim() !== '');
}

/** One requirement against one label value (undefined: the label is absent); the single rule every selector uses. */
export function requirementMatches(operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values: readonly string[], value: string | undefined): boolean {
  switch (operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
}

export function matchesLabelSelector(requirements: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const requirement of requirements) {
    const values = 'values' in requirement ? requirement.values : [];
    if (!requirementMatches(requirement.operator, values, labels?.[requirement.key])) return false;
  }
  return true;
}
