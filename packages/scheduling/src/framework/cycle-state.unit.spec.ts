import { describe, expect, it } from 'vitest';
import { CycleState, stateKey } from './cycle-state.ts';

describe('CycleState', () => {
  const count = stateKey<number>('count');
  const names = stateKey<string[]>('names');

  it('stores and reads typed values by key', () => {
    const state = new CycleState();
    expect(state.read(count)).toBeUndefined();
    state.write(count, 3);
    state.write(names, ['a']);
    expect(state.read(count)).toBe(3);
    expect(state.read(names)).toEqual(['a']);
    expect(state.has(count)).toBe(true);
  });

  it('keys are identities: two keys with one name do not collide', () => {
    const state = new CycleState();
    const other = stateKey<number>('count');
    state.write(count, 1);
    expect(state.read(other)).toBeUndefined();
  });

  it('clone copies values and skip sets without sharing them', () => {
    const state = new CycleState();
    state.write(count, 1);
    state.skipFilterPlugins.add('NodePorts');
    const copy = state.clone();
    copy.write(count, 2);
    copy.skipScorePlugins.add('NodeAffinity');
    expect(state.read(count)).toBe(1);
    expect(copy.skipFilterPlugins.has('NodePorts')).toBe(true);
    expect(state.skipScorePlugins.size).toBe(0);
  });
});
