/**
 * The Worker that the runtime matrix runs in workerd (through miniflare): the scenario's module
 * scope (where the manager is built) is the Worker's global scope; each request runs the journey.
 */
import { runScenario } from './scenario.mjs';

export default {
  async fetch() {
    return Response.json(await runScenario());
  },
};
