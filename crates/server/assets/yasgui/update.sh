#!/usr/bin/env bash
# Re-vendors YASGUI from the npm registry: the two bundled files the query page uses.
#   crates/server/assets/yasgui/update.sh [VERSION]
# npm checks the tarball against the registry's integrity hash; the hash is printed so that the
# version and hash in README.md can be updated with it.
set -euo pipefail
version=${1:-4.6.2}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@zazuko/yasgui@$version" >/dev/null)
tar -xzf "$work/zazuko-yasgui-$version.tgz" -C "$work"
for f in yasgui.min.js yasgui.min.css; do
  # The source map is not vendored: drop the comment that points browsers' tools at it.
  sed '/^\/[*/]# sourceMappingURL=/d' "$work/package/build/$f" > "$here/$f"
done
echo "vendored @zazuko/yasgui@$version"
(cd "$work" && npm view "@zazuko/yasgui@$version" dist.integrity)
