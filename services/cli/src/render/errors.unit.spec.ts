import { ApiError, ApiUnreachableError } from '@flotilla/client';
import { describe, expect, it } from 'vitest';
import { formatError } from './errors.ts';

const apiError = (code: number, reason: string, message: string, details?: unknown) =>
  new ApiError({ status: code, body: { kind: 'Status', status: 'Failure', code, reason, message, details }, method: 'GET', path: '/x' });

describe('formatError', () => {
  it('words server errors like kubectl', () => {
    expect(formatError(apiError(404, 'NotFound', 'pods "x" not found'))).toBe('Error from server (NotFound): pods "x" not found\n');
  });

  it('names the file for -f', () => {
    expect(formatError(apiError(409, 'AlreadyExists', 'pods "web" already exists'), { action: 'error when creating "pod.yaml"' })).toBe(
      'Error from server (AlreadyExists): error when creating "pod.yaml": pods "web" already exists\n',
    );
  });

  it('lists each cause of an invalid object on its own line', () => {
    const error = apiError(400, 'Invalid', 'Pod "web" is invalid: ...', {
      name: 'web',
      kind: 'pods',
      causes: [
        { field: 'spec.containers[1].resources.requests.cpu', message: 'invalid quantity "1.5.5"', reason: 'FieldValueInvalid' },
        { field: 'spec.containers[1].name', message: 'required value', reason: 'FieldValueRequired' },
      ],
    });
    expect(formatError(error)).toBe(
      'The Pod "web" is invalid:\n* spec.containers[1].resources.requests.cpu: invalid quantity "1.5.5"\n* spec.containers[1].name: required value\n',
    );
  });

  it('prints the unreachable message as it is', () => {
    const error = new ApiUnreachableError('http://127.0.0.1:7070', new Error('connect ECONNREFUSED 127.0.0.1:7070'));
    expect(formatError(error)).toBe(`${error.message}\n`);
  });

  it('prefixes other errors with error:', () => {
    expect(formatError(new Error('boom'))).toBe('error: boom\n');
  });
});
