import { describe, expect, it } from 'vitest';
import { errorStatus, isRejected, isSkip, isSuccess, skip, statusMessage, success, unresolvable, unschedulable, withPlugin } from './status.ts';

describe('Status', () => {
  it('success carries no reasons and is shared', () => {
    expect(success()).toEqual({ code: 'Success', reasons: [] });
    expect(success()).toBe(success());
    expect(isSuccess(success())).toBe(true);
    expect(isSkip(skip())).toBe(true);
  });

  it('rejections carry the plugin and every reason', () => {
    const status = unschedulable('NodeResourcesFit', 'Insufficient cpu', 'Insufficient memory');
    expect(status).toEqual({ code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'], plugin: 'NodeResourcesFit' });
    expect(statusMessage(status)).toBe('Insufficient cpu, Insufficient memory');
    expect(isRejected(status)).toBe(true);
    expect(isRejected(unresolvable('NodeName', 'x'))).toBe(true);
    expect(isRejected(errorStatus('X', 'boom'))).toBe(false);
    expect(isSuccess(status)).toBe(false);
  });

  it('withPlugin attributes a status without changing it otherwise', () => {
    expect(withPlugin({ code: 'Unschedulable', reasons: ['r'] }, 'P')).toEqual({ code: 'Unschedulable', reasons: ['r'], plugin: 'P' });
  });
});
