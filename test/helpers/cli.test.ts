import { describe, expect, it } from 'vitest';
import { runProgram } from './cli.js';

describe('running a program', () => {
  it('reports the exit code of a program that exits without reading its input', async () => {
    // A megabyte does not fit the pipe: the write meets the closed pipe (EPIPE) every time.
    const input = 'x'.repeat(1 << 20);
    const result = await runProgram('sh', ['-c', 'exit 3'], { cwd: '/tmp', input });
    expect(result.code).toBe(3);
  });
});
