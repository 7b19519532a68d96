/**
 * `keywarden/access/gateway` (Node only): the egress injection gateway. An agent holds only a
 * short-lived proxy token; the gateway swaps it for the real secret on the way to the tool's one
 * origin and scrubs any echo of the secret on the way back. See docs/agent-access.md.
 *
 * @example
 * ```ts
 * import { agentAccess } from 'keywarden/access';
 * import { createGateway } from 'keywarden/access/gateway';
 *
 * const gw = createGateway(agentAccess(km));
 * const { url } = await gw.listen({ host: '127.0.0.1', port: 8787 });
 * ```
 * @module
 */
export type { AddressKind, GatewayLookup, ResolvedAddress } from './address.js';
export { addressKind } from './address.js';
export { createGateway } from './gateway.js';
export { secretForms } from './scrub.js';
export type { Gateway, GatewayAccess, GatewayErrorCode, GatewayHandler, GatewayOptions } from './types.js';
