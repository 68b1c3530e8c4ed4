#!/usr/bin/env bash
# Creates the Python virtual environment that runs dbt for models/dbt: <repo>/.venv-dbt with
# dbt-core and the dbt-clickhouse adapter at pinned versions.
#
# Pins: dbt-core 1.10.23 + dbt-clickhouse 1.10.3. Newer dbt-core (1.11+/2.x) pulls
# dbt-core-experimental-parser, whose build downloads a wheel from GitHub at install time, which
# fails without internet access beyond the package registries.
#
# Idempotent: a stamp file records the pins installed; a second run with the same pins returns at
# once. Change a pin (or delete .venv-dbt) to reinstall. PYTHON selects the interpreter
# (default: python3; dbt 1.10 supports Python 3.9-3.13).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-dbt"
stamp="$venv/.pulse-dbt-installed"
python="${PYTHON:-python3}"

requirements=(
  "dbt-core==1.10.23"
  "dbt-clickhouse==1.10.3"
)
want="${requirements[*]}"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/dbt" ]; then
  echo "[setup-dbt] dbt ready in $venv ($want)"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "[setup-dbt] creating virtual environment $venv with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
fi

echo "[setup-dbt] installing $want (first run takes a minute or two)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}"

echo "[setup-dbt] installed: $("$venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -E "^dbt-(core|clickhouse) " | tr -s " " | paste -sd, -)"
printf '%s' "$want" >"$stamp"
echo "[setup-dbt] dbt ready in $venv"
