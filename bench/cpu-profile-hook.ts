/**
 * Preload for a server process under profile (`node --import tsx --import ./bench/cpu-profile-hook.ts`):
 * the first `SIGUSR2` starts V8's CPU profiler, the next one stops it and writes the profile to
 * `$KEYWARDEN_PROFILE_OUT.N.cpuprofile` (Chrome DevTools JSON; N counts the windows from 1) and
 * the process's CPU time over the same window to `$KEYWARDEN_PROFILE_OUT.N.cpu.json`. So a profile covers the measured load
 * only, not the start-up and the TypeScript transform that `--cpu-prof` would also record.
 * Used by bench/middleware-profile.ts.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.KEYWARDEN_PROFILE_OUT;
if (out) {
  const session = new Session();
  session.connect();
  const interval = Number(process.env.KEYWARDEN_PROFILE_INTERVAL_US ?? 100);
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval }));
  let started: NodeJS.CpuUsage | undefined;
  let windows = 0;
  process.on('SIGUSR2', () => {
    if (started === undefined) {
      started = process.cpuUsage();
      session.post('Profiler.start');
      return;
    }
    const cpu = process.cpuUsage(started);
    started = undefined;
    const n = ++windows;
    session.post('Profiler.stop', (error, result) => {
      if (error) throw error;
      writeFileSync(`${out}.${n}.cpuprofile`, JSON.stringify(result.profile));
      writeFileSync(`${out}.${n}.cpu.json`, JSON.stringify(cpu));
    });
  });
}
