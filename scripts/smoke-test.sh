#!/usr/bin/env bash
# Installs the packed tarball into a fresh temporary project and imports every subpath export,
# from plain Node ESM and from a TypeScript consumer that must type-check.
set -euo pipefail
tarball="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > package.json <<'JSON'
{ "name": "keywarden-smoke", "version": "0.0.0", "private": true, "type": "module" }
JSON
tsv="$(node -p "require('$here/../package.json').devDependencies.typescript")"
mcpv="$(node -p "require('$here/../package.json').peerDependencies['@modelcontextprotocol/sdk']")"
npm install --no-audit --no-fund --silent "$tarball" "typescript@$tsv" "@types/node@^20" "@modelcontextprotocol/sdk@$mcpv"
cp "$here/smoke/consumer.mjs" "$here/smoke/consumer.ts" "$here/smoke/tsconfig.json" .
node consumer.mjs
npx tsc -p tsconfig.json
npx keywarden --version
echo "smoke test passed"
