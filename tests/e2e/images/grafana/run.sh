#!/bin/sh
# The official image's /run.sh, for the iid stand-in: every GF_<NAME>__FILE variable becomes
# GF_<NAME> with the file's content (both set is an error), then the server starts with the
# image's paths as defaults.
set -eu
for assignment in $(env | grep '^GF_[A-Za-z0-9_]*__FILE=.' | cut -d= -f1); do
  name=${assignment%__FILE}
  eval "current=\${$name:-}"
  if [ -n "$current" ]; then
    echo >&2 "ERROR: Both $name and $assignment are set (but are exclusive)"
    exit 1
  fi
  eval "file=\${$assignment}"
  echo "Getting secret $name from $file"
  value=$(cat "$file")
  export "$name=$value"
  unset "$assignment"
done
exec grafana server \
  --homepath="$GF_PATHS_HOME" \
  --config="$GF_PATHS_CONFIG" \
  --packaging=docker \
  "$@" \
  cfg:default.log.mode="console" \
  cfg:default.paths.data="$GF_PATHS_DATA" \
  cfg:default.paths.logs="$GF_PATHS_LOGS" \
  cfg:default.paths.plugins="$GF_PATHS_PLUGINS" \
  cfg:default.paths.provisioning="$GF_PATHS_PROVISIONING"
