import { formatPath, labelValueErrors, qualifiedNameErrors } from '@flotilla/model';
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, PreferredSchedulingTerm } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import type { NodeInfo } from '../framework/types.ts';

// Node selector matching as component-helpers/scheduling/corev1/nodeaffinity does it, compiled once
// per pod (keys and values validated, Gt/Lt bounds parsed, value lists turned into sets) so that
// matching a node reads its labels and compares, nothing more.

/** The only node field a matchFields requirement can name (metav1.ObjectNameField). */
export const OBJECT_NAME_FIELD = 'metadata.name';

/** A parse problem in a selector, with the path inside it (`nodeSelectorTerms[0].matchExpressions[1].values`). */
export interface SelectorError {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** One compiled matchExpressions requirement. */
export type LabelMatcher =
  | { readonly key: string; readonly operator: 'In' | 'NotIn'; readonly values: ReadonlySet<string> }
  | { readonly key: string; readonly operator: 'Exists' | 'DoesNotExist' }
  | { readonly key: string; readonly operator: 'Gt' | 'Lt'; readonly bound: number | bigint };

/** One compiled matchFields requirement (In/NotIn with exactly one value). */
export interface FieldMatcher {
  readonly key: string;
  readonly operator: 'In' | 'NotIn';
  readonly value: string;
}

/** A valid, non-empty NodeSelectorTerm: every expression and every field requirement must hold. */
export interface CompiledNodeSelectorTerm {
  readonly expressions: readonly LabelMatcher[];
  readonly fields: readonly FieldMatcher[];
}

/**
 * A NodeSelector: the terms are ORed. Empty terms and terms that do not parse match no node and are
 * left out; their parse errors are kept (kube-scheduler's LazyErrorNodeSelector ignores them when
 * filtering).
 */
export interface CompiledNodeSelector {
  readonly terms: readonly CompiledNodeSelectorTerm[];
  readonly errors: readonly SelectorError[];
}

export interface CompiledPreferredTerm {
  readonly weight: number;
  readonly term: CompiledNodeSelectorTerm;
}

/** Preferred scheduling terms with a weight (weight 0 and empty preferences are left out). */
export interface CompiledPreferredTerms {
  readonly terms: readonly CompiledPreferredTerm[];
  readonly errors: readonly SelectorError[];
}

/** What a pod requires of a node's labels and name: spec.nodeSelector AND required node affinity. */
export interface RequiredNodeAffinity {
  /** spec.nodeSelector as [key, value] pairs (each label present with that value); undefined: none. */
  readonly nodeSelector: ReadonlyArray<readonly [string, string]> | undefined;
  /** requiredDuringSchedulingIgnoredDuringExecution; undefined: none (every node matches). */
  readonly required: CompiledNodeSelector | undefined;
  /**
   * The only node names the required terms allow, when every term pins `metadata.name` with In
   * (kube-scheduler's NodeAffinity PreFilterResult); empty: the terms conflict. Undefined: no pin.
   */
  readonly nodeNames: ReadonlySet<string> | undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Go's strconv.ParseInt(text, 10, 64): an optional sign and decimal digits, within int64. Numbers up
 * to 15 digits come back as a number (exact), longer ones as a bigint; undefined when it does not parse.
 */
export function parseInt64(text: string): number | bigint | undefined {
  const length = text.length;
  const first = text.charCodeAt(0);
  const start = first === 43 /* + */ || first === 45 /* - */ ? 1 : 0;
  if (length === start) return undefined;
  for (let i = start; i < length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  if (length - start <= 15) return Number(text);
  const value = BigInt(first === 43 ? text.slice(1) : text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** A label's value, or undefined: labels are plain objects, so inherited members are not labels. */
function labelOf(labels: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  if (labels === undefined) return undefined;
  const value = labels[key];
  return typeof value === 'string' ? value : undefined;
}

function compileExpression(requirement: NodeSelectorRequirement, path: readonly PropertyKey[], errors: SelectorError[]): LabelMatcher | undefined {
  const before = errors.length;
  const { key, operator } = requirement;
  const values = requirement.values ?? [];
  for (const problem of qualifiedNameErrors(key)) errors.push({ path: [...path, 'key'], message: `invalid value ${JSON.stringify(key)}: ${problem}` });
  const valuesPath = [...path, 'values'];
  let bound: number | bigint | undefined;
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errors.push({ path: valuesPath, message: "for 'In', 'NotIn' operators, values set can't be empty" });
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) errors.push({ path: valuesPath, message: 'values set must be empty for exists and does not exist' });
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errors.push({ path: valuesPath, message: "for 'Gt', 'Lt' operators, exactly one value is required" });
      values.forEach((value, i) => {
        const parsed = parseInt64(value);
        if (parsed === undefined) errors.push({ path: [...valuesPath, i], message: `invalid value ${JSON.stringify(value)}: for 'Gt', 'Lt' operators, the value must be an integer` });
        else bound = parsed;
      });
      break;
    default:
      errors.push({ path: [...path, 'operator'], message: `unsupported value ${JSON.stringify(operator)}` });
  }
  values.forEach((value, i) => {
    for (const problem of labelValueErrors(value)) errors.push({ path: [...valuesPath, i], message: `invalid value ${JSON.stringify(value)}: ${problem}` });
  });
  if (errors.length !== before) return undefined;
  switch (operator) {
    case 'In':
    case 'NotIn':
      return { key, operator, values: new Set(values) };
    case 'Exists':
    case 'DoesNotExist':
      return { key, operator };
    default:
      return { key, operator, bound: bound! };
  }
}

function compileField(requirement: NodeSelectorRequirement, path: readonly PropertyKey[], errors: SelectorError[]): FieldMatcher | undefined {
  const { key, operator } = requirement;
  const values = requirement.values ?? [];
  if (operator !== 'In' && operator !== 'NotIn') {
    errors.push({ path: [...path, 'operator'], message: `unsupported value ${JSON.stringify(operator)}: supported values: "In", "NotIn"` });
    return undefined;
  }
  if (values.length !== 1) {
    errors.push({ path: [...path, 'values'], message: 'must have one element' });
    return undefined;
  }
  return { key, operator, value: values[0]! };
}

/**
 * Compiles one term. Undefined (with errors, or none for an empty term) when it can match no node:
 * a term without matchExpressions and matchFields selects nothing.
 */
export function compileNodeSelectorTerm(
  term: NodeSelectorTerm,
  path: readonly PropertyKey[] = [],
  errors: SelectorError[] = [],
): CompiledNodeSelectorTerm | undefined {
  const expressionList = term.matchExpressions ?? [];
  const fieldList = term.matchFields ?? [];
  if (expressionList.length === 0 && fieldList.length === 0) return undefined;
  const before = errors.length;
  const expressions: LabelMatcher[] = [];
  const fields: FieldMatcher[] = [];
  expressionList.forEach((requirement, i) => {
    const matcher = compileExpression(requirement, [...path, 'matchExpressions', i], errors);
    if (matcher !== undefined) expressions.push(matcher);
  });
  fieldList.forEach((requirement, i) => {
    const matcher = compileField(requirement, [...path, 'matchFields', i], errors);
    if (matcher !== undefined) fields.push(matcher);
  });
  return errors.length === before ? { expressions, fields } : undefined;
}

export function compileNodeSelector(selector: NodeSelector, path: readonly PropertyKey[] = []): CompiledNodeSelector {
  const errors: SelectorError[] = [];
  const terms: CompiledNodeSelectorTerm[] = [];
  selector.nodeSelectorTerms.forEach((term, i) => {
    const compiled = compileNodeSelectorTerm(term, [...path, 'nodeSelectorTerms', i], errors);
    if (compiled !== undefined) terms.push(compiled);
  });
  return { terms, errors };
}

export function compilePreferredSchedulingTerms(list: readonly PreferredSchedulingTerm[], path: readonly PropertyKey[] = []): CompiledPreferredTerms {
  const errors: SelectorError[] = [];
  const terms: CompiledPreferredTerm[] = [];
  list.forEach(({ weight, preference }, i) => {
    if (weight === 0) return;
    const term = compileNodeSelectorTerm(preference, [...path, i, 'preference'], errors);
    if (term !== undefined) terms.push({ weight, term });
  });
  return { terms, errors };
}

/** `path: message` lines of selector errors, for a status or a thrown error. */
export function selectorErrorMessage(errors: readonly SelectorError[]): string {
  return errors.map((e) => `${formatPath(e.path)}: ${e.message}`).join('; ');
}

function expressionMatches(matcher: LabelMatcher, labels: Readonly<Record<string, string>> | undefined): boolean {
  const value = labelOf(labels, matcher.key);
  switch (matcher.operator) {
    case 'In':
      return value !== undefined && matcher.values.has(value);
    case 'NotIn':
      return value === undefined || !matcher.values.has(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // labels.Requirement.Matches: a missing label or one that is not an int64 does not match.
      if (value === undefined) return false;
      const parsed = parseInt64(value);
      if (parsed === undefined) return false;
      return matcher.operator === 'Gt' ? parsed > matcher.bound : parsed < matcher.bound;
    }
  }
}

/** A compiled term against a node: every label requirement, then every field requirement. */
export function nodeSelectorTermMatches(term: CompiledNodeSelectorTerm, node: Node): boolean {
  const labels = node.metadata.labels;
  for (const matcher of term.expressions) if (!expressionMatches(matcher, labels)) return false;
  const name = node.metadata.name;
  // kube-scheduler's node fields set holds metadata.name only, and only for a named node.
  if (term.fields.length === 0 || name === '') return true;
  for (const field of term.fields) {
    const value = field.key === OBJECT_NAME_FIELD ? name : '';
    if ((value === field.value) !== (field.operator === 'In')) return false;
  }
  return true;
}

/** Terms ORed; no (valid) term matches no node. */
export function nodeSelectorMatches(selector: CompiledNodeSelector, node: Node): boolean {
  for (const term of selector.terms) if (nodeSelectorTermMatches(term, node)) return true;
  return false;
}

/** The sum of the weights of the preferred terms the node matches. */
export function preferredTermsScore(preferred: CompiledPreferredTerms, node: Node): number {
  let score = 0;
  for (const { weight, term } of preferred.terms) if (nodeSelectorTermMatches(term, node)) score += weight;
  return score;
}

/** kube-scheduler's NodeAffinity PreFilter: node names every term pins with matchFields metadata.name In. */
function pinnedNodeNames(terms: readonly NodeSelectorTerm[]): ReadonlySet<string> | undefined {
  if (terms.length === 0) return undefined;
  let union: Set<string> | undefined;
  for (const term of terms) {
    let termNames: Set<string> | undefined;
    for (const requirement of term.matchFields ?? []) {
      if (requirement.key !== OBJECT_NAME_FIELD || requirement.operator !== 'In') continue;
      const names = new Set(requirement.values ?? []);
      // Requirements of one term are ANDed: intersect.
      termNames = termNames === undefined ? names : new Set([...termNames].filter((n) => names.has(n)));
    }
    // A term without a name pin allows every node (terms are ORed).
    if (termNames === undefined) return undefined;
    union ??= new Set<string>();
    for (const name of termNames) union.add(name);
  }
  return union;
}

function specOf(pod: Pod | PodRecord): PodSpec {
  return 'spec' in pod ? pod.spec : pod.pod.spec;
}

// A pod's spec cannot change after creation and the fold keeps the spec object across status
// changes: compiling once per spec object serves every attempt and every caller.
const requiredBySpec = new WeakMap<PodSpec, RequiredNodeAffinity>();
const preferredBySpec = new WeakMap<PodSpec, CompiledPreferredTerms | null>();

/** spec.nodeSelector and required node affinity of a pod, compiled (memoised per spec object). */
export function requiredNodeAffinityOf(pod: Pod | PodRecord): RequiredNodeAffinity {
  const spec = specOf(pod);
  let required = requiredBySpec.get(spec);
  if (required === undefined) {
    const selector = spec.nodeSelector !== undefined ? Object.entries(spec.nodeSelector) : [];
    const affinity = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    required = {
      nodeSelector: selector.length > 0 ? selector : undefined,
      required: affinity !== undefined ? compileNodeSelector(affinity) : undefined,
      nodeNames: affinity !== undefined ? pinnedNodeNames(affinity.nodeSelectorTerms) : undefined,
    };
    requiredBySpec.set(spec, required);
  }
  return required;
}

/** The pod's preferred node affinity terms, compiled (memoised); undefined when it has none. */
export function preferredNodeAffinityOf(pod: Pod | PodRecord): CompiledPreferredTerms | undefined {
  const spec = specOf(pod);
  let preferred = preferredBySpec.get(spec);
  if (preferred === undefined) {
    const terms = spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    preferred = terms !== undefined ? compilePreferredSchedulingTerms(terms) : null;
    preferredBySpec.set(spec, preferred);
  }
  return preferred ?? undefined;
}

/** RequiredNodeAffinity.Match: the nodeSelector labels, then the required terms (parse errors ignored). */
export function matchesRequiredNodeAffinity(required: RequiredNodeAffinity, node: Node): boolean {
  if (required.nodeSelector !== undefined) {
    const labels = node.metadata.labels;
    for (const [key, value] of required.nodeSelector) if (labelOf(labels, key) !== value) return false;
  }
  return required.required === undefined || nodeSelectorMatches(required.required, node);
}

/**
 * Whether the node satisfies the pod's spec.nodeSelector and required node affinity (what the
 * NodeAffinity filter checks; PodTopologySpread's nodeAffinityPolicy Honor counts only such nodes).
 */
export function podMatchesNodeAffinity(pod: Pod | PodRecord, node: Node | NodeInfo): boolean {
  return matchesRequiredNodeAffinity(requiredNodeAffinityOf(pod), 'metadata' in node ? node : node.node);
}
