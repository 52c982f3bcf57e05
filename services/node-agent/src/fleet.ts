// Fleet files: the simulated nodes one agent hosts, as node groups with capacities, labels, taints
// and a spread over zones and instance types (bench/fleets/*.yaml). `--fleet FILE` / FLOTILLA_FLEET.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { dns1123SubdomainErrors, isValidQuantity, labelValueErrors, qualifiedNameErrors, TaintEffect, type Taint } from '@flotilla/model';
import { ConfigError } from '@flotilla/service-kit';
import type { HostedNodeConfig, NodeCapacity } from './node-registration.ts';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';
/** The fleet group a node comes from. */
export const NODE_GROUP_LABEL = 'node.flotilla.io/group';

/** The agent's own defaults (--cpu/--memory/--pods) for whatever neither a group nor its instance type sets. */
const DEFAULT_CAPACITY = { cpu: '4', memory: '8Gi', pods: '110' } as const;
/** Weights are small integers: each cycle of the spread is as long as their sum. */
const MAX_WEIGHT = 1_000;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const Quantity = z.union([z.string(), z.number().nonnegative().transform(String)]).refine(isValidQuantity, { message: 'expected a quantity such as 4, 500m or 32Gi' });

const CapacitySchema = z.strictObject({
  cpu: Quantity.optional(),
  memory: Quantity.optional(),
  pods: z.number().int().positive().optional(),
  'ephemeral-storage': Quantity.optional(),
});

const LabelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [key, value] of Object.entries(labels)) {
    for (const problem of qualifiedNameErrors(key)) ctx.addIssue({ code: 'custom', path: [key], message: `invalid label key: ${problem}` });
    for (const problem of labelValueErrors(value)) ctx.addIssue({ code: 'custom', path: [key], message: `invalid label value ${JSON.stringify(value)}: ${problem}` });
  }
});

const TaintObject = z.strictObject({ key: z.string().min(1), value: z.string().optional(), effect: TaintEffect });

/** `{ key, value?, effect }`, or kubectl's `key[=value]:Effect` (one message for either, not a union's "Invalid input"). */
const TaintInput = z.unknown().transform((input, ctx): Taint => {
  if (typeof input === 'string') {
    const taint = taintFromText(input);
    if (taint) return taint;
    ctx.addIssue({ code: 'custom', message: `expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute, got ${JSON.stringify(input)}` });
    return z.NEVER;
  }
  const parsed = TaintObject.safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

const Weight = z.number().int().min(1).max(MAX_WEIGHT);
const ZoneSchema = z.union([z.string().min(1), z.strictObject({ name: z.string().min(1), weight: Weight.default(1) })]);

const InstanceTypeSchema = z.strictObject({
  name: z.string().min(1),
  weight: Weight.default(1),
  capacity: CapacitySchema.default({}),
  labels: LabelsSchema.default({}),
});

const NodeGroupSchema = z.strictObject({
  name: z.string().regex(DNS1123_LABEL, 'expected a DNS-1123 label'),
  count: z.number().int().min(0),
  /** Nodes are named `<namePrefix>-<n>`, n from 1; default: the group's name. */
  namePrefix: z.string().optional(),
  capacity: CapacitySchema.default({}),
  labels: LabelsSchema.default({}),
  taints: z.array(TaintInput).default([]),
  region: z.string().min(1).optional(),
  /** topology.kubernetes.io/zone, spread round-robin (or by weight) over the group's nodes. */
  zones: z.array(ZoneSchema).default([]),
  /** node.kubernetes.io/instance-type with their own capacities, spread by weight within each zone. */
  instanceTypes: z.array(InstanceTypeSchema).default([]),
});

export const FleetSchema = z
  .strictObject({
    apiVersion: z.string().optional(),
    kind: z.literal('Fleet').optional(),
    name: z.string().optional(),
    description: z.string().optional(),
    groups: z.array(NodeGroupSchema).min(1),
  })
  .superRefine((fleet, ctx) => {
    const prefixes = new Map<string, number>();
    const names = new Map<string, number>();
    fleet.groups.forEach((group, i) => {
      const at = (...path: PropertyKey[]): PropertyKey[] => ['groups', i, ...path];
      const earlierName = names.get(group.name);
      if (earlierName !== undefined) ctx.addIssue({ code: 'custom', path: at('name'), message: `already used by groups[${earlierName}]` });
      names.set(group.name, i);
      const prefix = group.namePrefix ?? group.name;
      const earlier = prefixes.get(prefix);
      if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: at(group.namePrefix === undefined ? 'name' : 'namePrefix'), message: `node name prefix ${JSON.stringify(prefix)} is already used by groups[${earlier}]` });
      prefixes.set(prefix, i);
      // The longest name the group makes must still be a valid node name (a bad group name is reported once, above).
      if (group.namePrefix !== undefined || DNS1123_LABEL.test(group.name)) {
        for (const problem of dns1123SubdomainErrors(`${prefix}-${Math.max(1, group.count)}`)) {
          ctx.addIssue({ code: 'custom', path: at(group.namePrefix === undefined ? 'name' : 'namePrefix'), message: `node names ${prefix}-N: ${problem}` });
        }
      }
      const derived: Array<[string, boolean, string]> = [
        [ZONE_LABEL, group.zones.length > 0, 'zones'],
        [REGION_LABEL, group.region !== undefined, 'region'],
        [INSTANCE_TYPE_LABEL, group.instanceTypes.length > 0, 'instanceTypes'],
        [NODE_GROUP_LABEL, true, 'name'],
      ];
      for (const [label, set, field] of derived) {
        if (set && label in group.labels) ctx.addIssue({ code: 'custom', path: at('labels', label), message: `set from the group's ${field}: remove it here` });
      }
      const zoneNames = group.zones.map(zoneName);
      zoneNames.forEach((zone, z) => {
        for (const problem of labelValueErrors(zone)) ctx.addIssue({ code: 'custom', path: at('zones', z), message: `invalid zone ${JSON.stringify(zone)}: ${problem}` });
        if (zoneNames.indexOf(zone) !== z) ctx.addIssue({ code: 'custom', path: at('zones', z), message: `zone ${JSON.stringify(zone)} is listed twice` });
      });
      if (group.region !== undefined) for (const problem of labelValueErrors(group.region)) ctx.addIssue({ code: 'custom', path: at('region'), message: problem });
      const typeNames = group.instanceTypes.map((t) => t.name);
      group.instanceTypes.forEach((type, t) => {
        for (const problem of labelValueErrors(type.name)) ctx.addIssue({ code: 'custom', path: at('instanceTypes', t, 'name'), message: problem });
        if (typeNames.indexOf(type.name) !== t) ctx.addIssue({ code: 'custom', path: at('instanceTypes', t, 'name'), message: `instance type ${JSON.stringify(type.name)} is listed twice` });
        for (const label of Object.keys(type.labels)) {
          if (label === INSTANCE_TYPE_LABEL || label === ZONE_LABEL || label === NODE_GROUP_LABEL) {
            ctx.addIssue({ code: 'custom', path: at('instanceTypes', t, 'labels', label), message: 'set by the fleet: remove it here' });
          }
        }
      });
      group.taints.forEach((taint, t) => {
        for (const problem of qualifiedNameErrors(taint.key)) ctx.addIssue({ code: 'custom', path: at('taints', t, 'key'), message: `invalid taint key ${JSON.stringify(taint.key)}: ${problem}` });
      });
    });
  });

export type Fleet = z.infer<typeof FleetSchema>;
export type NodeGroup = Fleet['groups'][number];

/** A fleet file that cannot be used; each problem is named by its path in the file. */
export class FleetError extends ConfigError {
  override readonly name = 'FleetError';
  constructor(
    readonly file: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: invalid fleet:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const text = String(part);
      // Label keys have dots and slashes: quote them so that the path stays readable.
      out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(text) ? `${out ? '.' : ''}${text}` : `[${JSON.stringify(text)}]`;
    }
  }
  return out || '(root)';
}

/** Validates an already parsed fleet document. */
export function parseFleet(raw: unknown, file = '<fleet>'): Fleet {
  const result = FleetSchema.safeParse(raw);
  if (!result.success) throw new FleetError(file, result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  const fleet = result.data;
  if (fleetSize(fleet) === 0) throw new FleetError(file, ['groups: the fleet has no nodes (every count is 0)']);
  return fleet;
}

export function loadFleet(path: string): Fleet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FleetError(path, [`cannot read the file: ${(error as Error).message}`], { cause: error });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new FleetError(path, [`not valid YAML: ${(error as Error).message}`], { cause: error });
  }
  return parseFleet(raw, path);
}

export function fleetSize(fleet: Fleet): number {
  return fleet.groups.reduce((n, group) => n + group.count, 0);
}

/**
 * Every node of the fleet, group after group, in a fixed order (the same file always gives the same
 * nodes). Within a group, node i takes zone `zones[i mod W]` of the weighted zone cycle, and its
 * instance type advances once per zone cycle, so that every zone gets the same mix of types.
 * Nodes with the same zone and type share their labels, capacity and taints objects (10,000 nodes).
 */
export function fleetNodes(fleet: Fleet): HostedNodeConfig[] {
  const nodes: HostedNodeConfig[] = [];
  for (const group of fleet.groups) {
    const prefix = group.namePrefix ?? group.name;
    const zones = weightedCycle(group.zones.map((zone) => ({ name: zoneName(zone), weight: typeof zone === 'string' ? 1 : zone.weight })));
    const types = weightedCycle(group.instanceTypes);
    const taints: Taint[] = group.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect }));
    const shapes = new Map<string, { capacity: NodeCapacity; labels: Record<string, string> }>();
    const shapeOf = (zone: string | undefined, type: (typeof group.instanceTypes)[number] | undefined): { capacity: NodeCapacity; labels: Record<string, string> } => {
      const key = `${zone ?? ''}\u0000${type?.name ?? ''}`;
      let shape = shapes.get(key);
      if (!shape) {
        const merged = { ...group.capacity, ...type?.capacity };
        const capacity: NodeCapacity = {
          cpu: merged.cpu ?? DEFAULT_CAPACITY.cpu,
          memory: merged.memory ?? DEFAULT_CAPACITY.memory,
          pods: merged.pods !== undefined ? String(merged.pods) : DEFAULT_CAPACITY.pods,
          ...(merged['ephemeral-storage'] !== undefined ? { 'ephemeral-storage': merged['ephemeral-storage'] } : {}),
        };
        const labels: Record<string, string> = {
          ...group.labels,
          ...type?.labels,
          [NODE_GROUP_LABEL]: group.name,
          ...(group.region !== undefined ? { [REGION_LABEL]: group.region } : {}),
          ...(zone !== undefined ? { [ZONE_LABEL]: zone } : {}),
          ...(type !== undefined ? { [INSTANCE_TYPE_LABEL]: type.name } : {}),
        };
        shapes.set(key, (shape = { capacity, labels }));
      }
      return shape;
    };
    const zoneCycle = Math.max(1, zones.length);
    for (let i = 0; i < group.count; i++) {
      const zone = zones.length > 0 ? zones[i % zones.length]!.name : undefined;
      const type = types.length > 0 ? types[Math.floor(i / zoneCycle) % types.length] : undefined;
      const shape = shapeOf(zone, type);
      nodes.push({ name: `${prefix}-${i + 1}`, index: nodes.length + 1, capacity: shape.capacity, labels: shape.labels, taints });
    }
  }
  return nodes;
}

/** How many nodes per group, zone and instance type (the agent's start log, `flotilla sim nodes`). */
export function fleetSummary(nodes: readonly HostedNodeConfig[]): { groups: Record<string, number>; zones: Record<string, number>; instanceTypes: Record<string, number>; tainted: number } {
  const count = (into: Record<string, number>, key: string | undefined): void => {
    if (key !== undefined) into[key] = (into[key] ?? 0) + 1;
  };
  const out = { groups: {} as Record<string, number>, zones: {} as Record<string, number>, instanceTypes: {} as Record<string, number>, tainted: 0 };
  for (const node of nodes) {
    count(out.groups, node.labels[NODE_GROUP_LABEL]);
    count(out.zones, node.labels[ZONE_LABEL]);
    count(out.instanceTypes, node.labels[INSTANCE_TYPE_LABEL]);
    if (node.taints.length > 0) out.tainted++;
  }
  return out;
}

/**
 * Smooth weighted round-robin (as nginx balances upstreams): one cycle as long as the sum of the
 * weights, each item `weight` times, interleaved as evenly as possible. Equal weights: round-robin.
 */
export function weightedCycle<T extends { weight: number }>(items: readonly T[]): T[] {
  const total = items.reduce((n, item) => n + item.weight, 0);
  const current = items.map(() => 0);
  const cycle: T[] = [];
  for (let step = 0; step < total; step++) {
    let best = 0;
    for (let i = 0; i < items.length; i++) {
      current[i]! += items[i]!.weight;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    cycle.push(items[best]!);
  }
  return cycle;
}

function zoneName(zone: string | { name: string }): string {
  return typeof zone === 'string' ? zone : zone.name;
}

/** kubectl's taint syntax, `key[=value]:Effect`; undefined when it is not one. */
export function taintFromText(text: string): Taint | undefined {
  const part = text.trim();
  const colon = part.lastIndexOf(':');
  const effect = TaintEffect.safeParse(colon > 0 ? part.slice(colon + 1) : '');
  if (colon <= 0 || !effect.success) return undefined;
  const keyValue = part.slice(0, colon);
  const eq = keyValue.indexOf('=');
  const key = eq === -1 ? keyValue : keyValue.slice(0, eq);
  if (key === '') return undefined;
  return { key, ...(eq === -1 ? {} : { value: keyValue.slice(eq + 1) }), effect: effect.data };
}
