import type { DomainEvent, FlotillaEvent, FlotillaRecord } from '@flotilla/events';
import type { ClusterState, FoldOptions, StateChange } from '../cluster-state.ts';
import { applyEvent, createClusterState } from '../fold.ts';

// Emmett-style specifications for the fold: given(...events).when(event).then(outcome => ...).
// Framework-free (no test runner imported): assertions go in the `then` callback.

const SPEC_EPOCH_MS = Date.UTC(2026, 0, 1);

/** The time a spec stamps on the record at `seq`: one second per sequence after 2026-01-01T00:00:00Z. */
export function specTime(seq: number): string {
  return new Date(SPEC_EPOCH_MS + seq * 1000).toISOString();
}

/** A domain event as the log would hand it over at `seq`. */
export function toRecord(event: DomainEvent, seq: number, meta: { time?: string; source?: string } = {}): FlotillaRecord {
  const envelope = {
    id: `spec-${seq}`,
    type: event.type,
    schemaVersion: 1,
    time: meta.time ?? specTime(seq),
    source: meta.source ?? 'spec',
    data: event.data,
  } as FlotillaEvent;
  return { seq, subject: `flotilla.ev.spec.${event.type}`, msgId: `spec:${seq}`, event: envelope };
}

/** A bare event (numbered after the previous step) or a record with its own seq (to replay, or skip ahead). */
export type SpecStep = DomainEvent | FlotillaRecord;

export interface Outcome {
  /** A deep copy of the state before `when`. */
  before: ClusterState;
  /** The state after `when`. */
  state: ClusterState;
  changes: StateChange[];
  record: FlotillaRecord;
}

export function given(...steps: SpecStep[]): Given {
  return new Given(steps, {});
}

export class Given {
  constructor(
    private readonly steps: readonly SpecStep[],
    private readonly options: Partial<FoldOptions>,
  ) {}

  withOptions(options: Partial<FoldOptions>): Given {
    return new Given(this.steps, { ...this.options, ...options });
  }

  /** The given steps as records, bare events numbered one after the other. */
  records(): FlotillaRecord[] {
    return numbered(this.steps, 0);
  }

  /** The state the given steps fold into. */
  state(): ClusterState {
    const state = createClusterState(this.options);
    for (const record of this.records()) applyEvent(state, record);
    return state;
  }

  when(step: SpecStep): When {
    const records = this.records();
    const last = records.reduce((max, record) => Math.max(max, record.seq), 0);
    const [record] = numbered([step], last);
    if (!record) throw new Error('when() needs a step');
    return new When(this.state(), record);
  }
}

export class When {
  constructor(
    private readonly initial: ClusterState,
    readonly record: FlotillaRecord,
  ) {}

  /** Applies the step and hands the outcome to `check`; returns it for further checks. */
  then(check: (outcome: Outcome) => void = () => {}): Outcome {
    const before = structuredClone(this.initial);
    const changes = applyEvent(this.initial, this.record);
    const outcome = { before, state: this.initial, changes, record: this.record };
    check(outcome);
    return outcome;
  }
}

function numbered(steps: readonly SpecStep[], after: number): FlotillaRecord[] {
  let seq = after;
  return steps.map((step) => {
    if ('seq' in step) {
      seq = Math.max(seq, step.seq);
      return step;
    }
    seq += 1;
    return toRecord(step, seq);
  });
}
