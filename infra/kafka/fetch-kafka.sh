#!/usr/bin/env bash
# Fetches the Apache Kafka broker jars from Maven Central into infra/kafka/lib (git-ignored), with
# Maven and Java 17 as installed on the machine. Idempotent: a stamp of the pom's checksum skips
# the work when lib/ already matches.
set -euo pipefail
cd "$(dirname "$0")"
stamp="lib/.pom-$(sha256sum pom.xml | cut -c1-16)"
if [ -f "$stamp" ]; then
  echo "[kafka] broker jars present ($(ls lib/*.jar | wc -l) jars)"
  exit 0
fi
command -v mvn >/dev/null || { echo "[kafka] Maven (mvn) is required: apt-get install -y maven" >&2; exit 1; }
echo "[kafka] fetching the Apache Kafka broker from Maven Central…"
rm -rf lib
mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime
touch "$stamp"
echo "[kafka] $(ls lib/*.jar | wc -l) jars in infra/kafka/lib"
