import { requirementMatches, type LabelSelector, type Pod, type PodAffinity, type PodAffinityTerm } from '@flotilla/model';

// Label selectors compiled once (metav1.LabelSelectorAsSelector) and kube-scheduler's AffinityTerm:
// what InterPodAffinity and PodTopologySpread match existing pods with, on their hot paths.

type Labels = Readonly<Record<string, string>> | undefined;

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

/** A label selector ready to match: `nothing` for a missing selector (labels.Nothing()). */
export interface CompiledSelector {
  readonly nothing: boolean;
  readonly requirements: readonly Requirement[];
}

/** A missing selector selects nothing. */
export const SELECT_NOTHING: CompiledSelector = Object.freeze({ nothing: true, requirements: Object.freeze([]) });
/** An empty selector (`{}`) selects everything. */
export const SELECT_EVERYTHING: CompiledSelector = Object.freeze({ nothing: false, requirements: Object.freeze([]) });

/** metav1.LabelSelectorAsSelector: same semantics as the model's `matchesSelector`, compiled once. */
export function compileSelector(selector: LabelSelector | undefined): CompiledSelector {
  if (selector === undefined) return SELECT_NOTHING;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) requirements.push({ key, operator: 'In', values: [value] });
  for (const { key, operator, values } of selector.matchExpressions ?? []) requirements.push({ key, operator, values: values ?? [] });
  return requirements.length === 0 ? SELECT_EVERYTHING : { nothing: false, requirements };
}

export function selectorMatches(selector: CompiledSelector, labels: Labels): boolean {
  if (selector.nothing) return false;
  for (const { key, operator, values } of selector.requirements) {
    if (!requirementMatches(operator, values, labels?.[key])) return false;
  }
  return true;
}

/**
 * The selector with `key in (value)` added for each of `matchKeys` and `key notin (value)` for each
 * of `mismatchKeys` that the owner's labels have (keys the owner lacks are ignored), as Kubernetes
 * merges matchLabelKeys / mismatchLabelKeys into the selector. A missing selector stays "nothing"
 * (validation forbids these keys without a selector).
 */
export function withLabelKeys(
  selector: CompiledSelector,
  ownerLabels: Labels,
  matchKeys: readonly string[] | undefined,
  mismatchKeys?: readonly string[],
): CompiledSelector {
  if (selector.nothing || ownerLabels === undefined) return selector;
  const extra: Requirement[] = [];
  for (const key of matchKeys ?? []) {
    const value = ownerLabels[key];
    if (value !== undefined) extra.push({ key, operator: 'In', values: [value] });
  }
  for (const key of mismatchKeys ?? []) {
    const value = ownerLabels[key];
    if (value !== undefined) extra.push({ key, operator: 'NotIn', values: [value] });
  }
  return extra.length === 0 ? selector : { nothing: false, requirements: [...extra, ...selector.requirements] };
}

const signatures = new WeakMap<CompiledSelector, string>();

/** A string that two selectors share exactly when they select the same labels (requirements in order). */
export function selectorSignature(selector: CompiledSelector): string {
  if (selector.nothing) return '!';
  let signature = signatures.get(selector);
  if (signature === undefined) {
    signature = JSON.stringify(selector.requirements.map(({ key, operator, values }) => [key, operator, values]));
    signatures.set(selector, signature);
  }
  return signature;
}

/** The label every namespace carries in Kubernetes; Flotilla has no Namespace objects, so it is the only one. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * kube-scheduler's framework.AffinityTerm: which pods (namespace and labels) and over which
 * topology. `weight` is 0 for required terms.
 */
export interface AffinityTerm {
  readonly topologyKey: string;
  readonly selector: CompiledSelector;
  /** `namespaces`, or the owner's own namespace when neither namespaces nor namespaceSelector is set. */
  readonly namespaces: ReadonlySet<string>;
  /** Matched against the namespace's labels; SELECT_NOTHING when not set. */
  readonly namespaceSelector: CompiledSelector;
  readonly weight: number;
}

/** A string that two terms share exactly when they select the same pods (namespaces, namespace selector, selector). */
export function termSignature(term: AffinityTerm): string {
  return `${JSON.stringify([...term.namespaces].sort())}|${selectorSignature(term.namespaceSelector)}|${selectorSignature(term.selector)}`;
}

/** AffinityTerm.Matches: the pod is in one of the term's namespaces and its labels match the selector. */
export function termMatches(term: AffinityTerm, pod: Pod): boolean {
  const namespace = pod.metadata.namespace;
  if (!term.namespaces.has(namespace) && !namespaceSelected(term.namespaceSelector, namespace)) return false;
  return selectorMatches(term.selector, pod.metadata.labels);
}

/** True when the pod matches every term (and there is at least one): kube-scheduler's podMatchesAllAffinityTerms. */
export function matchesAllTerms(terms: readonly AffinityTerm[], pod: Pod): boolean {
  if (terms.length === 0) return false;
  for (const term of terms) if (!termMatches(term, pod)) return false;
  return true;
}

function namespaceSelected(selector: CompiledSelector, namespace: string): boolean {
  if (selector.nothing) return false;
  if (selector.requirements.length === 0) return true;
  return selectorMatches(selector, { [NAMESPACE_NAME_LABEL]: namespace });
}

function compileTerm(owner: Pod, term: PodAffinityTerm, weight: number): AffinityTerm {
  const namespaces =
    (term.namespaces === undefined || term.namespaces.length === 0) && term.namespaceSelector === undefined
      ? new Set([owner.metadata.namespace])
      : new Set(term.namespaces ?? []);
  return {
    topologyKey: term.topologyKey,
    selector: withLabelKeys(compileSelector(term.labelSelector), owner.metadata.labels, term.matchLabelKeys, term.mismatchLabelKeys),
    namespaces,
    namespaceSelector: compileSelector(term.namespaceSelector),
    weight,
  };
}

/** A pod's inter-pod affinity, compiled: kube-scheduler's PodInfo terms. */
export interface PodAffinityInfo {
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly AffinityTerm[];
  readonly preferredAntiAffinity: readonly AffinityTerm[];
  /** Any of the four lists is non-empty (kube-scheduler's PodsWithAffinity membership). */
  readonly hasAny: boolean;
}

const NO_TERMS: readonly AffinityTerm[] = Object.freeze([]);
export const NO_POD_AFFINITY: PodAffinityInfo = Object.freeze({
  requiredAffinity: NO_TERMS,
  requiredAntiAffinity: NO_TERMS,
  preferredAffinity: NO_TERMS,
  preferredAntiAffinity: NO_TERMS,
  hasAny: false,
});

// The fold never mutates a Pod object (every change installs a new one), so the compiled terms can
// be kept per object: each existing pod is compiled once, not once per scheduling cycle.
const compiled = new WeakMap<Pod, PodAffinityInfo>();

function required(owner: Pod, affinity: PodAffinity | undefined): AffinityTerm[] {
  return (affinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((term) => compileTerm(owner, term, 0));
}

function preferred(owner: Pod, affinity: PodAffinity | undefined): AffinityTerm[] {
  return (affinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => compileTerm(owner, w.podAffinityTerm, w.weight));
}

/** The pod's compiled affinity terms (cached per Pod object). */
export function podAffinityInfo(pod: Pod): PodAffinityInfo {
  const affinity = pod.spec.affinity;
  if (affinity === undefined || (affinity.podAffinity === undefined && affinity.podAntiAffinity === undefined)) return NO_POD_AFFINITY;
  const cached = compiled.get(pod);
  if (cached !== undefined) return cached;
  const info = {
    requiredAffinity: required(pod, affinity.podAffinity),
    requiredAntiAffinity: required(pod, affinity.podAntiAffinity),
    preferredAffinity: preferred(pod, affinity.podAffinity),
    preferredAntiAffinity: preferred(pod, affinity.podAntiAffinity),
  };
  const result: PodAffinityInfo = {
    ...info,
    hasAny:
      info.requiredAffinity.length + info.requiredAntiAffinity.length + info.preferredAffinity.length + info.preferredAntiAffinity.length > 0,
  };
  compiled.set(pod, result);
  return result;
}
