/**
 * Loaded with `node --import` into a CLI run by the local bench: when the process
 * exits, writes its peak memory and CPU time to the file named by PAIRBOT_BENCH_PROBE.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.PAIRBOT_BENCH_PROBE;
if (out) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ peakBytes: usage.maxRSS * 1024, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
  });
}
