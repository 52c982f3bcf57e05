import { z } from 'zod';
import { LabelSelectorSchema, matchesSelector } from './affinity.ts';
import { knownUnused } from './meta.ts';
import { dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from './names.ts';
import { NodeSchema, type NodeManifest } from './node.ts';
import { PodSchema, type PodManifest } from './pod.ts';
import { ReplicaSetSchema, type ReplicaSetManifest } from './replica-set.ts';
import { isValidQuantity, parseQuantity } from './quantity.ts';
import { BUILT_IN_PRIORITY_CLASSES, priorityClass } from './priority-classes.ts';

/** One problem with one field, e.g. `spec.containers[1].resources.requests.cpu: invalid quantity "1.5.5"`. */
export interface FieldError {
  path: string;
  message: string;
}

export type ValidationResult<T> =
  | { ok: true; value: T; warnings: string[] }
  | { ok: false; errors: FieldError[]; warnings: string[] };

export function formatFieldError(error: FieldError): string {
  return error.path ? `${error.path}: ${error.message}` : error.message;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function validatePod(input: unknown): ValidationResult<PodManifest> {
  return validateWith(PodSchema, input, podSemanticErrors);
}

export function validateNode(input: unknown): ValidationResult<NodeManifest> {
  return validateWith(NodeSchema, input, nodeSemanticErrors);
}

/**
 * An apps/v1 ReplicaSet, as Kubernetes validates one (ValidateReplicaSetSpec): replicas and
 * minReadySeconds not negative, a non-empty selector that the template's labels match, and the
 * template a valid pod (errors at `spec.template.spec...`) that restarts Always.
 */
export function validateReplicaSet(input: unknown): ValidationResult<ReplicaSetManifest> {
  return validateWith(ReplicaSetSchema, input, replicaSetSemanticErrors, (error) =>
    // Reported in Kubernetes' words by the semantic check instead.
    !(error.path === 'spec.selector' && error.message === 'required value'),
  );
}

function validateWith<T>(
  schema: z.ZodType<T>,
  input: unknown,
  semantic: (raw: Record<string, unknown>) => FieldError[],
  keepSchemaError: (error: FieldError) => boolean = () => true,
): ValidationResult<T> {
  const warnings = unusedFieldWarnings(schema, input);
  const parsed = schema.safeParse(input, { reportInput: true });
  const errors: FieldError[] = parsed.success ? [] : parsed.error.issues.flatMap(issueToFieldErrors).filter(keepSchemaError);
  // Semantic checks walk the raw input defensively, so a manifest with type errors still hears
  // about its bad names and quantities in the same answer.
  if (isRecord(input)) errors.push(...semantic(input));
  if (errors.length > 0 || !parsed.success) return { ok: false, errors: dedupe(errors), warnings };
  return { ok: true, value: parsed.data, warnings };
}

function issueToFieldErrors(issue: z.core.$ZodIssue): FieldError[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }));
    case 'invalid_type':
      if (issue.input === undefined) return [{ path, message: 'required value' }];
      return [{ path, message: `expected ${issue.expected}, got ${describeType(issue.input)}` }];
    case 'invalid_value':
      return [
        {
          path,
          message: `unsupported value ${JSON.stringify(issue.input)}: supported values: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        },
      ];
    case 'invalid_union':
      return [{ path, message: `invalid value ${JSON.stringify(issue.input)}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Names every field present in the input that Kubernetes knows and Flotilla does not act on. */
export function unusedFieldWarnings(schema: z.ZodType, input: unknown): string[] {
  const warnings: string[] = [];
  const walk = (node: z.ZodType, value: unknown, path: PropertyKey[]): void => {
    if (value === undefined || value === null) return;
    if (node === knownUnused) {
      warnings.push(`${formatPath(path)}: accepted but not acted on by Flotilla`);
      return;
    }
    if (node instanceof z.ZodOptional || node instanceof z.ZodNullable) {
      walk(node.unwrap() as z.ZodType, value, path);
    } else if (node instanceof z.ZodObject && isRecord(value)) {
      const shape = node.shape as Record<string, z.ZodType>;
      for (const [key, child] of Object.entries(value)) {
        const childSchema = shape[key];
        if (childSchema) walk(childSchema, child, [...path, key]);
      }
    } else if (node instanceof z.ZodArray && Array.isArray(value)) {
      value.forEach((item, index) => walk(node.element as z.ZodType, item, [...path, index]));
    }
  };
  walk(schema, input, []);
  return warnings;
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = formatFieldError(error);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Array<[number, Record<string, unknown>]> {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index): Array<[number, Record<string, unknown>]> => (isRecord(item) ? [[index, item]] : []));
}

function metadataErrors(metadata: unknown, nameRule: (name: string) => string[]): FieldError[] {
  if (!isRecord(metadata)) return [];
  const errors: FieldError[] = [];
  const { name, generateName, namespace } = metadata;
  if (name === undefined && generateName === undefined) {
    errors.push({ path: 'metadata.name', message: 'name or generateName is required' });
  }
  if (typeof name === 'string') {
    for (const problem of nameRule(name)) errors.push({ path: 'metadata.name', message: `invalid value ${JSON.stringify(name)}: ${problem}` });
  }
  if (typeof namespace === 'string') {
    for (const problem of dns1123LabelErrors(namespace)) {
      errors.push({ path: 'metadata.namespace', message: `invalid value ${JSON.stringify(namespace)}: ${problem}` });
    }
  }
  errors.push(...labelAndAnnotationErrors(metadata, 'metadata'));
  return errors;
}

/** Label keys and values, annotation keys, of an object's metadata or a template's. */
function labelAndAnnotationErrors(metadata: Record<string, unknown>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const { labels, annotations } = metadata;
  if (isRecord(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      for (const problem of qualifiedNameErrors(key)) errors.push({ path: `${path}.labels`, message: `invalid key ${JSON.stringify(key)}: ${problem}` });
      if (typeof value === 'string') {
        for (const problem of labelValueErrors(value)) {
          errors.push({ path: `${path}.labels.${key}`, message: `invalid value ${JSON.stringify(value)}: ${problem}` });
        }
      }
    }
  }
  if (isRecord(annotations)) {
    for (const key of Object.keys(annotations)) {
      for (const problem of qualifiedNameErrors(key)) errors.push({ path: `${path}.annotations`, message: `invalid key ${JSON.stringify(key)}: ${problem}` });
    }
  }
  return errors;
}

function quantityErrors(list: unknown, path: string): FieldError[] {
  if (!isRecord(list)) return [];
  const errors: FieldError[] = [];
  for (const [name, quantity] of Object.entries(list)) {
    if ((typeof quantity === 'string' || typeof quantity === 'number') && !isValidQuantity(quantity)) {
      errors.push({ path: `${path}.${name}`, message: `invalid quantity ${JSON.stringify(quantity)}` });
    } else if (typeof quantity === 'number' && quantity < 0) {
      errors.push({ path: `${path}.${name}`, message: `must be greater than or equal to 0` });
    } else if (typeof quantity === 'string' && quantity.startsWith('-')) {
      errors.push({ path: `${path}.${name}`, message: `must be greater than or equal to 0` });
    }
  }
  return errors;
}

function podSemanticErrors(pod: Record<string, unknown>): FieldError[] {
  const errors = metadataErrors(pod.metadata, dns1123SubdomainErrors);
  const spec = pod.spec;
  if (!isRecord(spec)) return errors;

  const volumes = new Map<string, number>();
  for (const [index, volume] of records(spec.volumes)) {
    if (typeof volume.name !== 'string') continue;
    const path = `spec.volumes[${index}].name`;
    for (const problem of dns1123LabelErrors(volume.name)) errors.push({ path, message: `invalid value ${JSON.stringify(volume.name)}: ${problem}` });
    if (volumes.has(volume.name)) errors.push({ path, message: `duplicate value ${JSON.stringify(volume.name)}` });
    volumes.set(volume.name, index);
  }

  const containerNames = new Set<string>();
  // One pod, one port space: a containerPort/protocol may be claimed once across app containers and sidecars.
  const portOwners = new Map<string, string>();
  const hostPorts = new Set<string>();
  const groups: Array<['containers' | 'initContainers', unknown]> = [
    ['initContainers', spec.initContainers],
    ['containers', spec.containers],
  ];
  if (Array.isArray(spec.containers) && spec.containers.length === 0) {
    errors.push({ path: 'spec.containers', message: 'at least one container is required' });
  }
  for (const [group, list] of groups) {
    for (const [index, container] of records(list)) {
      const base = `spec.${group}[${index}]`;
      if (typeof container.name === 'string') {
        for (const problem of dns1123LabelErrors(container.name)) {
          errors.push({ path: `${base}.name`, message: `invalid value ${JSON.stringify(container.name)}: ${problem}` });
        }
        if (containerNames.has(container.name)) {
          errors.push({ path: `${base}.name`, message: `duplicate value ${JSON.stringify(container.name)}` });
        }
        containerNames.add(container.name);
      }
      if (group === 'containers' && container.restartPolicy !== undefined) {
        errors.push({ path: `${base}.restartPolicy`, message: 'may only be set on init containers' });
      }
      const resources = container.resources;
      if (isRecord(resources)) {
        errors.push(...quantityErrors(resources.requests, `${base}.resources.requests`));
        errors.push(...quantityErrors(resources.limits, `${base}.resources.limits`));
        errors.push(...requestsWithinLimits(resources, `${base}.resources`));
      }
      const inPortSpace = group === 'containers' || container.restartPolicy === 'Always';
      const portNames = new Set<string>();
      for (const [portIndex, port] of records(container.ports)) {
        const portPath = `${base}.ports[${portIndex}]`;
        if (typeof port.name === 'string' && port.name !== '') {
          for (const problem of portNameErrors(port.name)) errors.push({ path: `${portPath}.name`, message: `invalid value ${JSON.stringify(port.name)}: ${problem}` });
          if (portNames.has(port.name)) errors.push({ path: `${portPath}.name`, message: `duplicate value ${JSON.stringify(port.name)}` });
          portNames.add(port.name);
        }
        const protocol = typeof port.protocol === 'string' ? port.protocol : 'TCP';
        if (typeof port.containerPort === 'number') {
          if (port.containerPort < 1 || port.containerPort > 65535) {
            errors.push({ path: `${portPath}.containerPort`, message: `invalid value ${port.containerPort}: must be between 1 and 65535, inclusive` });
          }
          const key = `${port.containerPort}/${protocol}`;
          const owner = portOwners.get(key);
          if (inPortSpace && owner !== undefined) {
            errors.push({
              path: `${portPath}.containerPort`,
              message: `port ${key} is already used by container "${owner}": containers of a pod share one port space`,
            });
          } else if (inPortSpace) portOwners.set(key, String(container.name));
        }
        if (typeof port.hostPort === 'number') {
          if (port.hostPort < 1 || port.hostPort > 65535) {
            errors.push({ path: `${portPath}.hostPort`, message: `invalid value ${port.hostPort}: must be between 1 and 65535, inclusive` });
          }
          const key = `${port.hostPort}/${protocol}`;
          if (hostPorts.has(key)) errors.push({ path: `${portPath}.hostPort`, message: `duplicate host port ${key}` });
          hostPorts.add(key);
        }
      }
      for (const [mountIndex, mount] of records(container.volumeMounts)) {
        if (typeof mount.name === 'string' && !volumes.has(mount.name)) {
          errors.push({ path: `${base}.volumeMounts[${mountIndex}].name`, message: `volume ${JSON.stringify(mount.name)} is not declared in spec.volumes` });
        }
        if (typeof mount.mountPath === 'string' && !mount.mountPath.startsWith('/')) {
          errors.push({ path: `${base}.volumeMounts[${mountIndex}].mountPath`, message: `must be an absolute path` });
        }
      }
      errors.push(...probeAndLifecycleErrors(container, base, group === 'initContainers' && container.restartPolicy !== 'Always', portNames));
    }
  }

  for (const [index, toleration] of records(spec.tolerations)) {
    if (toleration.operator === 'Exists' && typeof toleration.value === 'string' && toleration.value !== '') {
      errors.push({ path: `spec.tolerations[${index}].value`, message: 'must be empty when operator is Exists' });
    }
    if (toleration.tolerationSeconds !== undefined && toleration.tolerationSeconds !== null && toleration.effect !== 'NoExecute') {
      errors.push({ path: `spec.tolerations[${index}].tolerationSeconds`, message: 'may only be set when effect is NoExecute' });
    }
  }
  if (isRecord(spec.nodeSelector)) {
    for (const [key, value] of Object.entries(spec.nodeSelector)) {
      for (const problem of qualifiedNameErrors(key)) errors.push({ path: 'spec.nodeSelector', message: `invalid key ${JSON.stringify(key)}: ${problem}` });
      if (typeof value === 'string') {
        for (const problem of labelValueErrors(value)) errors.push({ path: `spec.nodeSelector.${key}`, message: `invalid value ${JSON.stringify(value)}: ${problem}` });
      }
    }
  }
  if (typeof spec.nodeName === 'string') {
    for (const problem of dns1123SubdomainErrors(spec.nodeName)) {
      errors.push({ path: 'spec.nodeName', message: `invalid value ${JSON.stringify(spec.nodeName)}: ${problem}` });
    }
  }
  errors.push(...affinityErrors(spec.affinity));
  for (const [index, constraint] of records(spec.topologySpreadConstraints)) {
    const path = `spec.topologySpreadConstraints[${index}]`;
    if (typeof constraint.maxSkew === 'number' && constraint.maxSkew < 1) errors.push({ path: `${path}.maxSkew`, message: `invalid value ${constraint.maxSkew}: must be greater than zero` });
    if (typeof constraint.minDomains === 'number' && constraint.minDomains < 1) errors.push({ path: `${path}.minDomains`, message: `invalid value ${constraint.minDomains}: must be greater than zero` });
    if (constraint.topologyKey === '') errors.push({ path: `${path}.topologyKey`, message: 'required value: can not be empty' });
    errors.push(...labelSelectorErrors(constraint.labelSelector, `${path}.labelSelector`));
  }
  if (typeof spec.priorityClassName === 'string' && spec.priorityClassName !== '') {
    const known = priorityClass(spec.priorityClassName);
    if (!known) {
      errors.push({ path: 'spec.priorityClassName', message: `no PriorityClass with name ${JSON.stringify(spec.priorityClassName)} was found; built-in classes: ${BUILT_IN_PRIORITY_CLASSES.map((c) => c.name).join(', ')}` });
    } else if (typeof spec.priority === 'number' && spec.priority !== known.value) {
      errors.push({ path: 'spec.priority', message: `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${known.value} from the given PriorityClass name` });
    }
  }
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    errors.push({ path: 'spec.terminationGracePeriodSeconds', message: 'must be greater than or equal to 0' });
  }
  return errors;
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/**
 * Probes and lifecycle hooks of one container, as Kubernetes validates them (validateProbe,
 * validateLifecycle): one handler each, sane timings, ports that exist. Regular init containers run
 * to completion, so they may have neither.
 */
function probeAndLifecycleErrors(container: Record<string, unknown>, base: string, regularInit: boolean, portNames: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  if (regularInit) {
    for (const field of ['lifecycle', ...PROBES]) {
      if (container[field] !== undefined && container[field] !== null) {
        errors.push({ path: `${base}.${field}`, message: 'forbidden: may not be set for init containers without restartPolicy=Always' });
      }
    }
    return errors;
  }
  for (const field of PROBES) {
    const probe = container[field];
    if (!isRecord(probe)) continue;
    const path = `${base}.${field}`;
    errors.push(...handlerErrors(probe, path, ['exec', 'httpGet', 'tcpSocket', 'grpc'], portNames));
    errors.push(...atLeast(probe.initialDelaySeconds, 0, `${path}.initialDelaySeconds`));
    for (const key of ['timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
      errors.push(...atLeast(probe[key], 1, `${path}.${key}`));
    }
    // Only readiness may need several successes in a row: liveness and startup act on the first one.
    if (field !== 'readinessProbe' && typeof probe.successThreshold === 'number' && probe.successThreshold !== 1) {
      errors.push({ path: `${path}.successThreshold`, message: `invalid value ${probe.successThreshold}: must be 1` });
    }
    if (typeof probe.terminationGracePeriodSeconds === 'number' && probe.terminationGracePeriodSeconds <= 0) {
      errors.push({ path: `${path}.terminationGracePeriodSeconds`, message: `invalid value ${probe.terminationGracePeriodSeconds}: must be greater than 0` });
    }
  }
  const lifecycle = container.lifecycle;
  if (isRecord(lifecycle)) {
    for (const hook of ['postStart', 'preStop'] as const) {
      const handler = lifecycle[hook];
      if (!isRecord(handler)) continue;
      const path = `${base}.lifecycle.${hook}`;
      errors.push(...handlerErrors(handler, path, ['exec', 'httpGet', 'tcpSocket', 'sleep'], portNames));
      if (isRecord(handler.sleep)) errors.push(...atLeast(handler.sleep.seconds, 0, `${path}.sleep.seconds`));
    }
  }
  return errors;
}

/** Exactly one handler, and that one well formed (Kubernetes' validateHandler). */
function handlerErrors(handler: Record<string, unknown>, path: string, kinds: readonly string[], portNames: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  let count = 0;
  for (const kind of kinds) {
    const action = handler[kind];
    if (action === undefined || action === null) continue;
    if (count++ > 0) {
      errors.push({ path: `${path}.${kind}`, message: 'forbidden: may not specify more than 1 handler type' });
      continue;
    }
    if (!isRecord(action)) continue;
    if (kind === 'exec' && (!Array.isArray(action.command) || action.command.length === 0)) {
      errors.push({ path: `${path}.exec.command`, message: 'required value' });
    }
    if (kind === 'httpGet' || kind === 'tcpSocket') errors.push(...portErrors(action.port, `${path}.${kind}.port`, portNames));
    if (kind === 'httpGet') {
      if (typeof action.path === 'string' && action.path !== '' && !action.path.startsWith('/')) {
        errors.push({ path: `${path}.httpGet.path`, message: `invalid value ${JSON.stringify(action.path)}: must start with "/"` });
      }
      for (const [i, header] of records(action.httpHeaders)) {
        if (typeof header.name === 'string' && !HTTP_HEADER_NAME.test(header.name)) {
          errors.push({
            path: `${path}.httpGet.httpHeaders[${i}].name`,
            message: `invalid value ${JSON.stringify(header.name)}: a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')`,
          });
        }
      }
    }
  }
  if (count === 0) errors.push({ path, message: 'required value: must specify a handler type' });
  return errors;
}

const HTTP_HEADER_NAME = /^[-A-Za-z0-9]+$/;

/** A probe's or hook's port: a number in range, or the name of one of the container's own ports. */
function portErrors(port: unknown, path: string, portNames: ReadonlySet<string>): FieldError[] {
  if (typeof port === 'number') {
    return port < 1 || port > 65535 ? [{ path, message: `invalid value ${port}: must be between 1 and 65535, inclusive` }] : [];
  }
  if (typeof port !== 'string') return [];
  const problems = portNameErrors(port);
  if (problems.length > 0) return problems.map((problem) => ({ path, message: `invalid value ${JSON.stringify(port)}: ${problem}` }));
  if (!portNames.has(port)) return [{ path, message: `invalid value ${JSON.stringify(port)}: must be the name of one of the container's ports` }];
  return [];
}

/** IANA_SVC_NAME, as Kubernetes checks port names (IsValidPortName). */
function portNameErrors(name: string): string[] {
  const errors: string[] = [];
  if (name.length > 15) errors.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errors.push('must contain only alpha-numeric characters (a-z, 0-9), or hyphens (-)');
  if (!/[a-z]/.test(name)) errors.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errors.push('must not contain consecutive hyphens (-)');
  if (name.startsWith('-') || name.endsWith('-')) errors.push('must not begin or end with a hyphen (-)');
  return errors;
}

function atLeast(value: unknown, min: number, path: string): FieldError[] {
  return typeof value === 'number' && value < min ? [{ path, message: `invalid value ${value}: must be greater than or equal to ${min}` }] : [];
}

function nodeSelectorRequirementErrors(requirement: Record<string, unknown>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const values = Array.isArray(requirement.values) ? requirement.values : [];
  switch (requirement.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errors.push({ path: `${path}.values`, message: 'required value: must be specified when `operator` is \'In\' or \'NotIn\'' });
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errors.push({ path: `${path}.values`, message: 'forbidden: may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'' });
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1 || !/^-?\d+$/.test(String(values[0]))) {
        errors.push({ path: `${path}.values`, message: `must be a single integer when \`operator\` is '${String(requirement.operator)}'` });
      }
      break;
  }
  if (typeof requirement.key === 'string') {
    for (const problem of qualifiedNameErrors(requirement.key)) errors.push({ path: `${path}.key`, message: `invalid value ${JSON.stringify(requirement.key)}: ${problem}` });
  }
  return errors;
}

function nodeSelectorTermErrors(term: Record<string, unknown>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [i, requirement] of records(term.matchExpressions)) errors.push(...nodeSelectorRequirementErrors(requirement, `${path}.matchExpressions[${i}]`));
  for (const [i, requirement] of records(term.matchFields)) {
    if (requirement.key !== 'metadata.name') errors.push({ path: `${path}.matchFields[${i}].key`, message: `unsupported value ${JSON.stringify(requirement.key)}: supported values: "metadata.name"` });
    else errors.push(...nodeSelectorRequirementErrors({ ...requirement, key: 'name' }, `${path}.matchFields[${i}]`));
  }
  return errors;
}

function labelSelectorErrors(selector: unknown, path: string): FieldError[] {
  if (!isRecord(selector)) return [];
  const errors: FieldError[] = [];
  if (isRecord(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) {
      for (const problem of qualifiedNameErrors(key)) errors.push({ path: `${path}.matchLabels`, message: `invalid key ${JSON.stringify(key)}: ${problem}` });
      if (typeof value === 'string') for (const problem of labelValueErrors(value)) errors.push({ path: `${path}.matchLabels.${key}`, message: `invalid value ${JSON.stringify(value)}: ${problem}` });
    }
  }
  for (const [i, requirement] of records(selector.matchExpressions)) {
    const values = Array.isArray(requirement.values) ? requirement.values : [];
    const at = `${path}.matchExpressions[${i}]`;
    if ((requirement.operator === 'In' || requirement.operator === 'NotIn') && values.length === 0) errors.push({ path: `${at}.values`, message: 'required value: must be specified when `operator` is \'In\' or \'NotIn\'' });
    if ((requirement.operator === 'Exists' || requirement.operator === 'DoesNotExist') && values.length > 0) errors.push({ path: `${at}.values`, message: 'forbidden: may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'' });
  }
  return errors;
}

function podAffinityTermErrors(term: Record<string, unknown>, path: string): FieldError[] {
  const errors = labelSelectorErrors(term.labelSelector, `${path}.labelSelector`);
  if (term.topologyKey === '') errors.push({ path: `${path}.topologyKey`, message: 'required value: can not be empty' });
  else if (typeof term.topologyKey === 'string') {
    for (const problem of qualifiedNameErrors(term.topologyKey)) errors.push({ path: `${path}.topologyKey`, message: `invalid value ${JSON.stringify(term.topologyKey)}: ${problem}` });
  }
  return errors;
}

function weightErrors(weight: unknown, path: string): FieldError[] {
  return typeof weight === 'number' && (weight < 1 || weight > 100) ? [{ path, message: `invalid value ${weight}: must be in the range 1-100` }] : [];
}

function affinityErrors(affinity: unknown): FieldError[] {
  if (!isRecord(affinity)) return [];
  const errors: FieldError[] = [];
  const nodeAffinity = affinity.nodeAffinity;
  if (isRecord(nodeAffinity)) {
    const base = 'spec.affinity.nodeAffinity';
    const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    if (isRecord(required)) {
      if (Array.isArray(required.nodeSelectorTerms) && required.nodeSelectorTerms.length === 0) {
        errors.push({ path: `${base}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`, message: 'required value: must have at least one node selector term' });
      }
      for (const [i, term] of records(required.nodeSelectorTerms)) {
        errors.push(...nodeSelectorTermErrors(term, `${base}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}]`));
      }
    }
    for (const [i, preferred] of records(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution)) {
      const at = `${base}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      errors.push(...weightErrors(preferred.weight, `${at}.weight`));
      if (isRecord(preferred.preference)) errors.push(...nodeSelectorTermErrors(preferred.preference, `${at}.preference`));
    }
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const section = affinity[kind];
    if (!isRecord(section)) continue;
    const base = `spec.affinity.${kind}`;
    for (const [i, term] of records(section.requiredDuringSchedulingIgnoredDuringExecution)) {
      errors.push(...podAffinityTermErrors(term, `${base}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`));
    }
    for (const [i, weighted] of records(section.preferredDuringSchedulingIgnoredDuringExecution)) {
      const at = `${base}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      errors.push(...weightErrors(weighted.weight, `${at}.weight`));
      if (isRecord(weighted.podAffinityTerm)) errors.push(...podAffinityTermErrors(weighted.podAffinityTerm, `${at}.podAffinityTerm`));
    }
  }
  return errors;
}

function requestsWithinLimits(resources: Record<string, unknown>, path: string): FieldError[] {
  const { requests, limits } = resources;
  if (!isRecord(requests) || !isRecord(limits)) return [];
  const errors: FieldError[] = [];
  for (const [name, limit] of Object.entries(limits)) {
    const request = requests[name];
    if ((typeof request !== 'string' && typeof request !== 'number') || (typeof limit !== 'string' && typeof limit !== 'number')) continue;
    if (!isValidQuantity(request) || !isValidQuantity(limit)) continue;
    if (toNumber(request) > toNumber(limit)) {
      errors.push({ path: `${path}.requests.${name}`, message: `invalid value ${JSON.stringify(request)}: must be less than or equal to ${name} limit of ${JSON.stringify(limit)}` });
    }
  }
  return errors;
}

function toNumber(quantity: string | number): number {
  return parseQuantity(quantity) ?? 0;
}

function nodeSemanticErrors(node: Record<string, unknown>): FieldError[] {
  const errors = metadataErrors(node.metadata, dns1123SubdomainErrors);
  const status = node.status;
  if (isRecord(status)) {
    errors.push(...quantityErrors(status.capacity, 'status.capacity'));
    errors.push(...quantityErrors(status.allocatable, 'status.allocatable'));
  }
  const spec = node.spec;
  if (isRecord(spec)) {
    for (const [index, taint] of records(spec.taints)) {
      if (typeof taint.key === 'string') {
        for (const problem of qualifiedNameErrors(taint.key)) errors.push({ path: `spec.taints[${index}].key`, message: `invalid value ${JSON.stringify(taint.key)}: ${problem}` });
      }
    }
  }
  return errors;
}

/** Kubernetes' field.Invalid detail: `Invalid value: <value>: <why>` (the value as JSON). */
function invalid(value: unknown, why: string): string {
  return `Invalid value: ${JSON.stringify(value)}: ${why}`;
}

function replicaSetSemanticErrors(replicaSet: Record<string, unknown>): FieldError[] {
  const errors = metadataErrors(replicaSet.metadata, dns1123SubdomainErrors);
  const spec = replicaSet.spec;
  if (!isRecord(spec)) return errors;
  for (const field of ['replicas', 'minReadySeconds'] as const) {
    const value = spec[field];
    if (typeof value === 'number' && value < 0) errors.push({ path: `spec.${field}`, message: invalid(value, 'must be greater than or equal to 0') });
  }

  const template = isRecord(spec.template) ? spec.template : undefined;
  const templateMetadata = template && isRecord(template.metadata) ? template.metadata : undefined;
  const selector = spec.selector;
  if (selector === undefined || selector === null) {
    errors.push({ path: 'spec.selector', message: 'Required value' });
  } else if (isRecord(selector)) {
    errors.push(...labelSelectorErrors(selector, 'spec.selector'));
    const parsed = LabelSelectorSchema.safeParse(selector);
    if (parsed.success) {
      const terms = Object.keys(parsed.data.matchLabels ?? {}).length + (parsed.data.matchExpressions ?? []).length;
      if (terms === 0) {
        errors.push({ path: 'spec.selector', message: invalid(selector, 'empty selector is invalid for deployment') });
      } else if (template) {
        const labels = templateMetadata && isRecord(templateMetadata.labels) ? (templateMetadata.labels as Record<string, string>) : {};
        if (!matchesSelector(parsed.data, labels)) {
          errors.push({ path: 'spec.template.metadata.labels', message: invalid(labels, '`selector` does not match template `labels`') });
        }
      }
    }
  }

  if (!template) return errors;
  if (templateMetadata) errors.push(...labelAndAnnotationErrors(templateMetadata, 'spec.template.metadata'));
  const podSpec = template.spec;
  if (!isRecord(podSpec)) return errors;
  // The template is validated as a pod's spec is; its paths are `spec.template.spec...`.
  for (const error of podSemanticErrors({ spec: podSpec })) errors.push({ ...error, path: `spec.template.${error.path}` });
  const restartPolicy = podSpec.restartPolicy;
  if (restartPolicy === 'OnFailure' || restartPolicy === 'Never') {
    errors.push({ path: 'spec.template.spec.restartPolicy', message: `Unsupported value: ${JSON.stringify(restartPolicy)}: supported values: "Always"` });
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errors.push({ path: 'spec.template.spec.activeDeadlineSeconds', message: invalid(podSpec.activeDeadlineSeconds, 'activeDeadlineSeconds in ReplicaSet is not Supported') });
  }
  return errors;
}
