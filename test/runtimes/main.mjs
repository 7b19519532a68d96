/**
 * Entry point for the runtimes that load ES modules from files (Node, Bun, Deno): runs the
 * scenario and prints its report as one JSON line on stdout.
 */
import { runScenario } from './scenario.mjs';

const report = await runScenario();
console.log(JSON.stringify(report));
