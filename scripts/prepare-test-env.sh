#!/usr/bin/env bash
# Installs what the test suites need beyond npm packages: Debian's Chromium (browser tests),
# PostgreSQL (the metadata suite runs on a real server too), poppler-utils (PDF checks), and the
# Apache Kafka broker jars from Maven Central. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[prepare] installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "[prepare] not root: run 'sudo apt-get install -y ${missing[*]}' and retry" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -x infra/kafka/fetch-kafka.sh ] || [ -f infra/kafka/fetch-kafka.sh ]; then
  bash infra/kafka/fetch-kafka.sh
fi
echo "[prepare] test environment ready"
