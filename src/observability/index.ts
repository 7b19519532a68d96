/**
 * `keywarden/observability`: what keywarden tells you about itself.
 *
 * - {@link githubSecretScanning}: a fetch handler for GitHub's secret-scanning partner webhook that
 *   revokes every reported keywarden token (API key or proxy token) and answers with feedback.
 * - {@link rotationReport}: what rotated, what failed and what is due, per record kind.
 * - Audit export lives on the manager (`km.audit.export({ format: 'csv' | 'jsonl' })`); its CSV
 *   helpers are here.
 *
 * Portable: no node:*; runs wherever `fetch`'s `Request`/`Response` exist.
 *
 * @example
 * ```ts
 * import { githubSecretScanning } from 'keywarden/observability';
 * const onLeak = githubSecretScanning(km);
 * export default { fetch: (req: Request) => onLeak(req) };
 * ```
 * @module
 */
export {
  AUDIT_CSV_COLUMNS,
  type AuditExportOptions,
  csvField,
  csvRecord,
} from '../store/audit-export.js';
export {
  GITHUB_SECRET_SCANNING_KEYS_URL,
  type GitHubPublicKey,
  type GitHubPublicKeysSource,
  parseP256PublicKeyPem,
  verifyGitHubSignature,
} from './github-keys.js';
export {
  type GitHubLeakFeedback,
  type GitHubSecretScanningOptions,
  githubSecretScanning,
} from './github-secret-scanning.js';
export {
  type AgentAccessLike,
  type LeakLabel,
  type LeakRevocableAccess,
  type ProxyTokenRevoker,
  tokenSha256Hex,
} from './leak-revoke.js';
export {
  type KindCounts,
  type ReportedFailure,
  type ReportedRotation,
  type RotationReport,
  type RotationReportOptions,
  rotationReport,
} from './rotation-report.js';
export { apiKeyTokenPattern, KEYWARDEN_TOKEN_PATTERNS } from './token-patterns.js';
